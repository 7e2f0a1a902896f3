#include "tensorfab/core/diagnostics.h"

#include <algorithm>
#include <string>

namespace tfab::core {

std::string Location::str() const {
  // A line without a file is text that came from a string, not a file.
  if (file.empty() && line == 0) return "<built-in>";
  std::string out = file.empty() ? "<input>" : file;
  if (line == 0) return out;  // a column means nothing without its line
  out += ":" + std::to_string(line);
  if (column != 0) out += ":" + std::to_string(column);
  return out;
}

std::string Diagnostic::str() const {
  std::string out = "error:";
  // An empty location is "not about a position", so it is left out rather
  // than printed as <built-in>.
  if (!location.file.empty() || location.line != 0) out += " " + location.str() + ":";
  if (!key_path.empty()) out += " " + key_path + ":";
  if (!message.empty()) {
    out += " " + message;
  } else {
    out.pop_back();  // no trailing ':' before nothing
  }
  // One line per problem, so that tools (and people) can count and grep.
  for (size_t i = 0; i < notes.size(); ++i) out += (i == 0 ? " (" : "; ") + notes[i];
  if (!notes.empty()) out += ")";
  return out;
}

void append_new(Diagnostics& to, const Diagnostics& from) {
  for (const auto& d : from) {
    const auto line = d.str();
    if (std::none_of(to.begin(), to.end(), [&](const Diagnostic& e) { return e.str() == line; })) to.push_back(d);
  }
}

int exit_code_for(const Diagnostics& errors) {
  const bool user_error = std::any_of(errors.begin(), errors.end(), [](const Diagnostic& d) {
    return d.code == ErrorCode::kBadInput || d.code == ErrorCode::kNotFound;
  });
  return user_error ? 2 : 1;
}

}  // namespace tfab::core
