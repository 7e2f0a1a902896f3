#include "tensorfab/workload/training.h"

#include <fmt/format.h>

#include <algorithm>
#include <array>

#include "tensorfab/config/reader.h"

namespace tfab::workload {
namespace {

using config::Limits;

const std::array<std::string, 3> kRecomputeNames{"none", "selective", "full"};
const std::array<std::string, 2> kAttentionNames{"flash", "dense"};
const std::array<std::string, 1> kOptimizers{"adam"};
const std::array<std::string, 3> kTensorOverlapNames{"none", "backward", "all"};

// Far beyond any cluster built; keeps every product of layout sizes in int64.
constexpr double kMaxChips = 1e8;

// Adam with mixed precision keeps an FP32 master copy and two FP32 moments
// per parameter (Micikevicius et al. 2018; Rajbhandari et al. 2020, ZeRO §3).
constexpr double kAdamStateBytes = 4 + 4 + 4;

Parallelism read_parallelism(config::MapReader r) {
  Parallelism p;
  const Limits ways = Limits::between(1, 1e6);
  p.tensor = r.optional<int64_t>("tensor", "tensor-parallel size", ways).value_or(1);
  p.pipeline = r.optional<int64_t>("pipeline", "pipeline stages", ways).value_or(1);
  p.data = r.optional<int64_t>("data", "data-parallel replicas", ways).value_or(1);
  p.expert = r.optional<int64_t>("expert", "expert-parallel size", ways).value_or(1);
  p.context = r.optional<int64_t>("context", "context-parallel size", ways).value_or(1);
  p.virtual_stages = r.optional<int64_t>("virtual_stages", "model chunks per stage (interleaving)", ways).value_or(1);
  p.sequence_parallel = r.optional<bool>("sequence_parallel", "shard norms and dropout over TP").value_or(false);
  p.zero_stage = static_cast<int>(r.optional<int64_t>("zero", "ZeRO stage 0-3", Limits::between(0, 3)).value_or(0));
  r.finish();
  return p;
}

}  // namespace

std::string_view name(Recompute r) { return kRecomputeNames[static_cast<size_t>(r)]; }
std::string_view name(TensorOverlap o) { return kTensorOverlapNames[static_cast<size_t>(o)]; }

std::string_view name(CollectiveKind k) {
  switch (k) {
    case CollectiveKind::kAllReduce: return "all-reduce";
    case CollectiveKind::kReduceScatter: return "reduce-scatter";
    case CollectiveKind::kAllGather: return "all-gather";
    case CollectiveKind::kAllToAll: return "all-to-all";
    case CollectiveKind::kSendRecv: return "send/recv";
  }
  return "all-reduce";
}

std::string_view name(ParallelGroup g) {
  switch (g) {
    case ParallelGroup::kTensor: return "tensor";
    case ParallelGroup::kPipeline: return "pipeline";
    case ParallelGroup::kData: return "data";
    case ParallelGroup::kExpert: return "expert";
    case ParallelGroup::kContext: return "context";
  }
  return "tensor";
}

core::Result<TrainScenario> read_train_scenario(const config::Node& doc, const std::string& name) {
  core::Diagnostics errors;
  config::MapReader top(doc, "", errors);
  config::MapReader train = top.child("train", "a training scenario");
  top.finish();

  TrainScenario s;
  s.name = name;
  s.global_batch = train.required<int64_t>("global_batch", "sequences per optimizer step", Limits::between(1, 1e9)).value_or(1);
  s.sequence_length = train.required<int64_t>("sequence_length", "tokens per sequence", Limits::between(1, 1e8)).value_or(1);
  s.micro_batch = train.optional<int64_t>("micro_batch", "sequences per micro-batch", Limits::between(1, 1e9)).value_or(1);
  s.optimizer = train.choice("optimizer", "optimizer", kOptimizers, false).value_or("adam");
  if (auto r = train.choice("recompute", "activation recomputation", kRecomputeNames, false)) {
    s.recompute = static_cast<Recompute>(std::find(kRecomputeNames.begin(), kRecomputeNames.end(), *r) - kRecomputeNames.begin());
  }
  if (auto a = train.choice("attention", "attention kernel", kAttentionNames, false)) {
    s.attention = static_cast<AttentionKernel>(std::find(kAttentionNames.begin(), kAttentionNames.end(), *a) - kAttentionNames.begin());
  }

  s.dropout = train.optional<double>("dropout", "dropout probability (Megatron-LM's GPT: 0.1)",
                                     Limits::between(0, 0.99)).value_or(0);
  config::MapReader formats = train.child("formats", "number formats", /*is_required=*/false);
  s.formats.compute = formats.number_format("compute", "weights and activations in the step", s.formats.compute);
  s.formats.gradients = formats.number_format("gradients", "gradient accumulation and reduction", s.formats.gradients);
  s.formats.master_weights = formats.number_format("master_weights", "optimizer's copy of the weights", s.formats.master_weights);
  formats.finish();

  s.parallelism = read_parallelism(train.child("parallelism", "parallel layout", /*is_required=*/false));
  config::MapReader overlap = train.child("overlap", "communication hidden under compute", /*is_required=*/false);
  s.overlap.gradient_reduce =
      overlap.optional<bool>("gradient_reduce", "DP gradient reduction under the backward pass").value_or(false);
  s.overlap.weight_gather =
      overlap.optional<bool>("weight_gather", "ZeRO weight all-gather under the forward pass").value_or(false);
  if (auto o = overlap.choice("tensor_parallel", "TP collectives under GEMMs: none, backward or all",
                              kTensorOverlapNames, false)) {
    s.overlap.tensor_parallel = static_cast<TensorOverlap>(
        std::find(kTensorOverlapNames.begin(), kTensorOverlapNames.end(), *o) - kTensorOverlapNames.begin());
  }
  overlap.finish();
  train.finish();

  const Parallelism& p = s.parallelism;
  const double chips = static_cast<double>(p.tensor) * static_cast<double>(p.pipeline) *
                       static_cast<double>(p.data) * static_cast<double>(p.context);
  if (errors.empty() && chips > kMaxChips) {
    train.error(train.node(), "parallelism",
                fmt::format("the layout spans {:.3g} chips; tensorfab models up to {:.0e}", chips, kMaxChips));
  }
  if (errors.empty() && s.global_batch % (s.micro_batch * s.parallelism.data) != 0) {
    train.error(train.node(), "global_batch",
                fmt::format("global_batch {} is not a multiple of micro_batch x data-parallel size ({} x {})",
                            s.global_batch, s.micro_batch, s.parallelism.data));
  }
  if (!errors.empty()) return errors;
  return s;
}

core::Result<TrainScenario> load_train_scenario(const config::Catalog& catalog, std::string_view id_or_path,
                                                const config::Overrides& overrides) {
  return config::load_spec(catalog, "scenarios", id_or_path, overrides, read_train_scenario);
}

core::Diagnostics check_layout(const ModelSpec& model, const TrainScenario& s) {
  core::Diagnostics errors;
  const Parallelism& p = s.parallelism;
  auto require = [&](bool ok, std::string key, std::string message) {
    if (!ok) errors.push_back(core::bad_input(std::move(message), "train.parallelism." + key));
  };
  require(model.heads % p.tensor == 0, "tensor",
          fmt::format("{} attention heads cannot be split over {} tensor-parallel chips", model.heads, p.tensor));
  // Each kind of layer (DeepSeek-V3's dense and MoE layers) must split evenly.
  const int64_t chunks = p.pipeline * p.virtual_stages;
  const int64_t moe_layers = model.moe ? model.moe->layers : 0;
  require(model.dense_layers() % chunks == 0 && moe_layers % chunks == 0, "pipeline",
          fmt::format("{} layers cannot be split into {} stages x {} virtual stages", model.layers, p.pipeline,
                      p.virtual_stages));
  if (model.moe) {
    require(model.moe->experts % p.expert == 0, "expert",
            fmt::format("{} experts cannot be split over {} expert-parallel chips", model.moe->experts, p.expert));
  }
  require(s.sequence_length % p.context == 0, "context",
          fmt::format("sequence of {} tokens cannot be split over {} context-parallel chips", s.sequence_length, p.context));
  require(p.data % p.expert == 0, "expert",
          fmt::format("expert-parallel size {} must divide the data-parallel size {}", p.expert, p.data));
  return errors;
}

namespace {

// Parameters held by one chip of the first pipeline stage: its share of the
// stage's layers and of the input embedding over the tensor group, with the
// routed experts further spread over the expert group.
double params_per_chip(const ModelSpec& model, const Parallelism& p) {
  const double stages = static_cast<double>(p.pipeline);
  const double routed = model.moe ? static_cast<double>(model.moe->layers * model.moe->experts *
                                                        model.routed_expert_params())
                                  : 0.0;
  const double shared = static_cast<double>(model.decoder_params()) - routed;
  return ((shared + routed / static_cast<double>(p.expert)) / stages + static_cast<double>(model.embedding_params())) /
         static_cast<double>(p.tensor);
}

// Adam's update per parameter: the two moment updates (3 and 4 ops), their
// bias corrections (2), then sqrt, add epsilon, divide, decoupled weight
// decay (2), scale by the learning rate and subtract (2 + 3): 14 vector ops.
constexpr double kAdamOpsPerParam = 14;

// The backward ops of one forward op.
void add_backward(const Op& forward, AttentionKernel kernel, double gradient_bytes, std::vector<Op>& out) {
  Op back = forward;
  back.phase = Phase::kBackward;
  switch (forward.kind) {
    case OpKind::kGemm: {
      // dX = dY W^T (M x K from M x N and K x N); dW = X^T dY (K x N), accumulated.
      const double n = static_cast<double>(forward.n), k = static_cast<double>(forward.k);
      Op dgrad = back, wgrad = back;
      dgrad.name = forward.name + ".dgrad";
      wgrad.name = forward.name + ".wgrad";
      dgrad.fixed.vector_ops = wgrad.fixed.vector_ops = core::Ops{};
      // Same operands as the forward pass, in other roles: dgrad reads dY and W,
      // writes dX; wgrad reads X and dY and updates dW.
      dgrad.fixed.bytes = forward.fixed.bytes;
      wgrad.fixed.bytes = forward.fixed.bytes + core::Bytes::from_base(gradient_bytes * k * n * forward.groups);
      out.push_back(dgrad);
      out.push_back(wgrad);
      return;
    }
    case OpKind::kAttention: {
      const double matmuls = kernel == AttentionKernel::kFlash ? 2.5 : 2.0;
      back.fixed = forward.fixed * 2;
      back.fixed.tensor_ops = forward.fixed.tensor_ops * matmuls;
      back.name = forward.name + ".backward";
      out.push_back(back);
      return;
    }
    case OpKind::kVector:
    case OpKind::kGather:
      back.fixed = forward.fixed * 2;
      back.name = forward.name + ".backward";
      out.push_back(back);
      return;
    case OpKind::kCollective:  // the gradient of an all-reduce is an all-reduce of the same size
      back.name = forward.name + ".backward";
      out.push_back(back);
      return;
  }
}

}  // namespace

double tokens_per_chip_step(const TrainScenario& s) {
  return static_cast<double>(s.micro_batches() * s.micro_batch * s.sequence_length / s.parallelism.context);
}

Graph training_graph(const ModelSpec& model, const TrainScenario& s) {
  const Parallelism& p = s.parallelism;
  PassOptions options;
  options.sharding = {p.tensor, p.sequence_parallel, p.expert};
  options.attention = s.attention;
  options.dropout = s.dropout > 0;
  options.logits_for_every_token = true;
  const Formats formats{s.formats.compute, s.formats.compute, s.formats.compute};
  const Graph forward = forward_graph(model, formats, s.micro_batch, s.sequence_length / p.context,
                                      /*decode=*/false, options);
  const int64_t micro_batches = s.micro_batches();
  const double gradient_bytes = core::bytes_per_element(s.formats.gradients);

  Graph step;
  for (Op op : forward.ops) {
    // Layer ops repeat once per layer; this stage holds 1/p of them.
    const bool per_layer = op.per_layer;
    if (per_layer) op.repeat = std::max<int64_t>(1, op.repeat / p.pipeline);
    op.repeat *= micro_batches;
    step.ops.push_back(op);
    std::vector<Op> backward;
    add_backward(op, s.attention, gradient_bytes, backward);
    step.ops.insert(step.ops.end(), backward.begin(), backward.end());
    const bool recompute = per_layer && (s.recompute == Recompute::kFull ||
                                         (s.recompute == Recompute::kSelective && op.kind == OpKind::kAttention));
    if (recompute) {
      Op again = op;
      again.phase = Phase::kRecompute;
      again.name = op.name + ".recompute";
      step.ops.push_back(again);
    }
  }

  // Adam over this chip's parameters (its share under ZeRO): read the
  // gradient, read and write the master weight and both moments, write the
  // compute-format weights. Around it, as Megatron-LM's optimizer step
  // runs: the gradient norm for clipping reads the gradients once more, and
  // the gradient buffer is zeroed for the next step.
  const TrainingMemory memory = training_memory(model, s);
  const double params = memory.optimizer.base() / kAdamStateBytes;
  Op adam;
  adam.name = "adam";
  adam.kind = OpKind::kVector;
  adam.phase = Phase::kOptimizer;
  adam.format = s.formats.master_weights;
  adam.fixed.vector_ops = core::Ops::from_base(params * kAdamOpsPerParam);
  adam.fixed.bytes = core::Bytes::from_base(
      params * (3 * gradient_bytes + 2 * kAdamStateBytes + core::bytes_per_element(s.formats.compute)));
  step.ops.push_back(adam);
  return step;
}

core::Bytes activation_bytes_per_layer(const ModelSpec& model, const TrainScenario& scenario) {
  const Parallelism& p = scenario.parallelism;
  const double s = static_cast<double>(scenario.sequence_length / p.context);
  const double b = static_cast<double>(scenario.micro_batch);
  const double h = static_cast<double>(model.hidden);
  const double a = static_cast<double>(model.heads);
  const double t = static_cast<double>(p.tensor);
  const double sbh = s * b * h;
  const double scores = 5 * a * s / h;  // softmax input and output, dropout mask and output
  double per_layer = 0;
  switch (scenario.recompute) {
    case Recompute::kFull: per_layer = 2 * sbh; break;
    case Recompute::kSelective: per_layer = p.sequence_parallel ? sbh * 34 / t : sbh * (10 + 24 / t); break;
    case Recompute::kNone:
      per_layer = p.sequence_parallel ? sbh * (34 / t + scores / t) : sbh * (10 + 24 / t + scores / t);
      break;
  }
  return core::Bytes::from_base(per_layer);
}

TrainingMemory training_memory(const ModelSpec& model, const TrainScenario& s) {
  const Parallelism& p = s.parallelism;
  const double layers_per_stage = static_cast<double>(model.layers) / static_cast<double>(p.pipeline);
  const double params = params_per_chip(model, p);
  const double dp = static_cast<double>(p.data);
  TrainingMemory m;
  m.weights = core::Bytes::from_base(params * core::bytes_per_element(s.formats.compute) / (p.zero_stage >= 3 ? dp : 1));
  m.gradients = core::Bytes::from_base(params * core::bytes_per_element(s.formats.gradients) / (p.zero_stage >= 2 ? dp : 1));
  m.optimizer = core::Bytes::from_base(params * kAdamStateBytes / (p.zero_stage >= 1 ? dp : 1));
  // 1F1B: the first stage has min(p, m) micro-batches in flight, each with
  // its layers' activations; interleaving adds (p-1)/(p*v) of a stage
  // (Korthikanti et al. 2022, §4.2.3).
  const double in_flight = static_cast<double>(std::min(p.pipeline, s.micro_batches()));
  const double interleave = p.virtual_stages > 1 ? 1 + static_cast<double>(p.pipeline - 1) /
                                                           static_cast<double>(p.pipeline * p.virtual_stages)
                                                 : 1;
  m.activations = activation_bytes_per_layer(model, s) * (layers_per_stage * in_flight * interleave);
  return m;
}

std::vector<Collective> training_collectives(const ModelSpec& model, const TrainScenario& s) {
  const Parallelism& p = s.parallelism;
  std::vector<Collective> out;
  const double act = core::bytes_per_element(s.formats.compute);
  const double tokens = static_cast<double>(s.micro_batch * s.sequence_length / p.context);
  const core::Bytes bsh = core::Bytes::from_base(tokens * static_cast<double>(model.hidden) * act);
  const int64_t layers_per_stage = model.layers / p.pipeline;
  const int64_t per_layer_and_micro_batch = layers_per_stage * s.micro_batches();

  if (p.tensor > 1) {
    // Two of each per layer and micro-batch: attention and MLP. In the
    // backward pass Megatron-LM launches each column-parallel GEMM's (QKV,
    // up) input-gradient reduction asynchronously and computes its weight
    // gradient meanwhile; with SP it keeps only its 1/t share of that GEMM's
    // input and gathers it again (Korthikanti et al. 2022 §4.2.2, §6.2).
    const int64_t pairs = 2 * per_layer_and_micro_batch;
    const bool full = s.recompute == Recompute::kFull;
    auto add = [&](std::string name, CollectiveKind kind, Phase phase, bool asynchronous) {
      out.push_back(
          {std::move(name), kind, ParallelGroup::kTensor, p.tensor, bsh, pairs, phase, asynchronous, Stage::kEvery});
    };
    if (p.sequence_parallel) {
      add("tp_forward_all_gather", CollectiveKind::kAllGather, Phase::kForward, false);
      add("tp_forward_reduce_scatter", CollectiveKind::kReduceScatter, Phase::kForward, false);
      if (full) {
        add("tp_recompute_all_gather", CollectiveKind::kAllGather, Phase::kRecompute, false);
        add("tp_recompute_reduce_scatter", CollectiveKind::kReduceScatter, Phase::kRecompute, false);
      }
      add("tp_backward_all_gather", CollectiveKind::kAllGather, Phase::kBackward, false);
      add("tp_backward_reduce_scatter", CollectiveKind::kReduceScatter, Phase::kBackward, true);
      add("tp_backward_input_all_gather", CollectiveKind::kAllGather, Phase::kBackward, true);
    } else {
      add("tp_forward_all_reduce", CollectiveKind::kAllReduce, Phase::kForward, false);
      if (full) add("tp_recompute_all_reduce", CollectiveKind::kAllReduce, Phase::kRecompute, false);
      add("tp_backward_all_reduce", CollectiveKind::kAllReduce, Phase::kBackward, true);
    }
    // The vocabulary-parallel edges, once per micro-batch (Megatron-LM's
    // VocabParallelEmbedding, parallel_lm_logits, vocab_parallel_cross_entropy):
    // the embedding's partial rows summed (with SP, scattered; their gradient
    // gathered back), the LM head's input gathered under SP (its gradient
    // scattered) or its gradient summed without; the loss's maximum, sum of
    // exponentials and target logits, one FP32 value per token each.
    const int64_t m = s.micro_batches();
    auto edge = [&](std::string name, CollectiveKind kind, core::Bytes bytes, int64_t count, Phase phase,
                    Stage stage) {
      out.push_back({std::move(name), kind, ParallelGroup::kTensor, p.tensor, bytes, count, phase, false, stage});
    };
    if (p.sequence_parallel) {
      edge("tp_embedding_reduce_scatter", CollectiveKind::kReduceScatter, bsh, m, Phase::kForward, Stage::kFirst);
      edge("tp_embedding_all_gather", CollectiveKind::kAllGather, bsh, m, Phase::kBackward, Stage::kFirst);
      edge("tp_lm_head_all_gather", CollectiveKind::kAllGather, bsh, m, Phase::kForward, Stage::kLast);
      edge("tp_lm_head_reduce_scatter", CollectiveKind::kReduceScatter, bsh, m, Phase::kBackward, Stage::kLast);
    } else {
      edge("tp_embedding_all_reduce", CollectiveKind::kAllReduce, bsh, m, Phase::kForward, Stage::kFirst);
      edge("tp_lm_head_all_reduce", CollectiveKind::kAllReduce, bsh, m, Phase::kBackward, Stage::kLast);
    }
    edge("tp_loss_all_reduce", CollectiveKind::kAllReduce, core::Bytes::from_base(tokens * 4), 3 * m,
         Phase::kForward, Stage::kLast);
  }
  if (p.context > 1) {
    // Each chip gathers the keys and values (MLA: the latent) of the whole
    // sequence and reduce-scatters their gradients; GQA's KV heads are split
    // over the tensor group, MLA's latent is not.
    const double kv_width = static_cast<double>(model.kv_elements_per_token() / model.layers);
    const double kv_share = model.mla ? 1.0 : static_cast<double>(p.tensor);
    const core::Bytes kv = core::Bytes::from_base(tokens * kv_width * act / kv_share);
    out.push_back({"cp_kv_all_gather", CollectiveKind::kAllGather, ParallelGroup::kContext, p.context, kv,
                   per_layer_and_micro_batch, Phase::kForward, false, Stage::kEvery});
    out.push_back({"cp_kv_reduce_scatter", CollectiveKind::kReduceScatter, ParallelGroup::kContext, p.context, kv,
                   per_layer_and_micro_batch, Phase::kBackward, false, Stage::kEvery});
  }
  if (model.moe && p.expert > 1) {
    // Routed tokens go to their experts' chips and come back: dispatch and
    // combine in the forward pass, their gradients in the backward, per MoE
    // layer and micro-batch; each chip sends its tokens x top-k rows.
    const core::Bytes routed = core::Bytes::from_base(tokens * static_cast<double>(model.moe->experts_per_token) *
                                                      static_cast<double>(model.hidden) * act);
    const int64_t moe_layers_per_stage = model.moe->layers / p.pipeline;
    out.push_back({"ep_all_to_all", CollectiveKind::kAllToAll, ParallelGroup::kExpert, p.expert, routed,
                   4 * moe_layers_per_stage * s.micro_batches(), Phase::kForward, false, Stage::kEvery});
  }
  if (p.pipeline > 1) {
    // Activations forward and their gradients back, once per micro-batch and
    // model chunk. Each TP rank sends only its 1/t share: with SP that is all
    // it holds; without, the receiver gathers the whole over the TP group
    // (the scatter/gather of Narayanan et al. 2021 §4.1).
    const int64_t messages = 2 * s.micro_batches() * p.virtual_stages;
    out.push_back({"pp_send_recv", CollectiveKind::kSendRecv, ParallelGroup::kPipeline, 2,
                   bsh / static_cast<double>(p.tensor), messages, Phase::kForward, false, Stage::kEvery});
    if (p.tensor > 1 && !p.sequence_parallel) {
      out.push_back({"pp_tp_all_gather", CollectiveKind::kAllGather, ParallelGroup::kTensor, p.tensor, bsh, messages,
                     Phase::kForward, false, Stage::kEvery});
    }
  }
  const int64_t dp_group = p.data * p.context;
  if (dp_group > 1) {
    const double params = params_per_chip(model, p);
    const core::Bytes grads = core::Bytes::from_base(params * core::bytes_per_element(s.formats.gradients));
    const core::Bytes weights = core::Bytes::from_base(params * core::bytes_per_element(s.formats.compute));
    if (p.zero_stage == 0) {
      out.push_back({"dp_gradient_all_reduce", CollectiveKind::kAllReduce, ParallelGroup::kData, dp_group, grads, 1,
                     Phase::kBackward, false, Stage::kEvery});
    } else {
      out.push_back({"dp_gradient_reduce_scatter", CollectiveKind::kReduceScatter, ParallelGroup::kData, dp_group,
                     grads, 1, Phase::kBackward, false, Stage::kEvery});
      // ZeRO-3 gathers the weights before the forward and the backward pass.
      out.push_back({"dp_weight_all_gather", CollectiveKind::kAllGather, ParallelGroup::kData, dp_group, weights,
                     p.zero_stage >= 3 ? 2 : 1, Phase::kForward, false, Stage::kEvery});
    }
  }
  return out;
}

}  // namespace tfab::workload
