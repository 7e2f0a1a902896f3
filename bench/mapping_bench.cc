// How long the tile tier and its golden reference take for one GEMM.
// Figures are recorded in docs/tile-model.md with the command that
// produced them.
#include <benchmark/benchmark.h>

#include <string>

#include "tensorfab/mapping/systolic_sim.h"
#include "tensorfab/mapping/tile_model.h"

namespace {

using namespace tfab;
using namespace tfab::core::literals;

// A TPU v5e-like core: four 128x128 MXUs at 1.5 GHz sharing 819 GB/s.
mapping::SystolicHardware tpu_like() {
  mapping::SystolicHardware hw;
  hw.rows = 128;
  hw.cols = 128;
  hw.arrays = 4;
  hw.clock = 1.5_GHz;
  hw.scratchpad = 32_MiB;
  hw.port_bandwidth = 819_GBps;
  hw.port_latency = 500_ns;
  return hw;
}

const mapping::GemmShape kShapes[] = {
    {1, 4096, 4096}, {16, 14336, 4096}, {4096, 4096, 4096}, {333, 777, 1234}};

// The whole search: what the chip-level tile tier pays per unique GEMM shape.
void BM_ChooseTiling(benchmark::State& state) {
  const auto hw = tpu_like();
  const auto shape = kShapes[state.range(0)];
  for (auto _ : state) benchmark::DoNotOptimize(mapping::choose_tiling(hw, shape, {}));
  state.SetLabel(std::to_string(shape.m) + "x" + std::to_string(shape.n) + "x" + std::to_string(shape.k));
}
BENCHMARK(BM_ChooseTiling)->DenseRange(0, 3);

// One tiling, closed form.
void BM_EstimateGemm(benchmark::State& state) {
  const auto hw = tpu_like();
  const mapping::Tiling tiling{mapping::Dataflow::kWeightStationary, mapping::LoopOrder::kMOuter, 1024, 1024,
                               512};
  for (auto _ : state) benchmark::DoNotOptimize(mapping::estimate_gemm(hw, {4096, 4096, 4096}, {}, tiling));
}
BENCHMARK(BM_EstimateGemm);

// The golden reference on the tiling the model chose.
void BM_SimulateGemm(benchmark::State& state) {
  const auto hw = tpu_like();
  const auto shape = kShapes[state.range(0)];
  const auto tiling = mapping::choose_tiling(hw, shape, {}).value().tiling;
  for (auto _ : state) benchmark::DoNotOptimize(mapping::simulate_gemm(hw, shape, {}, tiling));
  state.SetLabel(std::to_string(shape.m) + "x" + std::to_string(shape.n) + "x" + std::to_string(shape.k));
}
BENCHMARK(BM_SimulateGemm)->DenseRange(0, 3);

}  // namespace
