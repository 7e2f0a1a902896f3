#pragma once
// ChipSpec: one accelerator package, as sold, described as the performance
// models see it: compute engines, on-chip memories, off-chip memory, links,
// power, and the silicon it is made of. Read from a chip file (see
// docs/chips.md), validated, then immutable.
//
// Published peaks are inputs; where the microarchitecture behind them is
// public (unit count, array shape, clock) it is recorded too, and the
// derived figures (ops per cycle per unit, ridge points) follow from both.
// A figure that is not public is left out, never guessed.

#include <cstdint>
#include <map>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "tensorfab/config/load.h"
#include "tensorfab/core/number_format.h"
#include "tensorfab/core/units.h"

namespace tfab::hw {

// The matrix engines: tensor cores, MXUs, systolic arrays.
struct TensorEngine {
  std::optional<int64_t> units;  // matrix units on the chip
  std::optional<int64_t> physical_units;  // on the die, enabled or not (a harvested die has spares)
  std::optional<int64_t> array_rows, array_cols;  // MAC array of one unit
  std::optional<core::Frequency> clock;  // the clock the published peaks assume
  std::map<core::NumberFormat, core::OpRate> dense_peak;
  double sparsity_speedup = 1;  // 2:4 structured sparsity speed-up; 1 if unsupported
};

// The SIMD engines beside them: CUDA cores, vector units, VPUs.
struct VectorEngine {
  std::optional<int64_t> lanes;
  std::optional<core::Frequency> clock;
  core::OpRate fp32_peak;                        // FP32 throughput (an FMA counts two)
  std::optional<core::OpRate> transcendental;    // exp, rsqrt, ... per second
};

// One level of on-chip SRAM: per-core memories have many instances.
struct SramLevel {
  std::string name;  // "l1_shared", "l2", "sbuf"
  core::Bytes capacity;  // of one instance
  int64_t instances = 1;
  std::optional<core::Bandwidth> bandwidth;  // all instances together

  [[nodiscard]] core::Bytes total() const { return capacity * static_cast<double>(instances); }
};

struct NocSpec {
  std::string topology;  // "crossbar", "mesh", "ring"
  std::optional<core::Bandwidth> bisection_bandwidth;
};

struct MemorySpec {
  std::string type;  // "HBM3", "HBM4"
  int stacks = 0;
  int sites = 0;  // interfaces on the logic dies; a harvested part leaves some unpopulated
  core::Bandwidth bandwidth_per_stack;
  core::Bytes capacity_per_stack;
  std::optional<core::Time> latency;  // of a load, idle (pointer chasing), where measured

  [[nodiscard]] core::Bandwidth bandwidth() const { return bandwidth_per_stack * stacks; }
  [[nodiscard]] core::Bytes capacity() const { return capacity_per_stack * stacks; }
};

// A group of identical links. Bandwidths count both directions, as vendors
// quote them (NVLink 4: 18 links x 50 GB/s = 900 GB/s).
struct LinkSpec {
  std::string name;     // "NVLink 4", "ICI", "PCIe 5.0 x16"
  std::string network;  // what they form: switch, torus-2d, torus-3d, ring, mesh, host
  int64_t count = 1;
  core::Bandwidth bandwidth_per_link;

  [[nodiscard]] core::Bandwidth bandwidth() const { return bandwidth_per_link * static_cast<double>(count); }
};

// The links that join a package's logic dies side by side (B200's NV-HBI,
// UCIe): an interconnect from data/interconnects/ and each die's share.
struct DieToDieSpec {
  std::string interconnect;  // "ucie-advanced"
  core::Bandwidth bandwidth;  // per logic die, both directions
};

// Dies bonded face to face to the logic dies: under them, as MI300X's I/O
// dies, or over them, as an SRAM die. What they hold moves off the logic
// dies, onto a node of its own.
struct StackedDiesSpec {
  int64_t count = 1;
  std::string process_node;  // "tsmc-n6"
  std::string bonding;       // an interconnect placed "stacked": "soic"
  // SRAM levels by name, and "memory_phy" (the HBM interfaces) and "links"
  // (the SerDes of the chip's links).
  std::vector<std::string> holds;
  std::optional<core::Area> die_area;  // all stacked dies together, where published
  // Bandwidth across the bonds, per logic die, both directions.
  std::optional<core::Bandwidth> bandwidth;

  [[nodiscard]] bool holds_item(std::string_view name) const;
};
inline constexpr std::string_view kHoldsMemoryPhy = "memory_phy", kHoldsLinks = "links";

// Achievable fractions of peak, measured with microbenchmarks (never with
// the end-to-end results used for validation).
// Left out of a chip file, a figure takes the ideal value (1, or no
// overhead), and `show chip` says so.
struct Efficiency {
  double tensor = 1.0;  // large dense GEMM throughput / peak
  double memory = 1.0;  // streaming bandwidth / peak
  // Decode attention's KV-cache stream / peak: paged-attention kernels read
  // short rows per sequence and fall below streaming copies.
  std::optional<double> attention;
  core::Time op_overhead;   // launch and synchronisation per operator
  double link = 1.0;        // large all-reduce bus bandwidth / scale-up bandwidth per direction
  core::Time link_latency;  // per step of a ring collective (small-message all-reduce)

  // Where a format was measured on its own (FP4 GEMMs differ from FP8).
  struct PerFormat {
    std::optional<double> tensor;
    std::optional<core::Time> op_overhead;
  };
  std::map<core::NumberFormat, PerFormat> by_format;

  [[nodiscard]] double tensor_for(core::NumberFormat f) const;
  [[nodiscard]] double attention_or_memory() const { return attention.value_or(memory); }
  [[nodiscard]] core::Time op_overhead_for(core::NumberFormat f) const;
};

// Board power measured on the chip itself with microbenchmarks
// (bench/gpu/microbench.py): where present, it replaces the power the
// physical model derives from the process node (cost/energy.h).
struct MeasuredPower {
  core::Power idle;  // nothing running, clocks up
  // A large GEMM held for many seconds, at the clock the TDP let it run.
  struct Gemm {
    core::Power power;
    core::Frequency clock;
    core::OpRate rate;
  };
  std::map<core::NumberFormat, Gemm> gemm;
  // Streaming copies at full clock: bytes read plus bytes written.
  core::Power stream_power;
  core::Bandwidth stream_bandwidth;
};

struct ChipSpec {
  std::string id;    // "h100-sxm": the file name
  std::string fingerprint;  // of the resolved chip document (config::fingerprint)
  std::string name;  // "NVIDIA H100 SXM5 80GB"
  std::string vendor;
  std::string process_node;  // "tsmc-4n", "samsung-sf2"
  std::string package;       // "cowos-s", "interposer-2.5d"
  int64_t dies = 1;          // logic dies
  std::optional<core::Area> die_area;  // all logic dies together
  std::optional<double> transistors;   // all logic dies together

  TensorEngine tensor;
  VectorEngine vector;
  std::vector<SramLevel> sram;  // innermost first
  std::optional<NocSpec> noc;
  MemorySpec memory;
  std::optional<LinkSpec> scale_up;   // chip-to-chip within a node or pod
  std::optional<LinkSpec> scale_out;  // beyond it (NICs), where part of the package
  std::optional<LinkSpec> host;
  std::optional<DieToDieSpec> die_to_die;
  std::optional<StackedDiesSpec> stacked_dies;
  core::Power tdp;
  Efficiency efficiency;
  std::optional<MeasuredPower> measured_power;

  // Dense peak in `format`, or nothing if the tensor units lack it.
  [[nodiscard]] std::optional<core::OpRate> tensor_peak_for(core::NumberFormat format) const;
  // The same, or a bad-input error naming the format, for a scenario that asks for it.
  [[nodiscard]] core::Result<core::OpRate> required_tensor_peak(core::NumberFormat format) const;
  [[nodiscard]] core::Bytes sram_total() const;
  // The per-core SRAM that stages the tensor units' operands: the level with
  // the most instances (ties: the larger, then the outer one); none without SRAM.
  [[nodiscard]] const SramLevel* per_core_sram() const;
  // The levels listed after that one (an L2, an Infinity Cache): shared by the cores.
  [[nodiscard]] std::span<const SramLevel> shared_sram() const;
  [[nodiscard]] core::Bandwidth chip_to_chip() const;  // scale-up bandwidth, or zero
};

// Figures that follow from a spec, for `tensorfab show chip`.
struct DerivedFigures {
  struct PerFormat {
    core::NumberFormat format;
    core::OpRate dense;
    core::OpRate sparse;                   // dense x sparsity speed-up
    double ridge_flop_per_byte = 0;        // peak / memory bandwidth
    std::optional<double> ops_per_cycle_per_unit;  // when units and clock are public
  };
  std::vector<PerFormat> formats;
  double bytes_per_flop_bf16 = 0;  // memory bandwidth / BF16 peak (0 without BF16)
  core::Bytes memory_capacity;
  core::Bandwidth memory_bandwidth;
  core::Bytes sram_total;
  double sram_mib_per_tflops = 0;          // MiB of SRAM per dense BF16 TFLOP/s
  double chip_to_chip_gbps_per_tflops = 0; // GB/s of scale-up per dense BF16 TFLOP/s
};
[[nodiscard]] DerivedFigures derive(const ChipSpec& chip);

// Validates a chip document (presets already merged) into a spec; `id` is
// the id the chip was asked for by. All problems are reported together.
[[nodiscard]] core::Result<ChipSpec> read_chip(const config::Node& doc, const std::string& id);

// Finds (by id or path), loads, resolves presets, applies overrides and
// validates a chip.
[[nodiscard]] core::Result<ChipSpec> load_chip(const config::Catalog& catalog, std::string_view id_or_path,
                                               const config::Overrides& overrides = {});

}  // namespace tfab::hw
