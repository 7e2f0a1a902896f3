#include "tensorfab/core/units.h"

#include <gtest/gtest.h>

#include <cmath>
#include <limits>
#include <string>
#include <type_traits>
#include <vector>

namespace tfab::core {
namespace {

using namespace literals;  // NOLINT(google-build-using-namespace)

constexpr DimVector kDimensionless{};
constexpr DimVector kPricePerByte = dim::kMoney - dim::kData;

// ---- Types and arithmetic ----------------------------------------------------------

template <class A, class B>
concept Addable = requires(A a, B b) { a + b; };
template <class A, class B>
concept Comparable = requires(A a, B b) { a < b; };

// The compile_fail tests prove the same with a real compiler error; these
// keep the basic guarantees next to the arithmetic they protect.
static_assert(!std::is_convertible_v<Time, Bytes>);
static_assert(!std::is_convertible_v<Bandwidth, Bytes>);
static_assert(!std::is_convertible_v<double, Time>);
static_assert(!std::is_convertible_v<Time, double>);
static_assert(!Addable<Bytes, Time>);
static_assert(Addable<Bytes, Bytes>);
static_assert(!Comparable<Power, Energy>);

static_assert(std::is_same_v<decltype(1_GB / 1_s), Bandwidth>);
static_assert(std::is_same_v<decltype(1_W * 1_s), Energy>);
static_assert(std::is_same_v<decltype(1_TFLOP / 1_s), OpRate>);
static_assert(std::is_same_v<decltype(1_mm * 1_mm), Area>);
static_assert(std::is_same_v<decltype(1_pJ / 1_FLOP), EnergyPerOp>);
static_assert(std::is_same_v<decltype(1.0 / 1_s), Frequency>);
static_assert(std::is_same_v<decltype(1_GB / 1_MB), double>);
static_assert(std::is_same_v<decltype(1_GHz * 1_s), double>);

TEST(Units, ArithmeticKeepsBaseUnits) {
  const Bytes size = 80_GiB;
  const Bandwidth bw = 3.35_TBps;
  const Time t = size / bw;
  EXPECT_DOUBLE_EQ(t.base(), 80.0 * 1024 * 1024 * 1024 / 3.35e12);
  EXPECT_DOUBLE_EQ(t.in(1_ms), t.base() * 1e3);

  EXPECT_DOUBLE_EQ((700_W * 2_s).in(1_J), 1400.0);
  EXPECT_DOUBLE_EQ((1_GHz * 1_ns), 1.0);
  EXPECT_DOUBLE_EQ((2_TFLOP / 1_TFLOPS).in(1_s), 2.0);
  EXPECT_DOUBLE_EQ((26_mm * 31.3_mm).in(1_mm2), 26.0 * 31.3);
  EXPECT_DOUBLE_EQ((1_GB / 1_MB), 1000.0);

  Bytes b = 1_KiB;
  b += 1_KiB;
  b -= 512_B;
  EXPECT_DOUBLE_EQ(b.base(), 1536.0);
  EXPECT_DOUBLE_EQ((-b).base(), -1536.0);
  EXPECT_DOUBLE_EQ((b * 2.0).base(), 3072.0);
  EXPECT_DOUBLE_EQ((2.0 * b).base(), 3072.0);
  EXPECT_DOUBLE_EQ((b / 3.0).base(), 512.0);
  EXPECT_LT(1_ms, 1_s);
  EXPECT_EQ(1000_ms, 1_s);
}

TEST(Units, LiteralsAreExact) {
  EXPECT_EQ((1_KB).base(), 1000.0);
  EXPECT_EQ((1_KiB).base(), 1024.0);
  EXPECT_NE(1_KB, 1_KiB);
  EXPECT_EQ((1_MiB).base(), 1048576.0);
  EXPECT_EQ((1_GiB).base(), 1073741824.0);
  EXPECT_EQ((1_TiB).base(), 1099511627776.0);
  EXPECT_EQ((1_TB).base(), 1e12);
  EXPECT_EQ((1.5_GHz).base(), 1.5e9);
  EXPECT_EQ((1_kW).base(), 1000.0);
  EXPECT_EQ((12000_USD).base(), 12000.0);
  EXPECT_EQ((1_PFLOPS).base(), 1e15);
  EXPECT_DOUBLE_EQ((1_mm2).base(), 1e-6);
  EXPECT_DOUBLE_EQ((1_um).base(), 1e-6);
}

// ---- Parsing ------------------------------------------------------------------

struct ParseCase {
  std::string text;
  DimVector dim;
  double base;
};

TEST(Units, ParsesToBaseUnits) {
  const std::vector<ParseCase> cases = {
      {"3.35 TB/s", Bandwidth::kDim, 3.35e12},
      {"50 MiB", dim::kData, 50.0 * 1024 * 1024},
      {"1.98 GHz", Frequency::kDim, 1.98e9},
      {"700 W", Power::kDim, 700.0},
      {"814 mm^2", Area::kDim, 814e-6},
      {"814 mm\u00b2", Area::kDim, 814e-6},
      {"4.5 pJ", dim::kEnergy, 4.5e-12},
      {"989 TFLOPS", OpRate::kDim, 989e12},
      {"989 TFLOP/s", OpRate::kDim, 989e12},
      {"1979 TOPS", OpRate::kDim, 1979e12},
      {"3.6 POPS", OpRate::kDim, 3.6e15},
      {"2 TFLOP", dim::kWork, 2e12},
      {"0.5 pJ/bit", EnergyPerByte::kDim, 4e-12},
      {"0.5 pJ/FLOP", EnergyPerOp::kDim, 0.5e-12},
      {"12 USD/GB", kPricePerByte, 12e-9},
      {"12000 USD", dim::kMoney, 12000.0},
      {"12000 $", dim::kMoney, 12000.0},
      {"26 mm", dim::kLength, 0.026},
      {"0.0175 um^2", Area::kDim, 0.0175e-12},
      {"1.5 ms", dim::kTime, 1.5e-3},
      {"1 us", dim::kTime, 1e-6},
      {"1 \u00b5s", dim::kTime, 1e-6},
      {"1 \u03bcs", dim::kTime, 1e-6},
      {"2 min", dim::kTime, 120.0},
      {"1.5 h", dim::kTime, 5400.0},
      {"1 KB", dim::kData, 1000.0},
      {"1 kB", dim::kData, 1000.0},
      {"1 KiB", dim::kData, 1024.0},
      {"8 b", dim::kData, 1.0},
      {"16 Gbit", dim::kData, 2e9},
      {"400 Gbps", Bandwidth::kDim, 50e9},
      {"3.35 TBps", Bandwidth::kDim, 3.35e12},
      {"1 EiB", dim::kData, 1024.0 * 1024 * 1024 * 1024 * 1024 * 1024},
      // Number forms.
      {"1e-3 s", dim::kTime, 1e-3},
      {"1E3 B", dim::kData, 1000.0},
      {"1EB", dim::kData, 1e18},
      {"1e3B", dim::kData, 1000.0},
      {"+2 s", dim::kTime, 2.0},
      {"-2 s", dim::kTime, -2.0},
      {".5 s", dim::kTime, 0.5},
      {"5. s", dim::kTime, 5.0},
      {"  3.35TB/s \t", Bandwidth::kDim, 3.35e12},
      // Expressions.
      {"1 GB/s/mm", Bandwidth::kDim - dim::kLength, 1e12},
      {"1 GB/(s*mm)", Bandwidth::kDim - dim::kLength, 1e12},
      {"1 GB / s", Bandwidth::kDim, 1e9},
      {"1 J\u00b7s", dim::kEnergy + dim::kTime, 1.0},
      {"1 W*s", dim::kEnergy, 1.0},
      {"2 s^-1", Frequency::kDim, 2.0},
      {"1 m^+2", Area::kDim, 1.0},
      {"3 W/mm^2", Power::kDim - Area::kDim, 3e6},
      {"1 mm\u00b3", Area::kDim + dim::kLength, 1e-9},
      // Dimensionless.
      {"0.8", kDimensionless, 0.8},
      {"80 %", kDimensionless, 0.8},
  };
  for (const auto& c : cases) {
    const Result<double> r = parse_quantity(c.text, c.dim);
    ASSERT_TRUE(r.ok()) << c.text << ": " << r.errors().front().message;
    EXPECT_DOUBLE_EQ(*r, c.base) << c.text;
  }
}

TEST(Units, ParsedValuesEqualLiterals) {
  // One correctly rounded step: the parse gives the same double as the literal.
  EXPECT_EQ(*parse<Bandwidth>("3.35 TB/s"), 3.35_TBps);
  EXPECT_EQ(*parse<Frequency>("1.98 GHz"), 1.98_GHz);
  EXPECT_EQ(*parse<Energy>("4.5 pJ"), 4.5_pJ);
  EXPECT_EQ(*parse<OpRate>("989 TFLOPS"), 989_TFLOPS);
  EXPECT_EQ(*parse<Bytes>("80 GiB"), 80_GiB);
  EXPECT_EQ(*parse<Time>("12.5 ms"), 12.5_ms);
  EXPECT_EQ(parse<Area>("814 mm^2")->base(), 814e-6);
}

TEST(Units, ParseTemplateKeepsErrors) {
  const Result<Bytes> r = parse<Bytes>("3 TB/s");
  ASSERT_FALSE(r.ok());
  ASSERT_EQ(r.errors().size(), 1U);
  EXPECT_EQ(r.errors()[0].message, R"~("3 TB/s" is a bandwidth, expected a data size such as "50 MiB")~");
}

struct ErrorCase {
  std::string text;
  DimVector dim;
  std::string message;
  std::vector<std::string> notes;
};

TEST(Units, ReportsErrors) {
  const std::vector<ErrorCase> cases = {
      // Bare numbers.
      {"3200", Bandwidth::kDim, R"~(expected a bandwidth such as "3.35 TB/s", got 3200)~", {}},
      {"700", Power::kDim, R"~(expected a power such as "700 W", got 700)~", {}},
      // Empty.
      {"", Bandwidth::kDim, R"~(expected a bandwidth such as "3.35 TB/s", got an empty value)~", {}},
      {"   ", dim::kTime, R"~(expected a time such as "1.5 ms", got an empty value)~", {}},
      // Not a number.
      {"fast", Bandwidth::kDim, R"~(expected a bandwidth such as "3.35 TB/s", got "fast")~", {}},
      {"TB/s", Bandwidth::kDim, R"~(expected a bandwidth such as "3.35 TB/s", got "TB/s")~", {}},
      {"3.3.5 TB/s", Bandwidth::kDim,
       R"~(expected a bandwidth such as "3.35 TB/s", got "3.3.5 TB/s")~", {}},
      {"3 200 GB/s", Bandwidth::kDim,
       R"~(expected a bandwidth such as "3.35 TB/s", got "3 200 GB/s")~", {}},
      {"12,000 USD", dim::kMoney, R"~(expected a cost such as "12000 USD", got "12,000 USD")~",
       {R"~(write numbers without thousands separators: "12000 USD")~"}},
      // Unknown units, with a suggestion where one is close.
      {"3.35 TBs", Bandwidth::kDim,
       R"~(unknown unit "TBs" in "3.35 TBs"; expected a bandwidth such as "3.35 TB/s")~",
       {R"~(did you mean "TB/s"?)~"}},
      {"989 TFLOPs", OpRate::kDim,
       R"~(unknown unit "TFLOPs" in "989 TFLOPs"; expected a throughput such as "989 TFLOPS")~",
       {R"~(did you mean "TFLOPS"?)~"}},
      {"100 mB", dim::kData,
       R"~(unknown unit "mB" in "100 mB"; expected a data size such as "50 MiB")~",
       {R"~(did you mean "MB"?)~"}},
      {"3 GB/sec", Bandwidth::kDim,
       R"~(unknown unit "sec" in "3 GB/sec"; expected a bandwidth such as "3.35 TB/s")~",
       {R"~(did you mean "GB/s"?)~"}},
      {"814 mm2", Area::kDim,
       R"~(unknown unit "mm2" in "814 mm2"; expected an area such as "814 mm^2")~",
       {R"~(did you mean "mm^2"?)~"}},
      {"1.98 GHZ", Frequency::kDim,
       R"~(unknown unit "GHZ" in "1.98 GHZ"; expected a frequency such as "1.98 GHz")~",
       {R"~(did you mean "GHz"?)~"}},
      {"5 furlongs", dim::kLength,
       R"~(unknown unit "furlongs" in "5 furlongs"; expected a length such as "26 mm")~", {}},
      {"5 kmin", dim::kTime,
       R"~(unknown unit "kmin" in "5 kmin"; expected a time such as "1.5 ms")~",
       {R"~(did you mean "min"?)~"}},
      // Malformed unit expressions.
      {"3 GB//s", Bandwidth::kDim,
       R"~(invalid unit "GB//s" in "3 GB//s"; expected a bandwidth such as "3.35 TB/s")~",
       {"a unit symbol is missing after '/'"}},
      {"3 GB s", Bandwidth::kDim,
       R"~(invalid unit "GB s" in "3 GB s"; expected a bandwidth such as "3.35 TB/s")~",
       {"symbols are joined with '*' or '/', not spaces"}},
      {"3 mm^", Area::kDim,
       R"~(invalid unit "mm^" in "3 mm^"; expected an area such as "814 mm^2")~",
       {"'^' must be followed by an integer exponent"}},
      {"3 mm^1000", Area::kDim,
       R"~(invalid unit "mm^1000" in "3 mm^1000"; expected an area such as "814 mm^2")~",
       {"the exponent is too large"}},
      {"3 GB/(s", Bandwidth::kDim,
       R"~(invalid unit "GB/(s" in "3 GB/(s"; expected a bandwidth such as "3.35 TB/s")~",
       {"a '(' is not closed"}},
      {"3 GB/s)", Bandwidth::kDim,
       R"~(invalid unit "GB/s)" in "3 GB/s)"; expected a bandwidth such as "3.35 TB/s")~",
       {"a ')' has no matching '('"}},
      {"3 ((((((((((s))))))))))", dim::kTime,
       R"~(invalid unit "((((((((((s))))))))))" in "3 ((((((((((s))))))))))"; expected a time such as "1.5 ms")~",
       {"parentheses are nested too deeply"}},
      // Wrong dimension.
      {"50 MiB", Bandwidth::kDim,
       R"~("50 MiB" is a data size, expected a bandwidth such as "3.35 TB/s")~", {}},
      {"4.5 pJ", Power::kDim, R"~("4.5 pJ" is an energy, expected a power such as "700 W")~", {}},
      {"3 GB/s", dim::kData,
       R"~("3 GB/s" is a bandwidth, expected a data size such as "50 MiB")~", {}},
      {"2 TFLOP", OpRate::kDim,
       R"~("2 TFLOP" is an operation count, expected a throughput such as "989 TFLOPS")~", {}},
      {"5 GB", kDimensionless, R"~("5 GB" is a data size, expected a number such as "0.8")~", {}},
      {"1 GB/s/mm", Bandwidth::kDim,
       R"~("1 GB/s/mm" is a bandwidth per length, expected a bandwidth such as "3.35 TB/s")~", {}},
      {"3 GB/s", Bandwidth::kDim - dim::kLength,
       R"~("3 GB/s" is a bandwidth, expected a bandwidth per length such as "1316 GB/s/mm")~", {}},
      {"1 J*s", Bandwidth::kDim, R"~("1 J*s" is in J*s, expected a bandwidth such as "3.35 TB/s")~", {}},
      {"3 J", dim::kEnergy + dim::kTime, R"~("3 J" is an energy, expected a value in J*s such as "1 J*s")~", {}},
      // Not finite.
      {"inf", Bandwidth::kDim,
       R"~("inf" is not a finite number; expected a bandwidth such as "3.35 TB/s")~", {}},
      {"-Infinity TB/s", Bandwidth::kDim,
       R"~("-Infinity TB/s" is not a finite number; expected a bandwidth such as "3.35 TB/s")~", {}},
      {"NaN W", Power::kDim, R"~("NaN W" is not a finite number; expected a power such as "700 W")~",
       {}},
      {"1e999 GB/s", Bandwidth::kDim,
       R"~("1e999 GB/s" is out of range; expected a bandwidth such as "3.35 TB/s")~", {}},
      {"1e99999999999999999999 s", dim::kTime,
       R"~("1e99999999999999999999 s" is out of range; expected a time such as "1.5 ms")~", {}},
      {"1e300 EB", dim::kData,
       R"~("1e300 EB" is out of range; expected a data size such as "50 MiB")~", {}},
  };
  for (const auto& c : cases) {
    const Result<double> r = parse_quantity(c.text, c.dim);
    ASSERT_FALSE(r.ok()) << c.text << " parsed as " << *r;
    ASSERT_EQ(r.errors().size(), 1U) << c.text;
    const Diagnostic& d = r.errors().front();
    EXPECT_EQ(d.code, ErrorCode::kBadInput) << c.text;
    EXPECT_EQ(d.message, c.message) << c.text;
    EXPECT_EQ(d.notes, c.notes) << c.text;
    // The caller adds these.
    EXPECT_TRUE(d.key_path.empty()) << c.text;
    EXPECT_TRUE(d.location.file.empty()) << c.text;
    EXPECT_EQ(d.location.line, 0) << c.text;
  }
}

// ---- Names and canonical units ----------------------------------------------

TEST(Units, DescribesDimensions) {
  struct Case {
    DimVector dim;
    std::string name;
    std::string example;
  };
  const std::vector<Case> cases = {
      {dim::kTime, "time", "1.5 ms"},
      {dim::kData, "data size", "50 MiB"},
      {dim::kEnergy, "energy", "4.5 pJ"},
      {Power::kDim, "power", "700 W"},
      {Frequency::kDim, "frequency", "1.98 GHz"},
      {Bandwidth::kDim, "bandwidth", "3.35 TB/s"},
      {dim::kWork, "operation count", "2 TFLOP"},
      {OpRate::kDim, "throughput", "989 TFLOPS"},
      {dim::kLength, "length", "26 mm"},
      {Area::kDim, "area", "814 mm^2"},
      {dim::kMoney, "cost", "12000 USD"},
      {EnergyPerOp::kDim, "energy per operation", "0.5 pJ/FLOP"},
      {EnergyPerByte::kDim, "energy per byte", "4 pJ/B"},
      {kPricePerByte, "price per data size", "10 USD/GB"},
      {kDimensionless, "number", "0.8"},
      {Bandwidth::kDim - dim::kLength, "bandwidth per length", "1316 GB/s/mm"},
      {dim::kEnergy + dim::kTime, "J*s", "1 J*s"},
  };
  for (const auto& c : cases) {
    const DimInfo info = describe(c.dim);
    EXPECT_EQ(info.name, c.name);
    EXPECT_EQ(info.example, c.example);
    // Every example must itself parse as its dimension.
    EXPECT_TRUE(parse_quantity(info.example, c.dim).ok()) << info.example;
  }
}

TEST(Units, CanonicalUnits) {
  struct Case {
    DimVector dim;
    std::string unit;
    double base;
    double value;
  };
  const std::vector<Case> cases = {
      {dim::kTime, "s", 1.5, 1.5},
      {dim::kData, "B", 1024.0, 1024.0},
      {dim::kEnergy, "J", 2.0, 2.0},
      {Power::kDim, "W", 700.0, 700.0},
      {Frequency::kDim, "Hz", 1.98e9, 1.98e9},
      {Bandwidth::kDim, "B/s", 3.35e12, 3.35e12},
      {OpRate::kDim, "FLOP/s", 989e12, 989e12},
      {dim::kWork, "FLOP", 2e12, 2e12},
      {dim::kLength, "mm", 0.026, 26.0},
      {Area::kDim, "mm^2", 814e-6, 814.0},
      {dim::kMoney, "USD", 12000.0, 12000.0},
      {EnergyPerOp::kDim, "J/FLOP", 0.5e-12, 0.5e-12},
      {EnergyPerByte::kDim, "J/B", 4e-12, 4e-12},
      {kDimensionless, "", 0.8, 0.8},
      {Bandwidth::kDim - dim::kLength, "B/s/m", 5.0, 5.0},
      {dim::kEnergy + dim::kTime, "J*s", 5.0, 5.0},
      {DimVector{.time = -2}, "s^-2", 5.0, 5.0},
      {DimVector{.time = -1, .data = 2, .length = -1, .money = -1}, "B^2/(USD*s*m)", 5.0, 5.0},
  };
  for (const auto& c : cases) {
    EXPECT_EQ(canonical_unit(c.dim), c.unit);
    EXPECT_DOUBLE_EQ(canonical_value(c.base, c.dim), c.value) << c.unit;
    // Machines read canonical units back.
    if (!c.unit.empty()) {
      const Result<double> r = parse_quantity("5 " + c.unit, c.dim);
      ASSERT_TRUE(r.ok()) << c.unit << ": " << r.errors().front().message;
      EXPECT_DOUBLE_EQ(canonical_value(*r, c.dim), 5.0) << c.unit;
    }
  }
}

// ---- Formatting ------------------------------------------------------------------

struct FormatCase {
  double base;
  DimVector dim;
  std::string text;
};

TEST(Units, FormatsForPeople) {
  const std::vector<FormatCase> cases = {
      {3.35e12, Bandwidth::kDim, "3.35 TB/s"},
      {80.0 * 1024 * 1024 * 1024, dim::kData, "80 GiB"},
      {80e9, dim::kData, "74.5 GiB"},
      {1.98e9, Frequency::kDim, "1.98 GHz"},
      {989e12, OpRate::kDim, "989 TFLOP/s"},
      {814e-6, Area::kDim, "814 mm^2"},
      {12.5e-3, dim::kTime, "12.5 ms"},
      {700.0, Power::kDim, "700 W"},
      {4.5e-12, dim::kEnergy, "4.5 pJ"},
      {2e12, dim::kWork, "2 TFLOP"},
      {0.026, dim::kLength, "26 mm"},
      {0.5e-12, EnergyPerOp::kDim, "0.5 pJ/FLOP"},
      {4e-12, EnergyPerByte::kDim, "4 pJ/B"},
      {10e-9, kPricePerByte, "10 USD/GB"},
      {0.8, kDimensionless, "0.8"},
      // Zero, sign, rounding.
      {0.0, dim::kTime, "0 s"},
      {-0.0, Bandwidth::kDim, "0 B/s"},
      {0.0, dim::kData, "0 B"},
      {-12.5e-3, dim::kTime, "-12.5 ms"},
      {-3.35e12, Bandwidth::kDim, "-3.35 TB/s"},
      {1.0 / 3.0, dim::kTime, "333 ms"},
      {2.0 / 3.0 * 1e9, Frequency::kDim, "667 MHz"},
      {999.96e9, Bandwidth::kDim, "1 TB/s"},  // rounding carries into the next prefix
      {999.4e9, Bandwidth::kDim, "999 GB/s"},
      {1.0, Power::kDim, "1 W"},
      {1000.0, Power::kDim, "1 kW"},
      // Time never goes above seconds; sub-second uses ms, us, ns, ps.
      {3600.0, dim::kTime, "3600 s"},
      {5400.5, dim::kTime, "5400 s"},
      {1.5, dim::kTime, "1.5 s"},
      {1e-6, dim::kTime, "1 us"},
      {2.5e-9, dim::kTime, "2.5 ns"},
      {1e-12, dim::kTime, "1 ps"},
      {1e-13, dim::kTime, "0.1 ps"},
      // Data sizes are IEC; data rates are SI multiples.
      {512.0, dim::kData, "512 B"},
      {1000.0, dim::kData, "1000 B"},
      {1024.0, dim::kData, "1 KiB"},
      {1536.0, dim::kData, "1.5 KiB"},
      {1000.0 * 1024 * 1024, dim::kData, "1000 MiB"},
      {1023.9 * 1024 * 1024, dim::kData, "1 GiB"},
      {83.0 * 1024 * 1024, dim::kData, "83 MiB"},
      {0.5, dim::kData, "0.5 B"},
      {0.0125, Bandwidth::kDim, "0.0125 B/s"},
      {900e9, Bandwidth::kDim, "900 GB/s"},
      // Fixed units.
      {12345.0, dim::kMoney, "12,345 USD"},
      {12000.0, dim::kMoney, "12,000 USD"},
      {1234567.4, dim::kMoney, "1,234,567 USD"},
      {-12345.0, dim::kMoney, "-12,345 USD"},
      {999.0, dim::kMoney, "999 USD"},
      {12.26, dim::kMoney, "12.3 USD"},
      {20000e-6, Area::kDim, "20000 mm^2"},
      {0.5e-6, Area::kDim, "0.5 mm^2"},
      // Unnamed dimensions print their canonical unit.
      {5.0, dim::kEnergy + dim::kTime, "5 J*s"},
      {1316e12, Bandwidth::kDim - dim::kLength, "1316 GB/s/mm"},
      // Far outside the prefixes.
      {1e25, Bandwidth::kDim, "10000000 EB/s"},
      {1e30, dim::kTime, "1e+30 s"},
      {1e-20, dim::kTime, "1e-08 ps"},
  };
  for (const auto& c : cases) {
    EXPECT_EQ(format(c.base, c.dim), c.text) << c.base;
  }
}

TEST(Units, FormatsTypedQuantities) {
  EXPECT_EQ(format(3.35_TBps), "3.35 TB/s");
  EXPECT_EQ(format(80_GiB), "80 GiB");
  EXPECT_EQ(format(1.98_GHz), "1.98 GHz");
  EXPECT_EQ(format(989_TFLOPS), "989 TFLOP/s");
  EXPECT_EQ(format(814_mm2), "814 mm^2");
  EXPECT_EQ(format(12.5_ms), "12.5 ms");
  EXPECT_EQ(format(700_W), "700 W");
  EXPECT_EQ(format(12345_USD), "12,345 USD");
}

TEST(Units, FormatHonoursSignificantDigits) {
  EXPECT_EQ(format(3.3512e12, Bandwidth::kDim, 5), "3.3512 TB/s");
  EXPECT_EQ(format(3.3512e12, Bandwidth::kDim, 1), "3 TB/s");
  EXPECT_EQ(format(1.0 / 3.0, dim::kTime, 6), "333.333 ms");
  EXPECT_EQ(format(3.35e12, Bandwidth::kDim, 0), "3 TB/s");    // clamped to 1
  EXPECT_EQ(format(3.35e12, Bandwidth::kDim, 100), "3.35 TB/s");  // clamped to 15
}

TEST(Units, FormatsNonFiniteWithoutCrashing) {
  EXPECT_EQ(format(std::numeric_limits<double>::quiet_NaN(), Bandwidth::kDim), "nan");
  EXPECT_EQ(format(std::numeric_limits<double>::infinity(), dim::kTime), "inf");
  EXPECT_EQ(format(-std::numeric_limits<double>::infinity(), dim::kMoney), "-inf");
}

TEST(Units, FormatThenParseRoundTrips) {
  const std::vector<FormatCase> cases = {
      {0.0, Bandwidth::kDim, "3.35 TB/s"}, {0.0, dim::kData, "80 GiB"},
      {0.0, dim::kData, "50 MiB"},         {0.0, dim::kData, "512 B"},
      {0.0, Frequency::kDim, "1.98 GHz"},  {0.0, OpRate::kDim, "989 TFLOP/s"},
      {0.0, OpRate::kDim, "1.98 PFLOP/s"}, {0.0, Area::kDim, "814 mm^2"},
      {0.0, dim::kTime, "12.5 ms"},        {0.0, dim::kTime, "3600 s"},
      {0.0, dim::kTime, "250 us"},         {0.0, dim::kTime, "0 s"},
      {0.0, Power::kDim, "700 W"},         {0.0, Power::kDim, "1.2 kW"},
      {0.0, dim::kEnergy, "4.5 pJ"},       {0.0, dim::kWork, "2 TFLOP"},
      {0.0, dim::kLength, "26 mm"},        {0.0, dim::kMoney, "999 USD"},
      {0.0, EnergyPerOp::kDim, "0.5 pJ/FLOP"}, {0.0, EnergyPerByte::kDim, "4 pJ/B"},
      {0.0, kPricePerByte, "10 USD/GB"},   {0.0, kDimensionless, "0.8"},
      {0.0, Bandwidth::kDim - dim::kLength, "1316 GB/s/mm"}, {0.0, dim::kEnergy + dim::kTime, "5 J*s"},
  };
  for (const auto& c : cases) {
    const Result<double> r = parse_quantity(c.text, c.dim);
    ASSERT_TRUE(r.ok()) << c.text;
    EXPECT_EQ(format(*r, c.dim), c.text);
  }
}

TEST(Units, ConvertsBetweenUnitsOfOneDimension) {
  EXPECT_DOUBLE_EQ(convert_unit(1.5, "s", "ms").value(), 1500);
  EXPECT_DOUBLE_EQ(convert_unit(1, "GiB", "B").value(), 1073741824);
  EXPECT_DOUBLE_EQ(convert_unit(3.35e12, "B/s", "TB/s").value(), 3.35);
  EXPECT_DOUBLE_EQ(convert_unit(814, "mm^2", "m^2").value(), 8.14e-4);
  EXPECT_DOUBLE_EQ(convert_unit(2, "kWh", "J").value(), 7.2e6);
  auto other = convert_unit(1, "s", "GB");
  ASSERT_FALSE(other.ok());
  EXPECT_EQ(other.errors().front().message, "cannot convert \"s\" to \"GB\": \"s\" is a time, \"GB\" is a data size");
  auto unknown = convert_unit(1, "s", "parsecs");
  ASSERT_FALSE(unknown.ok());
  EXPECT_EQ(unknown.errors().front().message, "unknown unit \"parsecs\"");
}

}  // namespace
}  // namespace tfab::core
