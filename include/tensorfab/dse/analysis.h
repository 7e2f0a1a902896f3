#pragma once
// What a sweep's points say together: which are feasible, the Pareto front
// of the objectives, the best k by the first objective, and how far each
// axis moves each objective (docs/dse.md).

#include <array>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "tensorfab/dse/sweep.h"

namespace tfab::dse {

// Why a point is out: the kind of reason (counted) and its particulars.
struct Reason {
  std::string kind;    // "reticle", "ttft <= 2 s", "evaluation failed"
  std::string detail;  // "die 912 mm^2 over the 858 mm^2 reticle"
};

// One evaluated point.
struct Row {
  int64_t index = 0;
  std::vector<size_t> values;  // which value of each axis
  std::array<std::optional<double>, kMetricCount> metrics;  // in each metric's output unit
  std::vector<Reason> infeasible;
  [[nodiscard]] bool feasible() const { return infeasible.empty(); }
  [[nodiscard]] const std::optional<double>& operator[](Metric m) const {
    return metrics[static_cast<size_t>(m)];
  }
};

// Adds the sweep's constraints and its objectives' availability to the
// row's reasons, once its metrics are known.
void apply_constraints(const SweepSpec& spec, Row& row);

// How far one axis moves one objective: the spread of the objective's mean
// over the feasible points at each of the axis's values, over its mean over
// all feasible points.
struct Sensitivity {
  size_t axis = 0;
  Objective objective;
  double spread = 0;        // (best mean - worst mean) / |overall mean|
  size_t best_value = 0;    // the value whose points do best on average
};

struct Summary {
  int64_t points = 0, feasible = 0;
  std::map<std::string, int64_t> infeasible;  // points by the first reason's kind
  std::vector<int64_t> front;                 // Pareto-optimal indices, best first objective first
  std::vector<int64_t> top;                   // the best `top` by the first objective
  std::vector<Sensitivity> sensitivity;       // axis by axis, each objective
};

// `rows` in index order, complete or not.
[[nodiscard]] Summary summarise(const SweepSpec& spec, const std::vector<Row>& rows);

// The non-dominated rows of `rows` (feasible ones, every objective known):
// a row is dominated when another is at least as good in every objective
// and better in one. Indices into `rows`, best first objective first.
[[nodiscard]] std::vector<size_t> pareto_front(const std::vector<Row>& rows, const std::vector<Objective>& objectives);

}  // namespace tfab::dse
