#pragma once
// Diagnostics: what went wrong, where, and what to do about it.
// User errors (bad input) are kept apart from run failures and internal bugs
// so that the CLI can map them to exit codes 2, 1 and 1.

#include <string>
#include <vector>

namespace tfab::core {

enum class ErrorCode {
  kBadInput,  // the user's files or flags are wrong: exit code 2
  kNotFound,  // a named chip, model or file does not exist: exit code 2
  kRunFailed, // valid input that cannot be evaluated: exit code 1
  kInternal,  // a bug in tensorfab: exit code 1
};

// A position in an input: file, 1-based line and column. Line 0 means the
// whole file (or a value that did not come from a file, e.g. a built-in).
struct Location {
  std::string file;
  int line = 0;
  int column = 0;

  [[nodiscard]] std::string str() const;  // "chip.yaml:14:7", "chip.yaml", "<built-in>"
};

struct Diagnostic {
  ErrorCode code = ErrorCode::kBadInput;
  Location location;
  std::string key_path;  // "hbm.bandwidth_per_stack"; empty when not about a key
  std::string message;
  std::vector<std::string> notes;  // hints: "did you mean 'stacks'?"

  // LLVM-style, on one line:
  // `error: chip.yaml:14:7: memory.stakcs: unknown key 'stakcs' (did you mean 'stacks'?)`
  [[nodiscard]] std::string str() const;
};

using Diagnostics = std::vector<Diagnostic>;

// Adds `from` to `to`, leaving out what `to` already says: an override
// applied to several chips fails the same way for each, and is said once.
void append_new(Diagnostics& to, const Diagnostics& from);

// Exit code for a set of errors: 2 if any is the user's input, else 1.
[[nodiscard]] int exit_code_for(const Diagnostics& errors);

}  // namespace tfab::core
