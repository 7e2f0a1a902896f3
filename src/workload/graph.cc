#include "tensorfab/workload/graph.h"

#include <algorithm>
#include <cmath>

namespace tfab::workload {
namespace {

using core::Bytes;
using core::Ops;

// Vector-unit operations per element, counted as a SIMD unit would issue
// them: RMSNorm squares, sums, scales by rsqrt and by its weight (4);
// LayerNorm also sums for the mean, subtracts it and adds its bias (7); RoPE
// multiplies by cos and sin and adds (3); SiLU-gating computes
// x * sigmoid(x) * up with an exp, an add, a divide and two multiplies (5);
// GPT-2's tanh-approximated GELU, 0.5x(1 + tanh(sqrt(2/pi)(x + 0.044715x^3))),
// takes two multiplies for x^3, then a multiply, an add, a multiply, the
// tanh, an add and two multiplies (9); online softmax takes a max,
// subtracts, exponentiates, sums and rescales each score (5).
constexpr double kNormOps = 4, kLayerNormOps = 7, kRopeOps = 3, kSiluMulOps = 5, kGeluOps = 9,
                 kSoftmaxOps = 5, kAddOps = 1;
// Of those, one per element is a transcendental (the exp of softmax and
// SiLU, the tanh of GELU), issued to the special-function units.
constexpr double kExpOps = 1;

constexpr double kStreamBytes = 2;  // 16-bit residual stream

Ops ops(double n) { return Ops::from_base(n); }
Bytes bytes(double n) { return Bytes::from_base(n); }
double real(int64_t n) { return static_cast<double>(n); }

// Expected number of distinct experts that `tokens` tokens touch when each
// picks `top_k` of `experts`, every expert with probability top_k/experts,
// independently across tokens: E (1 - (1 - k/E)^T). Real routers are
// skewed, and touch fewer.
double experts_touched(int64_t experts, int64_t top_k, double tokens) {
  const double e = real(experts);
  return e * (1 - std::pow(1 - real(top_k) / e, tokens));
}

// Builds one chip's graph with the model's shapes, the formats and the
// chip's share of each layer.
class GraphBuilder {
 public:
  GraphBuilder(const ModelSpec& m, const Formats& f, const PassOptions& options)
      : m_(m),
        options_(options),
        t_(options.sharding.tensor),
        compute_(f.compute()),
        attention_(f.attention()),
        w_(core::bytes_per_element(f.weights)),
        a_(core::bytes_per_element(f.activations)),
        kv_(core::bytes_per_element(f.kv_cache)),
        s_(std::max(a_, kStreamBytes)),
        norm_ops_(m.norm == Norm::kLayer ? kLayerNormOps : kNormOps) {}

  // The embedding lookup of `tokens` tokens (and of their positions, for a
  // learned position table), summed into the residual stream.
  void embedding(double all_tokens) {
    const double tokens = token_share(all_tokens);
    Op op = make("embedding", OpKind::kGather, 1);
    const double h = real(m_.hidden);
    if (m_.learned_positions > 0) {
      op.fixed.bytes = bytes(tokens * h * (2 * w_ + s_));
      op.fixed.vector_ops = ops(tokens * h * kAddOps);
    } else {
      op.fixed.bytes = bytes(tokens * h * (w_ + s_));
    }
    op.per_layer = false;
    graph_.ops.push_back(op);
  }

  // The decoder layers over `new_tokens` per sequence, then the final norm
  // and the LM head for the last token of each sequence.
  void layers_and_head(double batch, double new_tokens, bool decode) {
    const double tokens = batch * new_tokens;
    const double last_tokens = options_.logits_for_every_token ? tokens : batch;
    const double h = real(m_.hidden), stream = token_share(tokens) * h;
    if (m_.mla) {
      latent_attention_block(batch, new_tokens, decode);
    } else {
      attention_block(batch, new_tokens, decode);
    }
    vector("mlp_norm", stream, stream, norm_ops_, m_.layers);
    if (m_.dense_layers() > 0) dense_mlp(tokens, m_.dense_layers());
    if (m_.moe && m_.moe->layers > 0) moe_mlp(tokens);
    residual("mlp_residual", stream, m_.layers);
    const double head_stream = token_share(last_tokens) * h;
    vector("final_norm", head_stream, head_stream, norm_ops_, 1);
    graph_.ops.back().per_layer = false;
    gemm("lm_head", static_cast<int64_t>(last_tokens), split(m_.vocab), m_.hidden, 1);  // vocabulary-parallel
    graph_.ops.back().per_layer = false;
  }

  Graph take() { return std::move(graph_); }

 private:
  // This chip's share of a dimension split over the tensor group.
  int64_t split(int64_t n) const { return (n + t_ - 1) / t_; }
  // Query heads on this chip; key/value heads too, each replicated when
  // there are fewer than chips (GQA with tensor parallelism wider than its KV heads).
  int64_t local_heads() const { return split(m_.heads); }
  int64_t local_kv_heads() const { return std::max<int64_t>(1, m_.kv_heads / t_); }
  // Tokens whose norms and residual adds this chip computes: all of them,
  // or its 1/t with sequence parallelism.
  double token_share(double tokens) const {
    return options_.sharding.sequence_parallel ? tokens / real(t_) : tokens;
  }

  // (M x K) activations times (K x N) weights, with a bias on N if asked.
  void gemm(std::string name, int64_t m, int64_t n, int64_t k, int64_t repeat, bool bias = false) {
    grouped_gemm(std::move(name), real(m), n, k, 1, repeat, bias);
  }

  // `groups` independent GEMMs of `rows` (M) each; every group reads its own
  // (K x N) weights.
  void grouped_gemm(std::string name, double rows, int64_t n, int64_t k, double groups, int64_t repeat,
                    bool bias = false) {
    Op op = make(std::move(name), OpKind::kGemm, repeat);
    op.m = static_cast<int64_t>(std::ceil(rows)), op.n = n, op.k = k;
    op.groups = groups;
    const double m = rows, cols = real(n), depth = real(k);
    op.fixed.tensor_ops = ops(2 * m * cols * depth * groups);
    op.element_bytes = {a_, w_, s_};
    op.weights = bytes((depth * cols * w_ + (bias ? cols * w_ : 0)) * groups);
    op.fixed.bytes = op.weights + bytes((m * depth * a_ + m * cols * s_) * groups);
    if (bias) op.fixed.vector_ops = ops(m * cols * kAddOps * groups);
    graph_.ops.push_back(op);
  }

  // The all-reduce that sums a row-parallel GEMM's partial outputs over the
  // tensor group: `tokens` rows of the hidden width.
  void all_reduce(std::string name, double tokens, int64_t repeat) {
    if (!options_.collectives || t_ == 1) return;
    Op op = make(std::move(name), OpKind::kCollective, repeat);
    op.group = t_;
    op.payload = bytes(tokens * real(m_.hidden) * s_);
    graph_.ops.push_back(op);
  }

  // Reads `in` and writes `out` activation elements, `per_element` ops each
  // (of `out`), `special_per_element` of them transcendental.
  void vector(std::string name, double in, double out, double per_element, int64_t repeat,
              double special_per_element = 0) {
    Op op = make(std::move(name), OpKind::kVector, repeat);
    op.fixed.vector_ops = ops(out * per_element);
    op.fixed.special_ops = ops(out * special_per_element);
    op.fixed.bytes = bytes((in + out) * s_);
    graph_.ops.push_back(op);
  }

  // Multi-head or grouped-query attention (Llama, Mistral, Qwen2, Mixtral, GPT-2).
  void attention_block(double batch, double new_tokens, bool decode) {
    const double tokens = batch * new_tokens, stream = token_share(tokens) * real(m_.hidden);
    const int64_t layers = m_.layers, rows = static_cast<int64_t>(tokens);
    const int64_t heads = local_heads(), kv_heads = local_kv_heads();
    vector("attn_norm", stream, stream, norm_ops_, layers);
    gemm("qkv_proj", rows, (heads + 2 * kv_heads) * m_.head_dim, m_.hidden, layers, m_.qkv_bias);
    if (m_.learned_positions == 0) {
      const double rope_width = real((heads + kv_heads) * m_.head_dim);
      vector("rope", tokens * rope_width, tokens * rope_width, kRopeOps, layers);
    }
    attention(batch, new_tokens, decode);
    gemm("o_proj", rows, m_.hidden, heads * m_.head_dim, layers, m_.output_bias);
    all_reduce("attn_all_reduce", tokens, layers);
    residual("attn_residual", stream, layers);
  }

  // Query-key pairs of a prompt of n tokens attending to itself: a flash
  // kernel skips the masked half, a dense one computes the whole square.
  double prompt_pairs(double n) const {
    return options_.attention == AttentionKernel::kFlash ? n * (n + 1) / 2 : n * n;
  }

  // A dense kernel writes the scores, reads them for the softmax, writes the
  // probabilities and reads them for PV: four passes over heads x pairs;
  // dropout reads the probabilities and writes its mask and output.
  Bytes score_traffic(double heads, double pairs) const {
    if (options_.attention != AttentionKernel::kDense) return Bytes{};
    const double per_score = 4 * a_ + (options_.dropout ? 2 * a_ + 1 : 0);
    return bytes(per_score * heads * pairs);
  }

  // A residual add with dropout also writes its 1-byte mask.
  void residual(std::string name, double stream, int64_t repeat) {
    vector(std::move(name), 2 * stream, stream, kAddOps, repeat);
    if (options_.dropout) graph_.ops.back().fixed.bytes += bytes(stream);
  }

  // Fused causal attention of `queries` new tokens per sequence. In prefill
  // the prompt attends to itself, n(n+1)/2 query-key pairs per sequence; in
  // decode the one new token attends to the whole cache, which is the
  // per-context-token term.
  void attention(double batch, double queries, bool decode) {
    Op op = make("attention", OpKind::kAttention, m_.layers);
    op.m = static_cast<int64_t>(queries) * (local_heads() / local_kv_heads());  // query rows per KV head
    op.n = m_.head_dim;
    const double q_width = real(local_heads() * m_.head_dim);
    const double kv_width = real(2 * local_kv_heads() * m_.head_dim);
    const double tokens = batch * queries;
    const double heads = real(local_heads()), hd = real(m_.head_dim);
    // Q in, output out, new K and V written to the cache.
    op.fixed.bytes = bytes(tokens * (2 * q_width * a_ + kv_width * kv_));
    Work per_pair{ops(4 * heads * hd), ops(kSoftmaxOps * heads), bytes(0), ops(kExpOps * heads)};  // QK^T and PV
    if (decode) {
      op.per_context_token = per_pair * (batch * queries);
      op.per_context_token.bytes = bytes(batch * kv_width * kv_);  // reading the cache
    } else {
      const double pairs = batch * prompt_pairs(queries);
      op.fixed = op.fixed + per_pair * pairs;
      op.fixed.bytes += bytes(tokens * kv_width * a_) + score_traffic(heads, pairs);  // K and V read back
    }
    graph_.ops.push_back(op);
  }

  // Multi-head latent attention (DeepSeek-V2, arXiv:2405.04434 §2.1; the
  // same layers in V3). Queries and keys/values are projected down to small
  // latents and back up; only the KV latent and the shared RoPE key are
  // cached. Prefill decompresses K and V and runs ordinary attention. Decode
  // uses the absorbed form of §2.1.2 (as FlashMLA and vLLM serve it): W_UK
  // is folded into the query (q_absorb) and W_UV into the output
  // (v_absorb), so attention runs over the cached latent itself.
  void latent_attention_block(double batch, double new_tokens, bool decode) {
    const LatentAttention& a = *m_.mla;
    const double tokens = batch * new_tokens, stream = token_share(tokens) * real(m_.hidden);
    // The down-projections are small and replicated; the up-projections and
    // the output split heads over the tensor group.
    const int64_t layers = m_.layers, rows = static_cast<int64_t>(tokens), heads = local_heads();
    vector("attn_norm", stream, stream, norm_ops_, layers);
    if (a.q_lora_rank > 0) {
      gemm("q_down_proj", rows, a.q_lora_rank, m_.hidden, layers);
      vector("q_norm", tokens * real(a.q_lora_rank), tokens * real(a.q_lora_rank), kNormOps, layers);
      gemm("q_up_proj", rows, heads * a.qk_head_dim(), a.q_lora_rank, layers);
    } else {
      gemm("q_proj", rows, heads * a.qk_head_dim(), m_.hidden, layers);
    }
    gemm("kv_down_proj", rows, a.kv_lora_rank + a.qk_rope_head_dim, m_.hidden, layers);
    vector("kv_norm", tokens * real(a.kv_lora_rank), tokens * real(a.kv_lora_rank), kNormOps, layers);
    // RoPE on every query head's rope part and on the one shared key.
    const double rope_width = real((heads + 1) * a.qk_rope_head_dim);
    vector("rope", tokens * rope_width, tokens * rope_width, kRopeOps, layers);
    if (decode) {
      grouped_gemm("q_absorb", tokens, a.kv_lora_rank, a.qk_nope_head_dim, real(heads), layers);
      latent_attention(batch, new_tokens, decode);
      grouped_gemm("v_absorb", tokens, a.v_head_dim, a.kv_lora_rank, real(heads), layers);
    } else {
      gemm("kv_up_proj", rows, heads * (a.qk_nope_head_dim + a.v_head_dim), a.kv_lora_rank, layers);
      latent_attention(batch, new_tokens, decode);
    }
    gemm("o_proj", rows, m_.hidden, heads * a.v_head_dim, layers);
    all_reduce("attn_all_reduce", tokens, layers);
    residual("attn_residual", stream, layers);
  }

  // Per query-key pair, with r = kv_lora_rank, p = qk_rope_head_dim, d_n =
  // qk_nope_head_dim, d_v = v_head_dim and 2 FLOPs per multiply-add:
  //   prefill (decompressed, MHA-like): 2(d_n + p) for QK^T, 2 d_v for PV, per head;
  //   decode (absorbed): the score is q_latent . c_KV + q_rope . k_rope, r + p
  //   multiply-adds, and the output sum_t p_t c_KV,t is r more, so
  //   2(r + p) + 2r per head — DeepSeek-V2 §2.1.2's absorption applied to
  //   the attention of §2.1.3. Decode reads r + p cached elements per token
  //   and layer, shared by all heads.
  void latent_attention(double batch, double queries, bool decode) {
    const LatentAttention& a = *m_.mla;
    Op op = make("attention", OpKind::kAttention, m_.layers);
    op.m = static_cast<int64_t>(queries) * local_heads();  // every head reads the one latent
    const double tokens = batch * queries, heads = real(local_heads());
    const double r = real(a.kv_lora_rank), p = real(a.qk_rope_head_dim);
    const double d_nope = real(a.qk_nope_head_dim), d_v = real(a.v_head_dim);
    const double cached = r + p;
    if (decode) {
      // Absorbed query (latent and RoPE parts) in, latent output out, the new latent cached.
      op.fixed.bytes = bytes(tokens * (heads * (r + p) * a_ + heads * r * a_ + cached * kv_));
      const Work per_pair{ops((2 * (r + p) + 2 * r) * heads), ops(kSoftmaxOps * heads), bytes(0), ops(kExpOps * heads)};
      op.per_context_token = per_pair * tokens;
      op.per_context_token.bytes = bytes(batch * cached * kv_);
    } else {
      // Q in, output out, the latent cached, then the decompressed K (nope
      // part per head, one shared RoPE key) and V of the prompt read back.
      op.fixed.bytes = bytes(tokens * (heads * (d_nope + p) * a_ + heads * d_v * a_ + cached * kv_) +
                             tokens * (heads * (d_nope + d_v) + p) * a_);
      const Work per_pair{ops((2 * (d_nope + p) + 2 * d_v) * heads), ops(kSoftmaxOps * heads), bytes(0), ops(kExpOps * heads)};
      const double pairs = batch * prompt_pairs(queries);
      op.fixed = op.fixed + per_pair * pairs;
      op.fixed.bytes += score_traffic(heads, pairs);
    }
    graph_.ops.push_back(op);
  }

  // The dense MLP of the `repeat` dense layers.
  void dense_mlp(double tokens, int64_t repeat) {
    const int64_t rows = static_cast<int64_t>(tokens), width = split(m_.intermediate);
    const double ffn = real(width);
    if (m_.gated_mlp) {
      gemm("gate_up_proj", rows, 2 * width, m_.hidden, repeat, m_.mlp_bias);
      vector("silu_mul", 2 * tokens * ffn, tokens * ffn, kSiluMulOps, repeat, kExpOps);
    } else {
      gemm("up_proj", rows, width, m_.hidden, repeat, m_.mlp_bias);
      vector("gelu", tokens * ffn, tokens * ffn, kGeluOps, repeat, kExpOps);
    }
    gemm("down_proj", rows, m_.hidden, width, repeat, m_.mlp_bias);
    all_reduce("mlp_all_reduce", tokens, repeat);
  }

  // The MoE MLP of the MoE layers. Every token is routed to top-k experts;
  // its activations are copied into expert order (dispatch), each expert
  // runs its gated MLP over the tokens it got, and the outputs are weighted
  // and summed back (combine), with the shared expert's output added.
  //
  // FLOPs follow the routed tokens: T*k rows through expert GEMMs in all.
  // Weight bytes follow the experts touched: with T tokens, the expected
  // number of distinct experts hit (experts_touched), so that a small decode
  // batch reads only a few experts and a prefill reads them all.
  void moe_mlp(double tokens) {
    const MixtureOfExperts& e = *m_.moe;
    const int64_t moe_layers = e.layers, rows = static_cast<int64_t>(tokens);
    const double h = real(m_.hidden), top_k = real(e.experts_per_token), experts = real(e.experts);
    const double routed = tokens * top_k;  // token-expert pairs this chip computes (balanced routing)
    // With expert parallelism a chip holds 1/ep of the experts and serves the
    // tokens of the whole expert group that picked them.
    const double ep = real(options_.sharding.expert);
    const double touched = experts_touched(e.experts, e.experts_per_token, tokens * ep) / ep;
    const double rows_per_expert = routed / touched;

    gemm("router", rows, e.experts, m_.hidden, moe_layers);
    {
      // Softmax (Mixtral, Qwen) or sigmoid (DeepSeek-V3) over the logits,
      // then top-k taken as k compare-and-select passes over them.
      Op op = make("router_topk", OpKind::kVector, moe_layers);
      op.fixed.vector_ops = ops(tokens * experts * (kSoftmaxOps + top_k));
      op.fixed.special_ops = ops(tokens * experts * kExpOps);
      op.fixed.bytes = bytes(tokens * (experts + 2 * top_k) * s_);  // logits in, weights and indices out
      graph_.ops.push_back(op);
    }
    {
      Op op = make("moe_dispatch", OpKind::kGather, moe_layers);
      op.fixed.bytes = bytes((tokens + routed) * h * s_);  // each token read once, written once per expert
      graph_.ops.push_back(op);
    }
    // Experts split their width over the tensor group too (expert tensor parallelism).
    const int64_t width = split(e.expert_intermediate);
    const double ffn = real(width);
    grouped_gemm("expert_gate_up_proj", rows_per_expert, 2 * width, m_.hidden, touched, moe_layers);
    vector("expert_silu_mul", 2 * routed * ffn, routed * ffn, kSiluMulOps, moe_layers, kExpOps);
    grouped_gemm("expert_down_proj", rows_per_expert, m_.hidden, width, touched, moe_layers);

    double combine_inputs = routed * h, ops_per_output = 2 * top_k;  // multiply by the routing weight, add
    if (e.shared_intermediate > 0) {
      const int64_t shared_width = split(e.shared_intermediate);
      const double shared_ffn = real(shared_width);
      gemm("shared_gate_up_proj", rows, 2 * shared_width, m_.hidden, moe_layers);
      vector("shared_silu_mul", 2 * tokens * shared_ffn, tokens * shared_ffn, kSiluMulOps, moe_layers, kExpOps);
      gemm("shared_down_proj", rows, m_.hidden, shared_width, moe_layers);
      if (e.shared_expert_gate) {
        gemm("shared_expert_gate", rows, 1, m_.hidden, moe_layers);
        ops_per_output += 1;  // the sigmoid-gate multiply
      }
      combine_inputs += tokens * h;
      ops_per_output += 1;  // adding the shared expert's output
    }
    {
      Op op = make("moe_combine", OpKind::kVector, moe_layers);
      op.fixed.vector_ops = ops(tokens * h * ops_per_output);
      op.fixed.bytes = bytes((combine_inputs + tokens * h) * s_);
      graph_.ops.push_back(op);
    }
    all_reduce("moe_all_reduce", tokens, moe_layers);
  }

  Op make(std::string name, OpKind kind, int64_t repeat) const {
    Op op;
    op.name = std::move(name);
    op.kind = kind;
    op.format = kind == OpKind::kAttention ? attention_ : compute_;
    op.repeat = repeat;
    return op;
  }

  const ModelSpec& m_;
  PassOptions options_;
  int64_t t_;  // tensor-parallel size
  core::NumberFormat compute_, attention_;
  double w_, a_, kv_;  // bytes per element
  // Activations narrower than 16 bits are GEMM inputs only: the kernel that
  // produces them quantises on the fly, while GEMM outputs, the residual
  // stream, norms and all-reduces stay in 16-bit (as FP8 inference in
  // TensorRT-LLM and vLLM, and Transformer Engine training, run).
  double s_;
  double norm_ops_;    // per element of the model's norm
  Graph graph_;
};

}  // namespace

std::string_view name(Phase phase) {
  switch (phase) {
    case Phase::kForward: return "forward";
    case Phase::kBackward: return "backward";
    case Phase::kRecompute: return "recompute";
    case Phase::kOptimizer: return "optimizer";
  }
  return "forward";
}

std::string_view name(AttentionKernel k) { return k == AttentionKernel::kFlash ? "flash" : "dense"; }

std::string_view name(OpKind kind) {
  switch (kind) {
    case OpKind::kGemm: return "gemm";
    case OpKind::kAttention: return "attention";
    case OpKind::kVector: return "vector";
    case OpKind::kGather: return "gather";
    case OpKind::kCollective: return "collective";
  }
  return "gemm";
}

Work Graph::total(int64_t context) const {
  Work sum;
  for (const auto& op : ops) sum = sum + op.at_context(context) * static_cast<double>(op.repeat);
  return sum;
}

Graph forward_graph(const ModelSpec& model, const Formats& formats, int64_t batch, int64_t new_tokens, bool decode,
                    const PassOptions& options) {
  GraphBuilder b(model, formats, options);
  b.embedding(real(batch * new_tokens));
  b.layers_and_head(real(batch), real(new_tokens), decode);
  return b.take();
}

namespace {
PassOptions serving_options(const ServeScenario& s) {
  PassOptions options;
  options.sharding.tensor = s.tensor_parallel;
  options.collectives = true;
  return options;
}
}  // namespace

Graph prefill_graph(const ModelSpec& model, const ServeScenario& s) {
  return forward_graph(model, s.formats, s.batch, s.prompt_length, /*decode=*/false, serving_options(s));
}

Graph decode_graph(const ModelSpec& model, const ServeScenario& s) {
  return forward_graph(model, s.formats, s.batch, 1, /*decode=*/true, serving_options(s));
}

Graph continuous_step_graph(const ModelSpec& model, const ServeScenario& s, std::optional<double> prompts_in_step) {
  Graph step = decode_graph(model, s);
  ServeScenario one = s;
  one.batch = 1;
  const Graph prompt = prefill_graph(model, one);
  // Prompts started per step: every sequence lasts `output` steps, so batch
  // / output of them finish (and are replaced) in each.
  const double prompts = prompts_in_step.value_or(real(s.batch) / real(s.output_length));
  for (const Op& p : prompt.ops) {
    auto same = std::find_if(step.ops.begin(), step.ops.end(), [&](const Op& d) { return d.name == p.name; });
    if (p.kind == OpKind::kAttention || same == step.ops.end()) {
      Op extra = p;
      if (p.kind == OpKind::kAttention) extra.name = "prefill_attention";
      // Weights are read once a step, or in a fraction of the steps.
      extra.fixed = extra.fixed * prompts;
      extra.weights = p.weights * std::min(1.0, prompts);
      extra.fixed.bytes += extra.weights - p.weights * prompts;
      if (p.kind == OpKind::kGemm) extra.m = static_cast<int64_t>(std::ceil(real(p.m) * prompts));
      extra.payload = extra.payload * prompts;
      step.ops.push_back(extra);
      continue;
    }
    // The same op over more rows: the prompt rows' work, without reading
    // the weights again.
    Work added = p.fixed * prompts;
    added.bytes -= p.weights * prompts;
    same->fixed = same->fixed + added;
    same->m = static_cast<int64_t>(std::ceil(real(same->m) + real(p.m) * prompts));
    same->payload += p.payload * prompts;
  }
  return step;
}

core::Bytes weight_bytes(const ModelSpec& model, const Formats& formats) {
  return bytes(static_cast<double>(model.total_params()) * core::bytes_per_element(formats.weights));
}

core::Bytes kv_bytes_per_token(const ModelSpec& model, const Formats& formats) {
  return bytes(static_cast<double>(model.kv_elements_per_token()) * core::bytes_per_element(formats.kv_cache));
}

ServingMemory serving_memory(const ModelSpec& model, const ServeScenario& s) {
  // A chip's share of the cache: its KV heads (replicated below one per
  // chip); latent caches (MLA) are shared by all heads and replicate.
  const double tp = real(s.tensor_parallel);
  const double kv_share = model.mla ? 1.0 : real(std::max<int64_t>(1, model.kv_heads / s.tensor_parallel)) / real(model.kv_heads);
  const core::Bytes kv_per_sequence =
      kv_bytes_per_token(model, s.formats) * (real(s.prompt_length + s.output_length) * kv_share);
  // Live activations peak in the MLP of a prefill layer: the gate and up
  // outputs (2 x intermediate) beside the residual stream and its norm
  // (2 x hidden), for every prompt token.
  const core::Bytes activations_per_sequence = bytes(real(s.prompt_length) * (2 * real(model.intermediate) / tp + 2 * real(model.hidden)) *
                                                     core::bytes_per_element(s.formats.activations));
  ServingMemory m;
  m.weights = weight_bytes(model, s.formats) / tp;
  m.kv_cache = kv_per_sequence * real(s.batch);
  if (s.batching == Batching::kContinuous) {
    // A step prefills the prompts of the sequences that finished in it,
    // batch / output on average: at most one more than that, a bound that
    // stays linear in the batch.
    const core::Bytes per_prompt = activations_per_sequence / real(s.output_length);
    m.batch_independent = activations_per_sequence;
    m.activations = m.batch_independent + per_prompt * real(s.batch);
    m.per_sequence = kv_per_sequence + per_prompt;
  } else {
    m.activations = activations_per_sequence * real(s.batch);
    m.per_sequence = kv_per_sequence + activations_per_sequence;
  }
  return m;
}

}  // namespace tfab::workload
