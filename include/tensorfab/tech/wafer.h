#pragma once
// Die economics on a wafer: how many dies a wafer gives, how many of them
// work, and what a known-good die costs. The formulas are the published
// ones in ../shared/reference/costmodel.csv; docs/cost-model.md derives
// the worked example the tests check.

#include <optional>
#include <string_view>

#include "tensorfab/core/result.h"
#include "tensorfab/core/units.h"

namespace tfab::tech {

struct Wafer {
  core::Length diameter = core::Length::from_base(0.300);
  // Chiplet Actuary's defaults (Feng & Ma, DAC 2022, parameter.ini): 5 mm
  // lost at the edge, 0.2 mm scribe lanes between dies.
  core::Length edge_loss = core::Length::from_base(0.005);
  core::Length scribe = core::Length::from_base(0.0002);
};

// Whole dies of `die` area per wafer (square dies), Chiplet Actuary's form
//   N = pi (d/2 - e)^2 / A' - pi (d - 2e) / sqrt(2 A'),  A' = (sqrt(A) + s)^2,
// which is the textbook pi (d/2)^2 / A - pi d / sqrt(2A) with no edge loss
// or scribe. Fails (bad input) on a non-positive area or one that no
// wafer holds.
[[nodiscard]] core::Result<double> dies_per_wafer(core::Area die, const Wafer& wafer = {});

// Fraction of dies free of killer defects at `defects_per_cm2` (D0).
enum class YieldModel {
  kPoisson,           // exp(-D0 A): random, independent defects
  kMurphy,            // ((1 - exp(-D0 A)) / (D0 A))^2
  kSeeds,             // 1 / (1 + D0 A)
  kNegativeBinomial,  // (1 + D0 A / alpha)^-alpha: defects cluster; alpha -> inf is Poisson
};
[[nodiscard]] std::string_view name(YieldModel model);

[[nodiscard]] double die_yield(core::Area die, double defects_per_cm2, YieldModel model, double alpha = 3);

// Wafer price / (dies per wafer x yield); nothing when no good die is to be
// expected (a yield that underflows to zero, as exp(-D0 x A) does past ~745).
[[nodiscard]] std::optional<core::Money> known_good_die_cost(core::Money wafer_price, double dies, double yield);

}  // namespace tfab::tech
