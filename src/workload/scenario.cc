#include "tensorfab/workload/scenario.h"

#include <array>
#include <vector>

#include "tensorfab/config/reader.h"

namespace tfab::workload {

namespace {
const std::array<std::string, 2> kBatchingNames{"static", "continuous"};
}  // namespace

std::string_view name(Batching b) { return kBatchingNames[static_cast<size_t>(b)]; }

core::NumberFormat Formats::compute() const {
  return core::bits_per_element(weights) >= core::bits_per_element(activations) ? weights : activations;
}

core::NumberFormat Formats::attention() const {
  return core::bits_per_element(activations) >= core::bits_per_element(kv_cache) ? activations : kv_cache;
}

core::Result<ServeScenario> read_scenario(const config::Node& doc, const std::string& name) {
  core::Diagnostics errors;
  config::MapReader top(doc, "", errors);
  config::MapReader serve = top.child("serve", "a serving scenario");
  top.finish();

  ServeScenario s;
  s.name = name;
  const auto tokens = config::Limits::between(1, 1e8);
  s.batch = serve.required<int64_t>("batch", "concurrent sequences", config::Limits::between(1, 1e7)).value_or(1);
  s.prompt_length = serve.required<int64_t>("prompt_length", "tokens per prompt", tokens).value_or(1);
  s.output_length = serve.required<int64_t>("output_length", "generated tokens per sequence", tokens).value_or(1);
  if (auto b = serve.choice("batching", "static or continuous", kBatchingNames, false)) {
    s.batching = *b == "continuous" ? Batching::kContinuous : Batching::kStatic;
  }

  s.tensor_parallel = serve.optional<int64_t>("tensor_parallel", "chips sharing one copy of the model",
                                              config::Limits::between(1, 1024))
                          .value_or(1);
  auto host_time = [&](std::string_view key, std::string_view what, double most) {
    return serve.optional<core::Time>(key, what, config::Limits::between(0, most)).value_or(core::Time{});
  };
  s.host_time_per_step =
      host_time("host_time_per_step", "the serving engine's host time per forward pass", 3600);
  s.host_time_per_sequence =
      host_time("host_time_per_sequence", "the serving engine's host time per sequence in a forward pass", 1);
  config::MapReader latency = serve.child("latency", "latency bounds (continuous batching)", /*is_required=*/false);
  s.latency.time_per_output_token = latency.optional<core::Time>("time_per_output_token", "mean time per output token");
  s.latency.time_to_first_token = latency.optional<core::Time>("time_to_first_token", "mean time to the first token");
  s.latency.percentile = latency.optional<double>("percentile", "percentile the bounds hold at (99: p99)",
                                                 config::Limits::between(50, 99.99));
  latency.finish();
  if (s.latency.any() && s.batching != Batching::kContinuous) {
    serve.error(latency.node(), "latency", "latency bounds apply to continuous batching",
                {"set batching: continuous, or remove the latency bounds"});
  }

  config::MapReader formats = serve.child("formats", "number formats", /*is_required=*/false);
  s.formats.weights = formats.number_format("weights", "format the weights are stored in", s.formats.weights);
  s.formats.activations = formats.number_format("activations", "format of activations", s.formats.activations);
  s.formats.kv_cache = formats.number_format("kv_cache", "format of the KV cache", s.formats.kv_cache);
  formats.finish();
  serve.finish();
  if (!errors.empty()) return errors;
  return s;
}

core::Result<ServeScenario> load_scenario(const config::Catalog& catalog, std::string_view id_or_path,
                                          const config::Overrides& overrides) {
  return config::load_spec(catalog, "scenarios", id_or_path, overrides, read_scenario);
}

}  // namespace tfab::workload
