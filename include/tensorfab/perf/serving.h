#pragma once
// Serving figures for one chip: time to first token, time per output token,
// throughput, and what fits in memory. First cut: a static batch on a single
// chip, roofline tier.

#include <cstdint>
#include <string>
#include <vector>

#include "tensorfab/hw/chip.h"
#include "tensorfab/perf/roofline.h"
#include "tensorfab/workload/graph.h"

namespace tfab::perf {

struct MemoryUse {
  core::Bytes capacity;     // off-chip memory of the chip
  core::Bytes weights;
  core::Bytes kv_cache;     // the batch at full context (prompt + output)
  core::Bytes activations;  // largest live set during prefill
  bool fits = false;
  int64_t max_batch = 0;    // largest batch whose weights, cache and activations fit

  [[nodiscard]] core::Bytes total() const { return weights + kv_cache + activations; }
};

// Static batching: TTFT is the prefill of the whole batch, TPOT the mean
// decode step. Continuous batching (steady state): TTFT is the prefill of
// one prompt, ignoring queueing; each decode step also prefills the
// batch/output prompts that replace the sequences finishing in it, and runs
// at the mean context prompt + (output + 1)/2, exactly, since a batched
// step's work is linear in the sum of its sequences' contexts.
struct ServingResult {
  std::string chip_id;
  std::string model_id;
  workload::ServeScenario scenario;
  core::NumberFormat compute_format = core::NumberFormat::kBF16;

  core::Time time_to_first_token;   // prefill of the whole batch
  core::Time time_per_output_token; // mean decode step over the output
  core::Time decode_time;           // all decode steps
  double output_tokens_per_s = 0;   // batch x output / (prefill + decode), this chip
  double decode_tokens_per_s = 0;   // batch / time per output token
  MemoryUse memory;

  std::vector<OpCost> prefill_ops;
  std::vector<OpCost> decode_ops;   // at the mean context length of decode
};

[[nodiscard]] core::Result<ServingResult> evaluate_serving(const hw::ChipSpec& chip,
                                                           const workload::ModelSpec& model,
                                                           const workload::ServeScenario& scenario);

// Memory needed to serve `scenario` and the largest batch that fits.
[[nodiscard]] MemoryUse memory_use(const hw::ChipSpec& chip, const workload::ModelSpec& model,
                                   const workload::ServeScenario& scenario);

}  // namespace tfab::perf
