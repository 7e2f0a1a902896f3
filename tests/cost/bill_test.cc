#include "tensorfab/cost/bill.h"

#include <gtest/gtest.h>

#include <fmt/format.h>

#include <cmath>

#include "support/shipped.h"

namespace tfab::cost {
namespace {

using namespace core::literals;
using testing::shipped;

BillInputs example() {
  BillInputs in;
  in.die = 800_mm2;
  in.dies = 1;
  in.memory_capacity = 80_GB;
  in.memory_stacks = 5;
  in.node.name = "example";
  in.node.wafer_price = 20000_USD;
  in.node.defects_per_cm2 = 0.1;
  in.package = package::load_package(shipped(), "cowos-s").value();    // $750, bonding yield 0.95
  in.memory = package::load_memory(shipped(), "hbm3").value();         // 16.9 USD/GB
  in.alpha = 2;
  return in;
}

TEST(Bill, AddsTheLinesAndChargesAssemblyLosses) {
  const Bill b = bill(example()).value();
  EXPECT_EQ(b.dies_per_wafer, 58);
  EXPECT_NEAR(*b.die_yield, 0.5102, 1e-4);                       // 1.4^-2
  EXPECT_NEAR(b.die_cost->base(), 20000 / (58 * 0.510204), 0.01);  // $675.9
  EXPECT_NEAR(b.memory_cost->base(), 80 * 16.9, 1e-6);          // $1,352
  EXPECT_NEAR(b.packaging_cost->base(), 750, 1e-9);
  EXPECT_NEAR(*b.assembly_yield, 0.735092, 1e-6);                // 0.95^6: one die, five stacks
  EXPECT_NEAR(b.total->base(), (675.86 + 1352 + 750) / 0.735092, 0.05);
  EXPECT_TRUE(b.missing.empty());
}

TEST(Bill, AMissingFigureLeavesItsLineAndTheTotalOut) {
  auto in = example();
  in.node.wafer_price.reset();
  in.memory = package::load_memory(shipped(), "hbm2e").value();  // no price
  const Bill b = bill(in).value();
  EXPECT_TRUE(b.die_yield.has_value());
  EXPECT_FALSE(b.die_cost.has_value());
  EXPECT_FALSE(b.memory_cost.has_value());
  EXPECT_FALSE(b.total.has_value());
  EXPECT_EQ(b.missing.size(), 2u);
}

TEST(Bill, MoreDefectsOrAMoreExpensiveWaferNeverLowerTheCost) {
  const double base = bill(example()).value().total->base();
  auto dirtier = example();
  dirtier.node.defects_per_cm2 = 0.2;
  auto dearer = example();
  dearer.node.wafer_price = 30000_USD;
  EXPECT_GT(bill(dirtier).value().total->base(), base);
  EXPECT_GT(bill(dearer).value().total->base(), base);
}

TEST(Bill, StackedDiesAreMadeThenBondedThenAttached) {
  auto in = example();
  in.dies = 2;
  in.die = 100_mm2;
  StackedInputs st;
  st.die = 400_mm2;
  st.count = 1;
  st.node.name = "base";
  st.node.wafer_price = 10000_USD;
  st.node.defects_per_cm2 = 0.1;
  st.bonding.name = "bonds";
  st.bonding.bonding_yield = 0.99;
  st.bonding.cost = 20_USD;
  in.stacked = st;
  const Bill b = bill(in).value();
  ASSERT_TRUE(b.total && b.stacked_die_cost && b.bonding_cost) << fmt::format("{}", fmt::join(b.missing, "; "));
  EXPECT_NEAR(b.bonding_cost->base(), 40, 1e-9);           // one bond per logic die
  EXPECT_NEAR(*b.bonding_yield, 0.99 * 0.99, 1e-12);
  EXPECT_NEAR(*b.assembly_yield, std::pow(0.95, 6), 1e-12);  // the stack and five memory stacks
  const double stack = (2 * b.die_cost->base() + b.stacked_die_cost->base() + 40) / (0.99 * 0.99);
  EXPECT_NEAR(b.total->base(), (stack + 1352 + 750) / std::pow(0.95, 6), 1e-6);

  // Without a bonding cost the line, and the total, are missing and named.
  in.stacked->bonding.cost.reset();
  const Bill unknown = bill(in).value();
  EXPECT_FALSE(unknown.total.has_value());
  EXPECT_EQ(unknown.missing, std::vector<std::string>{"bonds: cost per die bonded"});
}

}  // namespace
}  // namespace tfab::cost
