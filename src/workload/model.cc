#include "tensorfab/workload/model.h"

#include <fmt/format.h>

#include <array>
#include <filesystem>

#include "tensorfab/config/reader.h"

namespace tfab::workload {

using config::Limits;

int64_t ModelSpec::attention_params_per_layer() const {
  return hidden * heads * head_dim          // Q
         + 2 * hidden * kv_heads * head_dim  // K, V
         + heads * head_dim * hidden;        // output projection
}
int64_t ModelSpec::mlp_params_per_layer() const { return 3 * hidden * intermediate; }  // gate, up, down
int64_t ModelSpec::params_per_layer() const {
  return attention_params_per_layer() + mlp_params_per_layer() + 2 * hidden;  // + two RMSNorm weights
}
int64_t ModelSpec::embedding_params() const { return vocab * hidden; }
int64_t ModelSpec::lm_head_params() const { return tied_embeddings ? 0 : vocab * hidden; }
int64_t ModelSpec::total_params() const {
  return layers * params_per_layer() + embedding_params() + lm_head_params() + hidden;  // + final norm
}
int64_t ModelSpec::kv_elements_per_token() const { return layers * 2 * kv_heads * head_dim; }

core::Result<ModelSpec> read_model(const config::Node& doc, const std::string& id) {
  core::Diagnostics errors;
  config::MapReader r(doc, "", errors);
  ModelSpec m;
  m.id = id;

  // Dense decoder families whose config.json this reader understands.
  static const std::array<std::string, 3> kDenseTypes{"llama", "mistral", "qwen2"};
  m.model_type = r.choice("model_type", "Hugging Face architecture family", kDenseTypes, true).value_or("");

  const Limits count = Limits::at_least(1);
  const Limits huge = Limits::between(1, 1e9);
  m.hidden = r.required<int64_t>("hidden_size", "model width", huge).value_or(0);
  m.intermediate = r.required<int64_t>("intermediate_size", "MLP width", huge).value_or(0);
  m.layers = r.required<int64_t>("num_hidden_layers", "decoder layers", Limits::between(1, 1e5)).value_or(0);
  m.heads = r.required<int64_t>("num_attention_heads", "query heads", Limits::between(1, 1e5)).value_or(0);
  m.kv_heads = r.optional<int64_t>("num_key_value_heads", "key/value heads (GQA)", count).value_or(m.heads);
  auto head_dim = r.optional<int64_t>("head_dim", "width of one head", huge);
  m.vocab = r.required<int64_t>("vocab_size", "vocabulary size", huge).value_or(0);
  m.max_context = r.optional<int64_t>("max_position_embeddings", "longest context", huge).value_or(0);
  m.tied_embeddings = r.optional<bool>("tie_word_embeddings", "LM head shares the embedding").value_or(false);
  r.optional<std::string>("hidden_act", "MLP activation");
  r.finish(/*open_schema=*/true);

  if (errors.empty()) {
    if (head_dim) {
      m.head_dim = *head_dim;
    } else if (m.hidden % m.heads != 0) {
      r.error(doc, "num_attention_heads",
              fmt::format("hidden_size {} is not divisible by num_attention_heads {}; give head_dim", m.hidden,
                          m.heads));
    } else {
      m.head_dim = m.hidden / m.heads;
    }
    if (m.heads % m.kv_heads != 0) {
      const config::Node* at = doc.find("num_key_value_heads");
      r.error(at ? *at : doc, "num_key_value_heads",
              fmt::format("{} query heads cannot be grouped over {} key/value heads", m.heads, m.kv_heads));
    }
  }
  if (!errors.empty()) return errors;
  return m;
}

core::Result<ModelSpec> load_model(const config::Catalog& catalog, std::string_view id_or_path,
                                   const config::Overrides& overrides) {
  auto path = catalog.locate("models", id_or_path);
  if (!path) return path.errors();
  auto doc = config::load_with_presets(catalog, "models", *path, overrides);
  if (!doc) return doc.errors();
  return read_model(*doc, std::filesystem::path(*path).stem().string());
}

}  // namespace tfab::workload
