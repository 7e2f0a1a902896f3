#include "tensorfab/report/chip_sheet.h"

#include <fmt/format.h>

#include <algorithm>

namespace tfab::report {
namespace {

constexpr const char* kUnknown = "unknown";

template <class Q>
std::string maybe(const std::optional<Q>& q) {
  return q ? core::format(*q) : kUnknown;
}

std::string link_text(const std::optional<hw::LinkSpec>& l) {
  if (!l) return "none";
  return fmt::format("{} x {} = {} ({}, {})", l->count, core::format(l->bandwidth_per_link), core::format(l->bandwidth()),
                     l->name, l->network);
}

std::string number(double v, int decimals) { return fmt::format("{:.{}f}", v, decimals); }

}  // namespace

std::vector<SheetRow> chip_sheet(const hw::ChipSpec& chip) {
  const hw::DerivedFigures d = hw::derive(chip);
  const auto& t = chip.tensor;
  std::vector<SheetRow> rows{
      {"name", chip.name},
      {"vendor", chip.vendor},
      {"process node", chip.process_node},
      {"package", chip.package},
      {"logic dies", fmt::format("{}", chip.dies)},
      {"die area", maybe(chip.die_area)},
      {"transistors", chip.transistors ? fmt::format("{:.1f} B", *chip.transistors / 1e9) : kUnknown},
      {"tensor units", t.units ? fmt::format("{}", *t.units) : kUnknown},
      {"tensor array", t.array_rows ? fmt::format("{}x{}", *t.array_rows, *t.array_cols) : kUnknown},
      {"tensor clock", maybe(t.clock)},
      {"2:4 sparsity speed-up", t.sparsity_speedup > 1 ? fmt::format("{}x", t.sparsity_speedup) : "none"},
  };
  for (const auto& f : d.formats) {
    const std::string fmt_name(core::name(f.format));
    rows.push_back({fmt_name + " dense peak", core::format(f.dense)});
    if (t.sparsity_speedup > 1) rows.push_back({fmt_name + " sparse peak", core::format(f.sparse)});
    rows.push_back({fmt_name + " ridge point", number(f.ridge_flop_per_byte, 0) + " FLOP/B"});
    rows.push_back({fmt_name + " ops/cycle/unit",
                    f.ops_per_cycle_per_unit ? number(*f.ops_per_cycle_per_unit, 0) : kUnknown});
  }
  rows.push_back({"vector FP32", core::format(chip.vector.fp32_peak)});
  rows.push_back({"vector lanes", chip.vector.lanes ? fmt::format("{}", *chip.vector.lanes) : kUnknown});
  rows.push_back({"transcendentals", chip.vector.transcendental ? core::format(*chip.vector.transcendental) : kUnknown});
  for (const auto& level : chip.sram) {
    std::string value = level.instances > 1
                            ? fmt::format("{} x {} = {}", level.instances, core::format(level.capacity), core::format(level.total()))
                            : core::format(level.capacity);
    if (level.bandwidth) value += ", " + core::format(*level.bandwidth);
    rows.push_back({"SRAM " + level.name, value});
  }
  rows.push_back({"SRAM total", core::format(d.sram_total)});
  rows.push_back({"SRAM per BF16 TFLOP/s", number(d.sram_mib_per_tflops, 3) + " MiB"});
  rows.push_back({"on-chip network", chip.noc ? chip.noc->topology : kUnknown});
  rows.push_back({"memory", fmt::format("{} x {} {}", chip.memory.stacks, core::format(chip.memory.capacity_per_stack),
                                        chip.memory.type)});
  rows.push_back({"memory capacity", core::format(d.memory_capacity)});
  rows.push_back({"memory bandwidth", core::format(d.memory_bandwidth)});
  rows.push_back({"bytes per BF16 FLOP", number(d.bytes_per_flop_bf16, 5)});
  rows.push_back({"scale-up links", link_text(chip.scale_up)});
  rows.push_back({"scale-up per BF16 TFLOP/s", number(d.chip_to_chip_gbps_per_tflops, 2) + " GB/s"});
  rows.push_back({"scale-out links", link_text(chip.scale_out)});
  rows.push_back({"host link", link_text(chip.host)});
  rows.push_back({"TDP", core::format(chip.tdp)});
  rows.push_back({"GEMM efficiency", number(chip.efficiency.tensor, 3)});
  rows.push_back({"memory efficiency", number(chip.efficiency.memory, 3)});
  // Left out of a chip file, these take their ideal value: say so.
  const auto& e = chip.efficiency;
  rows.push_back({"decode-attention efficiency",
                  e.attention ? number(*e.attention, 3) : "none given (memory efficiency)"});
  rows.push_back({"per-op overhead", e.op_overhead.base() > 0 ? core::format(e.op_overhead) : "none given (ideal: 0)"});
  for (const auto& [format, figures] : e.by_format) {
    const std::string f(core::name(format));
    if (figures.tensor) rows.push_back({"GEMM efficiency, " + f, number(*figures.tensor, 3)});
    if (figures.op_overhead) rows.push_back({"per-op overhead, " + f, core::format(*figures.op_overhead)});
  }
  rows.push_back({"all-reduce efficiency", number(e.link, 3)});
  rows.push_back({"link latency per ring step",
                  e.link_latency.base() > 0 ? core::format(e.link_latency) : "none given (ideal: 0)"});
  if (const auto& m = chip.measured_power) {
    rows.push_back({"measured idle power", core::format(m->idle)});
    for (const auto& [format, g] : m->gemm) {
      rows.push_back({"measured GEMM power, " + std::string(core::name(format)),
                      core::format(g.power) + " at " + core::format(g.clock)});
    }
    rows.push_back({"measured streaming power",
                    core::format(m->stream_power) + " at " + core::format(m->stream_bandwidth)});
  }
  return rows;
}

Table compare_chips(const std::vector<hw::ChipSpec>& chips) {
  std::vector<std::vector<SheetRow>> sheets;
  std::vector<std::string> labels;
  for (const auto& chip : chips) {
    sheets.push_back(chip_sheet(chip));
    for (const auto& row : sheets.back()) {
      if (std::find(labels.begin(), labels.end(), row.label) == labels.end()) labels.push_back(row.label);
    }
  }
  std::vector<std::string> headers{""};
  for (const auto& chip : chips) headers.push_back(chip.id);
  Table table(std::move(headers), Table::Layout::kText);
  for (const auto& label : labels) {
    std::vector<std::string> cells{label};
    for (const auto& sheet : sheets) {
      auto it = std::find_if(sheet.begin(), sheet.end(), [&](const SheetRow& r) { return r.label == label; });
      cells.push_back(it == sheet.end() ? "-" : it->value);
    }
    table.add_row(std::move(cells));
  }
  return table;
}

}  // namespace tfab::report
