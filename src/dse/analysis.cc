#include "tensorfab/dse/analysis.h"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>

namespace tfab::dse {
namespace {

// An objective's value with larger always better.
double gain(const Row& row, const Objective& o) {
  const double v = *row[o.metric];
  return o.maximize ? v : -v;
}

bool usable(const Row& row, const std::vector<Objective>& objectives) {
  if (!row.feasible()) return false;
  return std::all_of(objectives.begin(), objectives.end(), [&](const Objective& o) { return row[o.metric].has_value(); });
}

std::string bound_text(const Constraint& c) {
  const MetricInfo& m = info(c.metric);
  return fmt::format("{} {} {:g}{}{}", m.name, c.at_most ? "<=" : ">=", c.bound, m.unit.empty() ? "" : " ", m.unit);
}

}  // namespace

void apply_constraints(const SweepSpec& spec, Row& row) {
  for (const Constraint& c : spec.constraints) {
    const auto& v = row[c.metric];
    const MetricInfo& m = info(c.metric);
    if (!v) {
      row.infeasible.push_back({bound_text(c), fmt::format("{} is not derived for this point", m.name)});
    } else if (c.at_most ? *v > c.bound : *v < c.bound) {
      row.infeasible.push_back({bound_text(c), fmt::format("{} is {:.4g}{}{}", m.name, *v, m.unit.empty() ? "" : " ", m.unit)});
    }
  }
  for (const Objective& o : spec.objectives) {
    if (!row[o.metric]) {
      const std::string name(info(o.metric).name);
      row.infeasible.push_back({"objective not derived: " + name, name + " is not derived for this point"});
    }
  }
}

std::vector<size_t> pareto_front(const std::vector<Row>& rows, const std::vector<Objective>& objectives) {
  std::vector<size_t> order;
  for (size_t i = 0; i < rows.size(); ++i) {
    if (usable(rows[i], objectives)) order.push_back(i);
  }
  if (objectives.empty()) return order;
  // Best first, objective by objective: a row can then only be dominated by
  // one sorted before it.
  std::sort(order.begin(), order.end(), [&](size_t a, size_t b) {
    for (const Objective& o : objectives) {
      const double ga = gain(rows[a], o), gb = gain(rows[b], o);
      if (ga != gb) return ga > gb;
    }
    return rows[a].index < rows[b].index;
  });
  std::vector<size_t> front;
  for (size_t i : order) {
    const bool dominated = std::any_of(front.begin(), front.end(), [&](size_t f) {
      bool better = false;
      for (const Objective& o : objectives) {
        const double gf = gain(rows[f], o), gi = gain(rows[i], o);
        if (gf < gi) return false;
        better = better || gf > gi;
      }
      return better;
    });
    if (!dominated) front.push_back(i);
  }
  return front;
}

Summary summarise(const SweepSpec& spec, const std::vector<Row>& rows) {
  Summary s;
  s.points = static_cast<int64_t>(rows.size());
  for (const Row& r : rows) {
    if (r.feasible()) {
      ++s.feasible;
    } else {
      ++s.infeasible[r.infeasible.front().kind];
    }
  }
  for (size_t i : pareto_front(rows, spec.objectives)) s.front.push_back(rows[i].index);

  if (spec.objectives.empty()) return s;
  const Objective& first = spec.objectives.front();
  std::vector<size_t> ranked;
  for (size_t i = 0; i < rows.size(); ++i) {
    if (usable(rows[i], spec.objectives)) ranked.push_back(i);
  }
  std::stable_sort(ranked.begin(), ranked.end(),
                   [&](size_t a, size_t b) { return gain(rows[a], first) > gain(rows[b], first); });
  for (size_t k = 0; k < ranked.size() && static_cast<int64_t>(k) < spec.top; ++k) s.top.push_back(rows[ranked[k]].index);

  for (size_t a = 0; a < spec.axes.size(); ++a) {
    const size_t n = spec.axes[a].values.size();
    for (const Objective& o : spec.objectives) {
      std::vector<double> sum(n, 0.0);
      std::vector<int64_t> count(n, 0);
      double total = 0;
      int64_t all = 0;
      for (size_t i : ranked) {
        const double v = *rows[i][o.metric];
        sum[rows[i].values[a]] += v;
        ++count[rows[i].values[a]];
        total += v;
        ++all;
      }
      Sensitivity sens{a, o, 0, 0};
      std::optional<double> best, worst;
      for (size_t v = 0; v < n; ++v) {
        if (count[v] == 0) continue;
        const double mean = sum[v] / static_cast<double>(count[v]);
        const double g = o.maximize ? mean : -mean;
        if (!best || g > *best) {
          best = g;
          sens.best_value = v;
        }
        if (!worst || g < *worst) worst = g;
      }
      const double overall = all > 0 ? std::abs(total / static_cast<double>(all)) : 0;
      if (best && overall > 0) sens.spread = (*best - *worst) / overall;
      s.sensitivity.push_back(sens);
    }
  }
  return s;
}

}  // namespace tfab::dse
