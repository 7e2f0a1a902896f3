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

std::string slurp(const fs::path& file) {
  std::ifstream in(file, std::ios::binary);
  std::stringstream bytes;
  bytes << in.rdbuf();
  return bytes.str();
}

TEST(FuzzRegressions, EveryKeptInputReadsWithoutAFinding) {
  int replayed = 0;
  for (const auto& [kind, name, shipped] : tfab::fuzz::kinds()) {
    const fs::path folder = fs::path(TFAB_FUZZ_REGRESSIONS) / name;
    if (!fs::is_directory(folder)) continue;
    for (const auto& entry : fs::directory_iterator(folder)) {
      const auto finding = tfab::fuzz::run_one(kind, slurp(entry.path()));
      EXPECT_FALSE(finding.has_value()) << entry.path() << ": " << (finding ? finding->what : "");
      ++replayed;
    }
  }
  RecordProperty("replayed", replayed);
}

TEST(FuzzRegressions, EveryShippedFileReadsWithoutAFinding) {
  for (const auto& [kind, name, folder] : tfab::fuzz::kinds()) {
    for (const auto& entry : fs::directory_iterator(fs::path(TFAB_DATA_DIR) / folder)) {
      const auto finding = tfab::fuzz::run_one(kind, slurp(entry.path()));
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
