#include "tensorfab/report/serving.h"

#include <fmt/format.h>

namespace tfab::report {

Table serving_table(std::span<const ServingRow> rows, size_t baseline) {
  std::vector<std::string> headers{"chip", "tensor peak", "HBM", "HBM BW", "TTFT", "TPOT", "tok/s/chip",
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
        core::format(r.time_to_first_token),
        core::format(r.time_per_output_token),
        r.output_tokens_per_s < 1e7 ? fmt::format("{:.0f}", r.output_tokens_per_s)
                                    : fmt::format("{:.3g}", r.output_tokens_per_s),
        fmt::format("{}", r.memory.max_batch),
        r.memory.fits ? "yes" : fmt::format("no ({} > {})", core::format(r.memory.total()),
                                             core::format(r.memory.capacity)),
    };
    if (compare) {
      cells.push_back(fmt::format("{:.2f}x", r.output_tokens_per_s / rows[baseline].result->output_tokens_per_s));
    }
    t.add_row(std::move(cells));
  }
  return t;
}

Table ops_table(const std::vector<perf::OpCost>& ops) {
  Table t({"op", "kind", "x", "time", "tensor ops", "vector ops", "bytes", "bound", "tensor util"});
  for (const auto& op : ops) {
    t.add_row({op.name, std::string(workload::name(op.kind)), fmt::format("{}", op.repeat), core::format(op.time),
               core::format(op.work.tensor_ops), core::format(op.work.vector_ops), core::format(op.work.bytes),
               std::string(perf::name(op.bound)), fmt::format("{:.1f}%", 100 * op.tensor_utilisation)});
  }
  return t;
}

std::string describe(const workload::ServeScenario& s, std::string_view model_id) {
  return fmt::format("{} · {} batch {} · prompt {} · output {} · weights {}, activations {}, KV cache {}", model_id,
                     workload::name(s.batching), s.batch, s.prompt_length, s.output_length,
                     core::name(s.formats.weights), core::name(s.formats.activations),
                     core::name(s.formats.kv_cache));
}

std::string serving_footnote(const workload::ServeScenario& s) {
  const char* figures = s.batching == workload::Batching::kContinuous
                            ? "Continuous batching, steady state: TTFT = prefill of one prompt; TPOT = decode step at the "
                              "mean context plus the prefills arriving per step."
                            : "Static batch: TTFT = prefill of the batch; TPOT = mean decode step.";
  return fmt::format("Roofline tier: each op at the slowest of tensor, vector and memory time, at peak x measured "
                     "efficiency. Per chip.\n{}\n",
                     figures);
}

}  // namespace tfab::report
