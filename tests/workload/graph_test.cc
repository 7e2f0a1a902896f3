#include "tensorfab/workload/graph.h"

#include <gtest/gtest.h>

#include <cmath>

#include "support/shipped_model.h"

namespace tfab::workload {
namespace {

using testing::shipped;

ModelSpec model(const std::string& id) { return testing::shipped_model(id); }

ServeScenario serve(int64_t batch, int64_t prompt) {
  ServeScenario s;
  s.batch = batch;
  s.prompt_length = prompt;
  return s;
}

const Op& find(const Graph& g, const std::string& name) {
  for (const auto& op : g.ops) {
    if (op.name == name) return op;
  }
  ADD_FAILURE() << "no op " << name;
  static const Op kNone;
  return kNone;
}
// The op lives in its graph: keep the graph alive while holding the reference.

bool contains(const Graph& g, const std::string& name) {
  for (const auto& op : g.ops) {
    if (op.name == name) return true;
  }
  return false;
}

// Prefill FLOPs = 2 x (active matmul parameters) x tokens + causal
// attention, with the LM head run only for each prompt's last token and the
// input embedding a lookup. The expected value starts from the published
// active count less both embedding tables (`published_counts_input_table`
// says whether the publisher counted the input one), so the check does not
// reuse the graph's own sums.
void expect_moe_prefill_flops(const std::string& id, double published_active,
                              bool published_counts_input_table, double attention_flops_per_pair_per_layer) {
  const ModelSpec m = model(id);
  const double prompt = 2048, batch = 4, tokens = batch * prompt;
  const double table = static_cast<double>(m.vocab * m.hidden);
  const double matmul_params = published_active - table - (published_counts_input_table ? table : 0.0);
  const double attention =
      attention_flops_per_pair_per_layer * static_cast<double>(m.layers) * batch * prompt * (prompt + 1) / 2;
  const double expected = 2 * matmul_params * tokens + 2 * table * batch + attention;
  const double actual = prefill_graph(m, serve(4, 2048)).total().tensor_ops.base();
  EXPECT_NEAR(actual / expected, 1.0, 0.02) << id;
}

TEST(Graph, MoePrefillFlopsMatchTwoTimesActiveParametersTimesTokens) {
  // Mixtral 8x7B: 12.9 B active (Mistral AI, counting both tables); GQA
  // attention 4 x heads x head_dim FLOPs per query-key pair.
  expect_moe_prefill_flops("mixtral-8x7b", 12.9e9, true, 4.0 * 32 * 128);
  // DeepSeek-V3: 36.6 B active without the input embedding (README_WEIGHTS.md);
  // MLA prefill attends with 192-wide queries/keys and 128-wide values over 128 heads.
  expect_moe_prefill_flops("deepseek-v3", 36.6e9, false, 2.0 * 128 * (192 + 128));
}

TEST(Graph, GptPrefillFlopsMatchTwoTimesParametersTimesTokens) {
  // 175 B nominal; the position table is a lookup like the token table (tied to the head).
  const ModelSpec m = model("gpt3-175b");
  const double prompt = 2048, batch = 1;
  const double table = static_cast<double>(m.vocab * m.hidden), positions = 2048.0 * 12288;
  const double attention = 4.0 * 96 * 96 * 128 * batch * prompt * (prompt + 1) / 2;
  const double expected = 2 * (175e9 - table - positions) * batch * prompt + 2 * table * batch + attention;
  EXPECT_NEAR(prefill_graph(m, serve(1, 2048)).total().tensor_ops.base() / expected, 1.0, 0.02);
  const Graph g = prefill_graph(m, serve(1, 2048));
  EXPECT_FALSE(contains(g, "rope"));
  EXPECT_TRUE(contains(g, "gelu"));
  EXPECT_TRUE(contains(g, "up_proj"));
}

// Cost grows with unique shapes, not layers: one op per shape, repeated.
TEST(Graph, DenseAndMoeLayersAreSeparateGroups) {
  const Graph g = decode_graph(model("deepseek-v3"), serve(8, 1));
  EXPECT_EQ(find(g, "gate_up_proj").repeat, 3);  // first_k_dense_replace
  EXPECT_EQ(find(g, "expert_gate_up_proj").repeat, 58);
  EXPECT_EQ(find(g, "shared_gate_up_proj").repeat, 58);
  EXPECT_EQ(find(g, "router").repeat, 58);
  EXPECT_EQ(find(g, "moe_dispatch").kind, OpKind::kGather);
  EXPECT_EQ(find(g, "attention").repeat, 61);
  EXPECT_LT(g.ops.size(), 40u);

  const Graph mixtral = decode_graph(model("mixtral-8x7b"), serve(8, 1));
  EXPECT_FALSE(contains(mixtral, "gate_up_proj"));  // no dense layers
  EXPECT_FALSE(contains(mixtral, "shared_gate_up_proj"));
  EXPECT_TRUE(contains(decode_graph(model("qwen1.5-moe-a2.7b"), serve(8, 1)), "shared_expert_gate"));
}

// A decode step reads the weights of every expert its tokens touch:
// E (1 - (1 - k/E)^B) of them in expectation.
TEST(Graph, DecodeReadsTheExpertsItsTokensTouch) {
  const ModelSpec m = model("mixtral-8x7b");
  const double expert_gate_up_bytes = 4096.0 * 2 * 14336 * 2;  // bf16
  for (int64_t batch : {1, 4, 64}) {
    const Graph g = decode_graph(m, serve(batch, 1));
    const Op& op = find(g, "expert_gate_up_proj");
    const double touched = 8 * (1 - std::pow(1 - 2.0 / 8, static_cast<double>(batch)));
    EXPECT_NEAR(op.groups, touched, 1e-12) << batch;
    const double activations = static_cast<double>(batch) * 2 * (4096 + 2 * 14336) * 2;
    EXPECT_NEAR(op.fixed.bytes.base(), touched * expert_gate_up_bytes + activations, 1.0) << batch;
    // FLOPs follow the routed tokens, not the experts touched.
    EXPECT_NEAR(op.fixed.tensor_ops.base(), 2.0 * static_cast<double>(batch) * 2 * 4096 * 2 * 14336, 1.0)
        << batch;
  }
  // Batch 1, top-2: each touched expert gets one token.
  EXPECT_EQ(find(decode_graph(m, serve(1, 1)), "expert_gate_up_proj").m, 1);
  // A long prefill touches all 8 experts, each with tokens x 2 / 8 rows on average.
  const Graph prefill_pass = prefill_graph(m, serve(1, 4096));
  const Op& prefill = find(prefill_pass, "expert_gate_up_proj");
  EXPECT_DOUBLE_EQ(prefill.groups, 8.0);
  EXPECT_EQ(prefill.m, 1024);
}

// Decode over MLA reads the cached latent and RoPE key, (512 + 64) elements
// per token and layer, and spends 2(r + p) + 2r FLOPs per head on each.
TEST(Graph, LatentAttentionDecodeGrowsWithContext) {
  const ModelSpec m = model("deepseek-v3");
  const Graph g = decode_graph(m, serve(2, 1));
  const Work short_ctx = g.total(100), long_ctx = g.total(1100);
  EXPECT_DOUBLE_EQ((long_ctx.bytes - short_ctx.bytes).base(), 1000.0 * 2 * 61 * (512 + 64) * 2);
  EXPECT_DOUBLE_EQ((long_ctx.tensor_ops - short_ctx.tensor_ops).base(),
                   1000.0 * 2 * 61 * 128 * (2 * (512 + 64) + 2 * 512));
  // The absorbed projections run per head and together hold kv_b_proj's weights.
  const Op& q_absorb = find(g, "q_absorb");
  const Op& v_absorb = find(g, "v_absorb");
  EXPECT_DOUBLE_EQ(q_absorb.groups, 128.0);
  const double kv_up_weights = 512.0 * 128 * (128 + 128) * 2;
  const double absorbed_weights = (q_absorb.fixed.bytes + v_absorb.fixed.bytes).base() -
                                  2.0 * 128 * 2 * ((128 + 512) + (512 + 128));  // activations of 2 tokens
  EXPECT_DOUBLE_EQ(absorbed_weights, kv_up_weights);
  EXPECT_FALSE(contains(g, "kv_up_proj"));
  EXPECT_TRUE(contains(prefill_graph(m, serve(1, 16)), "kv_up_proj"));
}

// Decode at batch 1 streams about the active weights (all but the lookup
// tables and the experts nobody picked).
TEST(Graph, BatchOneMoeDecodeReadsActiveWeights) {
  const ModelSpec m = model("mixtral-8x7b");
  const double read = decode_graph(m, serve(1, 1)).total(1).bytes.base();
  const double active_weights = 2.0 * static_cast<double>(m.active_params() - m.embedding_params());
  EXPECT_NEAR(read / active_weights, 1.0, 0.01);
}

}  // namespace
}  // namespace tfab::workload
