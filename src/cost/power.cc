#include "tensorfab/cost/power.h"

#include <algorithm>
#include <cmath>

namespace tfab::cost {

PowerCalibration read_power_calibration(config::MapReader r) {
  PowerCalibration c;
  c.idle = r.required<double>("idle", "power with nothing running, as a share of the TDP", config::Limits::between(0, 1))
               .value_or(0);
  c.overhead = r.required<double>("overhead", "energy above idle / arithmetic energy with the arrays busy",
                                  config::Limits::between(1, 100))
                   .value_or(1);
  c.link_energy = r.required<core::EnergyPerByte>("link_energy", "energy to send one bit to another chip")
                      .value_or(core::EnergyPerByte{});
  r.finish();
  return c;
}

double relative_energy(double clock_scale, const tech::ProcessNode::VoltageFrequency& vf) {
  const double v = vf.threshold_volts + (vf.max_volts - vf.threshold_volts) * clock_scale;
  return (v / vf.max_volts) * (v / vf.max_volts);
}

double capped_clock_scale(core::Power demand, core::Power tdp, const tech::ProcessNode::VoltageFrequency& vf) {
  if (demand <= tdp) return 1;
  // Power at clock scale s: demand x s x relative_energy(s). It grows with s, so bisect.
  const double ratio = tdp.base() / demand.base();
  double lo = 0, hi = 1;
  for (int i = 0; i < 60; ++i) {
    const double mid = (lo + hi) / 2;
    (mid * relative_energy(mid, vf) > ratio ? hi : lo) = mid;
  }
  return lo;
}

core::Result<GemmPower> gemm_power(const hw::ChipSpec& chip, const tech::ProcessNode& node,
                                   const PowerCalibration& calibration, core::NumberFormat format) {
  auto peak = chip.required_tensor_peak(format);
  if (!peak) return peak.errors();
  core::Diagnostics missing;
  const auto energy = node.mac_energy.find(format);
  if (energy == node.mac_energy.end()) {
    missing.push_back(core::bad_input(
        node.id + " gives no " + std::string(core::name(format)) + " MAC energy, so its power cannot be derived",
        "energy.mac"));
  }
  if (!node.vf) missing.push_back(core::bad_input(node.id + " gives no V/f line (vf)", "vf"));
  if (chip.tdp.base() <= 0) missing.push_back(core::bad_input(chip.id + " gives no TDP", "tdp"));
  if (!missing.empty()) return missing;

  GemmPower g;
  g.format = format;
  g.peak = *peak;
  g.tdp = chip.tdp;
  const double macs_per_s = peak->base() / 2;
  g.demand = chip.tdp * calibration.idle +
             core::Power::from_base(macs_per_s * energy->second.base() * calibration.overhead);
  g.clock_scale = capped_clock_scale(g.demand, g.tdp, *node.vf);
  g.capped_peak = *peak * g.clock_scale;
  return g;
}

}  // namespace tfab::cost
