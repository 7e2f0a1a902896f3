#include "tensorfab/package/package.h"

#include <algorithm>
#include <cmath>

#include <fmt/format.h>

#include "tensorfab/config/reader.h"

namespace tfab::package {

core::Area reticle_area() { return core::Area::from_base(kReticleShortMm * kReticleLongMm * 1e-6); }

namespace {

core::Result<PackageTech> read_package(const config::Node& doc, const std::string& id) {
  core::Diagnostics errors;
  config::MapReader r(doc, "", errors);
  PackageTech p;
  p.id = id;
  p.name = r.required<std::string>("name", "the packaging technology's name").value_or("");
  p.carries_memory = r.required<bool>("carries_memory", "whether memory stacks sit beside the dies").value_or(false);
  p.max_reticles = r.optional<double>("max_reticles", "largest interposer, in reticle areas (26 x 33 mm)");
  p.max_memory_stacks = r.optional<int64_t>("max_memory_stacks", "most memory stacks one package carries");
  p.area_scale = r.optional<double>("area_scale", "interposer area over the area of what sits on it",
                                    config::Limits::at_least(1));
  p.bonding_yield = r.optional<double>("bonding_yield", "fraction of attachments of one die or stack that work",
                                       config::Limits::fraction());
  p.cost = r.optional<core::Money>("cost", "price of packaging one part, before assembly losses");
  r.finish();
  if (!errors.empty()) return errors;
  return p;
}

core::Result<MemoryStackTech> read_memory(const config::Node& doc, const std::string& id) {
  core::Diagnostics errors;
  config::MapReader r(doc, "", errors);
  MemoryStackTech m;
  m.id = id;
  m.name = r.required<std::string>("name", "the memory generation's name").value_or("");
  m.width = r.optional<core::Length>("width", "the stack's side that faces the die");
  m.depth = r.optional<core::Length>("depth", "the stack's other side");
  m.price = r.optional<PricePerByte>("price", "price per GB of capacity");
  m.energy = r.optional<core::EnergyPerByte>("energy", "energy to move one bit to or from the stack, e.g. 3.9 pJ/bit");
  r.finish();
  if (!errors.empty()) return errors;
  return m;
}

core::Result<InterconnectTech> read_interconnect(const config::Node& doc, const std::string& id) {
  static const std::vector<std::string> kPlacements{"edge", "stacked"};
  core::Diagnostics errors;
  config::MapReader r(doc, "", errors);
  InterconnectTech t;
  t.id = id;
  t.name = r.required<std::string>("name", "the interconnect's name").value_or("");
  const std::string placement =
      r.choice("placement", "edge (PHYs along facing die edges) or stacked (dies bonded face to face)",
               kPlacements, true)
          .value_or("edge");
  t.placement = placement == "stacked" ? Placement::kStacked : Placement::kEdge;
  t.bandwidth_per_mm = r.optional<BandwidthPerLength>(
      "bandwidth_per_mm", "bandwidth per mm of die edge, both directions, e.g. 1316 GB/s/mm");
  t.phy_depth = r.optional<core::Length>("phy_depth", "depth of the PHY behind its edge");
  t.bandwidth_per_mm2 = r.optional<BandwidthPerArea>(
      "bandwidth_per_mm2", "bandwidth per mm^2 of bonded area, both directions, e.g. 10 TB/s/mm^2");
  t.bond_pitch = r.optional<core::Length>("bond_pitch", "distance between neighbouring bonds");
  t.energy = r.optional<core::EnergyPerByte>("energy", "energy per bit that crosses, e.g. 0.3 pJ/bit");
  t.bonding_yield =
      r.optional<double>("bonding_yield", "fraction of dies bonded that work", config::Limits::fraction());
  t.cost = r.optional<core::Money>("cost", "cost of bonding one die");
  r.finish();
  if (!errors.empty()) return errors;
  return t;
}

double mm(core::Length l) { return l.base() * 1e3; }
double mm2(core::Area a) { return a.base() * 1e6; }

}  // namespace

core::Result<PackageTech> load_package(const config::Catalog& catalog, std::string_view id_or_path,
                                       const config::Overrides& overrides) {
  return config::load_spec(catalog, "packages", id_or_path, overrides, read_package);
}

core::Result<MemoryStackTech> load_memory(const config::Catalog& catalog, std::string_view id_or_path,
                                          const config::Overrides& overrides) {
  return config::load_spec(catalog, "memories", id_or_path, overrides, read_memory);
}

core::Result<InterconnectTech> load_interconnect(const config::Catalog& catalog, std::string_view id_or_path,
                                                 const config::Overrides& overrides) {
  return config::load_spec(catalog, "interconnects", id_or_path, overrides, read_interconnect);
}

Fit check_fit(const Layout& layout, const PackageTech& package, const std::optional<MemoryStackTech>& memory) {
  Fit fit;
  const double die = mm2(layout.die);
  if (die > kReticleShortMm * kReticleLongMm) {
    fit.broken.push_back(fmt::format("reticle: a {:.0f} mm^2 die exceeds the {:.0f} x {:.0f} mm reticle ({:.0f} mm^2): split it "
                                     "into dies joined in the package",
                                     die, kReticleShortMm, kReticleLongMm, kReticleShortMm * kReticleLongMm));
  }
  // The longest edge a die can have is the reticle's long side, and no
  // more than twice its other side (aspect at most 2:1, an assumption), so
  // the edges below are upper bounds.
  const double long_side = std::min(kReticleLongMm, std::sqrt(2 * std::min(die, kReticleShortMm * kReticleLongMm)));
  if (layout.die_to_die) {
    // Die-to-die PHYs line the edges memory leaves: at most the two short sides.
    const double free_edge = 2 * die / long_side, needed = mm(layout.die_to_die->edge);
    if (needed > free_edge) {
      fit.broken.push_back(fmt::format("die-to-die edge: {} of die-to-die links per die need {:.1f} mm of die edge; the edges "
                                       "memory leaves offer at most {:.1f} mm",
                                       core::format(layout.die_to_die->bandwidth), needed, free_edge));
    }
  }
  if (layout.memory_stacks == 0) return fit;
  if (!package.carries_memory) {
    fit.broken.push_back(fmt::format("memory stacks: {} carries no memory stacks beside the dies; {} are asked for", package.name,
                                     layout.memory_stacks));
  }
  if (package.max_memory_stacks && layout.memory_stacks > *package.max_memory_stacks) {
    fit.broken.push_back(fmt::format("memory stacks: {} memory stacks exceed the {} that {} carries", layout.memory_stacks,
                                     *package.max_memory_stacks, package.name));
  }
  if (!memory || !memory->width) {
    fit.unchecked.push_back("shoreline: the memory stack's width is not known");
    return fit;
  }
  // Shoreline: stacks line the die's memory edges.
  fit.stacks_per_die_limit = static_cast<int64_t>(std::floor(layout.memory_edges * long_side / mm(*memory->width)));
  const int64_t per_die = (layout.memory_stacks + layout.dies - 1) / layout.dies;
  if (per_die > fit.stacks_per_die_limit) {
    fit.broken.push_back(fmt::format(
        "shoreline: {} memory stacks per die need {:.0f} mm of die edge ({} x {:.1f} mm wide); a {:.0f} mm^2 die offers at most "
        "{:.1f} mm on {} edges, room for {}",
        per_die, static_cast<double>(per_die) * mm(*memory->width), per_die, mm(*memory->width), die, layout.memory_edges * long_side,
        layout.memory_edges, fit.stacks_per_die_limit));
  }
  if (!memory->depth || !package.area_scale) {
    fit.unchecked.push_back("interposer size: the stack's depth or the package's area scale is not known");
    return fit;
  }
  const double needed =
      (die * static_cast<double>(layout.dies) +
       static_cast<double>(layout.memory_stacks) * mm(*memory->width) * mm(*memory->depth)) *
      *package.area_scale;
  fit.interposer = core::Area::from_base(needed * 1e-6);
  if (!package.max_reticles) {
    fit.unchecked.push_back("interposer size: the package's largest interposer is not known");
  } else if (needed > *package.max_reticles * kReticleShortMm * kReticleLongMm) {
    fit.broken.push_back(fmt::format("interposer: the dies and stacks need a {:.0f} mm^2 interposer; {} builds at most {:.1f} "
                                     "reticles ({:.0f} mm^2)",
                                     needed, package.name, *package.max_reticles,
                                     *package.max_reticles * kReticleShortMm * kReticleLongMm));
  }
  return fit;
}

}  // namespace tfab::package
