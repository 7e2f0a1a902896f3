#pragma once
// Bit-exact number formats of the virtual prototype: IEEE FP32, FP16 and
// BF16; OCP 8-bit floats (OFP8 E4M3 and E5M2); the OCP Microscaling v1.0
// element formats (FP6 E3M2 and E2M3, FP4 E2M1) and blocks (MXFP8, MXFP6,
// MXFP4, MXINT8: 32 elements sharing an E8M0 power-of-two scale); scaled
// INT8 and INT4. Conversions round to nearest, ties to even, or
// stochastically with reproducible random bits; accumulation rounds to a
// chosen format after every addition. The rules are in docs/numerics.md.

#include <array>
#include <cstdint>
#include <optional>
#include <span>
#include <string_view>
#include <vector>

namespace tfab::vp {

// What the top of the exponent range encodes.
enum class Specials {
  kIeee,     // the all-ones exponent holds Inf (mantissa 0) and NaN (any other)
  kNanOnly,  // only S.1111.111 is NaN; the rest of that exponent is finite (OFP8 E4M3)
  kNone,     // every encoding is finite (MX FP6 and FP4)
};

// A binary floating-point format: sign, exponent and mantissa fields, with
// subnormals below the smallest normal exponent.
struct FloatFormat {
  std::string_view name;
  int exponent_bits = 0, mantissa_bits = 0, bias = 0;
  Specials specials = Specials::kIeee;

  [[nodiscard]] constexpr int bits() const { return 1 + exponent_bits + mantissa_bits; }
  [[nodiscard]] constexpr bool has_inf() const { return specials == Specials::kIeee; }
  [[nodiscard]] constexpr bool has_nan() const { return specials != Specials::kNone; }
  // The exponent of the largest finite value (unbiased).
  [[nodiscard]] int max_exponent() const;
  [[nodiscard]] double max_finite() const;
  [[nodiscard]] double min_normal() const;
  [[nodiscard]] double min_subnormal() const;
};

inline constexpr FloatFormat kFP32{"fp32", 8, 23, 127, Specials::kIeee};
inline constexpr FloatFormat kFP16{"fp16", 5, 10, 15, Specials::kIeee};
inline constexpr FloatFormat kBF16{"bf16", 8, 7, 127, Specials::kIeee};
inline constexpr FloatFormat kE4M3{"fp8-e4m3", 4, 3, 7, Specials::kNanOnly};  // OFP8: max 448
inline constexpr FloatFormat kE5M2{"fp8-e5m2", 5, 2, 15, Specials::kIeee};   // OFP8: max 57344
inline constexpr FloatFormat kE3M2{"fp6-e3m2", 3, 2, 3, Specials::kNone};    // MX: max 28
inline constexpr FloatFormat kE2M3{"fp6-e2m3", 2, 3, 1, Specials::kNone};    // MX: max 7.5
inline constexpr FloatFormat kE2M1{"fp4-e2m1", 2, 1, 1, Specials::kNone};    // MX: max 6

inline constexpr std::array kFloatFormats{kFP32, kFP16, kBF16, kE4M3, kE5M2, kE3M2, kE2M3, kE2M1};
[[nodiscard]] std::optional<FloatFormat> find_float_format(std::string_view name);

// OFP8's two conversion modes: out-of-range values (and Inf) go to the
// largest finite value, or to Inf (NaN where the format has no Inf).
// Formats without Inf or NaN always saturate.
enum class Overflow { kSaturate, kInfOrNan };

enum class RoundingMode { kNearestEven, kStochastic };

// Stochastic rounding rounds a value away from zero with probability equal
// to the fraction of an ulp it lies past the lower neighbour, drawn from 32
// random bits: away iff `random < floor(fraction * 2^32)`.
struct Rounding {
  RoundingMode mode = RoundingMode::kNearestEven;
  uint32_t random = 0;  // used only by kStochastic
};

// Reproducible random bits for element `index` of a stream (SplitMix64 of
// seed and index): the same at any thread count and in any order.
[[nodiscard]] uint32_t random_bits(uint64_t seed, uint64_t index);

// Encodes x in `format` (bits right-aligned). NaN maps to the canonical NaN
// (all ones below the sign, sign clear); a format without NaN cannot hold
// it, and gives nothing.
[[nodiscard]] std::optional<uint32_t> encode(const FloatFormat& format, double x,
                                             Overflow overflow = Overflow::kInfOrNan, Rounding rounding = {});
// The exact value of an encoding.
[[nodiscard]] double decode(const FloatFormat& format, uint32_t bits);
// x rounded to the nearest value of `format` (ties to even, Inf on overflow
// where there is one, else saturating); NaN stays NaN.
[[nodiscard]] double round_to(const FloatFormat& format, double x);

// Sums products in a chosen precision: the tensor engine's accumulator.
// Each addition is rounded to the accumulator's format (nothing: exact in
// double, standing in for a wide accumulator). Products of inputs of 16
// bits or fewer are exact in double, and double's 53 bits make rounding the
// double sum to FP32 or narrower the same as rounding the exact sum.
class Accumulator {
 public:
  explicit Accumulator(std::optional<FloatFormat> format = kFP32) : format_(format) {}
  void add(double x);
  [[nodiscard]] double value() const { return sum_; }

 private:
  std::optional<FloatFormat> format_;
  double sum_ = 0;
};

// ---- Scaled integers ------------------------------------------------------

// Signed two's-complement integers of `bits` bits (2 to 8), each group of values
// sharing one FP32 scale: value = q x scale.
struct ScaledInts {
  int bits = 8;
  int64_t group = 0;            // values per scale; 0: one scale for all
  std::vector<float> scales;    // amax / (2^(bits-1) - 1), rounded to FP32; 1 for an all-zero group
  std::vector<int8_t> values;   // in [-2^(bits-1), 2^(bits-1) - 1]
};
// Symmetric quantisation: q = round(x / scale), clamped to the range.
// NaN quantises to 0 and Inf to the range's end. `seed` drives stochastic
// rounding (element i draws random_bits(seed, first_index + i)).
[[nodiscard]] ScaledInts quantize_ints(std::span<const double> x, int bits, int64_t group,
                                       RoundingMode mode = RoundingMode::kNearestEven, uint64_t seed = 0,
                                       uint64_t first_index = 0);
[[nodiscard]] std::vector<double> dequantize(const ScaledInts& q);

// ---- OCP Microscaling (MX) blocks -----------------------------------------

inline constexpr int64_t kMxBlock = 32;
inline constexpr uint8_t kE8M0Nan = 0xFF;

// An MX format: its element type and the exponent of the element's largest
// normal value (the shared scale is chosen so the block's largest value
// lands in that binade).
struct MxFormat {
  std::string_view name;
  std::optional<FloatFormat> element;  // nothing: MXINT8, 8-bit two's complement in units of 2^-6
  int element_max_exponent = 0;
};

inline constexpr MxFormat kMXFP8E4M3{"mxfp8-e4m3", kE4M3, 8};
inline constexpr MxFormat kMXFP8E5M2{"mxfp8-e5m2", kE5M2, 15};
inline constexpr MxFormat kMXFP6E3M2{"mxfp6-e3m2", kE3M2, 4};
inline constexpr MxFormat kMXFP6E2M3{"mxfp6-e2m3", kE2M3, 2};
inline constexpr MxFormat kMXFP4{"mxfp4", kE2M1, 2};
inline constexpr MxFormat kMXINT8{"mxint8", std::nullopt, 0};

inline constexpr std::array kMxFormats{kMXFP8E4M3, kMXFP8E5M2, kMXFP6E3M2, kMXFP6E2M3, kMXFP4, kMXINT8};
[[nodiscard]] std::optional<MxFormat> find_mx_format(std::string_view name);

// One block: an E8M0 scale (2^(scale - 127); 0xFF is NaN) and 32 element
// encodings. A short last block is padded with zeros.
struct MxBlock {
  uint8_t scale = 0;
  std::array<uint8_t, kMxBlock> elements{};
};
// The OCP MX v1.0 conversion: scale = 2^(floor(log2(amax)) - emax_elem),
// clamped below at 2^-127 (an all-zero block counts amax as FP32's smallest
// normal, 2^-126); a block holding NaN or Inf, or whose scale would pass
// 2^127, gets the NaN scale. Elements are x / scale, rounded, saturating at
// the element's largest value. Element i draws random_bits(seed, first_index + i).
[[nodiscard]] std::vector<MxBlock> quantize_mx(const MxFormat& format, std::span<const double> x,
                                               RoundingMode mode = RoundingMode::kNearestEven, uint64_t seed = 0,
                                               uint64_t first_index = 0);
// The first `count` values the blocks hold.
[[nodiscard]] std::vector<double> dequantize(const MxFormat& format, std::span<const MxBlock> blocks, int64_t count);
[[nodiscard]] double decode_e8m0(uint8_t scale);

}  // namespace tfab::vp
