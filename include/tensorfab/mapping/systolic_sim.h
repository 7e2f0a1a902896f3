#pragma once
// The golden reference for the tile tier: an event-driven, cycle-counted
// simulation of one GEMM on `arrays` identical systolic arrays that share
// one memory port. Deterministic: events are ordered by (cycle, kind,
// insertion), so a run gives the same cycles on every machine.
//
// Granularity: one event per port transfer (start, end, data arrival) and
// per tile step (start, end). Within a tile step the array is stepped block
// by block (one block = one array-sized piece of the tile), each block's
// timing taken from the wavefront schedule:
//
//   weight-stationary, block of rows x cols weights, tm rows of A:
//     the block's weights shift into shadow registers in `rows` cycles,
//     which may start once the previous block has started streaming
//     (double-buffered weight registers); row i of A enters PE row r at
//     cycle s+i+r and reaches column c at s+i+r+c, so a block streams for
//     tm cycles, and the next block may follow right behind it (the switch
//     to its weights travels with the wavefront). After the step's last
//     block, the last partial sum leaves the bottom row rows+cols-2 cycles
//     after the last row of A entered and takes one more cycle into the
//     accumulator: a drain of rows + cols - 1.
//   output-stationary, block of rows x cols outputs, tk deep:
//     PE (r, c) performs its last MAC at cycle s + (tk-1) + r + c, so a
//     block takes tk + rows + cols - 2 cycles; blocks run one after the
//     other, each finished block's results shifting out of double-buffered
//     accumulators while the next block computes.
//
// Scratchpad and port: each array has two buffers per operand. A tile
// step's A and B tiles are requested together, in step order, as soon as
// the buffers they go into are free (a buffer frees when the last step that
// reads it ends), so the next step's operands are fetched while the current
// step computes. An operand tile already in the scratchpad is not fetched
// again. The port serves one request at a time, first come first served,
// reads before writes issued at the same moment; a transfer of b bytes
// holds it ceil(b / bytes per cycle) cycles and read data is usable
// `latency` cycles after its transfer ends (latency overlaps later
// transfers). A finished output tile is written back through the same port
// (posted: done when its transfer ends); its C buffer frees then. Output
// tiles are dealt to the arrays round-robin.

#include <cstdint>

#include "tensorfab/core/result.h"
#include "tensorfab/mapping/systolic.h"

namespace tfab::mapping {

struct SimResult {
  int64_t total_cycles = 0;         // first request to last write-back
  int64_t compute_busy_cycles = 0;  // busiest array: cycles loading weights, streaming or draining
  int64_t memory_busy_cycles = 0;   // cycles the port was transferring
  int64_t tile_steps = 0;           // (M tile, N tile, K tile) steps over all arrays
  core::Time time;                  // total cycles at the clock
  core::Bytes bytes_read;           // operand tiles fetched
  core::Bytes bytes_written;        // output tiles written back
  double mac_utilisation = 0;       // M*N*K / (arrays * rows * cols * total cycles)
};

// Fails (bad input) on invalid hardware, GEMM or tiling, the reasons listed.
[[nodiscard]] core::Result<SimResult> simulate_gemm(const SystolicHardware& hardware, const GemmShape& shape,
                                                    const ElementBytes& bytes, const Tiling& tiling);

}  // namespace tfab::mapping
