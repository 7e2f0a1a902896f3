#pragma once
// Result<T>: a value or the list of everything that prevented it.
// Expected failures are values, never exceptions across the public API.

#include <cassert>
#include <utility>
#include <variant>

#include "tensorfab/core/diagnostics.h"

namespace tfab::core {

template <class T>
class [[nodiscard]] Result {
 public:
  Result(T value) : state_(std::move(value)) {}  // NOLINT(google-explicit-constructor)
  Result(Diagnostic error) : state_(Diagnostics{std::move(error)}) {}  // NOLINT
  Result(Diagnostics errors) : state_(std::move(errors)) {  // NOLINT
    assert(!std::get<Diagnostics>(state_).empty() && "a failed Result needs an error");
  }

  [[nodiscard]] bool ok() const { return std::holds_alternative<T>(state_); }
  explicit operator bool() const { return ok(); }

  [[nodiscard]] const T& value() const& { return std::get<T>(state_); }
  [[nodiscard]] T& value() & { return std::get<T>(state_); }
  [[nodiscard]] T&& value() && { return std::get<T>(std::move(state_)); }
  const T& operator*() const& { return value(); }
  const T* operator->() const { return &value(); }

  [[nodiscard]] const Diagnostics& errors() const { return std::get<Diagnostics>(state_); }

 private:
  std::variant<T, Diagnostics> state_;
};

// Shorthand for a bad-input diagnostic without a file position.
[[nodiscard]] inline Diagnostic bad_input(std::string message, std::string key_path = {}) {
  Diagnostic d;
  d.code = ErrorCode::kBadInput;
  d.key_path = std::move(key_path);
  d.message = std::move(message);
  return d;
}

}  // namespace tfab::core
