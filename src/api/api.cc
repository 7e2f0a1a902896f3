#include "tensorfab/api/api.h"

#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <cmath>
#include <cctype>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <memory>
#include <mutex>

#include "tensorfab/config/reader.h"
#include "tensorfab/core/parallel.h"
#include "tensorfab/core/spelling.h"
#include "tensorfab/core/version.h"
#include "tensorfab/cost/calibration.h"
#include "tensorfab/report/json.h"
#include "tensorfab/validate/validate.h"
#include "tensorfab/vp/tensor.h"
#include "tensorfab/workload/training.h"

namespace tfab::api {
namespace {

// Splits `--set` overrides by their first key: chip, model or scenario.
struct Routed {
  config::Overrides chip, model, scenario, node, system;
};

core::Result<Routed> route(const config::Overrides& overrides) {
  static const std::array<std::string, 5> kTargets{"chip", "model", "scenario", "node", "system"};
  Routed out;
  core::Diagnostics errors;
  for (const auto& o : overrides) {
    const std::string& text = o.assignment;
    auto dot = text.find('.');
    auto eq = text.find('=');
    std::string target = text.substr(0, std::min(dot, eq));
    std::string rest = dot < eq ? text.substr(dot + 1) : "";
    auto bad = [&](std::string message) {
      auto d = core::bad_input(std::move(message));
      d.location.file = o.origin;
      return d;
    };
    if (target == "chip") {
      out.chip.emplace_back(rest, o.origin);
    } else if (target == "model") {
      out.model.emplace_back(rest, o.origin);
    } else if (target == "scenario") {
      out.scenario.emplace_back(rest, o.origin);
    } else if (target == "node") {
      out.node.emplace_back(rest, o.origin);
    } else if (target == "system") {
      out.system.emplace_back(rest, o.origin);
    } else {
      auto d = bad(fmt::format("'{}' must start with chip., model., scenario., node. or system.", text));
      if (auto near = core::closest_match(target, kTargets)) d.notes.push_back(fmt::format("did you mean '{}.'?", *near));
      errors.push_back(std::move(d));
      continue;
    }
    if (rest.empty() || rest.find('=') == std::string::npos) {
      errors.push_back(bad(fmt::format("expected {}.key.path=value", target)));
    }
  }
  if (!errors.empty()) return errors;
  return out;
}

// A scenario's keys live under `serve:` or `train:` in its file; overrides
// address them as `scenario.batch` either way.
config::Overrides under(std::string_view root, const config::Overrides& overrides) {
  config::Overrides out;
  for (const auto& o : overrides) out.emplace_back(std::string(root) + "." + o.assignment, o.origin);
  return out;
}

// An id that is not in the catalog came from the request, not a file: say which field.
core::Diagnostics from_request(core::Diagnostics errors, const char* field) {
  for (auto& e : errors) {
    if (e.code == core::ErrorCode::kNotFound && e.location.file.empty() && e.key_path.empty()) e.key_path = field;
  }
  return errors;
}

struct Inputs {
  workload::ModelSpec model;
  workload::ServeScenario scenario;
};

// Loads the model and the scenario, reporting the problems of both together.
core::Result<Inputs> load_inputs(const config::Catalog& catalog, const std::string& model_name,
                                 const std::string& scenario_name, const Routed& o,
                                 core::Diagnostics& errors) {
  auto model = workload::load_model(catalog, model_name, o.model);
  auto scenario = workload::load_scenario(catalog, scenario_name, under("serve", o.scenario));
  if (!model) core::append_new(errors, from_request(model.errors(), "model"));
  if (!scenario) core::append_new(errors, from_request(scenario.errors(), "scenario"));
  if (!model || !scenario) return errors;
  return Inputs{*model, *scenario};
}

// One chip serving the inputs; with `sweep`, throughput against batch too.
core::Result<EvalResult> serve(const hw::ChipSpec& chip, const Inputs& inputs, perf::Tier tier, bool sweep) {
  auto created = perf::OpTimer::create(chip, inputs.scenario.formats.compute(), tier);
  if (!created) return created.errors();
  perf::OpTimer timer = std::move(created).value();
  auto serving = perf::evaluate_serving(timer, chip, inputs.model, inputs.scenario);
  if (!serving) return serving.errors();
  EvalResult result;
  result.chip = chip;
  result.model = inputs.model;
  result.serving = std::move(serving).value();
  if (sweep) {
    auto points = perf::throughput_vs_batch(timer, chip, inputs.model, inputs.scenario);
    if (!points) return points.errors();
    result.sweep = std::move(points).value();
  }
  return result;
}

core::Result<EvalResult> eval_chip(const config::Catalog& catalog, const std::string& chip_name,
                                   const Inputs& inputs, const Routed& o, perf::Tier tier, bool sweep) {
  auto chip = hw::load_chip(catalog, chip_name, o.chip);
  if (!chip) return from_request(chip.errors(), "chip");
  return serve(*chip, inputs, tier, sweep);
}

PhysicalReport load_parts(const config::Catalog& catalog, const hw::ChipSpec& chip,
                          const config::Overrides& node_overrides = {});
// Without `unfit_is_error`, a design that breaks a package limit is
// reported (in `fit`, with no bill) rather than failed.
core::Result<PhysicalReport> physical_of(PhysicalReport parts, const cost::PhysicalCalibration& calibration,
                                         bool unfit_is_error = true);

// Adds the power, energy and TCO of the row's serving; what cannot be
// derived is named in `row.cost_unknown`.
void add_serving_cost(const config::Catalog& catalog, const cost::PhysicalCalibration& calibration,
                      const cost::Datacenter& datacenter, EvalResult& row);

// Adds the power, energy and cost of the training run; what cannot be
// derived is named in `run.cost_unknown`.
void add_training_cost(const config::Catalog& catalog, const cost::PhysicalCalibration& calibration,
                       const cost::Datacenter& datacenter, perf::Tier tier, TrainResult& run);

}  // namespace

std::filesystem::path data_dir(const std::string& chosen) {
  if (!chosen.empty()) return chosen;
  if (const char* env = std::getenv("TENSORFAB_DATA"); env != nullptr && *env != '\0') return env;
  if (std::filesystem::is_directory(core::kSourceDataDir)) return core::kSourceDataDir;
  return core::kInstallDataDir;
}

std::vector<std::string> list(const config::Catalog& catalog, std::string_view kind) { return catalog.ids(kind); }

core::Result<std::vector<hw::ChipSpec>> chips(const config::Catalog& catalog, const std::vector<std::string>& ids,
                                              const config::Overrides& overrides) {
  if (ids.empty()) return core::bad_input("no chip given", "chips");
  auto routed = route(overrides);
  if (!routed) return routed.errors();
  if (!routed->model.empty() || !routed->scenario.empty()) {
    return core::bad_input("only chip.* fields can be set here", "--set");
  }
  std::vector<hw::ChipSpec> out;
  core::Diagnostics errors;
  for (const auto& id : ids) {
    auto chip = hw::load_chip(catalog, id, routed->chip);
    if (chip) {
      out.push_back(std::move(chip).value());
    } else {
      core::append_new(errors, from_request(chip.errors(), "chip"));
    }
  }
  if (!errors.empty()) return errors;
  return out;
}

core::Result<EvalResult> eval(const config::Catalog& catalog, const EvalRequest& request) {
  StudyRequest one{{request.chip}, request.model,  request.scenario,  request.overrides,
                   request.tier,   request.sweep,  request.datacenter};
  auto result = study(catalog, one);
  if (!result) return result.errors();
  return std::move(result->rows.front());
}

core::Result<StudyResult> study(const config::Catalog& catalog, const StudyRequest& request) {
  if (request.chips.empty()) return core::bad_input("no chip to evaluate", "chips");
  auto overrides = route(request.overrides);
  if (!overrides) return overrides.errors();
  core::Diagnostics errors;
  auto inputs = load_inputs(catalog, request.model, request.scenario, *overrides, errors);
  auto datacenter = cost::load_datacenter(catalog, request.datacenter);
  if (!datacenter) core::append_new(errors, from_request(datacenter.errors(), "datacenter"));
  auto calibration = cost::load_physical_calibration(catalog);
  if (!calibration) core::append_new(errors, calibration.errors());
  if (!inputs) {  // still check the chips, to report everything at once
    for (const auto& chip : request.chips) {
      if (auto spec = hw::load_chip(catalog, chip, overrides->chip); !spec) {
        core::append_new(errors, from_request(spec.errors(), "chip"));
      }
    }
    return errors;
  }
  // Each chip is evaluated on its own thread; rows and errors keep the request's order.
  auto rows = core::parallel_map(request.chips.size(), [&](size_t i) {
    auto row = eval_chip(catalog, request.chips[i], *inputs, *overrides, request.tier, request.sweep);
    if (row && datacenter && calibration) add_serving_cost(catalog, *calibration, *datacenter, row.value());
    return row;
  });
  StudyResult out;
  for (auto& row : rows) {
    if (row) {
      out.rows.push_back(std::move(row).value());
    } else {
      core::append_new(errors, row.errors());
    }
  }
  if (!errors.empty()) return errors;
  return out;
}

core::Result<NodeReport> show_node(const config::Catalog& catalog, const NodeRequest& request) {
  auto routed = route(request.overrides);
  if (!routed) return routed.errors();
  if (!routed->chip.empty() || !routed->model.empty() || !routed->scenario.empty()) {
    return core::bad_input("only node.* fields apply here, such as node.defects_per_cm2=0.1", "--set");
  }
  auto node = tech::load_node(catalog, request.node, routed->node);
  if (!node) return from_request(node.errors(), "node");
  NodeReport report{*node, request.die_area, request.alpha, 0, {}};
  if (!request.die_area) return report;
  auto dies = tech::dies_per_wafer(*request.die_area);
  if (!dies) return dies.errors();
  report.dies_per_wafer = *dies;
  if (!node->defects_per_cm2) return report;
  for (auto model : {tech::YieldModel::kPoisson, tech::YieldModel::kMurphy, tech::YieldModel::kSeeds,
                     tech::YieldModel::kNegativeBinomial}) {
    NodeReport::Yield y{model, tech::die_yield(*request.die_area, *node->defects_per_cm2, model, request.alpha), {}};
    if (node->wafer_price) y.die_cost = tech::known_good_die_cost(*node->wafer_price, *dies, y.yield);
    report.yields.push_back(y);
  }
  return report;
}

nlohmann::ordered_json to_json(const NodeReport& r) {
  const auto& n = r.node;
  using report::optional;
  nlohmann::ordered_json j = {{"tool", report::tool_info()},
                              {"node",
                               {{"id", n.id},
                                {"fingerprint", n.fingerprint},
                                {"name", n.name},
                                {"foundry", n.foundry},
                                {"projection", n.projection},
                                {"logic_mtr_per_mm2", optional(n.logic_mtr_per_mm2)},
                                {"sram_bitcell", optional(n.sram_bitcell)},
                                {"wafer_price", optional(n.wafer_price)},
                                {"defects_per_cm2", optional(n.defects_per_cm2)}}}};
  nlohmann::ordered_json mac = nlohmann::ordered_json::object();
  for (const auto& [format, energy] : n.mac_energy) mac[std::string(core::name(format))] = report::quantity(energy);
  j["node"]["mac_energy"] = mac;
  j["node"]["sram_read_energy"] = optional(n.sram_read_energy);
  j["node"]["vf"] = n.vf ? nlohmann::ordered_json{{"threshold_volts", n.vf->threshold_volts},
                                                  {"max_volts", n.vf->max_volts}}
                         : nlohmann::ordered_json(nullptr);
  if (r.die_area) {
    nlohmann::ordered_json yields = nlohmann::ordered_json::array();
    for (const auto& y : r.yields) {
      yields.push_back({{"model", tech::name(y.model)}, {"yield", y.yield}, {"known_good_die_cost", optional(y.die_cost)}});
    }
    j["die"] = {{"area", report::quantity(*r.die_area)},
                {"dies_per_wafer", r.dies_per_wafer},
                {"negative_binomial_alpha", r.alpha},
                {"yields", yields}};
  }
  return j;
}

namespace {

// The 16-bit format a chip's power is judged in: BF16, else FP16.
core::NumberFormat gemm_format(const hw::ChipSpec& chip) {
  return chip.tensor_peak_for(core::NumberFormat::kBF16) ? core::NumberFormat::kBF16 : core::NumberFormat::kFP16;
}

// The first problem, with its suggestions ("did you mean 'soic'?").
std::string first_message(const core::Diagnostics& d) {
  if (d.empty()) return {};
  std::string text = d.front().message;
  for (const auto& note : d.front().notes) {
    if (note.rfind("did you mean", 0) == 0) text += " (" + note + ")";
  }
  return text;
}

std::string joined(const std::vector<std::string>& parts) { return fmt::format("{}", fmt::join(parts, "; ")); }

// Memory files are named for the chip's memory type in lower case ("HBM3" -> hbm3).
std::string memory_id(const hw::ChipSpec& chip) {
  std::string id = chip.memory.type;
  for (auto& c : id) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return id;
}

}  // namespace

core::Result<PhysicalReport> physical(const config::Catalog& catalog, const std::string& chip_id,
                                      const config::Overrides& overrides) {
  auto chips = api::chips(catalog, {chip_id}, overrides);
  if (!chips) return chips.errors();
  auto calibration = cost::load_physical_calibration(catalog);
  if (!calibration) return calibration.errors();
  return physical_of(load_parts(catalog, chips->front()), *calibration);
}

namespace {

// The chip with its node, package and memory files. A missing file narrows
// the report (named in `unknown`); it is not an error.
PhysicalReport load_parts(const config::Catalog& catalog, const hw::ChipSpec& chip,
                          const config::Overrides& node_overrides) {
  PhysicalReport r;
  r.chip = chip;
  if (auto node = tech::load_node(catalog, chip.process_node, node_overrides)) {
    r.node = *node;
  } else {
    r.unknown.push_back("process node '" + chip.process_node + "': " + first_message(node.errors()));
  }
  if (auto pkg = package::load_package(catalog, chip.package)) {
    r.package = *pkg;
  } else {
    r.unknown.push_back("package '" + chip.package + "': " + first_message(pkg.errors()));
  }
  if (auto mem = package::load_memory(catalog, memory_id(chip))) {
    r.memory = *mem;
  } else {
    r.unknown.push_back("memory '" + memory_id(chip) + "': " + first_message(mem.errors()));
  }
  if (chip.die_to_die) {
    if (auto d2d = package::load_interconnect(catalog, chip.die_to_die->interconnect)) {
      r.multi_die.die_to_die = *d2d;
    } else {
      r.unknown.push_back("die-to-die '" + chip.die_to_die->interconnect + "': " + first_message(d2d.errors()));
    }
  }
  if (chip.stacked_dies) {
    if (auto node = tech::load_node(catalog, chip.stacked_dies->process_node)) {
      r.multi_die.stacked_node = *node;
    } else {
      r.unknown.push_back("stacked dies' node '" + chip.stacked_dies->process_node + "': " +
                          first_message(node.errors()));
    }
    if (auto bonding = package::load_interconnect(catalog, chip.stacked_dies->bonding)) {
      r.multi_die.bonding = *bonding;
    } else {
      r.unknown.push_back("bonding '" + chip.stacked_dies->bonding + "': " + first_message(bonding.errors()));
    }
  }
  return r;
}

// The parts' derived area and power, placement and bill.
core::Result<PhysicalReport> physical_of(PhysicalReport r, const cost::PhysicalCalibration& calibration,
                                         bool unfit_is_error) {
  const auto& chip = r.chip;
  if (r.node) {
    if (auto a = hw::estimate_area(chip, *r.node, r.memory, calibration.area, r.multi_die)) {
      r.area = *a;
    } else {
      r.unknown.push_back("derived area: " + first_message(a.errors()));
    }
    if (auto p = cost::gemm_power(chip, *r.node, calibration.power, gemm_format(chip))) {
      r.power = *p;
    } else {
      r.unknown.push_back("derived power: " + first_message(p.errors()));
    }
  }

  if (chip.die_area) {
    r.die = *chip.die_area / static_cast<double>(chip.dies);
  } else if (r.area) {
    r.die = r.area->per_die;
    r.die_derived = true;
  } else {
    return core::bad_input(chip.id + " gives no die_area and its area cannot be derived (" +
                               (r.unknown.empty() ? std::string("no process node") : joined(r.unknown)) +
                               "), so its dies cannot be placed or priced; give the area of its logic dies (all "
                               "together), e.g. die_area: 800 mm^2",
                           "die_area");
  }

  // The dies the interposer carries: the stacked dies where the logic dies
  // sit on them, and the memory along their edges where they hold its PHYs.
  const auto& stacked = chip.stacked_dies;
  if (stacked) {
    if (stacked->die_area) {
      r.stacked_die = *stacked->die_area / static_cast<double>(stacked->count);
    } else if (r.area && r.area->stacked) {
      // No smaller than the logic dies it carries.
      const core::Area footprint = r.die * static_cast<double>(chip.dies) / static_cast<double>(stacked->count);
      r.stacked_die_is_footprint = footprint > r.area->stacked->per_die;
      r.stacked_die = r.stacked_die_is_footprint ? footprint : r.area->stacked->per_die;
    } else {
      return core::bad_input(chip.id + " gives no stacked_dies.die_area and it cannot be derived (" +
                                 (r.unknown.empty() ? std::string("no stacked node") : joined(r.unknown)) +
                                 "); give the area of the stacked dies (all together)",
                             "stacked_dies.die_area");
    }
  }
  // The logic dies, with the edge their die-to-die PHYs need.
  package::Layout logic{r.die, chip.dies, chip.memory.stacks};
  if (chip.die_to_die && r.area && r.area->die_to_die_edge.base() > 0) {
    logic.die_to_die = package::Layout::DieToDie{chip.die_to_die->bandwidth, r.area->die_to_die_edge};
  }
  const package::Layout base =
      stacked ? package::Layout{*r.stacked_die, stacked->count, chip.memory.stacks} : logic;
  if (r.package) {
    r.fit = package::check_fit(base, *r.package, r.memory);
  } else {
    // Without a package only the reticle and the die edges can be checked.
    auto alone = base;
    alone.memory_stacks = 0;
    r.fit = package::check_fit(alone, package::PackageTech{}, std::nullopt);
  }
  if (stacked) {
    // The logic dies on top must each fit a reticle, and their edges their links, too.
    logic.memory_stacks = 0;
    const auto top = package::check_fit(logic, package::PackageTech{}, std::nullopt);
    r.fit.broken.insert(r.fit.broken.end(), top.broken.begin(), top.broken.end());
    if (r.area && r.area->stacked && r.area->stacked->bonds && *r.area->stacked->bonds > r.die) {
      r.fit.broken.push_back(fmt::format("bonded area: {} across the bonds needs {} of bonded area per logic die, more than its {}",
                                         core::format(*stacked->bandwidth), core::format(*r.area->stacked->bonds),
                                         core::format(r.die)));
    }
  }
  if (!r.fit.fits()) {
    if (!unfit_is_error) return r;
    core::Diagnostics errors;
    for (const auto& why : r.fit.broken) {
      errors.push_back(core::bad_input(chip.id + " does not fit: " + why, "die_area, memory.stacks, package"));
    }
    return errors;
  }
  if (r.node && r.package) {
    cost::BillInputs in;
    in.die = r.die;
    in.dies = chip.dies;
    in.memory_capacity = chip.memory.capacity();
    in.memory_stacks = chip.memory.stacks;
    in.node = *r.node;
    in.package = *r.package;
    in.memory = r.memory;
    if (stacked) {
      if (!r.multi_die.stacked_node || !r.multi_die.bonding) return r;  // `unknown` says which is missing
      in.stacked = cost::StackedInputs{*r.stacked_die, stacked->count, *r.multi_die.stacked_node, *r.multi_die.bonding};
    }
    auto b = cost::bill(in);
    if (!b) return b.errors();
    r.bill = *b;
  }
  return r;
}

// The serving work's power, and the clock its TDP allows. Bad input names
// what keeps it from being derived.
struct ServingPower {
  cost::EnergyRates rates;
  cost::WorkloadPower power;
};
core::Result<ServingPower> serving_power(const PhysicalReport& parts, const cost::PhysicalCalibration& calibration,
                                         const hw::ChipSpec& chip, const perf::ServingResult& s) {
  if (!parts.node) {
    core::Diagnostics unknown;
    for (const auto& u : parts.unknown) unknown.push_back(core::bad_input(u));
    return unknown;
  }
  auto rates = cost::energy_rates(chip, *parts.node, parts.memory, calibration.power, parts.multi_die);
  if (!rates) return rates.errors();
  // One pass of the serving work: a continuous-batching step (no prefill
  // ops), or a static batch's prefill and all its decode steps, each at the
  // mean context. The chip idles through the host's time for each.
  const bool statics = s.scenario.batching == workload::Batching::kStatic;
  const auto steps = static_cast<double>(statics ? s.scenario.output_length : 1);
  auto decode = cost::energy_of(s.decode_ops, *rates);
  if (!decode) return decode.errors();
  auto prefill = cost::energy_of(s.prefill_ops, *rates);
  if (!prefill) return prefill.errors();
  const core::Time host = s.scenario.host_time() * (steps + (statics ? 1 : 0));
  cost::EnergyUse energy = *prefill + *decode * steps;
  energy.idle += rates->idle * host;
  const core::Time time = cost::total_time(s.prefill_ops) + cost::total_time(s.decode_ops) * steps + host;
  const core::Time compute = cost::compute_bound_time(s.prefill_ops) + cost::compute_bound_time(s.decode_ops) * steps;
  return ServingPower{*rates, cost::workload_power(energy, time, compute, *rates)};
}

// The serving's power and, with the physical report's bill, its TCO.
void serving_cost(const PhysicalReport& parts, const core::Result<PhysicalReport>& physical,
                  const cost::PhysicalCalibration& calibration, const cost::Datacenter& datacenter, EvalResult& row) {
  row.datacenter = datacenter;
  if (!parts.node) {
    row.cost_unknown = parts.unknown;
    return;
  }
  auto power = serving_power(parts, calibration, row.chip, row.serving);
  if (!power) {
    for (const auto& e : power.errors()) row.cost_unknown.push_back("power: " + e.message);
    return;
  }
  const auto& s = row.serving;
  ServingCost c;
  c.power = power->power;
  c.tokens_per_s_per_chip = s.output_tokens_per_s_per_chip / c.power.slowdown;
  c.average_power = c.power.drawn * s.load + power->rates.idle * (1 - s.load);
  if (c.average_power.base() > 0) c.tokens_per_joule = c.tokens_per_s_per_chip / c.average_power.base();
  row.cost = c;
  if (physical) {
    row.area = physical->area;
    row.bill = physical->bill;
  }
  if (!physical) {
    row.cost_unknown.push_back("cost: " + first_message(physical.errors()));
  } else if (physical->bill && physical->bill->total) {
    row.cost->tco = cost::tco(*physical->bill->total, c.average_power, datacenter);
    row.cost->usd_per_million_tokens = cost::usd_per_million_tokens(*row.cost->tco, c.tokens_per_s_per_chip);
  } else {
    const auto& missing = physical->bill ? physical->bill->missing : physical->unknown;
    for (const auto& m : missing) row.cost_unknown.push_back("cost: " + m);
    if (!physical->fit.fits()) row.cost_unknown.push_back("cost: the design does not fit its package");
  }
}

void add_serving_cost(const config::Catalog& catalog, const cost::PhysicalCalibration& calibration,
                      const cost::Datacenter& datacenter, EvalResult& row) {
  PhysicalReport parts = load_parts(catalog, row.chip);
  const auto physical = parts.node ? physical_of(parts, calibration) : core::Result<PhysicalReport>(parts);
  serving_cost(parts, physical, calibration, datacenter, row);
}

// Of a collective's buffer, the share each chip sends to the others, as the
// bandwidth-optimal algorithms do (NCCL's bus-bandwidth factors).
double sent_share(workload::CollectiveKind kind, int64_t group_size) {
  const double g = static_cast<double>(group_size);
  switch (kind) {
    case workload::CollectiveKind::kAllReduce: return 2 * (g - 1) / g;
    case workload::CollectiveKind::kReduceScatter:
    case workload::CollectiveKind::kAllGather:
    case workload::CollectiveKind::kAllToAll: return (g - 1) / g;
    case workload::CollectiveKind::kSendRecv: return 1;
  }
  return 1;
}

void add_training_cost(const config::Catalog& catalog, const cost::PhysicalCalibration& calibration,
                       const cost::Datacenter& datacenter, perf::Tier tier, TrainResult& run) {
  run.datacenter = datacenter;
  PhysicalReport parts = load_parts(catalog, run.chip);
  if (!parts.node) {
    run.cost_unknown = parts.unknown;
    return;
  }
  auto rates = cost::energy_rates(run.chip, *parts.node, parts.memory, calibration.power, parts.multi_die);
  auto unknown = [&](const core::Diagnostics& errors, const char* what) {
    for (const auto& e : errors) run.cost_unknown.push_back(what + e.message);
  };
  if (!rates) return unknown(rates.errors(), "power: ");

  // One chip of the mean stage: its layers and its own optimizer step, and
  // the edges (embedding, LM head, loss) spread over the stages.
  const double stages = static_cast<double>(run.scenario.parallelism.pipeline);
  workload::Graph own, edges;
  for (auto& op : workload::training_graph(run.model, run.scenario).ops) {
    (op.per_layer || op.phase == workload::Phase::kOptimizer ? own : edges).ops.push_back(std::move(op));
  }
  auto created = perf::OpTimer::create(run.chip, run.scenario.formats.compute, tier);
  if (!created) return unknown(created.errors(), "power: ");
  perf::OpTimer timer = std::move(created).value();
  auto own_ops = perf::cost_ops(timer, own, 0);
  auto edge_ops = perf::cost_ops(timer, edges, 0);
  if (!own_ops) return unknown(own_ops.errors(), "power: ");
  if (!edge_ops) return unknown(edge_ops.errors(), "power: ");
  auto own_energy = cost::energy_of(*own_ops, *rates);
  auto edge_energy = cost::energy_of(*edge_ops, *rates);
  if (!own_energy) return unknown(own_energy.errors(), "power: ");
  if (!edge_energy) return unknown(edge_energy.errors(), "power: ");
  const cost::EnergyUse compute = *own_energy + *edge_energy * (1 / stages);
  const core::Time busy = cost::total_time(*own_ops) + cost::total_time(*edge_ops) / stages;
  const core::Time compute_bound =
      cost::compute_bound_time(*own_ops) + cost::compute_bound_time(*edge_ops) / stages;

  // What the chip sends per step; the edges' collectives run on their stage alone.
  double sent = 0;
  for (const auto& c : run.step.collectives) {
    const auto& k = c.collective;
    sent += k.bytes.base() * static_cast<double>(k.count) * sent_share(k.kind, k.group_size) /
            (k.stage == workload::Stage::kEvery ? 1 : stages);
  }

  TrainCost c;
  c.power = cost::workload_power(compute, busy, compute_bound, *rates);
  // A capped clock stretches the compute and the bubble (idle compute time), not the communication.
  const system::StepTime& s = run.step.step;
  const core::Time stretched = s.forward + s.backward + s.recompute + s.optimizer + s.bubble;
  c.step_time = s.total() + stretched * (c.power.slowdown - 1);
  const core::Time working = std::min(busy * c.power.slowdown, c.step_time);
  const core::Energy chip_step = c.power.drawn * working + rates->idle * (c.step_time - working) +
                                 rates->link * core::Bytes::from_base(sent);
  c.average_power = chip_step / c.step_time;
  const double chips = static_cast<double>(run.step.chips);
  c.tokens_per_joule = run.step.tokens_per_step / (chip_step.base() * chips);
  c.run_energy = chip_step * (chips * run.steps() * datacenter.server_power * datacenter.pue);
  run.cost = c;

  auto physical = physical_of(std::move(parts), calibration);
  if (!physical) return unknown(physical.errors(), "cost: ");
  if (!physical->bill || !physical->bill->total) {
    const auto& missing = physical->bill ? physical->bill->missing : physical->unknown;
    for (const auto& m : missing) run.cost_unknown.push_back("cost: " + m);
    return;
  }
  run.cost->tco = cost::tco(*physical->bill->total, c.average_power, datacenter);
  run.cost->per_step = run.cost->tco->per_hour() * (chips * c.step_time.base() / 3600);
  run.cost->per_run = *run.cost->per_step * run.steps();
}

}  // namespace

nlohmann::ordered_json to_json(const PhysicalReport& r) {
  using report::optional;
  using report::quantity;
  nlohmann::ordered_json fit = {{"fits", r.fit.fits()},
                                {"stacks_per_die_limit", r.fit.stacks_per_die_limit},
                                {"interposer", optional(r.fit.interposer)},
                                {"unchecked", r.fit.unchecked}};
  nlohmann::ordered_json j = {{"tool", report::tool_info()},
                              {"chip", {{"id", r.chip.id}, {"fingerprint", r.chip.fingerprint}}},
                              {"die", {{"area", quantity(r.die)}, {"count", r.chip.dies}}},
                              {"process_node", r.node ? nlohmann::ordered_json(r.node->id) : nullptr},
                              {"package", r.package ? nlohmann::ordered_json(r.package->id) : nullptr},
                              {"memory", r.memory ? nlohmann::ordered_json(r.memory->id) : nullptr},
                              {"fit", fit}};
  if (r.bill) {
    const auto& b = *r.bill;
    j["cost"] = {{"dies_per_wafer", b.dies_per_wafer},
                 {"die_before_yield", optional(b.die_cost_before_yield)},
                 {"die_yield", b.die_yield ? nlohmann::ordered_json(*b.die_yield) : nullptr},
                 {"known_good_die", optional(b.die_cost)},
                 {"stacked_die", optional(b.stacked_die_cost)},
                 {"stacked_die_yield", b.stacked_die_yield ? nlohmann::ordered_json(*b.stacked_die_yield) : nullptr},
                 {"bonding", optional(b.bonding_cost)},
                 {"bonding_yield", b.bonding_yield ? nlohmann::ordered_json(*b.bonding_yield) : nullptr},
                 {"memory", optional(b.memory_cost)},
                 {"packaging", optional(b.packaging_cost)},
                 {"assembly_yield", b.assembly_yield ? nlohmann::ordered_json(*b.assembly_yield) : nullptr},
                 {"total", optional(b.total)},
                 {"missing", b.missing}};
  }
  if (r.area) {
    const auto& a = *r.area;
    j["derived_area"] = {{"logic", quantity(a.logic)},
                         {"tensor_arrays", quantity(a.tensor)},
                         {"sram", quantity(a.sram)},
                         {"memory_phy", quantity(a.memory_phy)},
                         {"serdes", quantity(a.serdes)},
                         {"die_to_die", quantity(a.die_to_die)},
                         {"total", quantity(a.total)},
                         {"per_die", quantity(a.per_die)},
                         {"harvest", a.harvest},
                         {"fp32_lanes", a.lanes},
                         {"bf16_macs", a.macs}};
    if (a.stacked) {
      const auto& st = *a.stacked;
      j["derived_area"]["stacked"] = {{"sram", quantity(st.sram)},
                                      {"memory_phy", quantity(st.memory_phy)},
                                      {"serdes", quantity(st.serdes)},
                                      {"total", quantity(st.total)},
                                      {"per_die", quantity(st.per_die)},
                                      {"bonds_per_logic_die", optional(st.bonds)}};
    }
  }
  if (r.chip.stacked_dies) {
    j["stacked_dies"] = {{"count", r.chip.stacked_dies->count},
                         {"area", optional(r.stacked_die)},
                         {"area_is_footprint", r.stacked_die_is_footprint},
                         {"process_node", r.chip.stacked_dies->process_node},
                         {"bonding", r.chip.stacked_dies->bonding},
                         {"holds", r.chip.stacked_dies->holds}};
  }
  j["die"]["derived"] = r.die_derived;
  if (r.power) {
    const auto& p = *r.power;
    j["gemm_power"] = {{"format", core::name(p.format)},
                       {"demand", quantity(p.demand)},
                       {"tdp", quantity(p.tdp)},
                       {"clock_scale", p.clock_scale},
                       {"capped_peak", quantity(p.capped_peak)},
                       {"tflops_per_watt", p.ops_per_joule() / 1e12}};
  }
  j["unknown"] = r.unknown;
  return j;
}

namespace {

// The kind of a YAML file that is not a scenario: a file in one of the
// catalog's folders is of that folder's kind; one built on a preset is of
// its preset's kind; else validation cases hold `cases`, a node names its
// foundry, a package whether it carries memory, an interconnect its placement,
// a data centre its PUE, a memory its stack width; the rest are chips.
std::string kind_of(const config::Catalog& catalog, const std::string& file, const config::Node& doc) {
  static const std::array<std::pair<const char*, const char*>, 10> kFolders{
      {{"chips", "chip"}, {"nodes", "node"}, {"packages", "package"}, {"memories", "memory"},
       {"interconnects", "interconnect"}, {"systems", "system"}, {"sweeps", "sweep"},
       {"datacenters", "datacenter"}, {"physical", "physical calibration"}, {"validation", "validation cases"}}};
  const std::string folder = std::filesystem::path(file).parent_path().filename().string();
  for (const auto& [dir, kind] : kFolders) {
    if (folder == dir) return kind;
  }
  if (const config::Node* preset = doc.find("preset"); preset != nullptr && preset->is_scalar()) {
    for (const auto& [dir, kind] : kFolders) {
      const auto ids = catalog.ids(dir);
      if (std::find(ids.begin(), ids.end(), preset->text()) != ids.end()) return kind;
    }
  }
  if (doc.find("cases") != nullptr) return "validation cases";
  if (doc.find("axes") != nullptr) return "sweep";
  if (doc.find("levels") != nullptr) return "system";
  if (doc.find("foundry") != nullptr) return "node";
  if (doc.find("carries_memory") != nullptr) return "package";
  if (doc.find("placement") != nullptr) return "interconnect";
  if (doc.find("pue") != nullptr) return "datacenter";
  if (doc.find("width") != nullptr && doc.find("tensor") == nullptr) return "memory";
  return "chip";
}

}  // namespace

core::Diagnostics check(const config::Catalog& catalog, const std::vector<std::string>& files,
                        std::optional<std::string> kind) {
  core::Diagnostics errors;
  for (const auto& name : files) {
    // Arguments are paths here, never catalog ids.
    const std::string file = name.find('/') == std::string::npos ? "./" + name : name;
    std::string what = kind.value_or("");
    if (what.empty() || what == "scenario") {
      // A model is a config.json; a scenario holds `serve:` or `train:`.
      auto doc = config::load_document(file);
      if (!doc) {
        core::append_new(errors, doc.errors());
        continue;
      }
      const bool training = doc->find("train") != nullptr;
      if (what.empty()) {
        what = std::filesystem::path(file).extension() == ".json" ? "model"
               : training || doc->find("serve") != nullptr         ? "scenario"
                                                                   : kind_of(catalog, file, *doc);
      }
      if (what == "scenario" && training) what = "training scenario";
    }
    core::Diagnostics found;
    if (what == "chip") {
      if (auto r = hw::load_chip(catalog, file); !r) found = r.errors();
    } else if (what == "model") {
      if (auto r = workload::load_model(catalog, file); !r) found = r.errors();
    } else if (what == "node") {
      if (auto r = tech::load_node(catalog, file); !r) found = r.errors();
    } else if (what == "package") {
      if (auto r = package::load_package(catalog, file); !r) found = r.errors();
    } else if (what == "memory") {
      if (auto r = package::load_memory(catalog, file); !r) found = r.errors();
    } else if (what == "interconnect") {
      if (auto r = package::load_interconnect(catalog, file); !r) found = r.errors();
    } else if (what == "datacenter") {
      if (auto r = cost::load_datacenter(catalog, file); !r) found = r.errors();
    } else if (what == "system") {
      // Read against a chip with both kinds of link, so that a level may
      // name either; which chip it is built from is the run's choice.
      hw::ChipSpec any;
      any.scale_up = any.scale_out = hw::LinkSpec{"link", "switch", 1, core::Bandwidth::from_base(1e9)};
      if (auto r = system::load_system(catalog, file, any); !r) found = r.errors();
    } else if (what == "sweep") {
      if (auto r = dse::load_sweep(file); !r) found = r.errors();
    } else if (what == "validation cases") {
      // Its cases name chips, models and scenarios: running them (at the
      // fastest tier) checks those too.
      if (auto r = validate::run(catalog, {file}, perf::Tier::kRoofline); !r) found = r.errors();
    } else if (what == "physical calibration") {
      if (auto r = cost::load_physical_calibration(catalog, file); !r) found = r.errors();
    } else if (what == "training scenario") {
      if (auto r = workload::load_train_scenario(catalog, file); !r) found = r.errors();
    } else {
      if (auto r = workload::load_scenario(catalog, file); !r) found = r.errors();
    }
    core::append_new(errors, found);
  }
  return errors;
}

namespace {

// The data centre a cost was worked out for.
nlohmann::ordered_json datacenter_json(const cost::Datacenter& d) {
  using report::quantity;
  return {{"id", d.id},
          {"fingerprint", d.fingerprint},
          {"pue", d.pue},
          {"electricity", quantity(d.electricity)},
          {"lifetime", quantity(d.lifetime)}};
}

// Power, energy and TCO of one row; null figures where `unknown` says why.
nlohmann::ordered_json cost_json(const EvalResult& row) {
  using report::optional;
  using report::quantity;
  nlohmann::ordered_json j = nlohmann::ordered_json::object();
  if (row.datacenter) j["datacenter"] = datacenter_json(*row.datacenter);
  if (row.cost) {
    const auto& c = *row.cost;
    const auto& e = c.power.energy;
    j["power"] = {{"demand", quantity(c.power.demand)},
                  {"drawn", quantity(c.power.drawn)},
                  {"clock_scale", c.power.clock_scale},
                  {"average", quantity(c.average_power)},
                  {"energy_shares",
                   e.total().base() > 0 ? nlohmann::ordered_json{{"tensor", e.tensor / e.total()},
                                                                 {"vector", e.vector / e.total()},
                                                                 {"memory", e.memory / e.total()},
                                                                 {"link", e.link / e.total()},
                                                                 {"idle", e.idle / e.total()}}
                                        : nlohmann::ordered_json(nullptr)}};
    j["output_tokens_per_s_per_chip_at_tdp"] = c.tokens_per_s_per_chip;
    j["output_tokens_per_joule"] = c.tokens_per_joule;
    if (c.tco) {
      const auto& t = *c.tco;
      j["tco_per_chip"] = {{"chip", quantity(t.chip)},
                           {"server", quantity(t.server)},
                           {"network", quantity(t.network)},
                           {"facility_power", quantity(t.facility_power)},
                           {"capital_per_hour", quantity(t.capital_per_hour)},
                           {"energy_per_hour", quantity(t.energy_per_hour)}};
    }
    j["usd_per_million_output_tokens"] = c.usd_per_million_tokens ? nlohmann::ordered_json(*c.usd_per_million_tokens)
                                                                  : nlohmann::ordered_json(nullptr);
  }
  j["unknown"] = row.cost_unknown;
  return j;
}

}  // namespace

nlohmann::ordered_json to_json(const EvalResult& result, bool with_ops) {
  return {{"tool", report::tool_info()},
          {"model", {{"id", result.model.id}, {"fingerprint", result.model.fingerprint}}},
          {"chip", report::to_json(result.chip)},
          {"result", report::to_json(result.serving, with_ops)},
          {"cost", cost_json(result)},
          {"throughput_vs_batch", report::to_json(result.sweep)}};
}

nlohmann::ordered_json to_json(const StudyResult& result) {
  nlohmann::ordered_json j = {{"tool", report::tool_info()}};
  if (!result.rows.empty()) {
    const auto& model = result.rows.front().model;
    j["model"] = {{"id", model.id}, {"fingerprint", model.fingerprint}};
  }
  j["chips"] = nlohmann::ordered_json::array();
  j["results"] = nlohmann::ordered_json::array();
  for (const auto& row : result.rows) {
    j["chips"].push_back(report::to_json(row.chip));
    j["results"].push_back(report::to_json(row.serving, false));
    j["results"].back()["cost"] = cost_json(row);
  }
  return j;
}

std::optional<core::Bytes> ModelReport::memory_needed() const {
  if (serving_memory) return serving_memory->total();
  if (training_memory) return training_memory->total();
  return std::nullopt;
}

std::optional<bool> ModelReport::fits() const {
  auto need = memory_needed();
  if (!need || !chip) return std::nullopt;
  return *need <= chip->memory.capacity();
}

core::Result<TrainResult> train(const config::Catalog& catalog, const TrainRequest& request) {
  auto routed = route(request.overrides);
  if (!routed) return routed.errors();
  core::Diagnostics errors;
  auto chip = hw::load_chip(catalog, request.chip, routed->chip);
  auto model = workload::load_model(catalog, request.model, routed->model);
  auto scenario = workload::load_train_scenario(catalog, request.scenario, under("train", routed->scenario));
  if (!chip) core::append_new(errors, from_request(chip.errors(), "chip"));
  if (!model) core::append_new(errors, from_request(model.errors(), "model"));
  if (!scenario) core::append_new(errors, from_request(scenario.errors(), "scenario"));
  if (!request.system && !routed->system.empty()) {
    errors.push_back(core::bad_input("system. overrides need a system file (--system)", "system"));
  }
  if (!(request.tokens > 0 && std::isfinite(request.tokens))) {
    errors.push_back(core::bad_input("the tokens to train must be a positive number", "tokens"));
  }
  // The system reads against the chip (its levels may name the chip's links).
  std::optional<system::System> cluster;
  if (chip && request.system) {
    auto loaded = system::load_system(catalog, *request.system, *chip, routed->system);
    if (loaded) {
      cluster = std::move(loaded).value();
    } else {
      core::append_new(errors, from_request(loaded.errors(), "system"));
    }
  }
  const workload::Parallelism p = scenario ? scenario->parallelism : workload::Parallelism{};
  const int64_t chips = p.tensor * p.pipeline * p.data * p.context;
  if (chip && !request.system && chips > 1 && !chip->scale_up) {
    errors.push_back(core::bad_input(
        fmt::format("'{}' has no scale-up link to join {} chips: name a system (--system)", chip->id, chips),
        "system"));
  }
  auto datacenter = cost::load_datacenter(catalog, request.datacenter);
  if (!datacenter) core::append_new(errors, from_request(datacenter.errors(), "datacenter"));
  auto calibration = cost::load_physical_calibration(catalog);
  if (!calibration) core::append_new(errors, calibration.errors());
  if (!errors.empty()) return errors;

  TrainResult out;
  out.chip = *chip;
  out.model = *model;
  out.scenario = *scenario;
  out.tokens = request.tokens;
  out.system = cluster ? *cluster : system::single_switch(*chip, chips);
  auto step = system::train_step(*chip, *model, *scenario, out.system, request.tier);
  if (!step) return step.errors();
  out.step = std::move(step).value();
  add_training_cost(catalog, *calibration, *datacenter, request.tier, out);
  return out;
}

namespace {

// Power, energy and cost of the run; null figures where `unknown` says why.
nlohmann::ordered_json train_cost_json(const TrainResult& r) {
  using report::quantity;
  nlohmann::ordered_json j = nlohmann::ordered_json::object();
  if (r.datacenter) j["datacenter"] = datacenter_json(*r.datacenter);
  if (r.cost) {
    const auto& c = *r.cost;
    j["power_per_chip"] = {{"compute_demand", quantity(c.power.demand)},
                           {"compute_drawn", quantity(c.power.drawn)},
                           {"clock_scale", c.power.clock_scale},
                           {"average", quantity(c.average_power)}};
    j["step_time_at_tdp"] = quantity(c.step_time);
    j["tokens_per_joule"] = c.tokens_per_joule;
    j["run_energy_at_facility"] = quantity(c.run_energy);
    j["usd_per_chip_hour"] = c.tco ? nlohmann::ordered_json(c.tco->per_hour().base()) : nullptr;
    j["chip_cost"] = c.tco ? quantity(c.tco->chip) : nullptr;
    j["usd_per_step"] = c.per_step ? nlohmann::ordered_json(c.per_step->base()) : nullptr;
    j["usd_per_run"] = c.per_run ? nlohmann::ordered_json(c.per_run->base()) : nullptr;
  }
  j["unknown"] = r.cost_unknown;
  return j;
}

}  // namespace

nlohmann::ordered_json to_json(const TrainResult& r) {
  using report::quantity;
  const system::TrainingResult& t = r.step;
  const system::StepTime& s = t.step;
  const auto& p = r.scenario.parallelism;
  nlohmann::ordered_json levels = nlohmann::ordered_json::array();
  for (const auto& l : r.system.levels) {
    levels.push_back({{"name", l.name}, {"network", system::name(l.network)}, {"chips", l.chips},
                      {"bandwidth", quantity(l.bandwidth)}, {"efficiency", l.efficiency},
                      {"latency", quantity(l.latency)}});
  }
  nlohmann::ordered_json collectives = nlohmann::ordered_json::array();
  for (const auto& c : t.collectives) {
    collectives.push_back({{"name", c.collective.name},
                           {"kind", workload::name(c.collective.kind)},
                           {"group", workload::name(c.collective.group)},
                           {"group_size", c.collective.group_size},
                           {"bytes", quantity(c.collective.bytes)},
                           {"count", c.collective.count},
                           {"algorithm", system::name(c.each.algorithm)},
                           {"level", r.system.levels.empty() ? "" : r.system.levels[c.each.level].name},
                           {"each", quantity(c.each.time)},
                           {"exposed", quantity(c.exposed)}});
  }
  return {{"tool", report::tool_info()},
          {"chip", {{"id", r.chip.id}, {"name", r.chip.name}, {"fingerprint", r.chip.fingerprint}}},
          {"model", {{"id", r.model.id}, {"fingerprint", r.model.fingerprint}}},
          {"scenario",
           {{"name", r.scenario.name},
            {"fingerprint", r.scenario.fingerprint},
            {"global_batch", r.scenario.global_batch},
            {"micro_batch", r.scenario.micro_batch},
            {"sequence_length", r.scenario.sequence_length},
            {"recompute", workload::name(r.scenario.recompute)},
            {"dropout", r.scenario.dropout},
            {"overlap",
             {{"gradient_reduce", r.scenario.overlap.gradient_reduce},
              {"weight_gather", r.scenario.overlap.weight_gather},
              {"tensor_parallel", workload::name(r.scenario.overlap.tensor_parallel)}}},
            {"parallelism",
             {{"tensor", p.tensor}, {"pipeline", p.pipeline}, {"data", p.data}, {"expert", p.expert},
              {"context", p.context}, {"virtual_stages", p.virtual_stages},
              {"sequence_parallel", p.sequence_parallel}, {"zero", p.zero_stage}}}}},
          {"system", {{"id", r.system.id}, {"name", r.system.name}, {"fingerprint", r.system.fingerprint},
                      {"levels", levels}}},
          {"result",
           {{"chips", t.chips},
            {"micro_batches", t.micro_batches},
            {"step_time", quantity(s.total())},
            {"breakdown",
             {{"forward", quantity(s.forward)},
              {"backward", quantity(s.backward)},
              {"recompute", quantity(s.recompute)},
              {"optimizer", quantity(s.optimizer)},
              {"tensor_parallel_comm", quantity(s.tensor_comm)},
              {"context_parallel_comm", quantity(s.context_comm)},
              {"expert_parallel_comm", quantity(s.expert_comm)},
              {"pipeline_comm", quantity(s.pipeline_comm)},
              {"data_parallel_comm", quantity(s.data_comm)},
              {"bubble", quantity(s.bubble)}}},
            {"mfu", t.mfu},
            {"hfu", t.hfu},
            {"tokens_per_s", t.tokens_per_s()},
            {"tokens_per_s_per_chip", t.tokens_per_s() / static_cast<double>(t.chips)},
            {"tokens_to_train", r.tokens},
            {"time_to_train", quantity(t.time_to_train(r.tokens))},
            {"memory_per_chip",
             {{"weights", quantity(t.memory.weights)},
              {"gradients", quantity(t.memory.gradients)},
              {"optimizer", quantity(t.memory.optimizer)},
              {"activations", quantity(t.memory.activations)},
              {"total", quantity(t.memory.total())},
              {"fits", t.fits}}},
            {"collectives", collectives}}},
          {"cost", train_cost_json(r)}};
}

core::Result<ModelReport> show_model(const config::Catalog& catalog, const ModelRequest& request) {
  auto routed = route(request.overrides);
  if (!routed) return routed.errors();
  core::Diagnostics errors;
  auto model = workload::load_model(catalog, request.model, routed->model);
  if (!model) core::append_new(errors, from_request(model.errors(), "model"));
  std::optional<hw::ChipSpec> chip;
  if (request.chip) {
    auto loaded = hw::load_chip(catalog, *request.chip, routed->chip);
    if (loaded) {
      chip = std::move(loaded).value();
    } else {
      core::append_new(errors, from_request(loaded.errors(), "chip"));
    }
  }
  // A scenario file (or the preset it builds on) holds `serve:` or `train:`.
  std::optional<workload::ServeScenario> serve;
  std::optional<workload::TrainScenario> train;
  if (request.scenario) {
    auto doc = config::catalog_document(catalog, "scenarios", *request.scenario);
    if (!doc) {
      core::append_new(errors, from_request(doc.errors(), "scenario"));
    } else if (doc->find("train") != nullptr) {
      auto loaded = workload::load_train_scenario(catalog, *request.scenario, under("train", routed->scenario));
      if (loaded) {
        train = std::move(loaded).value();
      } else {
        core::append_new(errors, loaded.errors());
      }
    } else {
      auto loaded = workload::load_scenario(catalog, *request.scenario, under("serve", routed->scenario));
      if (loaded) {
        serve = std::move(loaded).value();
      } else {
        core::append_new(errors, loaded.errors());
      }
    }
  }
  if (!errors.empty()) return errors;

  ModelReport report;
  report.model = *model;
  report.chip = chip;
  const workload::Formats bf16;
  report.kv_bytes_per_token_bf16 = workload::kv_bytes_per_token(*model, bf16);
  report.context = 2048;
  if (train) {
    if (auto layout = workload::check_layout(*model, *train); !layout.empty()) return layout;
    report.train = *train;
    report.context = train->sequence_length;
    report.training_memory = workload::training_memory(*model, *train);
    // FLOPs of the whole model per token: one chip's step, times the chips
    // that split each of its tokens' layers (tensor and pipeline groups).
    const auto& p = train->parallelism;
    report.training_ops_per_token = workload::training_graph(*model, *train).total().tensor_ops *
                                    static_cast<double>(p.tensor * p.pipeline) /
                                    workload::tokens_per_chip_step(*train);
  } else if (serve) {
    report.serve = *serve;
    report.context = serve->prompt_length;
    report.serving_memory = workload::serving_memory(*model, *serve);
  }
  workload::ServeScenario one_token;
  report.forward_ops_per_token = workload::decode_graph(*model, one_token).total(report.context).tensor_ops;
  return report;
}

nlohmann::ordered_json to_json(const ModelReport& r) {
  const auto& m = r.model;
  nlohmann::ordered_json j = {{"tool", report::tool_info()}};
  j["model"] = {{"id", m.id},
                {"fingerprint", m.fingerprint},
                {"model_type", m.model_type},
                {"layers", m.layers},
                {"hidden", m.hidden},
                {"heads", m.heads},
                {"kv_heads", m.kv_heads},
                {"head_dim", m.head_dim},
                {"vocab", m.vocab},
                {"params_total", m.total_params()},
                {"params_active", m.active_params()},
                {"params_embedding", m.embedding_params()},
                {"experts", m.moe ? nlohmann::ordered_json(m.moe->experts) : nlohmann::ordered_json()},
                {"experts_per_token", m.moe ? nlohmann::ordered_json(m.moe->experts_per_token) : nlohmann::ordered_json()}};
  j["context"] = r.context;
  j["forward_ops_per_token"] = report::quantity(r.forward_ops_per_token);
  j["kv_bytes_per_token_bf16"] = report::quantity(r.kv_bytes_per_token_bf16);
  if (r.serve) {
    j["scenario"] = report::to_json(*r.serve);
    j["memory"] = {{"weights", report::quantity(r.serving_memory->weights)},
                   {"kv_cache", report::quantity(r.serving_memory->kv_cache)},
                   {"activations", report::quantity(r.serving_memory->activations)},
                   {"total", report::quantity(r.serving_memory->total())}};
  }
  if (r.train) {
    const auto& mem = *r.training_memory;
    j["scenario"] = {{"name", r.train->name},
                     {"global_batch", r.train->global_batch},
                     {"sequence_length", r.train->sequence_length},
                     {"recompute", workload::name(r.train->recompute)}};
    j["training_ops_per_token"] = report::quantity(*r.training_ops_per_token);
    j["memory_per_chip"] = {{"weights", report::quantity(mem.weights)},
                            {"gradients", report::quantity(mem.gradients)},
                            {"optimizer", report::quantity(mem.optimizer)},
                            {"activations", report::quantity(mem.activations)},
                            {"total", report::quantity(mem.total())}};
  }
  if (r.chip) {
    j["chip"] = r.chip->id;
    j["capacity"] = report::quantity(r.chip->memory.capacity());
    j["fits"] = r.fits() ? nlohmann::ordered_json(*r.fits()) : nlohmann::ordered_json();
  }
  return j;
}

bool PhysicalValidation::within_bounds() const {
  return std::all_of(checks.begin(), checks.end(),
                     [](const PhysicalCheck& c) { return std::abs(c.error()) <= c.bound; });
}

core::Result<std::vector<validate::FileReport>> validate_serving(const config::Catalog& catalog,
                                                                 const std::vector<std::string>& paths,
                                                                 perf::Tier tier) {
  auto calibration = cost::load_physical_calibration(catalog);
  if (!calibration) return calibration.errors();
  auto cap = [&](const hw::ChipSpec& chip, const perf::ServingResult& s) -> std::optional<cost::WorkloadPower> {
    auto power = serving_power(load_parts(catalog, chip), *calibration, chip, s);
    if (!power) return std::nullopt;
    return power->power;
  };
  return validate::run(catalog, paths, tier, cap);
}

nlohmann::ordered_json to_json(const std::vector<validate::FileReport>& reports, perf::Tier tier) {
  nlohmann::ordered_json files = nlohmann::ordered_json::array();
  for (const auto& file : reports) {
    nlohmann::ordered_json rows = nlohmann::ordered_json::array();
    for (const auto& r : file.rows) {
      rows.push_back({{"name", r.name}, {"chip", r.chip}, {"quantity", r.quantity}, {"predicted", r.predicted},
                      {"measured", r.measured}, {"error", r.error()},
                      {"clock_scale", report::optional(r.clock_scale)}, {"detail", r.detail}});
    }
    files.push_back({{"file", file.file}, {"rows", rows}, {"mean_abs_error", file.mean_abs_error()},
                     {"max_abs_error", file.max_abs_error()}, {"mean_abs_error_bound", file.mean_bound},
                     {"max_abs_error_bound", file.row_bound}, {"within_bounds", file.within_bounds()}});
  }
  return {{"tool", report::tool_info()}, {"tier", perf::name(tier)}, {"files", files}};
}

core::Result<PhysicalValidation> validate_physical(const config::Catalog& catalog) {
  constexpr double kAreaBound = 0.15, kPowerBound = 0.20;  // issue #7's acceptance bounds
  auto calibration = cost::load_physical_calibration(catalog);
  if (!calibration) return calibration.errors();
  PhysicalValidation v;
  for (const auto& id : catalog.ids("chips")) {
    auto chip = hw::load_chip(catalog, id);
    if (!chip) return chip.errors();
    if (chip->vendor == "tensorfab") continue;  // the design, not a shipped chip
    const PhysicalReport parts = load_parts(catalog, *chip);
    if (!parts.node) {
      v.skipped.push_back(id + ": no node file for its process node '" + chip->process_node + "'");
      continue;
    }
    const auto& node = parts.node;
    if (!chip->die_area) {
      v.skipped.push_back(id + ", die area: not published");
    } else {
      auto area = hw::estimate_area(*chip, *node, parts.memory, calibration->area, parts.multi_die);
      if (area) {
        v.checks.push_back({id, "die area, per die", area->per_die.base() * 1e6,
                            chip->die_area->base() * 1e6 / static_cast<double>(chip->dies), kAreaBound});
      } else {
        v.skipped.push_back(id + ", die area: " + first_message(area.errors()));
      }
    }
    auto power = cost::gemm_power(*chip, *node, calibration->power, gemm_format(*chip));
    if (power) {
      v.checks.push_back({id, fmt::format("power, {} GEMM", core::name(power->format)), power->demand.base(),
                          power->tdp.base(), kPowerBound});
    } else {
      v.skipped.push_back(id + ", power: " + first_message(power.errors()));
    }
  }
  return v;
}

nlohmann::ordered_json to_json(const PhysicalValidation& v) {
  nlohmann::ordered_json checks = nlohmann::ordered_json::array();
  for (const auto& c : v.checks) {
    checks.push_back({{"chip", c.chip},
                      {"quantity", c.quantity},
                      {"predicted", c.predicted},
                      {"published", c.published},
                      {"error", c.error()},
                      {"bound", c.bound}});
  }
  return {{"tool", report::tool_info()}, {"checks", checks}, {"skipped", v.skipped},
          {"within_bounds", v.within_bounds()}};
}

namespace {

// A program file, text or binary image (told by its "TFVP" start), checked
// against a machine where one is given.
core::Result<vp::Program> read_program(const std::string& path, const vp::Machine* machine) {
  auto read = config::read_file(path);
  if (!read) return read.errors();
  return parse_program(*read, path, machine);
}

}  // namespace

core::Result<vp::Program> parse_program(std::string_view content, const std::string& file,
                                        const vp::Machine* machine) {
  if (content.starts_with("TFVP")) {
    const auto* data = reinterpret_cast<const uint8_t*>(content.data());
    return vp::decode(std::span(data, content.size()), file, machine);
  }
  return vp::assemble(content, file, machine);
}

core::Result<vp::Program> load_program(const config::Catalog& catalog, const ProgramRequest& request) {
  if (request.chip.empty()) return read_program(request.path, nullptr);
  auto chip = hw::load_chip(catalog, request.chip);
  if (!chip) return chip.errors();
  auto machine = vp::machine_for(*chip);
  if (!machine) return machine.errors();
  return read_program(request.path, &*machine);
}

namespace {

// "0x1000" or "4096": a non-negative integer.
std::optional<int64_t> parse_address(std::string_view text) {
  try {
    size_t used = 0;
    const long long v = std::stoll(std::string(text), &used, 0);
    if (used != text.size() || v < 0) return std::nullopt;
    return v;
  } catch (const std::exception&) {
    return std::nullopt;
  }
}

}  // namespace

core::Result<CompiledGemm> compile_gemm(const config::Catalog& catalog, const GemmRequest& request) {
  core::Diagnostics errors;
  auto type = [&](const std::string& text, const char* key) {
    const auto t = vp::parse_data_type(text);
    if (!t) {
      core::Diagnostic d = core::bad_input(fmt::format("unknown element type '{}'", text), key);
      if (auto near = core::closest_match(text, vp::data_type_names())) d.notes.push_back(fmt::format("did you mean '{}'?", *near));
      errors.push_back(std::move(d));
    }
    return t.value_or(vp::DataType::kBf16);
  };
  vp::GemmKernel g;
  const vp::DataType operands = type(request.operands, "--type"), output = type(request.output, "--out-type");
  g.accumulator = type(request.accumulator, "--accumulator");
  for (const auto& [value, flag] : {std::pair{request.m, "--m"}, std::pair{request.n, "--n"}, std::pair{request.k, "--k"}}) {
    if (value <= 0 || value > (int64_t{1} << 20)) {
      errors.push_back(core::bad_input(fmt::format("expected a size from 1 to 2^20, got {}", value), flag));
    }
  }
  auto chip = hw::load_chip(catalog, request.chip);
  if (!chip) core::append_new(errors, chip.errors());
  if (!errors.empty()) return errors;
  auto machine = vp::machine_for(*chip);
  if (!machine) return machine.errors();

  // One tensor after another, each 4 KiB aligned.
  int64_t at = 0;
  auto place = [&](int64_t bytes) {
    const int64_t start = at;
    at += (bytes + 4095) / 4096 * 4096;
    return start;
  };
  g.a = {place(request.m * vp::row_bytes(operands, request.k)), operands, request.m, request.k, 0};
  g.b = {place(request.n * vp::row_bytes(operands, request.k)), operands, request.n, request.k, 0};
  g.c = {place(request.m * vp::row_bytes(output, request.n)), output, request.m, request.n, 0};
  g.a.scales = place(vp::scale_bytes(operands, request.m, request.k));
  g.b.scales = place(vp::scale_bytes(operands, request.n, request.k));
  // Room for split-K parts, where HBM has it: a split leaves no core more
  // than one part, of at most 256 x 256, so the cores' worth at most.
  const int64_t parts = vp::row_bytes(g.accumulator, machine->cores * std::min(request.m * request.n, int64_t{256 * 256}));
  if (static_cast<double>(at + parts) <= machine->hbm.base()) g.workspace = place(parts), g.workspace_bytes = parts;
  if (static_cast<double>(at) > machine->hbm.base()) {
    return core::bad_input(fmt::format("A, B and C take {} bytes; {} has {:.0f} of HBM", at, machine->chip,
                                       machine->hbm.base()),
                           "--m");
  }
  vp::GemmPlan plan;
  auto timing = vp::timing_for(*chip);
  if (!timing) return timing.errors();
  auto program = vp::compile_gemm(g, *machine, *timing, &plan, request.choice);
  if (!program) {
    core::Diagnostics failed = program.errors();
    for (core::Diagnostic& d : failed) {  // name the flag the user typed
      if (d.key_path == "stages") d.key_path = "--stages";
      if (d.key_path == "split_k") d.key_path = "--split-k";
      if (d.key_path == "tile_m") d.key_path = "--tile-m";
      if (d.key_path == "tile_n") d.key_path = "--tile-n";
    }
    return failed;
  }
  return CompiledGemm{std::move(*program), g, plan};
}

core::Result<MemoryRunOutcome> run_program(const config::Catalog& catalog, const MemoryRunRequest& request) {
  auto chip = hw::load_chip(catalog, request.chip);
  if (!chip) return chip.errors();
  auto machine = vp::machine_for(*chip);
  if (!machine) return machine.errors();
  auto timing = vp::timing_for(*chip);
  if (!timing) return timing.errors();
  auto program = parse_program(request.program, request.file, &*machine);
  if (!program) return program.errors();

  core::Diagnostics errors;
  const double hbm_bytes = machine->hbm.base();
  vp::Hbm hbm;
  for (const auto& [address, bytes] : request.loads) {
    if (address < 0 || static_cast<double>(address) + static_cast<double>(bytes.size()) > hbm_bytes) {
      errors.push_back(core::bad_input(
          fmt::format("{} bytes at {:#x} pass the end of HBM ({:.0f} bytes)", bytes.size(), address, hbm_bytes),
          "load"));
      continue;
    }
    hbm.write(address, std::span(reinterpret_cast<const uint8_t*>(bytes.data()), bytes.size()));
  }
  for (const auto& [address, bytes] : request.dumps) {
    if (address < 0 || bytes <= 0 || static_cast<double>(address) + static_cast<double>(bytes) > hbm_bytes ||
        bytes > (int64_t{1} << 32)) {
      errors.push_back(core::bad_input(
          fmt::format("{} bytes at {:#x}: expected at least 1 and at most 4 GiB, inside HBM ({:.0f} bytes)", bytes,
                      address, hbm_bytes),
          "dump"));
    }
  }
  if (!errors.empty()) return errors;

  auto result = vp::run(*program, *machine, *timing, hbm, request.options, request.file);
  if (!result) return result.errors();
  MemoryRunOutcome out{{std::move(*program), *machine, std::move(*timing), std::move(*result)}, {}};
  for (const auto& [address, bytes] : request.dumps) {
    std::string& dumped = out.dumps.emplace_back(static_cast<size_t>(bytes), '\0');
    hbm.read(address, std::span(reinterpret_cast<uint8_t*>(dumped.data()), dumped.size()));
  }
  return out;
}

core::Result<RunOutcome> run_program(const config::Catalog& catalog, const RunRequest& request) {
  core::Diagnostics errors;
  MemoryRunRequest memory{request.program.chip, {}, request.program.path, {}, {}, request.options};
  auto content = config::read_file(request.program.path);
  if (!content) return content.errors();
  memory.program = std::move(*content);
  for (const std::string& load : request.loads) {
    const size_t eq = load.find('=');
    const auto address = parse_address(std::string_view(load).substr(0, eq));
    if (eq == std::string::npos || !address) {
      errors.push_back(core::bad_input(fmt::format("expected ADDRESS=FILE, got '{}'", load), "--load"));
      continue;
    }
    auto bytes = config::read_file(load.substr(eq + 1));
    if (!bytes) {
      core::append_new(errors, bytes.errors());
      continue;
    }
    memory.loads.emplace_back(*address, std::move(*bytes));
  }
  std::vector<std::string> dump_paths;
  for (const std::string& dump : request.dumps) {
    const size_t colon = dump.find(':'), eq = dump.find('=');
    std::optional<int64_t> address, bytes;
    if (colon != std::string::npos && eq != std::string::npos && colon < eq) {
      address = parse_address(std::string_view(dump).substr(0, colon));
      bytes = parse_address(std::string_view(dump).substr(colon + 1, eq - colon - 1));
    }
    if (!address || !bytes) {
      errors.push_back(core::bad_input(fmt::format("expected ADDRESS:BYTES=FILE, got '{}'", dump), "--dump"));
      continue;
    }
    memory.dumps.emplace_back(*address, *bytes);
    dump_paths.push_back(dump.substr(eq + 1));
  }
  if (!errors.empty()) return errors;

  auto ran = run_program(catalog, memory);
  if (!ran) {
    core::Diagnostics failed = ran.errors();
    for (core::Diagnostic& d : failed) {  // name the flag the user typed
      if (d.key_path == "load" || d.key_path == "dump") d.key_path = "--" + d.key_path;
    }
    return failed;
  }
  for (size_t i = 0; i < dump_paths.size(); ++i) {
    std::ofstream out(dump_paths[i], std::ios::binary);
    out.write(ran->dumps[i].data(), static_cast<std::streamsize>(ran->dumps[i].size()));
    if (!out) errors.push_back(core::bad_input(fmt::format("{}: cannot be written", dump_paths[i]), "--dump"));
  }
  if (!errors.empty()) return errors;
  return std::move(ran).value().outcome;
}

namespace {

struct LlamaSetup {
  vp::Machine machine;
  vp::Timing timing;
  std::vector<vp::LlamaFormats> formats;
};

// `vp compile llama` and `numerics` take the model's sizes, the tokens and
// the formats as flags: errors name the flag the user typed (llama.kv_heads
// is --kv-heads). The keys no flag sets keep their names.
core::Diagnostics name_llama_flags(core::Diagnostics errors) {
  for (core::Diagnostic& d : errors) {
    std::string& key = d.key_path;
    if (key.starts_with("formats.")) {
      key = "--formats";
    } else if (key.starts_with("llama.") && key != "llama.rope_theta" && key != "llama.norm_eps") {
      key = "--" + key.substr(std::string_view("llama.").size());
      std::replace(key.begin(), key.end(), '_', '-');
    }
  }
  return errors;
}

core::Result<LlamaSetup> llama_setup(const config::Catalog& catalog, const LlamaRequest& request) {
  core::Diagnostics errors = vp::check(request.model);
  core::append_new(errors, vp::check_tokens(request.prompt, request.generate));
  errors = name_llama_flags(std::move(errors));
  LlamaSetup setup;
  for (const std::string& pair : request.formats.empty() ? kStandardFormats : request.formats) {
    const size_t slash = pair.find('/');
    const auto weights = vp::parse_data_type(pair.substr(0, slash));
    const auto acts = slash == std::string::npos ? std::nullopt : vp::parse_data_type(pair.substr(slash + 1));
    if (!weights || !acts) {
      core::Diagnostic d = core::bad_input(
          fmt::format("expected WEIGHTS/ACTIVATIONS element types, as 'mxfp4/bf16', got '{}'", pair), "--formats");
      const std::string wrong = !weights ? pair.substr(0, slash) : slash == std::string::npos ? "" : pair.substr(slash + 1);
      auto near = core::closest_match(wrong, vp::data_type_names());
      if (!wrong.empty() && near) d.notes.push_back(fmt::format("did you mean '{}'?", *near));
      errors.push_back(std::move(d));
      continue;
    }
    setup.formats.push_back({*weights, *acts});
    core::append_new(errors, name_llama_flags(vp::check(setup.formats.back())));
  }
  auto chip = hw::load_chip(catalog, request.chip);
  if (!chip) core::append_new(errors, chip.errors());
  if (!errors.empty()) return errors;
  auto machine = vp::machine_for(*chip);
  if (!machine) return machine.errors();
  auto timing = vp::timing_for(*chip);
  if (!timing) return timing.errors();
  setup.machine = *machine;
  setup.timing = *timing;
  return setup;
}

}  // namespace

std::string describe(const LlamaRequest& r) {
  const vp::LlamaConfig& m = r.model;
  return fmt::format("a Llama-style model (hidden {}, {} layers, {} heads ({} KV) of {}, MLP {}, vocabulary {}), "
                     "seeded weights (seed {}), {} prompt tokens, {} generated greedily",
                     m.hidden, m.layers, m.heads, m.kv_heads, m.head_dim, m.intermediate, m.vocab, r.seed, r.prompt,
                     r.generate);
}

nlohmann::ordered_json to_json(const NumericsOutcome& outcome, const LlamaRequest& request) {
  nlohmann::ordered_json rows = nlohmann::ordered_json::array();
  for (const FormatRun& r : outcome.runs) {
    const vp::LogitsError& e = r.error;
    rows.push_back({{"weights", vp::name(r.formats.weights)}, {"activations", vp::name(r.formats.activations)},
                    {"positions_compared", e.positions}, {"rms_relative_error", e.rms_relative},
                    {"max_abs_error", e.max_abs}, {"nonfinite_logits", e.nonfinite},
                    {"tokens_agreeing", e.tokens_agreeing}, {"generated", e.generated},
                    {"tokens", r.decoded.tokens}, {"time_s", r.run.time.base()}, {"cycles", r.run.cycles},
                    {"instructions", r.run.instructions}});
  }
  return {{"tool", report::tool_info()}, {"chip", request.chip}, {"model", describe(request)},
          {"reference_tokens", outcome.reference.tokens}, {"runs", rows}};
}

core::Result<vp::CompiledLlama> compile_llama(const config::Catalog& catalog, const LlamaRequest& request) {
  auto setup = llama_setup(catalog, request);
  if (!setup) return setup.errors();
  auto compiled = vp::compile_llama(request.model, setup->formats.front(), setup->machine, request.prompt,
                                    request.generate);
  if (!compiled) return name_llama_flags(compiled.errors());
  return compiled;
}

core::Result<NumericsOutcome> numerics(const config::Catalog& catalog, const LlamaRequest& request) {
  auto setup = llama_setup(catalog, request);
  if (!setup) return setup.errors();
  NumericsOutcome out;
  out.machine = setup->machine;
  // Compile every pair first, so all their errors come at once.
  core::Diagnostics errors;
  std::vector<vp::CompiledLlama> programs;
  for (const vp::LlamaFormats& f : setup->formats) {
    auto compiled = vp::compile_llama(request.model, f, setup->machine, request.prompt, request.generate);
    if (!compiled) {
      core::append_new(errors, name_llama_flags(compiled.errors()));
      continue;
    }
    programs.push_back(std::move(*compiled));
  }
  if (!errors.empty()) return errors;
  out.prompt = vp::random_prompt(request.model, request.prompt, request.seed);
  out.weights = vp::random_weights(request.model, request.seed);
  out.reference = vp::reference_decode(request.model, out.weights, out.prompt, request.generate);
  auto runs = core::parallel_map(programs.size(), [&](size_t i) -> core::Result<FormatRun> {
    vp::Hbm hbm;
    vp::load_llama(programs[i], out.weights, out.prompt, hbm);
    auto result = vp::run(programs[i].program, setup->machine, setup->timing, hbm, {}, "llama.s");
    if (!result) return result.errors();
    FormatRun r;
    r.formats = programs[i].formats;
    r.decoded = vp::read_decoded(programs[i], hbm);
    r.error = vp::compare(out.reference, r.decoded, request.prompt, request.model.vocab);
    r.run = std::move(*result);
    r.cores = programs[i].cores;
    return r;
  });
  for (auto& r : runs) {
    if (!r) return r.errors();
    out.runs.push_back(std::move(*r));
  }
  return out;
}

// ---- Sweeps ------------------------------------------------------------------

namespace {

// Values computed once per key and shared by every thread after.
template <class T>
class Memo {
 public:
  template <class Make>
  std::shared_ptr<const T> get(const std::string& key, Make make) {
    {
      std::lock_guard lock(mutex_);
      if (auto it = values_.find(key); it != values_.end()) return it->second;
    }
    auto value = std::make_shared<const T>(make());
    std::lock_guard lock(mutex_);
    return values_.try_emplace(key, std::move(value)).first->second;
  }

 private:
  std::mutex mutex_;
  std::map<std::string, std::shared_ptr<const T>> values_;
};

std::string key_of(const config::Overrides& overrides) {
  std::string key;
  for (const auto& o : overrides) key += o.assignment + '\n';
  return key;
}

// What every point of a sweep shares, loaded once; and the model, scenario
// and chip parts, loaded once for each set of overrides that changes them.
struct DesignContext {
  config::Catalog catalog;  // remembering
  const dse::SweepSpec& spec;
  perf::Tier tier;
  cost::Datacenter datacenter;
  cost::PhysicalCalibration calibration;
  std::unique_ptr<Memo<core::Result<Inputs>>> inputs = std::make_unique<Memo<core::Result<Inputs>>>();
  std::unique_ptr<Memo<PhysicalReport>> parts = std::make_unique<Memo<PhysicalReport>>();
};

core::Result<DesignContext> design_context(const config::Catalog& catalog, const dse::SweepSpec& spec) {
  core::Diagnostics errors;
  auto datacenter = cost::load_datacenter(catalog, spec.base.datacenter);
  if (!datacenter) core::append_new(errors, from_request(datacenter.errors(), "base.datacenter"));
  auto calibration = cost::load_physical_calibration(catalog);
  if (!calibration) core::append_new(errors, calibration.errors());
  if (!errors.empty()) return errors;
  return DesignContext{catalog.remembering(), spec, perf::parse_tier(spec.base.tier).value_or(perf::Tier::kTile),
                       *datacenter, *calibration};
}

void set(dse::Row& row, dse::Metric m, double value) {
  if (std::isfinite(value)) row.metrics[static_cast<size_t>(m)] = value;
}

// One design point: its serving (with power and cost), its area and fit,
// its training step when the sweep asks. Reasons it is out go in the row.
dse::Row evaluate_design(const DesignContext& ctx, const config::Overrides& overrides) {
  using dse::Metric;
  dse::Row row;
  auto failed = [&row](const core::Diagnostics& errors) {
    row.infeasible.push_back({"evaluation failed", errors.front().str()});
    return row;
  };
  const dse::Base& base = ctx.spec.base;
  auto routed = route(overrides);
  if (!routed) return failed(routed.errors());
  auto loaded = hw::load_chip(ctx.catalog, base.chip, routed->chip);
  if (!loaded) return failed(loaded.errors());
  const hw::ChipSpec& chip = *loaded;

  // The part: its dies, its fit in the package, its cost. The node,
  // package, memory and die-to-die files it names are read once.
  const std::string parts_key =
      fmt::format("{}|{}|{}|{}|{}|{}|{}", chip.process_node, chip.package, memory_id(chip),
                  chip.die_to_die ? chip.die_to_die->interconnect : "", chip.stacked_dies ? chip.stacked_dies->process_node : "",
                  chip.stacked_dies ? chip.stacked_dies->bonding : "", key_of(routed->node));
  PhysicalReport parts = *ctx.parts->get(parts_key, [&] { return load_parts(ctx.catalog, chip, routed->node); });
  parts.chip = chip;
  const auto physical = parts.node ? physical_of(parts, ctx.calibration, /*unfit_is_error=*/false)
                                   : core::Result<PhysicalReport>(parts);
  if (physical) {
    set(row, Metric::kDieArea, physical->die.base() / dse::info(Metric::kDieArea).unit_base);
    for (const std::string& why : physical->fit.broken) {
      const auto colon = why.find(": ");
      row.infeasible.push_back({colon == std::string::npos ? "package" : why.substr(0, colon),
                                colon == std::string::npos ? why : why.substr(colon + 2)});
    }
    if (physical->bill && physical->bill->total) set(row, Metric::kChipCost, physical->bill->total->base());
  }

  if (base.scenario) {
    const auto inputs = ctx.inputs->get(key_of(routed->model) + "|" + key_of(routed->scenario), [&] {
      core::Diagnostics errors;
      return load_inputs(ctx.catalog, base.model, *base.scenario, *routed, errors);
    });
    if (!*inputs) return failed(inputs->errors());
    auto served = serve(chip, **inputs, ctx.tier, /*sweep=*/false);
    if (!served) return failed(served.errors());
    EvalResult e = std::move(served).value();
    const perf::ServingResult& s = e.serving;
    if (!s.memory.fits) {
      row.infeasible.push_back({"memory", fmt::format("the model needs {} a chip; it has {}",
                                                      core::format(s.memory.total()), core::format(s.memory.capacity))});
    }
    if (!s.meets_latency) row.infeasible.push_back({"latency", "even batch 1 misses the scenario's latency bound"});
    set(row, Metric::kMemoryNeeded, s.memory.total().base() / dse::info(Metric::kMemoryNeeded).unit_base);
    serving_cost(parts, physical, ctx.calibration, ctx.datacenter, e);
    // At the clock the TDP allows: the compute stretches, and with it the latencies.
    const double slowdown = e.cost ? e.cost->power.slowdown : 1.0;
    const double tokens_per_s = s.output_tokens_per_s_per_chip / slowdown;
    set(row, Metric::kTokensPerS, tokens_per_s);
    set(row, Metric::kTtft, s.time_to_first_token.base() * slowdown);
    set(row, Metric::kTpot, s.time_per_output_token.base() * slowdown);
    if (e.cost) {
      set(row, Metric::kPower, e.cost->average_power.base());
      if (e.cost->average_power.base() > 0) set(row, Metric::kTokensPerSPerWatt, e.cost->tokens_per_joule);
      if (e.cost->usd_per_million_tokens) set(row, Metric::kUsdPerMillionTokens, *e.cost->usd_per_million_tokens);
      if (e.cost->tco && e.cost->tco->chip.base() > 0) {
        set(row, Metric::kTokensPerSPerUsd, tokens_per_s / e.cost->tco->chip.base());
      }
    }
  }

  if (base.train_scenario) {
    TrainRequest train;
    train.chip = base.chip;
    train.model = base.model;
    train.scenario = *base.train_scenario;
    train.system = base.system;
    train.tier = ctx.tier;
    train.tokens = base.train_tokens;
    train.datacenter = base.datacenter;
    // The point's chip, model and system fields; scenario fields are the
    // serving scenario's where there is one, else the training scenario's.
    for (const auto& o : overrides) {
      const std::string& a = o.assignment;
      if (a.rfind("chip.", 0) == 0 || a.rfind("model.", 0) == 0 || a.rfind("system.", 0) == 0 ||
          (!base.scenario && a.rfind("scenario.", 0) == 0)) {
        train.overrides.push_back(o);
      }
    }
    auto run = api::train(ctx.catalog, train);
    if (!run) {
      row.infeasible.push_back({"training failed", run.errors().front().str()});
    } else {
      const double step = run->cost ? run->cost->step_time.base() : run->step.step.total().base();
      set(row, Metric::kStepTime, step);
      set(row, Metric::kMfu, run->step.mfu * run->step.step.total().base() / step);
      if (run->cost && run->cost->per_run) set(row, Metric::kUsdPerTrainingRun, run->cost->per_run->base());
      if (!run->step.fits) row.infeasible.push_back({"training memory", "the training step does not fit a chip"});
    }
  }
  return row;
}

}  // namespace

core::Result<dse::Row> sweep_point(const config::Catalog& catalog, const dse::SweepSpec& spec, int64_t index) {
  if (index < 0 || index >= spec.size()) return core::bad_input("no such point", "index");
  auto ctx = design_context(catalog, spec);
  if (!ctx) return ctx.errors();
  auto overrides = spec.overrides(index);
  if (!overrides) return overrides.errors();
  dse::Row row = evaluate_design(*ctx, *overrides);
  row.index = index;
  row.values = spec.value_indices(index);
  dse::apply_constraints(spec, row);
  return row;
}

core::Result<SweepResult> sweep(const config::Catalog& catalog, const SweepRequest& request) {
  auto spec = request.document ? dse::read_sweep(*request.document, request.file) : dse::load_sweep(request.file);
  if (!spec) return spec.errors();
  auto ctx = design_context(catalog, *spec);
  if (!ctx) return ctx.errors();

  // The base design and each axis value (the others at their first) are
  // tried first: a key or value the sweep file got wrong fails every point,
  // so it is an error in the file, reported before anything runs.
  core::Diagnostics errors;
  {
    auto chip = hw::load_chip(catalog, spec->base.chip);
    if (!chip) core::append_new(errors, from_request(chip.errors(), "base.chip"));
    auto model = workload::load_model(catalog, spec->base.model);
    if (!model) core::append_new(errors, from_request(model.errors(), "base.model"));
    if (spec->base.scenario) {
      auto scenario = workload::load_scenario(catalog, *spec->base.scenario);
      if (!scenario) core::append_new(errors, from_request(scenario.errors(), "base.scenario"));
    }
  }
  if (!errors.empty()) return errors;
  std::vector<int64_t> probes{0};
  int64_t stride = spec->size();
  for (const auto& axis : spec->axes) {
    stride /= static_cast<int64_t>(axis.values.size());
    for (size_t v = 1; v < axis.values.size(); ++v) probes.push_back(static_cast<int64_t>(v) * stride);
  }
  // An error in the sweep's own text: its origin is the file, or a line of it.
  const auto in_sweep = [&](const core::Diagnostic& d) {
    return d.location.file == spec->file || d.location.file.rfind(spec->file + ":", 0) == 0;
  };
  for (int64_t i : probes) {
    auto overrides = spec->overrides(i);
    if (!overrides) {
      core::append_new(errors, overrides.errors());
      continue;
    }
    auto routed = route(*overrides);
    if (!routed) {
      core::append_new(errors, routed.errors());
      continue;
    }
    auto chip = hw::load_chip(ctx->catalog, spec->base.chip, routed->chip);
    auto model = workload::load_model(ctx->catalog, spec->base.model, routed->model);
    auto scenario = spec->base.scenario
                        ? workload::load_scenario(ctx->catalog, *spec->base.scenario, under("serve", routed->scenario))
                        : core::Result<workload::ServeScenario>(workload::ServeScenario{});
    for (const core::Diagnostics* found : {chip ? nullptr : &chip.errors(), model ? nullptr : &model.errors(),
                                           scenario ? nullptr : &scenario.errors()}) {
      if (found == nullptr) continue;
      for (const auto& d : *found) {
        if (in_sweep(d)) core::append_new(errors, {d});
      }
    }
    if (chip && !routed->node.empty()) {
      if (auto node = tech::load_node(ctx->catalog, chip->process_node, routed->node); !node) {
        for (const auto& d : node.errors()) {
          if (in_sweep(d)) core::append_new(errors, {d});
        }
      }
    }
  }
  if (!errors.empty()) return errors;

  auto evaluate = [&](int64_t, const config::Overrides& overrides) { return evaluate_design(*ctx, overrides); };
  auto run = dse::run_sweep(*spec, evaluate, request.options, request.shard);
  if (!run) return run.errors();
  return SweepResult{std::move(spec).value(), std::move(run).value()};
}

}  // namespace tfab::api
