#include "tensorfab/tech/process.h"

#include <array>

#include "tensorfab/config/reader.h"

namespace tfab::tech {

core::Result<ProcessNode> read_node(const config::Node& doc, const std::string& id) {
  core::Diagnostics errors;
  config::MapReader r(doc, "", errors);
  ProcessNode n;
  n.id = id;
  n.name = r.required<std::string>("name", "the node's marketing name").value_or("");
  n.foundry = r.required<std::string>("foundry", "who makes it").value_or("");
  static const std::array<std::string, 2> kStatus{"production", "projection"};
  n.projection = r.choice("status", "production, or projection for a node not yet shipping", kStatus, true)
                     .value_or("production") == "projection";
  n.logic_mtr_per_mm2 = r.optional<double>("logic_mtr_per_mm2", "logic density, MTr/mm^2");
  n.sram_bitcell = r.optional<core::Area>("sram_bitcell", "high-density SRAM bitcell area");
  n.wafer_price = r.optional<core::Money>("wafer_price", "price of a 300 mm wafer");
  n.defects_per_cm2 = r.optional<double>("defects_per_cm2", "killer defect density D0 per cm^2");
  r.finish();
  if (!errors.empty()) return errors;
  return n;
}

core::Result<ProcessNode> load_node(const config::Catalog& catalog, std::string_view id_or_path,
                                    const config::Overrides& overrides) {
  return config::load_spec(catalog, "nodes", id_or_path, overrides, read_node);
}

}  // namespace tfab::tech
