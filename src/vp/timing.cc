// The timed run's figures, from the chip file: each engine's rate per core
// and the HBM's channels, bandwidth and latency (docs/isa.md, "Timing").

#include <fmt/format.h>

#include <algorithm>
#include <cmath>

#include "tensorfab/vp/execute.h"

namespace tfab::vp {
namespace {

double real(int64_t n) { return static_cast<double>(n); }

// Independent channels per stack, by JEDEC generation: HBM2/HBM2E
// (JESD235B) 8 of 128 bits; HBM3 and HBM3E (JESD238) 16 of 64 bits; HBM4
// (JESD270-4, April 2025) 32. Sources in docs/isa.md, "Timing".
std::optional<int64_t> channels_per_stack(std::string_view type) {
  if (type.starts_with("HBM4")) return 32;
  if (type.starts_with("HBM3")) return 16;
  if (type.starts_with("HBM2")) return 8;
  return std::nullopt;
}

}  // namespace

core::Result<Timing> timing_for(const hw::ChipSpec& chip) {
  auto machine = machine_for(chip);
  if (!machine) return machine.errors();
  const double cores = real(machine->cores);
  Timing t;
  if (chip.tensor.clock) {
    t.clock = *chip.tensor.clock;
  } else if (chip.vector.clock) {
    t.clock = *chip.vector.clock;
  } else {
    t.clock = core::Frequency::from_base(1e9);
    t.notes.push_back("the chip file gives no clock: cycles are counted at 1 GHz");
  }
  const double hz = t.clock.base();

  const hw::TensorEngine& tensor = chip.tensor;
  // One systolic array per core runs as an array; several, or none
  // published, as a rate.
  if (tensor.array_rows && tensor.array_cols && tensor.units && *tensor.units == machine->cores) {
    t.array_rows = *tensor.array_rows;
    t.array_cols = *tensor.array_cols;
  }
  for (const core::NumberFormat f : core::kAllNumberFormats) {
    if (const auto peak = chip.tensor_peak_for(f)) {
      t.macs_per_cycle[static_cast<size_t>(f)] = peak->base() / 2 / cores / hz;
    }
  }
  if (t.macs_per_cycle[static_cast<size_t>(core::NumberFormat::kBF16)] <= 0) {
    return core::bad_input(fmt::format("chip '{}' has no BF16 tensor rate, which the prototype's tensor engine "
                                       "falls back to",
                                       chip.id),
                           "tensor.dense.bf16");
  }
  t.vector_per_cycle = std::max(chip.vector.fp32_peak.base() / 2 / cores / hz, 1.0);  // an FMA counts two
  if (chip.vector.transcendental) {
    t.transcendental_per_cycle = std::max(chip.vector.transcendental->base() / cores / hz, 1e-3);
  } else {
    t.transcendental_per_cycle = t.vector_per_cycle;
    t.notes.push_back("the chip file gives no transcendental rate: exp and rsqrt issue at the vector rate");
  }

  const hw::MemorySpec& memory = chip.memory;
  if (const auto per_stack = channels_per_stack(memory.type)) {
    t.hbm_channels = *per_stack * memory.stacks;
  } else {
    t.hbm_channels = memory.stacks;
    t.notes.push_back(fmt::format("{} has no channel count on record: one channel per device", memory.type));
  }
  const double achievable = memory.bandwidth().base() * chip.efficiency.memory;
  t.channel_bytes_per_cycle = achievable / real(t.hbm_channels) / hz;
  if (memory.latency) {
    t.hbm_latency = std::llround(std::min(memory.latency->base() * hz, 0x1p32));  // as long as any instruction may take
  } else {
    t.notes.push_back("the chip file gives no memory latency: HBM loads take no latency");
  }
  const hw::SramLevel* per_core = chip.per_core_sram();
  if (per_core != nullptr && per_core->bandwidth) {
    t.sram_bytes_per_cycle = per_core->bandwidth->base() / real(per_core->instances) / hz;
  } else {
    // A scratchpad feeds its vector engine at least an FP32 operand a lane
    // each cycle: the least its port can be.
    t.sram_bytes_per_cycle = 4 * t.vector_per_cycle;
    t.notes.push_back(fmt::format("the chip file gives no bandwidth for its per-core SRAM: copies between scratchpads "
                                  "move {:.0f} bytes a cycle, an FP32 word for each vector lane",
                                  t.sram_bytes_per_cycle));
  }
  // The levels the cores share are the cache. Its bandwidth is limited
  // only where every level gives one.
  bool limited = true;
  double cache_bandwidth = 0;
  for (const hw::SramLevel& level : chip.shared_sram()) {
    t.cache_bytes += static_cast<int64_t>(level.total().base());
    limited = limited && level.bandwidth.has_value();
    if (level.bandwidth) cache_bandwidth += level.bandwidth->base();
  }
  if (t.cache_bytes > 0) {
    if (limited) {
      t.cache_bytes_per_cycle = cache_bandwidth / hz;
    } else {
      t.notes.push_back("the chip file gives no bandwidth for its shared SRAM: reads it holds take one cycle");
    }
  }
  return t;
}

}  // namespace tfab::vp
