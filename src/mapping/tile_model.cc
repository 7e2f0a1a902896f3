#include "tensorfab/mapping/tile_model.h"

#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <cmath>
#include <initializer_list>
#include <numeric>
#include <optional>
#include <tuple>
#include <utility>
#include <vector>

namespace tfab::mapping {
namespace {

// Cycles of one step's compute once its operands are in the scratchpad and
// the array is free: the closed form of the wavefront schedule that the
// simulator steps block by block (systolic_sim.h). The weight-stationary
// step's first weight load is not included: it overlaps the previous step
// unless the step waited for its data.
int64_t step_compute(const CycleHardware& hw, Dataflow dataflow, int64_t tm, int64_t tn, int64_t tk) {
  const int64_t fill_drain = hw.rows + hw.cols;
  if (dataflow == Dataflow::kWeightStationary) {
    const int64_t blocks = ceil_div(tk, hw.rows) * ceil_div(tn, hw.cols);
    // A block streams tm rows, but the next block's weights need `rows` cycles to load.
    return (blocks - 1) * std::max(tm, hw.rows) + tm + fill_drain - 1;
  }
  const int64_t blocks = ceil_div(tm, hw.rows) * ceil_div(tn, hw.cols);
  return blocks * (tk + fill_drain - 2);
}

// The (at most two) tile sizes of one dimension and how many tiles have each.
struct SizeClasses {
  std::array<int64_t, 2> size{};
  std::array<int64_t, 2> count{};
  int n = 0;
  int64_t last = 0;  // size of the last tile
};

SizeClasses classes_of(const DimSplit& s) {
  SizeClasses c;
  if (s.full > 0) c.size[c.n] = s.tile, c.count[c.n++] = s.full;
  if (s.edge > 0) c.size[c.n] = s.edge, c.count[c.n++] = 1;
  c.last = s.edge > 0 ? s.edge : s.tile;
  return c;
}

// How many k in [0, count) have (first + k * stride) mod period == period - 1:
// how many of an array's tiles, dealt round-robin, are the last of their
// row. Solves the linear congruence instead of stepping through the tiles.
int64_t count_last_in_row(int64_t first, int64_t stride, int64_t period, int64_t count) {
  if (count <= 0) return 0;
  const int64_t target = ((period - 1 - first) % period + period) % period;
  const int64_t step = stride % period;
  const int64_t g = std::gcd(step, period);  // gcd(0, p) = p: every k or none
  if (target % g != 0) return 0;
  const int64_t reduced_period = period / g, reduced_step = step / g, reduced_target = target / g;
  // reduced_step * x == 1 (mod reduced_period), by the extended Euclidean algorithm.
  int64_t r0 = reduced_period, r1 = reduced_step % reduced_period, x0 = 0, x1 = 1;
  while (r1 != 0) {
    const int64_t q = r0 / r1;
    std::tie(r0, r1) = std::pair{r1, r0 - q * r1};
    std::tie(x0, x1) = std::pair{x1, x0 - q * x1};
  }
  const int64_t inverse = ((x0 % reduced_period) + reduced_period) % reduced_period;
  const int64_t k0 = reduced_period == 1 ? 0 : (reduced_target % reduced_period) * inverse % reduced_period;
  return k0 < count ? (count - 1 - k0) / reduced_period + 1 : 0;
}

// How many integers in [from, to) are congruent to `residue` mod `modulus`.
int64_t count_congruent(int64_t from, int64_t to, int64_t residue, int64_t modulus) {
  auto below = [&](int64_t x) { return x <= residue ? 0 : (x - residue - 1) / modulus + 1; };  // in [0, x)
  return to <= from ? 0 : below(to) - below(from);
}

// A vector of at most N items that lives on the stack: the model runs
// hundreds of times per search and allocates nothing.
template <class T, size_t N>
class FixedVector {
 public:
  FixedVector() = default;
  FixedVector(std::initializer_list<T> items) {
    for (const T& x : items) push_back(x);
  }
  void push_back(const T& x) { items_[size_++] = x; }
  [[nodiscard]] size_t size() const { return size_; }
  [[nodiscard]] const T* data() const { return items_.data(); }
  const T& operator[](size_t i) const { return items_[i]; }
  T& operator[](size_t i) { return items_[i]; }
  const T& front() const { return items_[0]; }
  const T& back() const { return items_[size_ - 1]; }
  const T* begin() const { return items_.data(); }
  const T* end() const { return items_.data() + size_; }

 private:
  std::array<T, N> items_{};
  size_t size_ = 0;
};

// The model times the chain of every busy array of the last wave up to
// this many; beyond, a few chosen ones (see `candidates`).
constexpr int64_t kMaxChains = 16;

// Where one output tile sits in the visiting order.
struct TilePosition {
  int64_t mi = 0, ni = 0;
};

// The estimate for one tiling; nothing when it cannot beat `to_beat` cycles
// (the search's best so far): neither the port's total time nor the
// arrays' mean compute, both lower bounds, is below it.
std::optional<TileEstimate> evaluate(const CycleHardware& hw, const GemmShape& shape,
                                     const ElementBytes& bytes, const Tiling& tiling,
                                     double to_beat = HUGE_VAL) {
  const DimSplit ms = split(shape.m, tiling.tile_m), ns = split(shape.n, tiling.tile_n),
                 ks = split(shape.k, tiling.tile_k);
  const SizeClasses mc = classes_of(ms), nc = classes_of(ns), kc = classes_of(ks);
  const int64_t arrays = hw.arrays;
  const int64_t output_tiles = ms.count * ns.count;
  const auto k_steps = static_cast<double>(ks.count);
  const double steps = static_cast<double>(output_tiles) * k_steps;
  const auto latency = static_cast<double>(hw.port_latency_cycles);
  const bool m_outer = tiling.order == LoopOrder::kMOuter;
  // Weight-stationary steps that wait for their data also wait for the first weight load.
  const double weight_load =
      tiling.dataflow == Dataflow::kWeightStationary ? static_cast<double>(hw.rows) : 0.0;
  auto cycles_of = [&](int64_t bytes_moved) { return static_cast<double>(hw.transfer_cycles(bytes_moved)); };
  auto compute_of = [&](int64_t tm, int64_t tn, int64_t tk) {
    return static_cast<double>(step_compute(hw, tiling.dataflow, tm, tn, tk));
  };

  // Wave quantisation: output tiles are dealt round-robin, so the busiest
  // array has `waves` of them; of those, the one that starts last is
  // array `last_wave_arrays - 1`, the last to be busy in the last wave.
  const int64_t waves = ceil_div(output_tiles, arrays);
  const int64_t last_wave_arrays = output_tiles - (waves - 1) * arrays;
  const double busiest_steps = static_cast<double>(waves) * k_steps;
  const double starting = static_cast<double>(std::min(arrays, output_tiles));  // arrays with work

  // How often each operand tile is read: every step, unless K is one tile and
  // consecutive output tiles of an array share it.
  double reads_a = steps, reads_b = steps;
  if (ks.count == 1) {
    const int64_t along = m_outer ? ns.count : ms.count;  // output tiles sharing the outer operand
    const auto shared = static_cast<double>(std::min(arrays, along) * (m_outer ? ms.count : ns.count));
    // The inner operand repeats for an array only when its stride, `arrays`, is a multiple of `along`.
    const double inner = arrays % along == 0 ? starting : static_cast<double>(output_tiles);
    (m_outer ? reads_a : reads_b) = shared;
    (m_outer ? reads_b : reads_a) = inner;
  }
  const double share_a = reads_a / steps, share_b = reads_b / steps;
  // Each array's first step reads both tiles in the prologue; a read made
  // only every few steps recurs in the steady state this often.
  auto steady_share = [&](double share) {
    const double per_array = share * busiest_steps;
    return busiest_steps > 1 ? std::max(0.0, per_array - 1) / (busiest_steps - 1) : 0.0;
  };

  // The steps of a tile's K loop: full K tiles, then perhaps one edge tile.
  struct StepKind {
    double count = 0;    // steps of this kind in one tile
    double compute = 0;  // cycles of one step
    double light = 0;    // port cycles of the reads every such step makes
  };
  // One class of output tiles: full or edge in M and in N.
  struct TileClass {
    double tiles = 0;  // over all arrays
    std::array<StepKind, 2> kinds{};
    int kind_count = 0;
    double compute = 0;      // mean per step
    double heavy = 0;        // port cycles of a read made only every few steps (K in one tile)
    double heavy_share = 0;  // ... the fraction of steady steps that make it
    double write = 0;        // port cycles of the tile's write-back
    double first_read = 0;   // port cycles of its first step's reads (both tiles)
    double first_compute = 0, last_compute = 0;  // of its first and last step
  };
  FixedVector<TileClass, 4> classes;
  double port_total = 0, read_bytes = 0, write_bytes = 0;
  for (int i = 0; i < mc.n; ++i) {
    for (int j = 0; j < nc.n; ++j) {
      const int64_t tm = mc.size[i], tn = nc.size[j];
      TileClass t;
      t.tiles = static_cast<double>(mc.count[i] * nc.count[j]);
      for (int l = 0; l < kc.n; ++l) {
        const int64_t tk = kc.size[l];
        const auto n = static_cast<double>(kc.count[l]);
        const int64_t a_bytes = tile_bytes(tm * tk, bytes.a), b_bytes = tile_bytes(tk * tn, bytes.b);
        const double read_a = cycles_of(a_bytes), read_b = cycles_of(b_bytes);
        StepKind& kind = t.kinds[static_cast<size_t>(t.kind_count++)];
        kind.count = n;
        kind.compute = compute_of(tm, tn, tk);
        t.compute += n * kind.compute / k_steps;
        // A tile read on most steps is counted as read on every step, at its mean.
        for (auto [cycles, share] : {std::pair{read_a, share_a}, std::pair{read_b, share_b}}) {
          if (share > 0.5) {
            kind.light += share * cycles;
          } else {
            t.heavy = cycles;
            t.heavy_share = std::max(t.heavy_share, steady_share(share));
          }
        }
        port_total += t.tiles * n * (share_a * read_a + share_b * read_b);
        read_bytes +=
            t.tiles * n * (share_a * static_cast<double>(a_bytes) + share_b * static_cast<double>(b_bytes));
      }
      t.first_read =
          cycles_of(tile_bytes(tm * kc.size[0], bytes.a)) + cycles_of(tile_bytes(kc.size[0] * tn, bytes.b));
      t.first_compute = compute_of(tm, tn, kc.size[0]);
      t.last_compute = compute_of(tm, tn, kc.last);
      const int64_t c_bytes = tile_bytes(tm * tn, bytes.c);
      t.write = cycles_of(c_bytes);
      write_bytes += t.tiles * static_cast<double>(c_bytes);
      port_total += t.tiles * t.write;
      classes.push_back(t);
    }
  }
  double compute_total = 0;
  for (const TileClass& t : classes) compute_total += t.tiles * t.compute * k_steps;
  if (std::max(port_total, compute_total / static_cast<double>(arrays)) >= to_beat) return std::nullopt;
  auto position = [&](int64_t t) {
    return m_outer ? TilePosition{t / ns.count, t % ns.count} : TilePosition{t % ms.count, t / ms.count};
  };
  auto class_at = [&](TilePosition p) -> const TileClass& {
    const int i = p.mi < ms.full ? 0 : mc.n - 1, j = p.ni < ns.full ? 0 : nc.n - 1;
    return classes[static_cast<size_t>(i * nc.n + j)];
  };

  double writes_total = 0;
  for (const TileClass& t : classes) writes_total += t.tiles * t.write;

  // Array b's first tile is tile b. Tiles go row by row (the outer index);
  // the last of each row is an inner edge tile and the last row holds the
  // outer edge ones.
  const DimSplit& outer = m_outer ? ms : ns;
  const DimSplit& inner = m_outer ? ns : ms;
  auto class_index = [&](bool m_edge, bool n_edge) {
    return static_cast<size_t>((m_edge ? mc.n - 1 : 0) * nc.n + (n_edge ? nc.n - 1 : 0));
  };
  // The classes of tiles lo .. hi-1.
  auto first_wave_classes = [&](int64_t lo, int64_t hi) {
    std::array<int64_t, 4> tiles{};
    if (hi <= lo) return tiles;
    const int64_t row = inner.count, outer_start = std::max(lo, outer.full * row);
    const int64_t inner_edge = inner.edge > 0 ? count_congruent(lo, hi, row - 1, row) : 0;
    const int64_t outer_edge = outer.edge > 0 ? std::max<int64_t>(0, hi - outer_start) : 0;
    const int64_t corner =
        inner.edge > 0 && outer.edge > 0 ? count_congruent(outer_start, hi, row - 1, row) : 0;
    tiles[class_index(m_outer, !m_outer)] += outer_edge - corner;
    tiles[class_index(!m_outer, m_outer)] += inner_edge - corner;
    tiles[class_index(true, true)] += corner;
    tiles[class_index(false, false)] += hi - lo - outer_edge - inner_edge + corner;
    return tiles;
  };
  auto first_reads_of = [&](int64_t lo, int64_t hi) {
    const std::array<int64_t, 4> tiles = first_wave_classes(lo, hi);
    double cycles = 0;
    for (size_t c = 0; c < classes.size(); ++c)
      cycles += static_cast<double>(tiles[c]) * classes[c].first_read;
    return cycles;
  };
  const double mean_first_read = first_reads_of(0, static_cast<int64_t>(starting)) / starting;
  const double mean_write = writes_total / static_cast<double>(output_tiles);
  // The reads per step, once each array's first step is in, that the arrays
  // compete for.
  const double others_per_step =
      steps > starting ? (port_total - writes_total - starting * mean_first_read) / (steps - starting) : 0.0;

  // One output tile's K loop on an array in the steady state, while `active`
  // arrays run. Chains of dependences bound it (see docs/tile-model.md):
  // the array's own steps (compute); the port, shared with the other active
  // arrays; reads issued when the step two back frees its buffers (two
  // steps >= read + wait + compute, the wait being the latency and the
  // weight load); and, when the tile is written back, the read queued
  // behind the write-back (three steps >= two reads + write + wait +
  // compute). A read made only every few steps (a shared operand) makes its
  // step heavier; its excess over two ordinary steps is added per read.
  enum Bound { kByCompute, kByPort, kByLatency };
  struct Steady {
    double cycles = 0;      // of the tile's K loop
    double first_rate = 0;  // per step, of its full-K steps
    double edge_rate = 0;   // per step, of its edge-K step (if any)
    double wrap = 0;        // excess of the next tile's first step over an edge-K step before it
    double loop = 0;        // read + wait + compute of a full-K step: its two-step chain
    Bound bound = kByCompute;
  };
  // Each tile's steps carry one write-back, the previous tile's, except on
  // an array's first tile; the last tile's own write-back is the epilogue.
  auto steady_of = [&](const TileClass& t, int64_t active, bool written) {
    // The active arrays run in step, so their write-backs come together.
    const double w = written ? t.write + static_cast<double>(active - 1) * mean_write : 0.0;
    const double others = static_cast<double>(active - 1) * others_per_step;
    // With one K step per tile, a step also needs the C buffer that the
    // write-back queued right behind its read frees.
    const double wait =
        ks.count == 1 && written ? std::max(latency + weight_load, t.write) : latency + weight_load;
    struct Rates {
      double rate, loop, queued, port;
    };
    auto rates = [&](const StepKind& k) {
      Rates r{};
      r.port = k.light + t.heavy_share * t.heavy + others;
      r.loop = k.light + wait + k.compute;
      r.queued = 2 * k.light + w + wait + k.compute;
      r.rate = std::max({k.compute, r.loop / 2, r.port});
      // With one or two K steps, every step or every other carries a write-back.
      if (ks.count == 1) r.rate = std::max({r.rate, r.port + w, r.queued / 3});
      if (ks.count == 2) r.rate = std::max({r.rate, r.port + w / 2, (r.queued + r.rate) / 4});
      return r;
    };
    Steady out;
    const Rates full = rates(t.kinds[0]);
    double base = t.kinds[0].count * full.rate, port = t.kinds[0].count * full.port;
    if (t.kind_count == 2) {
      // The edge step sits between full ones; each two-step chain spans both kinds.
      const Rates edge = rates(t.kinds[1]);
      out.edge_rate = edge.rate;
      out.wrap = std::max(0.0, full.loop - edge.rate - full.rate);
      base += edge.rate + std::max(0.0, edge.loop - full.rate - edge.rate) + out.wrap;
      port += edge.port;
    }
    out.first_rate = full.rate;
    out.loop = full.loop;
    out.cycles = ks.count >= 3 ? std::max({base, base + full.queued - 3 * full.rate, port + w}) : base;
    if (t.heavy_share > 0)
      out.cycles += k_steps * t.heavy_share * std::max(0.0, full.loop + t.heavy - 2 * full.rate);
    const double c = t.kinds[0].compute;
    const double top = std::max({c, full.loop / 2, full.port + w / k_steps});
    out.bound = top == c ? kByCompute : top == full.loop / 2 ? kByLatency : kByPort;
    return out;
  };
  // A class's tile over the waves: all arrays busy but in the last.
  const double full_waves = static_cast<double>(waves - 1) / static_cast<double>(waves);
  const int64_t first_active = waves > 1 ? arrays : last_wave_arrays;
  FixedVector<Steady, 4> in_full_wave, in_last_wave, as_first;
  for (const TileClass& t : classes) {
    in_full_wave.push_back(steady_of(t, arrays, true));
    in_last_wave.push_back(steady_of(t, last_wave_arrays, true));
    as_first.push_back(steady_of(t, first_active, false));
  }
  auto tile_cycles = [&](size_t cls) {
    return full_waves * in_full_wave[cls].cycles + (1 - full_waves) * in_last_wave[cls].cycles;
  };

  // The tiles array b is dealt, by class: the last row (outer index) holds
  // the outer edge tiles, the last tile of each row the inner edge ones.
  auto dealt_tiles = [&](int64_t b) { return ceil_div(output_tiles - b, arrays); };
  auto composition = [&](int64_t b) {
    std::array<double, 4> tiles{};
    const int64_t dealt = dealt_tiles(b);
    const int64_t outer_edge =
        outer.edge > 0 ? count_congruent(outer.full * inner.count, output_tiles, b, arrays) : 0;
    const int64_t inner_edge = inner.edge > 0 ? count_last_in_row(b, arrays, inner.count, dealt) : 0;
    const int64_t corner = outer.edge > 0 && inner.edge > 0 && (output_tiles - 1 - b) % arrays == 0 ? 1 : 0;
    tiles[class_index(m_outer, !m_outer)] += static_cast<double>(outer_edge - corner);
    tiles[class_index(!m_outer, m_outer)] += static_cast<double>(inner_edge - corner);
    tiles[class_index(true, true)] += static_cast<double>(corner);
    tiles[class_index(false, false)] += static_cast<double>(dealt - outer_edge - inner_edge + corner);
    return tiles;
  };

  // All of array b's tiles at the steady rates: its first tile carries no
  // earlier write-back and its last one is followed by nothing. When K is
  // one tile, a tile at the end of a row sits between two of another class;
  // a step's two-step chain then spans a step of the other class and can
  // exceed the two steps' rates (a big tile after a small one).
  auto class_of_tile = [&](int64_t t) {
    return static_cast<size_t>(&class_at(position(t)) - classes.data());
  };
  auto steady_cycles = [&](int64_t b) {
    const std::array<double, 4> tiles = composition(b);
    double cycles = 0;
    for (size_t c = 0; c < classes.size(); ++c) cycles += tiles[c] * tile_cycles(c);
    const size_t first = class_of_tile(b);  // carries no earlier write-back
    cycles += as_first[first].cycles - tile_cycles(first);
    // No tile follows the last one.
    const size_t last = class_of_tile(b + (ceil_div(output_tiles - b, arrays) - 1) * arrays);
    cycles -= dealt_tiles(b) == 1 ? as_first[last].wrap : in_last_wave[last].wrap;
    if (ks.count == 1 && inner.edge > 0 && inner.count > 1 && arrays % inner.count != 0) {
      for (bool outer_edge : {false, true}) {
        if (outer_edge && outer.edge == 0) continue;
        const size_t full = class_index(m_outer ? outer_edge : false, m_outer ? false : outer_edge);
        const size_t edge = class_index(m_outer ? outer_edge : true, m_outer ? true : outer_edge);
        const double row_ends = tiles[edge];
        if (row_ends <= 0 || full == edge) continue;
        const Steady& f = in_full_wave[full];
        const Steady& e = in_full_wave[edge];
        cycles += row_ends * (std::max(0.0, f.loop - f.first_rate - e.first_rate) +
                              std::max(0.0, e.loop - f.first_rate - e.first_rate));
      }
    }
    return cycles;
  };

  // One step of array b's sequence, as the first steps are timed.
  struct StepInfo {
    size_t cls = 0;
    bool edge_k = false, first_tile = false;
    double compute = 0, read = 0;
    double earlier_write = 0;  // K in one tile: the write-back whose C buffer the step reuses
  };
  auto step_info = [&](int64_t b, int64_t step) {
    const int64_t tile = step / ks.count, k = step % ks.count, t = b + tile * arrays;
    const TilePosition p = position(t);
    const int64_t tm = ms.size_of(p.mi), tn = ns.size_of(p.ni), tk = ks.size_of(k);
    StepInfo out;
    out.cls = class_of_tile(t);
    out.edge_k = k >= ks.full;
    out.first_tile = tile == 0;
    out.compute = compute_of(tm, tn, tk);
    bool read_a = true, read_b = true;
    if (ks.count == 1 && tile > 0) {  // an operand tile shared with the array's previous tile stays
      const TilePosition q = position(t - arrays);
      read_a = q.mi != p.mi;
      read_b = q.ni != p.ni;
    }
    out.read = (read_a ? cycles_of(tile_bytes(tm * tk, bytes.a)) : 0.0) +
               (read_b ? cycles_of(tile_bytes(tk * tn, bytes.b)) : 0.0);
    if (ks.count == 1 && tile >= 2) out.earlier_write = classes[class_of_tile(t - 2 * arrays)].write;
    return out;
  };
  auto step_rate = [&](const StepInfo& step) {
    auto rate = [&](const Steady& x) { return step.edge_k ? x.edge_rate : x.first_rate; };
    if (step.first_tile) return rate(as_first[step.cls]);
    return full_waves * rate(in_full_wave[step.cls]) + (1 - full_waves) * rate(in_last_wave[step.cls]);
  };

  // The first steps of every array read at once (both buffers are free),
  // round-robin over the arrays: array b sees the first reads of the b
  // arrays before it, then its own; its second read comes after every first
  // read; its third is issued when its first step ends. These three are
  // timed exactly, for the two chains of every other step start from them;
  // the steps after them run at the steady rates. Returns when the array's
  // last step ends.
  auto last_step_end = [&](int64_t b) {
    const StepInfo s0 = step_info(b, 0);
    const double first_done = first_reads_of(0, b) + s0.read;
    const double e0 = first_done + latency + weight_load + s0.compute;
    if (busiest_steps < 2) return e0 + std::max(0.0, steady_cycles(b) - step_rate(s0));
    const StepInfo s1 = step_info(b, 1);
    const double second_round = starting * mean_first_read;
    const double e1 = std::max(e0 + s1.compute, second_round + static_cast<double>(b + 1) * s1.read +
                                                    latency + weight_load + s1.compute);
    if (busiest_steps < 3) return e1 + std::max(0.0, steady_cycles(b) - step_rate(s0) - step_rate(s1));
    // Its third read queues behind those the arrays that started before it
    // issued as their first steps ended (with their write-backs, when K is
    // one tile).
    const StepInfo s2 = step_info(b, 2);
    const double ahead_third = static_cast<double>(b) * (s2.read + (ks.count == 1 ? mean_write : 0.0));
    const double third_done = std::max(e0, second_round + starting * s1.read + ahead_third) + s2.read;
    // The write-back issued with the third read frees the C buffer it needs.
    const double e2 = std::max({e1 + s2.compute, third_done + latency + weight_load + s2.compute,
                                third_done + s2.earlier_write + s2.compute});
    double end = e2 + std::max(0.0, steady_cycles(b) - step_rate(s0) - step_rate(s1) - step_rate(s2));
    // Latency-bound steps run as two interleaved chains, each step two
    // back plus read, latency and compute; the steady rate is half a link
    // per step. With an even number of steps the last one ends on the chain
    // of the second step, which the rate overcounts when the first two
    // steps ran back to back.
    const auto steps_of_b = static_cast<int64_t>(busiest_steps);
    const StepInfo last = step_info(b, steps_of_b - 1);
    const Steady& pace = last.first_tile ? as_first[last.cls] : in_full_wave[last.cls];
    if (steps_of_b % 2 == 0 && pace.loop / 2 >= pace.first_rate) {
      end -= std::max(0.0, std::min(pace.first_rate - last.compute, pace.first_rate - (e1 - e0)));
    }
    return end;
  };
  const TileClass& final_tile = classes.back();  // the last tile has the edge sizes
  const int64_t busiest = last_wave_arrays - 1;  // the last of the busiest arrays to start
  const double prologue =
      first_reads_of(0, busiest) + class_at(position(busiest)).first_read + latency + weight_load;
  // The last write-back goes out once the last tile is done; the one before
  // it, issued as the last tile began, may still be going out then.
  auto last_writes = [&](int64_t b) {
    const int64_t last = b + (ceil_div(output_tiles - b, arrays) - 1) * arrays;
    const TileClass& t = class_at(position(last));
    if (last < arrays) return t.write;
    const double previous = class_at(position(last - arrays)).write;
    return t.write + std::max(0.0, previous - k_steps * t.compute);
  };
  // The busiest arrays 0 .. last_wave_arrays-1 differ in when they start and
  // in which edge tiles they are dealt; the one that finishes last is found
  // among them all when they are few. Otherwise among the first, the last,
  // the last to start with each class of tile, and the last dealt no inner
  // edge tile at all (with g = gcd(arrays, tiles per row), array b is dealt
  // one only if b = row - 1 mod g).
  FixedVector<int64_t, kMaxChains> candidates;
  if (last_wave_arrays <= kMaxChains) {
    for (int64_t b = 0; b < last_wave_arrays; ++b) candidates.push_back(b);
  } else {
    const int64_t row = inner.count, g = std::gcd(arrays % row, row);
    int64_t no_edge = busiest;
    while (no_edge > 0 && g > 1 && no_edge % g == (row - 1) % g) --no_edge;
    for (int64_t b :
         {int64_t{0}, busiest, busiest - 1, outer.full * row - 1, outer.full * row - 2, no_edge}) {
      if (b >= 0 && b <= busiest && std::find(candidates.begin(), candidates.end(), b) == candidates.end()) {
        candidates.push_back(b);
      }
    }
  }
  // Arrays after b that finish after it (they start later, one first read
  // apart, unless their tiles are enough smaller) queue their last
  // write-backs behind its own.
  auto queued_writes = [&](int64_t b) {
    const size_t mine = class_of_tile(b);
    const double work = classes[mine].compute * k_steps;
    double queued = 0;
    for (size_t c = 0; c < classes.size(); ++c) {
      const double deficit = std::max(0.0, work - classes[c].compute * k_steps);
      const auto lag = static_cast<int64_t>(std::ceil(deficit / std::max(1.0, mean_first_read)));
      queued += static_cast<double>(first_wave_classes(b + 1 + lag, last_wave_arrays)[c]) * classes[c].write;
    }
    return queued;
  };
  double chain = 0;
  for (int64_t b : candidates) chain = std::max(chain, last_step_end(b) + last_writes(b) + queued_writes(b));

  double compute_busiest = 0;
  std::array<double, 3> cycles_by_bound{};
  for (int64_t b : candidates) {
    const std::array<double, 4> tiles = composition(b);
    double compute = 0;
    for (size_t c = 0; c < classes.size(); ++c) {
      compute += tiles[c] * classes[c].compute * k_steps;
      if (b == 0) cycles_by_bound[in_full_wave[c].bound] += tiles[c] * tile_cycles(c);
    }
    compute_busiest = std::max(compute_busiest, compute);
  }

  // When the port is the limit, the run ends with the last read's latency,
  // the last step's compute and the last write-back after every transfer
  // before them. The write-backs issued after the last read (the other
  // busy arrays' last ones, and up to two more per array when K is one or
  // two tiles) overlap that tail.
  // (With two steps or fewer per array every read is issued at the start,
  // so every write-back follows the last read.)
  const double tail_writes =
      busiest_steps <= 2
          ? writes_total - final_tile.write
          : (static_cast<double>(busiest) + static_cast<double>(last_wave_arrays) * (ks.count == 1   ? 2
                                                                                     : ks.count == 2 ? 1
                                                                                                     : 0)) *
                mean_write;
  // If the step before the last is still computing when the last read
  // lands (the last reads are small: an edge tile), it delays the last step.
  const StepInfo last_step = step_info(busiest, static_cast<int64_t>(busiest_steps) - 1);
  const double previous_compute =
      busiest_steps >= 2 ? step_info(busiest, static_cast<int64_t>(busiest_steps) - 2).compute : 0.0;
  // Between its last two reads the port serves the other arrays' last
  // reads: those of the last wave's tiles, and one step's worth from the
  // arrays already done.
  double last_gap = last_step.read + static_cast<double>(arrays - last_wave_arrays) *
                                         (others_per_step + (ks.count == 1 ? mean_write : 0.0));
  {
    const std::array<int64_t, 4> last_wave =
        first_wave_classes(output_tiles - last_wave_arrays, output_tiles - 1);
    for (size_t c = 0; c < classes.size(); ++c) {
      const TileClass& t = classes[c];
      last_gap += static_cast<double>(last_wave[c]) *
                  (t.kinds[static_cast<size_t>(t.kind_count - 1)].light + (ks.count == 1 ? t.write : 0.0));
    }
  }
  const double tail =
      (ks.count == 1 && waves > 2 ? std::max(latency + weight_load, mean_write) : latency + weight_load) +
      std::max(last_step.compute, previous_compute + last_step.compute - last_gap);
  const double drained =
      port_total - tail_writes - final_tile.write + std::max(tail, tail_writes) + final_tile.write;
  // Every transfer but the first two steps' reads is issued after some
  // array's first step has ended, so the port carries them all after that.
  const double second_reads = busiest_steps >= 2 ? starting * classes.front().kinds[0].light : 0.0;
  const double first_end = classes.front().first_read + latency + weight_load +
                           (arrays == 1 ? classes.front().first_compute
                                        : std::min(classes.front().first_compute, final_tile.first_compute));
  const double after_first = first_end + port_total - starting * mean_first_read - second_reads;
  const double total = std::max({chain, drained, after_first});

  TileEstimate e;
  e.tiling = tiling;
  e.total_cycles = static_cast<int64_t>(std::llround(total));
  e.compute_cycles = static_cast<int64_t>(std::llround(compute_busiest));
  e.memory_cycles = static_cast<int64_t>(std::llround(port_total));
  e.prologue_cycles = static_cast<int64_t>(std::llround(prologue));
  if (std::max(drained, after_first) >= chain) {
    e.limiter = Limiter::kPort;
  } else {
    const auto top =
        std::max_element(cycles_by_bound.begin(), cycles_by_bound.end()) - cycles_by_bound.begin();
    e.limiter = top == kByCompute ? Limiter::kCompute : top == kByPort ? Limiter::kPort : Limiter::kLatency;
  }
  e.bytes_read = core::Bytes::from_base(std::round(read_bytes));
  e.bytes_written = core::Bytes::from_base(std::round(write_bytes));
  const double macs =
      static_cast<double>(shape.m) * static_cast<double>(shape.n) * static_cast<double>(shape.k);
  e.mac_utilisation =
      macs / (static_cast<double>(arrays * hw.rows * hw.cols) * static_cast<double>(e.total_cycles));
  return e;
}

// Tile sizes for one dimension: the whole extent split into 1, 2, 4, ...
// equal parts, each rounded up to `quantum` (the array's extent along that
// dimension, so blocks are not padded needlessly), down to `smallest`.
std::vector<int64_t> tile_candidates(int64_t extent, int64_t quantum, int64_t smallest) {
  std::vector<int64_t> out;
  for (int64_t parts = 1; parts <= extent; parts *= 2) {
    const int64_t tile = std::min(extent, ceil_div(ceil_div(extent, parts), quantum) * quantum);
    if (!out.empty() && tile < smallest) break;
    if (out.empty() || tile < out.back()) out.push_back(tile);
    if (tile <= 1) break;
  }
  return out;
}

core::Diagnostics check_all(const GemmShape& shape, const ElementBytes& bytes,
                            const core::Result<CycleHardware>& hw) {
  if (!hw) return hw.errors();
  return check_gemm(shape, bytes);
}

}  // namespace

std::string_view name(Limiter limiter) {
  switch (limiter) {
    case Limiter::kCompute:
      return "compute";
    case Limiter::kPort:
      return "port";
    case Limiter::kLatency:
      return "latency";
  }
  return "compute";
}

core::Result<TileEstimate> estimate_gemm(const SystolicHardware& hardware, const GemmShape& shape,
                                         const ElementBytes& bytes, const Tiling& tiling) {
  auto hw = in_cycles(hardware);
  core::Diagnostics errors = check_all(shape, bytes, hw);
  if (!errors.empty()) return errors;
  errors = check_tiling(tiling, shape, bytes, *hw);
  if (!errors.empty()) return errors;
  TileEstimate e = *evaluate(*hw, shape, bytes, tiling);
  e.time = static_cast<double>(e.total_cycles) / hardware.clock;
  return e;
}

core::Result<TileEstimate> choose_tiling(const SystolicHardware& hardware, const GemmShape& shape,
                                         const ElementBytes& bytes, const TilingSearch& search) {
  auto hw = in_cycles(hardware);
  core::Diagnostics errors = check_all(shape, bytes, hw);
  if (!errors.empty()) return errors;
  if (!search.weight_stationary && !search.output_stationary) {
    return core::bad_input("the tiling search allows no dataflow; allow weight- or output-stationary");
  }
  const double capacity = static_cast<double>(hw->scratchpad_bytes);
  std::optional<TileEstimate> best;
  auto consider = [&](Dataflow dataflow, const std::vector<int64_t>& ms, const std::vector<int64_t>& ns,
                      const std::vector<int64_t>& ks) {
    for (LoopOrder order : {LoopOrder::kMOuter, LoopOrder::kNOuter}) {
      for (int64_t tm : ms) {
        for (int64_t tn : ns) {
          for (int64_t tk : ks) {
            // With K in several tiles no operand tile is shared, and one array
            // visits the same tiles in either order.
            if (order == LoopOrder::kNOuter && tk < shape.k && hw->arrays == 1) continue;
            const Tiling t{dataflow, order, tm, tn, tk};
            if (scratchpad_footprint(t, bytes).base() > capacity) continue;
            const double to_beat = best ? static_cast<double>(best->total_cycles) : HUGE_VAL;
            std::optional<TileEstimate> e = evaluate(*hw, shape, bytes, t, to_beat);
            if (e && static_cast<double>(e->total_cycles) < to_beat) best = *e;
          }
        }
      }
    }
  };
  auto search_all = [&](bool fallback) {
    const int64_t r = hw->rows, c = hw->cols;
    // Blocks want tiles that are multiples of the array along the dimensions
    // it holds; below the array's own size a tile only pads it.
    auto dim = [&](int64_t extent, int64_t quantum, int64_t smallest) {
      return fallback ? tile_candidates(extent, 1, 1)
                      : tile_candidates(extent, quantum, std::min(extent, smallest));
    };
    if (search.weight_stationary) {
      consider(Dataflow::kWeightStationary, dim(shape.m, 1, r), dim(shape.n, c, c), dim(shape.k, r, r));
    }
    if (search.output_stationary) {
      consider(Dataflow::kOutputStationary, dim(shape.m, r, r), dim(shape.n, c, c), dim(shape.k, 1, r));
    }
  };
  search_all(false);
  if (!best) search_all(true);  // a scratchpad too small for array-sized tiles
  if (!best) {
    return core::bad_input(fmt::format("no tiling of the {}x{}x{} GEMM fits a scratchpad of {}", shape.m,
                                       shape.n, shape.k, core::format(hardware.scratchpad)));
  }
  best->time = static_cast<double>(best->total_cycles) / hardware.clock;
  return *best;
}

}  // namespace tfab::mapping
