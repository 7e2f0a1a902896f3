#pragma once
// What shares a package with the logic dies: the packaging technology that
// joins them (data/packages/*.yaml) and the memory stacks beside them
// (data/memories/*.yaml). Every figure is sourced in its file; one that is
// not public is left out, and whatever needs it says so. docs/cost-model.md.

#include <optional>
#include <string>
#include <vector>

#include "tensorfab/config/load.h"
#include "tensorfab/core/units.h"

namespace tfab::package {

using PricePerByte = core::Quantity<core::dim::kMoney - core::dim::kData>;  // USD/GB in files

// The largest die one lithography exposure prints.
inline constexpr double kReticleShortMm = 26, kReticleLongMm = 33;
[[nodiscard]] core::Area reticle_area();

struct PackageTech {
  std::string id;           // "cowos-s": the file name
  std::string fingerprint;  // of the resolved document
  std::string name;
  // Memory stacks sit beside the dies on a silicon interposer or bridges;
  // a plain organic package carries none.
  bool carries_memory = false;
  std::optional<double> max_reticles;     // largest interposer, in reticle areas
  std::optional<int64_t> max_memory_stacks;
  std::optional<double> area_scale;       // interposer area / area of what sits on it
  std::optional<double> bonding_yield;    // per die or stack attached
  std::optional<core::Money> cost;        // per package, before assembly losses
};

struct MemoryStackTech {
  std::string id;  // "hbm3": matched to a chip's memory.type ("HBM3")
  std::string fingerprint;
  std::string name;
  std::optional<core::Length> width;     // the side that faces the die (its shoreline)
  std::optional<core::Length> depth;     // the other side
  std::optional<PricePerByte> price;     // per GB of capacity
  std::optional<core::EnergyPerByte> energy;  // to read or write a bit, DRAM and interface
};

// How two dies are joined inside one package (data/interconnects/*.yaml).
// Side by side, PHYs line facing die edges (UCIe standard and advanced
// packages); stacked, the dies are bonded face to face and the bonds cover
// their area (hybrid bonding: TSMC SoIC, UCIe-3D).
enum class Placement { kEdge, kStacked };

using BandwidthPerLength = core::Quantity<core::dim::kData - core::dim::kTime - core::dim::kLength>;  // GB/s/mm
using BandwidthPerArea =
    core::Quantity<core::dim::kData - core::dim::kTime - core::dim::kLength - core::dim::kLength>;   // TB/s/mm^2

struct InterconnectTech {
  std::string id;  // "ucie-advanced"
  std::string fingerprint;
  std::string name;
  Placement placement = Placement::kEdge;
  // Both directions together, as link bandwidths are quoted.
  std::optional<BandwidthPerLength> bandwidth_per_mm;   // edge: per mm of die edge
  std::optional<core::Length> phy_depth;                // edge: behind that edge
  std::optional<BandwidthPerArea> bandwidth_per_mm2;    // stacked: per mm^2 of bonded area
  std::optional<core::Length> bond_pitch;               // stacked
  std::optional<core::EnergyPerByte> energy;            // per bit that crosses
  std::optional<double> bonding_yield;                  // stacked: per die bonded
  std::optional<core::Money> cost;                      // stacked: per die bonded
};

[[nodiscard]] core::Result<PackageTech> load_package(const config::Catalog& catalog, std::string_view id_or_path,
                                                     const config::Overrides& overrides = {});
[[nodiscard]] core::Result<MemoryStackTech> load_memory(const config::Catalog& catalog, std::string_view id_or_path,
                                                        const config::Overrides& overrides = {});
[[nodiscard]] core::Result<InterconnectTech> load_interconnect(const config::Catalog& catalog,
                                                               std::string_view id_or_path,
                                                               const config::Overrides& overrides = {});

// A design as the packaging limits see it.
struct Layout {
  core::Area die;              // one logic die
  int64_t dies = 1;
  int64_t memory_stacks = 0;
  int memory_edges = 2;        // die edges given to memory (the others carry I/O and die-to-die links)
  // Each logic die's links to the others, and the edge their PHYs line.
  struct DieToDie {
    core::Bandwidth bandwidth;
    core::Length edge;
  };
  std::optional<DieToDie> die_to_die = std::nullopt;
};

// Every limit the layout breaks, each a sentence saying which and by how
// much; empty when it fits. A limit whose figure is not public is skipped
// and named in `unchecked`.
struct Fit {
  std::vector<std::string> broken;  // "limit: why", the limit first (reticle, shoreline, ...)
  std::vector<std::string> unchecked;
  int64_t stacks_per_die_limit = 0;  // how many stacks fit along one die's memory edges (0: not checked)
  std::optional<core::Area> interposer;  // what the dies and stacks need, when known
  [[nodiscard]] bool fits() const { return broken.empty(); }
};
[[nodiscard]] Fit check_fit(const Layout& layout, const PackageTech& package,
                            const std::optional<MemoryStackTech>& memory);

}  // namespace tfab::package
