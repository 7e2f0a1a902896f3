// The compiler writes assembly text and assembles it: the program it makes
// is checked like any other, and `tensorfab vp compile` prints the text.

#include "tensorfab/vp/compile.h"

#include <fmt/format.h>

#include <algorithm>
#include <array>

#include "tensorfab/vp/tensor.h"

namespace tfab::vp {
namespace {

bool is_float(DataType t) { return !is_mx(t) && !is_int(t); }

// Semaphores of the GEMM kernel (one set per core).
constexpr int kLoaded[2] = {0, 1};  // both slices of a buffer have arrived
constexpr int kFree[2] = {2, 3};    // a buffer may be overwritten
constexpr int kTileDone = 4;        // a tile's last matmul has finished
constexpr int kCast = 5;            // a tile has been converted to C's type
constexpr int kStoreQueue = 2;

// Scratchpad offsets of one core's buffers, two of each.
struct Layout {
  std::array<int64_t, 2> a{}, b{}, a_scales{}, b_scales{}, acc{}, out{};
  int64_t end = 0;
};

Layout layout(const GemmKernel& g, int64_t tm, int64_t tn, int64_t tk) {
  Layout l;
  int64_t at = 0;
  auto take = [&](int64_t bytes) {
    const int64_t start = at;
    at += (bytes + 63) / 64 * 64;  // 64-byte aligned
    return start;
  };
  for (int i = 0; i < 2; ++i) {
    l.a[i] = take(tm * row_bytes(g.a.type, tk));
    l.b[i] = take(tn * row_bytes(g.b.type, tk));
    l.a_scales[i] = take(scale_bytes(g.a.type, tm, tk));
    l.b_scales[i] = take(scale_bytes(g.b.type, tn, tk));
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

}  // namespace

core::Result<Program> compile_gemm(const GemmKernel& g, const Machine& machine, GemmPlan* plan) {
  if (core::Diagnostics errors = check_gemm(g); !errors.empty()) return errors;
  const int64_t m = g.a.rows, n = g.b.rows, k = g.a.cols;

  // The largest tiles whose buffers fit the scratchpad and still give every
  // core a tile (or the smallest that fit, for a small GEMM); K slices in
  // whole MX blocks (32), so every slice starts on a byte and a scale.
  int64_t tm = 0, tn = 0, tk = 0;
  for (const int64_t t : {256, 128, 64, 32}) {
    for (const int64_t slice : {512, 256, 128, 64, 32}) {
      const int64_t tile_m = std::min(m, t), tile_n = std::min(n, t), tile_k = std::min(k, slice);
      if (static_cast<double>(layout(g, tile_m, tile_n, tile_k).end) > machine.sram.base()) continue;
      tm = tile_m, tn = tile_n, tk = tile_k;
      break;
    }
    const int64_t tiles = ((m + tm - 1) / std::max<int64_t>(tm, 1)) * ((n + tn - 1) / std::max<int64_t>(tn, 1));
    if (tm > 0 && tiles >= machine.cores) break;
  }
  if (tm == 0) {
    return core::bad_input(fmt::format("{}'s {:.0f} bytes of SRAM per core cannot hold the smallest GEMM tiles",
                                       machine.chip, machine.sram.base()),
                           "sram");
  }
  const Layout sram = layout(g, tm, tn, tk);
  const int64_t tiles_m = (m + tm - 1) / tm, tiles_n = (n + tn - 1) / tn, slices = (k + tk - 1) / tk;
  const int64_t tiles = tiles_m * tiles_n;
  const int64_t cores = std::min<int64_t>(machine.cores, tiles);
  if (plan != nullptr) *plan = {tm, tn, tk, tiles, cores};

  const int64_t a_row = row_bytes(g.a.type, k), b_row = row_bytes(g.b.type, k), c_row = row_bytes(g.c.type, n);
  const int64_t a_scale_row = scale_bytes(g.a.type, 1, k), b_scale_row = scale_bytes(g.b.type, 1, k);
  std::string text = fmt::format("# C[{m}x{n}] = A[{m}x{k}] . B[{n}x{k}]^T: {tiles} tiles of {tm}x{tn}, K in slices "
                                 "of {tk}, on {cores} cores\n",
                                 fmt::arg("m", m), fmt::arg("n", n), fmt::arg("k", k), fmt::arg("tiles", tiles),
                                 fmt::arg("tm", tm), fmt::arg("tn", tn), fmt::arg("tk", tk), fmt::arg("cores", cores));
  for (int64_t core = 0; core < cores; ++core) {
    text += fmt::format(".core {}\n", core);
    int64_t slice_count = 0;  // on this core, for the buffers' turns
    int64_t tile_count = 0;
    for (int64_t tile = core; tile < tiles; tile += cores, ++tile_count) {
      const int64_t i0 = tile / tiles_n * tm, j0 = tile % tiles_n * tn;
      const int64_t rows = std::min(tm, m - i0), cols = std::min(tn, n - j0);
      const int acc = static_cast<int>(tile_count % 2);
      for (int64_t s = 0; s < slices; ++s, ++slice_count) {
        const int buf = static_cast<int>(slice_count % 2);
        const int64_t k0 = s * tk, width = std::min(tk, k - k0);
        // A buffer is free once its last matmul has run (or, for a tile's
        // last slice, once the tile has been stored: see below).
        const std::string wait = slice_count >= 2 ? fmt::format(" wait=s{}", kFree[buf]) : "";
        text += fmt::format("    dma dst=sram:{:#x} src=hbm:{:#x} rows={} row_bytes={} src_stride={} queue={}{} signal=s{}\n",
                            sram.a[buf], g.a.address + i0 * a_row + row_bytes(g.a.type, k0), rows,
                            row_bytes(g.a.type, width), a_row, buf, wait, kLoaded[buf]);
        text += fmt::format("    dma dst=sram:{:#x} src=hbm:{:#x} rows={} row_bytes={} src_stride={} queue={} signal=s{}\n",
                            sram.b[buf], g.b.address + j0 * b_row + row_bytes(g.b.type, k0), cols,
                            row_bytes(g.b.type, width), b_row, buf, kLoaded[buf]);
        int loads = 2;
        std::string scales;
        for (const auto& [t, side, at, dst, row, count] :
             {std::tuple{g.a.type, "a", g.a.scales + i0 * a_scale_row, sram.a_scales[buf], a_scale_row, rows},
              std::tuple{g.b.type, "b", g.b.scales + j0 * b_scale_row, sram.b_scales[buf], b_scale_row, cols}}) {
          if (!is_mx(t)) continue;
          text += fmt::format("    dma dst=sram:{:#x} src=hbm:{:#x} rows={} row_bytes={} src_stride={} queue={} signal=s{}\n",
                              dst, at + k0 / kMxBlock, count, (width + kMxBlock - 1) / kMxBlock, row, buf,
                              kLoaded[buf]);
          scales += fmt::format(" {}_scales=sram:{:#x}", side, dst);
          ++loads;
        }
        // The last slice of a tile signals the tile done, and the chain
        // convert -> store hands the buffer back: one waiter per semaphore.
        const bool last = s == slices - 1;
        text += fmt::format("    matmul dst={} a={} b={} m={} n={} k={}{}{} wait=s{}:{} signal=s{}\n",
                            tensor(sram.acc[acc], g.accumulator), tensor(sram.a[buf], g.a.type),
                            tensor(sram.b[buf], g.b.type), rows, cols, width, s > 0 ? " accumulate=1" : "", scales,
                            kLoaded[buf], loads, last ? kTileDone : kFree[buf]);
        if (last) {
          text += fmt::format("    vcast dst={} src={} rows={} cols={} wait=s{} signal=s{}\n",
                              tensor(sram.out[acc], g.c.type), tensor(sram.acc[acc], g.accumulator), rows, cols,
                              kTileDone, kCast);
          text += fmt::format("    dma dst=hbm:{:#x} src=sram:{:#x} rows={} row_bytes={} dst_stride={} queue={} wait=s{} signal=s{}\n",
                              g.c.address + i0 * c_row + row_bytes(g.c.type, j0), sram.out[acc], rows,
                              row_bytes(g.c.type, cols), c_row, kStoreQueue, kCast, kFree[buf]);
        }
      }
    }
    text += "    halt\n";
  }
  return assemble(text, "<gemm kernel>", &machine);
}

}  // namespace tfab::vp
