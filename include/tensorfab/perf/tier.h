#pragma once
// Fidelity tiers (docs/performance-model.md) behind one interface: an
// OpTimer times the operators of a graph on one chip, in one number format,
// at one tier.
//
//   roofline  max(tensor, vector, memory, link) time at achievable rates.
//   tile      (default) GEMMs mapped by the tile model (tile.h): padding,
//             wave quantisation, split-K, blocked off-chip traffic, fill and
//             drain, double-buffered overlap; attention padded to the tile
//             granularity with its softmax on the vector and special-function
//             units; a per-operator launch overhead; collectives with
//             per-step latency.
//   cycle     as tile, but each GEMM runs on the cycle-level systolic
//             simulator (mapping/systolic_sim.h) with the tiling the array
//             model chooses; only for chips whose arrays are public.
//
// GEMM mappings are cached by shape, so the cost of evaluating a model
// grows with its unique operator shapes, not with its layers or steps.

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <tuple>
#include <vector>

#include "tensorfab/core/result.h"
#include "tensorfab/hw/chip.h"
#include "tensorfab/perf/op_time.h"
#include "tensorfab/perf/roofline.h"
#include "tensorfab/perf/tile.h"
#include "tensorfab/workload/graph.h"

namespace tfab::perf {

enum class Tier { kRoofline, kTile, kCycle };
[[nodiscard]] std::string_view name(Tier tier);
[[nodiscard]] std::optional<Tier> parse_tier(std::string_view text);

class OpTimer {
 public:
  // Fails (bad input) when the chip lacks tensor throughput in `format`, or
  // for the cycle tier when its systolic arrays are not described.
  [[nodiscard]] static core::Result<OpTimer> create(const hw::ChipSpec& chip, core::NumberFormat format, Tier tier);

  // The op's time as a function of context length; `mapping`, when given,
  // receives a description of how a GEMM was mapped.
  [[nodiscard]] core::Result<OpTime> time(const workload::Op& op, std::string* mapping = nullptr);

  [[nodiscard]] Tier tier() const { return tier_; }
  [[nodiscard]] core::OpRate tensor_peak() const { return peak_; }
  // Dense peak in `format`, or in the timer's own format where the chip lacks it.
  [[nodiscard]] core::OpRate tensor_peak(core::NumberFormat format) const {
    return chip_.tensor_peak_for(format).value_or(peak_);
  }
  [[nodiscard]] size_t gemm_shapes() const { return gemms_.size(); }  // mapped so far

 private:
  // What the tiers need of the chip in one number format.
  struct Rates {
    Roofline roofline;
    TileMachine machine;
    core::Time op_overhead;
  };

  OpTimer() = default;
  static core::Result<Rates> rates_in(const hw::ChipSpec& chip, core::NumberFormat format);
  // The rates in `format`, derived on first use; the timer's own format
  // where the chip lacks `format`.
  const Rates& rates(core::NumberFormat format);
  core::Result<OpTime> gemm_time(const workload::Op& op, std::string* mapping);
  OpTime attention_time(const workload::Op& op);
  OpTime vector_time(const workload::Op& op);

  Tier tier_ = Tier::kTile;
  hw::ChipSpec chip_;
  core::NumberFormat format_ = core::NumberFormat::kBF16;
  core::OpRate peak_;
  std::map<core::NumberFormat, Rates> rates_;
  core::OpRate transcendental_;
  core::Time link_latency_;
  // (m, n, k, groups, bytes of A, B and C) -> time and mapping
  using GemmKey = std::tuple<int64_t, int64_t, int64_t, int64_t, double, double, double>;
  std::map<GemmKey, std::pair<OpTime, std::string>> gemms_;
};

// One op of a graph, costed at one context length.
struct OpCost {
  std::string name;
  workload::OpKind kind = workload::OpKind::kGemm;
  int64_t repeat = 1;
  core::NumberFormat format = core::NumberFormat::kBF16;
  workload::Work work;  // one instance
  core::Bytes link_bytes;  // one instance: what each chip sends to the others
  core::Time time;      // one instance
  Bound bound = Bound::kMemory;
  double tensor_utilisation = 0;  // tensor ops / (time x peak)
  std::string mapping;            // how a GEMM was tiled (tile and cycle tiers)
};

[[nodiscard]] core::Result<std::vector<OpCost>> cost_ops(OpTimer& timer, const workload::Graph& graph,
                                                         int64_t context);

}  // namespace tfab::perf
