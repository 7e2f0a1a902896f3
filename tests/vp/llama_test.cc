#include "tensorfab/vp/llama.h"

#include <gtest/gtest.h>

#include <cmath>

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

const std::vector<int64_t> kPrompt{17, 3, 250, 99, 42, 7};

TEST(Llama, Fp32MatchesFp64) {
  const LlamaConfig config;
  const LlamaWeights weights = random_weights(config, 7);
  const Decoded reference = reference_decode(config, weights, kPrompt, 6);
  auto compiled = compile_llama(config, {DataType::kFp32, DataType::kFp32}, chip("seed-2nm").machine, 6, 6);
  ASSERT_TRUE(compiled.ok()) << compiled.errors().front().str();
  Hbm hbm;
  load_llama(*compiled, weights, kPrompt, hbm);
  auto run_result = run(compiled->program, chip("seed-2nm").machine, chip("seed-2nm").timing, hbm);
  ASSERT_TRUE(run_result.ok()) << run_result.errors().front().str();
  const Decoded got = read_decoded(*compiled, hbm);
  EXPECT_EQ(got.tokens, reference.tokens);
  ASSERT_EQ(got.logits.size(), reference.logits.size());
  double worst = 0;
  for (size_t i = 0; i < got.logits.size(); ++i) worst = std::max(worst, std::fabs(got.logits[i] - reference.logits[i]));
  EXPECT_LT(worst, 1e-4);
  std::printf("worst %g cycles %ld instr %ld\n", worst, (long)run_result->cycles, (long)run_result->instructions);
}

}  // namespace
}  // namespace tfab::vp
