#include "tensorfab/vp/formats.h"

#include <gtest/gtest.h>

#include <cmath>
#include <limits>
#include <vector>

namespace tfab::vp {
namespace {

constexpr double kInf = std::numeric_limits<double>::infinity();
constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

uint32_t bits_of(const FloatFormat& f, double x, Overflow overflow = Overflow::kInfOrNan) {
  const auto bits = encode(f, x, overflow);
  EXPECT_TRUE(bits.has_value()) << f.name << " " << x;
  return bits.value_or(0xDEADBEEF);
}

// Every expected encoding below is worked out by hand from the field layout
// (sign | exponent + bias | mantissa) of each format.

TEST(Formats, Fp32MatchesIeeeSingle) {
  EXPECT_EQ(bits_of(kFP32, 1.0), 0x3F800000u);
  EXPECT_EQ(bits_of(kFP32, 0.1), 0x3DCCCCCDu);      // 1.6 x 2^-4, mantissa 0x4CCCCC.CCC... rounds up
  EXPECT_EQ(bits_of(kFP32, 1.0 / 3), 0x3EAAAAABu);  // 0x2AAAAA.AAA... rounds up
  EXPECT_EQ(bits_of(kFP32, -2.5), 0xC0200000u);
  EXPECT_EQ(bits_of(kFP32, 0x1p-149), 0x00000001u);       // smallest subnormal
  EXPECT_EQ(bits_of(kFP32, 0x1p-150), 0x00000000u);       // half of it: a tie, to the even zero
  EXPECT_EQ(bits_of(kFP32, 0x1.8p-150), 0x00000001u);     // three quarters of it: up
  EXPECT_EQ(bits_of(kFP32, 0x1.fffffep127), 0x7F7FFFFFu);  // largest finite
  EXPECT_EQ(bits_of(kFP32, 0x1.ffffffp127), 0x7F800000u);  // half an ulp past it: a tie, to even, which is Inf
  EXPECT_EQ(bits_of(kFP32, -0.0), 0x80000000u);
  EXPECT_EQ(bits_of(kFP32, kNaN), 0x7FC00000u);
  // The fp32 cast of the C++ compiler agrees on values that need rounding.
  for (double x : {0.1, 1.0 / 3, 2.0 / 7, 1e-40, 3.4e38, -123.456789}) {
    const auto f = static_cast<float>(x);
    EXPECT_EQ(decode(kFP32, bits_of(kFP32, x)), static_cast<double>(f)) << x;
  }
}

TEST(Formats, Fp16AndBf16) {
  EXPECT_EQ(bits_of(kFP16, 1.0), 0x3C00u);
  EXPECT_EQ(bits_of(kFP16, 0.1), 0x2E66u);    // 1.6 x 2^-4: 0x266.66... rounds down
  EXPECT_EQ(bits_of(kFP16, 1.0 / 3), 0x3555u);
  EXPECT_EQ(bits_of(kFP16, 65504), 0x7BFFu);  // largest finite
  EXPECT_EQ(bits_of(kFP16, 65520), 0x7C00u);  // halfway to 2^16: a tie to the even 2^16, so Inf
  EXPECT_EQ(bits_of(kFP16, 65519), 0x7BFFu);
  EXPECT_EQ(bits_of(kFP16, 0x1p-24), 0x0001u);   // smallest subnormal
  EXPECT_EQ(bits_of(kFP16, 0x1p-14), 0x0400u);   // smallest normal
  EXPECT_EQ(bits_of(kFP16, 65520, Overflow::kSaturate), 0x7BFFu);
  EXPECT_EQ(bits_of(kFP16, -kInf), 0xFC00u);

  EXPECT_EQ(bits_of(kBF16, 1.0), 0x3F80u);
  EXPECT_EQ(bits_of(kBF16, 0.1), 0x3DCDu);    // 1.6 x 128 = 204.8 -> 205
  EXPECT_EQ(bits_of(kBF16, M_PI), 0x4049u);   // 1.5708 x 128 = 201.06 -> 201
  EXPECT_EQ(bits_of(kBF16, 257), 0x4380u);    // 256 + 1: a tie between 256 and 258, to the even 256
  EXPECT_EQ(bits_of(kBF16, 259), 0x4382u);    // between 258 and 260: to the even 260 (mantissa 2)
  EXPECT_EQ(bits_of(kBF16, kNaN), 0x7FC0u);
  EXPECT_DOUBLE_EQ(kBF16.max_finite(), 0x1.fep127);
}

TEST(Formats, Ofp8E4M3) {
  EXPECT_EQ(bits_of(kE4M3, 1.0), 0x38u);     // 0 0111 000
  EXPECT_EQ(bits_of(kE4M3, 3.1), 0x44u);     // 1.55 x 2: 12.4 quarter-quanta -> 12, i.e. 3.0
  EXPECT_EQ(bits_of(kE4M3, 448), 0x7Eu);     // 0 1111 110: the largest finite
  EXPECT_EQ(bits_of(kE4M3, -448), 0xFEu);
  EXPECT_EQ(bits_of(kE4M3, 464), 0x7Eu);     // halfway 448..480: a tie, to the even 448
  EXPECT_EQ(bits_of(kE4M3, 470), 0x7Fu);     // rounds to 480, past the largest: NaN (no Inf in E4M3)
  EXPECT_EQ(bits_of(kE4M3, 470, Overflow::kSaturate), 0x7Eu);
  EXPECT_EQ(bits_of(kE4M3, kInf), 0x7Fu);
  EXPECT_EQ(bits_of(kE4M3, -kInf, Overflow::kSaturate), 0xFEu);
  EXPECT_EQ(bits_of(kE4M3, 0x1p-6), 0x08u);  // smallest normal
  EXPECT_EQ(bits_of(kE4M3, 0x1p-9), 0x01u);  // smallest subnormal
  EXPECT_EQ(bits_of(kE4M3, 0x7p-9), 0x07u);  // largest subnormal
  EXPECT_EQ(bits_of(kE4M3, 0x1p-10), 0x00u);     // half the smallest subnormal: to the even zero
  EXPECT_EQ(bits_of(kE4M3, 0x1.8p-10), 0x01u);   // three quarters: up
  EXPECT_EQ(bits_of(kE4M3, -0x1p-11), 0x80u);    // underflows to -0
  EXPECT_EQ(bits_of(kE4M3, kNaN), 0x7Fu);
  EXPECT_DOUBLE_EQ(decode(kE4M3, 0x77), 240.0);  // 0 1110 111: 1.875 x 2^7
  EXPECT_TRUE(std::isnan(decode(kE4M3, 0xFF)));
  EXPECT_DOUBLE_EQ(decode(kE4M3, 0x7E), 448.0);
  EXPECT_DOUBLE_EQ(kE4M3.max_finite(), 448.0);
}

TEST(Formats, Ofp8E5M2) {
  EXPECT_EQ(bits_of(kE5M2, 1.0), 0x3Cu);       // 0 01111 00
  EXPECT_EQ(bits_of(kE5M2, 57344), 0x7Bu);     // 0 11110 11: the largest finite
  EXPECT_EQ(bits_of(kE5M2, 61440), 0x7Cu);     // halfway to 2^16: a tie, to the even 2^16, Inf
  EXPECT_EQ(bits_of(kE5M2, 61440, Overflow::kSaturate), 0x7Bu);
  EXPECT_EQ(bits_of(kE5M2, 61439), 0x7Bu);
  EXPECT_EQ(bits_of(kE5M2, -kInf), 0xFCu);
  EXPECT_EQ(bits_of(kE5M2, kInf, Overflow::kSaturate), 0x7Bu);
  EXPECT_EQ(bits_of(kE5M2, 0x1p-14), 0x04u);  // smallest normal
  EXPECT_EQ(bits_of(kE5M2, 0x1p-16), 0x01u);  // smallest subnormal
  EXPECT_EQ(bits_of(kE5M2, kNaN), 0x7Eu);
  EXPECT_TRUE(std::isinf(decode(kE5M2, 0x7C)));
  for (uint32_t nan : {0x7Du, 0x7Eu, 0x7Fu, 0xFDu}) EXPECT_TRUE(std::isnan(decode(kE5M2, nan))) << nan;
}

TEST(Formats, MxElementsHaveNoInfOrNan) {
  EXPECT_DOUBLE_EQ(kE3M2.max_finite(), 28.0);   // 0 111 11: 1.75 x 2^4
  EXPECT_DOUBLE_EQ(kE2M3.max_finite(), 7.5);    // 0 11 111: 1.875 x 2^2
  EXPECT_DOUBLE_EQ(kE2M1.max_finite(), 6.0);    // 0 11 1: 1.5 x 2^2
  EXPECT_DOUBLE_EQ(kE3M2.min_subnormal(), 0.0625);
  EXPECT_DOUBLE_EQ(kE2M3.min_subnormal(), 0.125);
  EXPECT_EQ(bits_of(kE3M2, 0.25), 0x04u);   // smallest normal, 0 001 00
  EXPECT_EQ(bits_of(kE2M3, 1.0), 0x08u);    // smallest normal, 0 01 000
  EXPECT_EQ(bits_of(kE3M2, 30), 0x1Fu);     // always saturates
  EXPECT_EQ(bits_of(kE2M3, -kInf), 0x3Fu);  // sign bit is bit 5
  // FP4 E2M1 holds 0, 0.5, 1, 1.5, 2, 3, 4, 6.
  const std::vector<double> fp4{0, 0.5, 1, 1.5, 2, 3, 4, 6};
  for (uint32_t b = 0; b < 8; ++b) {
    EXPECT_DOUBLE_EQ(decode(kE2M1, b), fp4[b]);
    EXPECT_DOUBLE_EQ(decode(kE2M1, b | 8u), -fp4[b]);
  }
  EXPECT_EQ(bits_of(kE2M1, 5.0), 0x6u);   // tie 4..6: to the even 4
  EXPECT_EQ(bits_of(kE2M1, 2.5), 0x4u);   // tie 2..3: to the even 2
  EXPECT_EQ(bits_of(kE2M1, 0.75), 0x2u);  // tie 0.5..1: to the even 1
  EXPECT_EQ(bits_of(kE2M1, 0.25), 0x0u);  // tie 0..0.5: to zero
  EXPECT_EQ(bits_of(kE2M1, 7.0), 0x7u);   // saturates at 6
  EXPECT_EQ(bits_of(kE2M1, -100), 0xFu);
  EXPECT_FALSE(encode(kE2M1, kNaN).has_value());
}

TEST(Formats, EveryEncodingRoundTrips) {
  for (const FloatFormat& f : {kFP16, kBF16, kE4M3, kE5M2, kE3M2, kE2M3, kE2M1}) {
    for (uint32_t b = 0; b < (1u << f.bits()); ++b) {
      const double v = decode(f, b);
      if (std::isnan(v)) continue;
      EXPECT_EQ(bits_of(f, v), b) << f.name << " " << b;
    }
  }
}

TEST(Formats, StochasticRoundingFollowsItsRule) {
  // 1 + 0.25 ulp of BF16 (ulp 2^-7): away from zero iff random < 2^30.
  const double x = 1 + 0x1p-9;
  auto stochastic = [&](uint32_t random) { return decode(kBF16, *encode(kBF16, x, Overflow::kInfOrNan,
                                                                        {RoundingMode::kStochastic, random})); };
  EXPECT_DOUBLE_EQ(stochastic(0), 1 + 0x1p-7);
  EXPECT_DOUBLE_EQ(stochastic((1u << 30) - 1), 1 + 0x1p-7);
  EXPECT_DOUBLE_EQ(stochastic(1u << 30), 1.0);
  EXPECT_DOUBLE_EQ(stochastic(0xFFFFFFFFu), 1.0);
  EXPECT_DOUBLE_EQ(decode(kBF16, *encode(kBF16, -x, Overflow::kInfOrNan, {RoundingMode::kStochastic, 0})),
                   -(1 + 0x1p-7));
  // A representable value never moves.
  EXPECT_DOUBLE_EQ(decode(kE4M3, *encode(kE4M3, 3.0, Overflow::kInfOrNan, {RoundingMode::kStochastic, 0})), 3.0);
}

TEST(Formats, StochasticRoundingIsUnbiasedAndReproducible) {
  // 0.3 in FP4 lies between 0 and 0.5: rounds up 60% of the time.
  std::vector<double> x(100000, 0.3);
  double sum = 0;
  for (size_t i = 0; i < x.size(); ++i) {
    const double r = decode(kE2M1, *encode(kE2M1, x[i], Overflow::kSaturate,
                                           {RoundingMode::kStochastic, random_bits(7, i)}));
    EXPECT_TRUE(r == 0.0 || r == 0.5);
    sum += r;
  }
  // Standard error of the mean: 0.5 x sqrt(0.6 x 0.4 / 1e5) = 0.0008; allow 5 of them.
  EXPECT_NEAR(sum / static_cast<double>(x.size()), 0.3, 0.004);
  EXPECT_EQ(random_bits(7, 12345), random_bits(7, 12345));
  EXPECT_NE(random_bits(7, 12345), random_bits(8, 12345));
}

TEST(Formats, AccumulatorRoundsEveryAddition) {
  Accumulator fp32(kFP32), exact(std::nullopt), bf16(kBF16);
  fp32.add(1.0), exact.add(1.0);
  for (int i = 0; i < 1000; ++i) {
    fp32.add(0x1p-24);  // half an FP32 ulp of 1: a tie, to the even 1
    exact.add(0x1p-24);
  }
  EXPECT_EQ(fp32.value(), 1.0);
  EXPECT_DOUBLE_EQ(exact.value(), 1 + 1000 * 0x1p-24);
  bf16.add(256);
  bf16.add(1);  // 257 needs 9 significant bits
  EXPECT_EQ(bf16.value(), 256.0);
}

TEST(Formats, ScaledIntegers) {
  // amax 127 gives scale 1 exactly, so the expected values are the roundings.
  const std::vector<double> x{127, -63.5, 31.75, 0.5, 1.5, -127};
  const ScaledInts q = quantize_ints(x, 8, 0);
  ASSERT_EQ(q.scales.size(), 1u);
  EXPECT_EQ(q.scales[0], 1.0f);
  EXPECT_EQ(q.values, (std::vector<int8_t>{127, -64, 32, 0, 2, -127}));
  EXPECT_EQ(dequantize(q), (std::vector<double>{127, -64, 32, 0, 2, -127}));

  // INT4 in groups of 2: scales 7/7 and 14/7.
  const std::vector<double> y{7, -3.5, 14, 3};
  const ScaledInts q4 = quantize_ints(y, 4, 2);
  EXPECT_EQ(q4.scales, (std::vector<float>{1.0f, 2.0f}));
  EXPECT_EQ(q4.values, (std::vector<int8_t>{7, -4, 7, 2}));  // -3.5 ties to -4; 3 / 2 = 1.5 ties to 2

  // Non-finite inputs: NaN to 0, Inf to the range's ends; the scale ignores them.
  const ScaledInts odd = quantize_ints(std::vector<double>{kNaN, kInf, -kInf, 7}, 4, 0);
  EXPECT_EQ(odd.scales[0], 1.0f);
  EXPECT_EQ(odd.values, (std::vector<int8_t>{0, 7, -8, 7}));
  EXPECT_EQ(quantize_ints(std::vector<double>{0, 0}, 8, 0).scales[0], 1.0f);
}

TEST(Formats, MxScaleAndElements) {
  // MXFP4, amax 6: scale 2^(2 - 2) = 1 (E8M0 127).
  std::vector<double> x{6, -0.75, 5, 0.25};
  auto blocks = quantize_mx(kMXFP4, x);
  ASSERT_EQ(blocks.size(), 1u);
  EXPECT_EQ(blocks[0].scale, 127);
  EXPECT_EQ(dequantize(kMXFP4, blocks, 4), (std::vector<double>{6, -1, 4, 0}));

  // MXFP4, amax 120: scale 2^(6 - 2) = 16 (E8M0 131); 120/16 = 7.5 rounds to 8 and saturates at 6,
  // 40/16 = 2.5 ties to 2.
  blocks = quantize_mx(kMXFP4, std::vector<double>{120, 40, -1});
  EXPECT_EQ(blocks[0].scale, 131);
  EXPECT_EQ(dequantize(kMXFP4, blocks, 3), (std::vector<double>{96, 32, 0}));

  // MXFP8 E4M3, amax 1000: scale 2^(9 - 8) = 2; 500 saturates at 448, so the largest value clips.
  blocks = quantize_mx(kMXFP8E4M3, std::vector<double>{1000, 3});
  EXPECT_EQ(blocks[0].scale, 128);
  EXPECT_EQ(dequantize(kMXFP8E4M3, blocks, 2), (std::vector<double>{896, 3}));

  // MXINT8: k x 2^-6 with |k| <= 127. amax 1.99: scale 1, 1.99 x 64 = 127.36 -> 127.
  blocks = quantize_mx(kMXINT8, std::vector<double>{1.99, -1.0, 0.5});
  EXPECT_EQ(blocks[0].scale, 127);
  EXPECT_EQ(blocks[0].elements[0], 127);
  EXPECT_EQ(blocks[0].elements[1], 0xC0);  // -64
  EXPECT_EQ(dequantize(kMXINT8, blocks, 3), (std::vector<double>{127.0 / 64, -1.0, 0.5}));
}

TEST(Formats, MxBlocksOfThirtyTwoAndSpecialCases) {
  // 40 values: two blocks, each with its own scale; the second is padded.
  std::vector<double> x(40, 1.0);
  x[35] = 64;
  auto blocks = quantize_mx(kMXFP8E5M2, x);
  ASSERT_EQ(blocks.size(), 2u);
  EXPECT_EQ(blocks[0].scale, 127 - 15);
  EXPECT_EQ(blocks[1].scale, 127 + 6 - 15);
  EXPECT_EQ(dequantize(kMXFP8E5M2, blocks, 40), x);

  // All zero: amax counts as 2^-126; the scale clamps at 2^-127.
  blocks = quantize_mx(kMXFP4, std::vector<double>(5, 0.0));
  EXPECT_EQ(blocks[0].scale, 0);
  EXPECT_EQ(dequantize(kMXFP4, blocks, 5), std::vector<double>(5, 0.0));

  // Too small for the smallest scale: the elements underflow to zero.
  blocks = quantize_mx(kMXFP4, std::vector<double>{0x1p-140});
  EXPECT_EQ(blocks[0].scale, 0);
  EXPECT_EQ(dequantize(kMXFP4, blocks, 1)[0], 0.0);

  // NaN or Inf anywhere, or a scale past 2^127: the NaN scale, and every value reads NaN.
  for (double special : {kNaN, kInf, 0x1p200}) {
    blocks = quantize_mx(kMXFP6E3M2, std::vector<double>{1, special, 2});
    EXPECT_EQ(blocks[0].scale, kE8M0Nan) << special;
    for (double v : dequantize(kMXFP6E3M2, blocks, 3)) EXPECT_TRUE(std::isnan(v));
  }
  EXPECT_DOUBLE_EQ(decode_e8m0(127), 1.0);
  EXPECT_DOUBLE_EQ(decode_e8m0(0), 0x1p-127);
  EXPECT_DOUBLE_EQ(decode_e8m0(254), 0x1p127);
}

TEST(Formats, FindByName) {
  EXPECT_EQ(find_float_format("fp8-e4m3")->bits(), 8);
  EXPECT_EQ(find_mx_format("mxfp6-e2m3")->element->bits(), 6);
  EXPECT_FALSE(find_float_format("fp7").has_value());
  EXPECT_FALSE(find_mx_format("mxfp3").has_value());
}

}  // namespace
}  // namespace tfab::vp
