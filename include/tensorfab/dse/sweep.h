#pragma once
// A design-space sweep (docs/dse.md): a base design, axes whose values are
// `--set` overrides of any chip, model, scenario, node or system field,
// parameters derived from them by arithmetic, constraints and objectives
// over the metrics of each point.
//
//   base:        {chip: seed-2nm, model: llama-3.1-70b, scenario: serve-default}
//   axes:
//     chip.process_node: [tsmc-n3e, tsmc-n2, samsung-sf2]
//     chip.memory.stacks: {from: 4, to: 8, step: 2}
//     split:                       # a linked axis: each value sets several keys
//       - {label: compute, chip.tensor.units: 32, chip.sram.l2.capacity: 64 MiB}
//       - {label: memory, chip.tensor.units: 24, chip.sram.l2.capacity: 192 MiB}
//   derived:
//     chip.tensor.dense.bf16: {value: "chip.tensor.units * 128 * 128 * 2 * 1.75e-3", unit: TFLOPS}
//   constraints: {die_area: "<= 830 mm^2", ttft: "<= 2 s"}
//   objectives:  {tokens_per_s_per_watt: max, usd_per_million_tokens: min}
//
// Points are numbered in the order of the axes, the last changing fastest,
// so that point i is the same design on every run, thread and rank.

#include <cstdint>
#include <functional>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "tensorfab/config/node.h"
#include "tensorfab/core/result.h"
#include "tensorfab/core/units.h"

namespace tfab::dse {

// What a design point is measured by.
enum class Metric {
  kTokensPerS,            // output tokens/s per chip, at the clock the TDP allows
  kTtft,                  // time to first token
  kTpot,                  // time per output token
  kPower,                 // average chip power while serving
  kTokensPerSPerWatt,     // tokens/s per chip / power (tokens per joule)
  kTokensPerSPerUsd,      // tokens/s per chip / the chip's cost to make
  kUsdPerMillionTokens,   // TCO over the tokens served
  kDieArea,               // one logic die
  kChipCost,              // the part, to make
  kMemoryNeeded,          // weights, KV cache and activations of one chip
  kStepTime,              // training step (with a training block)
  kMfu,
  kUsdPerTrainingRun,
};
inline constexpr size_t kMetricCount = 13;

struct MetricInfo {
  Metric metric;
  std::string_view name;  // as written in files and columns
  std::string_view unit;  // of the values in outputs ("" for plain numbers)
  core::DimVector dim;    // of bounds written with a unit
  double unit_base;       // the output unit in base units (mm^2 = 1e-6 m^2)
  bool higher_is_better;
  std::string_view doc;
};
[[nodiscard]] std::span<const MetricInfo> metrics();
[[nodiscard]] const MetricInfo& info(Metric m);
[[nodiscard]] std::optional<Metric> parse_metric(std::string_view name);
// What to say of a name that is no metric: the nearest, and every metric.
[[nodiscard]] std::vector<std::string> unknown_metric_notes(std::string_view name);

// One key set by an axis value or a derived parameter.
struct Assignment {
  std::string key;   // "chip.memory.stacks"
  std::string text;  // "6", "64 MiB"
};

struct Axis {
  std::string name;                              // the key, or a linked axis's own name
  std::vector<std::vector<Assignment>> values;   // what each value sets
  std::vector<std::string> labels;               // each value as shown in outputs
  core::Location where;
};

struct Derived {
  std::string key;
  std::string expression;  // arithmetic over axis keys: + - * / ( ), numbers
  std::string unit;        // appended to the value ("TFLOPS"); "" for a plain number
  core::Location where;
};

struct Constraint {
  Metric metric;
  bool at_most = true;  // <= bound, else >= bound
  double bound = 0;     // in the metric's output unit
  std::string text;     // as written: "die_area <= 830 mm^2"
};

struct Objective {
  Metric metric;
  bool maximize = true;
};

struct Base {
  std::string chip, model;
  // Serving, unless a training-only sweep (a `train:` block and no scenario).
  std::optional<std::string> scenario;
  std::string datacenter = "hyperscale";
  std::string tier = "tile";
  // Training, when the sweep also asks for a training step per point.
  std::optional<std::string> train_scenario, system;
  double train_tokens = 300e9;
};

struct SweepSpec {
  std::string name;
  std::string file;         // where it was read from
  std::string fingerprint;  // of its content, for resuming the same sweep
  Base base;
  std::vector<Axis> axes;
  std::vector<Derived> derived;
  std::vector<Constraint> constraints;
  std::vector<Objective> objectives;
  int64_t top = 10;

  [[nodiscard]] int64_t size() const;  // points in all
  // Which value of each axis point `index` takes.
  [[nodiscard]] std::vector<size_t> value_indices(int64_t index) const;
  // The overrides that make point `index`: its axis values, then the derived
  // parameters. Fails (bad input) only where a derived value cannot be
  // computed (a division by zero).
  [[nodiscard]] core::Result<config::Overrides> overrides(int64_t index) const;
};

// The largest sweep a file may ask for.
inline constexpr int64_t kMaxPoints = 1'000'000'000;

[[nodiscard]] core::Result<SweepSpec> load_sweep(const std::string& path);
[[nodiscard]] core::Result<SweepSpec> read_sweep(const config::Node& doc, const std::string& file);

// Evaluates arithmetic over named numbers: + - * / with the usual
// precedence, unary minus, parentheses, numbers (1.5e3) and names (dotted
// keys) that `lookup` resolves. Errors name the position in `expression`.
[[nodiscard]] core::Result<double> evaluate_expression(
    std::string_view expression, const std::function<std::optional<double>(std::string_view)>& lookup);

}  // namespace tfab::dse
