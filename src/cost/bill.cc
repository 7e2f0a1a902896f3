#include "tensorfab/cost/bill.h"

#include <cmath>

namespace tfab::cost {

core::Result<Bill> bill(const BillInputs& in) {
  Bill b;
  auto dies = tech::dies_per_wafer(in.die);
  if (!dies) return dies.errors();
  b.dies_per_wafer = *dies;
  const auto& node = in.node;
  if (node.wafer_price) b.die_cost_before_yield = *node.wafer_price / *dies;
  if (node.defects_per_cm2) {
    b.die_yield = tech::die_yield(in.die, *node.defects_per_cm2, tech::YieldModel::kNegativeBinomial, in.alpha);
    if (node.wafer_price) {
      b.die_cost = tech::known_good_die_cost(*node.wafer_price, *dies, *b.die_yield);
      if (!b.die_cost) b.missing.push_back(node.name + ": a good die (the yield is zero)");
    }
  }
  if (!node.defects_per_cm2) b.missing.push_back(node.name + ": defect density");
  if (!node.wafer_price) b.missing.push_back(node.name + ": wafer price");

  // Stacked dies: known good ones, each logic die bonded to them; a failed
  // bond scraps the stack. The stack is then what the package attaches.
  int64_t attached = in.dies;
  bool stack_known = b.die_cost.has_value();
  core::Money stack_parts = stack_known ? *b.die_cost * static_cast<double>(in.dies) : core::Money{};
  if (in.stacked) {
    const auto& st = *in.stacked;
    attached = st.count;
    auto stacked_dies = tech::dies_per_wafer(st.die);
    if (!stacked_dies) return stacked_dies.errors();
    if (st.node.defects_per_cm2) {
      b.stacked_die_yield =
          tech::die_yield(st.die, *st.node.defects_per_cm2, tech::YieldModel::kNegativeBinomial, in.alpha);
      if (st.node.wafer_price) {
        b.stacked_die_cost = tech::known_good_die_cost(*st.node.wafer_price, *stacked_dies, *b.stacked_die_yield);
        if (!b.stacked_die_cost) b.missing.push_back(st.node.name + ": a good stacked die (the yield is zero)");
      }
    }
    if (!st.node.defects_per_cm2) b.missing.push_back(st.node.name + ": defect density");
    if (!st.node.wafer_price) b.missing.push_back(st.node.name + ": wafer price");
    const auto bonds = static_cast<double>(in.dies);
    if (st.bonding.bonding_yield) {
      b.bonding_yield = std::pow(*st.bonding.bonding_yield, bonds);
    } else {
      b.missing.push_back(st.bonding.name + ": bonding yield");
    }
    if (st.bonding.cost) {
      b.bonding_cost = *st.bonding.cost * bonds;
    } else {
      b.missing.push_back(st.bonding.name + ": cost per die bonded");
    }
    stack_known = stack_known && b.stacked_die_cost && b.bonding_cost && b.bonding_yield;
    if (stack_known) {
      stack_parts = (stack_parts + *b.stacked_die_cost * static_cast<double>(st.count) + *b.bonding_cost) /
                    *b.bonding_yield;
    }
  }

  if (in.memory_stacks == 0) {
    b.memory_cost = core::Money{};
  } else if (in.memory && in.memory->price) {
    b.memory_cost = core::Money::from_base(in.memory->price->base() * in.memory_capacity.base());
  } else {
    b.missing.push_back((in.memory ? in.memory->name : std::string("memory")) + ": price per GB");
  }

  b.packaging_cost = in.package.cost;
  if (!in.package.cost) b.missing.push_back(in.package.name + ": cost");
  if (in.package.bonding_yield) {
    // Every die and stack is attached once; the package survives only if all do.
    b.assembly_yield = std::pow(*in.package.bonding_yield, static_cast<double>(attached + in.memory_stacks));
  } else {
    b.missing.push_back(in.package.name + ": bonding yield");
  }

  if (stack_known && b.memory_cost && b.packaging_cost && b.assembly_yield) {
    // A failed attachment scraps the whole part: good dies, stacks and package.
    b.total = (stack_parts + *b.memory_cost + *b.packaging_cost) / *b.assembly_yield;
  }
  return b;
}

}  // namespace tfab::cost
