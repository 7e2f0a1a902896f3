#pragma once
// Strict schema reading. A MapReader walks one map of a document: each
// `required`/`optional` call declares a key (with its doc) and reads it;
// `finish()` then reports every key that nobody declared, with a
// did-you-mean. Errors accumulate in a shared list so that a file reports
// all of its problems at once.
//
//   MapReader r(node, "hbm", errors);
//   auto stacks = r.required<int64_t>("stacks", "number of HBM stacks", Limits::at_least(1));
//   auto bw = r.required<core::Bandwidth>("bandwidth_per_stack", "peak bandwidth of one stack");
//   r.finish();

#include <cstdint>
#include <limits>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "tensorfab/config/node.h"
#include "tensorfab/core/number_format.h"
#include "tensorfab/core/spelling.h"
#include "tensorfab/core/units.h"

namespace tfab::config {

// Accepted range of a number or quantity, in base units.
struct Limits {
  double min = -std::numeric_limits<double>::infinity();
  double max = std::numeric_limits<double>::infinity();
  bool min_exclusive = false;

  static Limits positive() { return {0.0, std::numeric_limits<double>::infinity(), true}; }
  static Limits at_least(double v) { return {v, std::numeric_limits<double>::infinity(), false}; }
  static Limits between(double lo, double hi) { return {lo, hi, false}; }
  static Limits fraction() { return {0.0, 1.0, true}; }  // (0, 1]
  [[nodiscard]] bool contains(double v) const;
  [[nodiscard]] std::string describe(core::DimVector d) const;  // "greater than 0 B"
};

class MapReader {
 public:
  // `path` is the key path of `node` in its document ("" for the top).
  MapReader(const Node& node, std::string path, core::Diagnostics& errors);

  template <class T>
  std::optional<T> required(std::string_view key, std::string_view doc, Limits limits = Limits::positive()) {
    const Node* value = declare(key, doc);
    if (value == nullptr) {
      report_missing(key, doc);
      return std::nullopt;
    }
    return convert<T>(*value, key, limits);
  }

  template <class T>
  std::optional<T> optional(std::string_view key, std::string_view doc, Limits limits = Limits::positive()) {
    const Node* value = declare(key, doc);
    if (value == nullptr) return std::nullopt;
    return convert<T>(*value, key, limits);
  }

  // One of a fixed set of words ("bf16", "fp8"); a near miss gets a suggestion.
  std::optional<std::string> choice(std::string_view key, std::string_view doc,
                                    std::span<const std::string> allowed, bool is_required);

  // A number format ("bf16", "fp8", ...), or `fallback` when absent.
  core::NumberFormat number_format(std::string_view key, std::string_view doc, core::NumberFormat fallback);

  // A nested map; a missing one is reported when required, and yields a
  // reader over an empty map either way so callers need not branch.
  MapReader child(std::string_view key, std::string_view doc, bool is_required = true);

  // A key whose value the caller reads itself (maps of formats, lists).
  const Node* raw(std::string_view key, std::string_view doc);

  // Declares keys that are read elsewhere or deliberately ignored.
  void allow(std::span<const std::string> keys);

  // Reports undeclared keys. With `open_schema`, undeclared keys are allowed
  // (Hugging Face configs carry many fields we do not use) unless they look
  // like a typo of a declared key.
  void finish(bool open_schema = false);

  [[nodiscard]] std::string path_of(std::string_view key) const;
  [[nodiscard]] const Node& node() const { return *node_; }
  // Where errors go, for readers of nested maps with user-chosen keys.
  [[nodiscard]] core::Diagnostics* errors() const { return errors_; }
  void error(const Node& at, std::string_view key, std::string message,
             std::vector<std::string> notes = {});

 private:
  const Node* declare(std::string_view key, std::string_view doc);
  void report_missing(std::string_view key, std::string_view doc);

  template <class T>
  std::optional<T> convert(const Node& value, std::string_view key, Limits limits);
  std::optional<double> number(const Node& value, std::string_view key, Limits limits, bool integral);
  std::optional<double> quantity(const Node& value, std::string_view key, Limits limits,
                                 core::DimVector dim);
  std::optional<std::string> text(const Node& value, std::string_view key);
  std::optional<bool> boolean(const Node& value, std::string_view key);

  const Node* node_;
  std::string path_;
  core::Diagnostics* errors_;
  std::vector<std::string> declared_;
};

template <class T>
std::optional<T> MapReader::convert(const Node& value, std::string_view key, Limits limits) {
  if constexpr (std::is_same_v<T, std::string>) {
    return text(value, key);
  } else if constexpr (std::is_same_v<T, bool>) {
    return boolean(value, key);
  } else if constexpr (std::is_same_v<T, int64_t>) {
    auto v = number(value, key, limits, true);
    return v ? std::optional<int64_t>(static_cast<int64_t>(*v)) : std::nullopt;
  } else if constexpr (std::is_same_v<T, double>) {
    return number(value, key, limits, false);
  } else {
    auto v = quantity(value, key, limits, T::kDim);
    return v ? std::optional<T>(T::from_base(*v)) : std::nullopt;
  }
}

}  // namespace tfab::config
