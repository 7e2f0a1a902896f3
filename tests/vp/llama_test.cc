#include "tensorfab/vp/llama.h"

#include <gtest/gtest.h>

#include <cmath>
#include <map>

#include "support/shipped.h"

namespace tfab::vp {
namespace {

struct Chip {
  Machine machine;
  Timing timing;
};

const Chip& chip(const std::string& id) {
  static std::map<std::string, Chip> chips;
  if (auto found = chips.find(id); found != chips.end()) return found->second;
  auto spec = hw::load_chip(testing::shipped(), id);
  return chips[id] = Chip{*machine_for(*spec), *timing_for(*spec)};
}

const LlamaConfig kModel;  // hidden 64, 2 layers, 4 heads (2 KV) of 16, MLP 160, vocabulary 256
constexpr int64_t kPrompt = 6, kGenerate = 6;

struct ModelRun {
  Decoded decoded;
  RunResult result;
};

// Compiles the model for a chip, loads seeded weights and prompt, runs it.
ModelRun run_model(const LlamaFormats& formats, const std::string& chip_id = "seed-2nm", bool compute = true) {
  auto compiled = compile_llama(kModel, formats, chip(chip_id).machine, kPrompt, kGenerate);
  EXPECT_TRUE(compiled.ok()) << compiled.errors().front().str();
  if (!compiled.ok()) return {};
  Hbm hbm;
  load_llama(*compiled, random_weights(kModel, 7), random_prompt(kModel, kPrompt, 7), hbm);
  RunOptions options;
  options.compute = compute;
  auto result = run(compiled->program, chip(chip_id).machine, chip(chip_id).timing, hbm, options);
  EXPECT_TRUE(result.ok()) << result.errors().front().str();
  if (!result.ok()) return {};
  return {read_decoded(*compiled, hbm), *result};
}

const Decoded& reference() {
  static const Decoded r =
      reference_decode(kModel, random_weights(kModel, 7), random_prompt(kModel, kPrompt, 7), kGenerate);
  return r;
}

// In FP32 the prototype is the FP64 model but for FP32's rounding: the
// same tokens, logits within 1e-4.
TEST(Llama, Fp32MatchesFp64) {
  const ModelRun got = run_model({DataType::kFp32, DataType::kFp32});
  EXPECT_EQ(got.decoded.tokens, reference().tokens);
  const LogitsError e = compare(reference(), got.decoded, kPrompt, kModel.vocab);
  EXPECT_EQ(e.positions, kPrompt + kGenerate - 1);
  EXPECT_EQ(e.tokens_agreeing, kGenerate);
  EXPECT_LT(e.max_abs, 1e-4);
  EXPECT_GT(got.result.macs, 0);
}

// Narrower formats: the logits' relative RMS error against FP64 is of the
// order of the unit roundoff 2^-(mantissa bits + 1) of the coarser of the
// two formats: above a tenth of it (the format is applied), below twice it.
struct FormatCase {
  DataType weights, activations;
  int mantissa_bits;  // of the coarser element format
};
void PrintTo(const FormatCase& f, std::ostream* out) { *out << name(f.weights) << "/" << name(f.activations); }

std::string test_name(DataType t) {
  std::string text(name(t));
  for (char& ch : text) ch = ch == '-' ? '_' : ch;
  return text;
}

class LlamaFormatsTest : public ::testing::TestWithParam<FormatCase> {};

TEST_P(LlamaFormatsTest, ErrorScalesWithThePrecision) {
  const FormatCase& f = GetParam();
  const LogitsError e = compare(reference(), run_model({f.weights, f.activations}).decoded, kPrompt, kModel.vocab);
  const double roundoff = std::ldexp(1.0, -(f.mantissa_bits + 1));
  EXPECT_EQ(e.nonfinite, 0);
  EXPECT_GE(e.positions, kPrompt);
  EXPECT_GT(e.rms_relative, 0.1 * roundoff);
  EXPECT_LT(e.rms_relative, 2 * roundoff);
}

INSTANTIATE_TEST_SUITE_P(Formats, LlamaFormatsTest,
                         ::testing::Values(FormatCase{DataType::kBf16, DataType::kBf16, 7},
                                           FormatCase{DataType::kFp16, DataType::kFp16, 10},
                                           FormatCase{DataType::kFp8E4m3, DataType::kFp8E4m3, 3},
                                           FormatCase{DataType::kMxfp8E4m3, DataType::kBf16, 3},
                                           FormatCase{DataType::kMxfp6E3m2, DataType::kBf16, 2},
                                           FormatCase{DataType::kMxfp4, DataType::kBf16, 1}),
                         [](const auto& param_info) {
                           return test_name(param_info.param.weights) + "_" + test_name(param_info.param.activations);
                         });

// The split over the cores changes the time, never a value: 16 of
// seed-2nm's cores with 2 MiB each and H100's 132 SMs with 256 KiB give
// the same bits. A timing-only run takes the same time.
TEST(Llama, SameBitsOnEveryChip) {
  const ModelRun seed = run_model({DataType::kBf16, DataType::kBf16});
  const ModelRun h100 = run_model({DataType::kBf16, DataType::kBf16}, "h100-sxm");
  EXPECT_EQ(seed.decoded.tokens, h100.decoded.tokens);
  EXPECT_EQ(seed.decoded.logits, h100.decoded.logits);
  EXPECT_NE(seed.result.cycles, h100.result.cycles);
  EXPECT_EQ(run_model({DataType::kBf16, DataType::kBf16}, "seed-2nm", false).result.cycles, seed.result.cycles);
}

TEST(Llama, BadModelsAndFormatsAreErrors) {
  LlamaConfig odd = kModel;
  odd.kv_heads = 3;
  odd.head_dim = 15;
  const core::Diagnostics errors = check(odd);
  ASSERT_EQ(errors.size(), 2u);
  EXPECT_NE(errors[0].str().find("llama.kv_heads: 4 query heads do not share 3 key/value heads evenly"),
            std::string::npos)
      << errors[0].str();
  EXPECT_NE(errors[1].str().find("head_dim 15 is odd"), std::string::npos) << errors[1].str();

  auto formats = compile_llama(kModel, {DataType::kInt8, DataType::kMxfp4}, chip("seed-2nm").machine, 4, 4);
  ASSERT_FALSE(formats.ok());
  EXPECT_EQ(formats.errors().size(), 2u);

  Machine tiny = chip("seed-2nm").machine;
  tiny.sram = core::Bytes::from_base(4096);
  auto small = compile_llama(kModel, {DataType::kBf16, DataType::kBf16}, tiny, 4, 4);
  ASSERT_FALSE(small.ok());
  EXPECT_NE(small.errors().front().str().find("bytes of scratchpad per core"), std::string::npos)
      << small.errors().front().str();
}

}  // namespace
}  // namespace tfab::vp
