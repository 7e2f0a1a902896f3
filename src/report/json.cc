#include "tensorfab/report/json.h"

#include "tensorfab/core/version.h"

namespace tfab::report {

using nlohmann::ordered_json;

namespace {

ordered_json to_json(const workload::Work& w) {
  return {{"tensor_ops", quantity(w.tensor_ops)}, {"vector_ops", quantity(w.vector_ops)}, {"bytes", quantity(w.bytes)}};
}

ordered_json to_json(const std::vector<perf::OpCost>& ops) {
  ordered_json out = ordered_json::array();
  for (const auto& op : ops) {
    out.push_back({{"name", op.name},
                   {"kind", workload::name(op.kind)},
                   {"repeat", op.repeat},
                   {"work", to_json(op.work)},
                   {"time", quantity(op.time)},
                   {"bound", perf::name(op.bound)},
                   {"tensor_utilisation", op.tensor_utilisation}});
  }
  return out;
}

}  // namespace

ordered_json tool_info() { return {{"name", "tensorfab"}, {"version", core::kVersion}}; }

ordered_json to_json(const hw::ChipSpec& chip) {
  ordered_json tensor = ordered_json::object();
  for (const auto& [format, peak] : chip.tensor_peak) tensor[std::string(core::name(format))] = quantity(peak);
  return {{"id", chip.id},
          {"name", chip.name},
          {"vendor", chip.vendor},
          {"process_node", chip.process_node},
          {"package", chip.package},
          {"tensor_peak", tensor},
          {"vector_peak", quantity(chip.vector_peak)},
          {"sram", quantity(chip.sram)},
          {"memory",
           {{"type", chip.memory.type},
            {"stacks", chip.memory.stacks},
            {"bandwidth", quantity(chip.memory.bandwidth())},
            {"capacity", quantity(chip.memory.capacity())}}},
          {"chip_to_chip", quantity(chip.chip_to_chip)},
          {"tdp", quantity(chip.tdp)},
          {"efficiency", {{"tensor", chip.efficiency.tensor}, {"memory", chip.efficiency.memory}}}};
}

ordered_json to_json(const workload::ServeScenario& s) {
  return {{"name", s.name},
          {"batch", s.batch},
          {"prompt_length", s.prompt_length},
          {"output_length", s.output_length},
          {"formats",
           {{"weights", core::name(s.formats.weights)},
            {"activations", core::name(s.formats.activations)},
            {"kv_cache", core::name(s.formats.kv_cache)}}}};
}

ordered_json to_json(const perf::ServingResult& r, bool with_ops) {
  const auto& m = r.memory;
  ordered_json out = {
      {"chip", r.chip_id},
      {"model", r.model_id},
      {"scenario", to_json(r.scenario)},
      {"tier", "roofline"},
      {"compute_format", core::name(r.compute_format)},
      {"time_to_first_token", quantity(r.time_to_first_token)},
      {"time_per_output_token", quantity(r.time_per_output_token)},
      {"decode_time", quantity(r.decode_time)},
      {"output_tokens_per_s_per_chip", r.output_tokens_per_s},
      {"decode_tokens_per_s_per_chip", r.decode_tokens_per_s},
      {"memory",
       {{"capacity", quantity(m.capacity)},
        {"weights", quantity(m.weights)},
        {"kv_cache", quantity(m.kv_cache)},
        {"activations", quantity(m.activations)},
        {"total", quantity(m.total())},
        {"fits", m.fits},
        {"max_batch", m.max_batch}}},
  };
  if (with_ops) {
    out["prefill_ops"] = to_json(r.prefill_ops);
    out["decode_ops"] = to_json(r.decode_ops);
  }
  return out;
}

}  // namespace tfab::report
