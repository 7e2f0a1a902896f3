// Properties over random valid designs and scenarios (RapidCheck, seeded
// in tests/CMakeLists.txt so every run draws the same cases): what more of
// a resource may never do, and what every output must be.

#include <gtest/gtest.h>
#include <rapidcheck.h>
#include <rapidcheck/gtest.h>

#include <cmath>
#include <map>
#include <string>
#include <vector>

#include <fmt/format.h>

#include "support/shipped.h"
#include "tensorfab/api/api.h"
#include "tensorfab/hw/chip.h"
#include "tensorfab/perf/serving.h"
#include "tensorfab/system/training.h"
#include "tensorfab/workload/model.h"

namespace tfab {

// How RapidCheck prints a drawn tier or batching when a property fails.
namespace perf {
inline void showValue(Tier t, std::ostream& os) { os << name(t); }
}  // namespace perf
namespace workload {
inline void showValue(Batching b, std::ostream& os) { os << name(b); }
}  // namespace workload

namespace {

using testing::shipped;

const std::vector<std::string>& chip_ids() {
  static const auto ids = api::list(shipped(), "chips");
  return ids;
}

// Small models, so that most draws fit on one chip.
const std::vector<std::string> kModels = {"llama-3.1-8b", "mistral-7b", "qwen2.5-7b", "llama-2-13b", "mixtral-8x7b"};

// A shipped file, read once per test run.
template <class Spec, class Load>
const Spec& loaded_once(const std::string& id, Load load) {
  static std::map<std::string, Spec> loaded;
  if (auto it = loaded.find(id); it != loaded.end()) return it->second;
  auto spec = load(shipped(), id, config::Overrides{});
  RC_ASSERT(spec.ok());
  return loaded.emplace(id, *spec).first->second;
}

const hw::ChipSpec& chip(const std::string& id) { return loaded_once<hw::ChipSpec>(id, hw::load_chip); }
const workload::ModelSpec& model(const std::string& id) { return loaded_once<workload::ModelSpec>(id, workload::load_model); }

// A random serving case: a shipped chip, a small model and a scenario in a
// format the chip computes in.
struct Draw {
  hw::ChipSpec chip;
  workload::ModelSpec model;
  workload::ServeScenario scenario;
  perf::Tier tier = perf::Tier::kTile;
};

Draw draw() {
  Draw d;
  d.chip = chip(*rc::gen::elementOf(chip_ids()));
  d.model = model(*rc::gen::elementOf(kModels));
  d.tier = *rc::gen::element(perf::Tier::kRoofline, perf::Tier::kTile);
  auto& s = d.scenario;
  s.batch = *rc::gen::inRange<int64_t>(1, 257);
  s.prompt_length = *rc::gen::inRange<int64_t>(1, 8193);
  s.output_length = *rc::gen::inRange<int64_t>(1, 2049);
  s.batching = *rc::gen::element(workload::Batching::kStatic, workload::Batching::kContinuous);
  const bool fp8 = d.chip.tensor_peak_for(core::NumberFormat::kFP8).has_value() && *rc::gen::arbitrary<bool>();
  const auto format = fp8 ? core::NumberFormat::kFP8 : core::NumberFormat::kBF16;
  s.formats = {format, format, format};
  RC_PRE(d.chip.tensor_peak_for(format).has_value());
  return d;
}

perf::ServingResult serve(const Draw& d, const hw::ChipSpec& chip) {
  auto r = perf::evaluate_serving(chip, d.model, d.scenario, d.tier);
  RC_ASSERT(r.ok());
  return *r;
}

// `faster` is no slower than `base` beyond `slack` (relative): the same or
// better on every figure a static batch fixes; under continuous batching
// the batch is chosen, so only throughput is compared.
void assert_no_slower(const perf::ServingResult& faster, const perf::ServingResult& base, double slack) {
  RC_ASSERT(faster.output_tokens_per_s_per_chip >= base.output_tokens_per_s_per_chip / (1 + slack));
  if (base.scenario.batching == workload::Batching::kStatic) {
    RC_ASSERT(faster.time_to_first_token.base() <= base.time_to_first_token.base() * (1 + slack));
    RC_ASSERT(faster.time_per_output_token.base() <= base.time_per_output_token.base() * (1 + slack));
  }
}

// Rounding alone.
constexpr double kRounding = 1e-9;
// Larger tiles, which more compute or on-chip memory admit, may be chosen
// when no more than this slower (perf/tile.h).
constexpr double kMapperPreference = perf::kFewerTilesPreference + kRounding;

double scale() { return *rc::gen::inRange(100, 401) / 100.0; }

RC_GTEST_PROP(Properties, MoreMemoryBandwidthIsNeverSlower, ()) {
  const Draw d = draw();
  hw::ChipSpec more = d.chip;
  more.memory.bandwidth_per_stack = more.memory.bandwidth_per_stack * scale();
  assert_no_slower(serve(d, more), serve(d, d.chip), kRounding);
}

RC_GTEST_PROP(Properties, MoreComputeIsNeverSlower, ()) {
  const Draw d = draw();
  const double k = scale();
  hw::ChipSpec more = d.chip;
  for (auto& [format, peak] : more.tensor.dense_peak) peak = peak * k;
  more.vector.fp32_peak = more.vector.fp32_peak * k;
  if (more.vector.transcendental) more.vector.transcendental = *more.vector.transcendental * k;
  assert_no_slower(serve(d, more), serve(d, d.chip), kMapperPreference);
}

RC_GTEST_PROP(Properties, MoreOnChipMemoryIsNeverSlower, ()) {
  const Draw d = draw();
  const double k = scale();
  hw::ChipSpec more = d.chip;
  for (auto& level : more.sram) level.capacity = level.capacity * k;
  assert_no_slower(serve(d, more), serve(d, d.chip), kMapperPreference);
}

// Time of one pass's ops, collectives left out.
double compute_time(const std::vector<perf::OpCost>& ops) {
  double seconds = 0;
  for (const auto& op : ops) {
    if (op.kind != workload::OpKind::kCollective) seconds += op.time.base() * static_cast<double>(op.repeat);
  }
  return seconds;
}

// More chips per replica (tensor parallelism t -> 2t) never cost more than
// their communication explains: each chip's share of the other work does
// not grow. (Training steps join this property when [cluster] lands.)
RC_GTEST_PROP(Properties, MoreChipsCostNoMoreThanTheirCommunication, ()) {
  Draw d = draw();
  d.scenario.batching = workload::Batching::kStatic;
  const int64_t t = *rc::gen::element<int64_t>(1, 2, 4);
  d.scenario.tensor_parallel = t;
  auto fewer = perf::evaluate_serving(d.chip, d.model, d.scenario, d.tier);
  d.scenario.tensor_parallel = 2 * t;
  auto more = perf::evaluate_serving(d.chip, d.model, d.scenario, d.tier);
  RC_PRE(fewer.ok() && more.ok());  // a model with fewer heads than chips is an error
  RC_ASSERT(compute_time(more->prefill_ops) <= compute_time(fewer->prefill_ops) * (1 + kMapperPreference));
  RC_ASSERT(compute_time(more->decode_ops) <= compute_time(fewer->decode_ops) * (1 + kMapperPreference));
}

// Every number in the JSON a user gets is finite and not negative.
void assert_finite_non_negative(const nlohmann::ordered_json& j, const std::string& where) {
  if (j.is_number()) {
    const double v = j.get<double>();
    RC_ASSERT(std::isfinite(v));
    if (v < 0) RC_FAIL(fmt::format("{} is {}", where, v));
  } else if (j.is_object()) {
    for (const auto& [key, value] : j.items()) assert_finite_non_negative(value, where + "/" + key);
  } else if (j.is_array()) {
    for (size_t i = 0; i < j.size(); ++i) assert_finite_non_negative(j[i], where + "/" + std::to_string(i));
  }
}

RC_GTEST_PROP(Properties, EveryOutputIsFiniteAndNonNegative, ()) {
  api::EvalRequest request;
  request.chip = *rc::gen::elementOf(chip_ids());
  request.model = *rc::gen::elementOf(kModels);
  request.tier = *rc::gen::element(perf::Tier::kRoofline, perf::Tier::kTile);
  request.sweep = *rc::gen::arbitrary<bool>();
  request.overrides = {
      fmt::format("scenario.batch={}", *rc::gen::inRange(1, 513)),
      fmt::format("scenario.prompt_length={}", *rc::gen::inRange(1, 16385)),
      fmt::format("scenario.output_length={}", *rc::gen::inRange(1, 4097)),
      fmt::format("scenario.batching={}", *rc::gen::element("static", "continuous")),
      fmt::format("scenario.tensor_parallel={}", *rc::gen::element(1, 2, 4, 8)),
  };
  const auto formats = *rc::gen::element(std::string("bf16"), std::string("fp8"));
  for (const char* part : {"weights", "activations", "kv_cache"}) {
    request.overrides.emplace_back(fmt::format("scenario.formats.{}={}", part, formats));
  }
  auto result = api::eval(shipped(), request);
  RC_PRE(result.ok());  // a chip without FP8, a model too wide to split: errors, not outputs
  assert_finite_non_negative(api::to_json(*result, true), "");
}

// Designs far from any shipped one (a thousandth to a thousand times its
// bandwidth, compute, on-chip memory and power) still give only finite,
// non-negative figures, or an error.
RC_GTEST_PROP(Properties, ExtremeDesignsGiveFiniteOutputs, ()) {
  using namespace core::literals;
  const auto id = *rc::gen::elementOf(chip_ids());
  const auto& spec = chip(id);
  auto factor = [] { return std::pow(10.0, *rc::gen::inRange(-30, 31) / 10.0); };
  api::EvalRequest request;
  request.chip = id;
  request.model = *rc::gen::elementOf(kModels);
  request.tier = *rc::gen::element(perf::Tier::kRoofline, perf::Tier::kTile);
  request.overrides = {
      fmt::format("chip.memory.bandwidth_per_stack={} GB/s", spec.memory.bandwidth_per_stack.in(1_GBps) * factor()),
      fmt::format("chip.tdp={} W", spec.tdp.in(1_W) * factor()),
      fmt::format("scenario.batching={}", *rc::gen::element("static", "continuous")),
      fmt::format("scenario.batch={}", *rc::gen::inRange(1, 1025)),
  };
  const double compute = factor();
  for (const auto& [format, peak] : spec.tensor.dense_peak) {
    request.overrides.emplace_back(
        fmt::format("chip.tensor.dense.{}={} TFLOPS", core::name(format), peak.in(1_TFLOPS) * compute));
  }
  const double sram = factor();
  for (const auto& level : spec.sram) {
    request.overrides.emplace_back(fmt::format("chip.sram.{}.capacity={} KiB", level.name, level.capacity.in(1_KiB) * sram));
  }
  auto result = api::eval(shipped(), request);
  RC_PRE(result.ok());
  assert_finite_non_negative(api::to_json(*result, true), "");
}

// What one part costs to make, its die area and its power at a GEMM, for
// a shipped chip with overrides. A design grown past a limit (the reticle,
// the package's stacks) is an error, not a figure: that draw is discarded.
api::PhysicalReport physical(const std::string& id, const config::Overrides& overrides) {
  auto r = api::physical(shipped(), id, overrides);
  RC_PRE(r.ok());
  return *r;
}

// Chips whose node, package and memory are all known, so their bill is complete.
const std::vector<std::string>& priced_chip_ids() {
  static const auto ids = [] {
    std::vector<std::string> priced;
    for (const auto& id : chip_ids()) {
      auto r = api::physical(shipped(), id);
      if (r && r->bill && r->bill->total && r->area && r->power) priced.push_back(id);
    }
    return priced;
  }();
  return ids;
}

// A random training layout of GPT-3 175B on a shipped cluster: sizes that
// divide its 96 layers and heads, any recomputation, SP and overlap.
struct TrainingDraw {
  hw::ChipSpec chip;
  system::System cluster;
  workload::TrainScenario scenario;
};

TrainingDraw draw_training() {
  static const std::vector<std::pair<std::string, std::string>> kClusters = {
      {"a100-sxm-80gb", "selene"}, {"h100-sxm", "dgx-h100-superpod"}, {"tpu-v5p", "tpu-v5p-6144"}};
  const auto& [chip_id, system_id] = *rc::gen::elementOf(kClusters);
  TrainingDraw d;
  d.chip = chip(chip_id);
  auto cluster = system::load_system(shipped(), system_id, d.chip);
  RC_ASSERT(cluster.ok());
  d.cluster = *cluster;
  auto& s = d.scenario;
  auto& p = s.parallelism;
  p.tensor = *rc::gen::element<int64_t>(1, 2, 4, 8);
  p.pipeline = *rc::gen::element<int64_t>(1, 2, 4, 8);
  p.virtual_stages = p.pipeline > 1 ? *rc::gen::element<int64_t>(1, 2, 3) : 1;
  p.data = *rc::gen::element<int64_t>(1, 2, 4, 16);
  p.sequence_parallel = p.tensor > 1 && *rc::gen::arbitrary<bool>();
  p.zero_stage = *rc::gen::inRange(0, 4);
  s.sequence_length = *rc::gen::element<int64_t>(512, 2048, 4096);
  s.micro_batch = *rc::gen::element<int64_t>(1, 2);
  s.global_batch = s.micro_batch * p.data * *rc::gen::inRange<int64_t>(1, 17);
  s.recompute = *rc::gen::element(workload::Recompute::kNone, workload::Recompute::kSelective,
                                  workload::Recompute::kFull);
  s.attention = *rc::gen::element(workload::AttentionKernel::kFlash, workload::AttentionKernel::kDense);
  s.dropout = *rc::gen::element(0.0, 0.1);
  s.overlap.gradient_reduce = *rc::gen::arbitrary<bool>();
  s.overlap.weight_gather = *rc::gen::arbitrary<bool>();
  s.overlap.tensor_parallel = *rc::gen::element(workload::TensorOverlap::kNone, workload::TensorOverlap::kBackward,
                                                workload::TensorOverlap::kAll);
  return d;
}

system::TrainingResult train(const TrainingDraw& d) {
  auto r = system::train_step(d.chip, model("megatron-175b"), d.scenario, d.cluster);
  RC_ASSERT(r.ok());
  return *r;
}

RC_GTEST_PROP(Properties, TrainingStepsAreFiniteAndTheirPartsAddUp, ()) {
  const system::TrainingResult r = train(draw_training());
  const system::StepTime& s = r.step;
  double parts = 0;
  for (core::Time t : {s.forward, s.backward, s.recompute, s.optimizer, s.tensor_comm, s.context_comm, s.expert_comm,
                       s.pipeline_comm, s.data_comm, s.bubble}) {
    RC_ASSERT(std::isfinite(t.base()));
    RC_ASSERT(t.base() >= 0);
    parts += t.base();
  }
  RC_ASSERT(std::abs(parts - s.total().base()) <= 1e-9 * parts);
  RC_ASSERT(r.mfu > 0);
  RC_ASSERT(r.mfu <= r.hfu);
  RC_ASSERT(r.hfu < 1);
  RC_ASSERT(std::isfinite(r.tokens_per_s()) && r.tokens_per_s() > 0);
}

RC_GTEST_PROP(Properties, AFasterNetworkIsNeverSlower, ()) {
  const TrainingDraw base = draw_training();
  TrainingDraw faster = base;
  const double k = scale();
  for (auto& level : faster.cluster.levels) level.bandwidth = level.bandwidth * k;
  const double before = train(base).step.total().base();
  RC_ASSERT(train(faster).step.total().base() <= before * (1 + kRounding));
}

RC_GTEST_PROP(Properties, OverlapNeverSlowsAStep, ()) {
  TrainingDraw d = draw_training();
  d.scenario.overlap = {};
  const double serial = train(d).step.total().base();
  d.scenario.overlap = {true, true, workload::TensorOverlap::kBackward};
  const double backward = train(d).step.total().base();
  d.scenario.overlap.tensor_parallel = workload::TensorOverlap::kAll;
  const double all = train(d).step.total().base();
  RC_ASSERT(backward <= serial * (1 + kRounding));
  RC_ASSERT(all <= backward * (1 + kRounding));
}

RC_GTEST_PROP(Properties, AreaPowerAndCostGrowWithWhatTheyAreMadeOf, ()) {
  using namespace core::literals;
  const auto id = *rc::gen::elementOf(priced_chip_ids());
  const auto base = physical(id, {});
  // Small growth, so that most designs stay within the reticle and the package.
  const double k = *rc::gen::inRange(1001, 1031) / 1000.0;
  const auto& spec = base.chip;

  // More MACs (a higher peak at the same clock): more area, more power at a GEMM.
  config::Overrides more_macs;
  for (const auto& [format, peak] : spec.tensor.dense_peak) {
    more_macs.emplace_back(fmt::format("chip.tensor.dense.{}={} TFLOPS", core::name(format), peak.in(1_TFLOPS) * k));
  }
  const auto wider = physical(id, more_macs);
  RC_ASSERT(wider.area->total.base() > base.area->total.base());
  RC_ASSERT(wider.power->demand.base() > base.power->demand.base());

  // More on-chip memory: more area.
  config::Overrides more_sram;
  for (const auto& level : spec.sram) {
    more_sram.emplace_back(fmt::format("chip.sram.{}.capacity={} KiB", level.name, level.capacity.in(1_KiB) * k));
  }
  RC_ASSERT(physical(id, more_sram).area->total.base() > base.area->total.base());

  // A larger die, more memory per stack: a dearer part. (die_area is all the logic dies together.)
  const double dies = static_cast<double>(spec.dies);
  const auto die = physical(id, {fmt::format("chip.die_area={} mm^2", base.die.in(1_mm2) * dies * k)});
  RC_ASSERT(die.bill->total->base() > base.bill->total->base());
  const auto memory = physical(id, {fmt::format("chip.memory.capacity_per_stack={} GiB",
                                                spec.memory.capacity_per_stack.in(1_GiB) * k)});
  RC_ASSERT(memory.bill->total->base() > base.bill->total->base());
}

}  // namespace
}  // namespace tfab
