#include "tensorfab/config/reader.h"

#include <fmt/format.h>

#include <algorithm>
#include <charconv>
#include <cmath>

namespace tfab::config {
namespace {

std::string quoted(std::string_view s) { return fmt::format("'{}'", s); }

const Node& empty_map() {
  static const Node kEmpty = Node::map({});
  return kEmpty;
}

}  // namespace

bool Limits::contains(double v) const {
  if (min_exclusive ? !(v > min) : !(v >= min)) return false;
  return v <= max;
}

std::string Limits::describe(core::DimVector d) const {
  auto show = [&](double v) {
    return d == core::DimVector{} ? fmt::format("{}", v) : core::format(v, d);
  };
  bool has_max = std::isfinite(max);
  bool has_min = std::isfinite(min);
  if (has_min && has_max) return fmt::format("between {} and {}", show(min), show(max));
  if (has_min) return fmt::format("{} {}", min_exclusive ? "greater than" : "at least", show(min));
  if (has_max) return fmt::format("at most {}", show(max));
  return "any value";
}

MapReader::MapReader(const Node& node, std::string path, core::Diagnostics& errors)
    : node_(&node), path_(std::move(path)), errors_(&errors) {
  if (!node.is_map()) {
    error(node, "", fmt::format("expected a map of keys, got {}", node.kind_name()));
    node_ = &empty_map();
  }
}

std::string MapReader::path_of(std::string_view key) const {
  if (path_.empty()) return std::string(key);
  if (key.empty()) return path_;
  return path_ + "." + std::string(key);
}

void MapReader::error(const Node& at, std::string_view key, std::string message,
                      std::vector<std::string> notes) {
  core::Diagnostic d;
  d.code = core::ErrorCode::kBadInput;
  d.location = at.location();
  d.key_path = path_of(key);
  d.message = std::move(message);
  d.notes = std::move(notes);
  errors_->push_back(std::move(d));
}

const Node* MapReader::declare(std::string_view key, std::string_view /*doc*/) {
  declared_.emplace_back(key);
  return node_->find(key);
}

void MapReader::report_missing(std::string_view key, std::string_view doc) {
  std::vector<std::string> notes;
  // A missing key is often a misspelt one that is present.
  for (const auto& e : node_->entries()) {
    std::string candidate(key);
    bool known = std::find(declared_.begin(), declared_.end(), e.key) != declared_.end();
    if (!known && core::closest_match(e.key, std::span(&candidate, 1))) {
      notes.push_back(fmt::format("{} at {} may be a misspelling of it", quoted(e.key),
                                  e.key_location.str()));
    }
  }
  error(*node_, "", fmt::format("missing required key {} ({})", quoted(key), doc), std::move(notes));
}

std::optional<std::string> MapReader::text(const Node& value, std::string_view key) {
  if (!value.is_scalar()) {
    error(value, key, fmt::format("expected text, got {}", value.kind_name()));
    return std::nullopt;
  }
  return value.text();
}

std::optional<bool> MapReader::boolean(const Node& value, std::string_view key) {
  if (value.is_scalar() && (value.text() == "true" || value.text() == "false")) {
    return value.text() == "true";
  }
  error(value, key, fmt::format("expected true or false, got {}",
                                value.is_scalar() ? quoted(value.text()) : std::string(value.kind_name())));
  return std::nullopt;
}

std::optional<double> MapReader::number(const Node& value, std::string_view key, Limits limits,
                                        bool integral) {
  const char* expected = integral ? "a whole number" : "a number";
  if (!value.is_scalar()) {
    error(value, key, fmt::format("expected {}, got {}", expected, value.kind_name()));
    return std::nullopt;
  }
  const std::string& s = value.text();
  double v = 0;
  auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  bool whole = ec == std::errc() && end == s.data() + s.size() && std::isfinite(v);
  if (!whole || (integral && (v != std::floor(v) || std::abs(v) > 9.0e15))) {
    error(value, key, fmt::format("expected {}, got {}", expected, quoted(s)));
    return std::nullopt;
  }
  if (!limits.contains(v)) {
    error(value, key, fmt::format("{} is out of range: must be {}", s, limits.describe({})));
    return std::nullopt;
  }
  return v;
}

std::optional<double> MapReader::quantity(const Node& value, std::string_view key, Limits limits,
                                          core::DimVector dim) {
  if (!value.is_scalar()) {
    error(value, key, fmt::format("expected {}, got {}", core::expected_value(dim), value.kind_name()));
    return std::nullopt;
  }
  auto parsed = core::parse_quantity(value.text(), dim);
  if (!parsed) {
    for (const auto& e : parsed.errors()) error(value, key, e.message, e.notes);
    return std::nullopt;
  }
  if (!limits.contains(*parsed)) {
    error(value, key, fmt::format("{} is out of range: must be {}", value.text(), limits.describe(dim)));
    return std::nullopt;
  }
  return *parsed;
}

std::optional<std::string> MapReader::choice(std::string_view key, std::string_view doc,
                                             std::span<const std::string> allowed, bool is_required) {
  const Node* value = declare(key, doc);
  if (value == nullptr) {
    if (is_required) report_missing(key, doc);
    return std::nullopt;
  }
  auto s = text(*value, key);
  if (!s) return std::nullopt;
  if (std::find(allowed.begin(), allowed.end(), *s) != allowed.end()) return s;
  std::vector<std::string> notes;
  if (auto near = core::closest_match(*s, allowed)) notes.push_back("did you mean " + quoted(*near) + "?");
  error(*value, key, fmt::format("unknown value {}; expected one of: {}", quoted(*s), fmt::join(allowed, ", ")),
        std::move(notes));
  return std::nullopt;
}

core::NumberFormat MapReader::number_format(std::string_view key, std::string_view doc, core::NumberFormat fallback) {
  static const std::vector<std::string> kNames = [] {
    std::vector<std::string> names;
    for (auto f : core::kAllNumberFormats) names.emplace_back(core::name(f));
    return names;
  }();
  auto text = choice(key, doc, kNames, false);
  return text ? core::parse_number_format(*text).value_or(fallback) : fallback;
}

MapReader MapReader::child(std::string_view key, std::string_view doc, bool is_required) {
  const Node* value = declare(key, doc);
  if (value == nullptr) {
    if (is_required) report_missing(key, doc);
    return MapReader(empty_map(), path_of(key), *errors_);
  }
  return MapReader(*value, path_of(key), *errors_);
}

const Node* MapReader::raw(std::string_view key, std::string_view doc) { return declare(key, doc); }

void MapReader::allow(std::span<const std::string> keys) {
  declared_.insert(declared_.end(), keys.begin(), keys.end());
}

void MapReader::finish(bool open_schema) {
  for (const auto& e : node_->entries()) {
    if (std::find(declared_.begin(), declared_.end(), e.key) != declared_.end()) continue;
    auto near = core::closest_match(e.key, declared_);
    if (open_schema && !near) continue;
    core::Diagnostic d;
    d.code = core::ErrorCode::kBadInput;
    d.location = e.key_location;
    d.key_path = path_of(e.key);
    d.message = "unknown key " + quoted(e.key);
    if (near) d.notes.push_back("did you mean " + quoted(*near) + "?");
    errors_->push_back(std::move(d));
  }
}

}  // namespace tfab::config
