#pragma once
// Die area from the microarchitecture: what a chip's units, SRAM and
// interfaces take on its process node (docs/physical-model.md).
//
//   logic   (FP32 lanes + mac_per_lane x BF16 MACs) x transistors per lane
//           / the node's logic density; spare units of a harvested die count
//   SRAM    bits / (bitcell density x array efficiency)
//   HBM     one PHY per memory site: the stack's width along the die edge x depth
//   SerDes  link bandwidth per direction / lane rate x lane area
//   die-to-die  each die's share of bandwidth / bandwidth per mm of edge x PHY depth
//
// Stacked dies (chip.stacked_dies) take what they hold off the logic dies:
// their SRAM at their own node's bitcell, their PHYs as they are.
//
// The constants come from data/physical/calibration.yaml: published
// figures, and one fit on V100, a chip none of the checked ones.

#include <optional>
#include <string>

#include "tensorfab/config/reader.h"
#include "tensorfab/hw/chip.h"
#include "tensorfab/package/package.h"
#include "tensorfab/tech/process.h"

namespace tfab::hw {

struct AreaCalibration {
  double lane_transistors = 0;       // one FP32 lane with its share of the core around it
  double mac_per_lane = 0;           // one BF16 MAC / one FP32 lane
  double sram_array_efficiency = 0;  // product SRAM density / bitcell density
  core::Length hbm_phy_depth;        // behind the stack's shoreline
  core::Area serdes_lane_area;
  core::Bandwidth serdes_lane_rate;  // one direction
};
[[nodiscard]] AreaCalibration read_area_calibration(config::MapReader r);

// The files a multi-die chip names besides its node and memory.
struct MultiDieTech {
  std::optional<package::InterconnectTech> die_to_die;  // chip.die_to_die.interconnect
  std::optional<tech::ProcessNode> stacked_node;        // chip.stacked_dies.process_node
  std::optional<package::InterconnectTech> bonding;     // chip.stacked_dies.bonding
};

struct AreaBreakdown {
  // On the logic dies.
  core::Area logic;       // tensor arrays, vector lanes and everything around them
  core::Area tensor;      // of which the MAC arrays' share
  core::Area sram;
  core::Area memory_phy;
  core::Area serdes;
  core::Area die_to_die;  // PHYs joining the logic dies side by side
  core::Area total;       // all logic dies together
  core::Area per_die;
  core::Length die_to_die_edge;  // per die, the edge its die-to-die PHYs line

  // On the stacked dies, when the chip has them.
  struct Stacked {
    core::Area sram, memory_phy, serdes;
    core::Area total;      // what they hold, all stacked dies together
    core::Area per_die;
    std::optional<core::Area> bonds;  // bonded area the bandwidth needs, per logic die
  };
  std::optional<Stacked> stacked;

  double harvest = 1;     // units on the die / units enabled
  int64_t lanes = 0;      // FP32 lanes on the die
  int64_t macs = 0;       // BF16 MACs on the die
};

// Bad input when a figure it needs is missing from the chip or the node,
// naming each.
[[nodiscard]] core::Result<AreaBreakdown> estimate_area(const ChipSpec& chip, const tech::ProcessNode& node,
                                                        const std::optional<package::MemoryStackTech>& memory,
                                                        const AreaCalibration& calibration,
                                                        const MultiDieTech& multi_die = {});

}  // namespace tfab::hw
