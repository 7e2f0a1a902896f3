#include "fuzz_target.h"

#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <fstream>

#include <fmt/format.h>

#include "tensorfab/api/api.h"
#include "tensorfab/core/version.h"
#include "tensorfab/validate/validate.h"

namespace tfab::fuzz {
namespace {

namespace fs = std::filesystem;

// The shipped data every input is evaluated against.
const config::Catalog& catalog() {
  static const config::Catalog shipped{core::kSourceDataDir};
  return shipped;
}

// A file of this process's own, so that parallel fuzzing jobs do not share one.
std::string write_input(std::string_view bytes, std::string_view extension) {
  const fs::path dir = fs::temp_directory_path() / fmt::format("tfab-fuzz-{}", ::getpid());
  fs::create_directories(dir);
  const fs::path file = dir / fmt::format("input{}", extension);
  std::ofstream(file, std::ios::binary).write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
  return file.string();
}

template <class Result, class ToJson>
std::optional<Finding> check_outcome(const Result& result, ToJson to_json) {
  if (!result) return std::nullopt;  // an error is a fine answer
  return non_finite(to_json(*result));
}

api::EvalRequest eval_request(std::string chip, std::string model) {
  api::EvalRequest request;
  request.chip = std::move(chip);
  request.model = std::move(model);
  return request;
}

// GPT-3 175B on A100s: a training scenario and a system, either one the input.
api::TrainRequest train_request(std::string scenario, std::string system) {
  api::TrainRequest request;
  request.chip = "a100-sxm-80gb";
  request.model = "megatron-175b";
  request.scenario = std::move(scenario);
  request.system = std::move(system);
  return request;
}

api::ModelRequest model_request(std::string model, std::string scenario) {
  api::ModelRequest request;
  request.model = std::move(model);
  request.scenario = std::move(scenario);
  request.chip = "h100-sxm";
  return request;
}

std::optional<Finding> evaluate(Kind kind, const std::string& file) {
  using namespace core::literals;
  const auto& shipped = catalog();
  auto eval_json = [](const api::EvalResult& r) { return api::to_json(r, true); };
  auto json = [](const auto& r) { return api::to_json(r); };
  switch (kind) {
    case Kind::kChip: {
      if (auto f = check_outcome(api::eval(shipped, eval_request(file, "llama-3.1-8b")), eval_json)) return f;
      return check_outcome(api::physical(shipped, file), json);
    }
    case Kind::kModel: {
      if (auto f = check_outcome(api::eval(shipped, eval_request("h100-sxm", file)), eval_json)) return f;
      return check_outcome(api::show_model(shipped, model_request(file, "serve-default")), json);
    }
    case Kind::kScenario: {
      auto request = eval_request("h100-sxm", "llama-3.1-8b");
      request.scenario = file;
      if (auto f = check_outcome(api::eval(shipped, request), eval_json)) return f;
      if (auto f = check_outcome(api::train(shipped, train_request(file, "selene")), json)) return f;
      return check_outcome(api::show_model(shipped, model_request("llama-3.1-8b", file)), json);
    }
    case Kind::kSystem:
      return check_outcome(api::train(shipped, train_request("train-gpt3-175b", file)), json);
    case Kind::kValidation: {
      auto reports = validate::run(shipped, {file}, perf::Tier::kRoofline);
      if (!reports) return std::nullopt;
      for (const auto& report : *reports) {
        for (const auto& row : report.rows) {
          if (!std::isfinite(row.predicted) || !std::isfinite(row.error())) {
            return Finding{"non-finite prediction for case '" + row.name + "'"};
          }
        }
      }
      return std::nullopt;
    }
    case Kind::kNode: {
      api::NodeRequest request;
      request.node = file;
      request.die_area = 600_mm2;
      return check_outcome(api::show_node(shipped, request), json);
    }
    case Kind::kDatacenter: {
      auto request = eval_request("h100-sxm", "llama-3.1-8b");
      request.datacenter = file;
      return check_outcome(api::eval(shipped, request), eval_json);
    }
    case Kind::kProgram: {
      // Text and binary forms hold the same program both ways round.
      auto program = api::load_program(shipped, {file, "seed-2nm"});
      if (!program) return std::nullopt;
      auto again = vp::assemble(vp::disassemble(*program), "disassembly.s");
      if (!again) return Finding{"its disassembly does not assemble: " + again.errors().front().str()};
      const std::vector<uint8_t> image = vp::encode(*program);
      if (vp::encode(*again) != image) return Finding{"its disassembly assembles to another program"};
      auto decoded = vp::decode(image, "image.bin");
      if (!decoded || vp::encode(*decoded) != image) return Finding{"its binary image does not decode to it"};
      // And it runs, or fails with an error: never a crash. Twice, to the same end.
      api::RunRequest run{{file, "seed-2nm"}, {}, {}, {}};
      run.options.instruction_limit = 20'000;
      run.options.work_limit = 4'000'000;  // a few seconds under the sanitizers
      auto first = api::run_program(shipped, run), second = api::run_program(shipped, run);
      if (first.ok() != second.ok() || (first.ok() && first->result.cycles != second->result.cycles)) {
        return Finding{"two runs of it end differently"};
      }
      return std::nullopt;
    }
    case Kind::kSweep: {
      // A few points spread over the space, and what they say together.
      auto spec = dse::load_sweep(file);
      if (!spec) return std::nullopt;
      static const config::Catalog remembered = shipped.remembering();
      std::vector<dse::Row> rows;
      const int64_t n = spec->size(), step = std::max<int64_t>(1, n / 3);
      for (int64_t i = 0; i < n && rows.size() < 4; i += step) {
        auto row = api::sweep_point(remembered, *spec, i);
        if (!row) return std::nullopt;
        for (const auto& m : row->metrics) {
          if (m && !std::isfinite(*m)) return Finding{"a non-finite metric at point " + std::to_string(i)};
        }
        rows.push_back(std::move(*row));
      }
      const auto summary = dse::summarise(*spec, rows);
      for (const auto& s : summary.sensitivity) {
        if (!std::isfinite(s.spread)) return Finding{"a non-finite sensitivity"};
      }
      return std::nullopt;
    }
    case Kind::kPackage:
    case Kind::kMemory:
    case Kind::kInterconnect:
      return std::nullopt;  // read by `check` alone: only chips name them, by id
  }
  return std::nullopt;
}

}  // namespace

const std::vector<KindName>& kinds() {
  static const std::vector<KindName> all = {
      {Kind::kChip, "chip", "chips"},           {Kind::kModel, "model", "models"},
      {Kind::kScenario, "scenario", "scenarios"}, {Kind::kValidation, "validation", "validation"},
      {Kind::kNode, "node", "nodes"},           {Kind::kPackage, "package", "packages"},
      {Kind::kMemory, "memory", "memories"},    {Kind::kInterconnect, "interconnect", "interconnects"},
      {Kind::kDatacenter, "datacenter", "datacenters"}, {Kind::kProgram, "program", "programs"},
      {Kind::kSystem, "system", "systems"},     {Kind::kSweep, "sweep", "sweeps"},
  };
  return all;
}

std::optional<Kind> kind_named(std::string_view name) {
  for (const auto& k : kinds()) {
    if (k.name == name) return k.kind;
  }
  return std::nullopt;
}

std::optional<Finding> non_finite(const nlohmann::ordered_json& j, const std::string& where) {
  if (j.is_number_float() && !std::isfinite(j.get<double>())) return Finding{"non-finite number at " + where};
  if (j.is_object()) {
    for (const auto& [key, value] : j.items()) {
      if (auto f = non_finite(value, where + "/" + key)) return f;
    }
  } else if (j.is_array()) {
    for (size_t i = 0; i < j.size(); ++i) {
      if (auto f = non_finite(j[i], where + "/" + std::to_string(i))) return f;
    }
  }
  return std::nullopt;
}

std::optional<Finding> run_one(Kind kind, std::string_view bytes) {
  const std::string file = write_input(bytes, kind == Kind::kModel ? ".json" : kind == Kind::kProgram ? ".s" : ".yaml");
  // Read as `tensorfab check --as KIND` reads it; a validation file is read
  // by running it, a program by `tensorfab vp disasm`.
  if (kind != Kind::kValidation && kind != Kind::kProgram) {
    const auto& named = *std::find_if(kinds().begin(), kinds().end(), [&](const auto& k) { return k.kind == kind; });
    if (!api::check(catalog(), {file}, std::string(named.name)).empty()) return std::nullopt;
  }
  return evaluate(kind, file);
}

}  // namespace tfab::fuzz
