// The shipped chip library against the published figures it was written
// from, and the schema's answer to each kind of bad value.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>

#include "support/shipped.h"
#include "tensorfab/hw/chip.h"

namespace tfab::hw {
namespace {

using namespace core::literals;
namespace fs = std::filesystem;

using testing::shipped;

// tests/hw/published/*.csv: chip,bf16_dense,fp8_dense,memory_bandwidth,memory_capacity,source
struct Published {
  std::string chip, bf16, fp8, bandwidth, capacity, source;
};

std::vector<std::string> split_csv_line(const std::string& line) {
  std::vector<std::string> cells(1);
  bool quoted = false;
  for (size_t i = 0; i < line.size(); ++i) {
    char c = line[i];
    if (c == '"' && quoted && i + 1 < line.size() && line[i + 1] == '"') {
      cells.back() += '"';
      ++i;
    } else if (c == '"') {
      quoted = !quoted;
    } else if (c == ',' && !quoted) {
      cells.emplace_back();
    } else {
      cells.back() += c;
    }
  }
  return cells;
}

std::vector<Published> published_figures() {
  std::vector<Published> rows;
  std::vector<fs::path> files;
  for (const auto& f : fs::directory_iterator(TFAB_PUBLISHED_DIR)) files.push_back(f.path());
  std::sort(files.begin(), files.end());
  for (const auto& file : files) {
    std::ifstream in(file);
    std::string line;
    std::getline(in, line);  // header
    while (std::getline(in, line)) {
      if (line.empty()) continue;
      auto c = split_csv_line(line);
      c.resize(6);
      rows.push_back({c[0], c[1], c[2], c[3], c[4], c[5]});
    }
  }
  return rows;
}

template <class Q>
void expect_within_one_percent(const std::string& chip, const char* what, const std::string& published, Q actual) {
  if (published.empty()) return;  // not published
  auto expected = core::parse<Q>(published);
  ASSERT_TRUE(expected.ok()) << chip << " " << what << ": cannot read '" << published << "'";
  EXPECT_NEAR(actual / *expected, 1.0, 0.01) << chip << " " << what << ": published " << published << ", chip file "
                                             << core::format(actual);
}

TEST(ChipLibrary, EveryShippedChipLoads) {
  const auto ids = shipped().ids("chips");
  EXPECT_GE(ids.size(), 2u);
  for (const auto& id : ids) {
    auto chip = load_chip(shipped(), id);
    EXPECT_TRUE(chip.ok()) << id << ": " << (chip.ok() ? "" : chip.errors().front().str());
  }
}

TEST(ChipLibrary, MatchesPublishedFigures) {
  const auto rows = published_figures();
  ASSERT_FALSE(rows.empty());
  std::set<std::string> covered;
  for (const auto& row : rows) {
    auto chip = load_chip(shipped(), row.chip);
    ASSERT_TRUE(chip.ok()) << row.chip;
    covered.insert(row.chip);
    EXPECT_FALSE(row.source.empty()) << row.chip << ": a published figure needs its source";
    auto peak = [&](core::NumberFormat f) { return chip->tensor_peak_for(f).value_or(core::OpRate{}); };
    expect_within_one_percent(row.chip, "bf16 dense", row.bf16, peak(core::NumberFormat::kBF16));
    expect_within_one_percent(row.chip, "fp8 dense", row.fp8, peak(core::NumberFormat::kFP8));
    expect_within_one_percent(row.chip, "memory bandwidth", row.bandwidth, chip->memory.bandwidth());
    expect_within_one_percent(row.chip, "memory capacity", row.capacity, chip->memory.capacity());
  }
  // Every shipped chip but the design under study is checked against its figures.
  for (const auto& id : shipped().ids("chips")) {
    if (id != "seed-2nm") {
      EXPECT_TRUE(covered.count(id)) << id << " has no row in tests/hw/published/";
    }
  }
}

// Where a chip gives its array shape, unit count and clock, they must
// reproduce its BF16 peak: units x rows x cols MACs x 2 x clock.
TEST(ChipLibrary, MicroarchitectureReproducesThePeak) {
  for (const auto& id : shipped().ids("chips")) {
    auto chip = load_chip(shipped(), id);
    ASSERT_TRUE(chip.ok()) << id;
    const auto& t = chip->tensor;
    auto bf16 = chip->tensor_peak_for(core::NumberFormat::kBF16);
    if (!t.units || !t.array_rows || !t.clock || !bf16) continue;
    const double macs = static_cast<double>(*t.units * *t.array_rows * *t.array_cols);
    EXPECT_NEAR((*t.clock * (2 * macs)).base() / bf16->base(), 1.0, 0.01) << id;
  }
}

// Each field, given a bad value, gets its own error at its own key path.
struct BadField {
  std::string assignment;  // key.path=value applied over h100-sxm
  std::string message;     // a fragment of the expected message
};

class BadFieldTest : public ::testing::TestWithParam<BadField> {};

TEST_P(BadFieldTest, GetsItsOwnError) {
  const auto& c = GetParam();
  auto chip = load_chip(shipped(), "h100-sxm", {config::Override{c.assignment}});
  ASSERT_FALSE(chip.ok()) << c.assignment;
  ASSERT_EQ(chip.errors().size(), 1u) << chip.errors().front().str();
  const auto& e = chip.errors().front();
  const std::string path = c.assignment.substr(0, c.assignment.find('='));
  EXPECT_EQ(e.key_path, path);
  EXPECT_NE(e.str().find(c.message), std::string::npos) << e.str();
}

INSTANTIATE_TEST_SUITE_P(
    Schema, BadFieldTest,
    ::testing::Values(
        BadField{"dies=0", "0 is out of range: must be between 1 and 64"},
        BadField{"die_area=814", "expected an area such as \"814 mm^2\", got 814"},
        BadField{"transistors=lots", "expected a number, got 'lots'"},
        BadField{"tensor.units=0", "out of range"},
        BadField{"tensor.array=128by128", "expected ROWSxCOLS such as 128x128"},
        BadField{"tensor.clock=1.8 GB", "is a data size, expected a frequency"},
        BadField{"tensor.sparsity_speedup=0.5", "out of range: must be between 1 and 4"},
        BadField{"tensor.dense.bf16=989 TB/s", "expected a throughput"},
        BadField{"tensor.dense.fp8=-1 TFLOPS", "out of range: must be greater than 0"},
        BadField{"tensor.dense.fp9=1 TFLOPS", "unknown key 'fp9' (did you mean 'fp8'?)"},
        BadField{"vector.lanes=2.5", "expected a whole number"},
        BadField{"vector.clock=fast", "expected a frequency"},
        BadField{"vector.fp32=67", "expected a throughput such as \"989 TFLOPS\", got 67"},
        BadField{"vector.transcendental=4 W", "expected a throughput"},
        BadField{"sram.l2.capacity=0 MiB", "out of range"},
        BadField{"sram.l2.instances=0", "out of range"},
        BadField{"sram.l2.bandwidth=5 TB", "expected a bandwidth"},
        BadField{"sram.l2.size=5 MiB", "unknown key 'size'"},
        BadField{"noc.topology=hypercube", "unknown value 'hypercube'"},
        BadField{"memory.stacks=65", "out of range"},
        BadField{"memory.bandwidth_per_stack=670", "expected a bandwidth such as \"3.35 TB/s\", got 670"},
        BadField{"memory.capacity_per_stack=16 GB/s", "expected a data size"},
        BadField{"memory.stackz=6", "did you mean 'stacks'?"},
        BadField{"links.scale_up.network=swich", "did you mean 'switch'?"},
        BadField{"links.scale_up.count=0", "out of range"},
        BadField{"links.scale_up.bandwidth_per_link=50 GiB", "expected a bandwidth"},
        BadField{"links.host.count=-1", "out of range"},
        BadField{"links.scale_upp=1", "did you mean 'scale_up'?"},
        BadField{"tdp=700", "expected a power such as \"700 W\", got 700"},
        BadField{"efficiency.tensor=1.5", "out of range: must be between 0 and 1"},
        BadField{"efficiency.by_format.fp8.tensor=2", "out of range"},
        BadField{"efficiency.by_format.fp8.tensr=0.5", "unknown key 'tensr' (did you mean 'tensor'?)"},
        BadField{"efficiency.memory=0", "out of range"},
        BadField{"tpd=700 W", "unknown key 'tpd' (did you mean 'tdp'?)"},
        BadField{"measured_power.idle=130", "expected a power"},
        BadField{"measured_power.gemm.fp8.power=100 W", "more than the idle power"},
        BadField{"measured_power.gemm.fp8.clock=1.24 TB", "expected a frequency"},
        BadField{"measured_power.gemm.fp8.rte=1 TFLOPS", "did you mean 'rate'?"},
        BadField{"measured_power.stream.bandwidth=0 TB/s", "out of range"},
        BadField{"measured_power.stream.power=50 W", "more than the idle power"}),
    [](const auto& test) {
      std::string name = test.param.assignment.substr(0, test.param.assignment.find('='));
      for (char& ch : name) {
        if (!std::isalnum(static_cast<unsigned char>(ch))) ch = '_';
      }
      return name;
    });

TEST(ChipSchema, MissingRequiredKeysAreEachNamed) {
  auto doc = config::parse_document("name: x\nvendor: y\n", "min.yaml");
  ASSERT_TRUE(doc.ok());
  auto chip = read_chip(*doc, "min");
  ASSERT_FALSE(chip.ok());
  std::string all;
  for (const auto& e : chip.errors()) all += e.str() + "\n";
  for (const char* key : {"'process_node'", "'package'", "'tensor'", "'vector'", "'sram'", "'memory'", "'tdp'",
                          "'efficiency'"}) {
    EXPECT_NE(all.find(std::string("missing required key ") + key), std::string::npos) << key << "\n" << all;
  }
}

TEST(ChipDerived, RidgePointsAndRatios) {
  auto h100 = load_chip(shipped(), "h100-sxm").value();
  DerivedFigures d = derive(h100);
  ASSERT_FALSE(d.formats.empty());
  for (const auto& f : d.formats) {
    EXPECT_NEAR(f.ridge_flop_per_byte, (f.dense / h100.memory.bandwidth()).base(), 1e-9);
  }
  EXPECT_NEAR(d.bytes_per_flop_bf16, 3.35e12 / 989.4e12, 1e-9);
  EXPECT_NEAR(d.sram_total.in(1_MiB), 33 + 33 + 50, 1e-9);
  EXPECT_NEAR(d.chip_to_chip_gbps_per_tflops, 900 / 989.4, 1e-9);
  EXPECT_EQ(d.formats.front().ops_per_cycle_per_unit.has_value(), true);
  EXPECT_NEAR(*d.formats.front().ops_per_cycle_per_unit, 1024, 1);  // 512 BF16 FMAs per tensor core per clock
}

}  // namespace
}  // namespace tfab::hw
