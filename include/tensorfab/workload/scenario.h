#pragma once
// What is asked of the chips: a serving scenario (a batch of requests with a
// prompt and an output length, the number formats used, how many chips
// share one copy of the model, and the latency the service promises).

#include <cstdint>
#include <optional>

#include "tensorfab/config/load.h"
#include "tensorfab/core/number_format.h"
#include "tensorfab/core/units.h"

namespace tfab::workload {

struct Formats {
  core::NumberFormat weights = core::NumberFormat::kBF16;
  core::NumberFormat activations = core::NumberFormat::kBF16;
  core::NumberFormat kv_cache = core::NumberFormat::kBF16;

  // Tensor units compute in the wider of the weight and activation formats:
  // weight-only quantisation (fp4 weights, bf16 activations) still runs the
  // matmuls in bf16 after dequantising.
  [[nodiscard]] core::NumberFormat compute() const;
  // Attention multiplies activations (queries, probabilities) by the cache
  // (keys, values): it runs in the wider of the two formats.
  [[nodiscard]] core::NumberFormat attention() const;
};

// Static batching prefills the whole batch together, then decodes it to the
// end. Continuous batching is a steady state: `batch` sequences decode at
// once and each that finishes is replaced straight away by a new prompt, so
// contexts are spread evenly over their range; lengths are then means.
enum class Batching { kStatic, kContinuous };
[[nodiscard]] std::string_view name(Batching b);

// Service-level bounds a continuous-batching deployment must meet; the
// largest batch that meets them (and fits) sets the throughput. Bounds are
// on the mean, or on a percentile: prompts arrive at random (Poisson), so
// some steps prefill more of them than the mean and take longer; the
// percentile step prefills the Poisson quantile of prompts.
struct LatencyBound {
  std::optional<core::Time> time_per_output_token;
  std::optional<core::Time> time_to_first_token;
  std::optional<double> percentile;  // 99 for p99; none: the mean

  [[nodiscard]] bool any() const { return time_per_output_token || time_to_first_token; }
};

struct ServeScenario {
  std::string name;           // the file's id, or "default"
  std::string fingerprint;    // of the resolved scenario document (config::fingerprint)
  int64_t batch = 1;          // concurrent sequences
  int64_t prompt_length = 1;  // tokens per prompt (mean, when continuous)
  int64_t output_length = 1;  // generated tokens per sequence (mean, when continuous)
  Batching batching = Batching::kStatic;
  int64_t tensor_parallel = 1;  // chips serving one copy of the model (Megatron-style tensor parallelism)
  LatencyBound latency;       // continuous batching only
  Formats formats;
  // The serving engine's host work for each forward pass (scheduling,
  // preparing inputs, sampling, processing outputs) that the chips wait
  // for: a property of the software, not the chip; none by default. Part of
  // it grows with the sequences in the pass (docs/performance-model.md).
  core::Time host_time_per_step;
  core::Time host_time_per_sequence;
  [[nodiscard]] core::Time host_time() const {
    return host_time_per_step + host_time_per_sequence * static_cast<double>(batch);
  }
};

[[nodiscard]] core::Result<ServeScenario> read_scenario(const config::Node& doc, const std::string& name);
[[nodiscard]] core::Result<ServeScenario> load_scenario(const config::Catalog& catalog,
                                                        std::string_view id_or_path,
                                                        const config::Overrides& overrides = {});

}  // namespace tfab::workload
