#include "tensorfab/vp/compile.h"

#include <gtest/gtest.h>

#include <random>

#include "support/shipped.h"
#include "tensorfab/vp/execute.h"
#include "tensorfab/vp/tensor.h"

namespace tfab::vp {
namespace {

struct Target {
  Machine machine;
  Timing timing;
};

Target target(const std::string& chip_id) {
  auto chip = hw::load_chip(testing::shipped(), chip_id);
  return {*machine_for(*chip), *timing_for(*chip)};
}

// Random normal values stored as `t.type` at t.address (and its scales);
// returns the values as stored.
std::vector<double> fill(Hbm& hbm, const HbmTensor& t, uint32_t seed) {
  std::mt19937 rng(seed);
  std::normal_distribution<double> normal(0, 1);
  std::vector<double> x(static_cast<size_t>(t.rows * t.cols));
  for (double& v : x) v = normal(rng);
  std::vector<uint8_t> data(static_cast<size_t>(t.rows * row_bytes(t.type, t.cols)));
  std::vector<uint8_t> scales(static_cast<size_t>(scale_bytes(t.type, t.rows, t.cols)));
  write_tensor(t.type, t.rows, t.cols, x, data, scales);
  hbm.write(t.address, data);
  if (!scales.empty()) hbm.write(t.scales, scales);
  const std::vector<float> stored = read_tensor(t.type, t.rows, t.cols, data, scales);
  return {stored.begin(), stored.end()};
}

struct Case {
  std::string chip;
  int64_t m, n, k;
  DataType operands, output;
};

void PrintTo(const Case& c, std::ostream* out) {
  *out << c.chip << " " << c.m << "x" << c.n << "x" << c.k << " " << name(c.operands) << " -> " << name(c.output);
}

class CompiledGemm : public ::testing::TestWithParam<Case> {};

// The compiled kernel computes C = A . B^T bit for bit as an FP32
// accumulator summing K in order would, rounded once into C's type.
TEST_P(CompiledGemm, IsBitExact) {
  const Case& c = GetParam();
  const Target t = target(c.chip);
  GemmKernel g;
  g.a = {0, c.operands, c.m, c.k, 0x4000000};
  g.b = {0x1000000, c.operands, c.n, c.k, 0x5000000};
  g.c = {0x2000000, c.output, c.m, c.n, 0};
  GemmPlan plan;
  auto program = compile_gemm(g, t.machine, &plan);
  ASSERT_TRUE(program.ok()) << program.errors().front().str();
  Hbm hbm;
  const std::vector<double> a = fill(hbm, g.a, 1), b = fill(hbm, g.b, 2);
  auto run_result = run(*program, t.machine, t.timing, hbm);
  ASSERT_TRUE(run_result.ok()) << run_result.errors().front().str();
  EXPECT_EQ(run_result->macs, c.m * c.n * c.k);

  std::vector<uint8_t> bytes(static_cast<size_t>(c.m * row_bytes(c.output, c.n)));
  hbm.read(g.c.address, bytes);
  const std::vector<float> out = read_tensor(c.output, c.m, c.n, bytes);
  const FloatFormat format = *find_float_format(name(c.output));
  // Every 7th row and 5th column, and the last of each (the edge tiles):
  // the reference sums one product at a time.
  for (int64_t i = 0; i < c.m; i = i + 7 < c.m || i == c.m - 1 ? i + 7 : c.m - 1) {
    for (int64_t j = 0; j < c.n; j = j + 5 < c.n || j == c.n - 1 ? j + 5 : c.n - 1) {
      Accumulator acc(kFP32);
      for (int64_t kk = 0; kk < c.k; ++kk) {
        acc.add(a[static_cast<size_t>(i * c.k + kk)] * b[static_cast<size_t>(j * c.k + kk)]);
      }
      ASSERT_EQ(static_cast<double>(out[static_cast<size_t>(i * c.n + j)]), round_to(format, acc.value()))
          << "C[" << i << "][" << j << "] of " << plan.tiles << " tiles of " << plan.tile_m << "x" << plan.tile_n
          << ", K slices of " << plan.tile_k;
    }
  }
}

INSTANTIATE_TEST_SUITE_P(
    Shapes, CompiledGemm,
    ::testing::Values(Case{"seed-2nm", 200, 300, 600, DataType::kBf16, DataType::kBf16},  // edges in M, N and K
                      Case{"seed-2nm", 1, 512, 256, DataType::kBf16, DataType::kFp32},    // a decode GEMM
                      Case{"seed-2nm", 96, 64, 224, DataType::kMxfp8E4m3, DataType::kBf16},
                      Case{"seed-2nm", 64, 96, 160, DataType::kMxfp4, DataType::kFp32},
                      Case{"h100-sxm", 150, 200, 320, DataType::kBf16, DataType::kFp16}),  // 256 KiB a core
    [](const auto& shape) { return shape.param.chip.substr(0, 4) + "_" + std::to_string(shape.index); });

TEST(CompileGemm, RefusesWhatItCannotDo) {
  const Target t = target("seed-2nm");
  GemmKernel g;
  g.a = {0, DataType::kInt8, 64, 64, 0};
  g.b = {0x10000, DataType::kBf16, 64, 32, 0};
  g.c = {0x20000, DataType::kMxfp4, 64, 60, 0};
  auto program = compile_gemm(g, t.machine);
  ASSERT_FALSE(program.ok());
  EXPECT_EQ(program.errors().size(), 4u);
}

}  // namespace
}  // namespace tfab::vp
