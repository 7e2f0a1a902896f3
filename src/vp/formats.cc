#include "tensorfab/vp/formats.h"

#include <algorithm>
#include <cmath>
#include <limits>

namespace tfab::vp {
namespace {

uint32_t ones(int n) { return n >= 32 ? 0xFFFFFFFFu : (1u << n) - 1; }

uint32_t exponent_field_ones(const FloatFormat& f) { return ones(f.exponent_bits); }

// The encoding of the largest finite value.
uint32_t max_finite_bits(const FloatFormat& f) {
  const uint32_t top = exponent_field_ones(f), mantissa = ones(f.mantissa_bits);
  switch (f.specials) {
    case Specials::kIeee: return ((top - 1) << f.mantissa_bits) | mantissa;
    case Specials::kNanOnly: return (top << f.mantissa_bits) | (mantissa - 1);
    case Specials::kNone: return (top << f.mantissa_bits) | mantissa;
  }
  return 0;
}

uint32_t inf_bits(const FloatFormat& f) { return exponent_field_ones(f) << f.mantissa_bits; }

// IEEE's quiet NaN (mantissa's top bit set); E4M3's only NaN.
uint32_t nan_bits(const FloatFormat& f) {
  if (f.specials == Specials::kNanOnly) return ones(f.bits() - 1);
  return inf_bits(f) | (1u << (f.mantissa_bits - 1));
}

// A non-negative value rounded to an integer: to nearest, ties to even, or
// stochastically (away from zero iff random < floor(fraction * 2^32)).
double round_magnitude(double scaled, Rounding rounding) {
  const double whole = std::floor(scaled), fraction = scaled - whole;
  if (rounding.mode == RoundingMode::kNearestEven) {
    const bool odd = std::fmod(whole, 2.0) != 0;
    return fraction > 0.5 || (fraction == 0.5 && odd) ? whole + 1 : whole;
  }
  const auto threshold = static_cast<uint64_t>(std::ldexp(fraction, 32));
  return rounding.random < threshold ? whole + 1 : whole;
}

// The exponent e with 2^e <= a < 2^(e+1), for finite a > 0 (exact, unlike log2).
int binade(double a) {
  int e = 0;
  std::frexp(a, &e);
  return e - 1;
}

uint64_t splitmix64(uint64_t z) {
  z += 0x9E3779B97F4A7C15ull;
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
  return z ^ (z >> 31);
}

}  // namespace

int FloatFormat::max_exponent() const {
  const int top = static_cast<int>(exponent_field_ones(*this));
  return (specials == Specials::kIeee ? top - 1 : top) - bias;
}
double FloatFormat::max_finite() const { return decode(*this, max_finite_bits(*this)); }
double FloatFormat::min_normal() const { return std::ldexp(1.0, 1 - bias); }
double FloatFormat::min_subnormal() const { return std::ldexp(1.0, 1 - bias - mantissa_bits); }

std::optional<FloatFormat> find_float_format(std::string_view name) {
  for (const FloatFormat& f : kFloatFormats) {
    if (f.name == name) return f;
  }
  return std::nullopt;
}

uint32_t random_bits(uint64_t seed, uint64_t index) {
  return static_cast<uint32_t>(splitmix64(splitmix64(seed) ^ index) >> 32);
}

std::optional<uint32_t> encode(const FloatFormat& f, double x, Overflow overflow, Rounding rounding) {
  const int m = f.mantissa_bits;
  if (std::isnan(x)) {
    if (!f.has_nan()) return std::nullopt;
    return nan_bits(f);
  }
  const uint32_t sign = std::signbit(x) ? 1u << (f.bits() - 1) : 0u;
  const bool saturate = overflow == Overflow::kSaturate || f.specials == Specials::kNone;
  const uint32_t overflowed = sign | (saturate ? max_finite_bits(f) : f.has_inf() ? inf_bits(f) : nan_bits(f));
  if (std::isinf(x)) return overflowed;
  const double a = std::fabs(x);
  if (a == 0) return sign;

  // Round at the quantum of a's binade (the subnormal quantum below the
  // normal range). A result of 2^(m+1) quanta has moved up a binade.
  const int min_exponent = 1 - f.bias;
  int exponent = std::max(binade(a), min_exponent);
  if (exponent > f.max_exponent()) return overflowed;  // rounding never lowers the binade
  double quanta = round_magnitude(std::ldexp(a, m - exponent), rounding);
  const double hidden = std::ldexp(1.0, m);
  if (quanta >= 2 * hidden) {
    quanta /= 2;
    ++exponent;
  }
  const auto mantissa = static_cast<uint32_t>(quanta);
  if (quanta < hidden) return sign | mantissa;  // subnormal or zero
  const uint32_t bits = (static_cast<uint32_t>(exponent + f.bias) << m) | (mantissa - ones(m) - 1);
  if (exponent > f.max_exponent() || bits > max_finite_bits(f)) return overflowed;
  return sign | bits;
}

double decode(const FloatFormat& f, uint32_t bits) {
  const int m = f.mantissa_bits;
  const bool negative = ((bits >> (f.bits() - 1)) & 1u) != 0;
  const uint32_t field = (bits >> m) & exponent_field_ones(f), mantissa = bits & ones(m);
  double value = 0;
  if (f.specials == Specials::kIeee && field == exponent_field_ones(f)) {
    value = mantissa == 0 ? std::numeric_limits<double>::infinity() : std::numeric_limits<double>::quiet_NaN();
  } else if (f.specials == Specials::kNanOnly && field == exponent_field_ones(f) && mantissa == ones(m)) {
    value = std::numeric_limits<double>::quiet_NaN();
  } else if (field == 0) {
    value = std::ldexp(static_cast<double>(mantissa), 1 - f.bias - m);
  } else {
    value = std::ldexp(static_cast<double>(mantissa + (1u << m)), static_cast<int>(field) - f.bias - m);
  }
  return negative ? -value : value;
}

double round_to(const FloatFormat& f, double x) {
  const auto bits = encode(f, x);
  return bits ? decode(f, *bits) : std::numeric_limits<double>::quiet_NaN();
}

void Accumulator::add(double x) {
  sum_ += x;
  if (format_) sum_ = round_to(*format_, sum_);
}

// ---- Scaled integers ------------------------------------------------------

ScaledInts quantize_ints(std::span<const double> x, int bits, int64_t group, RoundingMode mode, uint64_t seed,
                         uint64_t first_index) {
  ScaledInts q;
  q.bits = std::clamp(bits, 2, 8);
  const auto size = static_cast<int64_t>(x.size());
  q.group = group > 0 ? group : size;
  const int64_t step = std::max<int64_t>(q.group, 1);
  const double top = std::ldexp(1.0, q.bits - 1) - 1, bottom = -top - 1;
  q.values.reserve(x.size());
  for (int64_t start = 0; start < size; start += step) {
    const int64_t end = std::min(size, start + step);
    double amax = 0;
    for (int64_t i = start; i < end; ++i) {
      if (std::isfinite(x[static_cast<size_t>(i)])) amax = std::max(amax, std::fabs(x[static_cast<size_t>(i)]));
    }
    // An FP32 scale, kept positive and finite.
    float scale = amax > 0 ? static_cast<float>(amax / top) : 1.0f;
    scale = std::clamp(scale, std::numeric_limits<float>::denorm_min(), std::numeric_limits<float>::max());
    q.scales.push_back(scale);
    for (int64_t i = start; i < end; ++i) {
      const double v = x[static_cast<size_t>(i)];
      double n = 0;
      if (std::isinf(v)) {
        n = v > 0 ? top : bottom;
      } else if (!std::isnan(v)) {
        const double ratio = v / static_cast<double>(scale);
        const double magnitude = round_magnitude(std::min(std::fabs(ratio), top + 1),
                                                 {mode, random_bits(seed, first_index + static_cast<uint64_t>(i))});
        n = std::clamp(ratio < 0 ? -magnitude : magnitude, bottom, top);
      }
      q.values.push_back(static_cast<int8_t>(n));
    }
  }
  return q;
}

std::vector<double> dequantize(const ScaledInts& q) {
  std::vector<double> out;
  out.reserve(q.values.size());
  for (size_t i = 0; i < q.values.size(); ++i) {
    const size_t group = q.group > 0 ? i / static_cast<size_t>(q.group) : 0;
    out.push_back(static_cast<double>(q.values[i]) * static_cast<double>(q.scales[group]));
  }
  return out;
}

// ---- OCP Microscaling (MX) blocks -----------------------------------------

namespace {

constexpr int kE8M0Bias = 127;
constexpr int kMxInt8FractionBits = 6;  // MXINT8 elements are k x 2^-6, |k| <= 127 (OCP MX v1.0)

uint8_t encode_element(const MxFormat& format, double v, Rounding rounding) {
  if (format.element) return static_cast<uint8_t>(*encode(*format.element, v, Overflow::kSaturate, rounding));
  const double k = round_magnitude(std::min(std::fabs(std::ldexp(v, kMxInt8FractionBits)), 127.0), rounding);
  return static_cast<uint8_t>(static_cast<int8_t>(v < 0 ? -k : k));
}

double decode_element(const MxFormat& format, uint8_t bits) {
  if (format.element) return decode(*format.element, bits);
  return std::ldexp(static_cast<double>(static_cast<int8_t>(bits)), -kMxInt8FractionBits);
}

}  // namespace

std::optional<MxFormat> find_mx_format(std::string_view name) {
  for (const MxFormat& f : kMxFormats) {
    if (f.name == name) return f;
  }
  return std::nullopt;
}

double decode_e8m0(uint8_t scale) {
  if (scale == kE8M0Nan) return std::numeric_limits<double>::quiet_NaN();
  return std::ldexp(1.0, static_cast<int>(scale) - kE8M0Bias);
}

std::vector<MxBlock> quantize_mx(const MxFormat& format, std::span<const double> x, RoundingMode mode,
                                 uint64_t seed, uint64_t first_index) {
  std::vector<MxBlock> blocks;
  const auto size = static_cast<int64_t>(x.size());
  for (int64_t start = 0; start < size; start += kMxBlock) {
    const int64_t end = std::min(size, start + kMxBlock);
    MxBlock block;
    double amax = 0;
    bool special = false;
    for (int64_t i = start; i < end; ++i) {
      const double v = x[static_cast<size_t>(i)];
      special = special || !std::isfinite(v);
      amax = std::max(amax, std::fabs(v));
    }
    constexpr double kFP32MinNormal = 0x1p-126;  // an all-zero block's amax, as in the OCP reference code
    const int shared = std::max(binade(amax > 0 ? amax : kFP32MinNormal) - format.element_max_exponent, -kE8M0Bias);
    if (special || shared > kE8M0Bias) {
      block.scale = kE8M0Nan;
    } else {
      block.scale = static_cast<uint8_t>(shared + kE8M0Bias);
      for (int64_t i = start; i < end; ++i) {
        const Rounding rounding{mode, random_bits(seed, first_index + static_cast<uint64_t>(i))};
        block.elements[static_cast<size_t>(i - start)] =
            encode_element(format, std::ldexp(x[static_cast<size_t>(i)], -shared), rounding);
      }
    }
    blocks.push_back(block);
  }
  return blocks;
}

std::vector<double> dequantize(const MxFormat& format, std::span<const MxBlock> blocks, int64_t count) {
  std::vector<double> out;
  const auto total = std::min<int64_t>(count, static_cast<int64_t>(blocks.size()) * kMxBlock);
  out.reserve(static_cast<size_t>(std::max<int64_t>(total, 0)));
  for (int64_t i = 0; i < total; ++i) {
    const MxBlock& block = blocks[static_cast<size_t>(i / kMxBlock)];
    const double scale = decode_e8m0(block.scale);
    out.push_back(decode_element(format, block.elements[static_cast<size_t>(i % kMxBlock)]) * scale);
  }
  return out;
}

}  // namespace tfab::vp
