#include "tensorfab/workload/model.h"

#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <charconv>
#include <span>
#include <vector>

#include "tensorfab/config/reader.h"

namespace tfab::workload {

using config::Limits;
using config::MapReader;
using config::Node;

// ---- parameter counts ------------------------------------------------------

int64_t ModelSpec::attention_params_per_layer() const {
  if (mla) {
    const LatentAttention& a = *mla;
    // Queries: down to q_lora_rank, RMSNorm, up to every head's nope and
    // rope parts; or one projection when there is no query compression.
    const int64_t queries =
        a.q_lora_rank > 0 ? hidden * a.q_lora_rank + a.q_lora_rank + a.q_lora_rank * heads * a.qk_head_dim()
                          : hidden * heads * a.qk_head_dim();
    // Keys and values: down to the latent plus the shared RoPE key, RMSNorm
    // on the latent, up to every head's nope key and value.
    const int64_t keys_values = hidden * (a.kv_lora_rank + a.qk_rope_head_dim) + a.kv_lora_rank +
                                a.kv_lora_rank * heads * (a.qk_nope_head_dim + a.v_head_dim);
    return queries + keys_values + heads * a.v_head_dim * hidden;  // + output projection
  }
  const int64_t qkv_width = (heads + 2 * kv_heads) * head_dim;
  return hidden * qkv_width           // Q, K, V
         + heads * head_dim * hidden  // output projection
         + (qkv_bias ? qkv_width : 0) + (output_bias ? hidden : 0);
}

// One norm before attention and one before the MLP.
int64_t ModelSpec::norm_params_per_layer() const { return 2 * hidden * (norm == Norm::kLayer ? 2 : 1); }

// Gated: gate, up and down projections; GPT-2: up and down.
int64_t ModelSpec::mlp_params_per_layer() const {
  const int64_t up_width = gated_mlp ? 2 * intermediate : intermediate;
  return (up_width + intermediate) * hidden + (mlp_bias ? up_width + hidden : 0);
}

int64_t ModelSpec::routed_expert_params() const { return moe ? 3 * hidden * moe->expert_intermediate : 0; }

namespace {
// The parts of a MoE layer's MLP that every token uses: router and shared expert(s).
int64_t moe_always_active_params(const ModelSpec& m) {
  const MixtureOfExperts& e = *m.moe;
  return m.hidden * e.experts + (e.router_bias ? e.experts : 0) + 3 * m.hidden * e.shared_intermediate +
         (e.shared_expert_gate ? m.hidden : 0);
}
}  // namespace

int64_t ModelSpec::moe_params_per_layer() const {
  return moe ? moe_always_active_params(*this) + moe->experts * routed_expert_params() : 0;
}

int64_t ModelSpec::moe_active_params_per_layer() const {
  return moe ? moe_always_active_params(*this) + moe->experts_per_token * routed_expert_params() : 0;
}

int64_t ModelSpec::decoder_params() const {
  return layers * (attention_params_per_layer() + norm_params_per_layer()) +
         dense_layers() * mlp_params_per_layer() + (moe ? moe->layers * moe_params_per_layer() : 0);
}

int64_t ModelSpec::params_per_layer() const { return layers > 0 ? decoder_params() / layers : 0; }

int64_t ModelSpec::embedding_params() const { return (vocab + learned_positions) * hidden; }

int64_t ModelSpec::lm_head_params() const { return tied_embeddings ? 0 : vocab * hidden; }

int64_t ModelSpec::total_params() const {
  const int64_t final_norm = norm == Norm::kLayer ? 2 * hidden : hidden;
  return decoder_params() + embedding_params() + lm_head_params() + final_norm;
}

int64_t ModelSpec::active_params() const {
  if (!moe) return total_params();
  return total_params() - moe->layers * (moe_params_per_layer() - moe_active_params_per_layer());
}

int64_t ModelSpec::kv_elements_per_token() const {
  if (mla) return layers * (mla->kv_lora_rank + mla->qk_rope_head_dim);
  return layers * 2 * kv_heads * head_dim;
}

// ---- reading config.json ---------------------------------------------------

namespace {

const Limits kWidth = Limits::between(1, 1e9);
const Limits kLayerCount = Limits::between(1, 1e5);

// Hugging Face writes an unset optional field (Python None) as null.
bool is_null(const Node& doc, std::string_view key) {
  const Node* value = doc.find(key);
  return value != nullptr && value->kind() == Node::Kind::kNull;
}

void declare(MapReader& r, std::string_view key) {
  const std::string k(key);
  r.allow(std::span(&k, 1));
}

// A whole number >= 0 written as a list item.
std::optional<int64_t> layer_index(const Node& item) {
  if (!item.is_scalar()) return std::nullopt;
  const std::string& text = item.text();
  int64_t index = -1;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), index);
  if (ec != std::errc() || end != text.data() + text.size() || index < 0) return std::nullopt;
  return index;
}

const Node& at(const Node& doc, std::string_view key) {
  const Node* value = doc.find(key);
  return value != nullptr ? *value : doc;
}

// Keys shared by the Llama-like families (everything but gpt2). Returns
// head_dim when the config gives it (and `reads_head_dim`).
std::optional<int64_t> read_decoder(MapReader& r, ModelSpec& m, bool reads_head_dim) {
  std::optional<int64_t> head_dim;
  m.hidden = r.required<int64_t>("hidden_size", "model width", kWidth).value_or(0);
  m.intermediate = r.required<int64_t>("intermediate_size", "MLP width", kWidth).value_or(0);
  m.layers = r.required<int64_t>("num_hidden_layers", "decoder layers", kLayerCount).value_or(0);
  m.heads = r.required<int64_t>("num_attention_heads", "query heads", kLayerCount).value_or(0);
  m.kv_heads = r.optional<int64_t>("num_key_value_heads", "key/value heads (GQA)", Limits::at_least(1))
                   .value_or(m.heads);
  if (reads_head_dim) head_dim = r.optional<int64_t>("head_dim", "width of one head", kWidth);
  m.vocab = r.required<int64_t>("vocab_size", "vocabulary size", kWidth).value_or(0);
  m.max_context = r.optional<int64_t>("max_position_embeddings", "longest context", kWidth).value_or(0);
  m.tied_embeddings = r.optional<bool>("tie_word_embeddings", "LM head shares the embedding").value_or(false);
  r.optional<std::string>("hidden_act", "MLP activation");
  return head_dim;
}

// Head width and grouping checks for multi-head and grouped-query attention.
void check_heads(MapReader& r, const Node& doc, ModelSpec& m, std::optional<int64_t> head_dim) {
  if (head_dim) {
    m.head_dim = *head_dim;
  } else if (m.hidden % m.heads != 0) {
    r.error(at(doc, "num_attention_heads"), "num_attention_heads",
            fmt::format("hidden_size {} is not divisible by num_attention_heads {}; give head_dim", m.hidden,
                        m.heads));
  } else {
    m.head_dim = m.hidden / m.heads;
  }
  if (m.heads % m.kv_heads != 0) {
    r.error(at(doc, "num_key_value_heads"), "num_key_value_heads",
            fmt::format("{} query heads cannot be grouped over {} key/value heads", m.heads, m.kv_heads));
  }
}

void check_top_k(MapReader& r, const Node& doc, const MixtureOfExperts& e, std::string_view experts_key) {
  if (e.experts_per_token > e.experts) {
    r.error(at(doc, "num_experts_per_tok"), "num_experts_per_tok",
            fmt::format("{} experts per token is more than the {} of {}", e.experts_per_token, e.experts,
                        experts_key));
  }
}

void read_dense(MapReader& r, const Node& doc, ModelSpec& m, core::Diagnostics& errors) {
  const std::optional<int64_t> head_dim = read_decoder(r, m, /*reads_head_dim=*/true);
  if (m.model_type == "llama") {  // LlamaConfig's switches; Mistral has none
    const bool attention_bias = r.optional<bool>("attention_bias", "biases on Q, K, V and O").value_or(false);
    m.qkv_bias = m.output_bias = attention_bias;
    m.mlp_bias = r.optional<bool>("mlp_bias", "biases on the MLP projections").value_or(false);
  }
  // Qwen2Attention always has biases on q_proj, k_proj and v_proj (transformers' modeling_qwen2.py).
  if (m.model_type == "qwen2") m.qkv_bias = true;
  r.finish(/*open_schema=*/true);
  if (errors.empty()) check_heads(r, doc, m, head_dim);
}

// Mixtral (MixtralConfig): every layer's MLP is `num_local_experts` gated
// experts of width intermediate_size, top-`num_experts_per_tok` routing, no
// shared expert, no router bias.
void read_mixtral(MapReader& r, const Node& doc, ModelSpec& m, core::Diagnostics& errors) {
  const std::optional<int64_t> head_dim = read_decoder(r, m, /*reads_head_dim=*/true);
  MixtureOfExperts e;
  e.experts = r.required<int64_t>("num_local_experts", "routed experts per layer", kLayerCount).value_or(0);
  e.experts_per_token =
      r.required<int64_t>("num_experts_per_tok", "experts each token is routed to", kLayerCount).value_or(0);
  r.finish(/*open_schema=*/true);
  if (!errors.empty()) return;
  check_heads(r, doc, m, head_dim);
  check_top_k(r, doc, e, "num_local_experts");
  e.expert_intermediate = m.intermediate;
  e.layers = m.layers;
  m.moe = e;
}

// Qwen2-MoE (Qwen2MoeConfig, transformers' modeling_qwen2_moe.py): layer i
// is sparse unless it is listed in mlp_only_layers or (i + 1) is not a
// multiple of decoder_sparse_step; sparse layers add one shared expert of
// width shared_expert_intermediate_size behind a sigmoid gate. Dense layers
// use intermediate_size.
void read_qwen2_moe(MapReader& r, const Node& doc, ModelSpec& m, core::Diagnostics& errors) {
  const std::optional<int64_t> head_dim = read_decoder(r, m, /*reads_head_dim=*/true);
  MixtureOfExperts e;
  e.experts = r.required<int64_t>("num_experts", "routed experts per MoE layer", kLayerCount).value_or(0);
  e.experts_per_token =
      r.required<int64_t>("num_experts_per_tok", "experts each token is routed to", kLayerCount).value_or(0);
  e.expert_intermediate =
      r.required<int64_t>("moe_intermediate_size", "width of one routed expert", kWidth).value_or(0);
  e.shared_intermediate =
      r.required<int64_t>("shared_expert_intermediate_size", "width of the shared expert", kWidth)
          .value_or(0);
  const int64_t sparse_step =
      r.optional<int64_t>("decoder_sparse_step", "every n-th layer is sparse", kLayerCount).value_or(1);
  std::vector<int64_t> mlp_only;
  if (const Node* list = r.raw("mlp_only_layers", "indices of layers with a dense MLP")) {
    if (list->kind() != Node::Kind::kSequence) {
      r.error(*list, "mlp_only_layers",
              fmt::format("expected a list of layer indices, got {}", list->kind_name()));
    } else {
      for (size_t i = 0; i < list->items().size(); ++i) {
        const Node& item = list->items()[i];
        if (auto index = layer_index(item)) {
          mlp_only.push_back(*index);
        } else {
          r.error(item, fmt::format("mlp_only_layers[{}]", i),
                  fmt::format("expected a layer index, got {}",
                              item.is_scalar() ? "'" + item.text() + "'" : std::string(item.kind_name())));
        }
      }
    }
  }
  r.finish(/*open_schema=*/true);
  if (!errors.empty()) return;
  check_heads(r, doc, m, head_dim);
  check_top_k(r, doc, e, "num_experts");
  for (int64_t index : mlp_only) {
    if (index >= m.layers) {
      r.error(at(doc, "mlp_only_layers"), "mlp_only_layers",
              fmt::format("layer {} does not exist: the model has {} layers", index, m.layers));
    }
  }
  for (int64_t i = 0; i < m.layers; ++i) {
    const bool listed = std::find(mlp_only.begin(), mlp_only.end(), i) != mlp_only.end();
    if (!listed && (i + 1) % sparse_step == 0) ++e.layers;
  }
  e.shared_expert_gate = true;
  m.qkv_bias = true;  // as in Qwen2
  m.moe = e;
}

// DeepSeek-V3 (DeepseekV3Config, modeling_deepseek.py): layer i has a MoE
// MLP when i >= first_k_dense_replace and i % moe_layer_freq == 0, else a
// dense MLP of width intermediate_size. n_shared_experts experts of width
// moe_intermediate_size run for every token (built as one MLP of their
// summed width). Attention is MLA.
void read_deepseek_v3(MapReader& r, const Node& doc, ModelSpec& m, core::Diagnostics& errors) {
  // head_dim, when a config carries it, is the RoPE width that the MLA keys
  // below already give; declared so that it is not taken for a typo of v_head_dim.
  declare(r, "head_dim");
  read_decoder(r, m, /*reads_head_dim=*/false);
  MixtureOfExperts e;
  e.experts =
      r.required<int64_t>("n_routed_experts", "routed experts per MoE layer", kLayerCount).value_or(0);
  e.experts_per_token =
      r.required<int64_t>("num_experts_per_tok", "experts each token is routed to", kLayerCount).value_or(0);
  const int64_t shared =
      r.required<int64_t>("n_shared_experts", "always-active experts per MoE layer", Limits::between(0, 1e5))
          .value_or(0);
  e.expert_intermediate =
      r.required<int64_t>("moe_intermediate_size", "width of one expert", kWidth).value_or(0);
  const int64_t first_dense =
      r.required<int64_t>("first_k_dense_replace", "leading layers with a dense MLP", Limits::between(0, 1e5))
          .value_or(0);
  const int64_t frequency =
      r.optional<int64_t>("moe_layer_freq", "every n-th layer is MoE", kLayerCount).value_or(1);

  LatentAttention a;
  if (is_null(doc, "q_lora_rank")) {
    declare(r, "q_lora_rank");  // null: queries are not compressed (DeepSeek-V2-Lite)
  } else {
    a.q_lora_rank = r.required<int64_t>("q_lora_rank", "query compression rank, or null", kWidth).value_or(0);
  }
  a.kv_lora_rank = r.required<int64_t>("kv_lora_rank", "width of the cached KV latent", kWidth).value_or(0);
  a.qk_nope_head_dim =
      r.required<int64_t>("qk_nope_head_dim", "per-head query/key width without RoPE", kWidth).value_or(0);
  a.qk_rope_head_dim =
      r.required<int64_t>("qk_rope_head_dim", "per-head decoupled RoPE width", kWidth).value_or(0);
  a.v_head_dim = r.required<int64_t>("v_head_dim", "per-head value width", kWidth).value_or(0);
  // The multi-token-prediction module is a training aid and an optional
  // speculative-decoding head: not part of the served model we count.
  declare(r, "num_nextn_predict_layers");
  r.finish(/*open_schema=*/true);
  if (!errors.empty()) return;

  check_top_k(r, doc, e, "n_routed_experts");
  if (first_dense > m.layers) {
    r.error(at(doc, "first_k_dense_replace"), "first_k_dense_replace",
            fmt::format("{} dense layers is more than the {} layers of the model", first_dense, m.layers));
  }
  for (int64_t i = first_dense; i < m.layers; ++i) {
    if (i % frequency == 0) ++e.layers;
  }
  e.shared_intermediate = shared * e.expert_intermediate;
  e.router_bias = true;  // e_score_correction_bias, used by V3's "noaux_tc" routing
  m.moe = e;
  m.mla = a;
  m.kv_heads = m.heads;  // K and V, once decompressed, have one head per query head
  m.head_dim = a.qk_head_dim();
}

// GPT-2 style (GPT2Config): pre-LayerNorm blocks, fused QKV with bias,
// non-gated MLP of width n_inner (default 4 * n_embd), learned position
// embeddings, LM head tied to the token embedding unless said otherwise.
void read_gpt2(MapReader& r, const Node& doc, ModelSpec& m, core::Diagnostics& errors) {
  m.hidden = r.required<int64_t>("n_embd", "model width", kWidth).value_or(0);
  m.layers = r.required<int64_t>("n_layer", "decoder layers", kLayerCount).value_or(0);
  m.heads = r.required<int64_t>("n_head", "attention heads", kLayerCount).value_or(0);
  std::optional<int64_t> inner;
  if (is_null(doc, "n_inner")) {
    declare(r, "n_inner");  // null: the default width
  } else {
    inner = r.optional<int64_t>("n_inner", "MLP width (default 4 x n_embd)", kWidth);
  }
  m.learned_positions =
      r.required<int64_t>("n_positions", "positions in the learned position table", kWidth).value_or(0);
  declare(r, "n_ctx");  // older configs repeat n_positions here
  m.vocab = r.required<int64_t>("vocab_size", "vocabulary size", kWidth).value_or(0);
  r.optional<std::string>("activation_function", "MLP activation");
  m.tied_embeddings = r.optional<bool>("tie_word_embeddings", "LM head shares the embedding").value_or(true);
  r.finish(/*open_schema=*/true);
  if (!errors.empty()) return;

  if (m.hidden % m.heads != 0) {
    r.error(at(doc, "n_head"), "n_head",
            fmt::format("n_embd {} is not divisible by n_head {}", m.hidden, m.heads));
  }
  m.intermediate = inner.value_or(4 * m.hidden);  // GPT2MLP: n_inner if not None else 4 * hidden_size
  m.kv_heads = m.heads;
  m.head_dim = m.hidden / m.heads;
  m.max_context = m.learned_positions;
  m.norm = Norm::kLayer;
  m.gated_mlp = false;
  m.qkv_bias = m.output_bias = m.mlp_bias = true;
}

}  // namespace

namespace {

// Parameter counts are whole numbers in int64; any real model is far below
// this, and below it no product in the counts can overflow.
constexpr double kMaxParams = 1e15;

// An upper bound on the parameter count, in floating point so that absurd
// sizes (which the per-key limits allow one at a time) cannot overflow.
double parameter_bound(const ModelSpec& m) {
  const double h = static_cast<double>(m.hidden), heads = static_cast<double>(m.heads);
  double attention = h * static_cast<double>(m.heads + 2 * m.kv_heads) * static_cast<double>(m.head_dim) * 2;
  if (m.mla) {
    const auto& a = *m.mla;
    const double ranks = static_cast<double>(a.q_lora_rank + a.kv_lora_rank + a.qk_rope_head_dim);
    attention += h * ranks + ranks * heads * static_cast<double>(a.qk_head_dim() + a.v_head_dim) + heads * h *
                                                                                                     static_cast<double>(a.v_head_dim);
  }
  double mlp = 3 * h * static_cast<double>(m.intermediate);
  if (m.moe) {
    mlp += static_cast<double>(m.moe->experts) * 3 * h * static_cast<double>(m.moe->expert_intermediate) +
           3 * h * static_cast<double>(m.moe->shared_intermediate) + h * static_cast<double>(m.moe->experts);
  }
  return static_cast<double>(m.layers) * (attention + mlp + 4 * h) +
         (2 * static_cast<double>(m.vocab) + static_cast<double>(m.learned_positions) + 2) * h;
}

}  // namespace

core::Result<ModelSpec> read_model(const config::Node& doc, const std::string& id) {
  core::Diagnostics errors;
  MapReader r(doc, "", errors);
  ModelSpec m;
  m.id = id;

  static const std::array<std::string, 7> kFamilies{"llama",     "mistral",     "qwen2", "mixtral",
                                                    "qwen2_moe", "deepseek_v3", "gpt2"};
  m.model_type = r.choice("model_type", "Hugging Face architecture family", kFamilies, true).value_or("");
  // Without a known family we cannot tell which keys to expect.
  if (!errors.empty()) return errors;

  if (m.model_type == "mixtral") {
    read_mixtral(r, doc, m, errors);
  } else if (m.model_type == "qwen2_moe") {
    read_qwen2_moe(r, doc, m, errors);
  } else if (m.model_type == "deepseek_v3") {
    read_deepseek_v3(r, doc, m, errors);
  } else if (m.model_type == "gpt2") {
    read_gpt2(r, doc, m, errors);
  } else {
    read_dense(r, doc, m, errors);
  }
  if (!errors.empty()) return errors;
  if (const double bound = parameter_bound(m); bound > kMaxParams) {
    auto d = core::bad_input(fmt::format("the model has about {:.2g} parameters, more than the {:.0e} tensorfab "
                                         "evaluates; check its sizes",
                                         bound, kMaxParams));
    d.location = doc.location();
    return d;
  }
  return m;
}

core::Result<ModelSpec> load_model(const config::Catalog& catalog, std::string_view id_or_path,
                                   const config::Overrides& overrides) {
  return config::load_spec(catalog, "models", id_or_path, overrides, read_model);
}

}  // namespace tfab::workload
