// Every input a fuzz harness once crashed on (tests/fuzz/regressions/<kind>/)
// is replayed through the same code, so the bug stays fixed in every build,
// the sanitized ones included, without libFuzzer.

#include <cmath>
#include <filesystem>
#include <fstream>
#include <sstream>

#include <gtest/gtest.h>

#include "fuzz_target.h"

namespace {

namespace fs = std::filesystem;

TEST(FuzzRegressions, EveryKeptInputReadsWithoutAFinding) {
  int replayed = 0;
  for (const auto& [kind, name] : tfab::fuzz::kinds()) {
    const fs::path folder = fs::path(TFAB_FUZZ_REGRESSIONS) / name;
    if (!fs::is_directory(folder)) continue;
    for (const auto& entry : fs::directory_iterator(folder)) {
      std::ifstream in(entry.path(), std::ios::binary);
      std::stringstream bytes;
      bytes << in.rdbuf();
      const auto finding = tfab::fuzz::run_one(kind, bytes.str());
      EXPECT_FALSE(finding.has_value()) << entry.path() << ": " << (finding ? finding->what : "");
      ++replayed;
    }
  }
  RecordProperty("replayed", replayed);
}

TEST(FuzzRegressions, EveryShippedFileReadsWithoutAFinding) {
  const std::pair<tfab::fuzz::Kind, const char*> folders[] = {
      {tfab::fuzz::Kind::kChip, "chips"},       {tfab::fuzz::Kind::kModel, "models"},
      {tfab::fuzz::Kind::kScenario, "scenarios"}, {tfab::fuzz::Kind::kNode, "nodes"},
      {tfab::fuzz::Kind::kDatacenter, "datacenters"}};
  for (const auto& [kind, folder] : folders) {
    for (const auto& entry : fs::directory_iterator(fs::path(TFAB_DATA_DIR) / folder)) {
      std::ifstream in(entry.path(), std::ios::binary);
      std::stringstream bytes;
      bytes << in.rdbuf();
      const auto finding = tfab::fuzz::run_one(kind, bytes.str());
      EXPECT_FALSE(finding.has_value()) << entry.path() << ": " << (finding ? finding->what : "");
    }
  }
}

TEST(FuzzRegressions, ANonFiniteNumberIsFoundWhereverItIs) {
  nlohmann::ordered_json j = {{"rows", {{{"tpot", {{"value", 1.0}}}}}}};
  EXPECT_FALSE(tfab::fuzz::non_finite(j).has_value());
  j["rows"][0]["tpot"]["value"] = std::nan("");
  const auto finding = tfab::fuzz::non_finite(j);
  ASSERT_TRUE(finding.has_value());
  EXPECT_EQ(finding->what, "non-finite number at /rows/0/tpot/value");
}

}  // namespace
