// How long the explorer takes to answer. Figures are recorded in
// docs/performance.md with the command that produced them.
#include <benchmark/benchmark.h>

#include "tensorfab/api/api.h"
#include "support/shipped.h"

namespace {

using namespace tfab;

using testing::shipped;

// One chip, one model, one scenario, inputs already loaded: the inner loop
// of a design-space sweep.
void BM_EvaluateServing(benchmark::State& state, const char* model_id) {
  auto chip = hw::load_chip(shipped(), "h100-sxm").value();
  auto model = workload::load_model(shipped(), model_id).value();
  auto scenario = workload::load_scenario(shipped(), "serve-default").value();
  scenario.formats = {core::NumberFormat::kBF16, core::NumberFormat::kBF16, core::NumberFormat::kBF16};
  scenario.output_length = state.range(0);
  for (auto _ : state) benchmark::DoNotOptimize(perf::evaluate_serving(chip, model, scenario));
}
BENCHMARK_CAPTURE(BM_EvaluateServing, llama_8b, "llama-3.1-8b")->Arg(512)->Arg(128 * 1024);
BENCHMARK_CAPTURE(BM_EvaluateServing, llama_405b, "llama-3.1-405b")->Arg(512)->Arg(128 * 1024);

// The default `tensorfab study`, reading every file: what a user waits for.
void BM_DefaultStudy(benchmark::State& state) {
  for (auto _ : state) benchmark::DoNotOptimize(api::study(shipped(), api::StudyRequest{}));
}
BENCHMARK(BM_DefaultStudy);

}  // namespace
