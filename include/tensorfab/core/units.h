#pragma once
// Strong unit types: a Quantity carries its dimension in its type, so adding
// seconds to bytes, or passing a bandwidth where a capacity is expected, does
// not compile. Values are stored in SI base units (s, B, J, m, USD, op);
// `.in(unit)` is the one explicit way to get a bare number out.
//
// Energy, not mass, is a base dimension: the explorer never needs kilograms,
// and W = J/s reads better than kg·m²·s⁻³. "op" counts arithmetic operations
// (a multiply-accumulate is two), so FLOP/s and OP/s share a dimension.

#include <compare>
#include <string>
#include <string_view>

#include "tensorfab/core/result.h"

namespace tfab::core {

// Exponents of the base dimensions: time, data, energy, length, money, work.
struct DimVector {
  int time = 0, data = 0, energy = 0, length = 0, money = 0, work = 0;
  friend constexpr bool operator==(const DimVector&, const DimVector&) = default;
  friend constexpr DimVector operator+(DimVector a, DimVector b) {
    return {a.time + b.time,     a.data + b.data,   a.energy + b.energy,
            a.length + b.length, a.money + b.money, a.work + b.work};
  }
  friend constexpr DimVector operator-(DimVector a, DimVector b) {
    return {a.time - b.time,     a.data - b.data,   a.energy - b.energy,
            a.length - b.length, a.money - b.money, a.work - b.work};
  }
};

template <DimVector D>
class Quantity {
 public:
  static constexpr DimVector kDim = D;

  constexpr Quantity() = default;
  // The value in SI base units; prefer literals and `.in()` in normal code.
  static constexpr Quantity from_base(double v) { return Quantity(v); }
  [[nodiscard]] constexpr double base() const { return v_; }
  // This quantity as a number of `unit`s: `bw.in(1_TBps)`.
  [[nodiscard]] constexpr double in(Quantity unit) const { return v_ / unit.v_; }

  constexpr Quantity operator+(Quantity o) const { return Quantity(v_ + o.v_); }
  constexpr Quantity operator-(Quantity o) const { return Quantity(v_ - o.v_); }
  constexpr Quantity operator-() const { return Quantity(-v_); }
  constexpr Quantity& operator+=(Quantity o) { v_ += o.v_; return *this; }
  constexpr Quantity& operator-=(Quantity o) { v_ -= o.v_; return *this; }
  constexpr Quantity operator*(double k) const { return Quantity(v_ * k); }
  constexpr Quantity operator/(double k) const { return Quantity(v_ / k); }
  friend constexpr Quantity operator*(double k, Quantity q) { return Quantity(k * q.v_); }
  constexpr auto operator<=>(const Quantity&) const = default;

 private:
  constexpr explicit Quantity(double v) : v_(v) {}
  double v_ = 0.0;
};

// Products and quotients change the dimension; a quotient of like
// quantities is a plain ratio.
template <DimVector A, DimVector B>
constexpr auto operator*(Quantity<A> a, Quantity<B> b) {
  if constexpr (A + B == DimVector{}) {
    return a.base() * b.base();
  } else {
    return Quantity<A + B>::from_base(a.base() * b.base());
  }
}
template <DimVector A, DimVector B>
constexpr auto operator/(Quantity<A> a, Quantity<B> b) {
  if constexpr (A == B) {
    return a.base() / b.base();
  } else {
    return Quantity<A - B>::from_base(a.base() / b.base());
  }
}
template <DimVector A>
constexpr auto operator/(double k, Quantity<A> q) {
  return Quantity<DimVector{} - A>::from_base(k / q.base());
}

namespace dim {
inline constexpr DimVector kTime{.time = 1};
inline constexpr DimVector kData{.data = 1};
inline constexpr DimVector kEnergy{.energy = 1};
inline constexpr DimVector kLength{.length = 1};
inline constexpr DimVector kMoney{.money = 1};
inline constexpr DimVector kWork{.work = 1};
}  // namespace dim

using Time = Quantity<dim::kTime>;                         // s
using Bytes = Quantity<dim::kData>;                        // B
using Energy = Quantity<dim::kEnergy>;                     // J
using Length = Quantity<dim::kLength>;                     // m
using Money = Quantity<dim::kMoney>;                       // USD
using Ops = Quantity<dim::kWork>;                          // op (FLOP, INT OP)
using Frequency = Quantity<DimVector{} - dim::kTime>;      // Hz
using Power = Quantity<dim::kEnergy - dim::kTime>;         // W
using Bandwidth = Quantity<dim::kData - dim::kTime>;       // B/s
using OpRate = Quantity<dim::kWork - dim::kTime>;          // op/s (FLOP/s)
using Area = Quantity<dim::kLength + dim::kLength>;        // m^2
using EnergyPerOp = Quantity<dim::kEnergy - dim::kWork>;   // J/op
using EnergyPerByte = Quantity<dim::kEnergy - dim::kData>; // J/B

// ---- Text ------------------------------------------------------------------

// Parses "<number> <unit>" into base units, where the unit is an expression
// of prefixed symbols joined by '/' and '*', with optional ^N exponents:
// "3.35 TB/s", "50 MiB", "1.98 GHz", "700 W", "814 mm^2", "4.5 pJ",
// "989 TFLOPS", "0.5 pJ/bit", "12 USD/GB". SI prefixes (k M G T P E, m u n p f)
// and IEC prefixes (Ki Mi Gi Ti Pi) are distinct: 1 KB = 1000 B, 1 KiB = 1024 B.
// Fails, with a message naming the expected kind and an example, when the
// text is not a number followed by a unit of dimension `expected`
// (a bare number, an unknown unit, or a unit of another dimension).
[[nodiscard]] Result<double> parse_quantity(std::string_view text, DimVector expected);

template <class Q>
[[nodiscard]] Result<Q> parse(std::string_view text) {
  auto r = parse_quantity(text, Q::kDim);
  if (!r) return r.errors();
  return Q::from_base(*r);
}

// `value` in unit `from` as a number of `to`: (1500, "s", "ms") is
// 1,500,000. Both are unit expressions as parse_quantity reads them; an
// unknown unit, or units of two dimensions, is an error.
[[nodiscard]] Result<double> convert_unit(double value, std::string_view from, std::string_view to);

// Human name and an example of a dimension, for messages:
// ("bandwidth", "3.35 TB/s"). Unnamed dimensions print their unit.
struct DimInfo {
  std::string name;
  std::string example;
};
[[nodiscard]] DimInfo describe(DimVector d);
// What a message expects: "an area such as "814 mm^2"".
[[nodiscard]] std::string expected_value(DimVector d);

// The canonical unit of a dimension as machines read it: "s", "B", "B/s",
// "FLOP/s", "W", "J", "mm^2", "USD". Values written with `canonical_value`
// are in this unit (area in mm^2, not m^2: chips are measured in mm^2).
[[nodiscard]] std::string canonical_unit(DimVector d);
[[nodiscard]] double canonical_value(double base, DimVector d);

// For people: three significant digits and a prefix that keeps the mantissa
// in [1, 1000): "3.35 TB/s", "80 GiB" (data sizes use IEC prefixes),
// "1.98 GHz", "989 TFLOP/s", "814 mm^2", "12.5 ms".
[[nodiscard]] std::string format(double base, DimVector d, int significant = 3);
template <DimVector D>
[[nodiscard]] std::string format(Quantity<D> q, int significant = 3) {
  return format(q.base(), D, significant);
}

// ---- Literals --------------------------------------------------------------

namespace literals {
#define TFAB_UNIT_LITERAL(Q, suffix, factor)                                    \
  constexpr Q operator""_##suffix(long double v) {                              \
    return Q::from_base(static_cast<double>(v) * (factor));                     \
  }                                                                             \
  constexpr Q operator""_##suffix(unsigned long long v) {                       \
    return Q::from_base(static_cast<double>(v) * (factor));                     \
  }
TFAB_UNIT_LITERAL(Time, s, 1.0)
TFAB_UNIT_LITERAL(Time, ms, 1e-3)
TFAB_UNIT_LITERAL(Time, us, 1e-6)
TFAB_UNIT_LITERAL(Time, ns, 1e-9)
TFAB_UNIT_LITERAL(Time, ps, 1e-12)
TFAB_UNIT_LITERAL(Bytes, B, 1.0)
TFAB_UNIT_LITERAL(Bytes, KB, 1e3)
TFAB_UNIT_LITERAL(Bytes, MB, 1e6)
TFAB_UNIT_LITERAL(Bytes, GB, 1e9)
TFAB_UNIT_LITERAL(Bytes, TB, 1e12)
TFAB_UNIT_LITERAL(Bytes, KiB, 1024.0)
TFAB_UNIT_LITERAL(Bytes, MiB, 1024.0 * 1024)
TFAB_UNIT_LITERAL(Bytes, GiB, 1024.0 * 1024 * 1024)
TFAB_UNIT_LITERAL(Bytes, TiB, 1024.0 * 1024 * 1024 * 1024)
TFAB_UNIT_LITERAL(Energy, J, 1.0)
TFAB_UNIT_LITERAL(Energy, nJ, 1e-9)
TFAB_UNIT_LITERAL(Energy, pJ, 1e-12)
TFAB_UNIT_LITERAL(Power, W, 1.0)
TFAB_UNIT_LITERAL(Power, kW, 1e3)
TFAB_UNIT_LITERAL(Frequency, Hz, 1.0)
TFAB_UNIT_LITERAL(Frequency, MHz, 1e6)
TFAB_UNIT_LITERAL(Frequency, GHz, 1e9)
TFAB_UNIT_LITERAL(Length, mm, 1e-3)
TFAB_UNIT_LITERAL(Length, um, 1e-6)
TFAB_UNIT_LITERAL(Area, mm2, 1e-6)
TFAB_UNIT_LITERAL(Money, USD, 1.0)
TFAB_UNIT_LITERAL(Ops, FLOP, 1.0)
TFAB_UNIT_LITERAL(Ops, GFLOP, 1e9)
TFAB_UNIT_LITERAL(Ops, TFLOP, 1e12)
TFAB_UNIT_LITERAL(Bandwidth, GBps, 1e9)
TFAB_UNIT_LITERAL(Bandwidth, TBps, 1e12)
TFAB_UNIT_LITERAL(OpRate, TFLOPS, 1e12)
TFAB_UNIT_LITERAL(OpRate, PFLOPS, 1e15)
#undef TFAB_UNIT_LITERAL
}  // namespace literals

}  // namespace tfab::core
