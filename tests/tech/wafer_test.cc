#include "tensorfab/tech/wafer.h"

#include <gtest/gtest.h>

#include <cmath>

namespace tfab::tech {
namespace {

using namespace core::literals;

// The worked example of docs/cost-model.md: a 300 mm wafer, an 800 mm^2
// die, D0 = 0.1 defects/cm^2 (D0 A = 0.8). Expected values to the digits
// printed there.
TEST(Wafer, WorkedExample800mm2) {
  // Textbook form (no edge loss, no scribe): pi 150^2 / 800 - pi 300 / sqrt(1600) = 64.8.
  const Wafer bare{300_mm, 0_mm, 0_mm};
  EXPECT_EQ(dies_per_wafer(800_mm2, bare).value(), 64);
  // Chiplet Actuary's 5 mm edge loss and 0.2 mm scribe: 58.8.
  EXPECT_EQ(dies_per_wafer(800_mm2).value(), 58);

  EXPECT_NEAR(die_yield(800_mm2, 0.1, YieldModel::kPoisson), 0.449, 0.0005);  // e^-0.8
  EXPECT_NEAR(die_yield(800_mm2, 0.1, YieldModel::kMurphy), 0.474, 0.0005);   // ((1 - e^-0.8) / 0.8)^2
  EXPECT_NEAR(die_yield(800_mm2, 0.1, YieldModel::kSeeds), 0.556, 0.0005);   // 1/1.8
  EXPECT_NEAR(die_yield(800_mm2, 0.1, YieldModel::kNegativeBinomial, 2), 0.510, 0.0005);  // 1.4^-2

  // A $20,000 wafer: 20000 / (58 x 0.449) = $768 per good die.
  const double yield = die_yield(800_mm2, 0.1, YieldModel::kPoisson);
  EXPECT_NEAR(known_good_die_cost(20000_USD, 58, yield)->base(), 768, 1);
  // D0 x A past ~745 underflows the Poisson yield: no good die, no cost (never infinity).
  EXPECT_FALSE(known_good_die_cost(20000_USD, 58, die_yield(800_mm2, 410, YieldModel::kPoisson)).has_value());
}

TEST(Wafer, NegativeBinomialBetweenSeedsAndPoisson) {
  const double seeds = die_yield(600_mm2, 0.2, YieldModel::kSeeds);
  const double poisson = die_yield(600_mm2, 0.2, YieldModel::kPoisson);
  EXPECT_NEAR(die_yield(600_mm2, 0.2, YieldModel::kNegativeBinomial, 1), seeds, 1e-12);
  EXPECT_NEAR(die_yield(600_mm2, 0.2, YieldModel::kNegativeBinomial, 1e7), poisson, 1e-6);
  double previous = 1;
  for (double alpha : {0.5, 1.0, 2.0, 5.0, 20.0}) {  // more clustering, more yield
    const double y = die_yield(600_mm2, 0.2, YieldModel::kNegativeBinomial, alpha);
    EXPECT_LT(y, previous);
    previous = y;
  }
}

TEST(Wafer, BiggerDiesFewerAndWorse) {
  double dies = 1e9, yield = 1;
  for (double mm2 : {50.0, 100.0, 200.0, 400.0, 800.0}) {
    const core::Area a = core::Area::from_base(mm2 * 1e-6);
    const double n = dies_per_wafer(a).value(), y = die_yield(a, 0.1, YieldModel::kNegativeBinomial);
    EXPECT_LT(n, dies);
    EXPECT_LT(y, yield);
    dies = n, yield = y;
  }
}

TEST(Wafer, ImpossibleDiesAreClearErrors) {
  EXPECT_FALSE(dies_per_wafer(0_mm2).ok());
  EXPECT_FALSE(dies_per_wafer(core::Area::from_base(-1)).ok());
  auto huge = dies_per_wafer(core::Area::from_base(0.1));  // 0.1 m^2: larger than the wafer
  ASSERT_FALSE(huge.ok());
  EXPECT_NE(huge.errors().front().message.find("does not fit"), std::string::npos);
}

}  // namespace
}  // namespace tfab::tech
