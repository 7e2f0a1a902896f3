#include "tensorfab/tech/process.h"

#include <gtest/gtest.h>

#include "support/shipped.h"

namespace tfab::tech {
namespace {

using testing::shipped;

TEST(ProcessNode, EveryShippedNodeLoads) {
  const auto ids = shipped().ids("nodes");
  ASSERT_GE(ids.size(), 5U);
  for (const auto& id : ids) {
    auto node = load_node(shipped(), id);
    ASSERT_TRUE(node.ok()) << id << ": " << node.errors().front().str();
    EXPECT_FALSE(node->name.empty()) << id;
  }
}

TEST(ProcessNode, LogicScalesFasterThanSram) {
  // From N5 to N2 logic density more than doubles while the SRAM bitcell
  // shrinks by less than a fifth: the reason SRAM-heavy designs gain less.
  const ProcessNode n5 = load_node(shipped(), "tsmc-n5").value(), n2 = load_node(shipped(), "tsmc-n2").value();
  EXPECT_GT(*n2.logic_mtr_per_mm2 / *n5.logic_mtr_per_mm2, 2.0);
  EXPECT_LT(*n5.sram_bitcell / *n2.sram_bitcell, 1.25);
  EXPECT_TRUE(load_node(shipped(), "tsmc-a16")->projection);
}

TEST(ProcessNode, TyposAndBadValuesAreLocatedErrors) {
  auto doc = config::parse_document(
      "name: X\nfoundry: Y\nstatus: projecton\nsram_bitcel: 0.02 um^2\nwafer_price: 20000\n", "node.yaml");
  ASSERT_TRUE(doc.ok());
  auto node = read_node(*doc, "node");
  ASSERT_FALSE(node.ok());
  std::string all;
  for (const auto& e : node.errors()) all += e.str() + "\n";
  EXPECT_NE(all.find("node.yaml:3:9: status: unknown value 'projecton'"), std::string::npos) << all;
  EXPECT_NE(all.find("(did you mean 'projection'?)"), std::string::npos) << all;
  EXPECT_NE(all.find("unknown key 'sram_bitcel' (did you mean 'sram_bitcell'?)"), std::string::npos) << all;
  EXPECT_NE(all.find("wafer_price: expected a cost"), std::string::npos) << all;
}

}  // namespace
}  // namespace tfab::tech
