#pragma once
// One optimizer step of a training run on a cluster: the chip's operators
// timed at a perf tier, its collectives on the system's network, and the
// pipeline schedule that strings the micro-batches together.
//
// The step of the slowest pipeline stage (the last: it holds the LM head and
// the loss), with m micro-batches, p stages and v model chunks per stage
// (Narayanan et al. 2021, §2.2):
//
//   step = m x (slowest stage's micro-batch)           forward, backward, recompute,
//                                                      exposed TP/CP/EP communication
//        + (p - 1) / v x (mean stage's micro-batch)    the bubble of 1F1B or interleaving
//        + pipeline sends and receives                 2 m v per step, blocking
//        + data-parallel reduction (and ZeRO gathers)  after the flush, less what overlaps
//        + optimizer
//
// MFU counts the model's tensor FLOPs of the forward and backward passes;
// HFU adds the recomputed ones (Korthikanti et al. 2022, §6).

#include <cstdint>
#include <string>
#include <vector>

#include "tensorfab/core/result.h"
#include "tensorfab/hw/chip.h"
#include "tensorfab/perf/tier.h"
#include "tensorfab/system/collective.h"
#include "tensorfab/system/topology.h"
#include "tensorfab/workload/model.h"
#include "tensorfab/workload/training.h"

namespace tfab::system {

// The step's time by where it goes; the parts add up to the step.
struct StepTime {
  core::Time forward, backward, recompute, optimizer;  // compute on the slowest stage
  core::Time tensor_comm, context_comm, expert_comm;   // exposed, inside each micro-batch
  core::Time pipeline_comm;                            // sends and receives between stages
  core::Time data_comm;                                // exposed gradient reduction and weight gathers
  core::Time bubble;                                   // pipeline fill and drain

  [[nodiscard]] core::Time communication() const {
    return tensor_comm + context_comm + expert_comm + pipeline_comm + data_comm;
  }
  [[nodiscard]] core::Time total() const {
    return forward + backward + recompute + optimizer + communication() + bubble;
  }
};

// One kind of collective of the step on the system.
struct CollectiveCost {
  workload::Collective collective;
  CollectiveTime each;  // one instance
  core::Time exposed;   // of all instances in the step, after overlap
};

struct TrainingResult {
  int64_t chips = 1;
  int64_t micro_batches = 1;
  StepTime step;
  std::vector<CollectiveCost> collectives;
  double tokens_per_step = 0;
  core::Ops model_ops_per_chip;     // forward and backward tensor work per chip per step
  core::Ops hardware_ops_per_chip;  // recomputation included
  double mfu = 0, hfu = 0;          // of the dense peak in the compute format
  workload::TrainingMemory memory;  // per chip, first stage
  bool fits = true;                 // within the chip's memory

  [[nodiscard]] double tokens_per_s() const { return tokens_per_step / step.total().base(); }
  [[nodiscard]] core::Time time_to_train(double tokens) const {
    return core::Time::from_base(tokens / tokens_per_s());
  }
};

// Fails (bad input) when the layout does not divide the model or needs more
// chips than the system has, or the chip lacks the compute format.
[[nodiscard]] core::Result<TrainingResult> train_step(const hw::ChipSpec& chip,
                                                      const workload::ModelSpec& model,
                                                      const workload::TrainScenario& scenario,
                                                      const System& system,
                                                      perf::Tier tier = perf::Tier::kTile);

// A system of one level: the chip's scale-up link joining `chips` chips in
// one switch, for layouts run without a system file (the chip must have a
// scale-up link).
[[nodiscard]] System single_switch(const hw::ChipSpec& chip, int64_t chips);

}  // namespace tfab::system
