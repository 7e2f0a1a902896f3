#include "tensorfab/perf/tier.h"

#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <cmath>

#include "tensorfab/mapping/systolic_sim.h"
#include "tensorfab/mapping/tile_model.h"

namespace tfab::perf {
namespace {

constexpr std::array<std::string_view, 3> kTierNames{"roofline", "tile", "cycle"};

double real(int64_t n) { return static_cast<double>(n); }

mapping::ElementBytes element_bytes(const workload::Op& op) {
  const auto& e = op.element_bytes;
  return {core::Bytes::from_base(e.a), core::Bytes::from_base(e.b), core::Bytes::from_base(e.c)};
}

// Query rows a tensor unit works on together in fused attention: a GPU
// tile's 64 rows; a systolic array streams its rows and pads nothing.
constexpr int64_t kGpuQueryTile = 64;

}  // namespace

std::string_view name(Tier tier) { return kTierNames[static_cast<size_t>(tier)]; }

std::optional<Tier> parse_tier(std::string_view text) {
  for (size_t i = 0; i < kTierNames.size(); ++i) {
    if (kTierNames[i] == text) return static_cast<Tier>(i);
  }
  return std::nullopt;
}

core::Result<OpTimer::Rates> OpTimer::rates_in(const hw::ChipSpec& chip, core::NumberFormat format) {
  auto roof = roofline_for(chip, format);
  if (!roof) return roof.errors();
  auto machine = tile_machine(chip, format);
  if (!machine) return machine.errors();
  return Rates{*roof, *machine, chip.efficiency.op_overhead_for(format)};
}

core::Result<OpTimer> OpTimer::create(const hw::ChipSpec& chip, core::NumberFormat format, Tier tier) {
  auto own = rates_in(chip, format);
  if (!own) return own.errors();
  if (tier == Tier::kCycle && !own->machine.systolic()) {
    return core::bad_input(fmt::format("the cycle tier simulates systolic arrays, and chip '{}' describes none "
                                       "(tensor.array); use --tier tile",
                                       chip.id));
  }
  OpTimer t;
  t.tier_ = tier;
  t.chip_ = chip;
  t.format_ = format;
  t.peak_ = *chip.tensor_peak_for(format);
  t.rates_.emplace(format, *own);
  // Without a published special-function rate, exp and tanh issue at the vector rate.
  t.transcendental_ = chip.vector.transcendental.value_or(chip.vector.fp32_peak);
  t.link_latency_ = chip.efficiency.link_latency;
  return t;
}

const OpTimer::Rates& OpTimer::rates(core::NumberFormat format) {
  if (auto it = rates_.find(format); it != rates_.end()) return it->second;
  auto made = rates_in(chip_, format);
  if (!made) return rates_.at(format_);
  return rates_.emplace(format, *made).first->second;
}

core::Result<OpTime> OpTimer::time(const workload::Op& op, std::string* mapping) {
  if (tier_ == Tier::kRoofline) return rates(op.format).roofline.time(op);
  switch (op.kind) {
    case workload::OpKind::kGemm: return gemm_time(op, mapping);
    case workload::OpKind::kAttention: return attention_time(op);
    case workload::OpKind::kVector:
    case workload::OpKind::kGather: return vector_time(op);
    case workload::OpKind::kCollective: {
      const Rates& r = rates(op.format);
      OpTime t = r.roofline.time(op);
      // A ring all-reduce takes 2 (g - 1) steps, each paying the link latency.
      t[Bound::kLink].fixed += 2 * real(op.group - 1) * link_latency_.base();
      t.overhead = r.op_overhead;
      return t;
    }
  }
  return rates(op.format).roofline.time(op);
}

core::Result<OpTime> OpTimer::gemm_time(const workload::Op& op, std::string* mapping) {
  const mapping::ElementBytes bytes = element_bytes(op);
  const auto groups = static_cast<int64_t>(std::ceil(std::max(1.0, op.groups)));
  const GemmKey key{op.m, op.n, op.k, groups, bytes.a.base(), bytes.b.base(), bytes.c.base()};
  if (auto hit = gemms_.find(key); hit != gemms_.end()) {
    if (mapping != nullptr) *mapping = hit->second.second;
    return hit->second.first;
  }
  const Rates& r = rates(op.format);
  const TileMachine& machine = r.machine;
  OpTime t;
  std::string how;
  if (tier_ == Tier::kCycle) {
    const mapping::SystolicHardware hw{machine.array_rows, machine.array_cols, machine.workers, machine.clock,
                                       machine.worker_memory, machine.memory, core::Time{}};
    const mapping::GemmShape shape{op.m, op.n, op.k};
    auto tiling = mapping::choose_tiling(hw, shape, bytes);
    if (!tiling) return tiling.errors();
    auto sim = mapping::simulate_gemm(hw, shape, bytes, tiling->tiling);
    if (!sim) return sim.errors();
    // Groups run one after another; each is simulated once.
    t[Bound::kTensor].fixed = real(sim->compute_busy_cycles) / machine.clock.base() * real(groups);
    t[Bound::kMemory].fixed = sim->time.base() * real(groups);
    how = fmt::format("{}, simulated {} cycles", mapping::describe(tiling->tiling), sim->total_cycles);
  } else {
    const GemmMapping g = map_gemm(machine, {op.m, op.n, op.k}, bytes, groups);
    t[Bound::kTensor].fixed = (g.compute + g.prologue).base();
    t[Bound::kMemory].fixed = (g.memory + g.epilogue).base();
    t.overhead = g.latency;
    how = g.describe();
  }
  // Bias adds ride in the GEMM's epilogue on the vector units.
  t[Bound::kVector].fixed = op.fixed.vector_ops.base() / r.roofline.vector.base();
  t.overhead += r.op_overhead;
  gemms_.emplace(key, std::make_pair(t, how));
  if (mapping != nullptr) *mapping = how;
  return t;
}

OpTime OpTimer::attention_time(const workload::Op& op) {
  OpTime t = vector_time(op);
  const TileMachine& machine = rates(op.format).machine;
  // The query rows of one KV head (GQA group x new tokens) fill a tile of
  // the tensor units; a short one is padded.
  double padding = 1;
  if (!machine.systolic() && op.m > 0) {
    padding = real(mapping::ceil_div(op.m, kGpuQueryTile) * kGpuQueryTile) / real(op.m);
  }
  const double rate = machine.tensor_rate().base() / padding;
  t[Bound::kTensor] = {op.fixed.tensor_ops.base() / rate, op.per_context_token.tensor_ops.base() / rate};
  // The KV cache streams at the decode-attention fraction of peak, where measured.
  const double slower = chip_.efficiency.memory / chip_.efficiency.attention_or_memory();
  t[Bound::kMemory].per_token *= slower;
  return t;
}

OpTime OpTimer::vector_time(const workload::Op& op) {
  const Rates& r = rates(op.format);
  OpTime t;
  auto seconds = [&](const workload::Work& w) {
    return (w.vector_ops - w.special_ops).base() / r.roofline.vector.base() +
           w.special_ops.base() / transcendental_.base();
  };
  t[Bound::kVector] = {seconds(op.fixed), seconds(op.per_context_token)};
  t[Bound::kMemory] = {op.fixed.bytes.base() / r.machine.memory.base(),
                       op.per_context_token.bytes.base() / r.machine.memory.base()};
  // Its first reads land, and its last writes, one memory latency late.
  t.overhead = r.op_overhead + r.machine.latency * 2;
  return t;
}

core::Result<std::vector<OpCost>> cost_ops(OpTimer& timer, const workload::Graph& graph, int64_t context) {
  std::vector<OpCost> out;
  out.reserve(graph.ops.size());
  for (const auto& op : graph.ops) {
    OpCost c;
    c.name = op.name;
    c.kind = op.kind;
    c.repeat = op.repeat;
    c.format = op.format;
    c.work = op.at_context(context);
    if (op.kind == workload::OpKind::kCollective && op.group > 1) {
      const auto g = static_cast<double>(op.group);
      c.link_bytes = op.payload * (2 * (g - 1) / g);  // a ring all-reduce
    }
    auto t = timer.time(op, &c.mapping);
    if (!t) return t.errors();
    c.time = t->at(context);
    c.bound = t->bound(context);
    c.tensor_utilisation =
        c.time > core::Time{} ? (c.work.tensor_ops / c.time) / timer.tensor_peak(op.format) : 0.0;
    out.push_back(std::move(c));
  }
  return out;
}

}  // namespace tfab::perf
