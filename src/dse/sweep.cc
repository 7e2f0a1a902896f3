#include "tensorfab/dse/sweep.h"

#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <cctype>
#include <cmath>
#include <cstdlib>

#include "tensorfab/config/reader.h"
#include "tensorfab/core/spelling.h"

namespace tfab::dse {
namespace {

using core::DimVector;
namespace dim = core::dim;

constexpr DimVector kNone{};
constexpr DimVector kArea = dim::kLength + dim::kLength;
constexpr DimVector kPower = dim::kEnergy - dim::kTime;

const std::array<MetricInfo, kMetricCount> kMetrics{{
    {Metric::kTokensPerS, "tokens_per_s", "tok/s", kNone, 1, true, "output tokens/s per chip at the clock the TDP allows"},
    {Metric::kTtft, "ttft", "s", dim::kTime, 1, false, "time to first token"},
    {Metric::kTpot, "tpot", "s", dim::kTime, 1, false, "time per output token"},
    {Metric::kPower, "power", "W", kPower, 1, false, "average chip power while serving"},
    {Metric::kTokensPerSPerWatt, "tokens_per_s_per_watt", "tok/s/W", kNone, 1, true,
     "output tokens/s per chip over its power (tokens per joule)"},
    {Metric::kTokensPerSPerUsd, "tokens_per_s_per_usd", "tok/s/USD", kNone, 1, true,
     "output tokens/s per chip over the chip's cost to make"},
    {Metric::kUsdPerMillionTokens, "usd_per_million_tokens", "USD/Mtok", kNone, 1, false,
     "TCO per million output tokens"},
    {Metric::kDieArea, "die_area", "mm^2", kArea, 1e-6, false, "one logic die"},
    {Metric::kChipCost, "chip_cost", "USD", dim::kMoney, 1, false, "the part, to make"},
    {Metric::kMemoryNeeded, "memory_needed", "GiB", dim::kData, 1024.0 * 1024 * 1024, false,
     "weights, KV cache and activations on one chip"},
    {Metric::kStepTime, "step_time", "s", dim::kTime, 1, false, "one training step"},
    {Metric::kMfu, "mfu", "", kNone, 1, true, "model FLOPs utilisation of the training step"},
    {Metric::kUsdPerTrainingRun, "usd_per_training_run", "USD", dim::kMoney, 1, false,
     "the training run's chip-hours at their TCO"},
}};

const std::array<std::string, 5> kTargets{"chip", "model", "scenario", "node", "system"};

// "1.5e3 GiB" -> 1500; none when the text does not start with a number.
std::optional<double> leading_number(const std::string& text) {
  const char* begin = text.c_str();
  char* end = nullptr;
  const double v = std::strtod(begin, &end);
  if (end == begin || !std::isfinite(v)) return std::nullopt;
  return v;
}

std::string format_number(double v) {
  if (std::abs(v) < 1e15 && v == std::round(v)) return fmt::format("{}", static_cast<int64_t>(v));
  return fmt::format("{:.12g}", v);
}

// Recursive descent over one expression.
class Parser {
 public:
  Parser(std::string_view text, const std::function<std::optional<double>(std::string_view)>& lookup)
      : text_(text), lookup_(lookup) {}

  core::Result<double> run() {
    const double v = sum();
    skip();
    if (error_.empty() && pos_ < text_.size()) fail(fmt::format("unexpected '{}'", text_[pos_]));
    if (!error_.empty()) return core::bad_input(error_);
    if (!std::isfinite(v)) return core::bad_input(fmt::format("'{}' is not a finite number here", text_));
    return v;
  }

 private:
  void skip() {
    while (pos_ < text_.size() && std::isspace(static_cast<unsigned char>(text_[pos_]))) ++pos_;
  }
  bool eat(char c) {
    skip();
    if (pos_ < text_.size() && text_[pos_] == c) {
      ++pos_;
      return true;
    }
    return false;
  }
  void fail(std::string message) {
    if (error_.empty()) error_ = fmt::format("in '{}' at {}: {}", text_, pos_ + 1, std::move(message));
  }
  double sum() {
    double v = product();
    while (error_.empty()) {
      if (eat('+')) {
        v += product();
      } else if (eat('-')) {
        v -= product();
      } else {
        break;
      }
    }
    return v;
  }
  double product() {
    double v = factor();
    while (error_.empty()) {
      if (eat('*')) {
        v *= factor();
      } else if (eat('/')) {
        const double d = factor();
        if (d == 0 && error_.empty()) fail("division by zero");
        v = d == 0 ? 0 : v / d;
      } else {
        break;
      }
    }
    return v;
  }
  double factor() {
    if (eat('-')) return -factor();
    if (eat('(')) {
      const double v = sum();
      if (!eat(')')) fail("expected ')'");
      return v;
    }
    skip();
    if (pos_ >= text_.size()) {
      fail("expected a number or a name");
      return 0;
    }
    const char c = text_[pos_];
    if (std::isdigit(static_cast<unsigned char>(c)) || c == '.') {
      const std::string rest(text_.substr(pos_));
      char* end = nullptr;
      const double v = std::strtod(rest.c_str(), &end);
      pos_ += static_cast<size_t>(end - rest.c_str());
      return v;
    }
    if (std::isalpha(static_cast<unsigned char>(c)) || c == '_') {
      const size_t start = pos_;
      while (pos_ < text_.size() && (std::isalnum(static_cast<unsigned char>(text_[pos_])) || text_[pos_] == '_' ||
                                     text_[pos_] == '.' || text_[pos_] == '-')) {
        ++pos_;
      }
      const std::string_view name = text_.substr(start, pos_ - start);
      if (auto v = lookup_(name)) return *v;
      pos_ = start;
      fail(fmt::format("'{}' is not a numeric axis key", name));
      return 0;
    }
    fail(fmt::format("unexpected '{}'", c));
    return 0;
  }

  std::string_view text_;
  const std::function<std::optional<double>(std::string_view)>& lookup_;
  size_t pos_ = 0;
  std::string error_;
};

// One axis from `axes:`: a list of values, a range, or a list of maps (linked).
std::optional<Axis> read_axis(const config::Node::Entry& entry, config::MapReader& parent) {
  Axis axis;
  axis.name = entry.key;
  axis.where = entry.key_location;
  const config::Node& v = entry.value;
  auto error = [&](const config::Node& at, std::string message, std::vector<std::string> notes = {}) {
    parent.error(at, entry.key, std::move(message), std::move(notes));
  };
  auto check_key = [&](const std::string& key, const config::Node& at) {
    const auto dot = key.find('.');
    const std::string target = key.substr(0, dot);
    if (dot == std::string::npos || std::find(kTargets.begin(), kTargets.end(), target) == kTargets.end()) {
      std::vector<std::string> notes;
      if (auto near = core::closest_match(target, kTargets)) notes.push_back(fmt::format("did you mean '{}.'?", *near));
      error(at, fmt::format("'{}' must start with chip., model., scenario., node. or system.", key), notes);
      return false;
    }
    return true;
  };
  if (v.is_map()) {  // a range of numbers
    core::Diagnostics* errors = parent.errors();
    config::MapReader r(v, parent.path_of(entry.key), *errors);
    const auto from = r.required<double>("from", "first value", config::Limits{});
    const auto to = r.required<double>("to", "last value", config::Limits{});
    const auto step = r.required<double>("step", "step between values");
    const auto unit = r.optional<std::string>("unit", "unit written after each value, e.g. GiB");
    r.finish();
    if (!check_key(entry.key, v) || !from || !to || !step) return std::nullopt;
    if (*to < *from) {
      error(v, "'to' is below 'from'");
      return std::nullopt;
    }
    const double count = std::floor((*to - *from) / *step + 1e-9) + 1;
    if (count > 1e6) {
      error(v, fmt::format("{:.0f} values on one axis; at most 1,000,000", count));
      return std::nullopt;
    }
    for (int64_t i = 0; i < static_cast<int64_t>(count); ++i) {
      const std::string text = format_number(*from + static_cast<double>(i) * *step) + (unit ? " " + *unit : "");
      axis.values.push_back({{entry.key, text}});
      axis.labels.push_back(text);
    }
    return axis;
  }
  if (v.kind() != config::Node::Kind::kSequence || v.items().empty()) {
    error(v, "expected a list of values, a range {from, to, step} or a list of maps of keys to values");
    return std::nullopt;
  }
  bool ok = true;
  const bool linked = v.items().front().is_map();
  if (!linked && !check_key(entry.key, v)) return std::nullopt;
  for (const config::Node& item : v.items()) {
    if (linked != item.is_map()) {
      error(item, "mixes maps and plain values: a linked axis lists maps of keys to values, a plain one values");
      return std::nullopt;
    }
    std::vector<Assignment> sets;
    std::string label;
    if (linked) {
      if (item.entries().empty()) {
        error(item, "an empty map sets nothing");
        ok = false;
      }
      for (const auto& e : item.entries()) {
        if (e.key == "label" && e.value.is_scalar()) {  // how the value is shown, in place of its keys
          label = e.value.text();
          continue;
        }
        if (!e.value.is_scalar()) {
          error(e.value, fmt::format("'{}': expected a value, got {}", e.key, e.value.kind_name()));
          ok = false;
          continue;
        }
        ok = check_key(e.key, e.value) && ok;
        sets.push_back({e.key, e.value.text()});
      }
      if (label.empty()) {
        for (const Assignment& a : sets) {
          label += (label.empty() ? "" : ", ") + a.key.substr(a.key.rfind('.') + 1) + " " + a.text;
        }
      }
    } else {
      if (!item.is_scalar()) {
        error(item, fmt::format("expected a value, got {}", item.kind_name()));
        ok = false;
        continue;
      }
      sets.push_back({entry.key, item.text()});
      label = item.text();
    }
    axis.values.push_back(std::move(sets));
    axis.labels.push_back(std::move(label));
  }
  if (!ok) return std::nullopt;
  return axis;
}

std::optional<Constraint> read_constraint(const config::Node::Entry& e, config::MapReader& r) {
  const auto metric = parse_metric(e.key);
  if (!metric) {
    r.error(e.value, e.key, fmt::format("unknown metric '{}'", e.key), unknown_metric_notes(e.key));
    return std::nullopt;
  }
  const MetricInfo& m = info(*metric);
  const std::string example = m.dim == kNone ? "'>= 1000'" : fmt::format("'<= 100 {}'", m.unit);
  if (!e.value.is_scalar()) {
    r.error(e.value, e.key, fmt::format("expected a bound such as {}", example));
    return std::nullopt;
  }
  std::string text = e.value.text();
  Constraint c{*metric, true, 0, fmt::format("{} {}", e.key, text)};
  if (text.rfind("<=", 0) == 0 || text.rfind(">=", 0) == 0) {
    c.at_most = text[0] == '<';
    text = text.substr(2);
  } else {
    r.error(e.value, e.key, fmt::format("expected '<=' or '>=' and a bound, such as {}", example));
    return std::nullopt;
  }
  while (!text.empty() && text.front() == ' ') text.erase(0, 1);
  if (m.dim == kNone) {
    char* end = nullptr;
    const double v = std::strtod(text.c_str(), &end);
    if (text.empty() || *end != '\0' || !std::isfinite(v)) {
      r.error(e.value, e.key, fmt::format("expected a plain number after the comparison, such as {}", example));
      return std::nullopt;
    }
    c.bound = v;
  } else {
    auto v = core::parse_quantity(text, m.dim);
    if (!v) {
      r.error(e.value, e.key, v.errors().front().message);
      return std::nullopt;
    }
    c.bound = *v / m.unit_base;
  }
  return c;
}

}  // namespace

std::span<const MetricInfo> metrics() { return kMetrics; }

const MetricInfo& info(Metric m) { return kMetrics[static_cast<size_t>(m)]; }

std::optional<Metric> parse_metric(std::string_view name) {
  for (const auto& m : kMetrics) {
    if (m.name == name) return m.metric;
  }
  return std::nullopt;
}

std::vector<std::string> unknown_metric_notes(std::string_view name) {
  std::vector<std::string> names, notes;
  for (const auto& m : kMetrics) names.emplace_back(m.name);
  if (auto near = core::closest_match(name, names)) notes.push_back(fmt::format("did you mean '{}'?", *near));
  notes.push_back(fmt::format("metrics: {}", fmt::join(names, ", ")));
  return notes;
}

core::Result<double> evaluate_expression(std::string_view expression,
                                         const std::function<std::optional<double>(std::string_view)>& lookup) {
  return Parser(expression, lookup).run();
}

int64_t SweepSpec::size() const {
  int64_t n = 1;
  for (const auto& a : axes) n *= static_cast<int64_t>(a.values.size());
  return n;
}

std::vector<size_t> SweepSpec::value_indices(int64_t index) const {
  std::vector<size_t> out(axes.size());
  for (size_t i = axes.size(); i-- > 0;) {
    const auto n = static_cast<int64_t>(axes[i].values.size());
    out[i] = static_cast<size_t>(index % n);
    index /= n;
  }
  return out;
}

core::Result<config::Overrides> SweepSpec::overrides(int64_t index) const {
  config::Overrides out;
  const auto chosen = value_indices(index);
  for (size_t i = 0; i < axes.size(); ++i) {
    for (const Assignment& a : axes[i].values[chosen[i]]) {
      out.emplace_back(a.key + "=" + a.text, axes[i].where.str());
    }
  }
  auto lookup = [&](std::string_view key) -> std::optional<double> {
    for (size_t i = 0; i < axes.size(); ++i) {
      for (const Assignment& a : axes[i].values[chosen[i]]) {
        if (a.key == key) return leading_number(a.text);
      }
    }
    return std::nullopt;
  };
  for (const Derived& d : derived) {
    auto v = evaluate_expression(d.expression, lookup);
    if (!v) {
      auto e = v.errors().front();
      e.location = d.where;
      e.key_path = "derived." + d.key;
      return e;
    }
    out.emplace_back(d.key + "=" + format_number(*v) + (d.unit.empty() ? "" : " " + d.unit), d.where.str());
  }
  return out;
}

core::Result<SweepSpec> read_sweep(const config::Node& doc, const std::string& file) {
  core::Diagnostics errors;
  config::MapReader r(doc, "", errors);
  SweepSpec s;
  s.file = file;
  s.fingerprint = config::fingerprint(doc);
  s.name = r.required<std::string>("name", "what the sweep explores").value_or("");

  config::MapReader base = r.child("base", "the design every point starts from");
  s.base.chip = base.required<std::string>("chip", "chip id or YAML path").value_or("");
  s.base.model = base.required<std::string>("model", "model id or config.json path").value_or("");
  s.base.scenario = base.optional<std::string>("scenario", "serving scenario id or path (default serve-default)");
  s.base.datacenter = base.optional<std::string>("datacenter", "data centre for the TCO").value_or(s.base.datacenter);
  static const std::array<std::string, 3> kTiers{"roofline", "tile", "cycle"};
  s.base.tier = base.choice("tier", "fidelity: roofline, tile or cycle", kTiers, false).value_or(s.base.tier);
  if (const config::Node* train = base.raw("train", "also a training step per point: scenario, system, tokens")) {
    config::MapReader t(*train, base.path_of("train"), errors);
    s.base.train_scenario = t.required<std::string>("scenario", "training scenario id or path");
    s.base.system = t.optional<std::string>("system", "system id or path");
    s.base.train_tokens = t.optional<double>("tokens", "tokens to train, for the cost of the run").value_or(300e9);
    t.finish();
  } else if (!s.base.scenario) {
    s.base.scenario = "serve-default";
  }
  base.finish();

  if (const config::Node* axes = r.raw("axes", "the fields to vary and their values")) {
    if (!axes->is_map() || axes->entries().empty()) {
      r.error(*axes, "axes", "expected a map of keys (or linked-axis names) to their values");
    } else {
      for (const auto& e : axes->entries()) {
        if (auto axis = read_axis(e, r)) s.axes.push_back(std::move(*axis));
      }
    }
  } else {
    r.error(doc, "axes", "missing 'axes': the fields to vary and their values");
  }

  if (const config::Node* derived = r.raw("derived", "fields computed from the axes' values")) {
    if (!derived->is_map()) r.error(*derived, "derived", "expected a map of keys to expressions");
    for (const auto& e : derived->is_map() ? derived->entries() : std::vector<config::Node::Entry>{}) {
      Derived d{e.key, "", "", e.key_location};
      if (e.value.is_scalar()) {
        d.expression = e.value.text();
      } else {
        config::MapReader dr(e.value, r.path_of("derived") + "." + e.key, errors);
        d.expression = dr.required<std::string>("value", "arithmetic over axis keys").value_or("");
        d.unit = dr.optional<std::string>("unit", "unit written after the value").value_or("");
        dr.finish();
      }
      s.derived.push_back(std::move(d));
    }
  }

  if (const config::Node* constraints = r.raw("constraints", "bounds on metrics, e.g. die_area: <= 830 mm^2")) {
    if (!constraints->is_map()) r.error(*constraints, "constraints", "expected a map of metrics to bounds");
    for (const auto& e : constraints->is_map() ? constraints->entries() : std::vector<config::Node::Entry>{}) {
      if (auto c = read_constraint(e, r)) s.constraints.push_back(*c);
    }
  }

  if (const config::Node* objectives = r.raw("objectives", "metrics to maximise or minimise")) {
    if (!objectives->is_map() || objectives->entries().empty()) {
      r.error(*objectives, "objectives", "expected a map of metrics to 'max' or 'min'");
    }
    for (const auto& e : objectives->is_map() ? objectives->entries() : std::vector<config::Node::Entry>{}) {
      const auto metric = parse_metric(e.key);
      if (!metric) {
        r.error(e.value, "objectives." + e.key, fmt::format("unknown metric '{}'", e.key), unknown_metric_notes(e.key));
        continue;
      }
      if (!e.value.is_scalar() || (e.value.text() != "max" && e.value.text() != "min")) {
        r.error(e.value, "objectives." + e.key, "expected 'max' or 'min'");
        continue;
      }
      s.objectives.push_back({*metric, e.value.text() == "max"});
    }
  } else {
    r.error(doc, "objectives", "missing 'objectives': the metrics to maximise or minimise");
  }
  s.top = r.optional<int64_t>("top", "best points to list, by the first objective", config::Limits::between(1, 1e6))
              .value_or(10);
  r.finish();

  // Derived expressions may name only keys the axes set to numbers.
  for (const Derived& d : s.derived) {
    auto numeric = [&](std::string_view name) -> std::optional<double> {
      bool found = false;
      for (const Axis& a : s.axes) {
        for (const auto& value : a.values) {
          for (const Assignment& set : value) {
            if (set.key != name) continue;
            if (!leading_number(set.text)) return std::nullopt;
            found = true;
          }
        }
      }
      return found ? std::optional<double>(1.0) : std::nullopt;
    };
    if (auto checked = evaluate_expression(d.expression, numeric); !checked) {
      const std::string message = checked.errors().front().message;
      if (message.find("division by zero") == std::string::npos) {
        auto e = core::bad_input(message, "derived." + d.key);
        e.location = d.where;
        errors.push_back(std::move(e));
      }
    }
  }
  double points = 1;
  for (const Axis& a : s.axes) points *= static_cast<double>(a.values.size());
  if (points > static_cast<double>(kMaxPoints)) {
    auto e = core::bad_input(fmt::format("{:.3g} points; at most {:.0e}", points, static_cast<double>(kMaxPoints)),
                             "axes");
    e.location = {file, 0, 0};
    errors.push_back(std::move(e));
  }
  if (!errors.empty()) return errors;
  return s;
}

core::Result<SweepSpec> load_sweep(const std::string& path) {
  auto doc = config::load_document(path);
  if (!doc) return doc.errors();
  return read_sweep(*doc, path);
}

}  // namespace tfab::dse
