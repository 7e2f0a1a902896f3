#pragma once
// An operator's time as a function of the context length t: a fixed
// overhead plus the largest of four limits (tensor units, vector units,
// off-chip memory, chip-to-chip links), each a line a + b*t. Every tier
// (roofline, tile, cycle) produces one of these per op; decode then sums it
// over a whole range of context lengths in closed form.

#include <array>
#include <cstdint>
#include <string_view>

#include "tensorfab/core/units.h"

namespace tfab::perf {

enum class Bound { kTensor, kVector, kMemory, kLink };
[[nodiscard]] std::string_view name(Bound b);

// Seconds as fixed + per_token * t.
struct Line {
  double fixed = 0, per_token = 0;
  [[nodiscard]] double at(double t) const { return fixed + per_token * t; }
};

struct OpTime {
  std::array<Line, 4> limits;  // indexed by Bound
  core::Time overhead;         // launch, synchronisation, pipeline prologue

  Line& operator[](Bound b) { return limits[static_cast<size_t>(b)]; }
  [[nodiscard]] const Line& operator[](Bound b) const { return limits[static_cast<size_t>(b)]; }
  [[nodiscard]] core::Time at(int64_t context) const;
  [[nodiscard]] Bound bound(int64_t context) const;  // the largest limit (ties: first)
};

// Sum of op.at(t) over every integer t in [first, last]. Exact and O(1):
// the maximum of four lines is piecewise linear with at most six
// breakpoints, and each piece sums as an arithmetic series.
[[nodiscard]] core::Time sum_over_contexts(const OpTime& op, int64_t first, int64_t last);

}  // namespace tfab::perf
