// The compiler writes assembly text and assembles it: the program it makes
// is checked like any other, and `tensorfab vp compile` prints the text.

#include "tensorfab/vp/compile.h"

#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <optional>
#include <vector>

#include "tensorfab/mapping/systolic.h"
#include "tensorfab/vp/tensor.h"

namespace tfab::vp {
namespace {

using mapping::ceil_div;

bool is_float(DataType t) { return !is_mx(t) && !is_int(t); }

// K slices in flight on a core: two hide the tensor engine behind the
// loads; more hide the HBM latency as well.
constexpr int kMostStages = 8;

// Semaphores of the GEMM kernel (one set per core).
constexpr int kLoaded = 0;                // s0 + b: all slices of buffer b have arrived
constexpr int kFree = kMostStages;        // s8 + b: buffer b may be overwritten
constexpr int kTileDone = 2 * kMostStages;  // a tile's last matmul has finished
constexpr int kCast = kTileDone + 1;      // a tile has been converted to C's type
// A core's loads all go through one queue, in the order its matmuls need
// them. HBM serves transfers in the order they start, so each core's next
// slice comes one round of the cores' loads after its last; split over two
// queues, two slices would land together at the end of a double round.
constexpr int kLoadQueue = 0;
constexpr int kStoreQueue = 2;
// With split-K, summing the parts after the barrier.
constexpr int kPartsLoaded = kCast + 1;   // a block's parts have arrived
constexpr int kSumCast = kCast + 2;       // a block's sum has been converted
constexpr int kSumStored = kCast + 3;     // ... and stored: its buffers are free
static_assert(kSumStored < kSemaphores);

// Accumulators (and output buffers) a core needs so that a tile's is not
// reused before it has been stored. A tile's last buffer is handed back only
// after its store, and the load `stages` slices later waits for that; a
// tile `accumulators` tiles later starts at least 1 + (accumulators - 1) x
// (fewest slices a tile has) slices later, which must reach `stages`.
int accumulators_for(int stages, int64_t fewest_slices) {
  const int64_t more = ceil_div(stages - 1, fewest_slices);
  return static_cast<int>(std::min<int64_t>(stages, 1 + std::max<int64_t>(1, more)));
}

// Scratchpad offsets of one core's buffers: one per stage for the slices,
// one per accumulator for the sums and the converted tiles.
struct Layout {
  std::array<int64_t, kMostStages> a{}, b{}, a_scales{}, b_scales{}, acc{}, out{};
  int64_t end = 0;
};

Layout layout(const GemmKernel& g, int64_t tm, int64_t tn, int64_t tk, int stages, int accumulators) {
  Layout l;
  int64_t at = 0;
  auto take = [&](int64_t bytes) {
    const int64_t start = at;
    at += (bytes + 63) / 64 * 64;  // 64-byte aligned
    return start;
  };
  for (int i = 0; i < stages; ++i) {
    l.a[i] = take(tm * row_bytes(g.a.type, tk));
    l.b[i] = take(tn * row_bytes(g.b.type, tk));
    l.a_scales[i] = take(scale_bytes(g.a.type, tm, tk));
    l.b_scales[i] = take(scale_bytes(g.b.type, tn, tk));
  }
  for (int i = 0; i < accumulators; ++i) {
    l.acc[i] = take(tm * row_bytes(g.accumulator, tn));
    l.out[i] = take(tm * row_bytes(g.c.type, tn));
  }
  l.end = at;
  return l;
}

std::string tensor(int64_t offset, DataType type) { return fmt::format("sram:{:#x}:{}", offset, name(type)); }

core::Diagnostics check_gemm(const GemmKernel& g) {
  core::Diagnostics errors;
  auto bad = [&](std::string message, std::string key) { errors.push_back(core::bad_input(std::move(message), key)); };
  if (g.a.rows <= 0 || g.b.rows <= 0 || g.a.cols <= 0) bad("the GEMM's sizes must be positive", "gemm");
  if (g.a.cols != g.b.cols) bad(fmt::format("A has k = {} and B has k = {}", g.a.cols, g.b.cols), "gemm.b");
  if (g.c.rows != g.a.rows || g.c.cols != g.b.rows) {
    bad(fmt::format("C is {} x {}, expected {} x {}", g.c.rows, g.c.cols, g.a.rows, g.b.rows), "gemm.c");
  }
  for (const auto& [t, key] : {std::pair{g.a.type, "gemm.a"}, std::pair{g.b.type, "gemm.b"}}) {
    if (is_int(t)) bad(fmt::format("the GEMM kernel takes float and MX operands, not {}", name(t)), key);
  }
  if (!is_float(g.c.type)) bad(fmt::format("C must be a float type, not {}", name(g.c.type)), "gemm.c");
  if (g.accumulator != DataType::kFp32 && g.accumulator != DataType::kFp16 && g.accumulator != DataType::kBf16) {
    bad(fmt::format("the accumulator must be fp32, fp16 or bf16, not {}", name(g.accumulator)), "gemm.accumulator");
  }
  return errors;
}

// With split-K, after the barrier: every core sums part of C from the parts
// in the workspace. C is cut into blocks of rows x columns (columns in
// multiples of 64, so that a block starts on a byte in any type), about one
// a core, dealt in turn. A block's parts load together on the load queue,
// their latencies overlapped, then fold in halves: parts [0, h) += the last
// h of the `count` left, h = count / 2, so log2(split) vadds for a power of
// two. Then the sum is converted and stored.
std::string sum_parts(const GemmKernel& g, const GemmPlan& plan, int64_t core, double sram_bytes) {
  const int64_t m = g.a.rows, n = g.b.rows, split = plan.split_k, cores = plan.cores;
  const int64_t acc = row_bytes(g.accumulator, 1);
  const int64_t part_row = row_bytes(g.accumulator, n), part_bytes = m * part_row, c_row = row_bytes(g.c.type, n);
  const auto fits = [&](int64_t rows, int64_t cols) {
    return static_cast<double>(split * rows * cols * acc + 64 + rows * row_bytes(g.c.type, cols)) <= sram_bytes;
  };
  int64_t width = m < cores ? std::min(n, ceil_div(ceil_div(n, ceil_div(cores, m)), 64) * 64) : n;
  while (width > 64 && !fits(1, width)) width = std::max<int64_t>(64, (width / 2 + 63) / 64 * 64);
  const int64_t column_blocks = ceil_div(n, width);
  int64_t height = ceil_div(m, ceil_div(cores, column_blocks));
  while (height > 1 && !fits(height, width)) height = ceil_div(height, 2);
  const int64_t blocks = ceil_div(m, height) * column_blocks;

  std::string text;
  bool first = true;
  for (int64_t block = core; block < blocks; block += cores, first = false) {
    const int64_t i0 = block / column_blocks * height, j0 = block % column_blocks * width;
    const int64_t rows = std::min(height, m - i0), cols = std::min(width, n - j0), part = rows * cols * acc;
    const int64_t out = ceil_div(split * part, 64) * 64;
    for (int64_t p = 0; p < split; ++p) {
      text += fmt::format("    dma dst=sram:{:#x} src=hbm:{:#x} rows={} row_bytes={} src_stride={} queue={}{} signal=s{}\n",
                          p * part, g.workspace + p * part_bytes + i0 * part_row + j0 * acc, rows, cols * acc,
                          part_row, kLoadQueue, !first && p == 0 ? fmt::format(" wait=s{}", kSumStored) : "", kPartsLoaded);
    }
    const std::string sum = tensor(0, g.accumulator);
    for (int64_t count = split; count > 1;) {
      const int64_t half = count / 2;
      text += fmt::format("    vadd dst={} a={} b={} rows={} cols={}{}\n", sum, sum,
                          tensor((count - half) * part, g.accumulator), half * rows, cols,
                          count == split ? fmt::format(" wait=s{}:{}", kPartsLoaded, split) : "");
      count -= half;
    }
    text += fmt::format("    vcast dst={} src={} rows={} cols={} signal=s{}\n", tensor(out, g.c.type), sum, rows, cols,
                        kSumCast);
    text += fmt::format("    dma dst=hbm:{:#x} src=sram:{:#x} rows={} row_bytes={} dst_stride={} queue={} wait=s{} signal=s{}\n",
                        g.c.address + i0 * c_row + row_bytes(g.c.type, j0), out, rows, row_bytes(g.c.type, cols), c_row,
                        kStoreQueue, kSumCast, kSumStored);
  }
  return text;
}

// The program text of one tiling (docs/isa.md, "Compiled kernels"); sets
// the plan's cores.
std::string gemm_text(const GemmKernel& g, const Machine& machine, GemmPlan& plan) {
  const int64_t m = g.a.rows, n = g.b.rows, k = g.a.cols;
  const int64_t tm = plan.tile_m, tn = plan.tile_n, tk = plan.tile_k, split = plan.split_k;
  const int64_t tiles_n = ceil_div(n, tn), slices = ceil_div(k, tk);
  const int stages = static_cast<int>(plan.stages);
  const int accumulators = accumulators_for(stages, slices / split);
  const Layout sram = layout(g, tm, tn, tk, stages, accumulators);
  const int64_t items = plan.tiles * split;
  plan.cores = std::min<int64_t>(machine.cores, items);
  const int64_t cores = plan.cores;

  const int64_t a_row = row_bytes(g.a.type, k), b_row = row_bytes(g.b.type, k), c_row = row_bytes(g.c.type, n);
  const int64_t part_row = row_bytes(g.accumulator, n), part_bytes = m * part_row;
  const int64_t a_scale_row = scale_bytes(g.a.type, 1, k), b_scale_row = scale_bytes(g.b.type, 1, k);
  std::string text = fmt::format("# C[{m}x{n}] = A[{m}x{k}] . B[{n}x{k}]^T: {tiles} tiles of {tm}x{tn}, K in slices "
                                 "of {tk}{split}, {stages} in flight, on {cores} cores\n",
                                 fmt::arg("m", m), fmt::arg("n", n), fmt::arg("k", k), fmt::arg("tiles", plan.tiles),
                                 fmt::arg("tm", tm), fmt::arg("tn", tn), fmt::arg("tk", tk),
                                 fmt::arg("split", split > 1 ? fmt::format(" split in {} parts", split) : ""),
                                 fmt::arg("stages", stages), fmt::arg("cores", cores));
  auto tile_origin = [&](int64_t tile) { return std::pair{tile / tiles_n * tm, tile % tiles_n * tn}; };
  for (int64_t core = 0; core < cores; ++core) {
    text += fmt::format(".core {}\n", core);
    int64_t slice_count = 0;  // on this core, for the buffers' turns
    int64_t item_count = 0;
    for (int64_t item = core; item < items; item += cores, ++item_count) {
      const int64_t tile = item / split, part = item % split;
      const auto [i0, j0] = tile_origin(tile);
      const int64_t rows = std::min(tm, m - i0), cols = std::min(tn, n - j0);
      const int acc = static_cast<int>(item_count % accumulators);
      const int64_t first = part * slices / split, end = (part + 1) * slices / split;
      for (int64_t s = first; s < end; ++s, ++slice_count) {
        const int buf = static_cast<int>(slice_count % stages);
        const int loaded = kLoaded + buf, free = kFree + buf;
        const int64_t k0 = s * tk, width = std::min(tk, k - k0);
        // A buffer is free once its last matmul has run (or, for a tile's
        // last slice, once the tile has been stored: see below).
        const std::string wait = slice_count >= stages ? fmt::format(" wait=s{}", free) : "";
        text += fmt::format("    dma dst=sram:{:#x} src=hbm:{:#x} rows={} row_bytes={} src_stride={} queue={}{} signal=s{}\n",
                            sram.a[buf], g.a.address + i0 * a_row + row_bytes(g.a.type, k0), rows,
                            row_bytes(g.a.type, width), a_row, kLoadQueue, wait, loaded);
        text += fmt::format("    dma dst=sram:{:#x} src=hbm:{:#x} rows={} row_bytes={} src_stride={} queue={} signal=s{}\n",
                            sram.b[buf], g.b.address + j0 * b_row + row_bytes(g.b.type, k0), cols,
                            row_bytes(g.b.type, width), b_row, kLoadQueue, loaded);
        int loads = 2;
        std::string scales;
        for (const auto& [t, side, at, dst, row, count] :
             {std::tuple{g.a.type, "a", g.a.scales + i0 * a_scale_row, sram.a_scales[buf], a_scale_row, rows},
              std::tuple{g.b.type, "b", g.b.scales + j0 * b_scale_row, sram.b_scales[buf], b_scale_row, cols}}) {
          if (!is_mx(t)) continue;
          text += fmt::format("    dma dst=sram:{:#x} src=hbm:{:#x} rows={} row_bytes={} src_stride={} queue={} signal=s{}\n",
                              dst, at + k0 / kMxBlock, count, ceil_div(width, kMxBlock), row, kLoadQueue,
                              loaded);
          scales += fmt::format(" {}_scales=sram:{:#x}", side, dst);
          ++loads;
        }
        // The last slice of a tile signals the tile done, and the chain
        // (convert ->) store hands the buffer back: one waiter per semaphore.
        const bool last = s == end - 1;
        text += fmt::format("    matmul dst={} a={} b={} m={} n={} k={}{}{} wait=s{}:{} signal=s{}\n",
                            tensor(sram.acc[acc], g.accumulator), tensor(sram.a[buf], g.a.type),
                            tensor(sram.b[buf], g.b.type), rows, cols, width, s > first ? " accumulate=1" : "", scales,
                            loaded, loads, last ? kTileDone : free);
        if (last && split > 1) {  // the part, as accumulated, into the workspace
          text += fmt::format("    dma dst=hbm:{:#x} src=sram:{:#x} rows={} row_bytes={} dst_stride={} queue={} wait=s{} signal=s{}\n",
                              g.workspace + part * part_bytes + i0 * part_row + row_bytes(g.accumulator, j0),
                              sram.acc[acc], rows, row_bytes(g.accumulator, cols), part_row, kStoreQueue, kTileDone,
                              free);
        } else if (last) {
          text += fmt::format("    vcast dst={} src={} rows={} cols={} wait=s{} signal=s{}\n",
                              tensor(sram.out[acc], g.c.type), tensor(sram.acc[acc], g.accumulator), rows, cols,
                              kTileDone, kCast);
          text += fmt::format("    dma dst=hbm:{:#x} src=sram:{:#x} rows={} row_bytes={} dst_stride={} queue={} wait=s{} signal=s{}\n",
                              g.c.address + i0 * c_row + row_bytes(g.c.type, j0), sram.out[acc], rows,
                              row_bytes(g.c.type, cols), c_row, kStoreQueue, kCast, free);
        }
      }
    }
    if (split > 1) text += "    barrier id=0\n" + sum_parts(g, plan, core, machine.sram.base());
    text += "    halt\n";
  }
  return text;
}

}  // namespace

core::Result<Program> compile_gemm(const GemmKernel& g, const Machine& machine, const Timing& timing, GemmPlan* plan,
                                   const GemmChoice& choice) {
  if (core::Diagnostics errors = check_gemm(g); !errors.empty()) return errors;
  if (choice.stages != 0 && (choice.stages < 2 || choice.stages > kMostStages)) {
    return core::bad_input(fmt::format("expected 2 to {} stages, got {}", kMostStages, choice.stages), "stages");
  }
  if (choice.split_k < 0) return core::bad_input(fmt::format("expected a split of 1 or more, got {}", choice.split_k), "split_k");
  for (const auto& [size, key] : {std::pair{choice.tile_m, "tile_m"}, std::pair{choice.tile_n, "tile_n"}}) {
    if (size < 0) return core::bad_input(fmt::format("expected a tile size of 1 or more, got {}", size), key);
  }
  const int64_t m = g.a.rows, n = g.b.rows, k = g.a.cols;

  // Candidate tilings: output tiles of 256 to 32 rows and columns, with 2
  // to kMostStages slices in flight, each with the longest K slice whose
  // buffers fit the scratchpad or half that (in whole MX blocks of 32, so
  // every slice starts on a byte and a scale), and split-K while parts are
  // left for idle cores. Tilings with more than kTilesPerCore tiles a core
  // are left out, but for the one with fewest.
  constexpr int64_t kTilesPerCore = 16;
  auto fits = [&](int64_t tm, int64_t tn, int64_t tk, int stages, int64_t split) {
    const int accumulators = accumulators_for(stages, ceil_div(k, tk) / split);
    return static_cast<double>(layout(g, tm, tn, tk, stages, accumulators).end) <= machine.sram.base();
  };
  std::vector<GemmPlan> candidates;
  auto add = [&](const GemmPlan& c) {
    if (std::find_if(candidates.begin(), candidates.end(), [&](const GemmPlan& o) {
          return o.tile_m == c.tile_m && o.tile_n == c.tile_n && o.tile_k == c.tile_k && o.split_k == c.split_k &&
                 o.stages == c.stages;
        }) == candidates.end()) {
      candidates.push_back(c);
    }
  };
  const std::vector<int64_t> sizes{256, 128, 64, 32};
  for (const int64_t t_m : choice.tile_m != 0 ? std::vector<int64_t>{choice.tile_m} : sizes) {
    for (const int64_t t_n : choice.tile_n != 0 ? std::vector<int64_t>{choice.tile_n} : sizes) {
      const int64_t tm = std::min(m, t_m), tn = std::min(n, t_n);
      const int64_t tiles = ceil_div(m, tm) * ceil_div(n, tn);
      for (int stages = 2; stages <= kMostStages; ++stages) {
        if (choice.stages != 0 && stages != choice.stages) continue;
        int64_t longest = 0;
        for (const int64_t slice : {512, 256, 128, 64, 32}) {
          if (fits(tm, tn, std::min(k, slice), stages, 1)) {
            longest = std::min(k, slice);
            break;
          }
        }
        if (longest == 0) continue;
        const int64_t half = (longest / 2 + 31) / 32 * 32;
        for (const int64_t tk : {longest, half}) {
          if (tk == half && (half >= longest || half < 64)) break;
          const int64_t slices = ceil_div(k, tk);
          for (int64_t split = 1; split == 1 || (tiles * split <= machine.cores && split <= slices); split *= 2) {
            if (split > 1 && split * m * row_bytes(g.accumulator, n) > g.workspace_bytes) break;
            if (!fits(tm, tn, tk, stages, split)) break;
            if (choice.split_k == 0 || split == choice.split_k) add({tm, tn, tk, split, stages, tiles, 0, 0});
          }
        }
      }
    }
  }
  if (candidates.empty()) {
    if (choice.tile_m != 0 || choice.tile_n != 0 || choice.stages != 0 || choice.split_k != 0) {
      return core::bad_input(
          fmt::format("no tiling of this GEMM on {} fits the choice (tiles {}x{}, {} stages, split-K {}; 0: any): a "
                      "split needs as many idle cores and K slices, and larger tiles and more stages more SRAM",
                      machine.chip, choice.tile_m, choice.tile_n, choice.stages, choice.split_k),
          choice.split_k != 0 ? "split_k" : choice.stages != 0 ? "stages" : choice.tile_m != 0 ? "tile_m" : "tile_n");
    }
    return core::bad_input(fmt::format("{}'s {:.0f} bytes of SRAM per core cannot hold the smallest GEMM tiles",
                                       machine.chip, machine.sram.base()),
                           "sram");
  }
  const int64_t fewest = std::min_element(candidates.begin(), candidates.end(), [](const GemmPlan& x, const GemmPlan& y) {
                           return x.tiles < y.tiles;
                         })->tiles;

  // Each candidate is timed. All of them would take too long, so first
  // one per output tiling and split (four stages and the longest slice, or
  // the nearest to that), then every stage count and slice of the best
  // kFinalists of those.
  constexpr size_t kFinalists = 2;
  std::optional<Program> best;
  GemmPlan chosen;
  std::vector<int64_t> cycles(candidates.size(), -1);
  RunOptions timing_only;
  timing_only.compute = false;
  auto time_candidate = [&](size_t i) -> core::Diagnostics {
    GemmPlan& c = candidates[i];
    if (cycles[i] >= 0 || c.tiles > std::max(fewest, kTilesPerCore * machine.cores)) return {};
    auto program = assemble(gemm_text(g, machine, c), "<gemm kernel>", &machine);
    if (!program) return program.errors();
    Hbm scratch;
    auto timed = run(*program, machine, timing, scratch, timing_only);
    if (!timed) return timed.errors();
    c.cycles = cycles[i] = timed->cycles;
    if (!best || c.cycles < chosen.cycles) {  // ties: the one timed first
      best = std::move(*program);
      chosen = c;
    }
    return {};
  };
  auto same_tiling = [](const GemmPlan& x, const GemmPlan& y) {
    return x.tile_m == y.tile_m && x.tile_n == y.tile_n && x.split_k == y.split_k;
  };
  std::vector<size_t> firsts;  // one candidate per output tiling and split
  for (size_t i = 0; i < candidates.size(); ++i) {
    const auto seen = std::find_if(firsts.begin(), firsts.end(),
                                   [&](size_t f) { return same_tiling(candidates[f], candidates[i]); });
    if (seen == firsts.end()) {
      firsts.push_back(i);
    } else if (std::abs(candidates[i].stages - 4) < std::abs(candidates[*seen].stages - 4)) {
      *seen = i;
    }
  }
  for (size_t i : firsts) {
    if (auto errors = time_candidate(i); !errors.empty()) return errors;
  }
  std::vector<size_t> timed;
  for (size_t i : firsts) {
    if (cycles[i] >= 0) timed.push_back(i);
  }
  std::stable_sort(timed.begin(), timed.end(), [&](size_t x, size_t y) { return cycles[x] < cycles[y]; });
  for (size_t finalist = 0; finalist < std::min(timed.size(), kFinalists); ++finalist) {
    for (size_t i = 0; i < candidates.size(); ++i) {
      if (!same_tiling(candidates[i], candidates[timed[finalist]])) continue;
      if (auto errors = time_candidate(i); !errors.empty()) return errors;
    }
  }
  if (plan != nullptr) *plan = chosen;
  return std::move(*best);
}

}  // namespace tfab::vp
