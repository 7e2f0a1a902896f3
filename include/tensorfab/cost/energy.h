#pragma once
// Energy and power of a workload on one chip (docs/physical-model.md,
// "Power at a workload"). Each op spends
//   its tensor MACs at the node's MAC energy in the op's format,
//   its vector work at half the node's FP32 MAC energy per operation,
// both times the calibrated overhead (cost/power.h); its off-chip bytes at
// the memory's energy per bit, plus the die crossings on their way; the
// bytes it sends to other chips at the link energy per bit. The chip's idle
// power runs all the while. When the power this asks for exceeds the TDP,
// the clock falls along the node's V/f line and the ops bound by the arrays
// slow with it.

#include <map>
#include <optional>
#include <vector>

#include "tensorfab/core/number_format.h"
#include "tensorfab/core/result.h"
#include "tensorfab/core/units.h"
#include "tensorfab/cost/power.h"
#include "tensorfab/hw/area.h"
#include "tensorfab/hw/chip.h"
#include "tensorfab/package/package.h"
#include "tensorfab/perf/tier.h"
#include "tensorfab/tech/process.h"

namespace tfab::cost {

// What one chip spends per unit of work.
struct EnergyRates {
  std::map<core::NumberFormat, core::Energy> per_mac;  // overhead included
  core::Energy per_vector_op;                          // overhead included
  core::EnergyPerByte memory;                          // off-chip memory
  core::EnergyPerByte link;                            // to another chip
  core::Power idle;
  core::Power tdp;
  tech::ProcessNode::VoltageFrequency vf;
};

// Bad input, naming each missing figure: the node's MAC energies or V/f
// line, the memory's energy per bit, the chip's TDP.
[[nodiscard]] core::Result<EnergyRates> energy_rates(const hw::ChipSpec& chip, const tech::ProcessNode& node,
                                                     const std::optional<package::MemoryStackTech>& memory,
                                                     const PowerCalibration& calibration,
                                                     const hw::MultiDieTech& multi_die = {});

struct EnergyUse {
  core::Energy tensor, vector, memory, link, idle;
  [[nodiscard]] core::Energy dynamic() const { return tensor + vector + memory + link; }
  [[nodiscard]] core::Energy total() const { return dynamic() + idle; }
  EnergyUse operator+(const EnergyUse& o) const {
    return {tensor + o.tensor, vector + o.vector, memory + o.memory, link + o.link, idle + o.idle};
  }
  EnergyUse operator*(double k) const { return {tensor * k, vector * k, memory * k, link * k, idle * k}; }
};

// The ops as costed (repeats included), over their time. Bad input when an
// op's format has no MAC energy.
[[nodiscard]] core::Result<EnergyUse> energy_of(const std::vector<perf::OpCost>& ops, const EnergyRates& rates);

// Power over a stretch of work: the energy it uses over the time it takes
// at the published clock, and what the TDP allows.
struct WorkloadPower {
  EnergyUse energy;
  core::Time time;          // at the published clock
  core::Power demand;       // energy / time
  core::Power drawn;        // at most the TDP
  double clock_scale = 1;   // what the TDP allows, along the V/f line
  double slowdown = 1;      // time at the capped clock / time
};

// The lowest clock the cap drives a chip to, as a share of the published
// one: below it the chip would rather exceed its TDP (or stall on memory).
inline constexpr double kLowestClockScale = 0.1;

// `compute_bound` is the part of `time` bound by the arrays or vector
// units, which stretches as the clock falls; the memory and link energy
// does not follow the clock.
[[nodiscard]] WorkloadPower workload_power(const EnergyUse& energy, core::Time time, core::Time compute_bound,
                                           const EnergyRates& rates);

// The part of the ops' time (repeats included) bound by compute.
[[nodiscard]] core::Time compute_bound_time(const std::vector<perf::OpCost>& ops);
[[nodiscard]] core::Time total_time(const std::vector<perf::OpCost>& ops);

}  // namespace tfab::cost
