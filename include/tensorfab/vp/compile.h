#pragma once
// The compiler: operators to programs tiled for a chip's cores and
// scratchpads (docs/isa.md, "Compiled kernels"). Each kernel reads its
// operands from HBM and writes its result there; the caller lays them out.

#include <cstdint>
#include <string>

#include "tensorfab/core/result.h"
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
struct GemmKernel {
  HbmTensor a, b, c;
  DataType accumulator = DataType::kFp32;
};

// How a GEMM was tiled.
struct GemmPlan {
  int64_t tile_m = 0, tile_n = 0, tile_k = 0;
  int64_t tiles = 0, cores = 0;
};

// Output tiles go to the cores in turn. On each core, K slices of A and B
// stream through two buffers (two DMA queues, so loads overlap the tensor
// engine), accumulate into one of two accumulators, and each finished tile
// is converted to C's type and stored while the next one runs. Fails (bad
// input) on shapes that do not match, types the kernel does not take, or
// a scratchpad too small for the smallest tiles.
[[nodiscard]] core::Result<Program> compile_gemm(const GemmKernel& gemm, const Machine& machine,
                                                 GemmPlan* plan = nullptr);

}  // namespace tfab::vp
