#include "tensorfab/tech/wafer.h"

#include <fmt/format.h>

#include <cmath>
#include <numbers>

namespace tfab::tech {

core::Result<double> dies_per_wafer(core::Area die, const Wafer& wafer) {
  const double area = die.base(), d = wafer.diameter.base(), e = wafer.edge_loss.base(), s = wafer.scribe.base();
  if (!(area > 0) || !(d > 2 * e)) {
    return core::bad_input(fmt::format("a die of {} on a {} wafer with {} edge loss: expected a positive area and "
                                       "a wafer larger than its edge loss",
                                       core::format(die), core::format(wafer.diameter), core::format(wafer.edge_loss)));
  }
  const double pitch_area = std::pow(std::sqrt(area) + s, 2);
  const double usable = d - 2 * e;
  const double n = std::numbers::pi * usable * usable / 4 / pitch_area - std::numbers::pi * usable / std::sqrt(2 * pitch_area);
  if (!(n >= 1)) {
    return core::bad_input(fmt::format("a die of {} does not fit on a {} wafer", core::format(die),
                                       core::format(wafer.diameter)));
  }
  return std::floor(n);
}

std::string_view name(YieldModel model) {
  switch (model) {
    case YieldModel::kPoisson: return "Poisson";
    case YieldModel::kMurphy: return "Murphy";
    case YieldModel::kSeeds: return "Seeds";
    case YieldModel::kNegativeBinomial: return "negative binomial";
  }
  return "Poisson";
}

double die_yield(core::Area die, double defects_per_cm2, YieldModel model, double alpha) {
  const double faults = defects_per_cm2 * die.base() * 1e4;  // D0 x A, A in cm^2
  if (faults <= 0) return 1;
  switch (model) {
    case YieldModel::kPoisson: return std::exp(-faults);
    case YieldModel::kMurphy: return std::pow((1 - std::exp(-faults)) / faults, 2);
    case YieldModel::kSeeds: return 1 / (1 + faults);
    case YieldModel::kNegativeBinomial: return std::pow(1 + faults / alpha, -alpha);
  }
  return std::exp(-faults);
}

std::optional<core::Money> known_good_die_cost(core::Money wafer_price, double dies, double yield) {
  const double good = dies * yield;
  if (!(good > 0)) return std::nullopt;
  return wafer_price / good;
}

}  // namespace tfab::tech
