#pragma once
// Serving figures for one model replica: time to first token, time per
// output token, throughput, what fits in memory, and under continuous
// batching the largest batch that meets the memory and latency bounds.
// A replica is `tensor_parallel` chips; graphs are one chip's share, with
// the all-reduces between them.
//
// Static batching: TTFT is the prefill of the whole batch; decode step k
// attends over prompt + k tokens, and all steps are summed in closed form.
//
// Continuous batching (steady state, in-flight batching with piggybacked
// prefill): each step decodes one token for every sequence and prefills the
// batch / output prompts that replace those finishing (workload::
// continuous_step_graph). Contexts are spread evenly over prompt + 1 ..
// prompt + output, so a step costs the mean of its ops over that range
// (summed in closed form). TPOT is one step; TTFT is the step that
// prefills the prompt plus, on average, half a step waiting for it to
// start. With a latency percentile, the tail step prefills the Poisson
// quantile of prompts instead of the mean. With a TTFT bound, requests
// queue for a free slot (an M/M/c queue: Poisson arrivals, `batch` slots,
// each held for output x TPOT): the load is the largest fraction of the
// batch's capacity at which waiting plus the prefill step still meets the
// bound, and throughput is scaled by it.

#include <cstdint>
#include <string>
#include <vector>

#include "tensorfab/hw/chip.h"
#include "tensorfab/perf/tier.h"
#include "tensorfab/workload/graph.h"

namespace tfab::perf {

struct MemoryUse {
  core::Bytes capacity;     // off-chip memory of one chip
  core::Bytes weights;      // one chip's share
  core::Bytes kv_cache;     // the batch at full context (prompt + output)
  core::Bytes activations;  // largest live set during prefill
  bool fits = false;
  int64_t max_batch = 0;    // largest batch whose weights, cache and activations fit

  [[nodiscard]] core::Bytes total() const { return weights + kv_cache + activations; }
};

// What set the batch of a continuous-batching evaluation.
enum class BatchLimit { kScenario, kMemory, kLatency };
[[nodiscard]] std::string_view name(BatchLimit limit);

struct ServingResult {
  std::string chip_id;
  std::string model_id;
  workload::ServeScenario scenario;  // as evaluated: batch is the batch chosen
  core::NumberFormat compute_format = core::NumberFormat::kBF16;
  Tier tier = Tier::kTile;

  core::Time time_to_first_token;
  core::Time time_per_output_token;   // mean over the output
  core::Time tail_time_per_output_token;  // at the latency bound's percentile (continuous; else the mean)
  core::Time decode_time;             // all decode steps (static batching)
  double output_tokens_per_s = 0;     // the replica, prefill included (times the load)
  double load = 1;                    // continuous: usable fraction of capacity under the TTFT bound
  double output_tokens_per_s_per_chip = 0;
  double decode_tokens_per_s = 0;     // batch / time per output token
  BatchLimit batch_limit = BatchLimit::kScenario;
  bool meets_latency = true;          // false when even batch 1 misses a bound
  MemoryUse memory;

  std::vector<OpCost> prefill_ops;  // static batching: the prefill pass
  std::vector<OpCost> decode_ops;   // a decode (or continuous) step at the mean context
};

[[nodiscard]] core::Result<ServingResult> evaluate_serving(const hw::ChipSpec& chip, const workload::ModelSpec& model,
                                                           const workload::ServeScenario& scenario,
                                                           Tier tier = Tier::kTile);

// The same with a caller's timer, whose cache of mapped shapes is reused.
[[nodiscard]] core::Result<ServingResult> evaluate_serving(OpTimer& timer, const hw::ChipSpec& chip,
                                                           const workload::ModelSpec& model,
                                                           const workload::ServeScenario& scenario);

// Throughput against batch: the scenario at batch 1, 2, 4, ... up to the
// largest that fits in memory (and the scenario's batch, if larger).
struct BatchPoint {
  int64_t batch = 0;
  core::Time time_to_first_token, time_per_output_token;
  double output_tokens_per_s_per_chip = 0;
  bool fits = false;
};
[[nodiscard]] core::Result<std::vector<BatchPoint>> throughput_vs_batch(OpTimer& timer, const hw::ChipSpec& chip,
                                                                        const workload::ModelSpec& model,
                                                                        const workload::ServeScenario& scenario);

// Erlang's C formula: the probability that an arrival waits in an M/M/c
// queue of `servers` servers, each busy a fraction `load` (< 1) of the
// time. Exact (Erlang B recursion) up to 10^5 servers; beyond, the
// Halfin-Whitt limit.
[[nodiscard]] double erlang_c(int64_t servers, double load);

// Memory one chip needs to serve `scenario`, and the largest batch that fits.
[[nodiscard]] MemoryUse memory_use(const hw::ChipSpec& chip, const workload::ModelSpec& model,
                                   const workload::ServeScenario& scenario);

}  // namespace tfab::perf
