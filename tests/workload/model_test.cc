#include "tensorfab/workload/model.h"

#include <gtest/gtest.h>

#include "tensorfab/core/version.h"
#include "tensorfab/workload/graph.h"

namespace tfab::workload {
namespace {

const config::Catalog& shipped() {
  static const config::Catalog kCatalog(core::kSourceDataDir);
  return kCatalog;
}

ModelSpec model(const std::string& id) {
  auto m = load_model(shipped(), id);
  EXPECT_TRUE(m.ok()) << (m.ok() ? "" : m.errors().front().str());
  return m.ok() ? m.value() : ModelSpec{};
}

// Published parameter counts: 8.03 B and 70.6 B (Meta's Llama 3.1 model
// card), 405.9 B (huggingface.co/meta-llama/Llama-3.1-405B safetensors total).
TEST(Model, ParameterCountsMatchPublished) {
  EXPECT_NEAR(static_cast<double>(model("llama-3.1-8b").total_params()), 8.03e9, 0.01e9);
  EXPECT_NEAR(static_cast<double>(model("llama-3.1-70b").total_params()), 70.55e9, 0.1e9);
  EXPECT_NEAR(static_cast<double>(model("llama-3.1-405b").total_params()), 405.85e9, 0.5e9);
}

TEST(Model, KvCacheBytesPerTokenExact) {
  Formats bf16;  // bf16 everywhere by default
  // 80 layers x 8 KV heads x 128 head dim x (K and V) x 2 bytes.
  EXPECT_EQ(kv_bytes_per_token(model("llama-3.1-70b"), bf16).base(), 327680.0);
  Formats fp8{core::NumberFormat::kFP8, core::NumberFormat::kFP8, core::NumberFormat::kFP8};
  EXPECT_EQ(kv_bytes_per_token(model("llama-3.1-70b"), fp8).base(), 163840.0);
  EXPECT_EQ(kv_bytes_per_token(model("llama-3.1-8b"), bf16).base(), 32.0 * 8 * 128 * 2 * 2);
}

// Prefill FLOPs = 2 x (matmul parameters) x tokens + causal attention, where
// the LM head runs only for the last token of each prompt and the embedding
// is a lookup. The expected value is built from the published parameter
// count, not from the graph.
void expect_prefill_flops(const std::string& id, double published_params) {
  const ModelSpec m = model(id);
  const double tokens_per_prompt = 2048, batch = 4, tokens = batch * tokens_per_prompt;
  ServeScenario s;
  s.batch = 4;
  s.prompt_length = 2048;
  const double embedding_and_head = 2.0 * static_cast<double>(m.vocab * m.hidden);
  const double attention = 4.0 * static_cast<double>(m.layers * m.heads * m.head_dim) * batch *
                           tokens_per_prompt * (tokens_per_prompt + 1) / 2;
  const double expected = 2 * (published_params - embedding_and_head) * tokens +
                          2 * static_cast<double>(m.vocab * m.hidden) * batch + attention;
  const double actual = prefill_graph(m, s).total().tensor_ops.base();
  EXPECT_NEAR(actual / expected, 1.0, 0.02) << id;
}

TEST(Graph, PrefillFlopsMatchTwoTimesParametersTimesTokens) {
  expect_prefill_flops("llama-3.1-8b", 8.03e9);
  expect_prefill_flops("llama-3.1-70b", 70.6e9);
}

TEST(Graph, DecodeAttentionGrowsWithContext) {
  const ModelSpec m = model("llama-3.1-8b");
  ServeScenario s;
  s.batch = 2;
  Graph g = decode_graph(m, s);
  Work short_ctx = g.total(100), long_ctx = g.total(1100);
  // 1000 more cached tokens: K and V read for each, per layer and sequence.
  EXPECT_DOUBLE_EQ((long_ctx.bytes - short_ctx.bytes).base(), 1000.0 * 2 * 32 * 2 * 8 * 128 * 2);
  EXPECT_DOUBLE_EQ((long_ctx.tensor_ops - short_ctx.tensor_ops).base(), 1000.0 * 2 * 32 * 4 * 32 * 128);
}

TEST(Model, MissingFieldIsNamed) {
  auto doc = config::parse_document("{\"model_type\": \"llama\", \"hidden_size\": 4096}", "c.json");
  ASSERT_TRUE(doc.ok());
  auto m = read_model(*doc, "c");
  ASSERT_FALSE(m.ok());
  bool named = false;
  for (const auto& e : m.errors()) named |= e.message.find("'num_hidden_layers'") != std::string::npos;
  EXPECT_TRUE(named);
}

TEST(Model, UnsupportedFamilyIsAnError) {
  auto doc = config::parse_document(
      "{\"model_type\": \"mixtral\", \"hidden_size\": 4096, \"intermediate_size\": 1, \"num_hidden_layers\": 1, "
      "\"num_attention_heads\": 32, \"vocab_size\": 10}",
      "c.json");
  ASSERT_TRUE(doc.ok());
  auto m = read_model(*doc, "c");
  ASSERT_FALSE(m.ok());
  EXPECT_EQ(m.errors().front().key_path, "model_type");
}

}  // namespace
}  // namespace tfab::workload
