#pragma once
// Power at a workload, and what a power cap does to the clock
// (docs/physical-model.md).
//
// A chip draws a share of its TDP when idle; busy arrays add the node's
// arithmetic energy per MAC times a calibrated overhead (operand delivery,
// clocks, control: fitted on V100 at its TDP). Over its TDP the clock falls
// along the node's voltage/frequency line, where power goes as f x V^2.

#include <algorithm>

#include "tensorfab/config/reader.h"
#include "tensorfab/core/number_format.h"
#include "tensorfab/core/units.h"
#include "tensorfab/hw/chip.h"
#include "tensorfab/tech/process.h"

namespace tfab::cost {

struct PowerCalibration {
  double idle = 0;      // power with nothing running / TDP
  double overhead = 1;  // energy above idle / arithmetic energy, arrays busy
  core::EnergyPerByte link_energy;  // chip-to-chip links, per byte sent
};
[[nodiscard]] PowerCalibration read_power_calibration(config::MapReader r);

// The energy of one operation at clock scale s (<= 1) over its energy at
// the published clock: (V(s) / Vmax)^2, V rising linearly along the node's
// V/f line from its threshold at s = 0.
[[nodiscard]] double relative_energy(double clock_scale, const tech::ProcessNode::VoltageFrequency& vf);

// Power at `demand` (at the published clock), capped at `tdp`: the clock
// scale (<= 1) the cap allows, by the node's V/f line.
[[nodiscard]] double capped_clock_scale(core::Power demand, core::Power tdp,
                                        const tech::ProcessNode::VoltageFrequency& vf);

// A large dense GEMM in `format`, every array busy at the published clock.
struct GemmPower {
  core::NumberFormat format = core::NumberFormat::kBF16;
  core::Power demand;        // at the published clock
  core::Power tdp;
  double clock_scale = 1;    // what the TDP allows, along the V/f line
  core::OpRate peak;         // published
  core::OpRate capped_peak;  // at the capped clock
  [[nodiscard]] double ops_per_joule() const { return capped_peak.base() / std::min(demand, tdp).base(); }
};

// Bad input when the node lacks the MAC energy of `format` or a V/f line,
// or the chip lacks the format.
[[nodiscard]] core::Result<GemmPower> gemm_power(const hw::ChipSpec& chip, const tech::ProcessNode& node,
                                                 const PowerCalibration& calibration,
                                                 core::NumberFormat format = core::NumberFormat::kBF16);

}  // namespace tfab::cost
