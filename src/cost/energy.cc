#include "tensorfab/cost/energy.h"

#include <algorithm>
#include <string>

namespace tfab::cost {

core::Result<EnergyRates> energy_rates(const hw::ChipSpec& chip, const tech::ProcessNode& node,
                                       const std::optional<package::MemoryStackTech>& memory,
                                       const PowerCalibration& calibration, const hw::MultiDieTech& multi_die) {
  core::Diagnostics missing;
  const auto fp32 = node.mac_energy.find(core::NumberFormat::kFP32);
  if (fp32 == node.mac_energy.end()) {
    missing.push_back(core::bad_input(node.id + " gives no fp32 MAC energy, which vector work is costed at",
                                      "energy.mac.fp32"));
  }
  if (!node.vf) missing.push_back(core::bad_input(node.id + " gives no V/f line (vf)", "vf"));
  if (!memory || !memory->energy) {
    missing.push_back(core::bad_input(
        "memory '" + chip.memory.type + "' gives no energy per bit, so its traffic cannot be costed", "energy"));
  }
  if (chip.tdp.base() <= 0) missing.push_back(core::bad_input(chip.id + " gives no TDP", "tdp"));
  if (!missing.empty()) return missing;

  EnergyRates r;
  for (const auto& [format, energy] : node.mac_energy) r.per_mac[format] = energy * calibration.overhead;
  r.per_vector_op = fp32->second / 2 * calibration.overhead;  // an FMA is two operations
  r.memory = *memory->energy;
  // Memory traffic that crosses dies on its way: the bonds once, where
  // stacked dies hold the memory PHYs; a die-to-die link for the share that
  // other dies' stacks hold, with addresses spread over every stack (an
  // assumption: interleaving is what these chips publish, not its ratio).
  if (chip.stacked_dies && chip.stacked_dies->holds_item(hw::kHoldsMemoryPhy) && multi_die.bonding &&
      multi_die.bonding->energy) {
    r.memory += *multi_die.bonding->energy;
  }
  if (chip.die_to_die && chip.dies > 1 && multi_die.die_to_die && multi_die.die_to_die->energy) {
    const double far = static_cast<double>(chip.dies - 1) / static_cast<double>(chip.dies);
    r.memory += *multi_die.die_to_die->energy * far;
  }
  r.link = calibration.link_energy;
  r.idle = chip.tdp * calibration.idle;
  r.tdp = chip.tdp;
  r.vf = *node.vf;
  return r;
}

core::Result<EnergyUse> energy_of(const std::vector<perf::OpCost>& ops, const EnergyRates& rates) {
  EnergyUse use;
  for (const auto& op : ops) {
    const double n = static_cast<double>(op.repeat);
    if (op.work.tensor_ops.base() > 0) {
      const auto mac = rates.per_mac.find(op.format);
      if (mac == rates.per_mac.end()) {
        return core::bad_input("no " + std::string(core::name(op.format)) + " MAC energy for " + op.name,
                               "energy.mac");
      }
      use.tensor += mac->second * (op.work.tensor_ops.base() / 2 * n);
    }
    use.vector += rates.per_vector_op * (op.work.vector_ops.base() * n);
    use.memory += rates.memory * op.work.bytes * n;
    use.link += rates.link * op.link_bytes * n;
    use.idle += rates.idle * op.time * n;
  }
  return use;
}

core::Time total_time(const std::vector<perf::OpCost>& ops) {
  core::Time t;
  for (const auto& op : ops) t += op.time * static_cast<double>(op.repeat);
  return t;
}

core::Time compute_bound_time(const std::vector<perf::OpCost>& ops) {
  core::Time t;
  for (const auto& op : ops) {
    if (op.bound == perf::Bound::kTensor || op.bound == perf::Bound::kVector) {
      t += op.time * static_cast<double>(op.repeat);
    }
  }
  return t;
}

WorkloadPower workload_power(const EnergyUse& energy, core::Time time, core::Time compute_bound,
                             const EnergyRates& rates) {
  WorkloadPower p;
  p.energy = energy;
  p.time = time;
  if (time.base() <= 0) return p;
  p.demand = energy.total() / time;
  p.drawn = std::min(p.demand, rates.tdp);
  // Only the dynamic part answers to the clock; idle power stays.
  const core::Power dynamic = energy.dynamic() / time, budget = rates.tdp - rates.idle;
  p.clock_scale = budget.base() > 0 ? capped_clock_scale(dynamic, budget, rates.vf) : 1;
  const double stretched = compute_bound.base() / p.clock_scale + (time - compute_bound).base();
  p.slowdown = stretched / time.base();
  return p;
}

}  // namespace tfab::cost
