// How long the explorer takes to answer. Figures are recorded in
// docs/performance.md with the command that produced them.
#include <benchmark/benchmark.h>

#include "tensorfab/api/api.h"
#include "support/shipped.h"

namespace {

using namespace tfab;

using testing::shipped;

// One chip, one model, one scenario, inputs already loaded: the inner loop
// of a design-space sweep. Output length as the argument: the cost must not
// grow with it. Roofline tier.
void BM_EvaluateServing(benchmark::State& state, const char* model_id) {
  auto chip = hw::load_chip(shipped(), "h100-sxm").value();
  auto model = workload::load_model(shipped(), model_id).value();
  auto scenario = workload::load_scenario(shipped(), "serve-default").value();
  scenario.formats = {core::NumberFormat::kBF16, core::NumberFormat::kBF16, core::NumberFormat::kBF16};
  scenario.output_length = state.range(0);
  for (auto _ : state) benchmark::DoNotOptimize(perf::evaluate_serving(chip, model, scenario, perf::Tier::kRoofline));
}
BENCHMARK_CAPTURE(BM_EvaluateServing, llama_8b, "llama-3.1-8b")->Arg(512)->Arg(128 * 1024);
BENCHMARK_CAPTURE(BM_EvaluateServing, llama_405b, "llama-3.1-405b")->Arg(512)->Arg(128 * 1024);

// The yardstick: Llama 3.1 70B served over 8 chips (tensor
// parallel), 2048 tokens in, 256 out, batch 64, FP8. Each iteration builds
// a fresh timer, so every GEMM shape is mapped again: a cold cache.
void BM_Serving70bTp8(benchmark::State& state, const char* chip_id, perf::Tier tier) {
  auto chip = hw::load_chip(shipped(), chip_id).value();
  auto model = workload::load_model(shipped(), "llama-3.1-70b").value();
  workload::ServeScenario s;
  s.batch = 64;
  s.prompt_length = 2048;
  s.output_length = 256;
  s.tensor_parallel = 8;
  s.formats = {core::NumberFormat::kFP8, core::NumberFormat::kFP8, core::NumberFormat::kFP8};
  for (auto _ : state) benchmark::DoNotOptimize(perf::evaluate_serving(chip, model, s, tier));
}
BENCHMARK_CAPTURE(BM_Serving70bTp8, h100_roofline, "h100-sxm", perf::Tier::kRoofline);
BENCHMARK_CAPTURE(BM_Serving70bTp8, h100_tile, "h100-sxm", perf::Tier::kTile);
BENCHMARK_CAPTURE(BM_Serving70bTp8, seed_tile, "seed-2nm", perf::Tier::kTile);

// The default `tensorfab study`, reading every file: what a user waits for.
void BM_DefaultStudy(benchmark::State& state) {
  for (auto _ : state) benchmark::DoNotOptimize(api::study(shipped(), api::StudyRequest{}));
}
BENCHMARK(BM_DefaultStudy);

// One design point through the façade, as `tensorfab eval` and Python's
// tensorfab.evaluate call it: the seed design serving Llama 3.1 70B. With
// a remembering catalog the files are parsed once; with `json`, the result
// is also turned into its document. bench/python_overhead.py times the same
// calls from Python against these.
void BM_EvalDesignPoint(benchmark::State& state, bool remember, bool json) {
  const config::Catalog catalog = remember ? shipped().remembering() : shipped();
  api::EvalRequest request;
  request.chip = "seed-2nm";
  request.model = "llama-3.1-70b";
  for (auto _ : state) {
    auto result = api::eval(catalog, request);
    if (json) benchmark::DoNotOptimize(api::to_json(*result, false));
    benchmark::DoNotOptimize(result);
  }
}
BENCHMARK_CAPTURE(BM_EvalDesignPoint, files, false, false)->Unit(benchmark::kMicrosecond);
BENCHMARK_CAPTURE(BM_EvalDesignPoint, remembered, true, false)->Unit(benchmark::kMicrosecond);
BENCHMARK_CAPTURE(BM_EvalDesignPoint, remembered_json, true, true)->Unit(benchmark::kMicrosecond);

}  // namespace
