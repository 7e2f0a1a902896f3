#include "tensorfab/hw/chip.h"

#include <filesystem>

#include "tensorfab/config/reader.h"

namespace tfab::hw {

using config::Limits;
using config::MapReader;

std::optional<core::OpRate> ChipSpec::tensor_peak_for(core::NumberFormat format) const {
  auto it = tensor_peak.find(format);
  if (it == tensor_peak.end()) return std::nullopt;
  return it->second;
}

core::Result<ChipSpec> read_chip(const config::Node& doc, const std::string& id) {
  core::Diagnostics errors;
  MapReader top(doc, "", errors);
  ChipSpec chip;
  chip.id = id;  // the file name: ids are stable, and a preset's id must not leak into its users
  chip.name = top.required<std::string>("name", "full product name").value_or("");
  chip.vendor = top.required<std::string>("vendor", "who makes it").value_or("");
  chip.process_node = top.required<std::string>("process_node", "process node, e.g. tsmc-4n").value_or("");
  chip.package = top.required<std::string>("package", "packaging technology, e.g. cowos-s").value_or("");

  MapReader tensor = top.child("tensor", "dense peak throughput of the tensor units per number format");
  for (core::NumberFormat f : core::kAllNumberFormats) {
    std::string format(core::name(f));
    if (auto peak = tensor.optional<core::OpRate>(format, "dense peak in this format")) {
      chip.tensor_peak.emplace(f, *peak);
    }
  }
  tensor.finish();
  if (chip.tensor_peak.empty() && doc.find("tensor") != nullptr) {
    tensor.error(tensor.node(), "", "no number format given; expected at least one of bf16, fp8, ...");
  }

  chip.vector_peak = top.required<core::OpRate>("vector", "FP32 throughput outside the tensor units")
                         .value_or(core::OpRate{});
  chip.sram = top.required<core::Bytes>("sram", "on-chip SRAM, all levels").value_or(core::Bytes{});
  chip.chip_to_chip = top.required<core::Bandwidth>("chip_to_chip", "scale-up link bandwidth, both directions")
                          .value_or(core::Bandwidth{});
  chip.tdp = top.required<core::Power>("tdp", "thermal design power").value_or(core::Power{});

  MapReader memory = top.child("memory", "off-chip memory");
  chip.memory.type = memory.required<std::string>("type", "memory technology, e.g. HBM3").value_or("");
  chip.memory.stacks = static_cast<int>(
      memory.required<int64_t>("stacks", "number of stacks or devices", Limits::between(1, 64)).value_or(0));
  chip.memory.bandwidth_per_stack =
      memory.required<core::Bandwidth>("bandwidth_per_stack", "peak bandwidth of one stack")
          .value_or(core::Bandwidth{});
  chip.memory.capacity_per_stack =
      memory.required<core::Bytes>("capacity_per_stack", "capacity of one stack").value_or(core::Bytes{});
  memory.finish();

  MapReader efficiency = top.child("efficiency", "achievable fractions of peak, from microbenchmarks");
  chip.efficiency.tensor =
      efficiency.required<double>("tensor", "large-GEMM throughput / peak", Limits::fraction()).value_or(1.0);
  chip.efficiency.memory =
      efficiency.required<double>("memory", "streaming bandwidth / peak", Limits::fraction()).value_or(1.0);
  efficiency.finish();

  top.finish();
  if (!errors.empty()) return errors;
  return chip;
}

core::Result<ChipSpec> load_chip(const config::Catalog& catalog, std::string_view id_or_path,
                                 const config::Overrides& overrides) {
  auto path = catalog.locate("chips", id_or_path);
  if (!path) return path.errors();
  auto doc = config::load_with_presets(catalog, "chips", *path, overrides);
  if (!doc) return doc.errors();
  return read_chip(*doc, std::filesystem::path(*path).stem().string());
}

}  // namespace tfab::hw
