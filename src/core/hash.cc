#include "tensorfab/core/hash.h"

namespace tfab::core {

Fnv1a& Fnv1a::add(std::string_view bytes) {
  for (char c : bytes) {
    state_ ^= static_cast<unsigned char>(c);
    state_ *= kPrime;
  }
  return *this;
}

std::string Fnv1a::hex() const {
  static constexpr char kDigits[] = "0123456789abcdef";
  std::string out(16, '0');
  for (int i = 15; i >= 0; --i) out[static_cast<size_t>(15 - i)] = kDigits[(state_ >> (4 * i)) & 0xf];
  return out;
}

}  // namespace tfab::core
