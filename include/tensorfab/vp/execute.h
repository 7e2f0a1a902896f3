#pragma once
// Running a program (docs/isa.md, "Execution"). One event-driven executor
// serves both needs: it always keeps time, and it computes values unless
// asked for timing only. Each core's scalar unit steps through its stream
// one instruction a cycle, hands engine instructions to in-order queues,
// and stalls at a full queue or a barrier; engines start an instruction
// when it has been issued, the engine is free and its semaphore holds
// enough. Events are ordered by (cycle, core, engine), so a run is the same
// at any thread count and on every machine.
//
// Values are computed when an instruction starts: a program that orders
// its engines with semaphores sees the same values whatever the timing.

#include <array>
#include <cstdint>
#include <limits>
#include <map>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "tensorfab/core/result.h"
#include "tensorfab/core/units.h"
#include "tensorfab/hw/chip.h"
#include "tensorfab/vp/isa.h"

namespace tfab::vp {

// ---- Timing ---------------------------------------------------------------

// What the timed run takes from the chip file, per core and in cycles of
// the core clock.
struct Timing {
  core::Frequency clock;
  // The tensor engine: a systolic array of rows x cols (weight-stationary,
  // docs/tile-model.md) where the chip file gives one, else a rate.
  int64_t array_rows = 0, array_cols = 0;
  // Multiply-accumulates per cycle by format (core::NumberFormat order); 0
  // where the chip has no rate, which then runs at the BF16 rate.
  std::array<double, 7> macs_per_cycle{};
  double vector_per_cycle = 0;          // elementwise results
  double transcendental_per_cycle = 0;  // exp, rsqrt, reciprocal, SiLU, GELU
  // HBM: channels interleaved every `interleave` bytes, each with its
  // share of the achievable bandwidth, and a load latency.
  int64_t hbm_channels = 1;
  int64_t interleave = 256;
  double channel_bytes_per_cycle = 0;
  int64_t hbm_latency = 0;
  double sram_bytes_per_cycle = 0;  // a core's SRAM port, for copies between scratchpads
  // The on-chip memory the cores share (an L2), which keeps what HBM
  // reads brought in: its capacity, and its bandwidth to all cores (0: not
  // limited).
  int64_t cache_bytes = 0;
  double cache_bytes_per_cycle = 0;
  std::vector<std::string> notes;   // what the chip file leaves out, and what is taken instead
};
[[nodiscard]] core::Result<Timing> timing_for(const hw::ChipSpec& chip);

// ---- Memory ---------------------------------------------------------------

// HBM as the program sees it: sparse, so a 100 GB memory costs only the
// pages a program touches. Bytes never written read as zero.
class Hbm {
 public:
  void read(int64_t address, std::span<uint8_t> out) const;
  void write(int64_t address, std::span<const uint8_t> bytes);

 private:
  static constexpr int64_t kPage = 1 << 16;
  std::map<int64_t, std::unique_ptr<uint8_t[]>> pages_;  // by page number
};

// ---- Running --------------------------------------------------------------

struct RunOptions {
  bool compute = true;  // false: timing only, no values
  bool trace = false;   // keep every engine instruction's start and end
  int64_t instruction_limit = 1'000'000'000;  // a stream that never halts is an error (at most 2^30)
  // Values computed at most for this many operations (MACs, vector
  // elements, bytes moved): a bound for callers that run untrusted programs.
  int64_t work_limit = std::numeric_limits<int64_t>::max();
};

// One engine instruction as it ran, for a trace.
struct TraceEvent {
  int32_t core = 0;
  int32_t lane = 0;  // DMA queues 0-3, then the tensor engine (4) and the vector engine (5)
  int32_t index = 0;  // in its core's stream
  int64_t start = 0, end = 0;  // cycles
};
inline constexpr int kLanes = kDmaQueues + 2;
inline constexpr int kTensorLane = kDmaQueues, kVectorLane = kDmaQueues + 1;

struct CoreStats {
  int core = 0;
  int64_t halted_at = 0;                   // cycle
  std::array<int64_t, kLanes> busy{};      // cycles each lane worked
  std::array<int64_t, kLanes> executed{};  // instructions each lane ran
};

struct RunResult {
  int64_t cycles = 0;  // until the last core halted
  core::Time time;
  int64_t instructions = 0;  // every instruction the scalar units stepped through
  int64_t macs = 0;          // multiply-accumulates of the tensor engines
  int64_t hbm_read = 0, hbm_written = 0;  // bytes
  std::vector<CoreStats> cores;
  std::vector<TraceEvent> trace;  // when asked for, in start order
  std::vector<std::string> notes;
};

// Runs `program` on `machine` against `hbm`, which holds the inputs before
// and the outputs after. Errors (each at its instruction's line): the
// program's own problems (check()), an address register pointing outside a
// memory, a deadlock (engines waiting on semaphores nothing will signal,
// cores at different barriers or at one a halted core will never reach),
// and a stream that passes the instruction limit.
[[nodiscard]] core::Result<RunResult> run(const Program& program, const Machine& machine, const Timing& timing,
                                          Hbm& hbm, const RunOptions& options = {}, const std::string& file = "");

}  // namespace tfab::vp
