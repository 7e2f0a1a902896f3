#include "tensorfab/validate/validate.h"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <filesystem>

#include "tensorfab/config/reader.h"
#include "tensorfab/core/parallel.h"
#include "tensorfab/perf/serving.h"

namespace tfab::validate {
namespace {

namespace fs = std::filesystem;

// The case files a list of paths names.
core::Result<std::vector<std::string>> case_files(const config::Catalog& catalog, std::vector<std::string> paths) {
  if (paths.empty()) paths.push_back((catalog.root() / "validation").string());
  std::vector<std::string> files;
  core::Diagnostics errors;
  for (const auto& path : paths) {
    std::error_code ec;
    if (fs::is_directory(path, ec)) {
      std::vector<std::string> found;
      for (const auto& entry : fs::directory_iterator(path, ec)) {
        const auto ext = entry.path().extension();
        if (entry.is_regular_file() && (ext == ".yaml" || ext == ".yml")) found.push_back(entry.path().string());
      }
      std::sort(found.begin(), found.end());
      if (found.empty()) errors.push_back(core::bad_input(fmt::format("no .yaml case files in folder '{}'", path)));
      files.insert(files.end(), found.begin(), found.end());
    } else {
      files.push_back(path);  // load_document reports a missing file
    }
  }
  if (!errors.empty()) return errors;
  return files;
}

struct Case {
  std::string name, chip, model;
  config::Node scenario;  // a scenario document: {serve: ...} or {train: ...}
  bool training = false;
  std::string system;     // training: the cluster it ran on
  double measured = 0;
};

core::Result<FileReport> read_file(const std::string& file, std::vector<Case>& cases) {
  auto doc = config::load_document(file);
  if (!doc) return doc.errors();
  core::Diagnostics errors;
  config::MapReader top(*doc, "", errors);
  top.optional<std::string>("source", "where the measurements come from");
  FileReport report;
  report.file = file;
  config::MapReader bounds = top.child("bounds", "error bounds the rows must meet");
  report.mean_bound = bounds.required<double>("mean_abs_error", "bound on the mean |error| (0.1 = 10%)").value_or(0);
  report.row_bound = bounds.required<double>("max_abs_error", "bound on every row's |error|").value_or(0);
  bounds.finish();
  const config::Node* list = top.raw("cases", "the cases: chip, model, serve, measured, source");
  top.finish();
  if (list == nullptr || list->kind() != config::Node::Kind::kSequence || list->items().empty()) {
    errors.push_back(core::bad_input("expected a non-empty list of cases", "cases"));
    if (list != nullptr) errors.back().location = list->location();
  } else {
    for (size_t i = 0; i < list->items().size(); ++i) {
      const config::Node& item = list->items()[i];
      config::MapReader c(item, fmt::format("cases[{}]", i), errors);
      Case one;
      one.name = c.required<std::string>("name", "what was measured").value_or("");
      one.chip = c.required<std::string>("chip", "chip id or path").value_or("");
      one.model = c.required<std::string>("model", "model id or path").value_or("");
      const config::Node* serve = c.raw("serve", "the serving scenario, as in a scenario file");
      const config::Node* train = c.raw("train", "the training scenario, as in a scenario file");
      one.scenario = config::Node::map(item.location());
      if (serve != nullptr && train == nullptr) {
        one.scenario.set("serve", *serve, serve->location());
        one.measured =
            c.required<double>("measured_tokens_per_s_per_chip", "the published output tokens/s per chip").value_or(1);
      } else if (train != nullptr && serve == nullptr) {
        one.training = true;
        one.scenario.set("train", *train, train->location());
        one.system = c.required<std::string>("system", "the cluster it ran on: system id or path").value_or("");
        one.measured = c.required<core::Time>("measured_step_time", "the published time of one optimizer step")
                           .value_or(core::Time::from_base(1))
                           .base();
      } else {
        c.error(item, serve != nullptr ? "train" : "serve",
                "expected one scenario: serve: (a serving case) or train: (a training case)");
      }
      c.required<std::string>("source", "where this measurement is published");
      c.optional<std::string>("note", "what the row's configuration leaves out");
      c.finish();
      cases.push_back(std::move(one));
    }
  }
  if (!errors.empty()) return errors;
  return report;
}

// A training case: one optimizer step on its system, at the published clock.
core::Result<Row> run_training_case(const config::Catalog& catalog, const std::string& file, const Case& c,
                                    const hw::ChipSpec& chip, const workload::ModelSpec& model, perf::Tier tier) {
  auto scenario = workload::read_train_scenario(c.scenario, c.name);
  if (!scenario) return scenario.errors();
  auto cluster = system::load_system(catalog, c.system, chip);
  if (!cluster) return cluster.errors();
  auto step = system::train_step(chip, model, *scenario, *cluster, tier);
  if (!step) return step.errors();
  Row row{file, c.name, chip.id, "step time, s", step->step.total().base(), c.measured, std::nullopt, {}};
  row.detail = fmt::format("MFU {:.1f}%, bubble {:.0f}%, exposed communication {:.0f}%", 100 * step->mfu,
                           100 * step->step.bubble.base() / row.predicted,
                           100 * step->step.communication().base() / row.predicted);
  return row;
}

// One case: its chip, model and scenario read, then evaluated.
core::Result<Row> run_case(const config::Catalog& catalog, const std::string& file, const Case& c, perf::Tier tier,
                           const PowerCap& power_cap) {
  auto chip = hw::load_chip(catalog, c.chip);
  auto model = workload::load_model(catalog, c.model);
  core::Diagnostics errors;
  for (const core::Diagnostics* e : {chip ? nullptr : &chip.errors(), model ? nullptr : &model.errors()}) {
    if (e != nullptr) errors.insert(errors.end(), e->begin(), e->end());
  }
  if (!errors.empty()) return errors;
  if (c.training) return run_training_case(catalog, file, c, *chip, *model, tier);
  auto scenario = workload::read_scenario(c.scenario, c.name);
  if (!scenario) return scenario.errors();
  auto serving = perf::evaluate_serving(*chip, *model, *scenario, tier);
  if (!serving) return serving.errors();
  Row row{file, c.name, chip->id, "tokens/s per chip", serving->output_tokens_per_s_per_chip, c.measured,
          std::nullopt, {}};
  if (power_cap) {
    if (auto power = power_cap(*chip, *serving)) {
      row.predicted /= power->slowdown;
      row.clock_scale = power->clock_scale;
    }
  }
  return row;
}

}  // namespace

double FileReport::mean_abs_error() const {
  if (rows.empty()) return 0;
  double sum = 0;
  for (const auto& r : rows) sum += std::abs(r.error());
  return sum / static_cast<double>(rows.size());
}

double FileReport::max_abs_error() const {
  double worst = 0;
  for (const auto& r : rows) worst = std::max(worst, std::abs(r.error()));
  return worst;
}

core::Result<std::vector<FileReport>> run(const config::Catalog& catalog, const std::vector<std::string>& paths,
                                          perf::Tier tier, const PowerCap& power_cap) {
  auto files = case_files(catalog, paths);
  if (!files) return files.errors();
  std::vector<FileReport> reports;
  core::Diagnostics errors;
  for (const auto& file : *files) {
    std::vector<Case> cases;
    auto read = read_file(file, cases);
    if (!read) {
      errors.insert(errors.end(), read.errors().begin(), read.errors().end());
      continue;
    }
    FileReport report = std::move(read).value();
    // The cases run on their own threads; rows and errors keep the file's order.
    auto rows = core::parallel_map(cases.size(), [&](size_t i) { return run_case(catalog, file, cases[i], tier, power_cap); });
    for (auto& row : rows) {
      if (row) {
        report.rows.push_back(std::move(row).value());
      } else {
        core::append_new(errors, row.errors());
      }
    }
    reports.push_back(std::move(report));
  }
  if (!errors.empty()) return errors;
  return reports;
}

}  // namespace tfab::validate
