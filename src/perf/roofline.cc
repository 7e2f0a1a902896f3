#include "tensorfab/perf/roofline.h"

#include <fmt/format.h>

#include <limits>

namespace tfab::perf {

double all_reduce_seconds(core::Bytes payload, int64_t group, core::Bandwidth link) {
  if (group <= 1 || payload.base() <= 0) return 0;
  if (link.base() <= 0) return std::numeric_limits<double>::infinity();
  const auto g = static_cast<double>(group);
  return payload.base() * 2 * (g - 1) / g / link.base();
}

OpTime Roofline::time(const workload::Op& op) const {
  OpTime t;
  auto line = [](double fixed, double per_token, double rate) { return Line{fixed / rate, per_token / rate}; };
  t[Bound::kTensor] = line(op.fixed.tensor_ops.base(), op.per_context_token.tensor_ops.base(), tensor.base());
  t[Bound::kVector] = line(op.fixed.vector_ops.base(), op.per_context_token.vector_ops.base(), vector.base());
  t[Bound::kMemory] = line(op.fixed.bytes.base(), op.per_context_token.bytes.base(), memory.base());
  t[Bound::kLink].fixed = all_reduce_seconds(op.payload, op.group, link);
  return t;
}

core::Result<Roofline> roofline_for(const hw::ChipSpec& chip, core::NumberFormat format) {
  auto peak = chip.required_tensor_peak(format);
  if (!peak) return peak.errors();
  return Roofline{*peak * chip.efficiency.tensor_for(format), chip.vector.fp32_peak,
                  chip.memory.bandwidth() * chip.efficiency.memory,
                  chip.chip_to_chip() / 2 * chip.efficiency.link};
}

}  // namespace tfab::perf
