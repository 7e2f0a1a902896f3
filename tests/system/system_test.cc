#include <gtest/gtest.h>

#include <cmath>

#include "support/shipped.h"
#include "tensorfab/system/collective.h"
#include "tensorfab/system/topology.h"
#include "tensorfab/system/training.h"

namespace tfab::system {
namespace {

using testing::shipped;
using workload::CollectiveKind;

constexpr double kGB = 1e9;

Level switch_level(int64_t chips, double gb_per_s, double latency_us) {
  Level l;
  l.name = "switch";
  l.network = Network::kSwitch;
  l.chips = chips;
  l.bandwidth = core::Bandwidth::from_base(gb_per_s * kGB);
  l.latency = core::Time::from_base(latency_us * 1e-6);
  return l;
}

System of(std::vector<Level> levels) {
  System s;
  s.id = "test";
  s.levels = std::move(levels);
  return s;
}

double seconds(const System& s, CollectiveKind kind, double bytes, Group g) {
  return collective_time(s, kind, core::Bytes::from_base(bytes), g).time.base();
}

TEST(Collectives, RingAllReduceFollowsAlphaBeta) {
  const System s = of({switch_level(8, 100, 5)});
  const double n = 1e9;
  const CollectiveTime t = collective_time(s, CollectiveKind::kAllReduce, core::Bytes::from_base(n), {8, 1});
  EXPECT_EQ(t.algorithm, Algorithm::kRing);
  EXPECT_NEAR(t.time.base(), 2 * 7 * 5e-6 + 2 * 7.0 / 8 * n / (100 * kGB), 1e-12);
  // Reduce-scatter and all-gather are half of it; send/recv one message.
  EXPECT_NEAR(seconds(s, CollectiveKind::kReduceScatter, n, {8, 1}), t.time.base() / 2, 1e-12);
  EXPECT_NEAR(seconds(s, CollectiveKind::kAllGather, n, {8, 1}), t.time.base() / 2, 1e-12);
  EXPECT_NEAR(seconds(s, CollectiveKind::kSendRecv, n, {2, 1}), 5e-6 + n / (100 * kGB), 1e-12);
  EXPECT_NEAR(seconds(s, CollectiveKind::kAllToAll, n, {8, 1}), 7 * 5e-6 + 7.0 / 8 * n / (100 * kGB), 1e-12);
  EXPECT_EQ(seconds(s, CollectiveKind::kAllReduce, n, {1, 1}), 0);
}

TEST(Collectives, ConcurrentCollectivesShareTheLinks) {
  const System s = of({switch_level(8, 100, 0)});
  const auto alone = collective_time(s, CollectiveKind::kAllGather, core::Bytes::from_base(1e9), {8, 1});
  const auto shared = collective_time(s, CollectiveKind::kAllGather, core::Bytes::from_base(1e9), {8, 1}, 2);
  EXPECT_NEAR(shared.time.base(), 2 * alone.time.base(), 1e-12);
}

TEST(Collectives, TreeWinsSmallMessagesOnLargeGroups) {
  const System s = of({switch_level(1024, 25, 10)});
  EXPECT_EQ(collective_time(s, CollectiveKind::kAllReduce, core::Bytes::from_base(4096), {1024, 1}).algorithm,
            Algorithm::kTree);
  // A small group's large message: the ring's (g-1)/g of the bytes beats the tree's whole.
  EXPECT_EQ(collective_time(s, CollectiveKind::kAllReduce, core::Bytes::from_base(4e9), {8, 1}).algorithm,
            Algorithm::kRing);
}

TEST(Collectives, HierarchicalBeatsOneRingAcrossNodes) {
  const System s = of({switch_level(8, 300, 3), switch_level(64, 25, 10)});
  const double n = 1e9;
  const CollectiveTime t = collective_time(s, CollectiveKind::kAllReduce, core::Bytes::from_base(n), {64, 1});
  EXPECT_EQ(t.algorithm, Algorithm::kHierarchical);
  EXPECT_EQ(t.level, 1U);
  // Inside the node on n, then across the nodes on n / 8, each both ways.
  const double expected =
      2 * (7 * 3e-6 + 7.0 / 8 * n / (300 * kGB)) + 2 * (7 * 10e-6 + 7.0 / 8 * (n / 8) / (25 * kGB));
  EXPECT_NEAR(t.time.base(), expected, 1e-9);
  // A group with one member per node has only the slow level.
  const CollectiveTime strided =
      collective_time(s, CollectiveKind::kAllReduce, core::Bytes::from_base(n), {8, 8});
  EXPECT_NEAR(strided.time.base(), 2 * 7 * 10e-6 + 2 * 7.0 / 8 * n / (25 * kGB), 1e-9);
  // A group inside one node never touches the slow level.
  EXPECT_EQ(collective_time(s, CollectiveKind::kAllReduce, core::Bytes::from_base(n), {8, 1}).level, 0U);
}

TEST(Collectives, TorusRunsOneRingPerDimension) {
  Level torus = switch_level(16, 400, 1);
  torus.network = Network::kTorus;
  torus.torus = {4, 4};
  const System s = of({torus});
  const double n = 1e9, per_dimension = 400 * kGB / 2;
  const CollectiveTime t = collective_time(s, CollectiveKind::kAllReduce, core::Bytes::from_base(n), {16, 1});
  EXPECT_EQ(t.algorithm, Algorithm::kTorus);
  const double expected =
      2 * ((3 * 1e-6 + 0.75 * n / per_dimension) + (3 * 1e-6 + 0.75 * (n / 4) / per_dimension));
  EXPECT_NEAR(t.time.base(), expected, 1e-9);
  // Two chips of a ring of four share its links with the others.
  const double pair = seconds(s, CollectiveKind::kAllReduce, n, {2, 1});
  EXPECT_NEAR(pair, 2 * (1e-6 + 0.5 * n / (per_dimension / 2)), 1e-9);
}

TEST(Collectives, FatTreeTaperSlowsTrafficLeavingALeaf) {
  Level tree = switch_level(256, 50, 0);
  tree.network = Network::kFatTree;
  tree.leaf_chips = 32;
  tree.oversubscription = 2;
  const System s = of({switch_level(8, 400, 0), tree});
  const double inside = seconds(s, CollectiveKind::kAllReduce, 1e9, {4, 8});   // 32 chips: one leaf
  const double across = seconds(s, CollectiveKind::kAllReduce, 1e9, {4, 64});  // 256 chips: four leaves
  EXPECT_NEAR(across / inside, 2.0, 1e-9);
}

// Megatron-LM's GPT-3 175B layout of Korthikanti et al. 2022 on Selene.
struct Megatron175B {
  hw::ChipSpec chip = hw::load_chip(shipped(), "a100-sxm-80gb").value();
  workload::ModelSpec model = workload::load_model(shipped(), "megatron-175b").value();
  System selene = load_system(shipped(), "selene", chip).value();
  workload::TrainScenario scenario = workload::load_train_scenario(shipped(), "train-gpt3-175b").value();

  TrainingResult step() const { return train_step(chip, model, scenario, selene).value(); }
};

TEST(Training, StepPartsAddUpAndUtilisationIsAFraction) {
  const TrainingResult r = Megatron175B{}.step();
  const StepTime& s = r.step;
  EXPECT_EQ(r.chips, 64);
  EXPECT_EQ(r.micro_batches, 64);
  EXPECT_GT(s.forward.base(), 0);
  EXPECT_NEAR(s.backward.base() / s.forward.base(), 2.0, 0.3);  // Narayanan et al. 2021 §5.1
  EXPECT_GT(s.tensor_comm.base(), 0);
  EXPECT_GT(s.pipeline_comm.base(), 0);
  EXPECT_EQ(s.data_comm.base(), 0);  // no data parallelism
  EXPECT_GT(r.mfu, 0.3);
  EXPECT_LT(r.mfu, r.hfu);
  EXPECT_LT(r.hfu, 1.0);
  EXPECT_NEAR(r.tokens_per_s(), 64 * 2048 / s.total().base(), 1e-9);
  EXPECT_NEAR(r.time_to_train(1e9).base(), 1e9 / r.tokens_per_s(), 1e-6);
  EXPECT_TRUE(r.fits);
}

TEST(Training, InterleavingDividesTheBubble) {
  Megatron175B one_chunk, three_chunks;
  three_chunks.scenario.parallelism.virtual_stages = 3;
  const TrainingResult a = one_chunk.step(), b = three_chunks.step();
  // (p - 1) / v micro-batches; each pays its extra pipeline messages.
  EXPECT_NEAR(a.step.bubble.base() / b.step.bubble.base(), 3.0, 0.05);
  EXPECT_NEAR(b.step.pipeline_comm.base() / a.step.pipeline_comm.base(), 3.0, 1e-9);
  // With 1F1B the bubble is (p - 1) / m of the steady state.
  const double steady = (a.step.forward + a.step.backward + a.step.recompute + a.step.tensor_comm).base();
  EXPECT_NEAR(a.step.bubble.base() / steady, 7.0 / 64, 0.01);
}

TEST(Training, OverlappedGradientReductionHidesUnderTheBackwardPass) {
  Megatron175B serial, overlapped;
  for (Megatron175B* m : {&serial, &overlapped}) {
    m->scenario.parallelism.data = 8;
    m->scenario.global_batch = 512;
  }
  overlapped.scenario.overlap.gradient_reduce = true;
  const TrainingResult a = serial.step(), b = overlapped.step();
  EXPECT_GT(a.step.data_comm.base(), 0);
  EXPECT_LT(b.step.data_comm.base(), a.step.data_comm.base());
  EXPECT_NEAR(a.step.total().base() - b.step.total().base(), (a.step.data_comm - b.step.data_comm).base(),
              1e-9);
}

TEST(Training, ALayoutLargerThanTheSystemIsAnError) {
  Megatron175B m;
  m.scenario.parallelism.data = 100;  // 6400 chips on a 4480-chip Selene
  m.scenario.global_batch = 6400;
  auto r = train_step(m.chip, m.model, m.scenario, m.selene);
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.errors().front().message.find("4480"), std::string::npos) << r.errors().front().message;
}

core::Result<System> read(const std::string& yaml) {
  auto doc = config::parse_document(yaml, "system.yaml");
  if (!doc) return doc.errors();
  hw::ChipSpec chip;
  chip.name = "no links";
  return read_system(*doc, "system", chip);
}

TEST(Topology, ReportsEveryProblemWithItsKey) {
  auto r = read(
      "name: bad\n"
      "levels:\n"
      "  - {name: a, network: torus, chips: 16, torus: 4x3, bandwidth: 10 GB/s, latency: 1 us}\n"
      "  - {name: b, network: fat-tre, chips: 40, bandwidth: 10 GB/s, latency: 1 us}\n"
      "  - {name: c, network: switch, chips: 64, link: scale_up, latncy: 1 us}\n");
  ASSERT_FALSE(r.ok());
  std::string all;
  for (const auto& e : r.errors()) all += e.key_path + ": " + e.message + "\n";
  EXPECT_NE(all.find("levels[0].torus"), std::string::npos) << all;    // 12 domains, not 16
  EXPECT_NE(all.find("levels[1].network"), std::string::npos) << all;  // fat-tre
  EXPECT_NE(all.find("levels[2].link"), std::string::npos) << all;     // the chip has no scale-up link
  EXPECT_NE(all.find("levels[2].latncy"), std::string::npos) << all;   // a typo, with a suggestion
  EXPECT_NE(all.find("latency"), std::string::npos) << all;
}

TEST(Topology, KeysOfAnotherKindOfNetworkAreErrors) {
  auto r = read(
      "name: mixed\n"
      "levels:\n"
      "  - {name: a, network: switch, chips: 16, torus: 4x4, leaf_chips: 8, bandwidth: 10 GB/s, latency: 1 "
      "us}\n");
  ASSERT_FALSE(r.ok());
  std::string all;
  for (const auto& e : r.errors()) all += e.key_path + ": " + e.message + "\n";
  EXPECT_NE(all.find("levels[0].torus: only a torus level has torus"), std::string::npos) << all;
  EXPECT_NE(all.find("levels[0].leaf_chips: only a fat-tree level has leaf_chips"), std::string::npos) << all;
}

TEST(Topology, ShippedSystemsLoad) {
  const hw::ChipSpec chip = hw::load_chip(shipped(), "h100-sxm").value();
  for (const std::string& id : shipped().ids("systems")) {
    auto s = load_system(shipped(), id, chip);
    ASSERT_TRUE(s.ok()) << id << ": " << s.errors().front().message;
    EXPECT_GE(s->chips(), 1024) << id;
  }
}

}  // namespace
}  // namespace tfab::system
