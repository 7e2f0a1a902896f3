#include "tensorfab/workload/graph.h"

namespace tfab::workload {
namespace {

using core::Bytes;
using core::Ops;

// Vector-unit operations per element, counted as a SIMD unit would issue
// them: RMSNorm squares, sums, scales by rsqrt and by its weight (4); RoPE
// multiplies by cos and sin and adds (3); SiLU-gating computes
// x * sigmoid(x) * up with an exp, an add, a divide and two multiplies (5);
// online softmax takes a max, subtracts, exponentiates, sums and rescales
// each score (5).
constexpr double kNormOps = 4, kRopeOps = 3, kSiluMulOps = 5, kSoftmaxOps = 5, kAddOps = 1;

Ops ops(double n) { return Ops::from_base(n); }
Bytes bytes(double n) { return Bytes::from_base(n); }

// Builds one graph with the model's shapes and the scenario's formats.
class GraphBuilder {
 public:
  GraphBuilder(const ModelSpec& m, const Formats& f)
      : m_(m),
        compute_(f.compute()),
        w_(core::bytes_per_element(f.weights)),
        a_(core::bytes_per_element(f.activations)),
        kv_(core::bytes_per_element(f.kv_cache)) {}

  // (M x K) activations times (K x N) weights.
  void gemm(std::string name, int64_t m, int64_t n, int64_t k, int64_t repeat) {
    Op op = make(std::move(name), OpKind::kGemm, repeat);
    op.m = m, op.n = n, op.k = k;
    double M = static_cast<double>(m), N = static_cast<double>(n), K = static_cast<double>(k);
    op.fixed.tensor_ops = ops(2 * M * N * K);
    op.fixed.bytes = bytes(K * N * w_ + M * K * a_ + M * N * a_);
    graph_.ops.push_back(op);
  }

  // Reads `in` and writes `out` activation elements, `per_element` ops each (of `out`).
  void vector(std::string name, double in, double out, double per_element, int64_t repeat) {
    Op op = make(std::move(name), OpKind::kVector, repeat);
    op.fixed.vector_ops = ops(out * per_element);
    op.fixed.bytes = bytes((in + out) * a_);
    graph_.ops.push_back(op);
  }

  void embedding(double tokens) {
    Op op = make("embedding", OpKind::kGather, 1);
    op.fixed.bytes = bytes(tokens * static_cast<double>(m_.hidden) * (w_ + a_));
    graph_.ops.push_back(op);
  }

  // Fused causal attention of `queries` new tokens per sequence. In prefill
  // the prompt attends to itself, n(n+1)/2 query-key pairs per sequence; in
  // decode the one new token attends to the whole cache, which is the
  // per-context-token term.
  void attention(double batch, double queries, bool decode) {
    Op op = make("attention", OpKind::kAttention, m_.layers);
    const double q_width = static_cast<double>(m_.heads * m_.head_dim);
    const double kv_width = static_cast<double>(2 * m_.kv_heads * m_.head_dim);
    const double tokens = batch * queries;
    const double heads = static_cast<double>(m_.heads), hd = static_cast<double>(m_.head_dim);
    // Q in, output out, new K and V written to the cache.
    op.fixed.bytes = bytes(tokens * (2 * q_width * a_ + kv_width * kv_));
    Work per_pair{ops(4 * heads * hd), ops(kSoftmaxOps * heads), bytes(0)};  // QK^T and PV
    if (decode) {
      op.per_context_token = per_pair * (batch * queries);
      op.per_context_token.bytes = bytes(batch * kv_width * kv_);  // reading the cache
    } else {
      op.fixed = op.fixed + per_pair * (batch * queries * (queries + 1) / 2);
      op.fixed.bytes += bytes(tokens * kv_width * a_);  // K and V of the prompt, read back
    }
    graph_.ops.push_back(op);
  }

  // The decoder layers over `new_tokens` per sequence, then the final norm
  // and the LM head for the last token of each sequence.
  void layers_and_head(double batch, double new_tokens, bool decode) {
    const double tokens = batch * new_tokens, last_tokens = batch;
    const int64_t L = m_.layers, T = static_cast<int64_t>(tokens);
    const double h = static_cast<double>(m_.hidden), ffn = static_cast<double>(m_.intermediate);
    const double rope_width = static_cast<double>((m_.heads + m_.kv_heads) * m_.head_dim);
    vector("attn_norm", tokens * h, tokens * h, kNormOps, L);
    gemm("qkv_proj", T, (m_.heads + 2 * m_.kv_heads) * m_.head_dim, m_.hidden, L);
    vector("rope", tokens * rope_width, tokens * rope_width, kRopeOps, L);
    attention(batch, new_tokens, decode);
    gemm("o_proj", T, m_.hidden, m_.heads * m_.head_dim, L);
    vector("attn_residual", 2 * tokens * h, tokens * h, kAddOps, L);
    vector("mlp_norm", tokens * h, tokens * h, kNormOps, L);
    gemm("gate_up_proj", T, 2 * m_.intermediate, m_.hidden, L);
    vector("silu_mul", 2 * tokens * ffn, tokens * ffn, kSiluMulOps, L);
    gemm("down_proj", T, m_.hidden, m_.intermediate, L);
    vector("mlp_residual", 2 * tokens * h, tokens * h, kAddOps, L);
    vector("final_norm", last_tokens * h, last_tokens * h, kNormOps, 1);
    gemm("lm_head", static_cast<int64_t>(last_tokens), m_.vocab, m_.hidden, 1);
  }

  Graph take() { return std::move(graph_); }

 private:
  Op make(std::string name, OpKind kind, int64_t repeat) const {
    Op op;
    op.name = std::move(name);
    op.kind = kind;
    op.format = compute_;
    op.repeat = repeat;
    return op;
  }

  const ModelSpec& m_;
  core::NumberFormat compute_;
  double w_, a_, kv_;  // bytes per element
  Graph graph_;
};

}  // namespace

std::string_view name(OpKind kind) {
  switch (kind) {
    case OpKind::kGemm: return "gemm";
    case OpKind::kAttention: return "attention";
    case OpKind::kVector: return "vector";
    case OpKind::kGather: return "gather";
  }
  return "gemm";
}

Work Graph::total(int64_t context) const {
  Work sum;
  for (const auto& op : ops) sum = sum + op.at_context(context) * static_cast<double>(op.repeat);
  return sum;
}

Graph prefill_graph(const ModelSpec& model, const ServeScenario& s) {
  GraphBuilder b(model, s.formats);
  const double batch = static_cast<double>(s.batch), prompt = static_cast<double>(s.prompt_length);
  b.embedding(batch * prompt);
  b.layers_and_head(batch, prompt, /*decode=*/false);
  return b.take();
}

Graph decode_graph(const ModelSpec& model, const ServeScenario& s) {
  GraphBuilder b(model, s.formats);
  const double batch = static_cast<double>(s.batch);
  b.embedding(batch);
  b.layers_and_head(batch, 1, /*decode=*/true);
  return b.take();
}

core::Bytes weight_bytes(const ModelSpec& model, const Formats& formats) {
  return bytes(static_cast<double>(model.total_params()) * core::bytes_per_element(formats.weights));
}

core::Bytes kv_bytes_per_token(const ModelSpec& model, const Formats& formats) {
  return bytes(static_cast<double>(model.kv_elements_per_token()) * core::bytes_per_element(formats.kv_cache));
}

}  // namespace tfab::workload
