#pragma once
// A small Llama-style model on the prototype (docs/isa.md, "A whole
// model"): the compiler turns its decoder (RMSNorm, RoPE, grouped-query
// attention, SwiGLU MLP) into one program that runs the prompt and then
// decodes greedily, picking each token on the chip. An FP64 reference of
// the same model is what the number formats are judged against
// (`tensorfab numerics`).

#include <cstdint>
#include <span>
#include <vector>

#include "tensorfab/core/result.h"
#include "tensorfab/vp/compile.h"
#include "tensorfab/vp/execute.h"
#include "tensorfab/vp/isa.h"

namespace tfab::vp {

// The shape of the model; Llama's layout with Hugging Face's conventions
// (RoPE rotates the two halves of each head).
struct LlamaConfig {
  int64_t hidden = 64;
  int64_t intermediate = 160;
  int64_t layers = 2;
  int64_t heads = 4;
  int64_t kv_heads = 2;
  int64_t head_dim = 16;
  int64_t vocab = 256;
  double rope_theta = 10000;
  double norm_eps = 1e-5;
};
[[nodiscard]] core::Diagnostics check(const LlamaConfig& config);
// A prompt and at least one generated token, 4096 at most together.
[[nodiscard]] core::Diagnostics check_tokens(int64_t prompt, int64_t generate);

// Weights in double, row-major; linear layers are out x in, as PyTorch
// stores them.
struct LlamaWeights {
  struct Layer {
    std::vector<double> attn_norm, wq, wk, wv, wo, mlp_norm, gate, up, down;
  };
  std::vector<double> embedding;  // vocab x hidden
  std::vector<Layer> layers;
  std::vector<double> final_norm, lm_head;  // hidden; vocab x hidden
};
// Seeded random weights, each linear layer uniform with variance 1/fan-in,
// the embedding with variance 1, the norms' gains around 1.
[[nodiscard]] LlamaWeights random_weights(const LlamaConfig& config, uint64_t seed);

// Token ids drawn uniformly from the vocabulary.
[[nodiscard]] std::vector<int64_t> random_prompt(const LlamaConfig& config, int64_t length, uint64_t seed);

// Greedy decoding: the prompt, then each token the model chose; the logits
// after every token but the last (row i predicts token i + 1).
struct Decoded {
  std::vector<int64_t> tokens;
  std::vector<double> logits;
};

// The model in double precision, one token at a time; prompt ids below
// the vocabulary.
[[nodiscard]] Decoded reference_decode(const LlamaConfig& config, const LlamaWeights& weights,
                                       std::span<const int64_t> prompt, int64_t generate);

// Linear layers' weights in `weights` (any float or MX type); activations
// between kernels, the attention's operands and the KV cache in
// `activations` (fp32, fp16, bf16 or an FP8). Matmuls accumulate in FP32;
// norms, softmax, residuals and logits stay in FP32, as do the embedding
// table and the norms' gains.
struct LlamaFormats {
  DataType weights = DataType::kBf16;
  DataType activations = DataType::kBf16;
};
// Weights in a float or MX type; activations in a float type of 8 bits or more.
[[nodiscard]] core::Diagnostics check(const LlamaFormats& formats);

// Where the compiled program expects its inputs and leaves its outputs.
struct LlamaLayout {
  struct Layer {
    HbmTensor attn_norm, qkv, wo, mlp_norm, gate, up, down;
    int64_t k_cache = 0, v_cache = 0;  // per KV head: positions x head_dim, and head_dim x positions
  };
  HbmTensor embedding;
  std::vector<Layer> layers;
  HbmTensor final_norm, lm_head;
  HbmTensor rope_cos, rope_sin, mask;  // FP32 tables the compiler computes
  HbmTensor tokens;                    // FP32 token ids: the prompt in, the generated ones out
  HbmTensor logits;                    // FP32, a row per position
  int64_t end = 0;                     // first byte past the layout
};

struct CompiledLlama {
  LlamaConfig config;
  LlamaFormats formats;
  int64_t prompt = 0, generate = 0;
  int64_t cores = 0;  // that the program uses
  Program program;
  LlamaLayout layout;
};

// The whole greedy decode as one program: the prompt in one pass, then a
// pass per generated token. Each kernel splits its work over the cores
// (columns of a linear layer, heads of attention, rows of a norm) and ends
// at a barrier. Fails (bad input) on a bad configuration, formats the
// kernels do not take, or a scratchpad too small for a kernel's operands.
[[nodiscard]] core::Result<CompiledLlama> compile_llama(const LlamaConfig& config, const LlamaFormats& formats,
                                                        const Machine& machine, int64_t prompt, int64_t generate);

// Writes the weights (rounded to the compiled formats), the tables and the
// prompt (ids below the vocabulary) where the program expects them.
void load_llama(const CompiledLlama& model, const LlamaWeights& weights, std::span<const int64_t> prompt, Hbm& hbm);

// The tokens and logits a run of the program left in HBM.
[[nodiscard]] Decoded read_decoded(const CompiledLlama& model, const Hbm& hbm);

// How far a run's logits are from the reference's, over the positions
// whose tokens so far agree: the prompt's, then the decode's up to the
// first generated token that differs (after it the two decode different
// texts).
struct LogitsError {
  int64_t positions = 0;
  double max_abs = 0;
  double rms_relative = 0;      // rms(run - reference) / rms(reference), over the finite logits
  int64_t nonfinite = 0;        // logits the run overflowed (Inf or NaN)
  int64_t tokens_agreeing = 0;  // generated tokens equal to the reference's, before the first that differs
  int64_t generated = 0;
};
[[nodiscard]] LogitsError compare(const Decoded& reference, const Decoded& run, int64_t prompt, int64_t vocab);

}  // namespace tfab::vp
