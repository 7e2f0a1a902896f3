#include "tensorfab/hw/chip.h"

#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <charconv>

#include "tensorfab/config/reader.h"
#include "tensorfab/core/spelling.h"

namespace tfab::hw {
namespace {

using config::Limits;
using config::MapReader;

const std::array<std::string, 7> kNetworks{"switch", "torus-2d", "torus-3d", "ring", "mesh", "host", "ethernet"};
const std::array<std::string, 4> kTopologies{"crossbar", "mesh", "ring", "torus"};

// "128x128" -> (128, 128).
std::optional<std::pair<int64_t, int64_t>> parse_shape(std::string_view text) {
  auto x = text.find('x');
  if (x == std::string_view::npos) return std::nullopt;
  int64_t rows = 0, cols = 0;
  auto r = std::from_chars(text.data(), text.data() + x, rows);
  auto c = std::from_chars(text.data() + x + 1, text.data() + text.size(), cols);
  if (r.ec != std::errc() || r.ptr != text.data() + x || c.ec != std::errc() ||
      c.ptr != text.data() + text.size() || rows < 1 || cols < 1 || rows > 65536 || cols > 65536) {
    return std::nullopt;
  }
  return std::pair{rows, cols};
}

TensorEngine read_tensor(MapReader r) {
  TensorEngine t;
  t.units = r.optional<int64_t>("units", "matrix units on the chip", Limits::between(1, 1e7));
  t.physical_units = r.optional<int64_t>("physical_units", "matrix units on the die, enabled or not (for its area)",
                                         Limits::between(1, 1e7));
  if (auto shape = r.optional<std::string>("array", "MAC array of one unit, ROWSxCOLS")) {
    if (auto rc = parse_shape(*shape)) {
      t.array_rows = rc->first;
      t.array_cols = rc->second;
    } else {
      r.error(*r.node().find("array"), "array", fmt::format("expected ROWSxCOLS such as 128x128, got '{}'", *shape));
    }
  }
  if (t.units && t.physical_units && *t.physical_units < *t.units) {
    r.error(*r.node().find("physical_units"), "physical_units",
            fmt::format("the die cannot hold fewer units ({}) than are enabled (units: {})", *t.physical_units,
                        *t.units));
  }
  t.clock = r.optional<core::Frequency>("clock", "clock of the published peaks");
  t.sparsity_speedup =
      r.optional<double>("sparsity_speedup", "2:4 structured sparsity speed-up", Limits::between(1, 4)).value_or(1);

  MapReader dense = r.child("dense", "dense peak throughput per number format");
  for (core::NumberFormat f : core::kAllNumberFormats) {
    if (auto peak = dense.optional<core::OpRate>(core::name(f), "dense peak in this format")) {
      t.dense_peak.emplace(f, *peak);
    }
  }
  dense.finish();
  if (t.dense_peak.empty() && r.node().find("dense") != nullptr) {
    dense.error(dense.node(), "", "no number format given; expected at least one of bf16, fp8, ...");
  }
  r.finish();
  return t;
}

VectorEngine read_vector(MapReader r) {
  VectorEngine v;
  v.lanes = r.optional<int64_t>("lanes", "FP32 SIMD lanes on the chip", Limits::between(1, 1e9));
  v.clock = r.optional<core::Frequency>("clock", "vector clock");
  v.fp32_peak = r.required<core::OpRate>("fp32", "FP32 throughput outside the tensor units").value_or(core::OpRate{});
  v.transcendental = r.optional<core::OpRate>("transcendental", "exp / rsqrt throughput");
  r.finish();
  return v;
}

std::vector<SramLevel> read_sram(MapReader& top) {
  std::vector<SramLevel> levels;
  const config::Node* node = top.raw("sram", "on-chip SRAM levels by name, innermost first");
  if (node == nullptr) {
    top.error(top.node(), "", "missing required key 'sram' (on-chip SRAM levels by name)");
    return levels;
  }
  MapReader all(*node, top.path_of("sram"), *top.errors());
  for (const auto& entry : node->entries()) {
    MapReader r(entry.value, all.path_of(entry.key), *top.errors());
    SramLevel level;
    level.name = entry.key;
    level.capacity = r.required<core::Bytes>("capacity", "capacity of one instance").value_or(core::Bytes{});
    level.instances = r.optional<int64_t>("instances", "how many (per core: the core count)", Limits::between(1, 1e7))
                          .value_or(1);
    level.bandwidth = r.optional<core::Bandwidth>("bandwidth", "all instances together");
    r.finish();
    levels.push_back(std::move(level));
  }
  if (node->is_map() && node->entries().empty()) all.error(*node, "", "no SRAM level given");
  return levels;
}

std::optional<LinkSpec> read_link(MapReader& links, std::string_view key, std::string_view doc) {
  const config::Node* node = links.raw(key, doc);
  if (node == nullptr) return std::nullopt;
  MapReader r(*node, links.path_of(key), *links.errors());
  LinkSpec link;
  link.name = r.required<std::string>("name", "link technology, e.g. NVLink 4").value_or("");
  link.network = r.choice("network", "what the links form", kNetworks, true).value_or("");
  link.count = r.required<int64_t>("count", "number of links", Limits::between(1, 1e4)).value_or(1);
  link.bandwidth_per_link =
      r.required<core::Bandwidth>("bandwidth_per_link", "one link, both directions").value_or(core::Bandwidth{});
  r.finish();
  return link;
}

std::optional<DieToDieSpec> read_die_to_die(MapReader& top) {
  const config::Node* node = top.raw("die_to_die", "links joining the logic dies side by side");
  if (node == nullptr) return std::nullopt;
  MapReader r(*node, top.path_of("die_to_die"), *top.errors());
  DieToDieSpec d;
  d.interconnect =
      r.required<std::string>("interconnect", "an interconnect in data/interconnects, e.g. ucie-advanced").value_or("");
  d.bandwidth = r.required<core::Bandwidth>("bandwidth", "per logic die, both directions").value_or(core::Bandwidth{});
  r.finish();
  return d;
}

// `holds` names SRAM levels, memory_phy or links.
std::optional<StackedDiesSpec> read_stacked_dies(MapReader& top, const std::vector<SramLevel>& sram) {
  const config::Node* node = top.raw("stacked_dies", "dies bonded face to face to the logic dies");
  if (node == nullptr) return std::nullopt;
  MapReader r(*node, top.path_of("stacked_dies"), *top.errors());
  StackedDiesSpec s;
  s.count = r.required<int64_t>("count", "stacked dies in the package", Limits::between(1, 64)).value_or(1);
  s.process_node = r.required<std::string>("process_node", "their process node, e.g. tsmc-n6").value_or("");
  s.bonding =
      r.required<std::string>("bonding", "a stacked interconnect in data/interconnects, e.g. soic").value_or("");
  s.die_area = r.optional<core::Area>("die_area", "area of all stacked dies together");
  s.bandwidth = r.optional<core::Bandwidth>("bandwidth", "across the bonds, per logic die, both directions");
  std::vector<std::string> known{std::string(kHoldsMemoryPhy), std::string(kHoldsLinks)};
  for (const auto& level : sram) known.push_back(level.name);
  const config::Node* holds = r.raw("holds", "what moves onto them: SRAM levels by name, memory_phy, links");
  if (holds == nullptr || holds->kind() != config::Node::Kind::kSequence || holds->items().empty()) {
    r.error(holds != nullptr ? *holds : r.node(), "holds",
            "expected a list of what the stacked dies hold, e.g. [l2, memory_phy]",
            {fmt::format("each one of: {}", fmt::join(known, ", "))});
  } else {
    for (size_t i = 0; i < holds->items().size(); ++i) {
      const config::Node& item = holds->items()[i];
      const std::string key = fmt::format("holds[{}]", i);
      if (!item.is_scalar() || std::find(known.begin(), known.end(), item.text()) == known.end()) {
        std::vector<std::string> notes;
        auto near = item.is_scalar() ? core::closest_match(item.text(), known) : std::nullopt;
        if (near) notes.push_back(fmt::format("did you mean '{}'?", *near));
        notes.push_back(fmt::format("each one of: {}", fmt::join(known, ", ")));
        r.error(item, key, "expected an SRAM level of this chip, memory_phy or links", std::move(notes));
      } else if (s.holds_item(item.text())) {
        r.error(item, key, fmt::format("'{}' is listed twice", item.text()));
      } else {
        s.holds.push_back(item.text());
      }
    }
  }
  r.finish();
  return s;
}

}  // namespace

bool StackedDiesSpec::holds_item(std::string_view name) const {
  return std::find(holds.begin(), holds.end(), name) != holds.end();
}

double Efficiency::tensor_for(core::NumberFormat f) const {
  auto it = by_format.find(f);
  return it != by_format.end() && it->second.tensor ? *it->second.tensor : tensor;
}

core::Time Efficiency::op_overhead_for(core::NumberFormat f) const {
  auto it = by_format.find(f);
  return it != by_format.end() && it->second.op_overhead ? *it->second.op_overhead : op_overhead;
}

core::Result<core::OpRate> ChipSpec::required_tensor_peak(core::NumberFormat format) const {
  if (auto peak = tensor_peak_for(format)) return *peak;
  return core::bad_input(fmt::format("chip '{}' has no tensor throughput in {}; choose another format "
                                     "in the scenario (formats.weights / formats.activations)",
                                     id, core::name(format)));
}

std::optional<core::OpRate> ChipSpec::tensor_peak_for(core::NumberFormat format) const {
  auto it = tensor.dense_peak.find(format);
  if (it == tensor.dense_peak.end()) return std::nullopt;
  return it->second;
}

core::Bytes ChipSpec::sram_total() const {
  core::Bytes total;
  for (const auto& level : sram) total += level.total();
  return total;
}

const SramLevel* ChipSpec::per_core_sram() const {
  const SramLevel* best = nullptr;
  for (const auto& level : sram) {
    if (best == nullptr || level.instances > best->instances ||
        (level.instances == best->instances && level.capacity >= best->capacity)) {
      best = &level;
    }
  }
  return best;
}

std::span<const SramLevel> ChipSpec::shared_sram() const {
  const SramLevel* per_core = per_core_sram();
  if (per_core == nullptr) return {};
  return std::span<const SramLevel>(sram).subspan(static_cast<size_t>(per_core - sram.data()) + 1);
}

core::Bandwidth ChipSpec::chip_to_chip() const { return scale_up ? scale_up->bandwidth() : core::Bandwidth{}; }

DerivedFigures derive(const ChipSpec& chip) {
  DerivedFigures d;
  d.memory_capacity = chip.memory.capacity();
  d.memory_bandwidth = chip.memory.bandwidth();
  d.sram_total = chip.sram_total();
  const auto& t = chip.tensor;
  for (const auto& [format, peak] : t.dense_peak) {
    DerivedFigures::PerFormat f{format, peak, peak * t.sparsity_speedup, (peak / d.memory_bandwidth).base(), {}};
    if (t.units && t.clock) f.ops_per_cycle_per_unit = (peak / (*t.clock * static_cast<double>(*t.units))).base();
    d.formats.push_back(f);
  }
  using namespace core::literals;
  if (auto bf16 = chip.tensor_peak_for(core::NumberFormat::kBF16)) {
    const double tflops = bf16->in(1_TFLOPS);
    d.bytes_per_flop_bf16 = (d.memory_bandwidth / *bf16).base();
    d.sram_mib_per_tflops = d.sram_total.in(1_MiB) / tflops;
    d.chip_to_chip_gbps_per_tflops = chip.chip_to_chip().in(1_GBps) / tflops;
  }
  return d;
}

// `measured_power`: board power from microbenchmarks on the chip itself.
// A GEMM's clock is read against the tensor clock, so that needs one.
std::optional<MeasuredPower> read_measured_power(MapReader& top) {
  const config::Node* node = top.raw("measured_power", "board power measured with microbenchmarks");
  if (node == nullptr) return std::nullopt;
  MapReader r = top.child("measured_power", "board power measured with microbenchmarks");
  const auto positive = Limits::positive();
  MeasuredPower m;
  m.idle = r.required<core::Power>("idle", "power with nothing running and the clocks up", positive)
               .value_or(core::Power{});
  MapReader gemm = r.child("gemm", "a large GEMM held for seconds, per format");
  for (core::NumberFormat f : core::kAllNumberFormats) {
    if (gemm.raw(core::name(f), "a GEMM in this format") == nullptr) continue;
    MapReader one = gemm.child(core::name(f), "a GEMM in this format");
    MeasuredPower::Gemm g;
    g.power = one.required<core::Power>("power", "board power", positive).value_or(core::Power{});
    g.clock = one.required<core::Frequency>("clock", "mean clock over the run", positive).value_or(core::Frequency{});
    g.rate = one.required<core::OpRate>("rate", "operations per second over the run", positive).value_or(core::OpRate{});
    if (g.power.base() > 0 && g.power <= m.idle) {
      one.error(*one.node().find("power"), "power", "more than the idle power");
    }
    one.finish();
    m.gemm.emplace(f, g);
  }
  gemm.finish();
  MapReader stream = r.child("stream", "streaming copies at full clock");
  m.stream_power = stream.required<core::Power>("power", "board power", positive).value_or(core::Power{});
  m.stream_bandwidth = stream.required<core::Bandwidth>("bandwidth", "bytes read plus written per second", positive)
                           .value_or(core::Bandwidth{});
  if (m.stream_power.base() > 0 && m.stream_power <= m.idle) {
    stream.error(*stream.node().find("power"), "power", "more than the idle power");
  }
  stream.finish();
  const config::Node* tensor = top.node().find("tensor");
  if (!m.gemm.empty() && (tensor == nullptr || tensor->find("clock") == nullptr)) {
    r.error(*node, "gemm", "a chip with tensor.clock, which a measured GEMM clock is read against");
  }
  r.finish();
  return m;
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
  chip.dies = top.optional<int64_t>("dies", "logic dies in the package", Limits::between(1, 64)).value_or(1);
  chip.die_area = top.optional<core::Area>("die_area", "area of all logic dies together");
  chip.transistors = top.optional<double>("transistors", "transistors in all logic dies, e.g. 80e9");

  chip.tensor = read_tensor(top.child("tensor", "matrix engines"));
  chip.vector = read_vector(top.child("vector", "SIMD engines"));
  chip.sram = read_sram(top);
  if (const config::Node* noc = top.raw("noc", "on-chip network")) {
    MapReader r(*noc, "noc", errors);
    chip.noc = NocSpec{r.choice("topology", "on-chip network topology", kTopologies, true).value_or(""),
                       r.optional<core::Bandwidth>("bisection_bandwidth", "bisection bandwidth")};
    r.finish();
  }

  MapReader memory = top.child("memory", "off-chip memory");
  chip.memory.type = memory.required<std::string>("type", "memory technology, e.g. HBM3").value_or("");
  chip.memory.stacks = static_cast<int>(
      memory.required<int64_t>("stacks", "number of stacks or devices", Limits::between(1, 64)).value_or(0));
  chip.memory.sites = static_cast<int>(
      memory.optional<int64_t>("sites", "memory interfaces on the logic dies, populated or not", Limits::between(1, 64))
          .value_or(chip.memory.stacks));
  if (chip.memory.sites < chip.memory.stacks) {
    memory.error(*memory.node().find("sites"), "sites",
                 fmt::format("{} stacks need at least as many sites, got {}", chip.memory.stacks, chip.memory.sites));
  }
  chip.memory.bandwidth_per_stack =
      memory.required<core::Bandwidth>("bandwidth_per_stack", "peak bandwidth of one stack")
          .value_or(core::Bandwidth{});
  chip.memory.capacity_per_stack =
      memory.required<core::Bytes>("capacity_per_stack", "capacity of one stack").value_or(core::Bytes{});
  chip.memory.latency = memory.optional<core::Time>("latency", "load latency of an idle memory (pointer chasing)",
                                                    Limits::at_least(0));
  memory.finish();

  MapReader links = top.child("links", "chip-to-chip and host links", /*is_required=*/false);
  chip.scale_up = read_link(links, "scale_up", "chip-to-chip links within a node or pod");
  chip.scale_out = read_link(links, "scale_out", "links beyond the node, where part of the package");
  chip.host = read_link(links, "host", "link to the host CPU");
  links.finish();
  chip.die_to_die = read_die_to_die(top);
  if (chip.die_to_die && chip.dies == 1) {
    top.error(*top.node().find("die_to_die"), "die_to_die", "joins logic dies, and this chip has one (dies: 1)");
  }
  chip.stacked_dies = read_stacked_dies(top, chip.sram);

  chip.tdp = top.required<core::Power>("tdp", "thermal design power").value_or(core::Power{});
  MapReader efficiency = top.child("efficiency", "achievable fractions of peak, from microbenchmarks");
  chip.efficiency.tensor =
      efficiency.required<double>("tensor", "large-GEMM throughput / peak", Limits::fraction()).value_or(1.0);
  chip.efficiency.memory =
      efficiency.required<double>("memory", "streaming bandwidth / peak", Limits::fraction()).value_or(1.0);
  chip.efficiency.attention = efficiency.optional<double>(
      "attention", "decode attention's KV-cache bandwidth / peak", Limits::fraction());
  const auto non_negative = Limits::at_least(0);
  chip.efficiency.op_overhead =
      efficiency.optional<core::Time>("op_overhead", "launch and synchronisation time per operator", non_negative)
          .value_or(core::Time{});
  chip.efficiency.link =
      efficiency.optional<double>("link", "all-reduce bus bandwidth / scale-up bandwidth per direction",
                                  Limits::fraction())
          .value_or(1.0);
  MapReader by_format = efficiency.child("by_format", "figures measured for one number format", false);
  for (core::NumberFormat f : core::kAllNumberFormats) {
    if (by_format.raw(core::name(f), "figures measured in this format") == nullptr) continue;
    MapReader one = by_format.child(core::name(f), "figures measured in this format");
    Efficiency::PerFormat figures;
    figures.tensor = one.optional<double>("tensor", "large-GEMM throughput / peak in this format", Limits::fraction());
    figures.op_overhead = one.optional<core::Time>("op_overhead", "overhead per operator in this format", non_negative);
    one.finish();
    chip.efficiency.by_format.emplace(f, figures);
  }
  by_format.finish();
  chip.efficiency.link_latency =
      efficiency.optional<core::Time>("link_latency", "latency of one step of a ring collective", non_negative)
          .value_or(core::Time{});
  efficiency.finish();
  chip.measured_power = read_measured_power(top);

  top.finish();
  if (!errors.empty()) return errors;
  return chip;
}

core::Result<ChipSpec> load_chip(const config::Catalog& catalog, std::string_view id_or_path,
                                 const config::Overrides& overrides) {
  return config::load_spec(catalog, "chips", id_or_path, overrides, read_chip);
}

}  // namespace tfab::hw
