#pragma once
// One GEMM, C = A * B with A of M x K and B of K x N, on one or more
// identical systolic arrays that share a scratchpad-fed memory port: the
// hardware, the problem and a mapping of one onto the other. This is the
// vocabulary shared by the cycle-level simulator (systolic_sim.h), the
// golden reference, and the tile-tier model (tile_model.h) that must agree
// with it. docs/tile-model.md describes both.
//
// Quantities cross this API in units (Time, Bytes, Bandwidth, Frequency);
// inside, everything is counted in whole cycles of the array clock and whole
// bytes, so that the simulator and the model round the same way.

#include <cstdint>
#include <string>
#include <string_view>

#include "tensorfab/core/result.h"
#include "tensorfab/core/units.h"

namespace tfab::mapping {

enum class Dataflow {
  // A block of B (rows of K by cols of N) is held in the PEs; rows of A
  // stream through and partial sums flow down into an accumulator.
  kWeightStationary,
  // Each PE accumulates one element of C (rows of M by cols of N); A enters
  // from the left edge and B from the top edge.
  kOutputStationary,
};
[[nodiscard]] std::string_view name(Dataflow dataflow);

// The order in which output tiles are visited. When K fits in one tile, an
// operand tile shared by consecutive output tiles stays in the scratchpad
// and is not fetched again: the A tile along a row of output tiles, or the B
// tile down a column.
enum class LoopOrder {
  kMOuter,  // row by row: for each M tile, for each N tile
  kNOuter,  // column by column: for each N tile, for each M tile
};
[[nodiscard]] std::string_view name(LoopOrder order);

struct GemmShape {
  int64_t m = 0, n = 0, k = 0;
};

// Bytes per element of each operand as stored in memory and in the
// scratchpad (C is kept in the scratchpad at its output size while it
// accumulates). Fractional sizes (0.5 B for 4-bit formats) are allowed; a
// tile's bytes are rounded up to whole bytes.
struct ElementBytes {
  core::Bytes a = core::Bytes::from_base(2);
  core::Bytes b = core::Bytes::from_base(2);
  core::Bytes c = core::Bytes::from_base(2);
};

struct SystolicHardware {
  int64_t rows = 0;                // PE rows of one array: the K extent (WS) or M extent (OS) of a block
  int64_t cols = 0;                // PE columns: the N extent of a block in both dataflows
  int64_t arrays = 1;              // identical arrays; each has its own scratchpad, all share one port
  core::Frequency clock;           // the arrays' clock; every cycle count is in these cycles
  core::Bytes scratchpad;          // capacity of one array's scratchpad
  core::Bandwidth port_bandwidth;  // of the one memory port, all arrays together
  core::Time port_latency;         // from the end of a read's transfer to its data being usable
};

// A mapping: dataflow, loop order and the scratchpad tile in elements.
// Tiles need not be multiples of the array: a partial block is padded to
// the array's size and the padded PEs idle.
struct Tiling {
  Dataflow dataflow = Dataflow::kWeightStationary;
  LoopOrder order = LoopOrder::kMOuter;
  int64_t tile_m = 0, tile_n = 0, tile_k = 0;

  friend bool operator==(const Tiling&, const Tiling&) = default;
};
[[nodiscard]] std::string describe(const Tiling& tiling);  // "WS m-outer 512x256x1024 (MxNxK)"

// Scratchpad a tiling needs in one array: two buffers (double buffering)
// each for an A tile, a B tile and a C tile.
[[nodiscard]] core::Bytes scratchpad_footprint(const Tiling& tiling, const ElementBytes& bytes);

// The hardware counted in cycles and whole bytes, as both the simulator and
// the model use it.
struct CycleHardware {
  int64_t rows = 0, cols = 0, arrays = 1;
  int64_t scratchpad_bytes = 0;
  double port_bytes_per_cycle = 0;
  int64_t port_latency_cycles = 0;

  // Cycles the port is busy moving `bytes`: whole cycles, rounded up.
  [[nodiscard]] int64_t transfer_cycles(int64_t bytes) const;
};

// Fails (bad input) on a non-positive array size, array count, clock,
// scratchpad or bandwidth, or a negative latency; all problems at once.
[[nodiscard]] core::Result<CycleHardware> in_cycles(const SystolicHardware& hardware);

// Bytes of `elements` elements of `per_element` bytes each, rounded up.
[[nodiscard]] int64_t tile_bytes(int64_t elements, core::Bytes per_element);

// Problems with a GEMM and its element sizes (empty when valid).
[[nodiscard]] core::Diagnostics check_gemm(const GemmShape& shape, const ElementBytes& bytes);

// Problems with a tiling of that GEMM: tile sizes outside [1, dimension],
// or a footprint larger than the scratchpad (empty when valid).
[[nodiscard]] core::Diagnostics check_tiling(const Tiling& tiling, const GemmShape& shape,
                                             const ElementBytes& bytes, const CycleHardware& hardware);

// How one dimension splits into tiles: `count` tiles, all of `tile`
// elements except a last one of `edge` (0 when the tile divides evenly).
struct DimSplit {
  int64_t tile = 0, count = 0, full = 0, edge = 0;

  [[nodiscard]] int64_t size_of(int64_t index) const { return index < full ? tile : edge; }
};
[[nodiscard]] DimSplit split(int64_t extent, int64_t tile);

[[nodiscard]] constexpr int64_t ceil_div(int64_t a, int64_t b) { return (a + b - 1) / b; }

}  // namespace tfab::mapping
