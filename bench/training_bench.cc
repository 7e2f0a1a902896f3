// One training step on a cluster: the yardstick is Narayanan et
// al.'s 1T model on 3072 A100s of Selene (arXiv:2104.04473, Table 1: TP 8,
// PP 64, DP 6, batch 3072), <= 1 ms a step on one core. Figures are
// recorded in docs/performance.md with the command that produced them.
#include <benchmark/benchmark.h>

#include "support/shipped.h"
#include "tensorfab/system/training.h"

namespace {

using namespace tfab;
using testing::shipped;

// Inputs loaded once, as a sweep holds them; each iteration times every
// operator afresh (a new timer: no GEMM mapping is reused).
void BM_TrainingStep1T3072(benchmark::State& state) {
  const auto chip = hw::load_chip(shipped(), "a100-sxm-80gb").value();
  const auto model = workload::load_model(shipped(), "megatron-1t").value();
  const auto selene = system::load_system(shipped(), "selene", chip).value();
  auto scenario = workload::load_train_scenario(shipped(), "train-gpt3-175b").value();
  scenario.global_batch = 3072;
  scenario.parallelism.tensor = 8;
  scenario.parallelism.pipeline = 64;
  scenario.parallelism.data = 6;
  scenario.recompute = workload::Recompute::kFull;  // as Table 1 ran
  scenario.parallelism.sequence_parallel = false;
  for (auto _ : state)
    benchmark::DoNotOptimize(system::train_step(chip, model, scenario, selene, perf::Tier::kTile));
}
BENCHMARK(BM_TrainingStep1T3072)->Unit(benchmark::kMicrosecond);

}  // namespace
