#pragma once
// What a fuzz input is fed to: one input file of one kind, read the way the
// CLI reads it and, when it is valid, evaluated. Shared by the libFuzzer
// harnesses (fuzz/harness.cc) and by the unit test that replays every input
// a harness once crashed on (tests/fuzz/regression_test.cc).

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

namespace tfab::fuzz {

enum class Kind {
  kChip, kModel, kScenario, kValidation, kNode, kPackage, kMemory, kInterconnect, kDatacenter, kProgram, kSystem,
  kSweep
};

// Every kind with its name ("chip", "model", ...: the harness and corpus
// folder names, and the kind `tensorfab check --as` takes) and the data/
// folder of its shipped files.
struct KindName {
  Kind kind;
  std::string_view name;
  std::string_view folder;
};
[[nodiscard]] const std::vector<KindName>& kinds();
[[nodiscard]] std::optional<Kind> kind_named(std::string_view name);

// What a valid input was found to do wrong; none is the only good answer.
// Invalid input is fine: errors are the expected reply to it.
struct Finding {
  std::string what;  // "non-finite number at /rows/0/serving/tpot/value"
};

// Reads `bytes` as a file of `kind` (written to a private temporary file, as
// a user's file would be), and when it reads without error evaluates what it
// describes against shipped data: a chip serves a small model, a model is
// served by H100, a scenario is evaluated, a validation file is run, a node
// prices a die, a program survives its text and binary round trips. Every number in the JSON of the outcome must be finite.
[[nodiscard]] std::optional<Finding> run_one(Kind kind, std::string_view bytes);

// The first number in `j` that is not finite, named by its JSON pointer.
[[nodiscard]] std::optional<Finding> non_finite(const nlohmann::ordered_json& j, const std::string& where = "");

}  // namespace tfab::fuzz
