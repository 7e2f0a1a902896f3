#include "tensorfab/perf/roofline.h"

#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <cmath>

namespace tfab::perf {
namespace {

// Seconds as a + b*t for each of the three limits.
struct Line {
  double a = 0, b = 0;
  [[nodiscard]] double at(double t) const { return a + b * t; }
};

std::array<Line, 3> lines_of(const Roofline& roof, const workload::Op& op) {
  auto line = [](double fixed, double per_token, double rate) { return Line{fixed / rate, per_token / rate}; };
  return {
      line(op.fixed.tensor_ops.base(), op.per_context_token.tensor_ops.base(), roof.tensor.base()),
      line(op.fixed.vector_ops.base(), op.per_context_token.vector_ops.base(), roof.vector.base()),
      line(op.fixed.bytes.base(), op.per_context_token.bytes.base(), roof.memory.base()),
  };
}

}  // namespace

std::string_view name(Bound b) {
  switch (b) {
    case Bound::kTensor: return "tensor";
    case Bound::kVector: return "vector";
    case Bound::kMemory: return "memory";
  }
  return "memory";
}

core::Time Roofline::time(const workload::Work& w) const {
  return std::max({w.tensor_ops / tensor, w.vector_ops / vector, w.bytes / memory});
}

Bound Roofline::bound(const workload::Work& w) const {
  core::Time t = w.tensor_ops / tensor, v = w.vector_ops / vector, m = w.bytes / memory;
  if (t >= v && t >= m) return Bound::kTensor;
  return v >= m ? Bound::kVector : Bound::kMemory;
}

core::Result<Roofline> roofline_for(const hw::ChipSpec& chip, core::NumberFormat format) {
  auto peak = chip.tensor_peak_for(format);
  if (!peak) {
    return core::bad_input(fmt::format("chip '{}' has no tensor throughput in {}; choose another format "
                                       "in the scenario (formats.weights / formats.activations)",
                                       chip.id, core::name(format)));
  }
  return Roofline{*peak * chip.efficiency.tensor, chip.vector.fp32_peak, chip.memory.bandwidth() * chip.efficiency.memory};
}

core::Time time_over_contexts(const Roofline& roof, const workload::Op& op, int64_t first, int64_t last) {
  if (last < first) return {};
  const auto lines = lines_of(roof, op);
  // Integer ranges between the crossings of any two lines.
  std::vector<double> cuts;
  for (size_t i = 0; i < lines.size(); ++i) {
    for (size_t j = i + 1; j < lines.size(); ++j) {
      double slope = lines[i].b - lines[j].b;
      if (slope == 0) continue;
      double x = (lines[j].a - lines[i].a) / slope;
      if (x > static_cast<double>(first) && x < static_cast<double>(last)) cuts.push_back(x);
    }
  }
  std::sort(cuts.begin(), cuts.end());
  double total = 0;
  auto lo = static_cast<double>(first);
  auto add_range = [&](double from, double to) {  // integers from..to inclusive
    if (to < from) return;
    double mid = (from + to) / 2, n = to - from + 1;
    const Line& top = *std::max_element(lines.begin(), lines.end(),
                                        [&](const Line& x, const Line& y) { return x.at(mid) < y.at(mid); });
    total += n * top.a + top.b * n * mid;  // sum of a + b*t over the range
  };
  for (double cut : cuts) {
    double hi = std::floor(cut);
    add_range(lo, hi);
    lo = std::max(lo, hi + 1);
  }
  add_range(lo, static_cast<double>(last));
  return core::Time::from_base(total);
}

std::vector<OpCost> cost_ops(const Roofline& roof, const hw::ChipSpec& chip, const workload::Graph& graph,
                             int64_t context) {
  std::vector<OpCost> out;
  out.reserve(graph.ops.size());
  const core::OpRate peak = chip.tensor_peak_for(graph.ops.empty() ? core::NumberFormat::kBF16
                                                                   : graph.ops.front().format)
                                .value_or(roof.tensor);
  for (const auto& op : graph.ops) {
    OpCost c;
    c.name = op.name;
    c.kind = op.kind;
    c.repeat = op.repeat;
    c.work = op.at_context(context);
    c.time = roof.time(c.work);
    c.bound = roof.bound(c.work);
    c.tensor_utilisation = c.time > core::Time{} ? (c.work.tensor_ops / c.time) / peak : 0.0;
    out.push_back(std::move(c));
  }
  return out;
}

}  // namespace tfab::perf
