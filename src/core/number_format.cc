#include "tensorfab/core/number_format.h"

namespace tfab::core {

std::string_view name(NumberFormat f) {
  switch (f) {
    case NumberFormat::kFP32: return "fp32";
    case NumberFormat::kBF16: return "bf16";
    case NumberFormat::kFP16: return "fp16";
    case NumberFormat::kFP8: return "fp8";
    case NumberFormat::kINT8: return "int8";
    case NumberFormat::kFP4: return "fp4";
    case NumberFormat::kINT4: return "int4";
  }
  return "fp32";
}

std::optional<NumberFormat> parse_number_format(std::string_view text) {
  for (NumberFormat f : kAllNumberFormats) {
    if (name(f) == text) return f;
  }
  return std::nullopt;
}

}  // namespace tfab::core
