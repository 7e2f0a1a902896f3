#include "tensorfab/core/diagnostics.h"

#include <gtest/gtest.h>

#include "tensorfab/core/result.h"

namespace tfab::core {
namespace {

TEST(Location, Str) {
  EXPECT_EQ((Location{"chip.yaml", 14, 7}).str(), "chip.yaml:14:7");
  EXPECT_EQ((Location{"chip.yaml", 14, 0}).str(), "chip.yaml:14");
  EXPECT_EQ((Location{"chip.yaml", 0, 0}).str(), "chip.yaml");
  EXPECT_EQ((Location{"chip.yaml", 0, 7}).str(), "chip.yaml");  // no column without a line
  EXPECT_EQ((Location{}).str(), "<built-in>");
  EXPECT_EQ((Location{"", 3, 4}).str(), "<input>:3:4");
}

TEST(Diagnostic, StrIsLlvmStyle) {
  Diagnostic d;
  d.location = {"chip.yaml", 14, 7};
  d.key_path = "hbm.bandwidth";
  d.message = R"(expected a bandwidth such as "3.2 TB/s", got 3200)";
  EXPECT_EQ(d.str(),
            R"(error: chip.yaml:14:7: hbm.bandwidth: expected a bandwidth such as "3.2 TB/s", got 3200)");
}

TEST(Diagnostic, StrLeavesOutEmptyParts) {
  Diagnostic d;
  d.message = "something went wrong";
  EXPECT_EQ(d.str(), "error: something went wrong");

  d.key_path = "memory.stacks";
  EXPECT_EQ(d.str(), "error: memory.stacks: something went wrong");

  d.key_path.clear();
  d.location.file = "node.yaml";
  EXPECT_EQ(d.str(), "error: node.yaml: something went wrong");
}

TEST(Diagnostic, StrKeepsNotesOnTheSameLine) {
  Diagnostic d = bad_input("unknown key \"stack\"", "memory.stack");
  d.location = {"chip.yaml", 3, 0};
  d.notes = {"did you mean 'stacks'?", "keys are case-sensitive"};
  EXPECT_EQ(d.str(),
            "error: chip.yaml:3: memory.stack: unknown key \"stack\" "
            "(did you mean 'stacks'?; keys are case-sensitive)");
}

Diagnostic with_code(ErrorCode code) {
  Diagnostic d;
  d.code = code;
  d.message = "x";
  return d;
}

TEST(Diagnostic, ExitCodes) {
  EXPECT_EQ(exit_code_for({}), 1);
  EXPECT_EQ(exit_code_for({with_code(ErrorCode::kBadInput)}), 2);
  EXPECT_EQ(exit_code_for({with_code(ErrorCode::kNotFound)}), 2);
  EXPECT_EQ(exit_code_for({with_code(ErrorCode::kRunFailed)}), 1);
  EXPECT_EQ(exit_code_for({with_code(ErrorCode::kInternal)}), 1);
  // Any user error makes the whole run a bad-input failure.
  EXPECT_EQ(exit_code_for({with_code(ErrorCode::kInternal), with_code(ErrorCode::kNotFound)}), 2);
  EXPECT_EQ(exit_code_for({with_code(ErrorCode::kRunFailed), with_code(ErrorCode::kInternal)}), 1);
}

TEST(Diagnostic, BadInputHelper) {
  const Diagnostic d = bad_input("bad", "a.b");
  EXPECT_EQ(d.code, ErrorCode::kBadInput);
  EXPECT_EQ(d.key_path, "a.b");
  EXPECT_EQ(d.message, "bad");
  EXPECT_EQ(d.str(), "error: a.b: bad");
}

}  // namespace
}  // namespace tfab::core
