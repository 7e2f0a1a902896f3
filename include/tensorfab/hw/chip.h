#pragma once
// ChipSpec: what one accelerator chip (one package, as sold) offers to the
// performance models. Read from a chip file, validated, then immutable.
//
// First cut: peak throughputs per number format, not yet the arrays, cores
// and memories they come from (that is the [chips] issue).

#include <map>
#include <optional>
#include <string>
#include <vector>

#include "tensorfab/config/load.h"
#include "tensorfab/core/number_format.h"
#include "tensorfab/core/units.h"

namespace tfab::hw {

struct MemorySpec {
  std::string type;  // "HBM3", "HBM4"
  int stacks = 0;
  core::Bandwidth bandwidth_per_stack;
  core::Bytes capacity_per_stack;

  [[nodiscard]] core::Bandwidth bandwidth() const { return bandwidth_per_stack * stacks; }
  [[nodiscard]] core::Bytes capacity() const { return capacity_per_stack * stacks; }
};

// Achievable fractions of peak, measured with microbenchmarks (never with
// the end-to-end results used for validation).
struct Efficiency {
  double tensor = 1.0;  // large dense GEMM throughput / peak
  double memory = 1.0;  // streaming bandwidth / peak
};

struct ChipSpec {
  std::string id;    // "h100-sxm"
  std::string name;  // "NVIDIA H100 SXM5 80GB"
  std::string vendor;
  std::string process_node;  // "tsmc-4n", "samsung-sf2"
  std::string package;       // "cowos-s", "interposer-2.5d"
  std::map<core::NumberFormat, core::OpRate> tensor_peak;  // dense, per format
  core::OpRate vector_peak;  // FP32 SIMD throughput outside the tensor units
  core::Bytes sram;          // on-chip SRAM, all levels together
  MemorySpec memory;
  core::Bandwidth chip_to_chip;  // scale-up link bandwidth, both directions
  core::Power tdp;
  Efficiency efficiency;

  // Peak dense throughput in `format`, or nothing if the chip has no tensor
  // support for it.
  [[nodiscard]] std::optional<core::OpRate> tensor_peak_for(core::NumberFormat format) const;
};

// Validates a chip document (presets already merged) into a spec; `id` is
// the id the chip was asked for by. All problems are reported together.
[[nodiscard]] core::Result<ChipSpec> read_chip(const config::Node& doc, const std::string& id);

// Finds (by id or path), loads, resolves presets, applies `--set` overrides
// and validates a chip.
[[nodiscard]] core::Result<ChipSpec> load_chip(const config::Catalog& catalog, std::string_view id_or_path,
                                               const config::Overrides& overrides = {});

}  // namespace tfab::hw
