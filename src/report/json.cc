#include "tensorfab/report/json.h"

#include "tensorfab/core/version.h"

namespace tfab::report {

using nlohmann::ordered_json;

namespace {

ordered_json to_json(const workload::Work& w) {
  return {{"tensor_ops", quantity(w.tensor_ops)}, {"vector_ops", quantity(w.vector_ops)}, {"bytes", quantity(w.bytes)}};
}

}  // namespace

ordered_json to_json(const std::vector<perf::BatchPoint>& points) {
  ordered_json out = ordered_json::array();
  for (const auto& p : points) {
    out.push_back({{"batch", p.batch},
                   {"time_to_first_token", quantity(p.time_to_first_token)},
                   {"time_per_output_token", quantity(p.time_per_output_token)},
                   {"output_tokens_per_s_per_chip", p.output_tokens_per_s_per_chip},
                   {"fits", p.fits}});
  }
  return out;
}

namespace {

ordered_json to_json(const std::vector<perf::OpCost>& ops) {
  ordered_json out = ordered_json::array();
  for (const auto& op : ops) {
    out.push_back({{"name", op.name},
                   {"kind", workload::name(op.kind)},
                   {"repeat", op.repeat},
                   {"work", to_json(op.work)},
                   {"time", quantity(op.time)},
                   {"bound", perf::name(op.bound)},
                   {"tensor_utilisation", op.tensor_utilisation},
                   {"mapping", op.mapping}});
  }
  return out;
}

}  // namespace

ordered_json tool_info() { return {{"name", "tensorfab"}, {"version", core::kVersion}}; }

ordered_json to_json(const hw::ChipSpec& chip) {
  auto link = [&](const std::optional<hw::LinkSpec>& l) {
    if (!l) return ordered_json();
    return ordered_json{{"name", l->name},
                        {"network", l->network},
                        {"count", l->count},
                        {"bandwidth_per_link", quantity(l->bandwidth_per_link)},
                        {"bandwidth", quantity(l->bandwidth())}};
  };
  const auto& t = chip.tensor;
  ordered_json dense = ordered_json::object();
  for (const auto& [format, peak] : t.dense_peak) dense[std::string(core::name(format))] = quantity(peak);
  ordered_json sram = ordered_json::array();
  for (const auto& level : chip.sram) {
    sram.push_back({{"name", level.name},
                    {"capacity", quantity(level.capacity)},
                    {"instances", level.instances},
                    {"bandwidth", optional(level.bandwidth)}});
  }
  ordered_json by_format = ordered_json::object();
  for (const auto& [format, figures] : chip.efficiency.by_format) {
    by_format[std::string(core::name(format))] = {
        {"tensor", optional(figures.tensor)}, {"op_overhead", optional(figures.op_overhead)}};
  }
  ordered_json measured_power;  // null where not measured
  if (const auto& m = chip.measured_power) {
    ordered_json gemm = ordered_json::object();
    for (const auto& [format, g] : m->gemm) {
      gemm[std::string(core::name(format))] = {
          {"power", quantity(g.power)}, {"clock", quantity(g.clock)}, {"rate", quantity(g.rate)}};
    }
    measured_power = {{"idle", quantity(m->idle)},
                      {"gemm", gemm},
                      {"stream", {{"power", quantity(m->stream_power)}, {"bandwidth", quantity(m->stream_bandwidth)}}}};
  }
  const hw::DerivedFigures d = hw::derive(chip);
  ordered_json per_format = ordered_json::object();
  for (const auto& f : d.formats) {
    per_format[std::string(core::name(f.format))] = {{"dense", quantity(f.dense)},
                                                     {"sparse", quantity(f.sparse)},
                                                     {"ridge_flop_per_byte", f.ridge_flop_per_byte},
                                                     {"ops_per_cycle_per_unit", optional(f.ops_per_cycle_per_unit)}};
  }
  return {{"id", chip.id},
          {"fingerprint", chip.fingerprint},
          {"name", chip.name},
          {"vendor", chip.vendor},
          {"process_node", chip.process_node},
          {"package", chip.package},
          {"dies", chip.dies},
          {"die_area", optional(chip.die_area)},
          {"transistors", optional(chip.transistors)},
          {"tensor",
           {{"units", optional(t.units)},
            {"array_rows", optional(t.array_rows)},
            {"array_cols", optional(t.array_cols)},
            {"clock", optional(t.clock)},
            {"sparsity_speedup", t.sparsity_speedup},
            {"dense", dense}}},
          {"vector",
           {{"lanes", optional(chip.vector.lanes)},
            {"clock", optional(chip.vector.clock)},
            {"fp32", quantity(chip.vector.fp32_peak)},
            {"transcendental", optional(chip.vector.transcendental)}}},
          {"sram", sram},
          {"noc", chip.noc ? ordered_json{{"topology", chip.noc->topology},
                                          {"bisection_bandwidth", optional(chip.noc->bisection_bandwidth)}}
                           : ordered_json()},
          {"memory",
           {{"type", chip.memory.type},
            {"stacks", chip.memory.stacks},
            {"bandwidth_per_stack", quantity(chip.memory.bandwidth_per_stack)},
            {"capacity_per_stack", quantity(chip.memory.capacity_per_stack)}}},
          {"links", {{"scale_up", link(chip.scale_up)}, {"scale_out", link(chip.scale_out)}, {"host", link(chip.host)}}},
          {"tdp", quantity(chip.tdp)},
          {"efficiency",
           {{"tensor", chip.efficiency.tensor},
            {"memory", chip.efficiency.memory},
            {"attention", chip.efficiency.attention ? ordered_json(*chip.efficiency.attention) : ordered_json()},
            {"op_overhead", quantity(chip.efficiency.op_overhead)},
            {"link", chip.efficiency.link},
            {"link_latency", quantity(chip.efficiency.link_latency)},
            {"by_format", by_format}}},
          {"measured_power", measured_power},
          {"derived",
           {{"per_format", per_format},
            {"memory_bandwidth", quantity(d.memory_bandwidth)},
            {"memory_capacity", quantity(d.memory_capacity)},
            {"sram_total", quantity(d.sram_total)},
            {"bytes_per_flop_bf16", d.bytes_per_flop_bf16},
            {"sram_mib_per_tflops_bf16", d.sram_mib_per_tflops},
            {"chip_to_chip_gbps_per_tflops_bf16", d.chip_to_chip_gbps_per_tflops}}}};
}

ordered_json to_json(const workload::ServeScenario& s) {
  return {{"name", s.name},
          {"fingerprint", s.fingerprint},
          {"batch", s.batch},
          {"prompt_length", s.prompt_length},
          {"output_length", s.output_length},
          {"batching", workload::name(s.batching)},
          {"tensor_parallel", s.tensor_parallel},
          {"latency",
           {{"time_per_output_token", s.latency.time_per_output_token ? quantity(*s.latency.time_per_output_token)
                                                                     : ordered_json()},
            {"time_to_first_token",
             s.latency.time_to_first_token ? quantity(*s.latency.time_to_first_token) : ordered_json()}}},
          {"formats",
           {{"weights", core::name(s.formats.weights)},
            {"activations", core::name(s.formats.activations)},
            {"kv_cache", core::name(s.formats.kv_cache)}}},
          {"host_time_per_step", quantity(s.host_time_per_step)},
          {"host_time_per_sequence", quantity(s.host_time_per_sequence)}};
}

ordered_json to_json(const perf::ServingResult& r, bool with_ops) {
  const auto& m = r.memory;
  ordered_json out = {
      {"chip", r.chip_id},
      {"model", r.model_id},
      {"scenario", to_json(r.scenario)},
      {"tier", perf::name(r.tier)},
      {"compute_format", core::name(r.compute_format)},
      {"time_to_first_token", quantity(r.time_to_first_token)},
      {"time_per_output_token", quantity(r.time_per_output_token)},
      {"decode_time", quantity(r.decode_time)},
      {"output_tokens_per_s", r.output_tokens_per_s},
      {"output_tokens_per_s_per_chip", r.output_tokens_per_s_per_chip},
      {"decode_tokens_per_s", r.decode_tokens_per_s},
      {"batch_limited_by", perf::name(r.batch_limit)},
      {"load", r.load},
      {"meets_latency", r.meets_latency},
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
