#include "tensorfab/perf/tile.h"

#include <gtest/gtest.h>

#include <cmath>

#include "support/shipped.h"
#include "tensorfab/perf/tier.h"

namespace tfab::perf {
namespace {

using testing::shipped;

hw::ChipSpec chip(const std::string& id) { return hw::load_chip(shipped(), id).value(); }

mapping::ElementBytes bytes_of(core::NumberFormat f) {
  const auto e = core::Bytes::from_base(core::bytes_per_element(f));
  return {e, e, core::Bytes::from_base(2)};
}

double seconds(const TileMachine& m, int64_t M, int64_t N, int64_t K, core::NumberFormat f) {
  return map_gemm(m, {M, N, K}, bytes_of(f)).time().base();
}

TEST(TileMachine, LargeGemmReproducesTheMeasuredEfficiency) {
  // The one figure the tile tier is calibrated on: an 8192^3 GEMM runs at
  // the chip's measured fraction of peak, whatever its cores and arrays.
  for (const auto& [id, format] : std::vector<std::pair<std::string, core::NumberFormat>>{
           {"h100-sxm", core::NumberFormat::kFP8},
           {"gb200", core::NumberFormat::kFP4},  // measured on its own: efficiency.by_format
           {"a100-sxm-80gb", core::NumberFormat::kBF16},
           {"mi300x", core::NumberFormat::kFP8},
           {"tpu-v5e", core::NumberFormat::kBF16},
           {"trn2", core::NumberFormat::kBF16},
           {"seed-2nm", core::NumberFormat::kBF16}}) {
    const hw::ChipSpec c = chip(id);
    const TileMachine m = tile_machine(c, format).value();
    const double flops = 2 * std::pow(8192.0, 3);
    const double achieved = flops / seconds(m, 8192, 8192, 8192, format) / c.tensor_peak_for(format)->base();
    EXPECT_NEAR(achieved, c.efficiency.tensor_for(format), 0.01 * c.efficiency.tensor_for(format)) << id;
    EXPECT_GT(m.workers, 0) << id;
    EXPECT_LE(m.sustain, 1.0) << id;
  }
}

TEST(TileMachine, SystolicChipsUseTheirArrays) {
  const TileMachine seed = tile_machine(chip("seed-2nm"), core::NumberFormat::kBF16).value();
  EXPECT_TRUE(seed.systolic());
  EXPECT_EQ(seed.array_rows, 128);
  EXPECT_EQ(seed.workers, 32);
  const TileMachine h100 = tile_machine(chip("h100-sxm"), core::NumberFormat::kBF16).value();
  EXPECT_FALSE(h100.systolic());
  EXPECT_EQ(h100.workers, 132);  // one worker per SM
}

TEST(MapGemm, OneMoreTileThanWorkersTakesAnotherWave) {
  const TileMachine m = tile_machine(chip("seed-2nm"), core::NumberFormat::kBF16).value();
  // 32 arrays of 128 columns: N = 32 x 128 fills one wave of 128-wide tiles;
  // one more column needs a second.
  const auto full = map_gemm(m, {128, 32 * 128, 4096}, bytes_of(core::NumberFormat::kBF16));
  const auto over = map_gemm(m, {128, 32 * 128 + 1, 4096}, bytes_of(core::NumberFormat::kBF16));
  EXPECT_GT(over.compute.base(), 1.5 * full.compute.base());
}

TEST(MapGemm, SkinnyDecodeGemmsSplitKAndStreamTheWeights) {
  const hw::ChipSpec h100 = chip("h100-sxm");
  const TileMachine m = tile_machine(h100, core::NumberFormat::kFP8).value();
  const auto g = map_gemm(m, {8, 1024, 8192}, bytes_of(core::NumberFormat::kFP8));
  EXPECT_GT(g.split_k, 1);  // 16 output tiles cannot fill 132 SMs
  EXPECT_GT(g.memory, g.compute);
  const double weights_s = 1024.0 * 8192 / m.memory.base();
  EXPECT_GE(g.time().base(), weights_s);
  EXPECT_LE((g.time() - g.latency).base(), 1.3 * weights_s);
  // The first reads and the last writes wait a memory latency each, and
  // split-K's partial sums as many again.
  EXPECT_DOUBLE_EQ(g.latency.base(), 4 * m.latency.base());
  EXPECT_GT(m.latency.base(), 0);
}

TEST(MapGemm, GpuTilesPadRowsButArraysStreamThem) {
  const TileMachine gpu = tile_machine(chip("h100-sxm"), core::NumberFormat::kBF16).value();
  const TileMachine systolic = tile_machine(chip("seed-2nm"), core::NumberFormat::kBF16).value();
  const auto f = core::NumberFormat::kBF16;
  // Compute-bound on a GPU: 513 rows are padded to nine 64-row tiles, the
  // work of 576 rows.
  EXPECT_NEAR(seconds(gpu, 513, 8192, 8192, f) / seconds(gpu, 576, 8192, 8192, f), 1.0, 0.02);
  // A systolic array streams its rows: 300 take about 300/512 of the time
  // of 512. Below the array's 128 rows, loading each block's weights takes
  // longer than streaming: 65 rows cost what 128 do.
  EXPECT_NEAR(map_gemm(systolic, {300, 16384, 16384}, bytes_of(f)).compute /
                  map_gemm(systolic, {512, 16384, 16384}, bytes_of(f)).compute,
              300.0 / 512, 0.02);
  EXPECT_NEAR(map_gemm(systolic, {65, 16384, 16384}, bytes_of(f)).compute /
                  map_gemm(systolic, {128, 16384, 16384}, bytes_of(f)).compute,
              1.0, 0.02);
}

// Within the 1% by which a mapping with fewer, larger tiles is preferred.
TEST(MapGemm, NeverFasterForMoreWork) {
  for (const char* id : {"h100-sxm", "seed-2nm", "tpu-v5e"}) {
    const TileMachine m = tile_machine(chip(id), core::NumberFormat::kBF16).value();
    double previous = 0;
    for (int64_t rows = 1; rows <= 2048; rows += 37) {
      const double t = seconds(m, rows, 4096, 4096, core::NumberFormat::kBF16);
      EXPECT_GE(t, previous / 1.01) << id << " M=" << rows;
      previous = t;
    }
  }
}

TEST(OpTimer, CachesEachGemmShapeOnce) {
  auto timer = OpTimer::create(chip("h100-sxm"), core::NumberFormat::kBF16, Tier::kTile).value();
  workload::Op op;
  op.kind = workload::OpKind::kGemm;
  op.m = 64, op.n = 4096, op.k = 4096;
  op.weights = core::Bytes::from_base(4096.0 * 4096 * 2);
  op.fixed = {core::Ops::from_base(2.0 * 64 * 4096 * 4096), {}, op.weights + core::Bytes::from_base(2.0 * 64 * 8192), {}};
  const OpTime first = timer.time(op).value();
  const OpTime again = timer.time(op).value();
  EXPECT_EQ(timer.gemm_shapes(), 1U);
  EXPECT_EQ(first.at(0), again.at(0));
  op.m = 128;
  (void)timer.time(op).value();
  EXPECT_EQ(timer.gemm_shapes(), 2U);
}

TEST(OpTimer, DecodeAttentionStreamsTheCacheAtItsOwnEfficiency) {
  // One sequence's decode step over a long cache: the memory time per
  // context token follows efficiency.attention, and the memory figure
  // where the chip gives none.
  workload::Op op;
  op.kind = workload::OpKind::kAttention;
  op.format = core::NumberFormat::kFP8;
  op.m = 8;
  op.per_context_token = {core::Ops::from_base(2.0 * 8 * 128 * 2), {}, core::Bytes::from_base(2.0 * 128), {}};
  auto cache_seconds = [&](const hw::ChipSpec& c) {
    auto timer = OpTimer::create(c, core::NumberFormat::kFP8, Tier::kTile).value();
    return timer.time(op).value()[Bound::kMemory].per_token;
  };
  const hw::ChipSpec measured = chip("h100-sxm");
  ASSERT_TRUE(measured.efficiency.attention.has_value());
  hw::ChipSpec unmeasured = measured;
  unmeasured.efficiency.attention.reset();
  const double ratio = cache_seconds(measured) / cache_seconds(unmeasured);
  EXPECT_NEAR(ratio, measured.efficiency.memory / *measured.efficiency.attention, 1e-12);
  EXPECT_GT(ratio, 1.0);
}

}  // namespace
}  // namespace tfab::perf
