#pragma once
// A cluster's network as nested levels: the chips of a node (or pod slice)
// joined by their scale-up network, the nodes joined by a fat tree, and so
// on. Each level says how many chips one of its domains holds, what kind of
// network joins them and what each chip gets of it: bandwidth, latency per
// message and the fraction of the bandwidth collectives achieve.
//
//   levels:
//     - name: NVLink 3 + NVSwitch
//       network: switch
//       chips: 8                 # chips per domain of this level
//       link: scale_up           # bandwidth and efficiency from the chip file
//       latency: 6 us
//     - name: HDR InfiniBand, rail-optimised fat tree
//       network: fat-tree
//       chips: 4480
//       bandwidth: 25 GB/s       # per chip, each direction
//       efficiency: 0.9
//       latency: 10 us
//
// A level names either the chip's own link (`link: scale_up | scale_out`,
// taking its bandwidth per direction and its efficiency) or gives its
// figures. A torus names its dimensions; their product is the number of
// lower-level domains it joins.

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "tensorfab/config/load.h"
#include "tensorfab/core/units.h"
#include "tensorfab/hw/chip.h"

namespace tfab::system {

enum class Network { kSwitch, kFatTree, kTorus, kRing };
[[nodiscard]] std::string_view name(Network n);

struct Level {
  std::string name;
  Network network = Network::kSwitch;
  int64_t chips = 1;           // chips in one domain of this level, all lower levels included
  std::vector<int64_t> torus;  // a torus's dimensions, innermost first
  core::Bandwidth bandwidth;   // per chip, each direction, into this level's network (all its links)
  core::Time latency;          // per message, start to end (the alpha of alpha-beta)
  double efficiency = 1;       // achieved bus bandwidth of large collectives / `bandwidth`
  // A fat tree's taper above its leaf switches: traffic leaving a leaf gets
  // bandwidth / oversubscription.
  double oversubscription = 1;
  int64_t leaf_chips = 0;  // chips under one leaf switch (fat tree); 0: the whole level is one leaf

  [[nodiscard]] core::Bandwidth achieved() const { return bandwidth * efficiency; }
};

struct System {
  std::string id;
  std::string fingerprint;
  std::string name;
  std::vector<Level> levels;  // innermost first; each level's domain holds whole domains of the one below

  [[nodiscard]] int64_t chips() const { return levels.empty() ? 1 : levels.back().chips; }
};

// Reads a system document against the chip it is built from (for levels
// that name one of the chip's links); reports every problem at once.
[[nodiscard]] core::Result<System> read_system(const config::Node& doc, const std::string& id,
                                               const hw::ChipSpec& chip);
[[nodiscard]] core::Result<System> load_system(const config::Catalog& catalog, std::string_view id_or_path,
                                               const hw::ChipSpec& chip,
                                               const config::Overrides& overrides = {});

}  // namespace tfab::system
