#pragma once
// What one packaged chip costs to make: its logic dies (known-good-die cost
// from the node's wafer price and yield), its memory stacks (price per GB),
// the packaging, and the parts lost when an attachment fails. Each line
// says what it rests on; a line whose figures are not public is missing,
// never guessed. docs/cost-model.md derives it.

#include <optional>
#include <string>
#include <vector>

#include "tensorfab/core/units.h"
#include "tensorfab/package/package.h"
#include "tensorfab/tech/process.h"
#include "tensorfab/tech/wafer.h"

namespace tfab::cost {

// Dies bonded face to face to the logic dies (chip.stacked_dies): made on
// their own node and bonded before the package is assembled.
struct StackedInputs {
  core::Area die;  // one stacked die
  int64_t count = 1;
  tech::ProcessNode node;
  package::InterconnectTech bonding;
};

struct BillInputs {
  core::Area die;  // one logic die
  int64_t dies = 1;
  core::Bytes memory_capacity;  // all stacks together
  int64_t memory_stacks = 0;
  tech::ProcessNode node;
  package::PackageTech package;
  std::optional<package::MemoryStackTech> memory;
  double alpha = 3;  // negative-binomial clustering of defects
  std::optional<StackedInputs> stacked;
};

struct Bill {
  double dies_per_wafer = 0;
  std::optional<core::Money> die_cost_before_yield;  // wafer price / dies per wafer
  std::optional<double> die_yield;            // negative binomial
  std::optional<core::Money> die_cost;        // one known-good die
  // Stacked dies: one known-good die, and the bonding of every logic die to them.
  std::optional<core::Money> stacked_die_cost;
  std::optional<double> stacked_die_yield;
  std::optional<core::Money> bonding_cost;    // all logic dies
  std::optional<double> bonding_yield;        // all bonds together
  std::optional<core::Money> memory_cost;     // all stacks
  std::optional<core::Money> packaging_cost;
  std::optional<double> assembly_yield;       // attach yield ^ (dies on the interposer + stacks)
  std::optional<core::Money> total;           // when every line is known
  std::vector<std::string> missing;           // the figures that keep a line out
};

// Fails (bad input) only on a die no wafer holds.
[[nodiscard]] core::Result<Bill> bill(const BillInputs& in);

}  // namespace tfab::cost
