#pragma once
// Content hashes, for fingerprinting inputs in outputs: the same bytes give
// the same hash on every machine and run.

#include <cstdint>
#include <string>
#include <string_view>

namespace tfab::core {

// 64-bit FNV-1a (Fowler, Noll, Vo; IETF draft-eastlake-fnv). Not for
// security: a fingerprint that says whether two inputs are the same.
class Fnv1a {
 public:
  Fnv1a& add(std::string_view bytes);
  [[nodiscard]] uint64_t value() const { return state_; }
  [[nodiscard]] std::string hex() const;  // 16 lower-case hex digits

 private:
  static constexpr uint64_t kOffsetBasis = 14695981039346656037ull;
  static constexpr uint64_t kPrime = 1099511628211ull;
  uint64_t state_ = kOffsetBasis;
};

}  // namespace tfab::core
