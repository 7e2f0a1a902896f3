#include "tensorfab/perf/op_time.h"

#include <algorithm>
#include <cmath>
#include <vector>

namespace tfab::perf {

std::string_view name(Bound b) {
  switch (b) {
    case Bound::kTensor: return "tensor";
    case Bound::kVector: return "vector";
    case Bound::kMemory: return "memory";
    case Bound::kLink: return "link";
  }
  return "memory";
}

core::Time OpTime::at(int64_t context) const {
  const auto t = static_cast<double>(context);
  double top = 0;
  for (const Line& l : limits) top = std::max(top, l.at(t));
  return overhead + core::Time::from_base(top);
}

Bound OpTime::bound(int64_t context) const {
  const auto t = static_cast<double>(context);
  size_t best = 0;
  for (size_t i = 1; i < limits.size(); ++i) {
    if (limits[i].at(t) > limits[best].at(t)) best = i;
  }
  return static_cast<Bound>(best);
}

core::Time sum_over_contexts(const OpTime& op, int64_t first, int64_t last) {
  if (last < first) return {};
  const auto& lines = op.limits;
  // Integer ranges between the crossings of any two lines.
  std::vector<double> cuts;
  for (size_t i = 0; i < lines.size(); ++i) {
    for (size_t j = i + 1; j < lines.size(); ++j) {
      const double slope = lines[i].per_token - lines[j].per_token;
      if (slope == 0) continue;
      const double x = (lines[j].fixed - lines[i].fixed) / slope;
      if (x > static_cast<double>(first) && x < static_cast<double>(last)) cuts.push_back(x);
    }
  }
  std::sort(cuts.begin(), cuts.end());
  double total = 0;
  auto lo = static_cast<double>(first);
  auto add_range = [&](double from, double to) {  // integers from..to inclusive
    if (to < from) return;
    const double mid = (from + to) / 2, n = to - from + 1;
    const Line& top = *std::max_element(lines.begin(), lines.end(),
                                        [&](const Line& x, const Line& y) { return x.at(mid) < y.at(mid); });
    total += std::max(0.0, n * top.fixed + top.per_token * n * mid);  // sum of a + b*t over the range
  };
  for (double cut : cuts) {
    const double hi = std::floor(cut);
    add_range(lo, hi);
    lo = std::max(lo, hi + 1);
  }
  add_range(lo, static_cast<double>(last));
  const double count = static_cast<double>(last - first + 1);
  return core::Time::from_base(total) + op.overhead * count;
}

}  // namespace tfab::perf
