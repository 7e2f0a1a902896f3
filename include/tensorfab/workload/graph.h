#pragma once
// The operator graph of one forward pass, with the FLOPs and bytes of each
// operator. Layers are identical, so a per-layer operator appears once with
// a repeat count: the cost of evaluating a model grows with its unique
// operator shapes, not with its depth.
//
// Decode steps differ only in how much KV cache attention reads, so a decode
// operator's work is linear in the context length t (tokens in the cache,
// the new one included): work(t) = fixed + per_context_token * t. Prefill
// operators have no such term.
//
// Mixture-of-experts layers and DeepSeek's latent attention add operators
// of their own (router, token dispatch, per-expert GEMMs, combine; latent
// projections and absorbed per-head GEMMs); a model's dense and MoE layers
// are separate operator groups, each with its own repeat count.

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "tensorfab/core/number_format.h"
#include "tensorfab/core/units.h"
#include "tensorfab/workload/model.h"
#include "tensorfab/workload/scenario.h"

namespace tfab::workload {

enum class OpKind {
  kGemm,       // on the tensor units
  kAttention,  // fused flash-style attention: tensor units plus softmax on vector units
  kVector,     // elementwise and reductions on the vector units
  kGather,     // data movement only: embedding lookup, MoE token dispatch
  kCollective, // an all-reduce over the tensor-parallel group, on the chip-to-chip links
};
[[nodiscard]] std::string_view name(OpKind kind);

// Where in a training step an op runs (serving graphs are all forward).
enum class Phase { kForward, kBackward, kRecompute, kOptimizer };
[[nodiscard]] std::string_view name(Phase phase);

// How attention kernels treat the causal mask: flash-style kernels skip the
// masked half of the score matrix and keep scores on chip; older dense
// kernels compute all of it and write the scores to memory (as Megatron-LM
// did in the runs used for validation).
enum class AttentionKernel { kFlash, kDense };
[[nodiscard]] std::string_view name(AttentionKernel k);

// One chip's share of each layer (Megatron-LM, Shoeybi et al. 2019 §3):
// column-parallel GEMMs (QKV, gate/up, LM head) split N over the tensor
// group, row-parallel ones (output, down) split K, attention splits heads;
// with sequence parallelism the norms and residual adds split the tokens
// too. Expert parallelism spreads the routed experts over the expert group.
struct Sharding {
  int64_t tensor = 1;
  bool sequence_parallel = false;
  int64_t expert = 1;
};

struct PassOptions {
  Sharding sharding;
  AttentionKernel attention = AttentionKernel::kFlash;
  // Training with dropout (Megatron-LM's GPT): a dense kernel's dropout on
  // the attention probabilities reads them and writes a 1-byte mask and the
  // dropped copy that PV reads; flash kernels drop in registers. The residual
  // adds write a 1-byte mask per element (Korthikanti et al. 2022, §4.1).
  bool dropout = false;
  bool logits_for_every_token = false;  // training takes the loss at every position
  // Emit the tensor-parallel all-reduces (after the attention output and the
  // MLP) as kCollective ops. Serving graphs do; training counts its
  // collectives itself (training_collectives).
  bool collectives = false;
};

// Work that is linear in the context length t.
struct Work {
  core::Ops tensor_ops;   // on the tensor units, in the op's format
  core::Ops vector_ops;   // on the vector units
  core::Bytes bytes;      // to and from off-chip memory
  core::Ops special_ops;  // the transcendentals among vector_ops (exp, tanh), on the special-function units

  Work operator+(const Work& o) const {
    return {tensor_ops + o.tensor_ops, vector_ops + o.vector_ops, bytes + o.bytes, special_ops + o.special_ops};
  }
  Work operator*(double k) const { return {tensor_ops * k, vector_ops * k, bytes * k, special_ops * k}; }
};

struct Op {
  std::string name;  // "qkv_proj"
  OpKind kind = OpKind::kGemm;
  core::NumberFormat format = core::NumberFormat::kBF16;  // tensor-unit format
  Phase phase = Phase::kForward;
  int64_t repeat = 1;  // identical instances in the graph (layers, micro-batches)
  bool per_layer = true;  // false for the embedding, the final norm and the LM head
  // GEMM shape (M x K) * (K x N). Attention: m is the query rows per KV
  // head of one sequence, n the head width. 0 otherwise.
  int64_t m = 0, n = 0, k = 0;
  // A GEMM's bytes per element of its activations in (A), weights (B) and output (C).
  struct ElementBytes {
    double a = 2, b = 2, c = 2;
  } element_bytes;
  // A grouped GEMM runs `groups` independent problems of that shape per
  // instance: the experts a MoE layer's tokens touch (an expectation, so not
  // always whole, with m their mean rows rounded up) or the heads of MLA's
  // absorbed projections. 1 for a plain GEMM.
  double groups = 1;
  Work fixed;              // per instance
  Work per_context_token;  // per instance, times the context length t
  core::Bytes weights;     // the part of fixed.bytes that is weights, read once whatever the rows
  // kCollective: an all-reduce of `payload` bytes per chip over `group` chips.
  int64_t group = 1;
  core::Bytes payload;

  [[nodiscard]] Work at_context(int64_t t) const { return fixed + per_context_token * static_cast<double>(t); }
};

struct Graph {
  std::vector<Op> ops;

  // Totals over all ops and repeats at context length t.
  [[nodiscard]] Work total(int64_t context = 0) const;
};

// A forward pass over `batch` sequences of `new_tokens` tokens each: in
// decode, one new token per sequence attending to a growing cache.
[[nodiscard]] Graph forward_graph(const ModelSpec& model, const Formats& formats, int64_t batch, int64_t new_tokens,
                                  bool decode, const PassOptions& options = {});

// The prefill of `batch` prompts of `prompt_length` tokens: every layer over
// every prompt token, causal attention, KV cache written, logits for the
// last token of each prompt. Serving graphs are one chip's share under the
// scenario's tensor parallelism, all-reduces included.
[[nodiscard]] Graph prefill_graph(const ModelSpec& model, const ServeScenario& scenario);

// One decode step: one new token for each of `batch` sequences, attention
// over a context of t tokens.
[[nodiscard]] Graph decode_graph(const ModelSpec& model, const ServeScenario& scenario);

// One steady-state step of continuous batching with piggybacked prefill (as
// TensorRT-LLM's in-flight batching and vLLM's chunked prefill run it): the
// batch decodes one token per sequence while the prompts of the sequences
// that replace those finishing, batch / output of them on average, are
// prefilled in the same pass. GEMMs run over both sets of rows and read
// their weights once; attention runs separately for each ("attention" over
// the cache, "prefill_attention" over the new prompts). Decode ops keep
// their per-context-token term.
// `prompts` overrides the mean number of prompts prefilled in the step.
[[nodiscard]] Graph continuous_step_graph(const ModelSpec& model, const ServeScenario& scenario,
                                          std::optional<double> prompts = std::nullopt);

// What serving a scenario keeps in each chip's memory: its share of the
// weights, the KV cache of the whole batch at full context (prompt +
// output), and the largest live activation set of a prefill layer, for the
// prompts prefilled together: the whole batch's with static batching, one
// step's with continuous batching (batch / output of them, and one more). With
// tensor parallelism, each chip holds 1/tp of the weights and of the cache's
// heads (KV heads replicate when there are fewer than chips).
struct ServingMemory {
  core::Bytes weights;
  core::Bytes kv_cache;
  core::Bytes activations;
  core::Bytes per_sequence;  // cache and activations of one more sequence
  // Activations held at any batch (continuous batching: the one more prompt).
  core::Bytes batch_independent;

  [[nodiscard]] core::Bytes total() const { return weights + kv_cache + activations; }
};
[[nodiscard]] ServingMemory serving_memory(const ModelSpec& model, const ServeScenario& scenario);

// Bytes of the weights and of the KV cache per token, in the scenario's
// formats, for the whole model (all chips together).
[[nodiscard]] core::Bytes weight_bytes(const ModelSpec& model, const Formats& formats);
[[nodiscard]] core::Bytes kv_bytes_per_token(const ModelSpec& model, const Formats& formats);

}  // namespace tfab::workload
