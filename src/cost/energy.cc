#include "tensorfab/cost/energy.h"

#include <algorithm>
#include <string>

namespace tfab::cost {

namespace {

// A chip measured on its own replaces the derived figures. A GEMM held at
// the TDP ran at a clock below the published one: its energy per MAC above
// idle is brought back to the published clock along the V/f line. Formats
// and vector work not measured keep the node's figures, scaled by how far
// the measured formats sit from theirs. The energy of a streaming copy
// above idle, per byte, stands for all off-chip traffic and its way
// through the chip.
void use_measured(const hw::MeasuredPower& m, const hw::ChipSpec& chip, EnergyRates& r) {
  r.idle = m.idle;
  double ratio_sum = 0;
  int ratios = 0;
  for (const auto& [format, gemm] : m.gemm) {
    const double clock_scale = chip.tensor.clock ? std::min(1.0, gemm.clock / *chip.tensor.clock) : 1.0;
    const double per_mac = (gemm.power - m.idle).base() / (gemm.rate.base() / 2) / relative_energy(clock_scale, r.vf);
    const core::Energy measured = core::Energy::from_base(per_mac);
    if (auto derived = r.per_mac.find(format); derived != r.per_mac.end()) {
      ratio_sum += measured / derived->second;
      ++ratios;
    }
    r.per_mac[format] = measured;
  }
  if (ratios > 0) {
    const double ratio = ratio_sum / ratios;
    for (auto& [format, energy] : r.per_mac) {
      if (!m.gemm.contains(format)) energy = energy * ratio;
    }
    r.per_vector_op = r.per_vector_op * ratio;
  }
  r.memory = core::EnergyPerByte::from_base((m.stream_power - m.idle).base() / m.stream_bandwidth.base());
}

}  // namespace

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
  if (chip.measured_power) use_measured(*chip.measured_power, chip, r);
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
  const core::Power budget = rates.tdp - rates.idle;
  if (p.demand <= rates.tdp || budget.base() <= 0) return p;
  // At clock scale s the arithmetic costs relative_energy(s) of its energy
  // and the compute-bound time stretches by 1/s; memory and link energy and
  // the other time stay. The power grows with s: bisect for the highest s
  // that fits the budget above idle.
  const double clocked = (energy.tensor + energy.vector).base(), fixed = (energy.memory + energy.link).base();
  const double c = compute_bound.base(), rest = (time - compute_bound).base();
  auto power_at = [&](double s) { return (clocked * relative_energy(s, rates.vf) + fixed) / (c / s + rest); };
  double lo = kLowestClockScale, hi = 1;
  for (int i = 0; i < 60; ++i) {
    const double mid = (lo + hi) / 2;
    (power_at(mid) > budget.base() ? hi : lo) = mid;
  }
  p.clock_scale = lo;
  p.slowdown = (c / lo + rest) / time.base();
  return p;
}

}  // namespace tfab::cost
