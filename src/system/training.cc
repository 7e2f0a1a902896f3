#include "tensorfab/system/training.h"

#include <fmt/format.h>

#include <algorithm>

namespace tfab::system {
namespace {

using workload::CollectiveKind;
using workload::ParallelGroup;
using workload::Phase;

// Layouts nest tensor innermost, then context, data (experts within it)
// and pipeline outermost, as Megatron-LM ranks them: the chips of a group
// are this far apart in the system's order.
Group group_of(const workload::Collective& c, const workload::Parallelism& p) {
  switch (c.group) {
    case ParallelGroup::kTensor:
      return {c.group_size, 1};
    case ParallelGroup::kContext:
      return {c.group_size, p.tensor};
    case ParallelGroup::kExpert:
    case ParallelGroup::kData:
      return {c.group_size, p.tensor * p.context};
    case ParallelGroup::kPipeline:
      return {2, p.tensor * p.context * p.data};
  }
  return {c.group_size, 1};
}

// Seconds of one stage's work per phase; `layers` for the transformer
// layers, `edge` for the embedding, final norm, LM head and loss, whose
// collectives (`comm`) also run on their stage alone.
struct PhaseSeconds {
  double forward = 0, backward = 0, recompute = 0, comm = 0;
  [[nodiscard]] double sum() const { return forward + backward + recompute + comm; }
  void add(Phase phase, double t) {
    if (phase == Phase::kForward) forward += t;
    if (phase == Phase::kBackward) backward += t;
    if (phase == Phase::kRecompute) recompute += t;
  }
};

}  // namespace

System single_switch(const hw::ChipSpec& chip, int64_t chips) {
  System s;
  s.id = "single-switch";
  s.name = fmt::format("{} chips on one switch of the chip's scale-up link", chips);
  Level level;
  level.name = chip.scale_up ? chip.scale_up->name : "no scale-up link";
  level.network = Network::kSwitch;
  level.chips = std::max<int64_t>(chips, 1);
  if (chip.scale_up) level.bandwidth = chip.scale_up->bandwidth() * 0.5;
  level.latency = chip.efficiency.link_latency;
  level.efficiency = chip.efficiency.link;
  s.levels.push_back(level);
  return s;
}

core::Result<TrainingResult> train_step(const hw::ChipSpec& chip, const workload::ModelSpec& model,
                                        const workload::TrainScenario& scenario, const System& system,
                                        perf::Tier tier) {
  const workload::Parallelism& p = scenario.parallelism;
  core::Diagnostics errors = workload::check_layout(model, scenario);
  const int64_t chips = p.tensor * p.pipeline * p.data * p.context;
  if (chips > system.chips()) {
    errors.push_back(core::bad_input(
        fmt::format("the layout needs {} chips; the system '{}' has {}", chips, system.id, system.chips()),
        "train.parallelism"));
  }
  if (!errors.empty()) return errors;

  auto created = perf::OpTimer::create(chip, scenario.formats.compute, tier);
  if (!created) return created.errors();
  perf::OpTimer& timer = created.value();
  const workload::Graph graph = workload::training_graph(model, scenario);

  TrainingResult r;
  r.chips = chips;
  r.micro_batches = scenario.micro_batches();
  const double m = static_cast<double>(r.micro_batches);
  const double stages = static_cast<double>(p.pipeline);
  const double chunks = static_cast<double>(p.virtual_stages);

  // Compute: every op of the first stage's graph, split into the layers
  // (the same on every stage) and the edges (embedding on the first stage,
  // the rest on the last).
  PhaseSeconds layers, first_edge, last_edge, layer_gemms;
  double optimizer = 0, model_ops = 0, recompute_ops = 0, edge_model_ops = 0;
  for (const workload::Op& op : graph.ops) {
    auto t = timer.time(op);
    if (!t) return t.errors();
    const double seconds = t->at(0).base() * static_cast<double>(op.repeat);
    const double tensor = op.at_context(0).tensor_ops.base() * static_cast<double>(op.repeat);
    if (op.phase == Phase::kOptimizer) {
      optimizer += seconds;
      continue;
    }
    if (op.phase == Phase::kRecompute) {
      recompute_ops += tensor;
    } else if (op.per_layer) {
      model_ops += tensor;
    } else {
      edge_model_ops += tensor;
    }
    if (op.per_layer) {
      layers.add(op.phase, seconds);
      if (op.kind == workload::OpKind::kGemm) layer_gemms.add(op.phase, seconds);
    } else if (op.kind == workload::OpKind::kGather) {
      first_edge.add(op.phase, seconds);
    } else {
      last_edge.add(op.phase, seconds);
    }
  }

  // Collectives, each on the system at its group's placement.
  double tensor_comm = 0, tensor_async = 0, context_comm = 0, expert_comm = 0, pipeline_comm = 0,
         gradient_comm = 0, gather_comm = 0;
  for (const workload::Collective& c : workload::training_collectives(model, scenario)) {
    CollectiveCost cost{c, collective_time(system, c.kind, c.bytes, group_of(c, p)), {}};
    const double all = cost.each.time.base() * static_cast<double>(c.count);
    switch (c.group) {
      case ParallelGroup::kTensor:
        if (c.stage == workload::Stage::kFirst) {
          first_edge.comm += all;
        } else if (c.stage == workload::Stage::kLast) {
          last_edge.comm += all;
        } else {
          (c.asynchronous ? tensor_async : tensor_comm) += all;
        }
        break;
      case ParallelGroup::kContext:
        context_comm += all;
        break;
      case ParallelGroup::kExpert:
        expert_comm += all;
        break;
      case ParallelGroup::kPipeline:
        pipeline_comm += all;
        break;
      case ParallelGroup::kData:
        (c.kind == CollectiveKind::kAllGather ? gather_comm : gradient_comm) += all;
        break;
    }
    cost.exposed = core::Time::from_base(all);
    r.collectives.push_back(std::move(cost));
  }

  // TP collectives under GEMMs: what the GEMMs cannot cover stays exposed.
  // `backward` hides the asynchronous ones under the backward pass's GEMMs,
  // `all` every one under all the layers' GEMMs.
  double tensor_sync_exposed = tensor_comm, tensor_async_exposed = tensor_async;
  switch (scenario.overlap.tensor_parallel) {
    case workload::TensorOverlap::kNone:
      break;
    case workload::TensorOverlap::kBackward:
      tensor_async_exposed = std::max(0.0, tensor_async - layer_gemms.backward);
      break;
    case workload::TensorOverlap::kAll: {
      const double all = tensor_comm + tensor_async;
      const double left = all > 0 ? std::max(0.0, all - layer_gemms.sum()) / all : 0.0;
      tensor_sync_exposed = tensor_comm * left;
      tensor_async_exposed = tensor_async * left;
      break;
    }
  }
  const double tensor_exposed = tensor_sync_exposed + tensor_async_exposed;
  // The data-parallel reduction waits for the pipeline to drain unless it
  // runs under the last micro-batch's backward pass; ZeRO's weight gather
  // likewise under the first one's forward pass.
  const double gradient_exposed =
      scenario.overlap.gradient_reduce
          ? std::max(0.0, gradient_comm - (layers.backward + layers.recompute) / m)
          : gradient_comm;
  const double gather_exposed =
      scenario.overlap.weight_gather ? std::max(0.0, gather_comm - layers.forward / m) : gather_comm;
  for (CollectiveCost& c : r.collectives) {
    auto share = [](double exposed, double all) { return all > 0 ? exposed / all : 0.0; };
    double kept = 1;
    if (c.collective.group == ParallelGroup::kTensor && c.collective.stage == workload::Stage::kEvery) {
      kept = c.collective.asynchronous ? share(tensor_async_exposed, tensor_async)
                                       : share(tensor_sync_exposed, tensor_comm);
    }
    if (c.collective.group == ParallelGroup::kData) {
      kept = c.collective.kind == CollectiveKind::kAllGather ? share(gather_exposed, gather_comm)
                                                             : share(gradient_exposed, gradient_comm);
    }
    c.exposed = c.exposed * kept;
  }

  // The slowest stage: the one with the heavier edge (both edges on one stage).
  PhaseSeconds edge = first_edge.sum() >= last_edge.sum() ? first_edge : last_edge;
  if (p.pipeline == 1) {
    edge.forward = first_edge.forward + last_edge.forward;
    edge.backward = first_edge.backward + last_edge.backward;
    edge.recompute = first_edge.recompute + last_edge.recompute;
    edge.comm = first_edge.comm + last_edge.comm;
  }
  // The bubble: (p - 1) / v micro-batches of the mean stage.
  const double mean_mb = (layers.sum() + (first_edge.sum() + last_edge.sum()) / stages + tensor_exposed +
                          context_comm + expert_comm) /
                         m;

  StepTime& s = r.step;
  s.forward = core::Time::from_base(layers.forward + edge.forward);
  s.backward = core::Time::from_base(layers.backward + edge.backward);
  s.recompute = core::Time::from_base(layers.recompute + edge.recompute);
  s.optimizer = core::Time::from_base(optimizer);
  s.tensor_comm = core::Time::from_base(tensor_exposed + edge.comm);
  s.context_comm = core::Time::from_base(context_comm);
  s.expert_comm = core::Time::from_base(expert_comm);
  s.pipeline_comm = core::Time::from_base(pipeline_comm);
  s.data_comm = core::Time::from_base(gradient_exposed + gather_exposed);
  s.bubble = core::Time::from_base((stages - 1) / chunks * mean_mb);

  r.tokens_per_step = static_cast<double>(scenario.global_batch * scenario.sequence_length);
  // Every chip of a stage does the same work; the edges are shared out over
  // the stages in the whole-model figure.
  r.model_ops_per_chip = core::Ops::from_base(model_ops + edge_model_ops / stages);
  r.hardware_ops_per_chip = core::Ops::from_base(model_ops + edge_model_ops / stages + recompute_ops);
  const double peak = timer.tensor_peak().base();
  const double step = s.total().base();
  r.mfu = r.model_ops_per_chip.base() / (peak * step);
  r.hfu = r.hardware_ops_per_chip.base() / (peak * step);
  r.memory = workload::training_memory(model, scenario);
  r.fits = r.memory.total() <= chip.memory.capacity();
  return r;
}

}  // namespace tfab::system
