#pragma once
// The roofline tier: an operator takes as long as the slowest of its tensor
// work, its vector work and its off-chip traffic, each at the chip's
// achievable rate (peak times the measured efficiency). Microseconds for a
// whole model; the tile tier will refine it.

#include <string>

#include "tensorfab/hw/chip.h"
#include "tensorfab/workload/graph.h"

namespace tfab::perf {

enum class Bound { kTensor, kVector, kMemory };
[[nodiscard]] std::string_view name(Bound b);

// Achievable rates of one chip for one tensor format.
struct Roofline {
  core::OpRate tensor;
  core::OpRate vector;
  core::Bandwidth memory;

  [[nodiscard]] core::Time time(const workload::Work& w) const;
  [[nodiscard]] Bound bound(const workload::Work& w) const;
};

// Fails (bad input) when the chip has no tensor throughput in `format`.
[[nodiscard]] core::Result<Roofline> roofline_for(const hw::ChipSpec& chip, core::NumberFormat format);

// Time of one instance of `op` summed over every integer context length in
// [first, last]. Exact and O(1): each of the three times is linear in t, so
// their maximum is piecewise linear with at most three breakpoints, and each
// piece sums as an arithmetic series.
[[nodiscard]] core::Time time_over_contexts(const Roofline& roof, const workload::Op& op, int64_t first,
                                            int64_t last);

struct OpCost {
  std::string name;
  workload::OpKind kind = workload::OpKind::kGemm;
  int64_t repeat = 1;
  workload::Work work;  // one instance
  core::Time time;      // one instance
  Bound bound = Bound::kMemory;
  double tensor_utilisation = 0;  // tensor ops / (time x peak), at peak not achievable rate
};

// Costs of each op of a graph at context length t.
[[nodiscard]] std::vector<OpCost> cost_ops(const Roofline& roof, const hw::ChipSpec& chip,
                                           const workload::Graph& graph, int64_t context);

}  // namespace tfab::perf
