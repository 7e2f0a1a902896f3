#pragma once
// The compiler: operators to programs tiled for a chip's cores and
// scratchpads (docs/isa.md, "Compiled kernels"). Each kernel reads its
// operands from HBM and writes its result there; the caller lays them out.

#include <cstdint>
#include <string>

#include "tensorfab/core/result.h"
#include "tensorfab/vp/execute.h"
#include "tensorfab/vp/isa.h"

namespace tfab::vp {

// A row-major tensor in HBM, rows packed one after another; an MX tensor's
// scales (one byte per 32 elements of a row) at `scales`.
struct HbmTensor {
  int64_t address = 0;
  DataType type = DataType::kBf16;
  int64_t rows = 0, cols = 0;
  int64_t scales = 0;
};

// C = A . B^T: A is m x k, B is n x k (a linear layer's weights), C is m x n.
// `workspace` is HBM the kernel may use for split-K partial sums (none: no
// split-K).
struct GemmKernel {
  HbmTensor a, b, c;
  DataType accumulator = DataType::kFp32;
  int64_t workspace = 0, workspace_bytes = 0;
};

// How a GEMM was tiled: output tiles of tile_m x tile_n, K in slices of
// tile_k, each tile's K range split in `split_k` parts, `stages` slices in
// flight on each core.
struct GemmPlan {
  int64_t tile_m = 0, tile_n = 0, tile_k = 0, split_k = 1, stages = 2;
  int64_t tiles = 0, cores = 0;
  int64_t cycles = 0;  // of the timed run that chose it
};

// What a caller fixes of the tiling (kernel writers trying one, tests
// covering one); zero leaves it to the timed search.
struct GemmChoice {
  int64_t tile_m = 0, tile_n = 0;  // an output tile's rows and columns
  int64_t stages = 0;              // 2 to 8
  int64_t split_k = 0;             // 1, 2, 4, ...
};

// Output tiles (or, with split-K, parts of their K range) go to the cores in
// turn. On each core, K slices of A and B stream through 2 to 8 buffers
// (two DMA queues, so loads overlap the tensor engine and one another's
// latency), accumulate into one of a few accumulators, and each finished
// tile is converted to C's type and stored while the next one runs. With
// split-K the parts are stored in the accumulator's type, and after a
// barrier every core sums a block of C, its parts folded in halves. Part p
// of S slices takes slices [p·S/split, (p+1)·S/split).
//
// The plan is chosen by timing: candidate tilings run on the timed
// executor (timing only), in two rounds (docs/isa.md), and the fastest
// wins. Fails (bad input) on shapes that do not match, types the kernel
// does not take, a scratchpad too small for the smallest tiles, or a
// choice no tiling can meet.
[[nodiscard]] core::Result<Program> compile_gemm(const GemmKernel& gemm, const Machine& machine, const Timing& timing,
                                                 GemmPlan* plan = nullptr, const GemmChoice& choice = {});

}  // namespace tfab::vp
