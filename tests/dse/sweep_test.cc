// Sweep files, the order of their points, derived parameters, constraints,
// the Pareto front and the sensitivity table.
#include <gtest/gtest.h>

#include <cmath>
#include <filesystem>
#include <fstream>

#include "support/shipped.h"
#include "tensorfab/api/api.h"
#include "tensorfab/config/node.h"
#include "tensorfab/dse/analysis.h"
#include "tensorfab/dse/run.h"
#include "tensorfab/dse/sweep.h"

namespace tfab::dse {
namespace {

core::Result<SweepSpec> read(const std::string& yaml) {
  auto doc = config::parse_document(yaml, "sweep.yaml");
  EXPECT_TRUE(doc.ok());
  return read_sweep(*doc, "sweep.yaml");
}

const char* kSmall = R"(
name: small
base: {chip: seed-2nm, model: llama-3.1-70b}
axes:
  chip.process_node: [tsmc-n3e, tsmc-n2]
  mem:
    - {label: four, chip.memory.stacks: 4, chip.memory.sites: 4}
    - {chip.memory.stacks: 6, chip.memory.sites: 6}
  chip.tdp: {from: 800, to: 1000, step: 100, unit: W}
derived:
  chip.vector.lanes: "chip.memory.stacks * 1000 + 24"
  chip.sram.l2.capacity: {value: "(chip.memory.stacks - 1) / 2", unit: MiB}
constraints:
  die_area: <= 830 mm^2
  tokens_per_s: ">= 100"
objectives:
  tokens_per_s_per_watt: max
  usd_per_million_tokens: min
top: 3
)";

TEST(Sweep, NumbersItsPointsLastAxisFastest) {
  const auto s = read(kSmall).value();
  ASSERT_EQ(s.axes.size(), 3u);
  EXPECT_EQ(s.size(), 2 * 2 * 3);
  EXPECT_EQ(s.axes[1].labels, (std::vector<std::string>{"four", "stacks 6, sites 6"}));
  EXPECT_EQ(s.axes[2].labels, (std::vector<std::string>{"800 W", "900 W", "1000 W"}));
  EXPECT_EQ(s.value_indices(0), (std::vector<size_t>{0, 0, 0}));
  EXPECT_EQ(s.value_indices(1), (std::vector<size_t>{0, 0, 1}));
  EXPECT_EQ(s.value_indices(3), (std::vector<size_t>{0, 1, 0}));
  EXPECT_EQ(s.value_indices(11), (std::vector<size_t>{1, 1, 2}));

  const auto o = s.overrides(10).value();  // n2, six stacks, 900 W
  std::vector<std::string> set;
  for (const auto& x : o) set.push_back(x.assignment);
  EXPECT_EQ(set, (std::vector<std::string>{"chip.process_node=tsmc-n2", "chip.memory.stacks=6", "chip.memory.sites=6",
                                           "chip.tdp=900 W", "chip.vector.lanes=6024",
                                           "chip.sram.l2.capacity=2.5 MiB"}));
  // Each names where in the file it came from, for error messages.
  EXPECT_EQ(o.front().origin.rfind("sweep.yaml:5:", 0), 0u) << o.front().origin;
  ASSERT_EQ(s.constraints.size(), 2u);
  EXPECT_NEAR(s.constraints[0].bound, 830, 1e-9);  // in the metric's unit, mm^2
  EXPECT_TRUE(s.constraints[0].at_most);
  EXPECT_FALSE(s.constraints[1].at_most);
  EXPECT_EQ(s.objectives.size(), 2u);
  EXPECT_EQ(s.top, 3);
}

TEST(Sweep, ReportsEveryMistakeWithItsPlace) {
  auto bad = read(R"(
name: bad
base: {chip: seed-2nm, model: llama-3.1-70b, tier: tiles}
axes:
  chip.tdp: {from: 900, to: 800, step: 100, unit: W}
  chips.memory.stacks: [4, 6]
  chip.memory.stacks: []
  chip.process_node: [tsmc-n2, {a: 1}]
derived:
  chip.vector.lanes: "chip.process_node * 2"
  chip.tensor.units: "(1 + 2"
constraints:
  die_area: <= 830
  ttft: 2 s
  tokens_per_sec: ">= 1"
objectives:
  tokens_per_s: maximise
  power_use: min
topp: 3
)");
  ASSERT_FALSE(bad.ok());
  std::string all;
  for (const auto& e : bad.errors()) all += e.str() + "\n";
  for (const char* expected : {"did you mean 'tile'", "'to' is below 'from'", "must start with chip.", "did you mean 'chip.'",
                               "expected a list of values", "mixes maps and plain values",
                               "'chip.process_node' is not a numeric axis key", "expected ')'",
                               "expected an area", "expected '<=' or '>='", "did you mean 'tokens_per_s'",
                               "expected 'max' or 'min'", "unknown metric 'power_use'", "did you mean 'top'"}) {
    EXPECT_NE(all.find(expected), std::string::npos) << expected << "\nin:\n" << all;
  }
  for (const auto& e : bad.errors()) EXPECT_GT(e.location.line, 0) << e.str();
}

TEST(Sweep, ArithmeticOverAxisKeys) {
  auto lookup = [](std::string_view name) -> std::optional<double> {
    if (name == "chip.tensor.units") return 32;
    return std::nullopt;
  };
  EXPECT_DOUBLE_EQ(evaluate_expression("64 + (32 - chip.tensor.units) * 84", lookup).value(), 64);
  EXPECT_DOUBLE_EQ(evaluate_expression("-chip.tensor.units / 4 * 2.5e1", lookup).value(), -200);
  EXPECT_DOUBLE_EQ(evaluate_expression("2 * 3 + 4 * 5", lookup).value(), 26);
  EXPECT_FALSE(evaluate_expression("1 / (chip.tensor.units - 32)", lookup).ok());  // no inf reaches a file
  EXPECT_FALSE(evaluate_expression("1 +", lookup).ok());
  EXPECT_FALSE(evaluate_expression("2 ** 3", lookup).ok());
  EXPECT_FALSE(evaluate_expression("units", lookup).ok());
}

Row row(int64_t index, double a, double b) {
  Row r;
  r.index = index;
  r.values = {static_cast<size_t>(index % 2)};
  r.metrics[static_cast<size_t>(Metric::kTokensPerS)] = a;
  r.metrics[static_cast<size_t>(Metric::kChipCost)] = b;
  return r;
}

TEST(Pareto, KeepsWhatNothingBeatsOnEveryObjective) {
  // Maximise tokens/s, minimise cost.
  const std::vector<Objective> objectives{{Metric::kTokensPerS, true}, {Metric::kChipCost, false}};
  std::vector<Row> rows{row(0, 10, 5), row(1, 8, 3), row(2, 9, 6), row(3, 10, 5), row(4, 12, 9), row(5, 7, 3)};
  rows.push_back(row(6, 20, 1));
  rows.back().infeasible.push_back({"reticle", "too large"});  // out, however good
  const auto front = pareto_front(rows, objectives);
  std::vector<int64_t> indices;
  for (size_t i : front) indices.push_back(rows[i].index);
  // 2 is beaten by 0; 5 by 1; 0 and 3 tie, so neither beats the other.
  EXPECT_EQ(indices, (std::vector<int64_t>{4, 0, 3, 1}));
}

TEST(Pareto, ConstraintsAndMissingObjectivesMakeAPointInfeasible) {
  auto spec = read(kSmall).value();
  Row r = row(0, 50, 10000);
  r.metrics[static_cast<size_t>(Metric::kDieArea)] = 900;
  r.metrics[static_cast<size_t>(Metric::kTokensPerSPerWatt)] = 1;
  apply_constraints(spec, r);
  ASSERT_EQ(r.infeasible.size(), 3u);
  EXPECT_EQ(r.infeasible[0].kind, "die_area <= 830 mm^2");
  EXPECT_EQ(r.infeasible[1].kind, "tokens_per_s >= 100 tok/s");
  EXPECT_EQ(r.infeasible[2].kind, "objective not derived: usd_per_million_tokens");
}

TEST(Pareto, SensitivityIsTheSpreadOfEachValuesMean) {
  SweepSpec spec;
  Axis axis;
  axis.name = "x";
  axis.values.resize(2);
  axis.labels = {"a", "b"};
  spec.axes.push_back(axis);
  spec.objectives = {{Metric::kTokensPerS, true}, {Metric::kChipCost, false}};
  spec.top = 2;
  // Value a (even indices): tokens 10 and 14, cost 4 and 4; value b: tokens 6 and 10, cost 2 and 6.
  const std::vector<Row> rows{row(0, 10, 4), row(1, 6, 2), row(2, 14, 4), row(3, 10, 6)};
  const Summary s = summarise(spec, rows);
  EXPECT_EQ(s.points, 4);
  EXPECT_EQ(s.feasible, 4);
  EXPECT_EQ(s.top, (std::vector<int64_t>{2, 0}));  // by tokens/s; 0 before 3 on a tie
  ASSERT_EQ(s.sensitivity.size(), 2u);
  EXPECT_NEAR(s.sensitivity[0].spread, (12.0 - 8.0) / 10.0, 1e-12);
  EXPECT_EQ(s.sensitivity[0].best_value, 0u);
  EXPECT_NEAR(s.sensitivity[1].spread, 0.0, 1e-12);  // both means are 4
}

TEST(SweepPoint, GivesTheSameFiguresAsEval) {
  // A point that sets nothing is the base design: its figures are eval's.
  auto spec = read(R"(
name: one
base: {chip: seed-2nm, model: llama-3.1-70b}
axes:
  chip.tdp: [1000 W]
objectives: {tokens_per_s: max}
)").value();
  const auto catalog = testing::shipped().remembering();
  const auto point = api::sweep_point(catalog, spec, 0).value();
  api::EvalRequest request;
  request.chip = "seed-2nm";
  request.model = "llama-3.1-70b";
  const auto eval = api::eval(testing::shipped(), request).value();
  ASSERT_TRUE(eval.cost && eval.cost->usd_per_million_tokens);
  EXPECT_DOUBLE_EQ(*point[Metric::kTokensPerS], eval.cost->tokens_per_s_per_chip);
  EXPECT_DOUBLE_EQ(*point[Metric::kUsdPerMillionTokens], *eval.cost->usd_per_million_tokens);
  EXPECT_DOUBLE_EQ(*point[Metric::kPower], eval.cost->average_power.base());
  EXPECT_DOUBLE_EQ(*point[Metric::kChipCost], eval.cost->tco->chip.base());
  EXPECT_NEAR(*point[Metric::kDieArea], 800, 1e-9);
  EXPECT_TRUE(point.feasible());
}

TEST(SweepPoint, ADesignBeyondTheReticleIsOutForThatReason) {
  auto spec = read(R"(
name: big dies
base: {chip: seed-2nm, model: llama-3.1-70b}
axes:
  chip.die_area: [800 mm^2, 900 mm^2]
objectives: {tokens_per_s: max}
)").value();
  const auto catalog = testing::shipped().remembering();
  EXPECT_TRUE(api::sweep_point(catalog, spec, 0).value().feasible());
  const auto big = api::sweep_point(catalog, spec, 1).value();
  ASSERT_FALSE(big.feasible());
  EXPECT_EQ(big.infeasible.front().kind, "reticle");
  EXPECT_NE(big.infeasible.front().detail.find("900 mm^2 die exceeds"), std::string::npos);
  EXPECT_FALSE(big[Metric::kChipCost].has_value());  // a part that cannot be made has no cost
  EXPECT_TRUE(big[Metric::kTokensPerS].has_value());  // though it would serve
}

TEST(SweepPoint, ATrainingSweepTimesTheStepAndPricesTheRun) {
  // No serving scenario: scenario keys are the training scenario's.
  auto spec = read(R"(
name: layouts
base:
  chip: seed-2nm
  model: gpt3-175b
  train: {scenario: train-gpt3-175b, system: seed-cluster, tokens: 1e11}
axes:
  scenario.parallelism.tensor: [4, 8]
objectives: {step_time: min, usd_per_training_run: min}
)").value();
  EXPECT_FALSE(spec.base.scenario.has_value());
  const auto catalog = testing::shipped().remembering();
  const auto tp4 = api::sweep_point(catalog, spec, 0).value(), tp8 = api::sweep_point(catalog, spec, 1).value();
  ASSERT_TRUE(tp4.feasible()) << tp4.infeasible.front().detail;
  ASSERT_TRUE(tp8.feasible()) << tp8.infeasible.front().detail;
  EXPECT_FALSE(tp8[Metric::kTokensPerS].has_value());  // nothing served

  api::TrainRequest request;
  request.chip = "seed-2nm";
  request.model = "gpt3-175b";
  request.system = "seed-cluster";
  request.tokens = 1e11;
  const auto run = api::train(testing::shipped(), request).value();  // TP 8 is the scenario's own
  ASSERT_TRUE(run.cost && run.cost->per_run);
  EXPECT_DOUBLE_EQ(*tp8[Metric::kStepTime], run.cost->step_time.base());
  EXPECT_DOUBLE_EQ(*tp8[Metric::kUsdPerTrainingRun], run.cost->per_run->base());
  // Half the tensor parallelism, half the chips: a longer step.
  EXPECT_GT(*tp4[Metric::kStepTime], *tp8[Metric::kStepTime]);
}

}  // namespace
}  // namespace tfab::dse
