#pragma once
// The number formats that chips compute in and models are stored in. The
// bit-exact encodings live in the virtual prototype; here a format is a name
// and a storage size.

#include <array>
#include <optional>
#include <string>
#include <string_view>

namespace tfab::core {

enum class NumberFormat { kFP32, kBF16, kFP16, kFP8, kINT8, kFP4, kINT4 };

inline constexpr std::array kAllNumberFormats = {
    NumberFormat::kFP32, NumberFormat::kBF16, NumberFormat::kFP16, NumberFormat::kFP8,
    NumberFormat::kINT8, NumberFormat::kFP4,  NumberFormat::kINT4,
};

// "fp32", "bf16", ... as written in files.
[[nodiscard]] std::string_view name(NumberFormat f);
[[nodiscard]] std::optional<NumberFormat> parse_number_format(std::string_view text);

// Storage per element, in bits. Block-scaled 4-bit formats (MXFP4) carry an
// 8-bit scale per 32 elements, i.e. 4.25 bits; this first cut counts 4.
[[nodiscard]] constexpr double bits_per_element(NumberFormat f) {
  switch (f) {
    case NumberFormat::kFP32: return 32;
    case NumberFormat::kBF16:
    case NumberFormat::kFP16: return 16;
    case NumberFormat::kFP8:
    case NumberFormat::kINT8: return 8;
    case NumberFormat::kFP4:
    case NumberFormat::kINT4: return 4;
  }
  return 32;
}
[[nodiscard]] constexpr double bytes_per_element(NumberFormat f) { return bits_per_element(f) / 8; }

}  // namespace tfab::core
