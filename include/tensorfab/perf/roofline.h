#pragma once
// The roofline tier's rates: an operator takes as long as the slowest of its
// tensor work, its vector work, its off-chip traffic and its collectives,
// each at the chip's achievable rate (peak times the measured efficiency).

#include "tensorfab/core/result.h"
#include "tensorfab/hw/chip.h"
#include "tensorfab/perf/op_time.h"
#include "tensorfab/workload/graph.h"

namespace tfab::perf {

// Achievable rates of one chip for one tensor format.
struct Roofline {
  core::OpRate tensor;
  core::OpRate vector;
  core::Bandwidth memory;
  core::Bandwidth link;  // scale-up bandwidth per direction, times its efficiency (zero: no links)

  [[nodiscard]] OpTime time(const workload::Op& op) const;
};

// Fails (bad input) when the chip has no tensor throughput in `format`.
[[nodiscard]] core::Result<Roofline> roofline_for(const hw::ChipSpec& chip, core::NumberFormat format);

// Seconds a ring all-reduce of `payload` bytes per chip spends on the
// links of a group of `group` chips: each chip sends and receives
// 2 (g - 1) / g of the payload. Infinite when the group has no links.
[[nodiscard]] double all_reduce_seconds(core::Bytes payload, int64_t group, core::Bandwidth link);

}  // namespace tfab::perf
