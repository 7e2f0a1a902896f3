#include "tensorfab/dse/run.h"

#include <fmt/format.h>
#include <tbb/blocked_range.h>
#include <tbb/info.h>
#include <tbb/parallel_for.h>
#include <tbb/task_arena.h>

#include <chrono>
#include <cmath>
#include <cstring>
#include <fstream>
#include <iostream>
#include <nlohmann/json.hpp>
#include <sstream>

#include "tensorfab/config/node.h"

namespace tfab::dse {
namespace {

namespace fs = std::filesystem;
using Json = nlohmann::ordered_json;

// ---- Text of a row ----------------------------------------------------------

std::string csv_field(const std::string& text) {
  if (text.find_first_of(",\"\n") == std::string::npos) return text;
  std::string out = "\"";
  for (char c : text) out += c == '"' ? std::string("\"\"") : std::string(1, c);
  return out + "\"";
}

// Shortest text that reads back as the same double: resumed runs and
// `pareto` see exactly the numbers an unbroken run held.
std::string number(double v) { return fmt::format("{}", v); }

std::string reasons_text(const Row& row) {
  std::string out;
  for (const Reason& r : row.infeasible) out += (out.empty() ? "" : "; ") + r.kind + ": " + r.detail;
  return out;
}

// ---- Rows between ranks -----------------------------------------------------

struct Writer {
  std::string out;
  void u64(uint64_t v) { out.append(reinterpret_cast<const char*>(&v), sizeof v); }
  void f64(double v) { out.append(reinterpret_cast<const char*>(&v), sizeof v); }
  void str(const std::string& s) {
    u64(s.size());
    out += s;
  }
};

struct Reader {
  const std::string& in;
  size_t pos = 0;
  uint64_t u64() {
    uint64_t v = 0;
    std::memcpy(&v, in.data() + pos, sizeof v);
    pos += sizeof v;
    return v;
  }
  double f64() {
    double v = 0;
    std::memcpy(&v, in.data() + pos, sizeof v);
    pos += sizeof v;
    return v;
  }
  std::string str() {
    const auto n = u64();
    std::string s = in.substr(pos, n);
    pos += n;
    return s;
  }
};

// A rank's part of a chunk: its rows and their lines of text.
struct Part {
  std::vector<Row> rows;
  std::string csv, jsonl;
};

// Into `out`, whose memory is kept from chunk to chunk: fresh pages cost
// more than the copying on a virtual machine.
void pack(const Part& part, std::string& out) {
  Writer w{std::move(out)};
  w.out.clear();
  w.str(part.csv);
  w.str(part.jsonl);
  w.u64(part.rows.size());
  for (const Row& r : part.rows) {
    w.u64(static_cast<uint64_t>(r.index));
    w.u64(r.values.size());
    for (size_t v : r.values) w.u64(v);
    for (const auto& m : r.metrics) {
      w.u64(m ? 1 : 0);
      w.f64(m.value_or(0));
    }
    w.u64(r.infeasible.size());
    for (const Reason& reason : r.infeasible) {
      w.str(reason.kind);
      w.str(reason.detail);
    }
  }
  out = std::move(w.out);
}

void unpack(const std::string& bytes, Part& part) {
  Reader r{bytes};
  part.csv = r.str();
  part.jsonl = r.str();
  part.rows.resize(r.u64());
  for (Row& row : part.rows) {
    row.index = static_cast<int64_t>(r.u64());
    row.values.resize(r.u64());
    for (size_t& v : row.values) v = r.u64();
    for (auto& m : row.metrics) {
      const bool present = r.u64() != 0;
      const double v = r.f64();
      if (present) m = v;
    }
    row.infeasible.resize(r.u64());
    for (Reason& reason : row.infeasible) {
      reason.kind = r.str();
      reason.detail = r.str();
    }
  }
}

// ---- Progress ---------------------------------------------------------------

class Meter {
 public:
  Meter(Progress mode, int64_t total, int64_t start) : mode_(mode), total_(total), start_(start) {}

  void update(int64_t done, bool last = false) {
    if (mode_ == Progress::kNone) return;
    const auto now = Clock::now();
    const double since_print = std::chrono::duration<double>(now - printed_).count();
    if (!last && since_print < (mode_ == Progress::kBar ? 0.1 : 10.0)) return;
    if (last && done == printed_done_ && mode_ == Progress::kLines) return;  // said already
    printed_ = now;
    printed_done_ = done;
    const double elapsed = std::chrono::duration<double>(now - began_).count();
    const double rate = elapsed > 0 ? static_cast<double>(done - start_) / elapsed : 0;
    const double eta = rate > 0 ? static_cast<double>(total_ - done) / rate : 0;
    const double share = total_ > 0 ? static_cast<double>(done) / static_cast<double>(total_) : 1;
    const std::string figures = fmt::format("{}/{} points {:5.1f}%  {:.4g} points/s  ETA {:.0f} s", done, total_,
                                            100 * share, rate, eta);
    if (mode_ == Progress::kBar) {
      constexpr int kWidth = 30;
      const int filled = static_cast<int>(share * kWidth);
      std::cerr << fmt::format("\r[{}{}] {}", std::string(static_cast<size_t>(filled), '#'),
                               std::string(static_cast<size_t>(kWidth - filled), '.'), figures)
                << (last ? "\n" : "") << std::flush;
    } else {
      std::cerr << "sweep: " << figures << "\n";
    }
  }

 private:
  using Clock = std::chrono::steady_clock;
  Progress mode_;
  int64_t total_, start_;
  Clock::time_point began_ = Clock::now();
  Clock::time_point printed_ = Clock::time_point{};
  int64_t printed_done_ = -1;
};

// ---- Files ------------------------------------------------------------------

struct Checkpoint {
  std::string sweep;  // the spec's fingerprint
  int64_t next = 0;
  uint64_t csv_bytes = 0, jsonl_bytes = 0;
};

core::Diagnostic file_error(const fs::path& path, std::string message) {
  auto d = core::bad_input(std::move(message));
  d.location.file = path.string();
  return d;
}

core::Result<Checkpoint> read_checkpoint(const fs::path& path) {
  auto text = config::read_file(path.string());
  if (!text) return text.errors();
  try {
    const auto j = Json::parse(*text);
    return Checkpoint{j.at("sweep").get<std::string>(), j.at("next").get<int64_t>(), j.at("csv_bytes").get<uint64_t>(),
                      j.at("jsonl_bytes").get<uint64_t>()};
  } catch (const nlohmann::json::exception&) {
    return file_error(path, "not a checkpoint tensorfab wrote: start over with --force");
  }
}

// Written aside and renamed over the old one, so that a kill leaves either.
void write_checkpoint(const fs::path& folder, const Checkpoint& c) {
  const Json j = {{"sweep", c.sweep}, {"next", c.next}, {"csv_bytes", c.csv_bytes}, {"jsonl_bytes", c.jsonl_bytes}};
  const fs::path aside = folder / "checkpoint.json.new";
  std::ofstream(aside, std::ios::binary | std::ios::trunc) << j.dump() << "\n";
  fs::rename(aside, folder / "checkpoint.json");
}

Json spec_json(const SweepSpec& spec) {
  Json axes = Json::array();
  for (const Axis& a : spec.axes) axes.push_back({{"name", a.name}, {"labels", a.labels}});
  Json objectives = Json::array();
  for (const Objective& o : spec.objectives) {
    objectives.push_back({{"metric", info(o.metric).name}, {"goal", o.maximize ? "max" : "min"}});
  }
  Json constraints = Json::array();
  for (const Constraint& c : spec.constraints) constraints.push_back(c.text);
  Json metrics = Json::array();
  for (const MetricInfo& m : dse::metrics()) metrics.push_back({{"name", m.name}, {"unit", m.unit}, {"doc", m.doc}});
  return {{"name", spec.name},     {"file", spec.file},         {"fingerprint", spec.fingerprint},
          {"points", spec.size()}, {"top", spec.top},           {"axes", axes},
          {"objectives", objectives}, {"constraints", constraints}, {"metrics", metrics}};
}

void write_summary(const fs::path& folder, const SweepSpec& spec, const std::vector<Row>& rows, const Summary& s) {
  std::string pareto = csv_header(spec);
  for (int64_t i : s.front) pareto += csv_line(spec, rows[static_cast<size_t>(i)]);
  std::ofstream(folder / "summary.json", std::ios::binary | std::ios::trunc) << summary_json(spec, rows, s).dump(2) << "\n";
  std::ofstream(folder / "pareto.csv", std::ios::binary | std::ios::trunc) << pareto;
}

core::Result<std::vector<Row>> rows_of(const SweepSpec& spec, const std::string& jsonl, const fs::path& path) {
  std::vector<Row> rows;
  std::istringstream in(jsonl);
  std::string line;
  int number_of_line = 0;
  while (std::getline(in, line)) {
    ++number_of_line;
    try {
      const auto j = Json::parse(line);
      Row r;
      r.index = j.at("index").get<int64_t>();
      for (const Axis& a : spec.axes) {
        const auto label = j.at("axes").at(a.name).get<std::string>();
        const auto it = std::find(a.labels.begin(), a.labels.end(), label);
        if (it == a.labels.end()) throw std::out_of_range(label);
        r.values.push_back(static_cast<size_t>(it - a.labels.begin()));
      }
      for (const MetricInfo& m : dse::metrics()) {
        const auto& v = j.at("metrics").at(std::string(m.name));
        if (!v.is_null()) r.metrics[static_cast<size_t>(m.metric)] = v.get<double>();
      }
      for (const auto& reason : j.at("infeasible")) {
        r.infeasible.push_back({reason.at("reason").get<std::string>(), reason.at("detail").get<std::string>()});
      }
      rows.push_back(std::move(r));
    } catch (const std::exception&) {
      auto d = file_error(path, "not a row of this sweep's results");
      d.location.line = number_of_line;
      return d;
    }
  }
  return rows;
}

}  // namespace

Json row_json(const SweepSpec& spec, const Row& row) {
  Json axes = Json::object();
  for (size_t a = 0; a < spec.axes.size(); ++a) axes[spec.axes[a].name] = spec.axes[a].labels[row.values[a]];
  Json metrics = Json::object();
  for (const MetricInfo& m : dse::metrics()) {
    const auto& v = row[m.metric];
    metrics[std::string(m.name)] = v ? Json(*v) : Json(nullptr);
  }
  Json reasons = Json::array();
  for (const Reason& r : row.infeasible) reasons.push_back({{"reason", r.kind}, {"detail", r.detail}});
  return {{"index", row.index}, {"axes", axes}, {"feasible", row.feasible()}, {"metrics", metrics},
          {"infeasible", reasons}};
}

Json summary_json(const SweepSpec& spec, const std::vector<Row>& rows, const Summary& s) {
  auto row_of = [&](int64_t index) -> const Row& { return rows[static_cast<size_t>(index)]; };
  Json front = Json::array(), top = Json::array(), sensitivity = Json::array();
  for (int64_t i : s.front) front.push_back(row_json(spec, row_of(i)));
  for (int64_t i : s.top) top.push_back(row_json(spec, row_of(i)));
  for (const Sensitivity& x : s.sensitivity) {
    sensitivity.push_back({{"axis", spec.axes[x.axis].name},
                           {"objective", info(x.objective.metric).name},
                           {"spread", x.spread},
                           {"best", spec.axes[x.axis].labels[x.best_value]}});
  }
  return {{"name", spec.name},          {"points", s.points}, {"feasible", s.feasible},
          {"infeasible", s.infeasible}, {"pareto", front},    {"top", top},
          {"sensitivity", sensitivity}};
}

std::string csv_header(const SweepSpec& spec) {
  std::string out = "index";
  for (const Axis& a : spec.axes) out += "," + csv_field(a.name);
  out += ",feasible";
  for (const MetricInfo& m : metrics()) out += "," + csv_field(m.unit.empty() ? std::string(m.name) : fmt::format("{} ({})", m.name, m.unit));
  return out + ",why not feasible\n";
}

std::string csv_line(const SweepSpec& spec, const Row& row) {
  std::string out = fmt::format("{}", row.index);
  for (size_t a = 0; a < spec.axes.size(); ++a) out += "," + csv_field(spec.axes[a].labels[row.values[a]]);
  out += row.feasible() ? ",yes" : ",no";
  for (const auto& m : row.metrics) out += "," + (m ? number(*m) : std::string());
  return out + "," + csv_field(reasons_text(row)) + "\n";
}

std::string json_line(const SweepSpec& spec, const Row& row) { return row_json(spec, row).dump() + "\n"; }

core::Result<RunResult> run_sweep(const SweepSpec& spec, const Evaluate& evaluate, const RunOptions& options,
                                  const Shard& shard) {
  const int64_t total = spec.size();
  const fs::path& folder = options.out;
  const fs::path csv_path = folder / "points.csv", jsonl_path = folder / "points.jsonl",
                 checkpoint_path = folder / "checkpoint.json";
  RunResult result;
  std::vector<Row> rows;  // rank 0: every finished row, in index order
  Checkpoint at{spec.fingerprint, 0, 0, 0};

  // Rank 0 prepares the folder and says where to start; -1 stops every rank.
  core::Diagnostics problems;
  if (shard.rank == 0) {
    std::error_code ec;
    fs::create_directories(folder, ec);
    if (ec) problems.push_back(file_error(folder, "cannot create the results folder: " + ec.message()));
    const bool has_results = fs::exists(checkpoint_path) || fs::exists(csv_path);
    if (problems.empty() && options.resume && fs::exists(checkpoint_path)) {
      auto c = read_checkpoint(checkpoint_path);
      if (!c) {
        problems = c.errors();
      } else if (c->sweep != spec.fingerprint) {
        problems.push_back(file_error(checkpoint_path, fmt::format("these results are of another sweep, or '{}' has "
                                                                   "changed since: start over with --force",
                                                                   spec.file)));
      } else {
        at = *c;
        // A chunk written after the last checkpoint is dropped and done again.
        fs::resize_file(csv_path, at.csv_bytes, ec);
        if (!ec) fs::resize_file(jsonl_path, at.jsonl_bytes, ec);
        if (ec) problems.push_back(file_error(folder, "cannot cut the results back to the checkpoint: " + ec.message()));
        auto text = config::read_file(jsonl_path.string());
        if (!text) {
          core::append_new(problems, text.errors());
        } else if (auto read = rows_of(spec, *text, jsonl_path); !read) {
          core::append_new(problems, read.errors());
        } else if (static_cast<int64_t>(read->size()) != at.next) {
          problems.push_back(file_error(jsonl_path, "holds a different number of rows than its checkpoint says"));
        } else {
          rows = std::move(read).value();
        }
      }
    } else if (problems.empty() && has_results && !options.force && !options.resume) {
      problems.push_back(file_error(folder, "holds the results of a sweep: --resume continues it, --force starts over"));
    }
    if (problems.empty() && at.next == 0) {
      const std::string header = csv_header(spec);
      std::ofstream(csv_path, std::ios::binary | std::ios::trunc) << header;
      std::ofstream(jsonl_path, std::ios::binary | std::ios::trunc);
      std::ofstream(folder / "spec.json", std::ios::binary | std::ios::trunc) << spec_json(spec).dump(2) << "\n";
      fs::remove(folder / "summary.json", ec);
      fs::remove(folder / "pareto.csv", ec);
      at.csv_bytes = header.size();
      write_checkpoint(folder, at);
    }
  }
  const int64_t start = shard.broadcast(problems.empty() ? at.next : -1);
  if (start < 0) {
    if (!problems.empty()) return problems;
    return core::bad_input("rank 0 could not prepare the results folder");
  }
  result.resumed_from = start;

  tbb::task_arena arena(options.threads > 0 ? options.threads : tbb::info::default_concurrency());
  std::ofstream csv, jsonl;
  if (shard.rank == 0) {
    csv.open(csv_path, std::ios::binary | std::ios::app);
    jsonl.open(jsonl_path, std::ios::binary | std::ios::app);
  }
  Meter meter(shard.rank == 0 ? options.progress : Progress::kNone, total, start);
  const auto began = std::chrono::steady_clock::now();
  const int64_t chunk = std::max<int64_t>(1, options.chunk);
  if (shard.rank == 0) rows.reserve(static_cast<size_t>(total));
  Part part, got;  // kept, with their memory, from chunk to chunk
  std::vector<std::string> csv_lines, json_lines;
  std::string packed;
  for (int64_t first = start; first < total; first += chunk) {
    const int64_t last = std::min(total, first + chunk);
    const int64_t span = last - first;
    const int64_t lo = first + span * shard.rank / shard.ranks, hi = first + span * (shard.rank + 1) / shard.ranks;
    part.rows.assign(static_cast<size_t>(hi - lo), Row{});
    part.csv.clear();
    part.jsonl.clear();
    csv_lines.resize(part.rows.size());
    json_lines.resize(part.rows.size());
    arena.execute([&] {
      tbb::parallel_for(tbb::blocked_range<int64_t>(lo, hi), [&](const tbb::blocked_range<int64_t>& range) {
        for (int64_t i = range.begin(); i < range.end(); ++i) {
          Row row;
          if (auto overrides = spec.overrides(i)) {
            row = evaluate(i, *overrides);
          } else {
            row.infeasible.push_back({"derived parameter failed", overrides.errors().front().message});
          }
          row.index = i;
          row.values = spec.value_indices(i);
          apply_constraints(spec, row);
          const auto k = static_cast<size_t>(i - lo);
          csv_lines[k] = csv_line(spec, row);
          json_lines[k] = json_line(spec, row);
          part.rows[k] = std::move(row);
        }
      });
    });
    for (size_t k = 0; k < part.rows.size(); ++k) {
      part.csv += csv_lines[k];
      part.jsonl += json_lines[k];
    }
    if (shard.ranks > 1) pack(part, packed);
    const std::vector<std::string>& parts = shard.gather(packed);
    if (shard.rank != 0) continue;
    for (size_t r = 0; r < parts.size(); ++r) {
      if (shard.ranks > 1) unpack(parts[r], got);
      Part& from = shard.ranks > 1 ? got : part;
      csv << from.csv;
      jsonl << from.jsonl;
      at.csv_bytes += from.csv.size();
      at.jsonl_bytes += from.jsonl.size();
      for (Row& row : from.rows) rows.push_back(std::move(row));
    }
    csv.flush();
    jsonl.flush();
    if (!csv || !jsonl) return file_error(folder, "could not write the results");
    at.next = last;
    write_checkpoint(folder, at);
    meter.update(last);
  }
  result.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - began).count();
  result.evaluated = total - start;
  if (shard.rank != 0) return result;
  meter.update(total, true);
  result.summary = summarise(spec, rows);
  write_summary(folder, spec, rows, result.summary);
  result.rows = std::move(rows);
  return result;
}

core::Result<Results> read_results(const fs::path& folder) {
  const fs::path spec_path = folder / "spec.json", jsonl_path = folder / "points.jsonl";
  auto spec_text = config::read_file(spec_path.string());
  if (!spec_text) return spec_text.errors();
  SweepSpec spec;
  Results out;
  try {
    const auto j = Json::parse(*spec_text);
    out.name = j.at("name").get<std::string>();
    for (const auto& a : j.at("axes")) {
      Axis axis;
      axis.name = a.at("name").get<std::string>();
      axis.labels = a.at("labels").get<std::vector<std::string>>();
      axis.values.resize(axis.labels.size());
      out.axes.push_back(axis.name);
      out.labels.push_back(axis.labels);
      spec.axes.push_back(std::move(axis));
    }
    for (const auto& o : j.at("objectives")) {
      const auto metric = parse_metric(o.at("metric").get<std::string>());
      if (!metric) throw std::out_of_range("metric");
      out.objectives.push_back({*metric, o.at("goal").get<std::string>() == "max"});
    }
  } catch (const std::exception&) {
    return file_error(spec_path, "not the spec.json of a tensorfab sweep");
  }
  auto text = config::read_file(jsonl_path.string());
  if (!text) return text.errors();
  auto rows = rows_of(spec, *text, jsonl_path);
  if (!rows) return rows.errors();
  out.rows = std::move(rows).value();
  return out;
}

}  // namespace tfab::dse
