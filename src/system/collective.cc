#include "tensorfab/system/collective.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <vector>

namespace tfab::system {
namespace {

using workload::CollectiveKind;

// How a group sits on the levels: at each level, how many of its members
// one domain holds, and the factor by which that grows over the level below.
struct Span {
  struct Step {
    size_t level = 0;
    int64_t factor = 1;               // domains of the level below this level's step joins
    double bandwidth = 0;             // achieved, per chip, each direction (B/s); a torus: per dimension
    double all_links = 0;             // a torus: over all its dimensions
    double latency = 0;               // s
    std::vector<int64_t> ring_sizes;  // a torus: the ring in each dimension the group uses
    double torus_share = 1;           // a torus dimension the group fills only partly: its links are shared
  };
  std::vector<Step> steps;  // only levels the group crosses (factor > 1), innermost first

  [[nodiscard]] double min_bandwidth() const {
    double b = std::numeric_limits<double>::infinity();
    for (const Step& s : steps) b = std::min(b, s.bandwidth);
    return b;
  }
  [[nodiscard]] double max_latency() const {
    double a = 0;
    for (const Step& s : steps) a = std::max(a, s.latency);
    return a;
  }
};

// The rings a group of `factor` domains uses on a torus: whole dimensions
// innermost first, then part of the next one.
void place_on_torus(const Level& level, int64_t factor, Span::Step& step) {
  int64_t left = factor;
  for (int64_t k : level.torus) {
    if (left <= 1) break;
    if (left % k == 0) {
      step.ring_sizes.push_back(k);
      left /= k;
    } else {
      step.ring_sizes.push_back(std::min(left, k));
      step.torus_share = 0.5;  // no wrap-around link of its own: it rides on the neighbours'
      left = (left + k - 1) / k;
    }
  }
  if (left > 1) step.ring_sizes.push_back(left);
}

Span span_of(const System& system, Group group, double sharing) {
  Span span;
  int64_t members_below = 1;  // members of the group in one domain of the level below
  for (size_t i = 0; i < system.levels.size(); ++i) {
    const Level& level = system.levels[i];
    const int64_t fit = std::max<int64_t>(1, level.chips / std::max<int64_t>(group.stride, 1));
    const int64_t members = std::min(group.size, std::max(fit, members_below));
    const int64_t factor = (members + members_below - 1) / members_below;
    if (factor > 1) {
      Span::Step step;
      step.level = i;
      step.factor = factor;
      double bandwidth = level.achieved().base() / sharing;
      // Traffic that leaves a leaf switch gets the tree's taper.
      const int64_t reach = members * group.stride;
      if (level.network == Network::kFatTree && level.leaf_chips > 0 && reach > level.leaf_chips) {
        bandwidth /= level.oversubscription;
      }
      step.latency = level.latency.base();
      if (level.network == Network::kTorus) {
        place_on_torus(level, factor, step);
        bandwidth *= step.torus_share;
        step.all_links = bandwidth;
        // Each dimension gets its share of the chip's links.
        bandwidth /= static_cast<double>(std::max<size_t>(level.torus.size(), 1));
      }
      step.bandwidth = bandwidth;
      span.steps.push_back(step);
    }
    members_below = members;
  }
  return span;
}

// One reduce-scatter (or all-gather) pass over a ring of `g` at one step.
double ring_pass(double bytes, int64_t g, double bandwidth, double latency) {
  if (g <= 1) return 0;
  const double gd = static_cast<double>(g);
  return (gd - 1) * latency + (gd - 1) / gd * bytes / bandwidth;
}

// A reduce-scatter (halves = 1) or all-reduce (halves = 2) level by level,
// each level on the share the levels below left.
double hierarchical(const Span& span, double bytes, int halves) {
  double t = 0;
  for (const Span::Step& s : span.steps) {
    if (s.ring_sizes.empty()) {
      t += ring_pass(bytes, s.factor, s.bandwidth, s.latency);
      bytes /= static_cast<double>(s.factor);
    } else {
      for (int64_t k : s.ring_sizes) {
        t += ring_pass(bytes, k, s.bandwidth, s.latency);
        bytes /= static_cast<double>(k);
      }
    }
  }
  return t * halves;
}

// NCCL's double binary tree for an all-reduce: a reduce up and a broadcast
// down, each pipelined in chunks of the size that minimises its time.
double tree(double bytes, int64_t g, double bandwidth, double latency) {
  const double depth = std::ceil(std::log2(static_cast<double>(g)));
  const double one_way = bytes / bandwidth + depth * latency +
                         2 * std::sqrt(std::max(depth - 1, 0.0) * latency * bytes / bandwidth);
  return 2 * one_way;
}

}  // namespace

std::string_view name(Algorithm a) {
  switch (a) {
    case Algorithm::kRing:
      return "ring";
    case Algorithm::kTree:
      return "tree";
    case Algorithm::kHierarchical:
      return "hierarchical";
    case Algorithm::kTorus:
      return "torus";
    case Algorithm::kAllToAll:
      return "all-to-all";
    case Algorithm::kPointToPoint:
      return "point-to-point";
  }
  return "ring";
}

CollectiveTime collective_time(const System& system, CollectiveKind kind, core::Bytes bytes, Group group,
                               double sharing) {
  CollectiveTime out;
  const double n = bytes.base();
  if (group.size <= 1 || !(n > 0)) return out;
  const Span span = span_of(system, group, std::max(sharing, 1.0));
  if (span.steps.empty()) return out;
  out.level = span.steps.back().level;
  const bool on_torus = std::any_of(span.steps.begin(), span.steps.end(),
                                    [](const Span::Step& s) { return !s.ring_sizes.empty(); });
  const double slowest = span.min_bandwidth();
  const double alpha = span.max_latency();
  const double g = static_cast<double>(group.size);

  auto choose = [&](std::initializer_list<std::pair<Algorithm, double>> options) {
    double best = std::numeric_limits<double>::infinity();
    for (const auto& [algorithm, t] : options) {
      if (t < best) {
        best = t;
        out.algorithm = algorithm;
      }
    }
    out.time = core::Time::from_base(best);
  };
  const Algorithm layered = on_torus ? Algorithm::kTorus : Algorithm::kHierarchical;

  switch (kind) {
    case CollectiveKind::kAllReduce:
      choose({{Algorithm::kRing, 2 * ring_pass(n, group.size, slowest, alpha)},
              {Algorithm::kTree, tree(n, group.size, slowest, alpha)},
              {layered, hierarchical(span, n, 2)}});
      break;
    case CollectiveKind::kReduceScatter:
    case CollectiveKind::kAllGather:
      choose({{Algorithm::kRing, ring_pass(n, group.size, slowest, alpha)},
              {layered, hierarchical(span, n, 1)}});
      break;
    case CollectiveKind::kAllToAll: {
      // At each level, the share of a chip's buffer bound outside its domain
      // of the level below; a torus carries each byte over its mean hops.
      double t = 0;
      int64_t members_below = 1;
      for (const Span::Step& s : span.steps) {
        const double leaving = 1 - static_cast<double>(members_below) / g;
        double hops = 1, bandwidth = s.bandwidth;
        if (!s.ring_sizes.empty()) {  // mean distance k/4 per bidirectional ring, over all the links
          hops = 0;
          for (int64_t k : s.ring_sizes) hops += static_cast<double>(k) / 4;
          hops = std::max(hops, 1.0);
          bandwidth = s.all_links;
        }
        t = std::max(t, n * leaving * hops / bandwidth);
        members_below *= s.factor;
      }
      out.algorithm = Algorithm::kAllToAll;
      out.time = core::Time::from_base(t + (g - 1) * alpha);
      break;
    }
    case CollectiveKind::kSendRecv:
      out.algorithm = Algorithm::kPointToPoint;
      out.time = core::Time::from_base(span.steps.back().latency + n / span.steps.back().bandwidth);
      break;
  }
  return out;
}

}  // namespace tfab::system
