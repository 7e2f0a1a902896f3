#include "tensorfab/api/api.h"

#include <fmt/format.h>

#include <array>
#include <filesystem>

#include "tensorfab/config/reader.h"
#include "tensorfab/report/json.h"
#include "tensorfab/workload/training.h"

namespace tfab::api {
namespace {

// Splits `--set` overrides by their first key: chip, model or scenario. A
// scenario's keys live under `serve:` in its file.
struct Routed {
  config::Overrides chip, model, scenario;
};

core::Result<Routed> route(const config::Overrides& overrides) {
  static const std::array<std::string, 3> kTargets{"chip", "model", "scenario"};
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
      out.scenario.emplace_back("serve." + rest, o.origin);
    } else {
      auto d = bad(fmt::format("'{}' must start with chip., model. or scenario.", text));
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

void append(core::Diagnostics& to, const core::Diagnostics& from) { to.insert(to.end(), from.begin(), from.end()); }

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
  auto scenario = workload::load_scenario(catalog, scenario_name, o.scenario);
  if (!model) append(errors, from_request(model.errors(), "model"));
  if (!scenario) append(errors, from_request(scenario.errors(), "scenario"));
  if (!model || !scenario) return errors;
  return Inputs{*model, *scenario};
}

core::Result<EvalResult> eval_chip(const config::Catalog& catalog, const std::string& chip_name,
                                   const Inputs& inputs, const Routed& o) {
  auto chip = hw::load_chip(catalog, chip_name, o.chip);
  if (!chip) return from_request(chip.errors(), "chip");
  auto serving = perf::evaluate_serving(*chip, inputs.model, inputs.scenario);
  if (!serving) return serving.errors();
  return EvalResult{*chip, inputs.model, std::move(serving).value()};
}

}  // namespace

std::vector<std::string> list(const config::Catalog& catalog, std::string_view kind) { return catalog.ids(kind); }

core::Result<std::vector<hw::ChipSpec>> chips(const config::Catalog& catalog, const std::vector<std::string>& ids,
                                              const config::Overrides& overrides) {
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
      append(errors, from_request(chip.errors(), "chip"));
    }
  }
  if (!errors.empty()) return errors;
  return out;
}

core::Result<EvalResult> eval(const config::Catalog& catalog, const EvalRequest& request) {
  StudyRequest one{{request.chip}, request.model, request.scenario, request.overrides};
  auto result = study(catalog, one);
  if (!result) return result.errors();
  return std::move(result->rows.front());
}

core::Result<StudyResult> study(const config::Catalog& catalog, const StudyRequest& request) {
  auto overrides = route(request.overrides);
  if (!overrides) return overrides.errors();
  core::Diagnostics errors;
  auto inputs = load_inputs(catalog, request.model, request.scenario, *overrides, errors);
  StudyResult out;
  for (const auto& chip : request.chips) {
    if (!inputs) {  // still check the chips, to report everything at once
      if (auto spec = hw::load_chip(catalog, chip, overrides->chip); !spec) {
        append(errors, from_request(spec.errors(), "chip"));
      }
      continue;
    }
    auto row = eval_chip(catalog, chip, *inputs, *overrides);
    if (row) {
      out.rows.push_back(std::move(row).value());
    } else {
      append(errors, row.errors());
    }
  }
  if (!errors.empty()) return errors;
  return out;
}

core::Diagnostics check(const config::Catalog& catalog, const std::vector<std::string>& files,
                        std::optional<std::string> kind) {
  core::Diagnostics errors;
  for (const auto& name : files) {
    // Arguments are paths here, never catalog ids.
    const std::string file = name.find('/') == std::string::npos ? "./" + name : name;
    std::string what = kind.value_or("");
    if (what.empty()) {
      // A model is a config.json; a scenario has a `serve:` map; the rest are chips.
      auto doc = config::load_document(file);
      if (!doc) {
        append(errors, doc.errors());
        continue;
      }
      what = std::filesystem::path(file).extension() == ".json" ? "model"
             : doc->find("serve") != nullptr                     ? "scenario"
             : doc->find("train") != nullptr                     ? "training scenario"
                                                                 : "chip";
    }
    core::Diagnostics found;
    if (what == "chip") {
      if (auto r = hw::load_chip(catalog, file); !r) found = r.errors();
    } else if (what == "model") {
      if (auto r = workload::load_model(catalog, file); !r) found = r.errors();
    } else if (what == "training scenario") {
      if (auto r = workload::load_train_scenario(catalog, file); !r) found = r.errors();
    } else {
      if (auto r = workload::load_scenario(catalog, file); !r) found = r.errors();
    }
    append(errors, found);
  }
  return errors;
}

nlohmann::ordered_json to_json(const EvalResult& result, bool with_ops) {
  return {{"tool", report::tool_info()},
          {"chip", report::to_json(result.chip)},
          {"result", report::to_json(result.serving, with_ops)}};
}

nlohmann::ordered_json to_json(const StudyResult& result) {
  nlohmann::ordered_json j = {{"tool", report::tool_info()}};
  j["chips"] = nlohmann::ordered_json::array();
  j["results"] = nlohmann::ordered_json::array();
  for (const auto& row : result.rows) {
    j["chips"].push_back(report::to_json(row.chip));
    j["results"].push_back(report::to_json(row.serving, false));
  }
  return j;
}

}  // namespace tfab::api
