#include "tensorfab/vp/tensor.h"

#include <array>
#include <bit>
#include <cmath>
#include <cstring>
#include <limits>

namespace tfab::vp {
namespace {

// The float format of a plain float type, or of an MX type's elements.
std::optional<FloatFormat> float_format(DataType t) {
  switch (t) {
    case DataType::kFp32: return kFP32;
    case DataType::kFp16: return kFP16;
    case DataType::kBf16: return kBF16;
    case DataType::kFp8E4m3: case DataType::kMxfp8E4m3: return kE4M3;
    case DataType::kFp8E5m2: case DataType::kMxfp8E5m2: return kE5M2;
    case DataType::kFp6E3m2: case DataType::kMxfp6E3m2: return kE3M2;
    case DataType::kFp6E2m3: case DataType::kMxfp6E2m3: return kE2M3;
    case DataType::kFp4E2m1: case DataType::kMxfp4: return kE2M1;
    default: return std::nullopt;
  }
}

MxFormat mx_format(DataType t) {
  switch (t) {
    case DataType::kMxfp8E4m3: return kMXFP8E4M3;
    case DataType::kMxfp8E5m2: return kMXFP8E5M2;
    case DataType::kMxfp6E3m2: return kMXFP6E3M2;
    case DataType::kMxfp6E2m3: return kMXFP6E2M3;
    case DataType::kMxfp4: return kMXFP4;
    default: return kMXINT8;
  }
}

// Every value of a float format of 16 bits or fewer, by encoding: decoding
// is then a lookup.
const std::vector<float>& decode_table(const FloatFormat& f) {
  static const std::array<std::vector<float>, kFloatFormats.size()> tables = [] {
    std::array<std::vector<float>, kFloatFormats.size()> out;
    for (size_t i = 0; i < kFloatFormats.size(); ++i) {
      const FloatFormat& format = kFloatFormats[i];
      if (format.bits() > 16) continue;
      out[i].resize(size_t{1} << format.bits());
      for (uint32_t bits = 0; bits < out[i].size(); ++bits) out[i][bits] = static_cast<float>(decode(format, bits));
    }
    return out;
  }();
  for (size_t i = 0; i < kFloatFormats.size(); ++i) {
    if (kFloatFormats[i].name == f.name) return tables[i];
  }
  return tables[0];  // not reached: every format of 16 bits or fewer is in the table
}

// Element `index` of a packed row: `bits` wide, little-end first.
uint32_t get_bits(std::span<const uint8_t> row, int64_t index, int bits) {
  const int64_t first = index * bits;
  uint32_t word = 0;
  const int64_t last_byte = (first + bits - 1) / 8;
  for (int64_t b = last_byte; b >= first / 8; --b) word = (word << 8) | row[static_cast<size_t>(b)];
  return (word >> (first % 8)) & (bits == 32 ? 0xFFFFFFFFu : (1u << bits) - 1);
}

void put_bits(std::span<uint8_t> row, int64_t index, int bits, uint32_t value) {
  const int64_t first = index * bits;
  for (int b = 0; b < bits;) {
    const int64_t bit = first + b;
    const int shift = static_cast<int>(bit % 8);
    const int take = std::min(bits - b, 8 - shift);
    const auto mask = static_cast<uint8_t>(((1u << take) - 1) << shift);
    uint8_t& byte = row[static_cast<size_t>(bit / 8)];
    byte = static_cast<uint8_t>((byte & ~mask) | (((value >> b) << shift) & mask));
    b += take;
  }
}

float read_f32(std::span<const uint8_t> bytes) {
  float v = 0;
  std::memcpy(&v, bytes.data(), sizeof v);
  return v;
}

// BF16 from a value FP32 holds exactly, to nearest even: the top half of
// its FP32 bits after adding half an ulp (and the lowest kept bit, for ties).
uint32_t bf16_nearest(float x) {
  if (std::isnan(x)) return 0x7FC0;
  const uint32_t bits = std::bit_cast<uint32_t>(x);
  return (bits + 0x7FFF + ((bits >> 16) & 1)) >> 16;
}

uint32_t encode_element(const FloatFormat& f, double x, Rounding rounding) {
  if (rounding.mode == RoundingMode::kNearestEven) {
    const auto narrow = static_cast<float>(x);
    const bool exact = std::isnan(x) || static_cast<double>(narrow) == x;
    if (f.bits() == 32) return std::isnan(x) ? 0x7FC00000u : std::bit_cast<uint32_t>(narrow);
    if (f.name == kBF16.name && exact) return bf16_nearest(narrow);
  }
  // 8-bit and narrower floats saturate, as ML conversions do (OFP8 SATFINITE);
  // a NaN has no encoding in FP6 or FP4 and is written as zero.
  const Overflow overflow = f.bits() <= 8 ? Overflow::kSaturate : Overflow::kInfOrNan;
  return encode(f, x, overflow, rounding).value_or(0);
}

}  // namespace

int64_t row_bytes(DataType type, int64_t cols) { return (cols * storage_bits(type) + 7) / 8; }

int64_t scale_bytes(DataType type, int64_t rows, int64_t cols) {
  if (is_mx(type)) return rows * ((cols + kMxBlock - 1) / kMxBlock);
  if (is_int(type)) return rows * 4;
  return 0;
}

std::vector<float> read_tensor(DataType type, int64_t rows, int64_t cols, std::span<const uint8_t> data,
                               std::span<const uint8_t> scales) {
  std::vector<float> out(static_cast<size_t>(rows * cols));
  const int bits = storage_bits(type);
  const int64_t stride = row_bytes(type, cols);
  const int64_t blocks = (cols + kMxBlock - 1) / kMxBlock;
  const std::optional<FloatFormat> format = float_format(type);
  const std::vector<float>* table = format && bits <= 16 ? &decode_table(*format) : nullptr;
  for (int64_t r = 0; r < rows; ++r) {
    const std::span<const uint8_t> row = data.subspan(static_cast<size_t>(r * stride), static_cast<size_t>(stride));
    float* dst = out.data() + r * cols;
    if (type == DataType::kFp32) {
      std::memcpy(dst, row.data(), static_cast<size_t>(cols) * sizeof(float));
    } else if (type == DataType::kBf16) {
      for (int64_t c = 0; c < cols; ++c) {
        const auto half = static_cast<uint32_t>(row[static_cast<size_t>(2 * c)] | row[static_cast<size_t>(2 * c + 1)] << 8);
        dst[c] = std::bit_cast<float>(half << 16);
      }
    } else if (is_int(type)) {
      const double scale = read_f32(scales.subspan(static_cast<size_t>(4 * r), 4));
      for (int64_t c = 0; c < cols; ++c) {
        const uint32_t raw = get_bits(row, c, bits);
        const int32_t q = static_cast<int32_t>(raw << (32 - bits)) >> (32 - bits);  // sign-extend
        dst[c] = static_cast<float>(q * scale);
      }
    } else if (is_mx(type)) {
      const MxFormat mx = mx_format(type);
      for (int64_t c = 0; c < cols; ++c) {
        const double scale = decode_e8m0(scales[static_cast<size_t>(r * blocks + c / kMxBlock)]);
        const uint32_t raw = get_bits(row, c, bits);
        const double element = mx.element ? (*table)[raw] : std::ldexp(static_cast<int8_t>(raw), -6);
        dst[c] = static_cast<float>(element * scale);
      }
    } else {
      for (int64_t c = 0; c < cols; ++c) dst[c] = (*table)[get_bits(row, c, bits)];
    }
  }
  return out;
}

void write_tensor(DataType type, int64_t rows, int64_t cols, std::span<const double> values, std::span<uint8_t> data,
                  std::span<uint8_t> scales, WriteMode mode) {
  const int bits = storage_bits(type);
  const int64_t stride = row_bytes(type, cols);
  const int64_t blocks = (cols + kMxBlock - 1) / kMxBlock;
  const std::optional<FloatFormat> format = float_format(type);
  for (int64_t r = 0; r < rows; ++r) {
    const std::span<uint8_t> row = data.subspan(static_cast<size_t>(r * stride), static_cast<size_t>(stride));
    const std::span<const double> x = values.subspan(static_cast<size_t>(r * cols), static_cast<size_t>(cols));
    const auto first = static_cast<uint64_t>(r * cols);
    if (is_int(type)) {
      const ScaledInts q = quantize_ints(x, bits, 0, mode.rounding, mode.seed, first);
      std::memcpy(scales.data() + 4 * r, q.scales.data(), 4);
      for (int64_t c = 0; c < cols; ++c) {
        put_bits(row, c, bits, static_cast<uint32_t>(q.values[static_cast<size_t>(c)]) & ((1u << bits) - 1));
      }
    } else if (is_mx(type)) {
      const std::vector<MxBlock> q = quantize_mx(mx_format(type), x, mode.rounding, mode.seed, first);
      for (int64_t b = 0; b < blocks; ++b) scales[static_cast<size_t>(r * blocks + b)] = q[static_cast<size_t>(b)].scale;
      for (int64_t c = 0; c < cols; ++c) {
        put_bits(row, c, bits, q[static_cast<size_t>(c / kMxBlock)].elements[static_cast<size_t>(c % kMxBlock)]);
      }
    } else {
      for (int64_t c = 0; c < cols; ++c) {
        const Rounding rounding{mode.rounding, mode.rounding == RoundingMode::kStochastic
                                                   ? random_bits(mode.seed, first + static_cast<uint64_t>(c))
                                                   : 0u};
        const uint32_t encoded = encode_element(*format, x[static_cast<size_t>(c)], rounding);
        if (bits == 32) {
          std::memcpy(row.data() + 4 * c, &encoded, 4);
        } else {
          put_bits(row, c, bits, encoded);
        }
      }
    }
  }
}

}  // namespace tfab::vp
