// Assembly text and binary images of programs (docs/isa.md).
#include <fmt/format.h>

#include <algorithm>
#include <cctype>
#include <charconv>
#include <cmath>
#include <cstring>
#include <set>

#include "tensorfab/core/spelling.h"
#include "tensorfab/vp/isa.h"

namespace tfab::vp {
namespace {

constexpr std::array<std::string_view, 2> kRoundings{"rne", "sr"};
constexpr std::array<std::string_view, 3> kBroadcasts{"none", "row", "col"};

std::optional<int64_t> parse_int(std::string_view text) {
  bool negative = false;
  if (!text.empty() && (text[0] == '-' || text[0] == '+')) {
    negative = text[0] == '-';
    text.remove_prefix(1);
  }
  int base = 10;
  if (text.size() > 2 && text[0] == '0' && (text[1] == 'x' || text[1] == 'X')) {
    base = 16;
    text.remove_prefix(2);
  }
  int64_t v = 0;
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), v, base);
  if (text.empty() || ec != std::errc{} || end != text.data() + text.size()) return std::nullopt;
  return negative ? -v : v;
}

std::optional<int> parse_indexed(std::string_view text, char prefix, int limit) {
  if (text.size() < 2 || text[0] != prefix) return std::nullopt;
  auto n = parse_int(text.substr(1));
  if (!n || *n < 0 || *n >= limit || !std::isdigit(static_cast<unsigned char>(text[1]))) return std::nullopt;
  return static_cast<int>(*n);
}

bool is_identifier(std::string_view s) {
  if (s.empty() || !(std::isalpha(static_cast<unsigned char>(s[0])) || s[0] == '_')) return false;
  return std::all_of(s.begin(), s.end(), [](char c) {
    return std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '.';
  });
}

// "hbm:0x40", "sram:r2+64", "core3.sram:0".
std::optional<Address> parse_address(std::string_view text) {
  const size_t colon = text.find(':');
  if (colon == std::string_view::npos) return std::nullopt;
  const std::string_view space = text.substr(0, colon), where = text.substr(colon + 1);
  Address a;
  if (space == "hbm") {
    a.space = Space::kHbm;
  } else if (space == "sram") {
    a.space = Space::kSram;
  } else if (space.starts_with("core") && space.ends_with(".sram")) {
    auto core = parse_int(space.substr(4, space.size() - 9));
    if (!core || *core < 0 || space.size() <= 9) return std::nullopt;
    a.core = static_cast<int32_t>(*core);
  } else {
    return std::nullopt;
  }
  if (!where.empty() && where[0] == 'r') {
    const size_t sign = where.find_first_of("+-");
    auto reg = parse_indexed(where.substr(0, sign), 'r', kRegisters);
    if (!reg) return std::nullopt;
    a.reg = *reg;
    if (sign == std::string_view::npos) return a;
    auto offset = parse_int(where.substr(sign));
    if (!offset) return std::nullopt;
    a.offset = *offset;
    return a;
  }
  auto offset = parse_int(where);
  if (!offset) return std::nullopt;
  a.offset = *offset;
  return a;
}

std::string_view expected(FieldKind kind) {
  switch (kind) {
    case FieldKind::kInt: return "an integer such as 64 or 0x40";
    case FieldKind::kRegister: return "a register from r0 to r15";
    case FieldKind::kFloat: return "a finite number such as 0.125";
    case FieldKind::kAddress: return "an address such as hbm:0x1000, sram:r2+64 or core3.sram:0";
    case FieldKind::kTensor: return "an SRAM tensor such as sram:0x400:bf16";
    case FieldKind::kLabel: return "a label";
    case FieldKind::kRounding: return "rne or sr";
    case FieldKind::kBroadcast: return "none, row or col";
  }
  return "";
}

template <size_t N>
std::optional<int64_t> index_of(const std::array<std::string_view, N>& names, std::string_view text) {
  for (size_t i = 0; i < N; ++i) {
    if (names[i] == text) return static_cast<int64_t>(i);
  }
  return std::nullopt;
}

struct Token {
  std::string_view text;
  int column = 0;
};

std::vector<Token> split(std::string_view line) {
  std::vector<Token> out;
  size_t i = 0;
  while (i < line.size()) {
    while (i < line.size() && std::isspace(static_cast<unsigned char>(line[i]))) ++i;
    const size_t start = i;
    while (i < line.size() && !std::isspace(static_cast<unsigned char>(line[i]))) ++i;
    if (i > start) out.push_back({line.substr(start, i - start), static_cast<int>(start) + 1});
  }
  return out;
}

class Assembler {
 public:
  explicit Assembler(const std::string& file) : file_(file) {}

  core::Result<Program> run(std::string_view text, const Machine* machine) {
    int number = 0;
    size_t start = 0;
    while (start <= text.size()) {
      const size_t end = std::min(text.find('\n', start), text.size());
      line(++number, text.substr(start, end - start));
      start = end + 1;
    }
    resolve_labels();
    Program program;
    for (auto& [id, core] : cores_) program.cores.push_back(std::move(core));
    if (errors_.empty()) errors_ = check(program, file_, machine);
    if (!errors_.empty()) return errors_;
    return program;
  }

 private:
  void error(int column, std::string key_path, std::string message, std::optional<std::string> suggestion = {}) {
    core::Diagnostic d = core::bad_input(std::move(message), std::move(key_path));
    d.location = {file_, line_, column};
    if (suggestion) d.notes.push_back(fmt::format("did you mean '{}'?", *suggestion));
    errors_.push_back(std::move(d));
  }

  CoreProgram& current() {
    auto [it, added] = cores_.try_emplace(core_);
    it->second.core = core_;
    return it->second;
  }

  void line(int number, std::string_view text) {
    line_ = number;
    if (const size_t hash = text.find('#'); hash != std::string_view::npos) text = text.substr(0, hash);
    std::vector<Token> tokens = split(text);
    size_t t = 0;
    while (t < tokens.size() && tokens[t].text.size() > 1 && tokens[t].text.back() == ':') {
      const std::string_view label = tokens[t].text.substr(0, tokens[t].text.size() - 1);
      if (!is_identifier(label)) break;
      auto& names = label_index_[core_];
      if (names.contains(std::string(label))) {
        error(tokens[t].column, "", fmt::format("label '{}' is defined twice on core {}", label, core_));
      } else {
        const auto index = static_cast<int64_t>(current().code.size());
        names.emplace(std::string(label), index);
        current().labels.emplace(index, std::string(label));
      }
      ++t;
    }
    if (t == tokens.size()) return;
    if (tokens[t].text.starts_with('.')) return directive(tokens, t);
    instruction(tokens, t);
  }

  void directive(const std::vector<Token>& tokens, size_t t) {
    const Token& d = tokens[t];
    if (d.text != ".core") {
      const std::vector<std::string> known{".core"};
      error(d.column, "", fmt::format("unknown directive '{}'", d.text), core::closest_match(d.text, known));
      return;
    }
    auto id = t + 1 < tokens.size() ? parse_int(tokens[t + 1].text) : std::nullopt;
    if (!id || *id < 0 || *id > 65535 || t + 2 != tokens.size()) {
      error(d.column, ".core", "expected '.core N' with a core number N from 0");
      return;
    }
    core_ = static_cast<int>(*id);
    if (current().line == 0) current().line = line_;
  }

  void instruction(const std::vector<Token>& tokens, size_t t) {
    const Token& word = tokens[t];
    const auto op = parse_opcode(word.text);
    if (!op) {
      std::vector<std::string> names;
      for (const OpcodeSpec& s : opcodes()) names.emplace_back(s.mnemonic);
      error(word.column, "", fmt::format("unknown instruction '{}'", word.text), core::closest_match(word.text, names));
      return;
    }
    const OpcodeSpec& s = spec(*op);
    Instruction ins;
    ins.op = *op;
    ins.line = line_;
    for (size_t f = 0; f < s.fields.size(); ++f) ins.args[f].i = s.fields[f].fallback;
    std::set<std::string_view> seen;
    for (size_t k = t + 1; k < tokens.size(); ++k) {
      const Token& token = tokens[k];
      const size_t eq = token.text.find('=');
      if (eq == std::string_view::npos || eq == 0) {
        error(token.column, std::string(s.mnemonic), fmt::format("expected key=value, got '{}'", token.text));
        continue;
      }
      const std::string_view key = token.text.substr(0, eq), value = token.text.substr(eq + 1);
      const std::string path = fmt::format("{}.{}", s.mnemonic, key);
      if (!seen.insert(key).second) {
        error(token.column, path, fmt::format("'{}' is given twice", key));
        continue;
      }
      if (key == "wait" || key == "signal") {
        sync(ins.sync, key, value, token.column + static_cast<int>(eq) + 1, path);
        continue;
      }
      const auto field = std::find_if(s.fields.begin(), s.fields.end(), [&](const FieldSpec& f) { return f.name == key; });
      if (field == s.fields.end()) {
        std::vector<std::string> keys;
        for (const FieldSpec& f : s.fields) keys.emplace_back(f.name);
        if (s.engine != Engine::kScalar) keys.insert(keys.end(), {"wait", "signal"});
        error(token.column, path, fmt::format("{} takes no '{}'", s.mnemonic, key), core::closest_match(key, keys));
        continue;
      }
      const auto index = static_cast<size_t>(field - s.fields.begin());
      Value& v = ins.args[index];
      v.given = true;
      if (!parse_value(*field, value, v)) {
        error(token.column + static_cast<int>(eq) + 1, path,
              fmt::format("expected {}, got '{}'", expected(field->kind), value));
      } else if (field->kind == FieldKind::kLabel) {
        uses_.push_back({core_, current().code.size(), index, std::string(value), line_,
                         token.column + static_cast<int>(eq) + 1});
      }
    }
    for (const FieldSpec& f : s.fields) {
      if (f.required && !seen.contains(f.name)) {
        error(word.column, fmt::format("{}.{}", s.mnemonic, f.name), fmt::format("{} needs {}=", s.mnemonic, f.name));
      }
    }
    current().code.push_back(ins);
  }

  static bool parse_value(const FieldSpec& field, std::string_view text, Value& v) {
    switch (field.kind) {
      case FieldKind::kInt: {
        auto n = parse_int(text);
        if (n) v.i = *n;
        return n.has_value();
      }
      case FieldKind::kRegister: {
        auto r = parse_indexed(text, 'r', kRegisters);
        if (r) v.i = *r;
        return r.has_value();
      }
      case FieldKind::kFloat: {
        double x = 0;
        const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), x);
        if (text.empty() || ec != std::errc{} || end != text.data() + text.size() || !std::isfinite(x)) return false;
        v.f = x;
        return true;
      }
      case FieldKind::kAddress: {
        auto a = parse_address(text);
        if (a) v.address = *a;
        return a.has_value();
      }
      case FieldKind::kTensor: {
        const size_t colon = text.rfind(':');
        if (colon == std::string_view::npos) return false;
        auto a = parse_address(text.substr(0, colon));
        auto type = parse_data_type(text.substr(colon + 1));
        if (!a || !type) return false;
        v.address = *a;
        v.type = *type;
        return true;
      }
      case FieldKind::kLabel: return is_identifier(text);
      case FieldKind::kRounding: {
        auto n = index_of(kRoundings, text);
        if (n) v.i = *n;
        return n.has_value();
      }
      case FieldKind::kBroadcast: {
        auto n = index_of(kBroadcasts, text);
        if (n) v.i = *n;
        return n.has_value();
      }
    }
    return false;
  }

  void sync(Sync& sync, std::string_view key, std::string_view value, int column, const std::string& path) {
    const size_t colon = value.find(':');
    auto sem = parse_indexed(value.substr(0, colon), 's', kSemaphores);
    std::optional<int64_t> count = 1;
    if (colon != std::string_view::npos) count = parse_int(value.substr(colon + 1));
    if (key == "signal" && colon != std::string_view::npos) count.reset();
    if (!sem || !count || *count < 1 || *count > 65535) {
      error(column, path,
            key == "wait" ? fmt::format("expected a semaphore from s0 to s{} with an optional count (s3 or s3:2), got '{}'",
                                        kSemaphores - 1, value)
                          : fmt::format("expected a semaphore from s0 to s{}, got '{}'", kSemaphores - 1, value));
      return;
    }
    if (key == "wait") {
      sync.wait = *sem;
      sync.count = static_cast<int>(*count);
    } else {
      sync.signal = *sem;
    }
  }

  void resolve_labels() {
    for (const LabelUse& use : uses_) {
      const auto& names = label_index_[use.core];
      auto it = names.find(use.name);
      if (it == names.end()) {
        std::vector<std::string> known;
        for (const auto& [name, index] : names) known.push_back(name);
        line_ = use.line;
        error(use.column, "", fmt::format("label '{}' is not defined on core {}", use.name, use.core),
              core::closest_match(use.name, known));
        continue;
      }
      cores_[use.core].code[use.instruction].args[use.field].i = it->second;
    }
  }

  struct LabelUse {
    int core;
    size_t instruction, field;
    std::string name;
    int line, column;
  };

  const std::string& file_;
  int line_ = 0;
  int core_ = 0;
  std::map<int, CoreProgram> cores_;
  std::map<int, std::map<std::string, int64_t>> label_index_;
  std::vector<LabelUse> uses_;
  core::Diagnostics errors_;
};

std::string offset_text(int64_t offset) {
  return offset < 0 ? fmt::format("-{:#x}", -offset) : fmt::format("{:#x}", offset);
}

std::string address_text(const Address& a) {
  std::string out = a.space == Space::kHbm ? "hbm:" : a.core == Address::kOwnCore ? "sram:" : fmt::format("core{}.sram:", a.core);
  if (a.reg == Address::kNoRegister) return out + offset_text(a.offset);
  out += fmt::format("r{}", a.reg);
  if (a.offset > 0) out += "+" + offset_text(a.offset);
  if (a.offset < 0) out += offset_text(a.offset);
  return out;
}

}  // namespace

core::Result<Program> assemble(std::string_view text, const std::string& file, const Machine* machine) {
  return Assembler(file).run(text, machine);
}

std::string disassemble(const Program& program) {
  std::string out;
  for (const CoreProgram& core : program.cores) {
    // Names for every branch target: the program's own, else L<index>.
    std::map<int64_t, std::string> labels = core.labels;
    for (const Instruction& ins : core.code) {
      const auto& fields = spec(ins.op).fields;
      for (size_t f = 0; f < fields.size(); ++f) {
        if (fields[f].kind == FieldKind::kLabel) labels.try_emplace(ins.args[f].i, fmt::format("L{}", ins.args[f].i));
      }
    }
    out += fmt::format(".core {}\n", core.core);
    for (size_t index = 0; index <= core.code.size(); ++index) {
      if (auto it = labels.find(static_cast<int64_t>(index)); it != labels.end()) out += it->second + ":\n";
      if (index == core.code.size()) break;
      const Instruction& ins = core.code[index];
      const OpcodeSpec& s = spec(ins.op);
      out += "    " + std::string(s.mnemonic);
      for (size_t f = 0; f < s.fields.size(); ++f) {
        const FieldSpec& field = s.fields[f];
        const Value& v = ins.args[f];
        if (!field.required && !v.given) continue;
        out += fmt::format(" {}=", field.name);
        switch (field.kind) {
          case FieldKind::kInt: out += fmt::format("{}", v.i); break;
          case FieldKind::kRegister: out += fmt::format("r{}", v.i); break;
          case FieldKind::kFloat: out += fmt::format("{}", v.f); break;
          case FieldKind::kAddress: out += address_text(v.address); break;
          case FieldKind::kTensor: out += address_text(v.address) + ":" + std::string(name(v.type)); break;
          case FieldKind::kLabel: out += labels.at(v.i); break;
          case FieldKind::kRounding: out += kRoundings[static_cast<size_t>(v.i)]; break;
          case FieldKind::kBroadcast: out += kBroadcasts[static_cast<size_t>(v.i)]; break;
        }
      }
      if (ins.sync.wait != kNoSemaphore) {
        out += fmt::format(" wait=s{}", ins.sync.wait);
        if (ins.sync.count != 1) out += fmt::format(":{}", ins.sync.count);
      }
      if (ins.sync.signal != kNoSemaphore) out += fmt::format(" signal=s{}", ins.sync.signal);
      out += "\n";
    }
  }
  return out;
}

// ---- Binary form ----------------------------------------------------------

namespace {

constexpr std::array<uint8_t, 4> kMagic{'T', 'F', 'V', 'P'};
constexpr uint16_t kVersion = 1;
constexpr uint8_t kNone = 0xFF;

class Writer {
 public:
  void bytes(uint64_t v, int n) {
    for (int i = 0; i < n; ++i) out_.push_back(static_cast<uint8_t>(v >> (8 * i)));
  }
  std::vector<uint8_t> take() { return std::move(out_); }

 private:
  std::vector<uint8_t> out_;
};

class Reader {
 public:
  explicit Reader(std::span<const uint8_t> in) : in_(in) {}
  std::optional<uint64_t> bytes(int n) {
    if (at_ + static_cast<size_t>(n) > in_.size()) return std::nullopt;
    uint64_t v = 0;
    for (int i = 0; i < n; ++i) v |= static_cast<uint64_t>(in_[at_++]) << (8 * i);
    return v;
  }
  size_t at() const { return at_; }
  bool done() const { return at_ == in_.size(); }

 private:
  std::span<const uint8_t> in_;
  size_t at_ = 0;
};

uint8_t small(int v) { return v < 0 ? kNone : static_cast<uint8_t>(v); }

}  // namespace

std::vector<uint8_t> encode(const Program& program) {
  Writer w;
  for (uint8_t b : kMagic) w.bytes(b, 1);
  w.bytes(kVersion, 2);
  w.bytes(program.cores.size(), 2);
  for (const CoreProgram& core : program.cores) {
    w.bytes(static_cast<uint64_t>(core.core), 4);
    w.bytes(core.code.size(), 4);
    for (const Instruction& ins : core.code) {
      const auto& fields = spec(ins.op).fields;
      w.bytes(static_cast<uint8_t>(ins.op), 1);
      w.bytes(fields.size(), 1);
      w.bytes(small(ins.sync.wait), 1);
      w.bytes(small(ins.sync.signal), 1);
      w.bytes(static_cast<uint64_t>(ins.sync.count), 2);
      w.bytes(0, 2);
      for (size_t f = 0; f < fields.size(); ++f) {
        const Value& v = ins.args[f];
        w.bytes(v.given ? 1 : 0, 1);
        w.bytes(static_cast<uint8_t>(v.address.space), 1);
        w.bytes(static_cast<uint8_t>(v.type), 1);
        w.bytes(small(v.address.reg), 1);
        w.bytes(static_cast<uint32_t>(v.address.core), 4);
        uint64_t payload = 0;
        switch (fields[f].kind) {
          case FieldKind::kFloat: std::memcpy(&payload, &v.f, sizeof payload); break;
          case FieldKind::kAddress:
          case FieldKind::kTensor: payload = static_cast<uint64_t>(v.address.offset); break;
          default: payload = static_cast<uint64_t>(v.i); break;
        }
        w.bytes(payload, 8);
      }
    }
  }
  return w.take();
}

core::Result<Program> decode(std::span<const uint8_t> image, const std::string& file, const Machine* machine) {
  Reader r(image);
  auto fail = [&](std::string message) -> core::Result<Program> {
    core::Diagnostic d = core::bad_input(fmt::format("not a tensorfab program image: {} (at byte {})", message, r.at()));
    d.location.file = file;
    return d;
  };
  for (uint8_t b : kMagic) {
    if (r.bytes(1) != b) return fail("it does not start with TFVP");
  }
  if (r.bytes(2) != kVersion) return fail(fmt::format("only version {} is known", kVersion));
  const auto cores = r.bytes(2);
  if (!cores) return fail("it ends inside the header");
  Program program;
  std::set<int> seen_cores;
  for (uint64_t c = 0; c < *cores; ++c) {
    const auto id = r.bytes(4), count = r.bytes(4);
    if (!id || !count) return fail("it ends inside a core's header");
    if (*id > 65535 || !seen_cores.insert(static_cast<int>(*id)).second) return fail("a core number is repeated or too large");
    CoreProgram core;
    core.core = static_cast<int>(*id);
    for (uint64_t n = 0; n < *count; ++n) {
      const auto op = r.bytes(1), field_count = r.bytes(1), wait = r.bytes(1), signal = r.bytes(1), sem_count = r.bytes(2);
      const auto reserved = r.bytes(2);
      if (!reserved || !op) return fail("it ends inside an instruction");
      if (*reserved != 0) return fail("an instruction's reserved bytes are not zero");
      if (*op >= opcodes().size()) return fail(fmt::format("unknown opcode {}", *op));
      Instruction ins;
      ins.op = static_cast<Opcode>(*op);
      const auto& fields = spec(ins.op).fields;
      if (*field_count != fields.size()) return fail(fmt::format("{} needs {} fields", spec(ins.op).mnemonic, fields.size()));
      const bool sems_ok = (*wait == kNone || *wait < kSemaphores) && (*signal == kNone || *signal < kSemaphores);
      if (!sems_ok) return fail("a semaphore number is out of range");
      ins.sync = {*wait == kNone ? kNoSemaphore : static_cast<int>(*wait), static_cast<int>(*sem_count),
                  *signal == kNone ? kNoSemaphore : static_cast<int>(*signal)};
      for (size_t f = 0; f < fields.size(); ++f) {
        const auto given = r.bytes(1), space = r.bytes(1), type = r.bytes(1), reg = r.bytes(1), at_core = r.bytes(4),
                   payload = r.bytes(8);
        if (!payload) return fail("it ends inside an instruction");
        const bool ok = *given <= 1 && *space <= 1 && *type < data_type_names().size() && (*reg == kNone || *reg < kRegisters);
        if (!ok) return fail("a field holds a value out of range");
        Value& v = ins.args[f];
        v.given = *given == 1;
        v.type = static_cast<DataType>(*type);
        v.address = {static_cast<Space>(*space), static_cast<int32_t>(static_cast<uint32_t>(*at_core)),
                     *reg == kNone ? Address::kNoRegister : static_cast<int32_t>(*reg), 0};
        const auto value = static_cast<int64_t>(*payload);
        switch (fields[f].kind) {
          case FieldKind::kFloat: std::memcpy(&v.f, &*payload, sizeof v.f); break;
          case FieldKind::kAddress:
          case FieldKind::kTensor: v.address.offset = value; break;
          default: v.i = value; break;
        }
        const FieldKind kind = fields[f].kind;
        const bool in_range = (kind != FieldKind::kRegister || (value >= 0 && value < kRegisters)) &&
                              (kind != FieldKind::kRounding || (value >= 0 && value < 2)) &&
                              (kind != FieldKind::kBroadcast || (value >= 0 && value < 3)) &&
                              (kind != FieldKind::kLabel || (value >= 0 && static_cast<uint64_t>(value) <= *count)) &&
                              (kind != FieldKind::kFloat || std::isfinite(v.f));
        if (!in_range) return fail(fmt::format("{}.{} is out of range", spec(ins.op).mnemonic, fields[f].name));
      }
      core.code.push_back(ins);
    }
    program.cores.push_back(std::move(core));
  }
  if (!r.done()) return fail("bytes follow the last core");
  std::sort(program.cores.begin(), program.cores.end(), [](const auto& a, const auto& b) { return a.core < b.core; });
  core::Diagnostics errors = check(program, file, machine);
  if (!errors.empty()) return errors;
  return program;
}

}  // namespace tfab::vp
