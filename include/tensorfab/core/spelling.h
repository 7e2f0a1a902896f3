#pragma once
// Near-miss matching for "did you mean" suggestions.

#include <optional>
#include <span>
#include <string>
#include <string_view>

namespace tfab::core {

// Optimal string alignment distance: insertions, deletions, substitutions
// and swaps of neighbours ("hmb" for "hbm") each cost one.
[[nodiscard]] size_t edit_distance(std::string_view a, std::string_view b);

// The closest candidate to `word`, if close enough to be a plausible typo
// (about one edit in three characters, and always one).
[[nodiscard]] std::optional<std::string> closest_match(std::string_view word,
                                                       std::span<const std::string> candidates);

}  // namespace tfab::core
