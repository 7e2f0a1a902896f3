#pragma once
// The tile tier for one GEMM on `arrays` identical systolic arrays sharing a
// memory port: the same hardware as the cycle simulator (systolic_sim.h),
// predicted in closed form. For a tiling it counts the tile steps by size
// class (full or edge tile in each of M, N, K), and for each class the
// compute of a step (blocks, fill and drain, padding to the array), the port
// time of its reads and write-back, and how the two overlap under double
// buffering; then adds the prologue (first reads and their latency), the
// epilogue (last write-back) and wave quantisation across arrays. The
// formulas are in docs/tile-model.md. Cost: O(1) per tiling, no stepping.
//
// `choose_tiling` searches a pruned set of tilings that fit the scratchpad
// with double buffering, both dataflows and both loop orders, and keeps the
// fastest by this model.

#include <cstdint>

#include "tensorfab/core/result.h"
#include "tensorfab/mapping/systolic.h"

namespace tfab::mapping {

// What sets the pace of the steady state.
enum class Limiter {
  kCompute,  // the arrays: the port and its latency are hidden
  kPort,     // the port's bandwidth
  kLatency,  // double buffering cannot hide the read latency (plus the weight load)
};
[[nodiscard]] std::string_view name(Limiter limiter);

struct TileEstimate {
  Tiling tiling;
  int64_t total_cycles = 0;
  // The busiest array's blocks with fill, drain and padding; no stalls or weight loads.
  int64_t compute_cycles = 0;
  int64_t memory_cycles = 0;    // port transfer cycles, reads and write-backs
  int64_t prologue_cycles = 0;  // until the last of the busiest arrays can start its first step
  Limiter limiter = Limiter::kCompute;
  core::Time time;  // total cycles at the clock
  core::Bytes bytes_read;
  core::Bytes bytes_written;
  double mac_utilisation = 0;  // M*N*K / (arrays * rows * cols * total cycles)
};

// The estimate for one given tiling. Fails (bad input) on invalid hardware,
// GEMM or tiling (tile outside the GEMM, or not fitting the scratchpad).
[[nodiscard]] core::Result<TileEstimate> estimate_gemm(const SystolicHardware& hardware,
                                                       const GemmShape& shape, const ElementBytes& bytes,
                                                       const Tiling& tiling);

struct TilingSearch {
  bool weight_stationary = true;  // consider WS tilings
  bool output_stationary = true;  // consider OS tilings
};

// The fastest tiling by the model and its estimate; ties go to the first
// candidate in a fixed order, so the choice is deterministic. Fails (bad
// input) on invalid inputs, or when no tiling fits the scratchpad.
[[nodiscard]] core::Result<TileEstimate> choose_tiling(const SystolicHardware& hardware,
                                                       const GemmShape& shape, const ElementBytes& bytes,
                                                       const TilingSearch& search = {});

}  // namespace tfab::mapping
