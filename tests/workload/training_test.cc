#include "tensorfab/workload/training.h"

#include <gtest/gtest.h>

#include "support/shipped.h"

namespace tfab::workload {
namespace {

using testing::shipped;

// GPT-3 175B shapes (Brown et al. 2020, Table 2.1) as Megatron-LM trains it.
ModelSpec gpt3_shapes() {
  ModelSpec m;
  m.id = "gpt3-shapes";
  m.model_type = "llama";  // parameter counts are not what these tests check
  m.hidden = 12288;
  m.intermediate = 4 * 12288;
  m.layers = 96;
  m.heads = 96;
  m.kv_heads = 96;
  m.head_dim = 128;
  m.vocab = 51200;
  return m;
}

TrainScenario megatron_layout(Recompute recompute, bool sequence_parallel, int64_t tensor) {
  TrainScenario s;
  s.global_batch = 1536;
  s.sequence_length = 2048;
  s.micro_batch = 1;
  s.recompute = recompute;
  s.parallelism.tensor = tensor;
  s.parallelism.pipeline = 4;
  s.parallelism.data = 16;
  s.parallelism.sequence_parallel = sequence_parallel;
  return s;
}

// Korthikanti et al. 2022, Table 2, for s = 2048, b = 1, h = 12288, a = 96:
// sbh = 25,165,824 and 5as/h = 80. Values worked by hand.
TEST(ActivationMemory, MatchesKorthikantiTable2) {
  const ModelSpec m = gpt3_shapes();
  auto bytes = [&](Recompute r, bool sp, int64_t t) {
    return activation_bytes_per_layer(m, megatron_layout(r, sp, t)).base();
  };
  EXPECT_EQ(bytes(Recompute::kNone, false, 1), 2'868'903'936.0);       // sbh (34 + 80)
  EXPECT_EQ(bytes(Recompute::kNone, false, 8), 578'813'952.0);         // sbh (10 + 3 + 10)
  EXPECT_EQ(bytes(Recompute::kNone, true, 8), 358'612'992.0);          // sbh (34 + 80) / 8
  EXPECT_EQ(bytes(Recompute::kSelective, false, 8), 327'155'712.0);    // sbh (10 + 3)
  EXPECT_EQ(bytes(Recompute::kSelective, true, 8), 106'954'752.0);     // sbh 34 / 8
  EXPECT_EQ(bytes(Recompute::kFull, true, 8), 50'331'648.0);           // 2 sbh
}

// Megatron-LM's communication per step for a TP=8, PP=4, DP=16 layout of a
// 175B model with micro-batch 1 and global batch 1536 (96 micro-batches per
// pipeline): Narayanan et al. 2021 §3.2 (PP), §3.3 (TP), and the data-parallel
// gradient all-reduce.
TEST(Collectives, MegatronLayoutOf175B) {
  const ModelSpec m = gpt3_shapes();
  const TrainScenario s = megatron_layout(Recompute::kNone, false, 8);
  ASSERT_EQ(s.micro_batches(), 96);
  const double bsh_bytes = 1.0 * 2048 * 12288 * 2;  // BF16 activations of one micro-batch
  const double params_per_chip = (static_cast<double>(m.params_per_layer()) * 24 +
                                  static_cast<double>(m.embedding_params())) / 8;
  std::map<std::string, Collective> by_name;
  for (const auto& c : training_collectives(m, s)) by_name[c.name] = c;
  ASSERT_EQ(by_name.size(), 8u);

  const auto& tp_fwd = by_name.at("tp_forward_all_reduce");
  EXPECT_EQ(tp_fwd.kind, CollectiveKind::kAllReduce);
  EXPECT_EQ(tp_fwd.group_size, 8);
  EXPECT_EQ(tp_fwd.bytes.base(), bsh_bytes);
  EXPECT_EQ(tp_fwd.count, 2 * 24 * 96);  // two per layer (attention, MLP), 24 layers per stage, 96 micro-batches
  EXPECT_EQ(by_name.at("tp_backward_all_reduce").count, 2 * 24 * 96);

  // Activations forward, gradients back, per micro-batch: each TP rank sends
  // its 1/t share and the receiver gathers the whole (scatter/gather).
  const auto& pp = by_name.at("pp_send_recv");
  EXPECT_EQ(pp.bytes.base(), bsh_bytes / 8);
  EXPECT_EQ(pp.count, 2 * 96);
  EXPECT_EQ(by_name.at("pp_tp_all_gather").bytes.base(), bsh_bytes);
  EXPECT_EQ(by_name.at("pp_tp_all_gather").count, 2 * 96);

  // The vocabulary-parallel edges run once per micro-batch, on their stage.
  EXPECT_EQ(by_name.at("tp_embedding_all_reduce").stage, Stage::kFirst);
  EXPECT_EQ(by_name.at("tp_lm_head_all_reduce").stage, Stage::kLast);
  EXPECT_EQ(by_name.at("tp_lm_head_all_reduce").count, 96);
  EXPECT_EQ(by_name.at("tp_loss_all_reduce").bytes.base(), 2048 * 4);  // one FP32 value per token
  EXPECT_EQ(by_name.at("tp_loss_all_reduce").count, 3 * 96);

  const auto& dp = by_name.at("dp_gradient_all_reduce");
  EXPECT_EQ(dp.group_size, 16);
  EXPECT_DOUBLE_EQ(dp.bytes.base(), params_per_chip * 4);  // FP32 gradients
  EXPECT_EQ(dp.count, 1);
}

TEST(Collectives, SequenceParallelSwapsAllReducesForGatherAndScatter) {
  const ModelSpec m = gpt3_shapes();
  std::map<std::string, Collective> by_name;
  for (const auto& c : training_collectives(m, megatron_layout(Recompute::kSelective, true, 8))) by_name[c.name] = c;
  EXPECT_EQ(by_name.count("tp_forward_all_reduce"), 0u);
  const int64_t pairs = 2 * 24 * 96;  // attention and MLP, per layer of the stage and micro-batch
  for (const char* name : {"tp_forward_all_gather", "tp_forward_reduce_scatter", "tp_backward_all_gather",
                           "tp_backward_reduce_scatter", "tp_backward_input_all_gather"}) {
    EXPECT_EQ(by_name.at(name).count, pairs) << name;
  }
  EXPECT_EQ(by_name.count("tp_recompute_all_gather"), 0u);  // selective recompute: attention only, no collective
  // What Megatron-LM runs beside a GEMM in the backward pass: the input
  // gradient's reduction and the input's second gathering.
  EXPECT_TRUE(by_name.at("tp_backward_reduce_scatter").asynchronous);
  EXPECT_TRUE(by_name.at("tp_backward_input_all_gather").asynchronous);
  EXPECT_FALSE(by_name.at("tp_backward_all_gather").asynchronous);
  EXPECT_FALSE(by_name.at("tp_forward_all_gather").asynchronous);
  EXPECT_DOUBLE_EQ(by_name.at("pp_send_recv").bytes.base(), 1.0 * 2048 * 12288 * 2 / 8);  // scatter-gather
}

TEST(Collectives, FullRecomputeRepeatsTheForwardCollectives) {
  const ModelSpec m = gpt3_shapes();
  std::map<std::string, Collective> by_name;
  for (const auto& c : training_collectives(m, megatron_layout(Recompute::kFull, false, 8))) by_name[c.name] = c;
  EXPECT_EQ(by_name.at("tp_recompute_all_reduce").count, by_name.at("tp_forward_all_reduce").count);
  EXPECT_EQ(by_name.at("tp_recompute_all_reduce").phase, Phase::kRecompute);
  EXPECT_TRUE(by_name.at("tp_backward_all_reduce").asynchronous);
}

TEST(TrainingMemory, ZeroStagesShardStateOverDataParallelRanks) {
  const ModelSpec m = gpt3_shapes();
  TrainScenario s = megatron_layout(Recompute::kSelective, true, 8);
  const TrainingMemory none = training_memory(m, s);
  s.parallelism.zero_stage = 1;
  const TrainingMemory z1 = training_memory(m, s);
  s.parallelism.zero_stage = 3;
  const TrainingMemory z3 = training_memory(m, s);
  EXPECT_DOUBLE_EQ(z1.optimizer.base(), none.optimizer.base() / 16);
  EXPECT_DOUBLE_EQ(z1.gradients.base(), none.gradients.base());
  EXPECT_DOUBLE_EQ(z3.gradients.base(), none.gradients.base() / 16);
  EXPECT_DOUBLE_EQ(z3.weights.base(), none.weights.base() / 16);
  // Mixed-precision Adam: 2 (BF16 weights) + 4 (FP32 grads) + 12 (master, m, v) bytes per parameter.
  EXPECT_DOUBLE_EQ((none.weights + none.gradients + none.optimizer).base() / none.weights.base(), 9.0);
  // 1F1B: the first of 4 stages holds 4 micro-batches of its 24 layers.
  EXPECT_DOUBLE_EQ(none.activations.base(), 106'954'752.0 * 24 * 4);
}

TEST(TrainScenario, ReadsAndValidates) {
  auto s = load_train_scenario(shipped(), "train-gpt3-175b");
  ASSERT_TRUE(s.ok()) << s.errors().front().str();
  EXPECT_EQ(s->parallelism.tensor, 8);
  EXPECT_EQ(s->recompute, Recompute::kSelective);

  auto bad = config::parse_document(
      "train:\n  global_batch: 100\n  sequence_length: 2048\n  micro_batch: 3\n  recompute: selectiv\n"
      "  parallelism:\n    tensr: 8\n    zero: 4\n",
      "t.yaml");
  ASSERT_TRUE(bad.ok());
  auto r = read_train_scenario(*bad, "t");
  ASSERT_FALSE(r.ok());
  std::string all;
  for (const auto& e : r.errors()) all += e.str() + "\n";
  EXPECT_NE(all.find("train.recompute: unknown value 'selectiv'"), std::string::npos) << all;
  EXPECT_NE(all.find("did you mean 'selective'?"), std::string::npos) << all;
  EXPECT_NE(all.find("train.parallelism.tensr: unknown key 'tensr' (did you mean 'tensor'?)"), std::string::npos) << all;
  EXPECT_NE(all.find("train.parallelism.zero: 4 is out of range"), std::string::npos) << all;
}

TEST(TrainScenario, ImpossiblyLargeLayoutsAreRefused) {
  auto doc = config::parse_document(
      "train:\n  global_batch: 1000000\n  sequence_length: 2048\n"
      "  parallelism: {tensor: 1000000, pipeline: 1000000, data: 1000000}\n",
      "t.yaml");
  ASSERT_TRUE(doc.ok());
  auto s = read_train_scenario(*doc, "t");
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.errors().front().key_path, "train.parallelism");
}

TEST(TrainScenario, LayoutMustDivideTheModel) {
  const ModelSpec m = gpt3_shapes();
  TrainScenario s = megatron_layout(Recompute::kNone, false, 7);
  s.parallelism.pipeline = 5;
  auto errors = check_layout(m, s);
  ASSERT_EQ(errors.size(), 2u);
  EXPECT_EQ(errors[0].key_path, "train.parallelism.tensor");
  EXPECT_EQ(errors[1].key_path, "train.parallelism.pipeline");
}

}  // namespace
}  // namespace tfab::workload

namespace tfab::workload {
namespace {

TrainScenario single_chip(int64_t sequence, AttentionKernel kernel, Recompute recompute) {
  TrainScenario s;
  s.global_batch = 2;
  s.micro_batch = 1;
  s.sequence_length = sequence;
  s.attention = kernel;
  s.recompute = recompute;
  return s;
}

// Kaplan et al. 2020 / PaLM (Chowdhery et al. 2022, App. B): training takes
// 6N FLOPs per token for the N parameters in matmuls, plus 12 x layers x
// hidden x sequence for attention when the whole score matrix is computed.
TEST(TrainingGraph, DenseFlopsPerTokenAreSixNPlusAttention) {
  for (const char* id : {"gpt3-175b", "megatron-22b", "llama-3.1-8b"}) {
    auto model = load_model(shipped(), id);
    ASSERT_TRUE(model.ok()) << id;
    const ModelSpec& m = *model;
    const int64_t seq = 2048;
    const TrainScenario s = single_chip(seq, AttentionKernel::kDense, Recompute::kNone);
    const double tokens = tokens_per_chip_step(s);
    ASSERT_EQ(tokens, 2.0 * seq);
    const double matmul_params = static_cast<double>(m.decoder_params() + m.vocab * m.hidden);
    const double expected = 6 * matmul_params + 12.0 * static_cast<double>(m.layers * m.heads * m.head_dim * seq);
    double flops = 0;
    for (const auto& op : training_graph(m, s).ops) {
      flops += op.fixed.tensor_ops.base() * static_cast<double>(op.repeat);
    }
    EXPECT_NEAR(flops / tokens / expected, 1.0, 0.01) << id;
  }
}

TEST(TrainingGraph, FlashHalvesAttentionAndRecomputeAddsForwardWork) {
  auto m = load_model(shipped(), "llama-3.1-8b").value();
  auto total = [&](AttentionKernel k, Recompute r) {
    return training_graph(m, single_chip(8192, k, r)).total().tensor_ops.base();
  };
  const double dense = total(AttentionKernel::kDense, Recompute::kNone);
  const double flash = total(AttentionKernel::kFlash, Recompute::kNone);
  EXPECT_LT(flash, dense);  // half the scores, despite the 2.5x backward
  const double selective = total(AttentionKernel::kFlash, Recompute::kSelective);
  const double full = total(AttentionKernel::kFlash, Recompute::kFull);
  EXPECT_GT(selective, flash);
  EXPECT_GT(full, selective);
  // Full recompute repeats the forward pass of every layer: about 8N instead of 6N.
  EXPECT_NEAR(full / flash, 4.0 / 3.0, 0.05);
}

TEST(TrainingGraph, TensorParallelSplitsTheWork) {
  auto m = load_model(shipped(), "llama-3.1-70b").value();
  TrainScenario one = single_chip(4096, AttentionKernel::kFlash, Recompute::kNone);
  TrainScenario eight = one;
  eight.parallelism.tensor = 8;
  eight.parallelism.sequence_parallel = true;
  const Work w1 = training_graph(m, one).total(), w8 = training_graph(m, eight).total();
  // Every layer's matmuls and attention split 8 ways; the optimizer's share too.
  EXPECT_NEAR(w8.tensor_ops.base() / w1.tensor_ops.base(), 1.0 / 8, 0.01);
  EXPECT_LT(w8.bytes.base(), w1.bytes.base() / 4);
}

TEST(Collectives, ExpertParallelAllToAll) {
  auto m = load_model(shipped(), "mixtral-8x7b").value();
  TrainScenario s = single_chip(4096, AttentionKernel::kFlash, Recompute::kNone);
  s.global_batch = 8;
  s.parallelism.data = 8;
  s.parallelism.expert = 8;
  ASSERT_TRUE(check_layout(m, s).empty());
  bool found = false;
  for (const auto& c : training_collectives(m, s)) {
    if (c.name != "ep_all_to_all") continue;
    found = true;
    EXPECT_EQ(c.group_size, 8);
    EXPECT_EQ(c.bytes.base(), 4096.0 * 2 * 4096 * 2);  // tokens x top-2 x hidden x BF16
    EXPECT_EQ(c.count, 4 * 32 * 1);                    // dispatch, combine, both directions, 32 layers
  }
  EXPECT_TRUE(found);
}

}  // namespace
}  // namespace tfab::workload
