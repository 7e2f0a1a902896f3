#include "tensorfab/core/units.h"

#include "tensorfab/core/spelling.h"

#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <charconv>
#include <cmath>
#include <cstddef>
#include <limits>
#include <optional>
#include <string>
#include <string_view>
#include <system_error>
#include <utility>
#include <variant>
#include <vector>

namespace tfab::core {
namespace {

// ---- Dimensions with names --------------------------------------------------

// How `format` picks a prefix for a dimension.
enum class Style {
  kSi,         // k M G T P E and m u n p
  kMultiples,  // k M G T P E only: data rates, since "mB" is not a unit
  kIec,        // KiB MiB GiB ...: data sizes are powers of two in practice
  kSubSecond,  // ms us ns ps, but never ks: people read "3600 s" more easily
  kPlain,      // a fixed unit, never prefixed (mm^2, pJ/FLOP)
  kMoney,      // a fixed unit with thousands separators: "12,345 USD"
};

struct NamedDim {
  DimVector dim;
  std::string_view name;
  std::string_view example;
  std::string_view canonical_unit;
  double canonical_scale;   // canonical value = base * canonical_scale
  std::string_view shown_unit;
  double shown_scale;       // shown value = base * shown_scale
  Style style;
};

constexpr DimVector kDimensionless{};

constexpr std::array kNamedDims = {
    NamedDim{kDimensionless, "number", "0.8", "", 1.0, "", 1.0, Style::kPlain},
    NamedDim{dim::kTime, "time", "1.5 ms", "s", 1.0, "s", 1.0, Style::kSubSecond},
    NamedDim{dim::kData, "data size", "50 MiB", "B", 1.0, "B", 1.0, Style::kIec},
    NamedDim{dim::kEnergy, "energy", "4.5 pJ", "J", 1.0, "J", 1.0, Style::kSi},
    NamedDim{Power::kDim, "power", "700 W", "W", 1.0, "W", 1.0, Style::kSi},
    NamedDim{Frequency::kDim, "frequency", "1.98 GHz", "Hz", 1.0, "Hz", 1.0, Style::kSi},
    NamedDim{Bandwidth::kDim, "bandwidth", "3.35 TB/s", "B/s", 1.0, "B/s", 1.0,
             Style::kMultiples},
    NamedDim{dim::kWork, "operation count", "2 TFLOP", "FLOP", 1.0, "FLOP", 1.0, Style::kSi},
    NamedDim{OpRate::kDim, "throughput", "989 TFLOPS", "FLOP/s", 1.0, "FLOP/s", 1.0,
             Style::kSi},
    // Chips are measured in mm and mm^2, so that is what machines read.
    NamedDim{dim::kLength, "length", "26 mm", "mm", 1e3, "m", 1.0, Style::kSi},
    NamedDim{Area::kDim, "area", "814 mm^2", "mm^2", 1e6, "mm^2", 1e6, Style::kPlain},
    NamedDim{dim::kMoney, "cost", "12000 USD", "USD", 1.0, "USD", 1.0, Style::kMoney},
    // Per-op and per-byte energies live in the pJ range; one fixed unit makes
    // them comparable at a glance.
    NamedDim{EnergyPerOp::kDim, "energy per operation", "0.5 pJ/FLOP", "J/FLOP", 1.0,
             "pJ/FLOP", 1e12, Style::kPlain},
    NamedDim{EnergyPerByte::kDim, "energy per byte", "4 pJ/B", "J/B", 1.0, "pJ/B", 1e12,
             Style::kPlain},
    NamedDim{dim::kMoney - dim::kData, "price per data size", "10 USD/GB", "USD/B", 1.0,
             "USD/GB", 1e9, Style::kPlain},
    // Electricity, in the unit its price is quoted in.
    NamedDim{dim::kMoney - dim::kEnergy, "price per energy", "0.08 USD/kWh", "USD/kWh", 3.6e6,
             "USD/kWh", 3.6e6, Style::kPlain},
    // Die-to-die interconnects: along a die's edge, or across its bonded area.
    NamedDim{Bandwidth::kDim - dim::kLength, "bandwidth per length", "1316 GB/s/mm", "B/s/m", 1.0, "GB/s/mm",
             1e-12, Style::kPlain},
    NamedDim{Bandwidth::kDim - Area::kDim, "bandwidth per area", "10 TB/s/mm^2", "B/s/m^2", 1.0, "TB/s/mm^2",
             1e-18, Style::kPlain},
    NamedDim{dim::kWork - dim::kData, "arithmetic intensity", "300 FLOP/B", "FLOP/B", 1.0,
             "FLOP/B", 1.0, Style::kPlain},
};

const NamedDim* find_named(DimVector d) {
  for (const auto& n : kNamedDims) {
    if (n.dim == d) return &n;
  }
  return nullptr;
}

// ---- Unit symbols -------------------------------------------------------------

enum class Prefixes {
  kNone,  // min, h, USD: a prefix would be a typo
  kSi,    // every SI prefix
  kData,  // multiples only (no "mB"), plus "K" and the IEC prefixes
};

// A unit's scale is 10^dec_exp * 2^bin_exp * factor. Keeping the powers of
// ten apart lets "3.35 TB/s" be read as the decimal 3.35e12 in one correctly
// rounded step, so parsed values equal their literals exactly.
struct Symbol {
  std::string_view name;
  DimVector dim;
  int dec_exp;
  int bin_exp;
  double factor;
  Prefixes prefixes;
};

constexpr std::array kSymbols = {
    Symbol{"s", dim::kTime, 0, 0, 1.0, Prefixes::kSi},
    Symbol{"min", dim::kTime, 0, 0, 60.0, Prefixes::kNone},
    Symbol{"h", dim::kTime, 0, 0, 3600.0, Prefixes::kNone},
    Symbol{"yr", dim::kTime, 0, 0, 365.25 * 86400.0, Prefixes::kNone},  // Julian year
    Symbol{"B", dim::kData, 0, 0, 1.0, Prefixes::kData},
    Symbol{"b", dim::kData, 0, -3, 1.0, Prefixes::kData},
    Symbol{"bit", dim::kData, 0, -3, 1.0, Prefixes::kData},
    Symbol{"Bps", Bandwidth::kDim, 0, 0, 1.0, Prefixes::kData},   // as in the 1_TBps literal
    Symbol{"bps", Bandwidth::kDim, 0, -3, 1.0, Prefixes::kData},  // link rates: "400 Gbps"
    Symbol{"J", dim::kEnergy, 0, 0, 1.0, Prefixes::kSi},
    Symbol{"W", Power::kDim, 0, 0, 1.0, Prefixes::kSi},
    Symbol{"Wh", dim::kEnergy, 0, 0, 3600.0, Prefixes::kSi},  // electricity: "0.08 USD/kWh"
    Symbol{"Hz", Frequency::kDim, 0, 0, 1.0, Prefixes::kSi},
    Symbol{"m", dim::kLength, 0, 0, 1.0, Prefixes::kSi},
    Symbol{"USD", dim::kMoney, 0, 0, 1.0, Prefixes::kNone},
    Symbol{"$", dim::kMoney, 0, 0, 1.0, Prefixes::kNone},
    Symbol{"FLOP", dim::kWork, 0, 0, 1.0, Prefixes::kSi},
    Symbol{"OP", dim::kWork, 0, 0, 1.0, Prefixes::kSi},
    Symbol{"op", dim::kWork, 0, 0, 1.0, Prefixes::kSi},
    Symbol{"FLOPS", OpRate::kDim, 0, 0, 1.0, Prefixes::kSi},
    Symbol{"OPS", OpRate::kDim, 0, 0, 1.0, Prefixes::kSi},
    Symbol{"%", kDimensionless, -2, 0, 1.0, Prefixes::kNone},
};

struct Prefix {
  std::string_view name;
  int dec_exp;
  int bin_exp;
  bool data_only;     // K and the IEC prefixes
  bool sub_multiple;  // m u n p f: not for data
  bool suggest;       // offered in "did you mean" (the µ spellings are not)
};

// Two-byte prefixes first, so "Ki" is not read as "K" + "iB".
constexpr std::array kPrefixes = {
    Prefix{"Ki", 0, 10, true, false, true},  Prefix{"Mi", 0, 20, true, false, true},
    Prefix{"Gi", 0, 30, true, false, true},  Prefix{"Ti", 0, 40, true, false, true},
    Prefix{"Pi", 0, 50, true, false, true},  Prefix{"Ei", 0, 60, true, false, true},
    Prefix{"\u00b5", -6, 0, false, true, false},  // MICRO SIGN
    Prefix{"\u03bc", -6, 0, false, true, false},  // GREEK SMALL LETTER MU
    Prefix{"k", 3, 0, false, false, true},   Prefix{"M", 6, 0, false, false, true},
    Prefix{"G", 9, 0, false, false, true},   Prefix{"T", 12, 0, false, false, true},
    Prefix{"P", 15, 0, false, false, true},  Prefix{"E", 18, 0, false, false, true},
    Prefix{"m", -3, 0, false, true, true},   Prefix{"u", -6, 0, false, true, true},
    Prefix{"n", -9, 0, false, true, true},   Prefix{"p", -12, 0, false, true, true},
    Prefix{"f", -15, 0, false, true, true},
    // "KB" is a common spelling of kB; it is 1000 B, like kB (KiB is 1024 B).
    Prefix{"K", 3, 0, true, false, true},
};

bool prefix_allowed(const Prefix& p, Prefixes allowed) {
  switch (allowed) {
    case Prefixes::kNone: return false;
    case Prefixes::kSi: return !p.data_only;
    case Prefixes::kData: return !p.sub_multiple;
  }
  return false;
}

// The value of a unit expression: its dimension and its scale.
struct UnitValue {
  DimVector dim;
  int dec_exp = 0;
  int bin_exp = 0;
  double factor = 1.0;
};

UnitValue combine(const UnitValue& a, const UnitValue& b, bool divide) {
  if (divide) {
    return {a.dim - b.dim, a.dec_exp - b.dec_exp, a.bin_exp - b.bin_exp, a.factor / b.factor};
  }
  return {a.dim + b.dim, a.dec_exp + b.dec_exp, a.bin_exp + b.bin_exp, a.factor * b.factor};
}

UnitValue raise(const UnitValue& u, int n) {
  const DimVector& d = u.dim;
  return {{d.time * n, d.data * n, d.energy * n, d.length * n, d.money * n, d.work * n},
          u.dec_exp * n,
          u.bin_exp * n,
          std::pow(u.factor, n)};
}

std::optional<UnitValue> lookup_symbol(std::string_view token) {
  for (const auto& s : kSymbols) {
    if (s.name == token) return UnitValue{s.dim, s.dec_exp, s.bin_exp, s.factor};
  }
  for (const auto& p : kPrefixes) {
    if (!token.starts_with(p.name)) continue;
    const std::string_view rest = token.substr(p.name.size());
    for (const auto& s : kSymbols) {
      if (s.name == rest && prefix_allowed(p, s.prefixes)) {
        return UnitValue{s.dim, s.dec_exp + p.dec_exp, s.bin_exp + p.bin_exp, s.factor};
      }
    }
  }
  return std::nullopt;
}

// ---- Unit expressions ---------------------------------------------------------

struct UnitError {
  bool unknown_symbol = false;  // else a syntax error
  std::size_t offset = 0;       // of the unknown symbol in the unit text
  std::size_t length = 0;
  std::string detail;           // for syntax errors
};

using UnitParse = std::variant<UnitValue, UnitError>;

constexpr std::string_view kMiddleDot = "\u00b7";
constexpr std::string_view kSquared = "\u00b2";
constexpr std::string_view kCubed = "\u00b3";

bool is_space(char c) {
  return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v';
}
bool is_digit(char c) { return c >= '0' && c <= '9'; }

// unit   := term (('*' | '·' | '/') term)*      left-associative
// term   := ('(' unit ')' | symbol) exponent?
// exponent := '^' [+-]? digits | '²' | '³'
class UnitParser {
 public:
  explicit UnitParser(std::string_view text) : text_(text) {}

  UnitParse parse() {
    std::optional<UnitValue> v = expression(0);
    if (!error_ && pos_ < text_.size()) {
      if (is_space(text_[pos_])) {
        fail("symbols are joined with '*' or '/', not spaces");
      } else if (text_[pos_] == ')') {
        fail("a ')' has no matching '('");
      } else {
        fail(fmt::format("unexpected \"{}\"", text_.substr(pos_)));
      }
    }
    if (error_) return std::move(*error_);
    return *v;
  }

 private:
  // Deep enough for any real unit; bounds the recursion on hostile input.
  static constexpr int kMaxDepth = 8;
  static constexpr int kMaxExponent = 99;

  std::optional<UnitValue> expression(int depth) {
    std::optional<UnitValue> acc = term(depth);
    while (acc) {
      const std::size_t before = pos_;
      skip_spaces();
      bool divide = false;
      if (eat("/")) {
        divide = true;
      } else if (!eat("*") && !eat(kMiddleDot)) {
        pos_ = before;  // not an operator: the caller decides what it is
        return acc;
      }
      skip_spaces();
      if (at_end() || at_operator()) {
        return fail(fmt::format("a unit symbol is missing after '{}'", divide ? '/' : '*'));
      }
      std::optional<UnitValue> rhs = term(depth);
      if (!rhs) return std::nullopt;
      acc = combine(*acc, *rhs, divide);
    }
    return acc;
  }

  std::optional<UnitValue> term(int depth) {
    std::optional<UnitValue> base;
    if (eat("(")) {
      if (depth >= kMaxDepth) return fail("parentheses are nested too deeply");
      skip_spaces();
      base = expression(depth + 1);
      if (!base) return std::nullopt;
      skip_spaces();
      if (!eat(")")) return fail("a '(' is not closed");
    } else {
      const std::size_t start = pos_;
      while (!at_end() && !at_token_end()) ++pos_;
      if (pos_ == start) return fail("a unit symbol is missing");
      base = lookup_symbol(text_.substr(start, pos_ - start));
      if (!base) {
        error_ = UnitError{true, start, pos_ - start, {}};
        return std::nullopt;
      }
    }
    if (eat(kSquared)) return raise(*base, 2);
    if (eat(kCubed)) return raise(*base, 3);
    if (!eat("^")) return base;
    bool negative = false;
    if (eat("-")) {
      negative = true;
    } else {
      (void)eat("+");
    }
    int n = 0;
    std::size_t digits = 0;
    while (!at_end() && is_digit(text_[pos_])) {
      n = std::min(n * 10 + (text_[pos_] - '0'), kMaxExponent + 1);
      ++pos_;
      ++digits;
    }
    if (digits == 0) return fail("'^' must be followed by an integer exponent");
    if (n > kMaxExponent) return fail("the exponent is too large");
    return raise(*base, negative ? -n : n);
  }

  bool at_end() const { return pos_ >= text_.size(); }
  bool at_operator() const {
    const std::string_view rest = text_.substr(pos_);
    return rest.starts_with('/') || rest.starts_with('*') || rest.starts_with(kMiddleDot);
  }
  bool at_token_end() const {
    const char c = text_[pos_];
    if (is_space(c) || c == '/' || c == '*' || c == '^' || c == '(' || c == ')') return true;
    const std::string_view rest = text_.substr(pos_);
    return rest.starts_with(kMiddleDot) || rest.starts_with(kSquared) ||
           rest.starts_with(kCubed);
  }
  bool eat(std::string_view s) {
    if (!text_.substr(pos_).starts_with(s)) return false;
    pos_ += s.size();
    return true;
  }
  void skip_spaces() {
    while (!at_end() && is_space(text_[pos_])) ++pos_;
  }
  std::nullopt_t fail(std::string detail) {
    if (!error_) error_ = UnitError{false, 0, 0, std::move(detail)};
    return std::nullopt;
  }

  std::string_view text_;
  std::size_t pos_ = 0;
  std::optional<UnitError> error_;
};

UnitParse parse_unit(std::string_view unit) { return UnitParser(unit).parse(); }

// ---- "Did you mean" -------------------------------------------------------------

char ascii_lower(char c) { return (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c; }

bool iequals(std::string_view a, std::string_view b) {
  return a.size() == b.size() &&
         std::equal(a.begin(), a.end(), b.begin(),
                    [](char x, char y) { return ascii_lower(x) == ascii_lower(y); });
}

// Every spelling the parser accepts, in table order (SI before "K").
std::vector<std::string> all_spellings() {
  std::vector<std::string> out;
  for (const auto& s : kSymbols) out.emplace_back(s.name);
  for (const auto& p : kPrefixes) {
    if (!p.suggest) continue;
    for (const auto& s : kSymbols) {
      if (prefix_allowed(p, s.prefixes)) out.push_back(std::string(p.name) + std::string(s.name));
    }
  }
  return out;
}

// Words people write for units; only ever suggested, never accepted.
constexpr auto kWords = std::to_array<std::pair<std::string_view, std::string_view>>({
    {"sec", "s"}, {"secs", "s"}, {"second", "s"}, {"seconds", "s"},
    {"hr", "h"}, {"hour", "h"}, {"hours", "h"}, {"year", "yr"}, {"years", "yr"}, {"minute", "min"}, {"minutes", "min"},
    {"byte", "B"}, {"bytes", "B"}, {"bits", "bit"}, {"dollars", "USD"},
});

// Replacements for an unknown symbol, most plausible first.
std::vector<std::string> replacements(std::string_view token) {
  std::vector<std::string> out;
  const std::vector<std::string> spellings = all_spellings();
  // "mm2" -> "mm^2"
  std::size_t cut = token.size();
  while (cut > 0 && is_digit(token[cut - 1])) --cut;
  if (cut > 0 && cut < token.size() && lookup_symbol(token.substr(0, cut))) {
    out.push_back(std::string(token.substr(0, cut)) + "^" + std::string(token.substr(cut)));
  }
  // "TFLOPs" -> "TFLOPS", "mb" -> "MB"
  for (const auto& s : spellings) {
    if (iequals(s, token)) out.push_back(s);
  }
  for (const auto& [word, symbol] : kWords) {
    if (iequals(word, token)) out.emplace_back(symbol);
  }
  // "TBs" -> "TB/s"
  for (std::size_t i = 1; i < token.size(); ++i) {
    if (lookup_symbol(token.substr(0, i)) && lookup_symbol(token.substr(i))) {
      out.push_back(std::string(token.substr(0, i)) + "/" + std::string(token.substr(i)));
    }
  }
  // Typos, nearest first.
  const std::size_t limit = token.size() <= 3 ? 1 : 2;
  for (std::size_t d = 1; d <= limit; ++d) {
    for (const auto& s : spellings) {
      if (edit_distance(s, token) == d) out.push_back(s);
    }
  }
  return out;
}

// The corrected unit text, preferring a fix that gives the expected dimension.
std::optional<std::string> suggest_unit(std::string_view unit, const UnitError& error,
                                        DimVector expected) {
  std::optional<std::string> fallback;
  for (const auto& r : replacements(unit.substr(error.offset, error.length))) {
    std::string fixed = std::string(unit.substr(0, error.offset)) + r +
                        std::string(unit.substr(error.offset + error.length));
    const UnitParse p = parse_unit(fixed);
    if (!std::holds_alternative<UnitValue>(p)) continue;
    if (std::get<UnitValue>(p).dim == expected) return fixed;
    if (!fallback) fallback = std::move(fixed);
  }
  return fallback;
}

// ---- Messages -------------------------------------------------------------------

bool starts_with_vowel(std::string_view s) {
  return !s.empty() && std::string_view("aeiouAEIOU").find(s.front()) != std::string_view::npos;
}

// "a bandwidth such as "3.35 TB/s"", or for unnamed dimensions
// "a value in B/(s*m) such as "1 B/(s*m)"".
std::string expected_phrase(DimVector d) {
  const DimInfo info = describe(d);
  if (find_named(d) == nullptr) {
    return fmt::format("a value in {} such as \"{}\"", info.name, info.example);
  }
  return fmt::format("{} {} such as \"{}\"", starts_with_vowel(info.name) ? "an" : "a", info.name,
                     info.example);
}

// "is a data size", "is an energy", "is in B/(s*m)".
std::string kind_phrase(DimVector d) {
  const DimInfo info = describe(d);
  if (find_named(d) == nullptr) return "is in " + info.name;
  return fmt::format("is {} {}", starts_with_vowel(info.name) ? "an" : "a", info.name);
}

std::string_view trim(std::string_view s) {
  while (!s.empty() && is_space(s.front())) s.remove_prefix(1);
  while (!s.empty() && is_space(s.back())) s.remove_suffix(1);
  return s;
}

bool is_letter(char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'); }

std::string join_with(const std::vector<std::string>& parts, std::string_view separator) {
  std::string out;
  for (const auto& p : parts) {
    if (!out.empty()) out += separator;
    out += p;
  }
  return out;
}

// ---- Formatting helpers -----------------------------------------------------------

void trim_zeros(std::string& s) {
  if (s.find('.') == std::string::npos) return;
  while (s.back() == '0') s.pop_back();
  if (s.back() == '.') s.pop_back();
}

// `v` with `significant` significant digits, but never fewer than its integer
// digits: 3.35, 989, 12345. Very large or very small values go scientific.
std::string number_text(double v, int significant) {
  if (v == 0.0) return "0";
  // A finite base can overflow once scaled to the shown unit (1e308 m^2 in mm^2).
  if (std::isnan(v)) return "nan";
  if (std::isinf(v)) return v > 0 ? "inf" : "-inf";
  const double a = std::fabs(v);
  if (a >= 1e15 || a < 1e-4) {
    std::string s = fmt::format("{:.{}e}", v, significant - 1);
    const std::size_t e = s.find('e');
    std::string mantissa = s.substr(0, e);
    trim_zeros(mantissa);
    return mantissa + s.substr(e);
  }
  const int magnitude = static_cast<int>(std::floor(std::log10(a)));
  const int decimals = std::max(0, significant - 1 - magnitude);
  std::string s = fmt::format("{:.{}f}", v, decimals);
  trim_zeros(s);
  return s;
}

double read_back(const std::string& s) {
  double v = 0.0;
  std::from_chars(s.data(), s.data() + s.size(), v);
  return v;
}

std::string with_thousands(std::string s) {
  if (s.find('e') != std::string::npos) return s;
  const std::size_t begin = (!s.empty() && s.front() == '-') ? 1 : 0;
  std::size_t end = s.find('.');
  if (end == std::string::npos) end = s.size();
  for (std::size_t i = end; i > begin + 3; i -= 3) s.insert(i - 3, 1, ',');
  return s;
}

std::string join(const std::string& number, std::string_view unit) {
  return unit.empty() ? number : number + " " + std::string(unit);
}

struct ShownPrefix {
  std::string_view name;
  double scale;
};

constexpr std::array kSiShown = {
    ShownPrefix{"p", 1e-12}, ShownPrefix{"n", 1e-9}, ShownPrefix{"u", 1e-6},
    ShownPrefix{"m", 1e-3},  ShownPrefix{"", 1.0},   ShownPrefix{"k", 1e3},
    ShownPrefix{"M", 1e6},   ShownPrefix{"G", 1e9},  ShownPrefix{"T", 1e12},
    ShownPrefix{"P", 1e15},  ShownPrefix{"E", 1e18},
};
constexpr std::array kSiMultiples = {
    ShownPrefix{"", 1.0}, ShownPrefix{"k", 1e3},  ShownPrefix{"M", 1e6}, ShownPrefix{"G", 1e9},
    ShownPrefix{"T", 1e12}, ShownPrefix{"P", 1e15}, ShownPrefix{"E", 1e18},
};
constexpr std::array kIecShown = {
    ShownPrefix{"", 1.0},
    ShownPrefix{"Ki", 1024.0},
    ShownPrefix{"Mi", 1024.0 * 1024},
    ShownPrefix{"Gi", 1024.0 * 1024 * 1024},
    ShownPrefix{"Ti", 1024.0 * 1024 * 1024 * 1024},
    ShownPrefix{"Pi", 1024.0 * 1024 * 1024 * 1024 * 1024},
    ShownPrefix{"Ei", 1024.0 * 1024 * 1024 * 1024 * 1024 * 1024},
};

// The largest prefix not above |v|, moved up one when rounding carries the
// mantissa to the next prefix (999.96 GB/s is "1 TB/s", not "1000 GB/s").
template <std::size_t N>
std::string with_prefix(double v, std::string_view unit, int significant,
                        const std::array<ShownPrefix, N>& prefixes, std::size_t last,
                        double step) {
  if (v == 0.0) return join("0", unit);
  const double a = std::fabs(v);
  std::size_t i = 0;
  while (i < last && prefixes[i + 1].scale <= a) ++i;
  std::string mantissa = number_text(v / prefixes[i].scale, significant);
  if (i < last && std::fabs(read_back(mantissa)) >= step) {
    ++i;
    mantissa = number_text(v / prefixes[i].scale, significant);
  }
  return mantissa + " " + std::string(prefixes[i].name) + std::string(unit);
}

// "B/(s*m)" from exponents, or "s^-2" when nothing is in the numerator.
std::string unit_from_exponents(DimVector d) {
  const std::array<std::pair<std::string_view, int>, 6> parts = {{
      {"USD", d.money}, {"J", d.energy}, {"FLOP", d.work},
      {"B", d.data},    {"s", d.time},   {"m", d.length},
  }};
  auto factor = [](std::string_view symbol, int n) {
    return n == 1 ? std::string(symbol) : fmt::format("{}^{}", symbol, n);
  };
  std::vector<std::string> numerator;
  std::vector<std::string> denominator;
  for (const auto& [symbol, n] : parts) {
    if (n > 0) numerator.push_back(factor(symbol, n));
    if (n < 0) denominator.push_back(factor(symbol, -n));
  }
  if (numerator.empty()) {
    std::vector<std::string> inverse;
    for (const auto& [symbol, n] : parts) {
      if (n != 0) inverse.push_back(factor(symbol, n));
    }
    return join_with(inverse, "*");
  }
  std::string out = join_with(numerator, "*");
  if (denominator.size() == 1) out += "/" + denominator.front();
  if (denominator.size() > 1) out += "/(" + join_with(denominator, "*") + ")";
  return out;
}

}  // namespace

// ---- Public API -----------------------------------------------------------------

Result<double> parse_quantity(std::string_view text, DimVector expected) {
  const std::string_view t = trim(text);
  if (t.empty()) {
    return bad_input(fmt::format("expected {}, got an empty value", expected_phrase(expected)));
  }

  // The number: [sign] digits [. digits] [e [sign] digits]. Scanned by hand
  // so that "1e3B" and "1EB" split where a person would split them.
  std::size_t pos = 0;
  bool negative = false;
  if (t[pos] == '+' || t[pos] == '-') negative = t[pos++] == '-';
  const std::size_t int_begin = pos;
  while (pos < t.size() && is_digit(t[pos])) ++pos;
  const std::string_view int_digits = t.substr(int_begin, pos - int_begin);
  std::string_view frac_digits;
  if (pos < t.size() && t[pos] == '.') {
    const std::size_t frac_begin = ++pos;
    while (pos < t.size() && is_digit(t[pos])) ++pos;
    frac_digits = t.substr(frac_begin, pos - frac_begin);
  }
  if (int_digits.empty() && frac_digits.empty()) {
    std::size_t word_end = int_begin;
    while (word_end < t.size() && is_letter(t[word_end])) ++word_end;
    const std::string_view word = t.substr(int_begin, word_end - int_begin);
    if (iequals(word, "inf") || iequals(word, "infinity") || iequals(word, "nan")) {
      return bad_input(fmt::format("\"{}\" is not a finite number; expected {}", t,
                                   expected_phrase(expected)));
    }
    return bad_input(fmt::format("expected {}, got \"{}\"", expected_phrase(expected), t));
  }
  long long exponent = 0;
  if (pos + 1 < t.size() && (t[pos] == 'e' || t[pos] == 'E')) {
    std::size_t e = pos + 1;
    bool exp_negative = false;
    if (t[e] == '+' || t[e] == '-') exp_negative = t[e++] == '-';
    if (e < t.size() && is_digit(t[e])) {
      // Saturate: anything this large is out of range anyway.
      while (e < t.size() && is_digit(t[e])) {
        exponent = std::min(exponent * 10 + (t[e] - '0'), 1000000LL);
        ++e;
      }
      if (exp_negative) exponent = -exponent;
      pos = e;
    }
  }
  const std::size_t number_end = pos;
  while (pos < t.size() && is_space(t[pos])) ++pos;
  if (pos < t.size() && (is_digit(t[pos]) || t[pos] == '.' || t[pos] == ',')) {
    Diagnostic d =
        bad_input(fmt::format("expected {}, got \"{}\"", expected_phrase(expected), t));
    if (t.substr(number_end).starts_with(',')) {
      std::string fixed(t);
      std::erase(fixed, ',');
      d.notes.push_back(fmt::format("write numbers without thousands separators: \"{}\"", fixed));
    }
    return d;
  }

  const std::string_view unit = t.substr(pos);
  UnitValue u;  // a bare number is dimensionless
  if (!unit.empty()) {
    UnitParse p = parse_unit(unit);
    if (auto* e = std::get_if<UnitError>(&p)) {
      if (e->unknown_symbol) {
        Diagnostic d = bad_input(fmt::format("unknown unit \"{}\" in \"{}\"; expected {}",
                                             unit.substr(e->offset, e->length), t,
                                             expected_phrase(expected)));
        if (auto fix = suggest_unit(unit, *e, expected)) {
          d.notes.push_back(fmt::format("did you mean \"{}\"?", *fix));
        }
        return d;
      }
      Diagnostic d = bad_input(
          fmt::format("invalid unit \"{}\" in \"{}\"; expected {}", unit, t,
                      expected_phrase(expected)));
      d.notes.push_back(std::move(e->detail));
      return d;
    }
    u = std::get<UnitValue>(p);
  }
  if (u.dim != expected) {
    if (unit.empty()) {
      return bad_input(fmt::format("expected {}, got {}", expected_phrase(expected), t));
    }
    return bad_input(
        fmt::format("\"{}\" {}, expected {}", t, kind_phrase(u.dim), expected_phrase(expected)));
  }

  // Fold the unit's power of ten into the number's exponent and let
  // from_chars round once.
  const std::string digits = fmt::format(
      "{}{}{}{}e{}", negative ? "-" : "", int_digits.empty() ? "0" : int_digits,
      frac_digits.empty() ? "" : ".", frac_digits, exponent + u.dec_exp);
  double value = 0.0;
  const auto [end, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), value);
  bool in_range = ec == std::errc() && end == digits.data() + digits.size();
  if (in_range) {
    value = std::ldexp(value, u.bin_exp) * u.factor;
    in_range = std::isfinite(value);
  }
  if (!in_range) {
    return bad_input(
        fmt::format("\"{}\" is out of range; expected {}", t, expected_phrase(expected)));
  }
  return value;
}

Result<double> convert_unit(double value, std::string_view from, std::string_view to) {
  auto read = [](std::string_view unit) -> Result<UnitValue> {
    UnitParse p = parse_unit(trim(unit));
    if (auto* u = std::get_if<UnitValue>(&p)) return *u;
    const auto& e = std::get<UnitError>(p);
    Diagnostic d = bad_input(fmt::format("{} unit \"{}\"", e.unknown_symbol ? "unknown" : "invalid", unit));
    if (!e.unknown_symbol) d.notes.push_back(e.detail);
    return d;
  };
  auto a = read(from), b = read(to);
  if (!a || !b) {
    Diagnostics errors = a ? Diagnostics{} : a.errors();
    if (!b) errors.insert(errors.end(), b.errors().begin(), b.errors().end());
    return errors;
  }
  if (a->dim != b->dim) {
    return bad_input(fmt::format("cannot convert \"{}\" to \"{}\": \"{}\" {}, \"{}\" {}", from, to, from,
                                 kind_phrase(a->dim), to, kind_phrase(b->dim)));
  }
  auto scale = [](const UnitValue& u) { return std::ldexp(std::pow(10.0, u.dec_exp), u.bin_exp) * u.factor; };
  return value * (scale(*a) / scale(*b));
}

DimInfo describe(DimVector d) {
  if (const NamedDim* n = find_named(d)) return {std::string(n->name), std::string(n->example)};
  const std::string unit = unit_from_exponents(d);
  return {unit, "1 " + unit};
}

std::string canonical_unit(DimVector d) {
  if (const NamedDim* n = find_named(d)) return std::string(n->canonical_unit);
  return unit_from_exponents(d);
}

double canonical_value(double base, DimVector d) {
  if (const NamedDim* n = find_named(d)) return base * n->canonical_scale;
  return base;
}

std::string format(double base, DimVector d, int significant) {
  if (std::isnan(base)) return "nan";
  if (std::isinf(base)) return base > 0 ? "inf" : "-inf";
  // digits10 (15): more digits would print binary noise (3.3500000000000001).
  significant = std::clamp(significant, 1, std::numeric_limits<double>::digits10);
  const NamedDim* n = find_named(d);
  if (n == nullptr) return join(number_text(base, significant), unit_from_exponents(d));

  const double v = base * n->shown_scale;
  switch (n->style) {
    case Style::kSi:
      return with_prefix(v, n->shown_unit, significant, kSiShown, kSiShown.size() - 1, 1000.0);
    case Style::kMultiples:
      return with_prefix(v, n->shown_unit, significant, kSiMultiples, kSiMultiples.size() - 1,
                         1000.0);
    case Style::kSubSecond:
      // Index 4 is the unprefixed unit: seconds never become ks.
      return with_prefix(v, n->shown_unit, significant, kSiShown, 4, 1000.0);
    case Style::kIec:
      return with_prefix(v, n->shown_unit, significant, kIecShown, kIecShown.size() - 1, 1024.0);
    case Style::kPlain:
      return join(number_text(v, significant), n->shown_unit);
    case Style::kMoney:
      return join(with_thousands(number_text(v, significant)), n->shown_unit);
  }
  return join(number_text(v, significant), n->shown_unit);
}

std::string expected_value(DimVector d) { return expected_phrase(d); }

}  // namespace tfab::core
