#include "tensorfab/vp/isa.h"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>

namespace tfab::vp {
namespace {

struct TypeInfo {
  DataType type;
  std::string_view name;
  int bits;
};
// Names as in formats.h; an MX type stores its element's bits.
constexpr std::array<TypeInfo, 16> kTypes{{
    {DataType::kFp32, "fp32", 32},           {DataType::kFp16, "fp16", 16},
    {DataType::kBf16, "bf16", 16},           {DataType::kFp8E4m3, "fp8-e4m3", 8},
    {DataType::kFp8E5m2, "fp8-e5m2", 8},     {DataType::kFp6E3m2, "fp6-e3m2", 6},
    {DataType::kFp6E2m3, "fp6-e2m3", 6},     {DataType::kFp4E2m1, "fp4-e2m1", 4},
    {DataType::kInt8, "int8", 8},            {DataType::kInt4, "int4", 4},
    {DataType::kMxfp8E4m3, "mxfp8-e4m3", 8}, {DataType::kMxfp8E5m2, "mxfp8-e5m2", 8},
    {DataType::kMxfp6E3m2, "mxfp6-e3m2", 6}, {DataType::kMxfp6E2m3, "mxfp6-e2m3", 6},
    {DataType::kMxfp4, "mxfp4", 4},          {DataType::kMxint8, "mxint8", 8},
}};

const TypeInfo& info(DataType t) { return kTypes[static_cast<size_t>(t)]; }

using K = FieldKind;
const FieldSpec kRound{"round", K::kRounding, false, 0};
const FieldSpec kSeed{"seed", K::kInt, false, 0};

std::vector<OpcodeSpec> make_opcodes() {
  const std::vector<FieldSpec> binary{{"dst", K::kTensor}, {"a", K::kTensor}, {"b", K::kTensor},
                                      {"rows", K::kInt},   {"cols", K::kInt}, {"bcast", K::kBroadcast, false, 0},
                                      kRound,              kSeed};
  const std::vector<FieldSpec> unary{{"dst", K::kTensor}, {"src", K::kTensor}, {"rows", K::kInt},
                                     {"cols", K::kInt},   kRound,              kSeed};
  const std::vector<FieldSpec> with_immediate{{"dst", K::kTensor}, {"src", K::kTensor}, {"rows", K::kInt},
                                              {"cols", K::kInt},   {"imm", K::kFloat},  kRound, kSeed};
  const std::vector<FieldSpec> jump{{"a", K::kRegister}, {"b", K::kRegister}, {"target", K::kLabel}};
  const std::vector<FieldSpec> arithmetic{{"dst", K::kRegister}, {"a", K::kRegister}, {"b", K::kRegister}};
  using E = Engine;
  using O = Opcode;
  return {
      {O::kLi, "li", E::kScalar, "dst = imm", {{"dst", K::kRegister}, {"imm", K::kInt}}},
      {O::kLd, "ld", E::kScalar, "dst = the integer part of the element at src (this core's SRAM, as it is now)",
       {{"dst", K::kRegister}, {"src", K::kTensor}}},
      {O::kAddi, "addi", E::kScalar, "dst = src + imm", {{"dst", K::kRegister}, {"src", K::kRegister}, {"imm", K::kInt}}},
      {O::kAdd, "add", E::kScalar, "dst = a + b", arithmetic},
      {O::kMul, "mul", E::kScalar, "dst = a * b", arithmetic},
      {O::kBlt, "blt", E::kScalar, "go to target if a < b", jump},
      {O::kBne, "bne", E::kScalar, "go to target if a != b", jump},
      {O::kJmp, "jmp", E::kScalar, "go to target", {{"target", K::kLabel}}},
      {O::kBarrier, "barrier", E::kScalar, "wait for this core's engines, then for every core to reach barrier id",
       {{"id", K::kInt}}},
      {O::kHalt, "halt", E::kScalar, "end of this core's stream", {}},
      {O::kDma, "dma", E::kDma, "copy rows x row_bytes bytes from src to dst, rows apart by the strides (0: row_bytes)",
       {{"dst", K::kAddress},
        {"src", K::kAddress},
        {"rows", K::kInt},
        {"row_bytes", K::kInt},
        {"dst_stride", K::kInt, false, 0},
        {"src_stride", K::kInt, false, 0},
        {"queue", K::kInt, false, 0}}},
      {O::kMatmul, "matmul", E::kTensor,
       "dst[m x n] (+)= a[m x k] . b[n x k]^T, accumulated in dst's type; accumulate=1 adds to dst",
       {{"dst", K::kTensor},
        {"a", K::kTensor},
        {"b", K::kTensor},
        {"m", K::kInt},
        {"n", K::kInt},
        {"k", K::kInt},
        {"accumulate", K::kInt, false, 0},
        {"a_scales", K::kAddress, false, 0},
        {"b_scales", K::kAddress, false, 0}}},
      {O::kVadd, "vadd", E::kVector, "dst = a + b", binary},
      {O::kVsub, "vsub", E::kVector, "dst = a - b", binary},
      {O::kVmul, "vmul", E::kVector, "dst = a * b", binary},
      {O::kVmax, "vmax", E::kVector, "dst = max(a, b)", binary},
      {O::kVexp, "vexp", E::kVector, "dst = exp(src)", unary},
      {O::kVrsqrt, "vrsqrt", E::kVector, "dst = 1 / sqrt(src)", unary},
      {O::kVrecip, "vrecip", E::kVector, "dst = 1 / src", unary},
      {O::kVsilu, "vsilu", E::kVector, "dst = src / (1 + exp(-src))", unary},
      {O::kVgelu, "vgelu", E::kVector, "dst = GELU(src), tanh form", unary},
      {O::kVmuls, "vmuls", E::kVector, "dst = src * imm", with_immediate},
      {O::kVadds, "vadds", E::kVector, "dst = src + imm", with_immediate},
      {O::kVrsum, "vrsum", E::kVector, "dst[rows x 1] = sum of each row of src", unary},
      {O::kVrmax, "vrmax", E::kVector, "dst[rows x 1] = max of each row of src", unary},
      {O::kVrargmax, "vrargmax", E::kVector, "dst[rows x 1] = column of the first max of each row of src", unary},
      {O::kVcast, "vcast", E::kVector, "dst = src in dst's type; MX and INT types read or write their scales",
       {{"dst", K::kTensor},
        {"src", K::kTensor},
        {"rows", K::kInt},
        {"cols", K::kInt},
        {"dst_scales", K::kAddress, false, 0},
        {"src_scales", K::kAddress, false, 0},
        kRound,
        kSeed}},
  };
}

}  // namespace

std::string_view name(DataType t) { return info(t).name; }

std::optional<DataType> parse_data_type(std::string_view text) {
  for (const TypeInfo& t : kTypes) {
    if (t.name == text) return t.type;
  }
  return std::nullopt;
}

std::span<const std::string> data_type_names() {
  static const std::vector<std::string> names = [] {
    std::vector<std::string> out;
    for (const TypeInfo& t : kTypes) out.emplace_back(t.name);
    return out;
  }();
  return names;
}

int storage_bits(DataType t) { return info(t).bits; }
bool is_mx(DataType t) { return t >= DataType::kMxfp8E4m3; }
bool is_int(DataType t) { return t == DataType::kInt8 || t == DataType::kInt4; }

std::string_view name(Engine e) {
  constexpr std::array<std::string_view, 4> kNames{"scalar", "dma", "tensor", "vector"};
  return kNames[static_cast<size_t>(e)];
}

// The executor looks an instruction's spec up several times as it runs it,
// so the table is built once and indexed directly.
const std::vector<OpcodeSpec>& table() {
  static const std::vector<OpcodeSpec> specs = make_opcodes();
  return specs;
}

std::span<const OpcodeSpec> opcodes() { return table(); }

const OpcodeSpec& spec(Opcode op) { return table()[static_cast<size_t>(op)]; }

std::optional<Opcode> parse_opcode(std::string_view mnemonic) {
  for (const OpcodeSpec& s : opcodes()) {
    if (s.mnemonic == mnemonic) return s.op;
  }
  return std::nullopt;
}

core::Result<Machine> machine_for(const hw::ChipSpec& chip) {
  const hw::SramLevel* level = chip.per_core_sram();  // the tile tier's workers
  if (level == nullptr) {
    return core::bad_input(
        fmt::format("chip '{}' describes no SRAM, so its cores have no scratchpad to program", chip.id), "sram");
  }
  Machine m;
  m.chip = chip.id;
  m.cores = level->instances;
  m.sram = level->capacity;
  m.hbm = chip.memory.capacity();
  return m;
}

// ---- Operand extents ------------------------------------------------------

namespace {

double real(int64_t n) { return static_cast<double>(n); }

class ExtentList {
 public:
  explicit ExtentList(const Instruction& ins) : ins_(ins) {}

  void tensor(size_t field, int64_t rows, int64_t cols) {
    if (rows <= 0 || cols <= 0) return;
    const DataType t = ins_.args[field].type;
    add(field, real(rows) * std::ceil(real(cols) * storage_bits(t) / 8));
  }
  // The scales of a scaled tensor operand, where given.
  void scales(size_t field, DataType type, int64_t rows, int64_t cols) {
    if (!ins_.args[field].given || rows <= 0 || cols <= 0) return;
    if (is_mx(type)) add(field, real(rows) * std::ceil(real(cols) / 32));
    if (is_int(type)) add(field, real(rows) * 4);
  }
  void add(size_t field, double bytes) { out_.items[out_.count++] = {field, bytes}; }
  Extents take() const { return out_; }

 private:
  const Instruction& ins_;
  Extents out_;
};

}  // namespace

Extents extents(const Instruction& ins) {
  ExtentList list(ins);
  auto i = [&](size_t field) { return ins.args[field].i; };
  const Opcode op = ins.op;
  if (op == Opcode::kDma) {
    const int64_t rows = i(2), width = i(3);
    if (rows > 0 && width > 0) {
      for (size_t side : {size_t{0}, size_t{1}}) {
        const int64_t stride = i(4 + side) == 0 ? width : i(4 + side);
        list.add(side, real(rows - 1) * real(stride) + real(width));
      }
    }
  } else if (op == Opcode::kMatmul) {
    const int64_t m = i(3), n = i(4), k = i(5);
    list.tensor(0, m, n);
    list.tensor(1, m, k);
    list.tensor(2, n, k);
    list.scales(7, ins.args[1].type, m, k);
    list.scales(8, ins.args[2].type, n, k);
  } else if (op >= Opcode::kVadd && op <= Opcode::kVmax) {
    const int64_t rows = i(3), cols = i(4), bcast = i(5);
    list.tensor(0, rows, cols);
    list.tensor(1, rows, cols);
    list.tensor(2, bcast == 1 ? 1 : rows, bcast == 2 ? 1 : cols);
  } else if (op == Opcode::kLd) {
    list.tensor(1, 1, 1);
  } else if (spec(op).engine == Engine::kVector) {
    const int64_t rows = i(2), cols = i(3);
    const bool reduces = op == Opcode::kVrsum || op == Opcode::kVrmax || op == Opcode::kVrargmax;
    list.tensor(0, rows, reduces ? 1 : cols);
    list.tensor(1, rows, cols);
    if (op == Opcode::kVcast) {
      list.scales(4, ins.args[0].type, rows, cols);
      list.scales(5, ins.args[1].type, rows, cols);
    }
  }
  return list.take();
}

// ---- Checks ---------------------------------------------------------------

namespace {

class Checker {
 public:
  Checker(const std::string& file, const Machine* machine) : file_(file), machine_(machine) {}

  void instruction(const CoreProgram& core, size_t index) {
    const Instruction& ins = core.code[index];
    const OpcodeSpec& s = spec(ins.op);
    core_ = core.core, index_ = index, ins_ = &ins, spec_ = &s;
    for (size_t f = 0; f < s.fields.size(); ++f) {
      const FieldSpec& field = s.fields[f];
      const Value& v = ins.args[f];
      if (field.kind == FieldKind::kInt && field.name != "imm") {
        const bool positive = field.name == "rows" || field.name == "cols" || field.name == "row_bytes" ||
                              field.name == "m" || field.name == "n" || field.name == "k";
        if (positive ? v.i <= 0 : v.i < 0) {
          error(field.name, fmt::format("expected {} integer, got {}", positive ? "a positive" : "a non-negative", v.i));
        }
      }
      if ((field.kind == FieldKind::kAddress || field.kind == FieldKind::kTensor) && v.address.core != Address::kOwnCore) {
        if (ins.op != Opcode::kDma) error(field.name, "only DMA reaches another core's SRAM");
        if (machine_ != nullptr && v.address.core >= machine_->cores) {
          error(field.name, fmt::format("core {} does not exist: {} has {} cores", v.address.core, machine_->chip,
                                        machine_->cores));
        }
      }
      const bool addressed = field.kind == FieldKind::kAddress || field.kind == FieldKind::kTensor;
      if (addressed && ins.op != Opcode::kDma && v.address.space != Space::kSram) {
        error(field.name, fmt::format("{} reads and writes SRAM only (move data with dma)", s.mnemonic));
      }
    }
    if (ins.sync.count < 1) error("wait", fmt::format("expected a count of at least 1, got {}", ins.sync.count));
    switch (s.engine) {
      case Engine::kDma: dma(); break;
      case Engine::kTensor: matmul(); break;
      case Engine::kVector: vector(); break;
      case Engine::kScalar: {
        if (ins.sync.wait != kNoSemaphore || ins.sync.signal != kNoSemaphore) {
          error("wait", "scalar instructions take no wait= or signal= (the engines do)");
        }
        if (ins.op == Opcode::kLd) unscaled("src");
        break;
      }
    }
    const Extents spans = extents(ins);
    for (const Extent& e : spans.all()) within(s.fields[e.field].name, ins.args[e.field].address, e.bytes);
  }

  core::Diagnostics take() { return std::move(errors_); }

 private:
  int64_t i(std::string_view field) const { return field_value(field).i; }
  const Value& field_value(std::string_view field) const {
    for (size_t f = 0; f < spec_->fields.size(); ++f) {
      if (spec_->fields[f].name == field) return ins_->args[f];
    }
    return ins_->args[0];  // not reached: callers name fields of their own opcode
  }

  void error(std::string_view field, std::string message) {
    core::Diagnostic d = core::bad_input(std::move(message), fmt::format("{}.{}", spec_->mnemonic, field));
    d.location = {file_, ins_->line, 0};
    if (ins_->line == 0) d.notes.push_back(fmt::format("core {}, instruction {}", core_, index_));
    errors_.push_back(std::move(d));
  }

  // An operand of `bytes` bytes at an immediate address must lie inside
  // its memory; a register-based one is checked when it runs.
  void within(std::string_view field, const Address& a, double bytes) {
    if (machine_ == nullptr || a.reg != Address::kNoRegister) return;
    const bool sram = a.space == Space::kSram;
    const double size = sram ? machine_->sram.base() : machine_->hbm.base();
    if (a.offset < 0 || static_cast<double>(a.offset) + bytes > size) {
      error(field, fmt::format("{:.0f} bytes at {:#x} pass the end of {} ({} bytes{})", bytes, a.offset,
                               sram ? "the core's SRAM" : "HBM", static_cast<int64_t>(size),
                               sram ? fmt::format(" per core on {}", machine_->chip) : ""));
    }
  }

  void dma() {
    const int64_t width = i("row_bytes");
    if (i("queue") >= kDmaQueues) error("queue", fmt::format("expected a queue from 0 to {}", kDmaQueues - 1));
    for (std::string_view side : {"dst", "src"}) {
      const std::string stride_name = fmt::format("{}_stride", side);
      const int64_t stride = i(stride_name) == 0 ? width : i(stride_name);
      if (stride < width) {
        error(stride_name, fmt::format("a stride of {} would overlap rows of {} bytes", stride, width));
      }
    }
  }

  // Scales of an MX or INT operand: required exactly when the type has them.
  void scales(std::string_view field, std::string_view operand, DataType type) {
    const bool wanted = is_mx(type) || is_int(type);
    const bool given = field_value(field).given;
    if (wanted && !given) error(field, fmt::format("{} is {}: give its scales", operand, name(type)));
    if (!wanted && given) error(field, fmt::format("{} is {}, which has no scales", operand, name(type)));
  }

  void matmul() {
    const DataType acc = field_value("dst").type;
    if (acc != DataType::kFp32 && acc != DataType::kFp16 && acc != DataType::kBf16) {
      error("dst", fmt::format("the accumulator must be fp32, fp16 or bf16, got {}", name(acc)));
    }
    if (i("accumulate") > 1) error("accumulate", "expected 0 or 1");
    scales("a_scales", "a", field_value("a").type);
    scales("b_scales", "b", field_value("b").type);
  }

  void vector() {
    if (ins_->op == Opcode::kVcast) {
      scales("dst_scales", "dst", field_value("dst").type);
      scales("src_scales", "src", field_value("src").type);
      return;
    }
    for (const FieldSpec& f : spec_->fields) {
      if (f.kind == FieldKind::kTensor) unscaled(f.name);
    }
  }

  void unscaled(std::string_view field) {
    const DataType t = field_value(field).type;
    if (is_mx(t) || is_int(t)) {
      error(field, fmt::format("{} holds scaled values; convert it with vcast first", name(t)));
    }
  }

  const std::string& file_;
  const Machine* machine_;
  int core_ = 0;
  size_t index_ = 0;
  const Instruction* ins_ = nullptr;
  const OpcodeSpec* spec_ = nullptr;
  core::Diagnostics errors_;
};

}  // namespace

core::Diagnostics check(const Program& program, const std::string& file, const Machine* machine) {
  Checker checker(file, machine);
  core::Diagnostics errors;
  for (const CoreProgram& core : program.cores) {
    if (machine != nullptr && core.core >= machine->cores) {
      core::Diagnostic d = core::bad_input(
          fmt::format("core {} does not exist: {} has {} cores", core.core, machine->chip, machine->cores), ".core");
      d.location = {file, core.line, 0};
      errors.push_back(std::move(d));
    }
    for (size_t index = 0; index < core.code.size(); ++index) checker.instruction(core, index);
  }
  core::Diagnostics found = checker.take();
  errors.insert(errors.end(), found.begin(), found.end());
  return errors;
}

}  // namespace tfab::vp
