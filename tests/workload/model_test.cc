#include "tensorfab/workload/model.h"

#include <gtest/gtest.h>

#include <cmath>

#include "support/shipped_model.h"
#include "tensorfab/workload/graph.h"

namespace tfab::workload {
namespace {

using testing::shipped;

ModelSpec model(const std::string& id) { return testing::shipped_model(id); }

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
      "{\"model_type\": \"falcon\", \"hidden_size\": 4096, \"intermediate_size\": 1, "
      "\"num_hidden_layers\": 1, \"num_attention_heads\": 32, \"vocab_size\": 10}",
      "c.json");
  ASSERT_TRUE(doc.ok());
  auto m = read_model(*doc, "c");
  ASSERT_FALSE(m.ok());
  EXPECT_EQ(m.errors().front().key_path, "model_type");
  // The message lists the families we do read.
  EXPECT_NE(m.errors().front().message.find("mixtral, qwen2_moe, deepseek_v3, gpt2"), std::string::npos)
      << m.errors().front().message;
}

TEST(Model, MisspeltFamilyGetsASuggestion) {
  auto doc = config::parse_document("{\"model_type\": \"mixtrl\"}", "c.json");
  ASSERT_TRUE(doc.ok());
  auto m = read_model(*doc, "c");
  ASSERT_FALSE(m.ok());
  ASSERT_FALSE(m.errors().front().notes.empty());
  EXPECT_EQ(m.errors().front().notes.front(), "did you mean 'mixtral'?");
}

// ---- model families --------------------------------------------------------

TEST(Model, EveryShippedModelLoads) {
  const auto ids = shipped().ids("models");
  EXPECT_GE(ids.size(), 18u);
  for (const auto& id : ids) {
    auto m = load_model(shipped(), id);
    ASSERT_TRUE(m.ok()) << id << ": " << m.errors().front().str();
    EXPECT_GT(m->total_params(), 0) << id;
    EXPECT_LE(m->active_params(), m->total_params()) << id;
    EXPECT_GT(m->kv_elements_per_token(), 0) << id;
  }
}

void expect_params(const std::string& id, double published, double tolerance = 0.01) {
  EXPECT_NEAR(static_cast<double>(model(id).total_params()) / published, 1.0, tolerance) << id;
}

// Published totals: Llama 2 (huggingface.co/meta-llama safetensors totals:
// 6.74 B, 13.0 B, 69.0 B), Mistral 7B (7.24 B, safetensors total), Qwen2.5
// (7.61 B and 72.7 B, the Qwen2.5 model cards), Mixtral (46.7 B and 141 B,
// Mistral AI's announcements), Qwen1.5-MoE-A2.7B (14.3 B, its model card),
// DeepSeek-V3 (671 B main model, README_WEIGHTS.md of deepseek-ai/DeepSeek-V3;
// the 685 B on the model card adds the multi-token-prediction module).
TEST(Model, ParameterCountsOfTheFamiliesMatchPublished) {
  expect_params("llama-2-7b", 6.74e9);
  expect_params("llama-2-13b", 13.0e9);
  expect_params("llama-2-70b", 69.0e9);
  expect_params("mistral-7b", 7.24e9);
  expect_params("qwen2.5-7b", 7.61e9);
  expect_params("qwen2.5-72b", 72.7e9);
  expect_params("mixtral-8x7b", 46.7e9);
  expect_params("mixtral-8x22b", 141e9);
  expect_params("qwen1.5-moe-a2.7b", 14.3e9);
  expect_params("deepseek-v3", 671e9);
}

// GPT-3 175B (Brown et al. 2020) and the Megatron-LM evaluation models of
// Korthikanti et al. 2022, Table 3, against their nominal sizes.
TEST(Model, GptStyleModelsMatchNominalSizes) {
  expect_params("gpt3-175b", 175e9);
  expect_params("megatron-22b", 22e9);
  expect_params("megatron-175b", 175e9);
  expect_params("megatron-530b", 530e9);
  expect_params("megatron-1t", 1e12);
}

TEST(Model, ActiveParametersMatchPublished) {
  // Mistral AI: "12.9B parameters per token" for Mixtral 8x7B, "39B active"
  // for 8x22B; Qwen: "2.7B activated" for Qwen1.5-MoE-A2.7B. All three count
  // both embedding tables, as active_params() does.
  EXPECT_NEAR(static_cast<double>(model("mixtral-8x7b").active_params()) / 12.9e9, 1.0, 0.01);
  EXPECT_NEAR(static_cast<double>(model("mixtral-8x22b").active_params()) / 39e9, 1.0, 0.01);
  EXPECT_NEAR(static_cast<double>(model("qwen1.5-moe-a2.7b").active_params()) / 2.7e9, 1.0, 0.01);

  // DeepSeek leaves the input embedding (a lookup) out: "Activation
  // parameters: 36.6B (including 0.9B for the output Head)" (README_WEIGHTS.md
  // of deepseek-ai/DeepSeek-V3), which the paper rounds to "37B".
  const ModelSpec v3 = model("deepseek-v3");
  const double v3_active = static_cast<double>(v3.active_params() - v3.embedding_params());
  EXPECT_NEAR(v3_active / 36.6e9, 1.0, 0.01);
  EXPECT_EQ(std::lround(v3_active / 1e9), 37);
}

TEST(Model, FamilyShapes) {
  const ModelSpec mixtral = model("mixtral-8x7b");
  ASSERT_TRUE(mixtral.moe.has_value());
  EXPECT_EQ(mixtral.moe->layers, 32);
  EXPECT_EQ(mixtral.dense_layers(), 0);
  EXPECT_EQ(mixtral.moe->expert_intermediate, 14336);

  const ModelSpec v3 = model("deepseek-v3");
  ASSERT_TRUE(v3.moe.has_value() && v3.mla.has_value());
  EXPECT_EQ(v3.dense_layers(), 3);  // first_k_dense_replace
  EXPECT_EQ(v3.moe->layers, 58);
  EXPECT_EQ(v3.moe->shared_intermediate, 2048);
  EXPECT_EQ(v3.head_dim, 192);  // 128 nope + 64 rope

  const ModelSpec qwen = model("qwen1.5-moe-a2.7b");
  ASSERT_TRUE(qwen.moe.has_value());
  EXPECT_TRUE(qwen.moe->shared_expert_gate);
  EXPECT_TRUE(qwen.qkv_bias);
  EXPECT_EQ(qwen.moe->layers, 24);

  const ModelSpec gpt3 = model("gpt3-175b");
  EXPECT_EQ(gpt3.norm, Norm::kLayer);
  EXPECT_FALSE(gpt3.gated_mlp);
  EXPECT_EQ(gpt3.head_dim, 128);  // Brown et al. Table 2.1: d_head 128
  EXPECT_EQ(gpt3.intermediate, 4 * 12288);
  EXPECT_EQ(gpt3.learned_positions, 2048);
  EXPECT_TRUE(gpt3.tied_embeddings);
}

TEST(Model, KvCacheOfLatentAttentionIsTheLatentAndTheRopeKey) {
  Formats bf16;
  // 61 layers x (512 latent + 64 RoPE key) x 2 bytes.
  EXPECT_EQ(kv_bytes_per_token(model("deepseek-v3"), bf16).base(), 70272.0);
  // MHA: 96 layers x 96 heads x 128 x (K and V) x 2 bytes.
  EXPECT_EQ(kv_bytes_per_token(model("gpt3-175b"), bf16).base(), 96.0 * 96 * 128 * 2 * 2);
}

core::Result<ModelSpec> read_json(const std::string& json) {
  auto doc = config::parse_document(json, "c.json");
  EXPECT_TRUE(doc.ok());
  return read_model(*doc, "c");
}

bool has_error(const core::Diagnostics& errors, const std::string& text) {
  for (const auto& e : errors) {
    if (e.message.find(text) != std::string::npos) return true;
    for (const auto& note : e.notes) {
      if (note.find(text) != std::string::npos) return true;
    }
  }
  return false;
}

const char* const kMixtralCore =
    "\"model_type\": \"mixtral\", \"hidden_size\": 64, \"intermediate_size\": 128, \"num_hidden_layers\": 2, "
    "\"num_attention_heads\": 4, \"num_key_value_heads\": 2, \"vocab_size\": 100";

TEST(Model, TypoInMoeConfigGetsDidYouMean) {
  auto m =
      read_json(std::string("{") + kMixtralCore + ", \"num_local_expert\": 8, \"num_experts_per_tok\": 2}");
  ASSERT_FALSE(m.ok());
  EXPECT_TRUE(has_error(m.errors(), "unknown key 'num_local_expert'"));
  EXPECT_TRUE(has_error(m.errors(), "did you mean 'num_local_experts'?"));
}

TEST(Model, MissingMoeKeyIsNamed) {
  auto mixtral = read_json(std::string("{") + kMixtralCore + ", \"num_local_experts\": 8}");
  ASSERT_FALSE(mixtral.ok());
  EXPECT_TRUE(has_error(mixtral.errors(), "missing required key 'num_experts_per_tok'"));

  // DeepSeek-V3 without its latent-attention width.
  auto deepseek = read_json(
      "{\"model_type\": \"deepseek_v3\", \"hidden_size\": 64, \"intermediate_size\": 128, "
      "\"num_hidden_layers\": 4, \"num_attention_heads\": 4, \"vocab_size\": 100, \"n_routed_experts\": 8, "
      "\"num_experts_per_tok\": 2, \"n_shared_experts\": 1, \"moe_intermediate_size\": 32, "
      "\"first_k_dense_replace\": 1, \"q_lora_rank\": 32, \"qk_nope_head_dim\": 16, \"qk_rope_head_dim\": 8, "
      "\"v_head_dim\": 16}");
  ASSERT_FALSE(deepseek.ok());
  EXPECT_TRUE(has_error(deepseek.errors(), "missing required key 'kv_lora_rank'"));
}

TEST(Model, MoreExpertsPerTokenThanExpertsIsAnError) {
  auto m =
      read_json(std::string("{") + kMixtralCore + ", \"num_local_experts\": 2, \"num_experts_per_tok\": 3}");
  ASSERT_FALSE(m.ok());
  EXPECT_EQ(m.errors().front().key_path, "num_experts_per_tok");
}

// Qwen2-MoE: layer i is sparse when it is not in mlp_only_layers and
// (i + 1) % decoder_sparse_step == 0.
TEST(Model, QwenMoeLayerPattern) {
  auto m = read_json(
      "{\"model_type\": \"qwen2_moe\", \"hidden_size\": 64, \"intermediate_size\": 128, "
      "\"num_hidden_layers\": 8, \"num_attention_heads\": 4, \"vocab_size\": 100, \"num_experts\": 8, "
      "\"num_experts_per_tok\": 2, \"moe_intermediate_size\": 32, \"shared_expert_intermediate_size\": 64, "
      "\"decoder_sparse_step\": 2, \"mlp_only_layers\": [0, 1]}");
  ASSERT_TRUE(m.ok()) << m.errors().front().str();
  ASSERT_TRUE(m->moe.has_value());
  EXPECT_EQ(m->moe->layers, 3);  // layers 3, 5 and 7
  EXPECT_EQ(m->dense_layers(), 5);

  auto bad = read_json(
      "{\"model_type\": \"qwen2_moe\", \"hidden_size\": 64, \"intermediate_size\": 128, "
      "\"num_hidden_layers\": 8, \"num_attention_heads\": 4, \"vocab_size\": 100, \"num_experts\": 8, "
      "\"num_experts_per_tok\": 2, \"moe_intermediate_size\": 32, \"shared_expert_intermediate_size\": 64, "
      "\"mlp_only_layers\": [0, \"x\", 9]}");
  ASSERT_FALSE(bad.ok());
  EXPECT_TRUE(has_error(bad.errors(), "expected a layer index, got 'x'"));
}

// Null is how Hugging Face writes an unset optional field.
TEST(Model, NullMeansUnset) {
  auto gpt2 = read_json(
      "{\"model_type\": \"gpt2\", \"n_embd\": 768, \"n_layer\": 12, \"n_head\": 12, \"n_inner\": null, "
      "\"n_positions\": 1024, \"n_ctx\": 1024, \"vocab_size\": 50257}");
  ASSERT_TRUE(gpt2.ok()) << gpt2.errors().front().str();
  EXPECT_EQ(gpt2->intermediate, 4 * 768);
  // GPT-2 small: 124.4 M parameters (124,439,808 in openai-community/gpt2's safetensors).
  EXPECT_EQ(gpt2->total_params(), 124439808);

  // DeepSeek-V2-Lite style: queries projected without compression.
  auto latent = read_json(
      "{\"model_type\": \"deepseek_v3\", \"hidden_size\": 64, \"intermediate_size\": 128, "
      "\"num_hidden_layers\": 4, \"num_attention_heads\": 4, \"vocab_size\": 100, \"n_routed_experts\": 8, "
      "\"num_experts_per_tok\": 2, \"n_shared_experts\": 1, \"moe_intermediate_size\": 32, "
      "\"first_k_dense_replace\": 1, \"q_lora_rank\": null, \"kv_lora_rank\": 16, \"qk_nope_head_dim\": 16, "
      "\"qk_rope_head_dim\": 8, \"v_head_dim\": 16}");
  ASSERT_TRUE(latent.ok()) << latent.errors().front().str();
  ASSERT_TRUE(latent->mla.has_value());
  EXPECT_EQ(latent->mla->q_lora_rank, 0);
  // q_proj 64 x 4 x 24, kv_a 64 x (16 + 8), its norm 16, kv_b 16 x 4 x (16 + 16), o_proj 4 x 16 x 64.
  EXPECT_EQ(latent->attention_params_per_layer(), 64 * 4 * 24 + 64 * 24 + 16 + 16 * 4 * 32 + 4 * 16 * 64);
}

}  // namespace
}  // namespace tfab::workload

namespace tfab::workload {
namespace {

// Each size within its own limit, together beyond anything countable in
// int64: an error, never an overflow.
TEST(Model, AbsurdSizesAreRefused) {
  auto doc = config::parse_document(
      "{\"model_type\": \"mixtral\", \"hidden_size\": 1000000000, \"intermediate_size\": 1000000000,\n"
      " \"num_hidden_layers\": 100000, \"num_attention_heads\": 100000, \"num_key_value_heads\": 100000,\n"
      " \"vocab_size\": 1000000000, \"num_local_experts\": 100000, \"num_experts_per_tok\": 2, \"head_dim\": 1000}",
      "huge.json");
  ASSERT_TRUE(doc.ok());
  auto m = read_model(*doc, "huge");
  ASSERT_FALSE(m.ok());
  EXPECT_EQ(m.errors().front().location.file, "huge.json");
  EXPECT_NE(m.errors().front().message.find("parameters, more than the 1e+15"), std::string::npos)
      << m.errors().front().message;
}

}  // namespace
}  // namespace tfab::workload
