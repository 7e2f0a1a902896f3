#pragma once
// Training: the scenario (batch, sequence, formats, optimizer, activation
// recomputation, parallel layout), the memory each chip needs, and the
// collectives each chip takes part in during one optimizer step.
//
// Formulas follow Megatron-LM: Narayanan et al., "Efficient Large-Scale
// Language Model Training on GPU Clusters Using Megatron-LM", SC21
// (arXiv:2104.04473), and Korthikanti et al., "Reducing Activation
// Recomputation in Large Transformer Models", MLSys 2023 (arXiv:2205.05198).

#include <cstdint>
#include <string>
#include <vector>

#include "tensorfab/config/load.h"
#include "tensorfab/core/number_format.h"
#include "tensorfab/core/units.h"
#include "tensorfab/workload/graph.h"
#include "tensorfab/workload/model.h"

namespace tfab::workload {

enum class Recompute {
  kNone,       // keep every activation the backward pass needs
  kSelective,  // recompute attention's softmax, dropout and score work (Korthikanti §5)
  kFull,       // keep only each layer's input; recompute the whole layer
};
[[nodiscard]] std::string_view name(Recompute r);


struct Parallelism {
  int64_t tensor = 1;          // TP: splits each layer's matrices
  int64_t pipeline = 1;        // PP: splits the layers into stages
  int64_t data = 1;            // DP: replicas, each on its own micro-batches
  int64_t expert = 1;          // EP: splits the experts (within the data-parallel group)
  int64_t context = 1;         // CP: splits the sequence of long-context attention
  int64_t virtual_stages = 1;  // interleaved schedule: model chunks per pipeline stage
  bool sequence_parallel = false;  // SP: shard norms and dropout over the TP group
  int zero_stage = 0;          // 0 none, 1 optimizer state, 2 + gradients, 3 + weights (FSDP)
};

struct TrainFormats {
  core::NumberFormat compute = core::NumberFormat::kBF16;  // weights and activations in the step
  core::NumberFormat gradients = core::NumberFormat::kFP32;  // accumulated and reduced (Megatron's main_grad)
  core::NumberFormat master_weights = core::NumberFormat::kFP32;
};

// How much of the tensor-parallel communication runs under GEMMs:
//   none      all of it after the GEMMs it serves;
//   backward  Megatron-LM's asynchronous backward pass: each column-parallel
//             GEMM's input-gradient reduction runs under its weight-gradient
//             GEMM, and with SP the re-gather of its input under its
//             input-gradient GEMM (Korthikanti et al. 2022, §4.2.2 and §6.2);
//   all       every TP collective split and pipelined with the GEMMs beside
//             it (TransformerEngine's userbuffers, Flux).
enum class TensorOverlap { kNone, kBackward, kAll };
[[nodiscard]] std::string_view name(TensorOverlap o);

// Communication that runs under compute instead of after it. None by
// default; the overlap is free: the cost of sharing the chip with the
// communication kernels is not modelled (docs/cluster.md).
struct Overlap {
  bool gradient_reduce = false;  // DP gradient reduction under the last micro-batch's backward pass
  bool weight_gather = false;    // ZeRO's weight all-gather under the first micro-batch's forward pass
  TensorOverlap tensor_parallel = TensorOverlap::kNone;
};

struct TrainScenario {
  std::string name;
  std::string fingerprint;  // of the resolved scenario document (config::fingerprint)
  int64_t global_batch = 1;     // sequences per optimizer step
  int64_t sequence_length = 1;  // tokens per sequence
  int64_t micro_batch = 1;      // sequences per micro-batch on one pipeline
  TrainFormats formats;
  std::string optimizer = "adam";
  Recompute recompute = Recompute::kNone;
  AttentionKernel attention = AttentionKernel::kFlash;
  double dropout = 0;  // probability, on the attention probabilities and the residual adds
  Parallelism parallelism;
  Overlap overlap;

  // Micro-batches each pipeline processes per step.
  [[nodiscard]] int64_t micro_batches() const { return global_batch / (micro_batch * parallelism.data); }
};

// Reads the `train:` map of a scenario document.
[[nodiscard]] core::Result<TrainScenario> read_train_scenario(const config::Node& doc, const std::string& name);
[[nodiscard]] core::Result<TrainScenario> load_train_scenario(const config::Catalog& catalog,
                                                              std::string_view id_or_path,
                                                              const config::Overrides& overrides = {});

// Checks that the layout divides the model and the batch evenly; each
// problem is reported against its scenario key.
[[nodiscard]] core::Diagnostics check_layout(const ModelSpec& model, const TrainScenario& scenario);

// Activation bytes one transformer layer keeps for the backward pass, per
// chip, with 16-bit activations (Korthikanti et al. 2022, §4 and Table 2):
//   no parallelism              sbh (34 + 5as/h)
//   tensor parallel             sbh (10 + 24/t + 5as/(ht))
//   tensor + sequence parallel  sbh/t (34 + 5as/h)
//   selective recompute         drops the 5as/h term (the attention scores)
//   full recompute              2sbh (only the layer's input), /t with SP
// where s is the sequence, b the micro-batch, h the hidden size, a the
// heads and t the tensor-parallel size.
[[nodiscard]] core::Bytes activation_bytes_per_layer(const ModelSpec& model, const TrainScenario& scenario);

struct TrainingMemory {
  core::Bytes weights;      // compute-format copy of this chip's parameters
  core::Bytes gradients;
  core::Bytes optimizer;    // master weights and Adam moments
  core::Bytes activations;  // held at the peak of the pipeline schedule
  [[nodiscard]] core::Bytes total() const { return weights + gradients + optimizer + activations; }
};

// Memory per chip on the first pipeline stage (the fullest under 1F1B:
// it holds activations for `pipeline` micro-batches in flight).
[[nodiscard]] TrainingMemory training_memory(const ModelSpec& model, const TrainScenario& scenario);

// One chip's work in one optimizer step, on the first pipeline stage: every
// micro-batch's forward and backward pass over the stage's layers (tensor-,
// sequence- and expert-parallel shares), the recomputation the scenario asks
// for, and the optimizer update of the chip's parameters. Ops are tagged
// with their phase; repeat counts include the micro-batches. The embedding
// and the LM head are included once, as if first and last stage were one,
// so that a single-stage layout is exact.
//
// Backward passes (Narayanan et al. 2021 §5.1: backward = 2 x forward for
// GEMMs): each GEMM gives a data-gradient and a weight-gradient GEMM of the
// same size; flash attention's backward recomputes the scores, 5 matmuls to
// the forward's 2 (Dao 2023, FlashAttention-2 §3.1.2), a dense kernel's
// reuses the stored scores, 4 to 2; vector ops read their input and the
// incoming gradient and write one gradient.
[[nodiscard]] Graph training_graph(const ModelSpec& model, const TrainScenario& scenario);

// Tokens one chip's training graph processes per step.
[[nodiscard]] double tokens_per_chip_step(const TrainScenario& scenario);

enum class CollectiveKind { kAllReduce, kReduceScatter, kAllGather, kAllToAll, kSendRecv };
[[nodiscard]] std::string_view name(CollectiveKind k);

enum class ParallelGroup { kTensor, kPipeline, kData, kExpert, kContext };
[[nodiscard]] std::string_view name(ParallelGroup g);

// Which pipeline stages run a collective: every one (the layers'), or only
// the first (the embedding's) or the last (the LM head's and the loss's).
enum class Stage { kEvery, kFirst, kLast };

// One kind of collective a chip takes part in: `count` times per step, each
// moving a buffer of `bytes` per chip (the size of the tensor being reduced
// or gathered, as NCCL counts it) within a group of `group_size` chips.
struct Collective {
  std::string name;  // "tp_forward_all_reduce"
  CollectiveKind kind = CollectiveKind::kAllReduce;
  ParallelGroup group = ParallelGroup::kTensor;
  int64_t group_size = 1;
  core::Bytes bytes;
  int64_t count = 0;
  Phase phase = Phase::kForward;
  // Launched asynchronously beside a GEMM that does not wait for it (the
  // `backward` tensor overlap).
  bool asynchronous = false;
  Stage stage = Stage::kEvery;

  [[nodiscard]] core::Bytes total() const { return bytes * static_cast<double>(count); }
};

// The collectives of one optimizer step on one chip of the first pipeline
// stage (Narayanan et al. 2021 §3; Korthikanti et al. 2022 §4.2.2):
// per layer and micro-batch, two all-reduces of the b*s*h activations in the
// forward pass and two in the backward (with SP: an all-gather and a
// reduce-scatter in place of each, and in the backward pass the two
// column-parallel GEMMs' inputs gathered again; full recompute repeats the
// forward's); per micro-batch, the vocabulary-parallel embedding's and LM
// head's (first and last stage) and the loss's three small all-reduces;
// b*s*h activations sent to the next stage and gradients back per
// micro-batch, each TP rank sending its 1/t share and the receiver
// gathering the whole without SP; the gradients all-reduced over the
// data-parallel group (ZeRO:
// reduce-scatter, then all-gather of the updated weights); MoE layers
// exchange routed tokens all-to-all over the expert group.
[[nodiscard]] std::vector<Collective> training_collectives(const ModelSpec& model, const TrainScenario& scenario);

}  // namespace tfab::workload
