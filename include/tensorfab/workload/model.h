#pragma once
// A transformer model as the performance models see it: its shapes, read
// from a Hugging Face config.json. First cut: dense decoders (Llama, Mistral,
// Qwen2 families) with multi-head or grouped-query attention.

#include <cstdint>
#include <string>

#include "tensorfab/config/load.h"
#include "tensorfab/core/units.h"

namespace tfab::workload {

struct ModelSpec {
  std::string id;          // "llama-3.1-70b"
  std::string model_type;  // Hugging Face model_type: "llama"
  int64_t hidden = 0;      // d_model
  int64_t intermediate = 0;  // gated-MLP width
  int64_t layers = 0;
  int64_t heads = 0;       // query heads
  int64_t kv_heads = 0;    // key/value heads (GQA); == heads for MHA
  int64_t head_dim = 0;
  int64_t vocab = 0;
  int64_t max_context = 0;
  bool tied_embeddings = false;

  // Parameter counts (elements, not bytes).
  [[nodiscard]] int64_t attention_params_per_layer() const;
  [[nodiscard]] int64_t mlp_params_per_layer() const;
  [[nodiscard]] int64_t params_per_layer() const;  // incl. the two norms
  [[nodiscard]] int64_t embedding_params() const;  // the input embedding table
  [[nodiscard]] int64_t lm_head_params() const;    // 0 when tied to the embedding
  [[nodiscard]] int64_t total_params() const;
  // Elements of K and V cached per token, over all layers.
  [[nodiscard]] int64_t kv_elements_per_token() const;
};

// Reads a Hugging Face config.json tree. Its schema is open (configs carry
// many fields we do not need) but a key that looks like a typo of one we
// read is an error.
[[nodiscard]] core::Result<ModelSpec> read_model(const config::Node& doc, const std::string& id);

[[nodiscard]] core::Result<ModelSpec> load_model(const config::Catalog& catalog, std::string_view id_or_path,
                                                 const config::Overrides& overrides = {});

}  // namespace tfab::workload
