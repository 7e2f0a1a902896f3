// A small Llama-style model: seeded weights, an FP64 reference, and the
// compiler that turns the model into one program for the prototype. The
// compiler writes assembly text and assembles it, as compile_gemm does.

#include "tensorfab/vp/llama.h"

#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <cmath>
#include <limits>
#include <string>

#include "tensorfab/vp/formats.h"
#include "tensorfab/vp/tensor.h"

namespace tfab::vp {

core::Diagnostics check(const LlamaConfig& c) {
  core::Diagnostics errors;
  auto bad = [&](std::string message, std::string key) { errors.push_back(core::bad_input(std::move(message), key)); };
  const std::array<std::pair<int64_t, const char*>, 7> sizes{{{c.hidden, "hidden"},
                                                              {c.intermediate, "intermediate"},
                                                              {c.layers, "layers"},
                                                              {c.heads, "heads"},
                                                              {c.kv_heads, "kv_heads"},
                                                              {c.head_dim, "head_dim"},
                                                              {c.vocab, "vocab"}}};
  for (const auto& [value, key] : sizes) {
    // The prototype computes every value on the host: keep a model small.
    constexpr int64_t kLargest = 1 << 16;
    if (value <= 0 || value > kLargest) {
      bad(fmt::format("expected an integer from 1 to {}, got {}", kLargest, value), fmt::format("llama.{}", key));
    }
  }
  const double d = static_cast<double>(c.hidden), kv = static_cast<double>(c.kv_heads * c.head_dim);
  const double q = static_cast<double>(c.heads * c.head_dim), f = static_cast<double>(c.intermediate);
  const double params = 2 * static_cast<double>(c.vocab) * d + static_cast<double>(c.layers) * (d * (2 * q + 2 * kv) + 3 * d * f);
  constexpr double kMostParameters = 1 << 24;
  if (errors.empty() && params > kMostParameters) {
    bad(fmt::format("the model has {:.3g} parameters; the prototype runs models of at most {:.3g}", params,
                    kMostParameters),
        "llama");
  }
  if (c.heads > 0 && c.kv_heads > 0 && c.heads % c.kv_heads != 0) {
    bad(fmt::format("{} query heads do not share {} key/value heads evenly", c.heads, c.kv_heads), "llama.kv_heads");
  }
  if (c.head_dim % 2 != 0) bad(fmt::format("RoPE rotates halves of a head: head_dim {} is odd", c.head_dim), "llama.head_dim");
  if (!(c.rope_theta > 1 && std::isfinite(c.rope_theta))) {
    bad(fmt::format("expected a finite base above 1, got {}", c.rope_theta), "llama.rope_theta");
  }
  if (!(c.norm_eps > 0 && c.norm_eps < 1)) bad(fmt::format("expected a value in (0, 1), got {}", c.norm_eps), "llama.norm_eps");
  return errors;
}

// ---- Weights --------------------------------------------------------------

namespace {

// Uniform draws from one reproducible stream (formats.h's random bits).
class Draws {
 public:
  explicit Draws(uint64_t seed) : seed_(seed) {}
  std::vector<double> uniform(int64_t n, double centre, double half_width) {
    std::vector<double> v(static_cast<size_t>(n));
    for (double& x : v) x = centre + half_width * (random_bits(seed_, next_++) * 0x1p-31 - 1.0);
    return v;
  }
  // Variance 1 / fan_in, as a linear layer is initialised.
  std::vector<double> linear(int64_t out, int64_t in) {
    return uniform(out * in, 0, std::sqrt(3.0 / static_cast<double>(in)));
  }

 private:
  uint64_t seed_;
  uint64_t next_ = 0;
};

}  // namespace

LlamaWeights random_weights(const LlamaConfig& c, uint64_t seed) {
  Draws draw(seed);
  const int64_t d = c.hidden, qd = c.heads * c.head_dim, kvd = c.kv_heads * c.head_dim;
  LlamaWeights w;
  w.embedding = draw.uniform(c.vocab * d, 0, std::sqrt(3.0));
  for (int64_t l = 0; l < c.layers; ++l) {
    LlamaWeights::Layer layer;
    layer.attn_norm = draw.uniform(d, 1, 0.2);
    layer.wq = draw.linear(qd, d);
    layer.wk = draw.linear(kvd, d);
    layer.wv = draw.linear(kvd, d);
    layer.wo = draw.linear(d, qd);
    layer.mlp_norm = draw.uniform(d, 1, 0.2);
    layer.gate = draw.linear(c.intermediate, d);
    layer.up = draw.linear(c.intermediate, d);
    layer.down = draw.linear(d, c.intermediate);
    w.layers.push_back(std::move(layer));
  }
  w.final_norm = draw.uniform(d, 1, 0.2);
  w.lm_head = draw.linear(c.vocab, d);
  return w;
}

std::vector<int64_t> random_prompt(const LlamaConfig& c, int64_t length, uint64_t seed) {
  std::vector<int64_t> ids(static_cast<size_t>(length));
  for (size_t i = 0; i < ids.size(); ++i) ids[i] = random_bits(~seed, i) % c.vocab;  // a stream apart from the weights'
  return ids;
}

// ---- The FP64 reference ---------------------------------------------------

namespace {

using Vector = std::vector<double>;

// W (out x in) . x
Vector apply(const Vector& w, const Vector& x, int64_t out) {
  const size_t in = x.size();
  Vector y(static_cast<size_t>(out));
  for (size_t o = 0; o < y.size(); ++o) {
    double sum = 0;
    for (size_t i = 0; i < in; ++i) sum += w[o * in + i] * x[i];
    y[o] = sum;
  }
  return y;
}

Vector rms_norm(const Vector& x, const Vector& gain, double eps) {
  double squares = 0;
  for (double v : x) squares += v * v;
  const double scale = 1 / std::sqrt(squares / static_cast<double>(x.size()) + eps);
  Vector y(x.size());
  for (size_t i = 0; i < x.size(); ++i) y[i] = gain[i] * (x[i] * scale);
  return y;
}

// The angle of frequency pair i at a position (Hugging Face's layout: pair i
// is elements i and i + head_dim / 2).
double rope_angle(const LlamaConfig& c, int64_t position, int64_t i) {
  return static_cast<double>(position) *
         std::pow(c.rope_theta, -2.0 * static_cast<double>(i) / static_cast<double>(c.head_dim));
}

void rope(const LlamaConfig& c, Vector& x, int64_t heads, int64_t position) {
  const int64_t half = c.head_dim / 2;
  for (int64_t h = 0; h < heads; ++h) {
    double* head = x.data() + h * c.head_dim;
    for (int64_t i = 0; i < half; ++i) {
      const double angle = rope_angle(c, position, i), cs = std::cos(angle), sn = std::sin(angle);
      const double a = head[i], b = head[i + half];
      head[i] = a * cs - b * sn;
      head[i + half] = b * cs + a * sn;
    }
  }
}

// The first maximum, as vrargmax picks it.
int64_t argmax(const Vector& v) {
  return std::distance(v.begin(), std::max_element(v.begin(), v.end()));
}

}  // namespace

Decoded reference_decode(const LlamaConfig& c, const LlamaWeights& w, std::span<const int64_t> prompt,
                         int64_t generate) {
  const int64_t d = c.hidden, D = c.head_dim, group = c.heads / c.kv_heads;
  const auto total = static_cast<int64_t>(prompt.size()) + generate;
  Decoded out;
  out.tokens.assign(prompt.begin(), prompt.end());
  std::vector<std::vector<Vector>> keys(static_cast<size_t>(c.layers)), values(keys.size());
  for (int64_t pos = 0; pos + 1 < total; ++pos) {
    const auto token = static_cast<size_t>(out.tokens[static_cast<size_t>(pos)]);
    Vector x(w.embedding.begin() + static_cast<ptrdiff_t>(token * static_cast<size_t>(d)),
             w.embedding.begin() + static_cast<ptrdiff_t>((token + 1) * static_cast<size_t>(d)));
    for (size_t l = 0; l < keys.size(); ++l) {
      const LlamaWeights::Layer& lw = w.layers[l];
      Vector xn = rms_norm(x, lw.attn_norm, c.norm_eps);
      Vector q = apply(lw.wq, xn, c.heads * D), k = apply(lw.wk, xn, c.kv_heads * D);
      rope(c, q, c.heads, pos);
      rope(c, k, c.kv_heads, pos);
      keys[l].push_back(std::move(k));
      values[l].push_back(apply(lw.wv, xn, c.kv_heads * D));
      Vector attended(static_cast<size_t>(c.heads * D), 0.0);
      for (int64_t h = 0; h < c.heads; ++h) {
        const int64_t kv = h / group;
        Vector scores(keys[l].size());
        for (size_t p = 0; p < scores.size(); ++p) {
          double dot = 0;
          for (int64_t i = 0; i < D; ++i) dot += q[static_cast<size_t>(h * D + i)] * keys[l][p][static_cast<size_t>(kv * D + i)];
          scores[p] = dot / std::sqrt(static_cast<double>(D));
        }
        const double top = *std::max_element(scores.begin(), scores.end());
        double sum = 0;
        for (double& s : scores) sum += (s = std::exp(s - top));
        for (size_t p = 0; p < scores.size(); ++p) {
          for (int64_t i = 0; i < D; ++i) {
            attended[static_cast<size_t>(h * D + i)] += scores[p] / sum * values[l][p][static_cast<size_t>(kv * D + i)];
          }
        }
      }
      const Vector o = apply(lw.wo, attended, d);
      for (size_t i = 0; i < x.size(); ++i) x[i] += o[i];
      xn = rms_norm(x, lw.mlp_norm, c.norm_eps);
      Vector gate = apply(lw.gate, xn, c.intermediate);
      const Vector up = apply(lw.up, xn, c.intermediate);
      for (size_t i = 0; i < gate.size(); ++i) gate[i] = gate[i] / (1 + std::exp(-gate[i])) * up[i];
      const Vector down = apply(lw.down, gate, d);
      for (size_t i = 0; i < x.size(); ++i) x[i] += down[i];
    }
    const Vector logits = apply(w.lm_head, rms_norm(x, w.final_norm, c.norm_eps), c.vocab);
    out.logits.insert(out.logits.end(), logits.begin(), logits.end());
    if (pos + 1 >= static_cast<int64_t>(prompt.size())) out.tokens.push_back(argmax(logits));
  }
  return out;
}

// ---- The compiler ---------------------------------------------------------

namespace {

bool is_float(DataType t) { return !is_mx(t) && !is_int(t); }

// The engines a kernel's instructions run on: DMA queues 0 (loads), 1
// (stores) and 2 (copies within the scratchpad), the tensor engine and the
// vector engine.
enum Lane { kLoad, kStore, kCopy, kMatrix, kVectorOps, kLaneCount };

// One core's stream. Within a kernel its engine instructions run one after
// another: each waits for the one before when that ran on another engine.
// A semaphore per ordered pair of engines has one waiter, and its signals
// and waits come in the same order, so each wait takes its own signal.
class Stream {
 public:
  void engine(Lane lane, std::string line) {
    if (last_ >= 0 && last_lane_ != lane) {
      const int semaphore = last_lane_ * kLaneCount + lane;
      lines_[static_cast<size_t>(last_)] += fmt::format(" signal=s{}", semaphore);
      line += fmt::format(" wait=s{}", semaphore);
    }
    last_ = static_cast<int64_t>(lines_.size());
    last_lane_ = lane;
    lines_.push_back(std::move(line));
  }
  void scalar(std::string line) { lines_.push_back(std::move(line)); }
  void barrier(int64_t id) {
    lines_.push_back(fmt::format("barrier id={}", id));
    last_ = -1;
  }
  void comment(const std::string& text) { lines_.push_back("# " + text); }

  [[nodiscard]] std::string text() const {
    std::string out;
    for (const std::string& l : lines_) (out += l) += '\n';
    return out;
  }

 private:
  std::vector<std::string> lines_;
  int64_t last_ = -1;  // the last engine instruction of this kernel
  Lane last_lane_ = kLoad;
};

std::string tensor(int64_t at, DataType type) { return fmt::format("sram:{:#x}:{}", at, name(type)); }

// A range of a dimension one core works on.
struct Part {
  int core = 0;
  int64_t begin = 0, end = 0;
  [[nodiscard]] int64_t size() const { return end - begin; }
};

constexpr int64_t kColumns = 16;  // the unit a linear layer's columns are split in
constexpr int64_t kHbmAlign = 4096;

class LlamaCompiler {
 public:
  LlamaCompiler(const LlamaConfig& c, const LlamaFormats& f, const Machine& m, int64_t prompt, int64_t generate)
      : c_(c), act_(f.activations), weights_(f.weights), machine_(m), prompt_(prompt), generate_(generate),
        positions_(prompt + generate - 1) {
    const int64_t units = c.heads + 2 * c.kv_heads;
    const int64_t widest = std::max({ceil(c.vocab, kColumns), ceil(c.intermediate, kColumns),
                                     ceil(c.hidden, kColumns), units, prompt});
    cores_ = static_cast<int>(std::min<int64_t>(m.cores, widest));
    streams_.resize(static_cast<size_t>(cores_));
    ids_end_ = round_up((prompt + generate) * 4, 64);
  }

  core::Result<CompiledLlama> compile() {
    lay_out();
    comment(fmt::format("prompt: {} tokens in one pass", prompt_));
    pass(prompt_, 0);
    for (int64_t i = 1; i < generate_; ++i) {
      comment(fmt::format("decode: the token at position {}", prompt_ + i - 1));
      pass(1, prompt_ + i - 1);
    }
    if (static_cast<double>(layout_.end) > machine_.hbm.base()) {
      return core::bad_input(fmt::format("the model's weights, cache and activations take {} bytes; {} has {:.0f} of HBM",
                                         layout_.end, machine_.chip, machine_.hbm.base()),
                             "llama");
    }
    if (static_cast<double>(widest_kernel_bytes_) > machine_.sram.base()) {
      return core::bad_input(
          fmt::format("the {} kernel needs {} bytes of scratchpad per core; {} has {:.0f}: make the model smaller",
                      widest_kernel_, widest_kernel_bytes_, machine_.chip, machine_.sram.base()),
          "llama");
    }
    std::string text;
    for (size_t core = 0; core < streams_.size(); ++core) text += fmt::format(".core {}\n{}", core, streams_[core].text());
    auto program = assemble(text, "llama.s", &machine_);
    if (!program.ok()) return program.errors();
    CompiledLlama out;
    out.config = c_;
    out.formats = {weights_, act_};
    out.prompt = prompt_;
    out.generate = generate_;
    out.cores = cores_;
    out.program = std::move(*program);
    out.layout = layout_;
    return out;
  }

 private:
  static int64_t ceil(int64_t a, int64_t b) { return (a + b - 1) / b; }
  static int64_t round_up(int64_t a, int64_t b) { return ceil(a, b) * b; }
  int64_t es() const { return storage_bits(act_) / 8; }  // bytes of an activation
  int64_t act_row(int64_t cols) const { return row_bytes(act_, cols); }

  // ---- HBM ----------------------------------------------------------------

  HbmTensor place(DataType type, int64_t rows, int64_t cols) {
    HbmTensor t{hbm_end_, type, rows, cols, 0};
    hbm_end_ = round_up(hbm_end_ + rows * row_bytes(type, cols), kHbmAlign);
    if (const int64_t scales = scale_bytes(type, rows, cols); scales > 0) {
      t.scales = hbm_end_;
      hbm_end_ = round_up(hbm_end_ + scales, kHbmAlign);
    }
    return t;
  }
  int64_t reserve(int64_t bytes) {
    const int64_t at = hbm_end_;
    hbm_end_ = round_up(hbm_end_ + bytes, kHbmAlign);
    return at;
  }

  void lay_out() {
    const int64_t d = c_.hidden, D = c_.head_dim, f32 = 4;
    LlamaLayout& l = layout_;
    l.embedding = place(DataType::kFp32, c_.vocab, d);
    for (int64_t i = 0; i < c_.layers; ++i) {
      LlamaLayout::Layer layer;
      layer.attn_norm = place(DataType::kFp32, 1, d);
      layer.qkv = place(weights_, (c_.heads + 2 * c_.kv_heads) * D, d);
      layer.wo = place(weights_, d, c_.heads * D);
      layer.mlp_norm = place(DataType::kFp32, 1, d);
      layer.gate = place(weights_, c_.intermediate, d);
      layer.up = place(weights_, c_.intermediate, d);
      layer.down = place(weights_, d, c_.intermediate);
      layer.k_cache = reserve(c_.kv_heads * positions_ * D * es());
      layer.v_cache = reserve(c_.kv_heads * positions_ * D * es());
      l.layers.push_back(layer);
    }
    l.final_norm = place(DataType::kFp32, 1, d);
    l.lm_head = place(weights_, c_.vocab, d);
    l.rope_cos = place(DataType::kFp32, positions_, D);
    l.rope_sin = place(DataType::kFp32, positions_, D);
    l.mask = place(DataType::kFp32, prompt_, prompt_);
    l.tokens = place(DataType::kFp32, 1, prompt_ + generate_);
    l.logits = place(DataType::kFp32, positions_, c_.vocab);
    // Activations between kernels, a row per token of the pass.
    x_ = reserve(prompt_ * d * f32);
    normed_ = reserve(prompt_ * act_row(d));
    queries_ = reserve(prompt_ * act_row(c_.heads * D));
    attended_ = reserve(prompt_ * act_row(c_.heads * D));
    hidden_ = reserve(prompt_ * act_row(c_.intermediate));
    l.end = hbm_end_;
  }

  // ---- Kernels ------------------------------------------------------------

  // The cores' shares of n, in whole units of `granule`.
  std::vector<Part> split(int64_t n, int64_t granule) const {
    const int64_t units = ceil(n, granule);
    const int64_t per = ceil(units, std::min<int64_t>(cores_, units)) * granule;
    std::vector<Part> parts;
    for (int core = 0; core * per < n; ++core) parts.push_back({core, core * per, std::min(n, (core + 1) * per)});
    return parts;
  }

  void begin(std::string kernel) {
    kernel_ = std::move(kernel);
    scratch_.assign(static_cast<size_t>(cores_), ids_end_);  // core 0 keeps the token ids below
  }
  // Every core meets at the kernel's end, so the next reads what it wrote.
  void end() {
    for (Stream& s : streams_) s.barrier(barrier_);
    ++barrier_;
  }
  void comment(const std::string& text) {
    for (Stream& s : streams_) s.comment(text);
  }

  int64_t take(int core, int64_t bytes) {
    int64_t& at = scratch_[static_cast<size_t>(core)];
    const int64_t start = at;
    at += round_up(std::max<int64_t>(bytes, 1), 64);
    if (at > widest_kernel_bytes_) widest_kernel_bytes_ = at, widest_kernel_ = kernel_;
    return start;
  }

  Stream& on(int core) { return streams_[static_cast<size_t>(core)]; }
  void load(int core, int64_t sram, int64_t hbm, int64_t rows, int64_t width, int64_t src_stride = 0) {
    on(core).engine(kLoad, fmt::format("dma dst=sram:{:#x} src=hbm:{:#x} rows={} row_bytes={} src_stride={} queue=0",
                                       sram, hbm, rows, width, src_stride));
  }
  void store(int core, int64_t hbm, int64_t sram, int64_t rows, int64_t width, int64_t dst_stride = 0,
             int64_t src_stride = 0) {
    on(core).engine(kStore,
                    fmt::format("dma dst=hbm:{:#x} src=sram:{:#x} rows={} row_bytes={} dst_stride={} src_stride={} queue=1",
                                hbm, sram, rows, width, dst_stride, src_stride));
  }
  void copy(int core, int64_t dst, int64_t src, int64_t rows, int64_t width, int64_t stride) {
    on(core).engine(kCopy, fmt::format("dma dst=sram:{:#x} src=sram:{:#x} rows={} row_bytes={} dst_stride={} "
                                       "src_stride={} queue=2",
                                       dst, src, rows, width, stride, stride));
  }
  void tensor_op(int core, std::string line) { on(core).engine(kMatrix, std::move(line)); }
  void vector_op(int core, std::string line) { on(core).engine(kVectorOps, std::move(line)); }

  // A pass's activations (tokens x cols) from HBM into the scratchpad.
  int64_t load_activations(int core, int64_t hbm, int64_t tokens, int64_t cols) {
    const int64_t at = take(core, tokens * act_row(cols));
    load(core, at, hbm, 1, tokens * act_row(cols));
    return at;
  }

  // Rows [first, first + rows) of a weight matrix, with their scales.
  struct Loaded {
    int64_t data = 0, scales = -1;
  };
  Loaded load_weights(int core, const HbmTensor& w, int64_t first, int64_t rows) {
    Loaded out;
    const int64_t width = row_bytes(w.type, w.cols);
    out.data = take(core, rows * width);
    load(core, out.data, w.address + first * width, rows, width);
    if (is_mx(w.type)) {
      const int64_t scales = scale_bytes(w.type, 1, w.cols);
      out.scales = take(core, rows * scales);
      load(core, out.scales, w.scales + first * scales, rows, scales);
    }
    return out;
  }
  // dst (fp32, m x n) = a (activations, m x k) . rows of w
  void matmul(int core, int64_t dst, int64_t a, const Loaded& w, int64_t m, int64_t n, int64_t k) {
    tensor_op(core, fmt::format("matmul dst={} a={} b={} m={} n={} k={}{}", tensor(dst, DataType::kFp32),
                                tensor(a, act_), tensor(w.data, weights_), m, n, k,
                                w.scales >= 0 ? fmt::format(" b_scales=sram:{:#x}", w.scales) : ""));
  }

  void pass(int64_t tokens, int64_t first) {
    embed(tokens, first);
    for (size_t l = 0; l < layout_.layers.size(); ++l) {
      const LlamaLayout::Layer& layer = layout_.layers[l];
      comment(fmt::format("layer {}", l));
      rms_norm(layer.attn_norm, tokens);
      qkv_rope(layer, tokens, first);
      attention(layer, tokens, first);
      project_add(layer.wo, attended_, tokens, "o_proj");
      rms_norm(layer.mlp_norm, tokens);
      gated_mlp(layer, tokens);
      project_add(layer.down, hidden_, tokens, "down_proj");
    }
    rms_norm(layout_.final_norm, tokens);
    lm_head(tokens, first);
    pick(tokens, first);
  }

  // Core 0 looks up each token's row of the embedding table: the prompt's
  // ids come from HBM, a generated id is where the last pass's argmax left
  // it in core 0's scratchpad.
  void embed(int64_t tokens, int64_t first) {
    const int64_t row = c_.hidden * 4;
    if (first == 0) {
      begin("token ids");
      load(0, 0, layout_.tokens.address, 1, prompt_ * 4);
      end();
    }
    begin("embedding");
    Stream& s = on(0);
    s.scalar(fmt::format("li dst=r2 imm={}", row));
    for (int64_t t = 0; t < tokens; ++t) {
      s.scalar(fmt::format("ld dst=r1 src={}", tensor((first + t) * 4, DataType::kFp32)));
      s.scalar("mul dst=r1 a=r1 b=r2");
      s.engine(kLoad, fmt::format("dma dst=hbm:{:#x} src=hbm:r1+{:#x} rows=1 row_bytes={} queue=0", x_ + t * row,
                                  layout_.embedding.address, row));
    }
    end();
  }

  // normed = gain * x / sqrt(mean(x^2) + eps), rows over the cores.
  void rms_norm(const HbmTensor& gain, int64_t tokens) {
    begin("rms_norm");
    const int64_t d = c_.hidden;
    for (const Part& p : split(tokens, 1)) {
      const int core = p.core;
      const int64_t n = p.size();
      const int64_t x = take(core, n * d * 4), g = take(core, d * 4), sq = take(core, n * d * 4);
      const int64_t s = take(core, n * 4), y = take(core, n * act_row(d));
      load(core, x, x_ + p.begin * d * 4, 1, n * d * 4);
      load(core, g, gain.address, 1, d * 4);
      const std::string xs = tensor(x, DataType::kFp32), ss = tensor(s, DataType::kFp32);
      vector_op(core, fmt::format("vmul dst={} a={} b={} rows={} cols={}", tensor(sq, DataType::kFp32), xs, xs, n, d));
      vector_op(core, fmt::format("vrsum dst={} src={} rows={} cols={}", ss, tensor(sq, DataType::kFp32), n, d));
      vector_op(core, fmt::format("vmuls dst={} src={} rows={} cols=1 imm={}", ss, ss, n, 1.0 / static_cast<double>(d)));
      vector_op(core, fmt::format("vadds dst={} src={} rows={} cols=1 imm={}", ss, ss, n, c_.norm_eps));
      vector_op(core, fmt::format("vrsqrt dst={} src={} rows={} cols=1", ss, ss, n));
      vector_op(core, fmt::format("vmul dst={} a={} b={} rows={} cols={} bcast=col", xs, xs, ss, n, d));
      vector_op(core, fmt::format("vmul dst={} a={} b={} rows={} cols={} bcast=row", tensor(y, act_), xs,
                                  tensor(g, DataType::kFp32), n, d));
      store(core, normed_ + p.begin * act_row(d), y, 1, n * act_row(d));
    }
    end();
  }

  // Q, K and V for a core's heads, RoPE on Q and K; K and V go to the
  // cache (V transposed, so attention's P.V reads it along K).
  void qkv_rope(const LlamaLayout::Layer& layer, int64_t tokens, int64_t first) {
    begin("qkv_rope");
    const int64_t d = c_.hidden, D = c_.head_dim, half = D / 2, e = es();
    const int64_t q_heads = c_.heads, k_end = c_.heads + c_.kv_heads;
    for (const Part& p : split((c_.heads + 2 * c_.kv_heads) * D, D)) {
      const int core = p.core;
      const int64_t w = p.size(), u0 = p.begin / D, u1 = p.end / D;
      const int64_t x = load_activations(core, normed_, tokens, d);
      const Loaded wt = load_weights(core, layer.qkv, p.begin, w);
      const int64_t out = take(core, tokens * w * 4);
      matmul(core, out, x, wt, tokens, w, d);
      // RoPE on the core's query and key heads, which lead its columns:
      // out = x * cos + swap_halves(x) * (-sin | sin), per token.
      if (const int64_t rotated = std::clamp<int64_t>(k_end - u0, 0, u1 - u0); rotated > 0) {
        const int64_t swapped = take(core, tokens * w * 4), cs = take(core, tokens * D * 4);
        const int64_t sn = take(core, tokens * D * 4);
        load(core, cs, layout_.rope_cos.address + first * D * 4, 1, tokens * D * 4);
        load(core, sn, layout_.rope_sin.address + first * D * 4, 1, tokens * D * 4);
        for (int64_t t = 0; t < tokens; ++t) {
          const int64_t row = t * w * 4;
          copy(core, swapped + row, out + row + half * 4, rotated, half * 4, D * 4);
          copy(core, swapped + row + half * 4, out + row, rotated, half * 4, D * 4);
        }
        for (int64_t t = 0; t < tokens; ++t) {
          const std::string o = tensor(out + t * w * 4, DataType::kFp32);
          const std::string r = tensor(swapped + t * w * 4, DataType::kFp32);
          vector_op(core, fmt::format("vmul dst={} a={} b={} rows={} cols={} bcast=row", o, o,
                                      tensor(cs + t * D * 4, DataType::kFp32), rotated, D));
          vector_op(core, fmt::format("vmul dst={} a={} b={} rows={} cols={} bcast=row", r, r,
                                      tensor(sn + t * D * 4, DataType::kFp32), rotated, D));
          vector_op(core, fmt::format("vadd dst={} a={} b={} rows={} cols={}", o, o, r, rotated, D));
        }
      }
      const int64_t cast = take(core, tokens * w * e);
      vector_op(core, fmt::format("vcast dst={} src={} rows={} cols={}", tensor(cast, act_),
                                  tensor(out, DataType::kFp32), tokens, w));
      if (const int64_t queries = std::clamp<int64_t>(q_heads - u0, 0, u1 - u0); queries > 0) {
        store(core, queries_ + u0 * D * e, cast, tokens, queries * D * e, c_.heads * D * e, w * e);
      }
      for (int64_t u = std::max(u0, q_heads); u < u1; ++u) {
        const int64_t column = cast + (u - u0) * D * e;
        if (u < k_end) {
          const int64_t head = layer.k_cache + (u - q_heads) * positions_ * D * e;
          store(core, head + first * D * e, column, tokens, D * e, D * e, w * e);
        } else {
          const int64_t head = layer.v_cache + (u - k_end) * D * positions_ * e;
          for (int64_t t = 0; t < tokens; ++t) {
            store(core, head + (first + t) * e, column + t * w * e, D, e, positions_ * e, e);
          }
        }
      }
    }
    end();
  }

  // Fused attention, heads over the cores: S = Q.K^T / sqrt(D), masked
  // causally in the prompt pass, softmax, O = P.V; S and P never leave the
  // scratchpad.
  void attention(const LlamaLayout::Layer& layer, int64_t tokens, int64_t first) {
    begin("attention");
    const int64_t D = c_.head_dim, e = es(), context = first + tokens, group = c_.heads / c_.kv_heads;
    for (const Part& p : split(c_.heads, 1)) {
      const int core = p.core;
      const int64_t q = take(core, tokens * D * e), k = take(core, context * D * e);
      const int64_t vt = take(core, D * context * e), s = take(core, tokens * context * 4);
      const int64_t top = take(core, tokens * 4), sum = take(core, tokens * 4);
      const int64_t probs = take(core, tokens * context * e), o = take(core, tokens * D * 4);
      const int64_t oa = take(core, tokens * D * e);
      const int64_t mask = tokens > 1 ? take(core, tokens * context * 4) : 0;
      const std::string ss = tensor(s, DataType::kFp32), tops = tensor(top, DataType::kFp32);
      const std::string sums = tensor(sum, DataType::kFp32);
      if (tokens > 1) load(core, mask, layout_.mask.address, 1, tokens * context * 4);  // the prompt pass: first = 0
      for (int64_t h = p.begin; h < p.end; ++h) {
        const int64_t kv = h / group;
        load(core, q, queries_ + h * D * e, tokens, D * e, c_.heads * D * e);
        load(core, k, layer.k_cache + kv * positions_ * D * e, 1, context * D * e);
        load(core, vt, layer.v_cache + kv * D * positions_ * e, D, context * e, positions_ * e);
        tensor_op(core, fmt::format("matmul dst={} a={} b={} m={} n={} k={}", ss, tensor(q, act_), tensor(k, act_),
                                    tokens, context, D));
        vector_op(core, fmt::format("vmuls dst={} src={} rows={} cols={} imm={}", ss, ss, tokens, context,
                                    1 / std::sqrt(static_cast<double>(D))));
        if (tokens > 1) {
          vector_op(core, fmt::format("vadd dst={} a={} b={} rows={} cols={}", ss, ss, tensor(mask, DataType::kFp32),
                                      tokens, context));
        }
        vector_op(core, fmt::format("vrmax dst={} src={} rows={} cols={}", tops, ss, tokens, context));
        vector_op(core, fmt::format("vsub dst={} a={} b={} rows={} cols={} bcast=col", ss, ss, tops, tokens, context));
        vector_op(core, fmt::format("vexp dst={} src={} rows={} cols={}", ss, ss, tokens, context));
        vector_op(core, fmt::format("vrsum dst={} src={} rows={} cols={}", sums, ss, tokens, context));
        vector_op(core, fmt::format("vrecip dst={} src={} rows={} cols=1", sums, sums, tokens));
        vector_op(core, fmt::format("vmul dst={} a={} b={} rows={} cols={} bcast=col", tensor(probs, act_), ss, sums,
                                    tokens, context));
        tensor_op(core, fmt::format("matmul dst={} a={} b={} m={} n={} k={}", tensor(o, DataType::kFp32),
                                    tensor(probs, act_), tensor(vt, act_), tokens, D, context));
        vector_op(core, fmt::format("vcast dst={} src={} rows={} cols={}", tensor(oa, act_), tensor(o, DataType::kFp32),
                                    tokens, D));
        store(core, attended_ + h * D * e, oa, tokens, D * e, c_.heads * D * e);
      }
    }
    end();
  }

  // x += input . w^T, the output columns over the cores (attention's
  // output projection, the MLP's down projection).
  void project_add(const HbmTensor& w, int64_t input, int64_t tokens, std::string kernel) {
    begin(std::move(kernel));
    const int64_t d = c_.hidden, k = w.cols;
    for (const Part& p : split(d, kColumns)) {
      const int core = p.core;
      const int64_t n = p.size();
      const int64_t a = load_activations(core, input, tokens, k);
      const Loaded wt = load_weights(core, w, p.begin, n);
      const int64_t out = take(core, tokens * n * 4), residual = take(core, tokens * n * 4);
      matmul(core, out, a, wt, tokens, n, k);
      load(core, residual, x_ + p.begin * 4, tokens, n * 4, d * 4);
      const std::string o = tensor(out, DataType::kFp32);
      vector_op(core, fmt::format("vadd dst={} a={} b={} rows={} cols={}", o, o, tensor(residual, DataType::kFp32),
                                  tokens, n));
      store(core, x_ + p.begin * 4, out, tokens, n * 4, d * 4);
    }
    end();
  }

  // hidden = SiLU(normed . gate^T) * (normed . up^T), columns over the cores.
  void gated_mlp(const LlamaLayout::Layer& layer, int64_t tokens) {
    begin("gated_mlp");
    const int64_t d = c_.hidden, f = c_.intermediate, e = es();
    for (const Part& p : split(f, kColumns)) {
      const int core = p.core;
      const int64_t n = p.size();
      const int64_t a = load_activations(core, normed_, tokens, d);
      const Loaded gate = load_weights(core, layer.gate, p.begin, n), up = load_weights(core, layer.up, p.begin, n);
      const int64_t g = take(core, tokens * n * 4), u = take(core, tokens * n * 4), h = take(core, tokens * n * e);
      matmul(core, g, a, gate, tokens, n, d);
      matmul(core, u, a, up, tokens, n, d);
      const std::string gs = tensor(g, DataType::kFp32);
      vector_op(core, fmt::format("vsilu dst={} src={} rows={} cols={}", gs, gs, tokens, n));
      vector_op(core, fmt::format("vmul dst={} a={} b={} rows={} cols={}", tensor(h, act_), gs,
                                  tensor(u, DataType::kFp32), tokens, n));
      store(core, hidden_ + p.begin * e, h, tokens, n * e, f * e);
    }
    end();
  }

  // The logits of the pass's tokens, vocabulary columns over the cores.
  void lm_head(int64_t tokens, int64_t first) {
    begin("lm_head");
    const int64_t d = c_.hidden, v = c_.vocab;
    for (const Part& p : split(v, kColumns)) {
      const int core = p.core;
      const int64_t n = p.size();
      const int64_t a = load_activations(core, normed_, tokens, d);
      const Loaded wt = load_weights(core, layout_.lm_head, p.begin, n);
      const int64_t out = take(core, tokens * n * 4);
      matmul(core, out, a, wt, tokens, n, d);
      store(core, layout_.logits.address + (first * v + p.begin) * 4, out, tokens, n * 4, v * 4);
    }
    end();
  }

  // Greedy choice: core 0 takes the last row's argmax as the next token,
  // keeps it for the next pass's embedding and writes it out.
  void pick(int64_t tokens, int64_t first) {
    begin("argmax");
    const int64_t v = c_.vocab, next = first + tokens;
    const int64_t logits = take(0, v * 4);
    load(0, logits, layout_.logits.address + (next - 1) * v * 4, 1, v * 4);
    vector_op(0, fmt::format("vrargmax dst={} src={} rows=1 cols={}", tensor(next * 4, DataType::kFp32),
                             tensor(logits, DataType::kFp32), v));
    store(0, layout_.tokens.address + next * 4, next * 4, 1, 4);
    end();
  }

  const LlamaConfig& c_;
  DataType act_, weights_;
  const Machine& machine_;
  int64_t prompt_, generate_, positions_;
  int cores_ = 1;
  std::vector<Stream> streams_;
  LlamaLayout layout_;
  int64_t hbm_end_ = 0;
  int64_t x_ = 0, normed_ = 0, queries_ = 0, attended_ = 0, hidden_ = 0;  // HBM
  int64_t ids_end_ = 0;  // core 0's token ids lie below
  std::vector<int64_t> scratch_;
  std::string kernel_;
  int64_t widest_kernel_bytes_ = 0;
  std::string widest_kernel_;
  int64_t barrier_ = 0;
};

}  // namespace

core::Diagnostics check(const LlamaFormats& formats) {
  core::Diagnostics errors;
  const DataType act = formats.activations;
  if (!is_float(act) || storage_bits(act) < 8) {
    errors.push_back(core::bad_input(
        fmt::format("activations must be fp32, fp16, bf16, fp8-e4m3 or fp8-e5m2, not {}", name(act)),
        "formats.activations"));
  }
  if (is_int(formats.weights)) {
    errors.push_back(core::bad_input(
        fmt::format("weights must be a float or MX type, not {}", name(formats.weights)), "formats.weights"));
  }
  return errors;
}

core::Diagnostics check_tokens(int64_t prompt, int64_t generate) {
  constexpr int64_t kLongest = 4096;
  if (prompt >= 1 && generate >= 1 && prompt + generate <= kLongest) return {};
  return {core::bad_input(fmt::format("expected a prompt and at least one generated token, {} at most together; got "
                                      "{} and {}",
                                      kLongest, prompt, generate),
                          generate < 1 ? "llama.generate" : "llama.prompt")};
}

core::Result<CompiledLlama> compile_llama(const LlamaConfig& config, const LlamaFormats& formats,
                                          const Machine& machine, int64_t prompt, int64_t generate) {
  core::Diagnostics errors = check(config);
  core::append_new(errors, check(formats));
  core::append_new(errors, check_tokens(prompt, generate));
  if (!errors.empty()) return errors;
  return LlamaCompiler(config, formats, machine, prompt, generate).compile();
}

// ---- Loading and reading back ---------------------------------------------

namespace {

void put(Hbm& hbm, const HbmTensor& t, std::span<const double> values) {
  std::vector<uint8_t> data(static_cast<size_t>(t.rows * row_bytes(t.type, t.cols)));
  std::vector<uint8_t> scales(static_cast<size_t>(scale_bytes(t.type, t.rows, t.cols)));
  write_tensor(t.type, t.rows, t.cols, values, data, scales);
  hbm.write(t.address, data);
  if (!scales.empty()) hbm.write(t.scales, scales);
}

std::vector<float> get(const Hbm& hbm, const HbmTensor& t, int64_t rows) {
  std::vector<uint8_t> data(static_cast<size_t>(rows * row_bytes(t.type, t.cols)));
  hbm.read(t.address, data);
  return read_tensor(t.type, rows, t.cols, data);
}

}  // namespace

void load_llama(const CompiledLlama& model, const LlamaWeights& w, std::span<const int64_t> prompt, Hbm& hbm) {
  const LlamaConfig& c = model.config;
  const LlamaLayout& l = model.layout;
  put(hbm, l.embedding, w.embedding);
  for (size_t i = 0; i < l.layers.size(); ++i) {
    const LlamaWeights::Layer& lw = w.layers[i];
    const LlamaLayout::Layer& ll = l.layers[i];
    std::vector<double> qkv = lw.wq;
    qkv.insert(qkv.end(), lw.wk.begin(), lw.wk.end());
    qkv.insert(qkv.end(), lw.wv.begin(), lw.wv.end());
    put(hbm, ll.attn_norm, lw.attn_norm);
    put(hbm, ll.qkv, qkv);
    put(hbm, ll.wo, lw.wo);
    put(hbm, ll.mlp_norm, lw.mlp_norm);
    put(hbm, ll.gate, lw.gate);
    put(hbm, ll.up, lw.up);
    put(hbm, ll.down, lw.down);
  }
  put(hbm, l.final_norm, w.final_norm);
  put(hbm, l.lm_head, w.lm_head);
  // RoPE: x * (cos | cos) + swap_halves(x) * (-sin | sin).
  const int64_t D = c.head_dim, half = D / 2;
  std::vector<double> cos(static_cast<size_t>(l.rope_cos.rows * D)), sin(cos.size());
  for (int64_t p = 0; p < l.rope_cos.rows; ++p) {
    for (int64_t i = 0; i < half; ++i) {
      const double angle = rope_angle(c, p, i);
      const auto at = static_cast<size_t>(p * D + i);
      cos[at] = cos[at + static_cast<size_t>(half)] = std::cos(angle);
      sin[at] = -std::sin(angle);
      sin[at + static_cast<size_t>(half)] = std::sin(angle);
    }
  }
  put(hbm, l.rope_cos, cos);
  put(hbm, l.rope_sin, sin);
  std::vector<double> mask(static_cast<size_t>(model.prompt * model.prompt));
  for (int64_t i = 0; i < model.prompt; ++i) {
    for (int64_t j = i + 1; j < model.prompt; ++j) {
      mask[static_cast<size_t>(i * model.prompt + j)] = -std::numeric_limits<double>::infinity();
    }
  }
  put(hbm, l.mask, mask);
  std::vector<double> ids(static_cast<size_t>(l.tokens.cols));
  for (size_t i = 0; i < prompt.size() && i < ids.size(); ++i) ids[i] = static_cast<double>(prompt[i]);
  put(hbm, l.tokens, ids);
}

Decoded read_decoded(const CompiledLlama& model, const Hbm& hbm) {
  Decoded out;
  for (float id : get(hbm, model.layout.tokens, 1)) out.tokens.push_back(static_cast<int64_t>(id));
  const std::vector<float> logits = get(hbm, model.layout.logits, model.layout.logits.rows);
  out.logits.assign(logits.begin(), logits.end());
  return out;
}

LogitsError compare(const Decoded& reference, const Decoded& run, int64_t prompt, int64_t vocab) {
  LogitsError e;
  const size_t tokens = std::min(reference.tokens.size(), run.tokens.size());
  e.generated = static_cast<int64_t>(tokens) - prompt;
  while (e.tokens_agreeing < e.generated &&
         reference.tokens[static_cast<size_t>(prompt + e.tokens_agreeing)] ==
             run.tokens[static_cast<size_t>(prompt + e.tokens_agreeing)]) {
    ++e.tokens_agreeing;
  }
  // Row i follows tokens 0..i: the prompt's rows, and a decode row while
  // the tokens it follows agree.
  const int64_t rows = std::min<int64_t>(prompt + e.tokens_agreeing, tokens - 1);
  e.positions = rows;
  const size_t values = std::min({static_cast<size_t>(rows * vocab), reference.logits.size(), run.logits.size()});
  double error = 0, size = 0;
  for (size_t i = 0; i < values; ++i) {
    const double want = reference.logits[i], got = run.logits[i];
    if (!std::isfinite(got)) {
      ++e.nonfinite;
      continue;
    }
    e.max_abs = std::max(e.max_abs, std::fabs(got - want));
    error += (got - want) * (got - want);
    size += want * want;
  }
  e.rms_relative = size > 0 ? std::sqrt(error / size) : 0;
  return e;
}

}  // namespace tfab::vp
