#include "tensorfab/hw/chip.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include "support/shipped.h"

namespace tfab::hw {
namespace {

using namespace core::literals;

using testing::shipped;

std::string write_temp(const std::string& name, const std::string& text) {
  auto path = std::filesystem::temp_directory_path() / name;
  std::ofstream(path) << text;
  return path.string();
}

TEST(Chip, ShipsH100AndTheSeed) {
  auto h100 = load_chip(shipped(), "h100-sxm");
  ASSERT_TRUE(h100.ok()) << h100.errors().front().str();
  EXPECT_EQ(h100->id, "h100-sxm");
  EXPECT_DOUBLE_EQ(h100->tensor_peak_for(core::NumberFormat::kBF16)->in(1_TFLOPS), 989.4);
  EXPECT_FALSE(h100->tensor_peak_for(core::NumberFormat::kFP4).has_value());
  EXPECT_NEAR(h100->memory.bandwidth().in(1_TBps), 3.35, 1e-9);
  EXPECT_DOUBLE_EQ(h100->memory.capacity().in(1_GiB), 80);
  EXPECT_DOUBLE_EQ(h100->tdp.in(1_W), 700);

  auto seed = load_chip(shipped(), "seed-2nm");
  ASSERT_TRUE(seed.ok()) << seed.errors().front().str();
  EXPECT_EQ(seed->process_node, "samsung-sf2");
  EXPECT_EQ(seed->memory.type, "HBM4");
  EXPECT_TRUE(seed->tensor_peak_for(core::NumberFormat::kFP4).has_value());
}

TEST(Chip, PresetWithOverrides) {
  auto path = write_temp("tfab-h100-6.yaml", "preset: h100-sxm\nname: H100 with six stacks\nmemory:\n  stacks: 6\n");
  auto chip = load_chip(shipped(), path, {config::Override{"tdp=800 W"}});
  ASSERT_TRUE(chip.ok()) << chip.errors().front().str();
  EXPECT_EQ(chip->id, "tfab-h100-6");
  EXPECT_EQ(chip->name, "H100 with six stacks");
  EXPECT_EQ(chip->memory.stacks, 6);
  EXPECT_DOUBLE_EQ(chip->memory.capacity().in(1_GiB), 96);  // per-stack capacity kept from the preset
  EXPECT_DOUBLE_EQ(chip->tdp.in(1_W), 800);
}

TEST(Chip, ReportsEveryProblemWithItsKeyPath) {
  auto path = write_temp("tfab-bad-chip.yaml",
                         "preset: h100-sxm\ntdp: 700\nmemory:\n  stakcs: 6\n  bandwidth_per_stack: 0 GB/s\n");
  auto chip = load_chip(shipped(), path);
  ASSERT_FALSE(chip.ok());
  std::vector<std::string> paths;
  for (const auto& e : chip.errors()) paths.push_back(e.key_path);
  EXPECT_NE(std::find(paths.begin(), paths.end(), "tdp"), paths.end());
  EXPECT_NE(std::find(paths.begin(), paths.end(), "memory.stakcs"), paths.end());
  EXPECT_NE(std::find(paths.begin(), paths.end(), "memory.bandwidth_per_stack"), paths.end());
  for (const auto& e : chip.errors()) {
    if (e.key_path == "tdp") {

      EXPECT_EQ(e.location.line, 2);
    }
    if (e.key_path == "memory.stakcs") {

      EXPECT_EQ(e.notes, std::vector<std::string>{"did you mean 'stacks'?"});
    }
  }
}

TEST(Chip, UnknownIdSuggestsTheNearest) {
  auto chip = load_chip(shipped(), "h100-sx");
  ASSERT_FALSE(chip.ok());
  EXPECT_EQ(chip.errors().front().code, core::ErrorCode::kNotFound);
  EXPECT_EQ(chip.errors().front().notes.front(), "did you mean 'h100-sxm'?");
}

TEST(Chip, StackedDiesNameWhatTheyHold) {
  auto path = write_temp("tfab-stacked.yaml",
                         "preset: h100-sxm\n"
                         "stacked_dies: {count: 2, process_node: tsmc-n7, bonding: soic, holds: [l2, memory_phy]}\n"
                         "dies: 2\ndie_to_die: {interconnect: ucie-advanced, bandwidth: 2 TB/s}\n");
  auto chip = load_chip(shipped(), path);
  ASSERT_TRUE(chip.ok()) << chip.errors().front().str();
  EXPECT_EQ(chip->stacked_dies->holds, (std::vector<std::string>{"l2", "memory_phy"}));
  EXPECT_TRUE(chip->stacked_dies->holds_item("memory_phy"));
  EXPECT_FALSE(chip->stacked_dies->holds_item("links"));
  EXPECT_DOUBLE_EQ(chip->die_to_die->bandwidth.in(1_TBps), 2);

  auto bad = write_temp("tfab-stacked-bad.yaml",
                        "preset: h100-sxm\n"
                        "stacked_dies: {count: 2, process_node: tsmc-n7, bonding: soic, holds: [l3, l2, l2]}\n");
  auto wrong = load_chip(shipped(), bad);
  ASSERT_FALSE(wrong.ok());
  ASSERT_EQ(wrong.errors().size(), 2u);  // both problems at once
  EXPECT_EQ(wrong.errors()[0].key_path, "stacked_dies.holds[0]");
  EXPECT_EQ(wrong.errors()[0].notes.front(), "did you mean 'l2'?");
  EXPECT_EQ(wrong.errors()[1].key_path, "stacked_dies.holds[2]");
  EXPECT_NE(wrong.errors()[1].message.find("listed twice"), std::string::npos);

  auto lonely = write_temp("tfab-one-die.yaml",
                           "preset: h100-sxm\ndie_to_die: {interconnect: ucie-advanced, bandwidth: 2 TB/s}\n");
  auto one = load_chip(shipped(), lonely);
  ASSERT_FALSE(one.ok());
  EXPECT_EQ(one.errors().front().key_path, "die_to_die");
}

}  // namespace
}  // namespace tfab::hw
