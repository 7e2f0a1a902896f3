#include "tensorfab/report/serving.h"

#include <fmt/format.h>

namespace tfab::report {

Table serving_table(std::span<const ServingRow> rows, size_t baseline) {
  std::vector<std::string> headers{"chip", "tensor peak", "HBM", "HBM BW", "batch", "TTFT", "TPOT", "tok/s/chip",
                                   "max batch", "fits"};
  const bool compare = rows.size() > 1 && baseline < rows.size();
  if (compare) headers.push_back("vs " + rows[baseline].chip->id);
  Table t(std::move(headers));
  for (const auto& row : rows) {
    const auto& r = *row.result;
    const auto& c = *row.chip;
    std::vector<std::string> cells{
        c.id,
        fmt::format("{} {}", core::format(c.tensor_peak_for(r.compute_format).value_or(core::OpRate{})),
                    core::name(r.compute_format)),
        core::format(c.memory.capacity()),
        core::format(c.memory.bandwidth()),
        fmt::format("{}{}{}", r.scenario.batch,
                    r.batch_limit == perf::BatchLimit::kScenario ? "" : fmt::format(" ({})", perf::name(r.batch_limit)),
                    r.load < 1 ? fmt::format(", {:.0f}% load", 100 * r.load) : ""),
        core::format(r.time_to_first_token),
        core::format(r.time_per_output_token),
        r.output_tokens_per_s_per_chip < 1e7 ? fmt::format("{:.0f}", r.output_tokens_per_s_per_chip)
                                             : fmt::format("{:.3g}", r.output_tokens_per_s_per_chip),
        fmt::format("{}", r.memory.max_batch),
        r.memory.fits ? "yes" : fmt::format("no ({} > {})", core::format(r.memory.total()),
                                             core::format(r.memory.capacity)),
    };
    if (compare) {
      cells.push_back(fmt::format("{:.2f}x", r.output_tokens_per_s_per_chip /
                                                 rows[baseline].result->output_tokens_per_s_per_chip));
    }
    t.add_row(std::move(cells));
  }
  return t;
}

Table ops_table(const std::vector<perf::OpCost>& ops) {
  Table t({"op", "kind", "x", "time", "tensor ops", "vector ops", "bytes", "bound", "tensor util", "mapping"});
  for (const auto& op : ops) {
    t.add_row({op.name, std::string(workload::name(op.kind)), fmt::format("{}", op.repeat), core::format(op.time),
               core::format(op.work.tensor_ops), core::format(op.work.vector_ops), core::format(op.work.bytes),
               std::string(perf::name(op.bound)), fmt::format("{:.1f}%", 100 * op.tensor_utilisation), op.mapping});
  }
  return t;
}

std::string describe(const workload::ServeScenario& s, std::string_view model_id) {
  std::string text = fmt::format("{} · {} batch {} · prompt {} · output {} · weights {}, activations {}, KV cache {}",
                                 model_id, workload::name(s.batching), s.batch, s.prompt_length, s.output_length,
                                 core::name(s.formats.weights), core::name(s.formats.activations),
                                 core::name(s.formats.kv_cache));
  if (s.tensor_parallel > 1) text += fmt::format(" · tensor parallel over {} chips", s.tensor_parallel);
  if (s.latency.time_per_output_token) text += " · TPOT <= " + core::format(*s.latency.time_per_output_token);
  if (s.latency.time_to_first_token) text += " · TTFT <= " + core::format(*s.latency.time_to_first_token);
  if (s.latency.percentile) text += fmt::format(" at p{:g}", *s.latency.percentile);
  if (s.host_time() > core::Time{}) text += " · host " + core::format(s.host_time()) + " a step";
  return text;
}

std::string serving_footnote(const workload::ServeScenario& s, perf::Tier tier) {
  const char* figures = s.batching == workload::Batching::kContinuous
                            ? "Continuous batching, steady state: each step decodes the batch and prefills the prompts "
                              "replacing finished sequences; TPOT = one step, TTFT = 1.5 steps. The batch is the "
                              "scenario's, or less where memory or a latency bound limits it; under a TTFT bound, "
                              "random arrivals keep it loaded only as far as queueing allows (load)."
                            : "Static batch: TTFT = prefill of the batch; TPOT = mean decode step.";
  const char* how = "";
  switch (tier) {
    case perf::Tier::kRoofline:
      how = "Roofline tier: each op at the slowest of tensor, vector, memory and link time, at peak x measured "
            "efficiency.";
      break;
    case perf::Tier::kTile:
      how = "Tile tier: GEMMs tiled onto the chip's cores (padding, waves, split-K, blocked memory traffic), "
            "attention padded to tiles, per-op overheads.";
      break;
    case perf::Tier::kCycle:
      how = "Cycle tier: GEMMs simulated cycle by cycle on the chip's systolic arrays; other ops as the tile tier.";
      break;
  }
  return fmt::format("{} Throughput per chip.\n{}\n", how, figures);
}

Table sweep_table(const std::vector<perf::BatchPoint>& points) {
  Table t({"batch", "TTFT", "TPOT", "tok/s/chip", "fits"});
  for (const auto& p : points) {
    t.add_row({fmt::format("{}", p.batch), core::format(p.time_to_first_token), core::format(p.time_per_output_token),
               fmt::format("{:.0f}", p.output_tokens_per_s_per_chip), p.fits ? "yes" : "no"});
  }
  return t;
}

}  // namespace tfab::report
