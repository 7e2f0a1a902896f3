#pragma once
// The tile tier's view of a chip: workers that each compute one output tile
// at a time (GPU SMs, or systolic arrays where the array is public), the
// on-chip memory that stages their tiles and blocks the off-chip traffic,
// and the achievable off-chip bandwidth. A GEMM is mapped by trying a
// pruned set of tile sizes and split-K factors; each candidate is costed
// in closed form (docs/performance-model.md):
//
//   compute  = waves x time of one tile, waves = ceil(tiles / workers): the
//              tile padded to the instruction (GPU) or array (systolic)
//              granularity, fill and drain of the array per tile;
//   memory   = off-chip traffic / achievable bandwidth, the traffic of a
//              GEMM blocked to the on-chip memory (operands re-read once per
//              block) plus split-K partial sums;
//   time     = max(compute + prologue, memory + epilogue), the pipeline's
//              ends: compute waits for the first operand slabs of every
//              busy worker, and the last slab is worked on after it lands;
//              + the memory latency twice: the first reads land one
//              latency after they are asked for, and the last writes one
//              latency after they are sent (twice more with split-K, whose
//              partial sums are written and read back).
//
// The peak is derated by `sustain` so that an 8192^3 GEMM reproduces the
// chip's measured large-GEMM efficiency: the tile model then accounts for
// what differs between that GEMM and the one at hand, never for what they
// share (clocks under load, issue overheads).

#include <cstdint>
#include <string>

#include "tensorfab/core/number_format.h"
#include "tensorfab/core/result.h"
#include "tensorfab/hw/chip.h"
#include "tensorfab/mapping/systolic.h"

namespace tfab::perf {

// Among mappings within this fraction of the fastest, the one with fewer
// (larger) tiles wins: it moves fewer operand bytes on chip, which the
// model does not charge for. So more on-chip memory or compute, which
// admits larger tiles, can cost up to this much time.
inline constexpr double kFewerTilesPreference = 0.01;

struct TileMachine {
  int64_t workers = 1;           // units that each run one output tile at a time
  core::OpRate worker_rate;      // sustained tensor rate of one worker
  int64_t array_rows = 0;        // a worker's systolic array, when public (0: a GPU-like worker)
  int64_t array_cols = 0;
  core::Frequency clock;         // of the arrays, for fill and drain
  core::Bytes worker_memory;     // on-chip memory staging one worker's tiles
  core::Bytes reuse_memory;      // all on-chip memory, for blocking off-chip traffic
  core::Bandwidth memory;        // achievable off-chip bandwidth
  core::Time latency;            // of an off-chip load, where the chip file gives it (zero otherwise)
  double sustain = 1;            // sustained / peak tensor rate

  [[nodiscard]] bool systolic() const { return array_rows > 0; }
  [[nodiscard]] core::OpRate tensor_rate() const { return worker_rate * static_cast<double>(workers); }
};

// Fails (bad input) when the chip has no tensor throughput in `format`.
[[nodiscard]] core::Result<TileMachine> tile_machine(const hw::ChipSpec& chip, core::NumberFormat format);

struct GemmMapping {
  int64_t tile_m = 0, tile_n = 0, tile_k = 0;
  int64_t split_k = 1;
  int64_t tiles = 0;  // output tiles x split-K x groups
  int64_t waves = 0;
  core::Time compute, memory;
  // The pipeline's ends: compute waits for the first K slabs to load, and
  // the last slab is worked on after it lands.
  core::Time prologue, epilogue;
  core::Time latency;  // the memory latency nothing overlaps
  core::Bytes traffic;

  [[nodiscard]] core::Time time() const { return std::max(compute + prologue, memory + epilogue) + latency; }
  [[nodiscard]] std::string describe() const;  // "tile 128x256x64, split-K 2, 3 waves"
};

// The fastest mapping of `groups` independent GEMMs of one shape. Ties go
// to the first candidate in a fixed order, so the choice is deterministic.
[[nodiscard]] GemmMapping map_gemm(const TileMachine& machine, const mapping::GemmShape& shape,
                                   const mapping::ElementBytes& bytes, int64_t groups = 1);

}  // namespace tfab::perf
