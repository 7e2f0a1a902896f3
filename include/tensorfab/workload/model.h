#pragma once
// A transformer model as the performance models see it: its shapes, read
// from a Hugging Face config.json. Families (by `model_type`):
//
//   llama, mistral, qwen2   dense decoders, multi-head or grouped-query attention
//   mixtral                 every MLP a mixture of experts
//   qwen2_moe               mixture of experts plus an always-active shared expert
//   deepseek_v3             mixture of experts with shared experts after some
//                           dense layers; multi-head latent attention (MLA)
//   gpt2                    GPT-2/GPT-3/Megatron-LM style: LayerNorm, biases,
//                           learned positions, non-gated GELU MLP
//
// Not modelled: sliding-window attention (Mistral 7B v0.1 attends to at most
// 4096 tokens; here attention covers the whole context) and DeepSeek-V3's
// multi-token-prediction module (num_nextn_predict_layers), which serves only
// as an optional speculative-decoding head and is left out of every count.

#include <cstdint>
#include <optional>
#include <string>

#include "tensorfab/config/load.h"
#include "tensorfab/core/units.h"

namespace tfab::workload {

enum class Norm {
  kRms,    // RMSNorm: a weight per channel
  kLayer,  // LayerNorm: a weight and a bias per channel
};

// The mixture-of-experts MLP of the MoE layers. Each routed expert and each
// shared expert is a gated (SwiGLU) MLP; a router picks `experts_per_token`
// of the `experts` for every token.
struct MixtureOfExperts {
  int64_t experts = 0;              // routed experts per MoE layer (E)
  int64_t experts_per_token = 0;    // top-k
  int64_t expert_intermediate = 0;  // width of one routed expert
  int64_t shared_intermediate = 0;  // width of the always-active shared expert(s) together; 0 if none
  bool shared_expert_gate = false;  // Qwen2-MoE scales the shared expert by sigmoid(x . w), w of width hidden
  bool router_bias = false;         // DeepSeek-V3 adds a learned per-expert bias to the routing scores
  int64_t layers = 0;               // MoE layers; the model's other layers have a dense MLP
};

// Multi-head latent attention (DeepSeek-V2, arXiv:2405.04434 §2.1): keys and
// values are projected up from a compressed latent, which is all the KV cache
// holds, beside one small RoPE key shared by every head.
struct LatentAttention {
  int64_t q_lora_rank = 0;       // 0: queries projected straight from the hidden state
  int64_t kv_lora_rank = 0;      // width of the cached latent c_KV
  int64_t qk_nope_head_dim = 0;  // per-head query/key width without position encoding
  int64_t qk_rope_head_dim = 0;  // decoupled RoPE query/key width; the key part is cached
  int64_t v_head_dim = 0;

  [[nodiscard]] int64_t qk_head_dim() const { return qk_nope_head_dim + qk_rope_head_dim; }
};

struct ModelSpec {
  std::string id;            // "llama-3.1-70b"
  std::string fingerprint;   // of the resolved config document (config::fingerprint)
  std::string model_type;    // Hugging Face model_type: "llama"
  int64_t hidden = 0;        // d_model
  int64_t intermediate = 0;  // width of the dense MLP (for Mixtral, which has none, that of an expert)
  int64_t layers = 0;
  int64_t heads = 0;     // query heads
  int64_t kv_heads = 0;  // key/value heads (GQA); == heads for MHA and for MLA's decompressed K and V
  int64_t head_dim = 0;  // query/key width of one head (MLA: nope + rope part)
  int64_t vocab = 0;
  int64_t max_context = 0;
  bool tied_embeddings = false;

  Norm norm = Norm::kRms;
  bool gated_mlp = true;          // SwiGLU (gate, up, down); false: up, activation, down (GPT-2)
  bool qkv_bias = false;          // Qwen2 and GPT-2 add a bias to Q, K and V
  bool output_bias = false;       // bias on the attention output projection
  bool mlp_bias = false;          // biases on the dense MLP's projections
  int64_t learned_positions = 0;  // rows of a learned position-embedding table (GPT-2); 0 with RoPE

  std::optional<MixtureOfExperts> moe;
  std::optional<LatentAttention> mla;

  // Layers whose MLP is dense (all of them without MoE).
  [[nodiscard]] int64_t dense_layers() const { return layers - (moe ? moe->layers : 0); }

  // Parameter counts (elements, not bytes).
  [[nodiscard]] int64_t attention_params_per_layer() const;
  [[nodiscard]] int64_t norm_params_per_layer() const;        // the norms before attention and MLP
  [[nodiscard]] int64_t mlp_params_per_layer() const;         // the dense MLP of a dense layer
  [[nodiscard]] int64_t routed_expert_params() const;         // one routed expert; 0 without MoE
  [[nodiscard]] int64_t moe_params_per_layer() const;         // router, every expert, shared expert(s)
  [[nodiscard]] int64_t moe_active_params_per_layer() const;  // router, top-k experts, shared expert(s)
  [[nodiscard]] int64_t decoder_params() const;               // all decoder layers together
  // Mean over the decoder layers; exact when they are all alike.
  [[nodiscard]] int64_t params_per_layer() const;
  // The tables that are looked up rather than multiplied: token embedding
  // and, for GPT-2, the learned position embedding.
  [[nodiscard]] int64_t embedding_params() const;
  [[nodiscard]] int64_t lm_head_params() const;  // 0 when tied to the embedding
  [[nodiscard]] int64_t total_params() const;
  // Parameters used for one token: everything except the routed experts the
  // router did not pick. Counts the embedding tables whole, as Mistral AI's
  // "12.9B active" for Mixtral 8x7B does (DeepSeek's counts leave the input
  // embedding out).
  [[nodiscard]] int64_t active_params() const;
  // Elements cached per token over all layers: K and V per KV head, or for
  // MLA the latent and the RoPE key.
  [[nodiscard]] int64_t kv_elements_per_token() const;
};

// Reads a Hugging Face config.json tree. Its schema is open (configs carry
// many fields we do not need) but a key that looks like a typo of one we
// read is an error.
[[nodiscard]] core::Result<ModelSpec> read_model(const config::Node& doc, const std::string& id);

[[nodiscard]] core::Result<ModelSpec> load_model(const config::Catalog& catalog, std::string_view id_or_path,
                                                 const config::Overrides& overrides = {});

}  // namespace tfab::workload
