#include "tensorfab/hw/area.h"

#include <fmt/format.h>

#include <cmath>

namespace tfab::hw {

AreaCalibration read_area_calibration(config::MapReader r) {
  AreaCalibration c;
  c.lane_transistors = r.required<double>("lane_transistors", "transistors per FP32 lane equivalent").value_or(0);
  c.mac_per_lane = r.required<double>("mac_per_lane", "area of a BF16 MAC / an FP32 lane").value_or(0);
  c.sram_array_efficiency = r.required<double>("sram_array_efficiency", "SRAM density / bitcell density",
                                               config::Limits::between(0.01, 1))
                                .value_or(0);
  c.hbm_phy_depth = r.required<core::Length>("hbm_phy_depth", "depth of an HBM PHY").value_or(core::Length{});
  c.serdes_lane_area = r.required<core::Area>("serdes_lane_area", "area of one SerDes lane").value_or(core::Area{});
  c.serdes_lane_rate =
      r.required<core::Bandwidth>("serdes_lane_rate", "one lane's rate, one direction").value_or(core::Bandwidth{});
  r.finish();
  return c;
}

namespace {

// Dense BF16 MACs per cycle (FP16 where BF16 is absent), or nothing.
std::optional<double> macs_per_cycle(const TensorEngine& t) {
  if (!t.clock) return std::nullopt;
  for (core::NumberFormat f : {core::NumberFormat::kBF16, core::NumberFormat::kFP16}) {
    if (auto it = t.dense_peak.find(f); it != t.dense_peak.end()) {
      return it->second.base() / 2 / t.clock->base();
    }
  }
  return std::nullopt;
}

std::optional<double> vector_lanes(const VectorEngine& v) {
  if (v.lanes) return static_cast<double>(*v.lanes);
  if (v.clock && v.fp32_peak.base() > 0) return v.fp32_peak.base() / 2 / v.clock->base();
  return std::nullopt;
}

}  // namespace

core::Result<AreaBreakdown> estimate_area(const ChipSpec& chip, const tech::ProcessNode& node,
                                          const std::optional<package::MemoryStackTech>& memory,
                                          const AreaCalibration& cal, const MultiDieTech& multi_die) {
  core::Diagnostics missing;
  auto need = [&](bool have, std::string what, std::string key) {
    if (!have) missing.push_back(core::bad_input(chip.id + ": the area model needs " + what, std::move(key)));
  };
  const auto macs = macs_per_cycle(chip.tensor);
  const auto lanes = vector_lanes(chip.vector);
  const auto bitcell = node.sram_bitcell_mbit_per_mm2();
  need(macs.has_value(), "a BF16 or FP16 dense peak and the tensor clock", "tensor.dense, tensor.clock");
  need(lanes.has_value(), "the vector lanes (or the FP32 peak and vector clock)", "vector.lanes");
  need(node.logic_mtr_per_mm2.has_value(), "the logic density of " + node.id, "logic_mtr_per_mm2");
  need(bitcell.has_value(), "the SRAM bitcell of " + node.id, "sram_bitcell");
  need(memory && memory->width, "the width of a " + chip.memory.type + " stack", "memory width");
  if (chip.die_to_die) {
    const auto& d2d = multi_die.die_to_die;
    need(d2d && d2d->placement == package::Placement::kEdge && d2d->bandwidth_per_mm && d2d->phy_depth,
         "an edge interconnect with its bandwidth per mm and PHY depth for '" + chip.die_to_die->interconnect + "'",
         "die_to_die.interconnect");
  }
  std::optional<double> stacked_bitcell;
  if (chip.stacked_dies) {
    const auto& s = *chip.stacked_dies;
    need(multi_die.stacked_node.has_value(), "the stacked dies' node '" + s.process_node + "'",
         "stacked_dies.process_node");
    if (multi_die.stacked_node) {
      stacked_bitcell = multi_die.stacked_node->sram_bitcell_mbit_per_mm2();
      need(stacked_bitcell.has_value(), "the SRAM bitcell of " + multi_die.stacked_node->id,
           "stacked_dies.process_node");
    }
    need(multi_die.bonding && multi_die.bonding->placement == package::Placement::kStacked,
         "a stacked interconnect for '" + s.bonding + "'", "stacked_dies.bonding");
  }
  if (!missing.empty()) return missing;

  AreaBreakdown a;
  if (chip.tensor.units && chip.tensor.physical_units) {
    a.harvest = static_cast<double>(*chip.tensor.physical_units) / static_cast<double>(*chip.tensor.units);
  }
  const double mac_count = *macs * a.harvest, lane_count = *lanes * a.harvest;
  a.macs = std::llround(mac_count);
  a.lanes = std::llround(lane_count);

  const double mm2_per_transistor = 1.0 / (*node.logic_mtr_per_mm2 * 1e6);
  const auto mm2 = [](double v) { return core::Area::from_base(v * 1e-6); };
  a.tensor = mm2(mac_count * cal.mac_per_lane * cal.lane_transistors * mm2_per_transistor);
  a.logic = mm2((lane_count + mac_count * cal.mac_per_lane) * cal.lane_transistors * mm2_per_transistor);

  const auto held = [&](std::string_view item) { return chip.stacked_dies && chip.stacked_dies->holds_item(item); };
  const auto sram_area = [&](double sram_bits, double mbit_per_mm2) {
    return mm2(sram_bits / 1e6 / (mbit_per_mm2 * cal.sram_array_efficiency));
  };
  double bits = 0, stacked_bits = 0;
  for (const auto& level : chip.sram) {
    // Per-core memories come with the spare cores; shared ones are counted as given.
    (held(level.name) ? stacked_bits : bits) += level.total().base() * 8 * (level.instances > 1 ? a.harvest : 1.0);
  }
  a.sram = sram_area(bits, *bitcell);

  const core::Area memory_phy = *memory->width * cal.hbm_phy_depth * static_cast<double>(chip.memory.sites);

  core::Bandwidth links;
  for (const auto* l : {&chip.scale_up, &chip.scale_out, &chip.host}) {
    if (*l) links = links + (*l)->bandwidth();
  }
  const core::Area serdes = cal.serdes_lane_area * (links.base() / 2 / cal.serdes_lane_rate.base());

  if (chip.die_to_die && chip.dies > 1) {
    const auto& link = *multi_die.die_to_die;
    a.die_to_die_edge = core::Length::from_base(chip.die_to_die->bandwidth.base() / link.bandwidth_per_mm->base());
    a.die_to_die = a.die_to_die_edge * *link.phy_depth * static_cast<double>(chip.dies);
  }

  if (chip.stacked_dies) {
    AreaBreakdown::Stacked st;
    st.sram = sram_area(stacked_bits, *stacked_bitcell);
    st.memory_phy = held(kHoldsMemoryPhy) ? memory_phy : core::Area{};
    st.serdes = held(kHoldsLinks) ? serdes : core::Area{};
    st.total = st.sram + st.memory_phy + st.serdes;
    st.per_die = st.total / static_cast<double>(chip.stacked_dies->count);
    a.memory_phy = memory_phy - st.memory_phy;
    a.serdes = serdes - st.serdes;
    const auto& bonding = *multi_die.bonding;
    if (chip.stacked_dies->bandwidth && bonding.bandwidth_per_mm2) {
      st.bonds = core::Area::from_base(chip.stacked_dies->bandwidth->base() / bonding.bandwidth_per_mm2->base());
    }
    a.stacked = st;
  } else {
    a.memory_phy = memory_phy;
    a.serdes = serdes;
  }

  a.total = a.logic + a.sram + a.memory_phy + a.serdes + a.die_to_die;
  a.per_die = a.total / static_cast<double>(chip.dies);
  return a;
}

}  // namespace tfab::hw
