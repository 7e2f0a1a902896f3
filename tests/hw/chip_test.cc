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

}  // namespace
}  // namespace tfab::hw
