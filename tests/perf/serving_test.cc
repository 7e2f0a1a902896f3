#include "tensorfab/perf/serving.h"

#include <gtest/gtest.h>

#include <random>

#include "support/shipped.h"

namespace tfab::perf {
namespace {

using namespace core::literals;

using testing::shipped;

hw::ChipSpec chip(const std::string& id) { return hw::load_chip(shipped(), id).value(); }
workload::ModelSpec model(const std::string& id) { return workload::load_model(shipped(), id).value(); }

workload::ServeScenario scenario(int64_t batch, int64_t prompt, int64_t output, core::NumberFormat f) {
  workload::ServeScenario s;
  s.batch = batch;
  s.prompt_length = prompt;
  s.output_length = output;
  s.formats = {f, f, f};
  return s;
}

TEST(OpTime, SumOverContextsEqualsStepping) {
  std::mt19937_64 rng(42);
  std::uniform_real_distribution<double> u(0, 1);
  for (int trial = 0; trial < 200; ++trial) {
    OpTime op;
    for (auto& line : op.limits) line = {u(rng) * 1e-3, u(rng) * 1e-6};
    op.overhead = core::Time::from_base(u(rng) * 1e-5);
    const int64_t first = 1 + static_cast<int64_t>(u(rng) * 3000), last = first + static_cast<int64_t>(u(rng) * 3000);
    double stepped = 0;
    for (int64_t t = first; t <= last; ++t) stepped += op.at(t).base();
    EXPECT_NEAR(sum_over_contexts(op, first, last).base() / stepped, 1.0, 1e-9) << trial;
  }
}

TEST(Serving, DecodeIsMemoryBoundAndPrefillIsComputeBound) {
  auto r = evaluate_serving(chip("h100-sxm"), model("llama-3.1-8b"), scenario(1, 2048, 128, core::NumberFormat::kBF16),
                            Tier::kRoofline);
  ASSERT_TRUE(r.ok());
  for (const auto& op : r->decode_ops) {
    if (op.kind == workload::OpKind::kGemm) {

      EXPECT_EQ(op.bound, Bound::kMemory) << op.name;
    }
  }
  for (const auto& op : r->prefill_ops) {
    if (op.name == "gate_up_proj") {

      EXPECT_EQ(op.bound, Bound::kTensor);
    }
  }
  // Batch-1 decode streams the weights (all but the embedding table, of
  // which it gathers one row) once per token: TPOT is at least that over
  // the achievable bandwidth and, with a short cache, not much more.
  const auto h100 = chip("h100-sxm");
  const auto m = model("llama-3.1-8b");
  const core::Bytes streamed = r->memory.weights - core::Bytes::from_base(2.0 * static_cast<double>(m.embedding_params()));
  const double floor_s = (streamed / (h100.memory.bandwidth() * h100.efficiency.memory)).base();
  EXPECT_GE(r->time_per_output_token.base(), floor_s);
  EXPECT_LE(r->time_per_output_token.base(), floor_s * 1.1);
}

TEST(Serving, LargestBatchFitsAndOneMoreDoesNot) {
  const auto h100 = chip("h100-sxm");
  const auto m = model("llama-3.1-70b");
  auto s = scenario(1, 2048, 512, core::NumberFormat::kFP8);
  const int64_t max_batch = memory_use(h100, m, s).max_batch;
  ASSERT_GT(max_batch, 0);
  s.batch = max_batch;
  EXPECT_TRUE(memory_use(h100, m, s).fits);
  s.batch = max_batch + 1;
  EXPECT_FALSE(memory_use(h100, m, s).fits);
  // 70B in BF16 (141 GB) does not fit on one 80 GiB H100 at all.
  EXPECT_EQ(memory_use(h100, m, scenario(1, 2048, 512, core::NumberFormat::kBF16)).max_batch, 0);
}

TEST(Serving, ContinuousBatchingHoldsOneStepsPrefillActivations) {
  const auto h100 = chip("h100-sxm");
  const auto m = model("llama-3.1-70b");
  auto statics = scenario(64, 2048, 512, core::NumberFormat::kFP8);
  auto continuous = statics;
  continuous.batching = workload::Batching::kContinuous;
  const MemoryUse a = memory_use(h100, m, statics), b = memory_use(h100, m, continuous);
  // The whole batch's prompts against one step's: 64 / 512 of them, and one more.
  const double one_prompt = a.activations.base() / 64;
  EXPECT_NEAR(b.activations.base(), one_prompt * (1 + 64.0 / 512), 1.0);
  EXPECT_EQ(b.kv_cache, a.kv_cache);
  EXPECT_GT(b.max_batch, a.max_batch);
  continuous.batch = b.max_batch;
  EXPECT_TRUE(memory_use(h100, m, continuous).fits);
  continuous.batch = b.max_batch + 1;
  EXPECT_FALSE(memory_use(h100, m, continuous).fits);
}

TEST(Serving, MoreBandwidthNeverSlower) {
  const auto m = model("llama-3.1-8b");
  const auto s = scenario(8, 1024, 256, core::NumberFormat::kBF16);
  hw::ChipSpec base = chip("h100-sxm");
  hw::ChipSpec faster = base;
  faster.memory.bandwidth_per_stack = base.memory.bandwidth_per_stack * 1.5;
  auto a = evaluate_serving(base, m, s), b = evaluate_serving(faster, m, s);
  ASSERT_TRUE(a.ok() && b.ok());
  EXPECT_LE(b->time_per_output_token, a->time_per_output_token);
  EXPECT_LE(b->time_to_first_token, a->time_to_first_token);
  EXPECT_LT(b->time_per_output_token, a->time_per_output_token);  // decode is memory-bound
}

TEST(Serving, UnsupportedFormatIsAClearError) {
  auto r = evaluate_serving(chip("h100-sxm"), model("llama-3.1-8b"), scenario(1, 128, 16, core::NumberFormat::kFP4));
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.errors().front().message.find("no tensor throughput in fp4"), std::string::npos);
}

TEST(Serving, EvaluationCostDoesNotGrowWithOutputLength) {
  // The decode graph has the same ops whatever the output length; the sum
  // over steps is closed-form. Check the figures stay consistent instead of
  // timing: TPOT grows with output length only through the longer cache.
  const auto h100 = chip("h100-sxm");
  const auto m = model("llama-3.1-8b");
  auto short_run = evaluate_serving(h100, m, scenario(4, 512, 64, core::NumberFormat::kBF16));
  auto long_run = evaluate_serving(h100, m, scenario(4, 512, 100000, core::NumberFormat::kBF16));
  ASSERT_TRUE(short_run.ok() && long_run.ok());
  EXPECT_EQ(short_run->decode_ops.size(), long_run->decode_ops.size());
  EXPECT_GT(long_run->time_per_output_token, short_run->time_per_output_token);
}

TEST(Serving, HostTimeDelaysEveryForwardPass) {
  const auto h100 = chip("h100-sxm");
  const auto m = model("llama-3.1-8b");
  // 1 ms a pass and 0.125 ms for each of its 8 sequences.
  const core::Time host = core::Time::from_base(2e-3);
  for (auto batching : {workload::Batching::kStatic, workload::Batching::kContinuous}) {
    auto s = scenario(8, 1024, 256, core::NumberFormat::kBF16);
    s.batching = batching;
    auto with = s;
    with.host_time_per_step = core::Time::from_base(1e-3);
    with.host_time_per_sequence = core::Time::from_base(0.125e-3);
    auto a = evaluate_serving(h100, m, s), b = evaluate_serving(h100, m, with);
    ASSERT_TRUE(a.ok() && b.ok());
    EXPECT_NEAR(b->time_per_output_token.base(), a->time_per_output_token.base() + host.base(), 1e-12);
    const double ttft = batching == workload::Batching::kStatic ? 1.0 : 1.5;  // a prefill pass; 1.5 steps
    EXPECT_NEAR(b->time_to_first_token.base(), a->time_to_first_token.base() + ttft * host.base(), 1e-12);
    EXPECT_LT(b->output_tokens_per_s, a->output_tokens_per_s);
  }
}

TEST(Serving, HostTimeIsReadWithItsUnit) {
  auto read = [](const std::string& host) {
    const std::string text =
        "serve:\n  batch: 4\n  prompt_length: 10\n  output_length: 10\n  host_time_per_step: " + host +
        "\n  host_time_per_sequence: \"50 us\"\n";
    auto doc = config::parse_document(text, "s.yaml");
    EXPECT_TRUE(doc.ok());
    return workload::read_scenario(*doc, "s");
  };
  auto ok = read("\"4 ms\"");
  ASSERT_TRUE(ok.ok());
  EXPECT_DOUBLE_EQ(ok->host_time_per_step.base(), 4e-3);
  EXPECT_DOUBLE_EQ(ok->host_time().base(), 4e-3 + 4 * 50e-6);
  for (const std::string bad : {"4", "\"-1 ms\"", "\"4 GB\""}) {
    auto s = read(bad);
    ASSERT_FALSE(s.ok()) << bad;
    EXPECT_NE(s.errors().front().str().find("s.yaml:5:23: serve.host_time_per_step"), std::string::npos)
        << s.errors().front().str();
  }
}

}  // namespace
}  // namespace tfab::perf

namespace tfab::perf {
namespace {

TEST(Serving, ContinuousBatchingSteadyState) {
  const auto h100 = chip("h100-sxm");
  const auto m = model("llama-3.1-8b");
  auto s = scenario(32, 1024, 256, core::NumberFormat::kBF16);
  s.batching = workload::Batching::kContinuous;
  for (Tier tier : {Tier::kRoofline, Tier::kTile}) {
    auto r = evaluate_serving(h100, m, s, tier);
    ASSERT_TRUE(r.ok());
    EXPECT_EQ(r->scenario.batch, 32);
    EXPECT_NEAR(r->output_tokens_per_s, 32 / r->time_per_output_token.base(), 1e-9);
    EXPECT_NEAR(r->time_to_first_token.base(), 1.5 * r->time_per_output_token.base(), 1e-12);
    // A step costs more than decoding alone, and less than decoding plus
    // prefilling its share of prompts in a separate pass (the weights are
    // read once for both).
    auto static_run = evaluate_serving(h100, m, scenario(32, 1024, 256, core::NumberFormat::kBF16), tier);
    auto one_prompt = evaluate_serving(h100, m, scenario(1, 1024, 1, core::NumberFormat::kBF16), tier);
    ASSERT_TRUE(static_run.ok() && one_prompt.ok());
    const core::Time decode_step = static_run->time_per_output_token;
    EXPECT_GT(r->time_per_output_token, decode_step);
    EXPECT_LT(r->time_per_output_token, decode_step + one_prompt->time_to_first_token * (32.0 / 256.0));
  }
}

TEST(Serving, LatencyBoundPicksTheLargestBatchThatMeetsIt) {
  const auto h100 = chip("h100-sxm");
  const auto m = model("llama-3.1-8b");
  auto s = scenario(1024, 1024, 256, core::NumberFormat::kFP8);
  s.batching = workload::Batching::kContinuous;
  s.latency.time_per_output_token = core::Time::from_base(0.02);
  auto r = evaluate_serving(h100, m, s);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->batch_limit, BatchLimit::kLatency);
  EXPECT_TRUE(r->meets_latency);
  EXPECT_LE(r->time_per_output_token.base(), 0.02);
  auto more = s;
  more.latency = {};
  more.batch = r->scenario.batch + 1;
  auto next = evaluate_serving(h100, m, more);
  ASSERT_TRUE(next.ok());
  EXPECT_GT(next->time_per_output_token.base(), 0.02);
  // A bound no batch meets is reported, not hidden.
  s.latency.time_per_output_token = core::Time::from_base(1e-6);
  auto impossible = evaluate_serving(h100, m, s);
  ASSERT_TRUE(impossible.ok());
  EXPECT_FALSE(impossible->meets_latency);
  EXPECT_EQ(impossible->scenario.batch, 1);
}

TEST(Queueing, ErlangCMatchesClosedForms) {
  for (double rho : {0.1, 0.5, 0.9, 0.99}) {
    EXPECT_NEAR(erlang_c(1, rho), rho, 1e-12);                          // M/M/1
    EXPECT_NEAR(erlang_c(2, rho), 2 * rho * rho / (1 + rho), 1e-12);    // M/M/2
  }
  // The exact recursion and the Halfin-Whitt limit meet where they hand over.
  EXPECT_NEAR(erlang_c(100000, 0.995), erlang_c(100001, 0.995), 0.01);
}

TEST(Serving, RandomArrivalsCostLoadUnderATimeToFirstTokenBound) {
  const auto h100 = chip("h100-sxm");
  const auto m = model("llama-3.1-8b");
  auto s = scenario(256, 512, 256, core::NumberFormat::kFP8);
  s.batching = workload::Batching::kContinuous;
  auto offline = evaluate_serving(h100, m, s);
  ASSERT_TRUE(offline.ok());
  EXPECT_EQ(offline->load, 1.0);
  s.latency.time_to_first_token = core::Time::from_base(2.0);
  s.latency.percentile = 99;
  auto server = evaluate_serving(h100, m, s);
  s.latency.time_to_first_token = core::Time::from_base(0.5);
  auto tight = evaluate_serving(h100, m, s);
  ASSERT_TRUE(server.ok() && tight.ok());
  EXPECT_GT(server->load, 0.5);
  EXPECT_LT(server->load, 1.0);
  EXPECT_LT(tight->load, server->load);
  EXPECT_NEAR(server->output_tokens_per_s, offline->output_tokens_per_s * server->load,
              1e-9 * offline->output_tokens_per_s);
}

TEST(Serving, ContinuousBatchIsCappedByMemory) {
  const auto h100 = chip("h100-sxm");
  const auto m = model("llama-3.1-70b");
  auto s = scenario(100000, 1024, 256, core::NumberFormat::kFP8);
  s.batching = workload::Batching::kContinuous;
  s.tensor_parallel = 2;
  auto r = evaluate_serving(h100, m, s);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->batch_limit, BatchLimit::kMemory);
  EXPECT_TRUE(r->memory.fits);
  EXPECT_EQ(r->scenario.batch, memory_use(h100, m, r->scenario).max_batch);
}

TEST(Serving, TensorParallelismSplitsWeightsAndAddsAllReduces) {
  const auto h100 = chip("h100-sxm");
  const auto m = model("llama-3.1-70b");
  auto one = scenario(64, 2048, 256, core::NumberFormat::kFP8);
  auto eight = one;
  eight.tensor_parallel = 8;
  auto a = memory_use(h100, m, one), b = memory_use(h100, m, eight);
  EXPECT_NEAR(b.weights.base() * 8, a.weights.base(), 1.0);
  auto r = evaluate_serving(h100, m, eight);
  ASSERT_TRUE(r.ok());
  int all_reduces = 0;
  for (const auto& op : r->decode_ops) {
    if (op.kind != workload::OpKind::kCollective) continue;
    ++all_reduces;
    EXPECT_EQ(op.bound, Bound::kLink);
    EXPECT_GT(op.time.base(), 0);
  }
  EXPECT_EQ(all_reduces, 2);  // after attention and after the MLP
  EXPECT_GT(r->output_tokens_per_s, 0);
  EXPECT_NEAR(r->output_tokens_per_s_per_chip * 8, r->output_tokens_per_s, 1e-6 * r->output_tokens_per_s);
}

TEST(Serving, MappedShapesGrowWithUniqueShapesNotLayers) {
  const auto h100 = chip("h100-sxm");
  auto shallow = model("llama-3.1-70b");
  auto deep = shallow;
  deep.layers *= 4;
  const auto s = scenario(64, 2048, 256, core::NumberFormat::kFP8);
  auto shapes_after = [&](const workload::ModelSpec& m) {
    auto timer = OpTimer::create(h100, core::NumberFormat::kFP8, Tier::kTile).value();
    EXPECT_TRUE(evaluate_serving(timer, h100, m, s).ok());
    return timer.gemm_shapes();
  };
  const size_t shallow_shapes = shapes_after(shallow);
  EXPECT_EQ(shallow_shapes, shapes_after(deep));
  // qkv, o, gate/up and down in prefill and in decode, and the LM head
  // (one row per sequence in both).
  EXPECT_EQ(shallow_shapes, 9U);
}

TEST(Serving, CycleTierNeedsSystolicArrays) {
  auto gpu = evaluate_serving(chip("h100-sxm"), model("llama-3.1-8b"), scenario(1, 128, 16, core::NumberFormat::kBF16),
                              Tier::kCycle);
  ASSERT_FALSE(gpu.ok());
  EXPECT_NE(gpu.errors().front().message.find("cycle tier"), std::string::npos);
}

TEST(Serving, TiersAgreeOnTheShapeOfTheAnswer) {
  // The tile tier only adds costs the roofline ignores, and the cycle
  // simulation of the same arrays lands near the tile tier.
  const auto seed = chip("seed-2nm");
  const auto m = model("llama-3.1-8b");
  const auto s = scenario(8, 512, 64, core::NumberFormat::kBF16);
  auto roof = evaluate_serving(seed, m, s, Tier::kRoofline);
  auto tile = evaluate_serving(seed, m, s, Tier::kTile);
  auto cycle = evaluate_serving(seed, m, s, Tier::kCycle);
  ASSERT_TRUE(roof.ok() && tile.ok() && cycle.ok());
  EXPECT_GE(tile->time_to_first_token, roof->time_to_first_token);
  EXPECT_GE(tile->time_per_output_token, roof->time_per_output_token);
  EXPECT_NEAR(cycle->time_to_first_token / tile->time_to_first_token, 1.0, 0.25);
  EXPECT_NEAR(cycle->time_per_output_token / tile->time_per_output_token, 1.0, 0.25);
}

TEST(Serving, BatchingIsValidated) {
  auto doc = config::parse_document("serve:\n  batch: 4\n  prompt_length: 10\n  output_length: 10\n  batching: continous\n",
                                    "s.yaml");
  ASSERT_TRUE(doc.ok());
  auto s = workload::read_scenario(*doc, "s");
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.errors().front().str(),
            "error: s.yaml:5:13: serve.batching: unknown value 'continous'; expected one of: static, continuous "
            "(did you mean 'continuous'?)");
}

}  // namespace
}  // namespace tfab::perf
