#include "tensorfab/system/topology.h"

#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <charconv>

#include "tensorfab/config/reader.h"

namespace tfab::system {
namespace {

using config::Limits;

const std::array<std::string, 4> kNetworkNames{"switch", "fat-tree", "torus", "ring"};
const std::array<std::string, 2> kChipLinks{"scale_up", "scale_out"};

// "4x4x8" -> {4, 4, 8}; empty on anything else.
std::vector<int64_t> parse_dims(std::string_view text) {
  std::vector<int64_t> dims;
  while (!text.empty()) {
    const size_t x = text.find('x');
    const std::string_view part = text.substr(0, x);
    int64_t v = 0;
    const auto [end, ec] = std::from_chars(part.data(), part.data() + part.size(), v);
    if (ec != std::errc() || end != part.data() + part.size() || v < 2 || v > 1'000'000) return {};
    dims.push_back(v);
    if (x == std::string_view::npos) break;
    text.remove_prefix(x + 1);
    if (text.empty()) return {};
  }
  return dims;
}

Level read_level(config::MapReader r, const hw::ChipSpec& chip) {
  Level level;
  level.name = r.required<std::string>("name", "what joins the chips at this level").value_or("");
  const auto network = r.choice("network", "the kind of network", kNetworkNames, true);
  if (network) {
    level.network = static_cast<Network>(std::find(kNetworkNames.begin(), kNetworkNames.end(), *network) -
                                         kNetworkNames.begin());
  }
  level.chips =
      r.required<int64_t>("chips", "chips in one domain of this level", Limits::between(1, 1e8)).value_or(1);
  // Keys that only one kind of network has are errors on the others (when
  // the network itself was read, so that a misspelt one says so once).
  auto only_on = [&](Network kind, std::string_view key) {
    if (network && level.network != kind && r.node().find(key) != nullptr) {
      r.error(r.node(), key, fmt::format("only a {} level has {}", name(kind), key));
    }
  };
  if (auto dims = r.optional<std::string>("torus", "a torus's dimensions, innermost first, e.g. 4x4x4")) {
    level.torus = parse_dims(*dims);
    if (level.torus.empty()) {
      r.error(r.node(), "torus", fmt::format("expected dimensions such as 4x4x4, got '{}'", *dims));
    }
  } else if (level.network == Network::kTorus && r.node().find("torus") == nullptr) {
    r.error(r.node(), "torus", "a torus needs its dimensions, e.g. torus: 4x4x4");
  }
  only_on(Network::kTorus, "torus");

  const auto link = r.choice("link", "the chip's own link this level uses", kChipLinks, false);
  const auto bandwidth = r.optional<core::Bandwidth>("bandwidth", "per chip, each direction, e.g. 25 GB/s");
  const auto efficiency = r.optional<double>(
      "efficiency", "achieved bus bandwidth of large collectives / bandwidth", Limits::fraction());
  if (link) {
    const auto& spec = *link == "scale_up" ? chip.scale_up : chip.scale_out;
    if (!spec) {
      r.error(r.node(), "link", fmt::format("the chip '{}' has no {} link", chip.name, *link));
    } else {
      level.bandwidth = spec->bandwidth() * 0.5;  // chip files quote both directions
      // The chip's measured collective efficiency is of its scale-up link.
      level.efficiency = *link == "scale_up" ? chip.efficiency.link : 1.0;
    }
  } else if (r.node().find("bandwidth") == nullptr) {  // a bad one is reported where it is read
    r.error(r.node(), "bandwidth",
            "expected a bandwidth per chip (e.g. 25 GB/s) or link: scale_up | scale_out");
  }
  if (bandwidth) level.bandwidth = *bandwidth;
  if (efficiency) level.efficiency = *efficiency;
  level.latency =
      r.required<core::Time>("latency", "per message, e.g. 5 us", Limits::at_least(0)).value_or(core::Time{});
  level.oversubscription =
      r.optional<double>("oversubscription", "fat-tree taper above the leaf switches", Limits::between(1, 64))
          .value_or(1);
  level.leaf_chips =
      r.optional<int64_t>("leaf_chips", "chips under one leaf switch", Limits::between(1, 1e8)).value_or(0);
  only_on(Network::kFatTree, "oversubscription");
  only_on(Network::kFatTree, "leaf_chips");
  r.finish();
  return level;
}

}  // namespace

std::string_view name(Network n) { return kNetworkNames[static_cast<size_t>(n)]; }

core::Result<System> read_system(const config::Node& doc, const std::string& id, const hw::ChipSpec& chip) {
  core::Diagnostics errors;
  config::MapReader top(doc, "", errors);
  System sys;
  sys.id = id;
  sys.name = top.required<std::string>("name", "the system's name").value_or("");
  const config::Node* list = top.raw("levels", "the network's levels, innermost first");
  top.finish();
  if (list == nullptr || list->kind() != config::Node::Kind::kSequence || list->items().empty()) {
    if (list != nullptr) {
      errors.push_back(core::bad_input("expected a non-empty list of levels", "levels"));
      errors.back().location = list->location();
    }
    if (!errors.empty()) return errors;
  }
  for (size_t i = 0; list != nullptr && i < list->items().size(); ++i) {
    config::MapReader r(list->items()[i], fmt::format("levels[{}]", i), errors);
    Level level = read_level(r, chip);
    // Each domain holds whole domains of the level below; a torus joins
    // exactly as many as its dimensions multiply to.
    const int64_t below = sys.levels.empty() ? 1 : sys.levels.back().chips;
    if (level.chips % below != 0 || level.chips < below) {
      r.error(list->items()[i], "chips",
              fmt::format("{} chips is not a whole number of the level below's domains of {}", level.chips,
                          below));
    } else if (!level.torus.empty()) {
      double product = 1;
      for (int64_t d : level.torus) product *= static_cast<double>(d);
      if (product != static_cast<double>(level.chips / below)) {
        r.error(list->items()[i], "torus",
                fmt::format("the dimensions join {:.0f} domains; {} chips / {} per domain below is {}",
                            product, level.chips, below, level.chips / below));
      }
    }
    if (level.leaf_chips > 0 && (level.leaf_chips % below != 0 || level.chips % level.leaf_chips != 0)) {
      r.error(list->items()[i], "leaf_chips",
              fmt::format("{} chips per leaf must hold whole domains of {} and divide the level's {}",
                          level.leaf_chips, below, level.chips));
    }
    sys.levels.push_back(std::move(level));
  }
  if (!errors.empty()) return errors;
  return sys;
}

core::Result<System> load_system(const config::Catalog& catalog, std::string_view id_or_path,
                                 const hw::ChipSpec& chip, const config::Overrides& overrides) {
  return config::load_spec(
      catalog, "systems", id_or_path, overrides,
      [&](const config::Node& doc, const std::string& id) { return read_system(doc, id, chip); });
}

}  // namespace tfab::system
