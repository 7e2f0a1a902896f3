#include "tensorfab/perf/tile.h"

#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <cmath>

namespace tfab::perf {
namespace {

using mapping::ceil_div;

double real(int64_t n) { return static_cast<double>(n); }
int64_t round_up(int64_t n, int64_t to) { return ceil_div(n, to) * to; }

// GPU-like workers pad M and N to these tile sizes (warpgroup MMA tiles)
// and K to the MMA depth.
constexpr std::array<int64_t, 3> kGpuTiles{64, 128, 256};
constexpr int64_t kGpuTileK = 64, kGpuKGranule = 32;
// Systolic workers stream M through the array: tiles of these many rows.
constexpr std::array<int64_t, 3> kStreamRows{128, 512, 2048};
// Accumulators are kept in FP32 on chip, and split-K partial sums go to memory in FP32.
constexpr double kAccumulatorBytes = 4;

struct Candidate {
  int64_t tm, tn, tk;
};

}  // namespace

std::string GemmMapping::describe() const {
  std::string s = fmt::format("tile {}x{}x{}", tile_m, tile_n, tile_k);
  if (split_k > 1) s += fmt::format(", split-K {}", split_k);
  s += fmt::format(", {} wave{}", waves, waves == 1 ? "" : "s");
  return s;
}

core::Result<TileMachine> tile_machine(const hw::ChipSpec& chip, core::NumberFormat format) {
  auto peak = chip.required_tensor_peak(format);
  if (!peak) return peak.errors();
  TileMachine m;
  const hw::SramLevel* staging = chip.per_core_sram();
  const hw::TensorEngine& t = chip.tensor;
  const core::OpRate bf16 = chip.tensor_peak_for(core::NumberFormat::kBF16).value_or(*peak);
  if (t.array_rows && t.array_cols) {
    // Systolic arrays: each array is a worker. Count them from the peak
    // where the chip file leaves the count out, or the clock where it
    // leaves that out.
    m.array_rows = *t.array_rows;
    m.array_cols = *t.array_cols;
    const double macs_per_cycle = 2 * real(m.array_rows * m.array_cols);
    if (t.units) {
      m.workers = *t.units;
    } else if (t.clock) {
      m.workers = std::max<int64_t>(1, std::llround(bf16.base() / (macs_per_cycle * t.clock->base())));
    } else {
      m.workers = staging != nullptr ? staging->instances : 1;
    }
    m.clock = t.clock.value_or(core::Frequency::from_base(bf16.base() / (macs_per_cycle * real(m.workers))));
    if (staging != nullptr) m.worker_memory = staging->total() / real(m.workers);
  } else {
    // GPU-like: each core (SM, CU) with its shared memory is a worker.
    m.workers = staging != nullptr ? staging->instances : t.units.value_or(1);
    if (staging != nullptr) m.worker_memory = staging->capacity;
  }
  if (staging != nullptr) m.reuse_memory = staging->total();
  for (const auto& level : chip.shared_sram()) m.reuse_memory += level.total();
  m.memory = chip.memory.bandwidth() * chip.efficiency.memory;
  m.latency = chip.memory.latency.value_or(core::Time{});
  m.worker_rate = *peak / real(m.workers);

  // Calibrate: the large GEMM the efficiency was measured on runs at the
  // measured fraction of peak.
  constexpr int64_t kCalibration = 8192;
  const double e = core::bytes_per_element(format);
  const mapping::ElementBytes calibration_bytes{core::Bytes::from_base(e), core::Bytes::from_base(e),
                                                core::Bytes::from_base(2)};
  const GemmMapping ideal = map_gemm(m, {kCalibration, kCalibration, kCalibration}, calibration_bytes);
  const double flops = 2 * std::pow(real(kCalibration), 3);
  const double utilisation = flops / peak->base() / ideal.time().base();
  m.sustain = std::min(1.0, chip.efficiency.tensor_for(format) / utilisation);
  m.worker_rate = m.worker_rate * m.sustain;
  return m;
}

GemmMapping map_gemm(const TileMachine& machine, const mapping::GemmShape& shape,
                     const mapping::ElementBytes& bytes, int64_t groups) {
  const double ea = bytes.a.base(), eb = bytes.b.base(), ec = bytes.c.base();
  const int64_t M = shape.m, N = shape.n, K = shape.k;
  const double bw = machine.memory.base(), rate = machine.worker_rate.base();

  std::vector<Candidate> candidates;
  if (machine.systolic()) {
    for (int64_t rows : kStreamRows) {
      const int64_t tm = std::min(rows, M);
      for (int64_t widths : {1, 2, 4}) candidates.push_back({tm, machine.array_cols * widths, machine.array_rows});
      if (tm == M) break;
    }
  } else {
    for (int64_t tm : kGpuTiles) {
      for (int64_t tn : kGpuTiles) candidates.push_back({tm, tn, kGpuTileK});
    }
  }

  const int64_t k_granule = machine.systolic() ? machine.array_rows : kGpuKGranule;
  const int64_t k_padded = round_up(K, k_granule);
  GemmMapping best;
  bool found = false, best_fits = false;
  for (const Candidate& c : candidates) {
    const double footprint = 2 * (real(c.tm * c.tk) * ea + real(c.tk * c.tn) * eb) + real(c.tm * c.tn) * kAccumulatorBytes;
    const bool fits = machine.worker_memory.base() <= 0 || footprint <= machine.worker_memory.base();
    if (!fits && found) continue;  // the first (smallest) candidate stands in when none fits
    const int64_t output_tiles = ceil_div(M, c.tm) * ceil_div(N, c.tn) * groups;
    // Split K only to fill idle workers.
    for (int64_t split = 1; split == 1 || (output_tiles * split <= machine.workers && k_padded / split >= c.tk);
         split *= 2) {
      GemmMapping g;
      g.tile_m = c.tm, g.tile_n = c.tn, g.tile_k = c.tk, g.split_k = split;
      g.tiles = output_tiles * split;
      g.waves = ceil_div(g.tiles, machine.workers);
      const int64_t k_share = round_up(ceil_div(k_padded, split), k_granule);
      // A GPU tile is padded to its size. An array streams a tile's rows (no
      // padding in M), but each block's weights take `rows` cycles to shift
      // in, hidden only behind at least as many streamed rows.
      const int64_t rows = machine.systolic() ? std::max(c.tm, machine.array_rows) : c.tm;
      const int64_t cols = machine.systolic() ? round_up(c.tn, machine.array_cols) : c.tn;
      const double tile_ops = 2 * real(rows) * real(cols) * real(k_share);
      // An array's fill and drain, as the systolic simulator's wavefront
      // runs: the first weights (one PE row a cycle, already in a block's
      // time when fewer rows stream than it has), then the last row's way
      // through the depth and across the width. The next tile's rows follow
      // the last one's through the array, so a worker pays it once.
      const double fill =
          machine.systolic()
              ? real(std::min(c.tm, machine.array_rows) + machine.array_rows + machine.array_cols - 1) / machine.clock.base()
              : 0;
      g.compute = core::Time::from_base(real(g.waves) * tile_ops / rate + fill);
      // What is left when the last bytes land: the last K slab's work.
      g.epilogue = core::Time::from_base(2 * real(rows) * real(cols) * real(c.tk) / rate + fill);

      // Off-chip traffic of the GEMM blocked to the on-chip memory: square
      // blocks of A rows and B columns that fit in half of it.
      const double block = machine.reuse_memory.base() / 2 / (real(k_padded) * (ea + eb));
      const double mb = std::clamp(block, real(std::min(c.tm, M)), real(M));
      const double nb = std::clamp(block, real(std::min(c.tn, N)), real(N));
      double traffic = real(M) * real(K) * ea * std::ceil(real(N) / nb) +
                       real(K) * real(N) * eb * std::ceil(real(M) / mb) + real(M) * real(N) * ec;
      if (split > 1) traffic += 2 * real(split) * real(M) * real(N) * kAccumulatorBytes;
      traffic *= real(groups);
      g.traffic = core::Bytes::from_base(traffic);
      g.memory = core::Time::from_base(traffic / bw);
      const double first_slabs = real(std::min(g.tiles, machine.workers)) * real(std::min(c.tk, K)) *
                                 (real(c.tm) * ea + real(std::min(c.tn, N)) * eb);
      g.prologue = core::Time::from_base(first_slabs / bw);
      g.latency = machine.latency * (split > 1 ? 4 : 2);
      const double preference = g.tiles < best.tiles ? 1 + kFewerTilesPreference : 1.0;
      const bool faster = g.time().base() < best.time().base() * preference;
      if (!found || (fits && !best_fits) || (fits == best_fits && faster)) {
        best = g;
        best_fits = fits;
      }
      found = true;
    }
  }
  return best;
}

}  // namespace tfab::perf
