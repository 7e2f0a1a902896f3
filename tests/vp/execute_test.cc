#include "tensorfab/vp/execute.h"

#include <fmt/format.h>
#include <gtest/gtest.h>

#include <cmath>
#include <fstream>
#include <random>
#include <sstream>

#include "support/shipped.h"
#include "tensorfab/vp/tensor.h"

namespace tfab::vp {
namespace {

struct Seed {
  hw::ChipSpec chip;
  Machine machine;
  Timing timing;
};

const Seed& seed() {
  static const Seed s = [] {
    auto chip = hw::load_chip(testing::shipped(), "seed-2nm");
    auto machine = machine_for(*chip);
    auto timing = timing_for(*chip);
    return Seed{*chip, *machine, *timing};
  }();
  return s;
}

Program assembled(std::string_view text) {
  auto p = assemble(text, "test.s", &seed().machine);
  EXPECT_TRUE(p.ok()) << (p.ok() ? "" : p.errors().front().str());
  return p.ok() ? *p : Program{};
}

// Runs on the seed design, errors reported against "test.s".
core::Result<RunResult> run_on_seed(const Program& program, Hbm& hbm, const RunOptions& options = {}) {
  return run(program, seed().machine, seed().timing, hbm, options, "test.s");
}

std::string first_error(const core::Result<RunResult>& r) { return r.ok() ? "" : r.errors().front().str(); }

// Times a program on the seed design without computing its values.
core::Result<RunResult> timed(std::string_view text) {
  RunOptions options;
  options.compute = false;
  Hbm hbm;
  return run_on_seed(assembled(text), hbm, options);
}

// Random values of `type`, stored as the machine stores them.
std::vector<uint8_t> random_tensor(DataType type, int64_t rows, int64_t cols, uint32_t seed_value,
                                   std::vector<double>* values = nullptr) {
  std::mt19937 rng(seed_value);
  std::normal_distribution<double> normal(0, 1);
  std::vector<double> x(static_cast<size_t>(rows * cols));
  for (double& v : x) v = normal(rng);
  std::vector<uint8_t> bytes(static_cast<size_t>(rows * row_bytes(type, cols)));
  write_tensor(type, rows, cols, x, bytes);
  if (values != nullptr) {
    const std::vector<float> stored = read_tensor(type, rows, cols, bytes);
    values->assign(stored.begin(), stored.end());
  }
  return bytes;
}

std::vector<float> read_hbm(const Hbm& hbm, int64_t address, DataType type, int64_t rows, int64_t cols) {
  std::vector<uint8_t> bytes(static_cast<size_t>(rows * row_bytes(type, cols)));
  hbm.read(address, bytes);
  return read_tensor(type, rows, cols, bytes);
}

// The shipped example, data/programs/gemm-tile.s, against C = A . B^T
// accumulated in FP32 in K order and rounded once to BF16: bit for bit.
TEST(Execute, GemmTileIsBitExact) {
  std::ifstream in(std::string(TFAB_DATA_DIR) + "/programs/gemm-tile.s");
  std::stringstream text;
  text << in.rdbuf();
  const Program program = assembled(text.str());
  Hbm hbm;
  std::vector<double> a, b;
  hbm.write(0x0, random_tensor(DataType::kBf16, 256, 512, 1, &a));
  hbm.write(0x40000, random_tensor(DataType::kBf16, 128, 512, 2, &b));
  auto result = run_on_seed(program, hbm);
  ASSERT_TRUE(result.ok()) << first_error(result);
  const std::vector<float> c = read_hbm(hbm, 0x80000, DataType::kBf16, 256, 128);
  for (int64_t i = 0; i < 256; i += 5) {  // a sample: the reference sums one product at a time
    for (int64_t j = 0; j < 128; j += 3) {
      Accumulator acc(kFP32);
      for (int64_t k = 0; k < 512; ++k) acc.add(a[static_cast<size_t>(i * 512 + k)] * b[static_cast<size_t>(j * 512 + k)]);
      ASSERT_EQ(static_cast<double>(c[static_cast<size_t>(i * 128 + j)]), round_to(kBF16, acc.value()))
          << "C[" << i << "][" << j << "]";
    }
  }
  EXPECT_EQ(result->macs, 2 * 128 * 128 * 512);
  EXPECT_EQ(result->hbm_read, 2 * 2 * 128 * 512 * 2);
  EXPECT_EQ(result->hbm_written, 256 * 128 * 2);
}

// A lone matmul takes the weight-stationary count of docs/tile-model.md:
// the first weights load, then blocks of max(m, rows) cycles, then the
// last block streams and drains. A second one straight after holds the
// array only for its blocks: its first weights and the first one's drain
// overlap.
TEST(Execute, MatmulTakesTheSystolicCount) {
  const std::string matmul = "matmul dst=sram:0x0:fp32 a=sram:0x10000:bf16 b=sram:0x20000:bf16 m=64 n=256 k=256\n";
  auto one = timed(matmul);
  auto two = timed(matmul + matmul);
  ASSERT_TRUE(one.ok() && two.ok()) << first_error(one) << first_error(two);
  const int64_t rows = 128, cols = 128, blocks = 2 * 2;
  const int64_t lone = rows + (blocks - 1) * std::max<int64_t>(64, rows) + 64 + rows + cols - 1;
  EXPECT_EQ(one->cycles, lone);
  EXPECT_EQ(two->cycles, lone + blocks * std::max<int64_t>(64, rows));
}

// A DMA queue keeps transfers in flight: it starts the next once this
// one's bytes have left the channels, not when they land, so a chain of
// loads on one queue pays the HBM latency once.
TEST(Execute, DmaQueuePaysTheLatencyOnce) {
  const Timing& t = seed().timing;
  ASSERT_GT(t.hbm_latency, 0);
  std::string chain;
  for (int i = 0; i < 8; ++i) chain += fmt::format("dma dst=sram:{:#x} src=hbm:{:#x} rows=16 row_bytes=4096\n", i * 0x10000, i * 0x10000);
  auto result = timed(".core 0\n" + chain);
  ASSERT_TRUE(result.ok()) << first_error(result);
  const double transfer = 8 * 16 * 4096 / (t.channel_bytes_per_cycle * static_cast<double>(t.hbm_channels));
  EXPECT_NEAR(static_cast<double>(result->cycles), transfer + static_cast<double>(t.hbm_latency), 8 + 2);
}

// Loads from HBM share its channels: two cores streaming at once take
// about twice as long as one, and one transfer takes its bytes over the
// achievable bandwidth plus the latency.
TEST(Execute, DmaIsBoundByHbmBandwidth) {
  const Timing& t = seed().timing;
  const std::string load = "dma dst=sram:0x0 src=hbm:0x0 rows=256 row_bytes=4096\n";
  auto one = timed(".core 0\n" + load);
  const std::string elsewhere = "dma dst=sram:0x0 src=hbm:0x100000 rows=256 row_bytes=4096\n";  // not shared in the cache
  auto two = timed(".core 0\n" + load + ".core 1\n" + elsewhere);
  ASSERT_TRUE(one.ok() && two.ok());
  const double bytes = 256 * 4096;
  const double expected = bytes / (t.channel_bytes_per_cycle * static_cast<double>(t.hbm_channels)) +
                          static_cast<double>(t.hbm_latency);
  EXPECT_NEAR(static_cast<double>(one->cycles), expected + 1, 2);
  EXPECT_NEAR(static_cast<double>(two->cycles - t.hbm_latency),
              2 * static_cast<double>(one->cycles - t.hbm_latency), 3);
}

// HBM moves whole 32-byte bursts: 65536 rows of 2 bytes, 4 KiB apart (a
// column), move 32 bytes a row; packed, the same 128 KiB move as they are.
TEST(Execute, StridedRowsMoveWholeBursts) {
  const Timing& t = seed().timing;
  auto column = timed(".core 0\ndma dst=sram:0x0 src=hbm:0x0 rows=65536 row_bytes=2 src_stride=4096\n");
  auto packed = timed(".core 0\ndma dst=sram:0x0 src=hbm:0x0 rows=65536 row_bytes=2\n");
  ASSERT_TRUE(column.ok() && packed.ok());
  const double bandwidth = t.channel_bytes_per_cycle * static_cast<double>(t.hbm_channels);
  const auto latency = static_cast<double>(t.hbm_latency);
  EXPECT_NEAR(static_cast<double>(column->cycles) - latency, 65536 * 32 / bandwidth, 2);
  EXPECT_NEAR(static_cast<double>(packed->cycles) - latency, 65536 * 2 / bandwidth, 2);
  EXPECT_EQ(column->hbm_read, packed->hbm_read);  // the bytes asked for, not the bursts
}

// Copies between scratchpads take both cores' SRAM ports: one copy takes
// its bytes at the port's rate, two into the same core take twice that,
// and two between different pairs of cores run side by side.
TEST(Execute, CopiesBetweenScratchpadsShareTheSramPorts) {
  const Timing& t = seed().timing;
  ASSERT_GT(t.sram_bytes_per_cycle, 0);
  const std::string copy = "dma dst=core3.sram:0x0 src=sram:0x0 rows=64 row_bytes=4096\n";
  const std::string elsewhere = "dma dst=core4.sram:0x0 src=sram:0x0 rows=64 row_bytes=4096\n";
  auto one = timed(".core 0\n" + copy);
  auto same_destination = timed(".core 0\n" + copy + ".core 1\n" + copy);
  auto apart = timed(".core 0\n" + copy + ".core 1\n" + elsewhere);
  ASSERT_TRUE(one.ok() && same_destination.ok() && apart.ok());
  const double cycles = 64 * 4096 / t.sram_bytes_per_cycle;
  EXPECT_NEAR(static_cast<double>(one->cycles), cycles, 2);
  EXPECT_NEAR(static_cast<double>(same_destination->cycles), 2 * cycles, 2);
  EXPECT_EQ(apart->cycles, one->cycles);
}

// The shared cache keeps what HBM reads brought in: cores reading the same
// rows one after another take HBM's time once, and the later ones wait
// only for the first one's bytes to arrive.
TEST(Execute, SharedCacheServesRepeatedReads) {
  const Timing& t = seed().timing;
  ASSERT_GT(t.cache_bytes, 256 * 4096);
  const std::string load = "dma dst=sram:0x0 src=hbm:0x0 rows=256 row_bytes=4096\n";
  const std::string other = "dma dst=sram:0x0 src=hbm:0x100000 rows=256 row_bytes=4096\n";
  auto one = timed(".core 0\n" + load);
  auto shared = timed(".core 0\n" + load + ".core 1\n" + load + ".core 2\n" + load);
  auto distinct = timed(".core 0\n" + load + ".core 1\n" + other);
  ASSERT_TRUE(one.ok() && shared.ok() && distinct.ok());
  EXPECT_EQ(shared->cycles, one->cycles);
  EXPECT_EQ(shared->hbm_read, 3 * 256 * 4096);  // bytes the cores asked for, wherever they came from
  EXPECT_GT(distinct->cycles, one->cycles + (one->cycles - t.hbm_latency) / 2);
}

// Row-wise softmax on the vector engine, from the ISA's own pieces.
TEST(Execute, VectorSoftmaxMatchesDouble) {
  const Program program = assembled(R"(
    dma   dst=sram:0x0 src=hbm:0x10000 rows=4 row_bytes=256 signal=s1
    vrmax dst=sram:0x1000:fp32 src=sram:0x0:fp32 rows=4 cols=64 wait=s1
    vsub  dst=sram:0x2000:fp32 a=sram:0x0:fp32 b=sram:0x1000:fp32 rows=4 cols=64 bcast=col
    vexp  dst=sram:0x2000:fp32 src=sram:0x2000:fp32 rows=4 cols=64
    vrsum dst=sram:0x1000:fp32 src=sram:0x2000:fp32 rows=4 cols=64
    vrecip dst=sram:0x1000:fp32 src=sram:0x1000:fp32 rows=4 cols=1
    vmul  dst=sram:0x3000:bf16 a=sram:0x2000:fp32 b=sram:0x1000:fp32 rows=4 cols=64 bcast=col signal=s0
    dma   dst=hbm:0x100 src=sram:0x3000 rows=4 row_bytes=128 wait=s0
    halt
  )");
  std::vector<double> x;
  Hbm hbm;
  hbm.write(0x10000, random_tensor(DataType::kFp32, 4, 64, 7, &x));
  auto result = run_on_seed(program, hbm);
  ASSERT_TRUE(result.ok()) << first_error(result);
  const std::vector<float> y = read_hbm(hbm, 0x100, DataType::kBf16, 4, 64);
  for (int64_t r = 0; r < 4; ++r) {
    double top = -INFINITY, sum = 0;
    for (int64_t c = 0; c < 64; ++c) top = std::max(top, x[static_cast<size_t>(r * 64 + c)]);
    for (int64_t c = 0; c < 64; ++c) sum += std::exp(x[static_cast<size_t>(r * 64 + c)] - top);
    for (int64_t c = 0; c < 64; ++c) {
      const double expected = std::exp(x[static_cast<size_t>(r * 64 + c)] - top) / sum;
      EXPECT_NEAR(y[static_cast<size_t>(r * 64 + c)], expected, expected * 0x1p-8) << r << "," << c;
    }
  }
}

// Quantising into MX and stochastic rounding give the bits formats.h gives.
TEST(Execute, CastsMatchTheFormats) {
  Program program = assembled(R"(
    dma   dst=sram:0x0 src=hbm:0x0 rows=2 row_bytes=256 signal=s0
    vcast dst=sram:0x1000:mxfp8-e4m3 src=sram:0x0:fp32 rows=2 cols=64 dst_scales=sram:0x2000 wait=s0 signal=s1
    vcast dst=sram:0x3000:bf16 src=sram:0x0:fp32 rows=2 cols=64 round=sr seed=9 wait=s1 signal=s2
    dma   dst=hbm:0x1000 src=sram:0x1000 rows=1 row_bytes=128 wait=s2 signal=s3
    dma   dst=hbm:0x2000 src=sram:0x2000 rows=1 row_bytes=4 wait=s3 signal=s4
    dma   dst=hbm:0x3000 src=sram:0x3000 rows=1 row_bytes=256 wait=s4
  )");
  std::vector<double> x;
  Hbm hbm;
  hbm.write(0, random_tensor(DataType::kFp32, 2, 64, 3, &x));
  auto result = run_on_seed(program, hbm);
  ASSERT_TRUE(result.ok()) << first_error(result);
  std::vector<uint8_t> elements(128), scales(4), rounded(256);
  hbm.read(0x1000, elements);
  hbm.read(0x2000, scales);
  hbm.read(0x3000, rounded);
  for (size_t row = 0; row < 2; ++row) {
    const auto blocks = quantize_mx(kMXFP8E4M3, std::span(x).subspan(row * 64, 64));
    for (size_t b = 0; b < 2; ++b) {
      EXPECT_EQ(scales[row * 2 + b], blocks[b].scale);
      for (size_t i = 0; i < 32; ++i) EXPECT_EQ(elements[row * 64 + b * 32 + i], blocks[b].elements[i]);
    }
  }
  for (size_t i = 0; i < 128; ++i) {
    const uint32_t expected = *encode(kBF16, x[i], Overflow::kInfOrNan, {RoundingMode::kStochastic, random_bits(9, i)});
    EXPECT_EQ(rounded[2 * i] | rounded[2 * i + 1] << 8, static_cast<int>(expected)) << i;
  }
}

TEST(Execute, DeadlocksAndRunawaysAreErrors) {
  Hbm hbm;
  auto waits = run_on_seed(assembled("vexp dst=sram:0:fp32 src=sram:0:fp32 rows=1 cols=1 wait=s3:2\n"), hbm);
  EXPECT_NE(first_error(waits).find("test.s:1: vexp: deadlock: it waits for s3, which holds 0 of the 2"),
            std::string::npos)
      << first_error(waits);

  auto barriers = run_on_seed(assembled(".core 0\nbarrier id=1\n.core 1\nbarrier id=2\n"), hbm);
  EXPECT_NE(first_error(barriers).find("core 0 waits at barrier 1; core 1 waits at barrier 2"), std::string::npos)
      << first_error(barriers);

  auto halted = run_on_seed(assembled(".core 0\nbarrier id=0\n.core 1\nhalt\n"), hbm);
  EXPECT_NE(first_error(halted).find("core 1 has halted"), std::string::npos) << first_error(halted);

  RunOptions limited;
  limited.instruction_limit = 1000;
  auto forever = run_on_seed(assembled("top:\njmp target=top\n"), hbm, limited);
  EXPECT_NE(first_error(forever).find("ran past 1000 instructions"), std::string::npos) << first_error(forever);

  RunOptions bounded;
  bounded.work_limit = 1000;
  auto large = run_on_seed(assembled("matmul dst=sram:0:fp32 a=sram:0x10000:bf16 b=sram:0x20000:bf16 m=16 n=16 k=16\n"),
                           hbm, bounded);
  EXPECT_NE(first_error(large).find("passed its limit of 1000 operations computed"), std::string::npos)
      << first_error(large);

  auto outside = run_on_seed(assembled("li dst=r1 imm=0x7fffffff\ndma dst=sram:r1 src=hbm:0 rows=1 row_bytes=64\n"), hbm);
  EXPECT_NE(first_error(outside).find("test.s:2: dma: dst: r1 = 2147483647 puts 64 bytes"), std::string::npos)
      << first_error(outside);
}

// Greedy decoding's gather: the vector engine finds each row's maximum,
// the scalar unit loads its column after a barrier and addresses a table
// row with it.
TEST(Execute, ArgmaxFeedsAGather) {
  const Program program = assembled(R"(
    dma dst=sram:0 src=hbm:0 rows=1 row_bytes=32 signal=s0
    vrargmax dst=sram:0x100:fp32 src=sram:0:fp32 rows=2 cols=4 wait=s0
    barrier id=0
    ld dst=r1 src=sram:0x104:fp32
    li dst=r2 imm=64
    mul dst=r3 a=r1 b=r2
    dma dst=hbm:0x2000 src=hbm:r3+0x1000 rows=1 row_bytes=64
  )");
  Hbm hbm;
  const std::vector<double> rows{1, 7, 7, -2, std::nan(""), -5, 3, 3};  // row 1: NaN never wins, ties go first
  std::vector<uint8_t> bytes(32);
  write_tensor(DataType::kFp32, 2, 4, rows, bytes);
  hbm.write(0, bytes);
  std::vector<uint8_t> table(4 * 64);
  for (size_t i = 0; i < table.size(); ++i) table[i] = static_cast<uint8_t>(i / 64 + 1);
  hbm.write(0x1000, table);
  auto result = run_on_seed(program, hbm);
  ASSERT_TRUE(result.ok()) << first_error(result);
  std::vector<uint8_t> gathered(64);
  hbm.read(0x2000, gathered);
  EXPECT_EQ(gathered, std::vector<uint8_t>(64, 3));  // table row 2

  auto outside = run_on_seed(assembled("li dst=r1 imm=-8\nld dst=r2 src=sram:r1:fp32\n"), hbm);
  EXPECT_NE(first_error(outside).find("test.s:2: ld: src: r1 = -8 puts 4 bytes"), std::string::npos)
      << first_error(outside);
  auto scaled = assemble("ld dst=r2 src=sram:0:mxfp8-e4m3\n", "test.s", &seed().machine);
  ASSERT_FALSE(scaled.ok());
  EXPECT_NE(scaled.errors().front().str().find("convert it with vcast first"), std::string::npos);
}

// Many instructions through a short queue: the scalar unit stalls, and the
// run is the same every time.
TEST(Execute, StallsAndRepeats) {
  const Program program = assembled(R"(
    li dst=r0 imm=0
    li dst=r1 imm=500
  loop:
    vadds dst=sram:0:fp32 src=sram:0:fp32 rows=1 cols=8 imm=1
    addi dst=r0 src=r0 imm=1
    blt a=r0 b=r1 target=loop
    vcast dst=sram:0x100:bf16 src=sram:0:fp32 rows=1 cols=8 signal=s0
    dma dst=hbm:0 src=sram:0x100 rows=1 row_bytes=16 wait=s0
  )");
  RunOptions options;
  options.trace = true;
  Hbm first, second;
  auto a = run_on_seed(program, first, options);
  auto b = run_on_seed(program, second, options);
  ASSERT_TRUE(a.ok() && b.ok()) << first_error(a);
  EXPECT_EQ(read_hbm(first, 0, DataType::kBf16, 1, 8), std::vector<float>(8, 500.0f));
  ASSERT_EQ(a->trace.size(), b->trace.size());
  EXPECT_EQ(a->cycles, b->cycles);
  EXPECT_EQ(a->instructions, 2 + 3 * 500 + 2);
}

}  // namespace
}  // namespace tfab::vp
