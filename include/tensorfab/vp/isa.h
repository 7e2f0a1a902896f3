#pragma once
// The tensorfab instruction set (docs/isa.md). A chip is a set of cores,
// each with a scalar control unit, DMA queues, a tensor engine and a vector
// engine around a scratchpad SRAM, sharing HBM. Each core runs its own
// instruction stream: the scalar unit executes control flow and hands every
// other instruction to its engine's queue; engines run their queues in
// order and meet through semaphores (`wait=` and `signal=` on any engine
// instruction) and barriers across cores.

#include <array>
#include <cstdint>
#include <map>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "tensorfab/core/result.h"
#include "tensorfab/core/units.h"
#include "tensorfab/hw/chip.h"

namespace tfab::vp {

// ---- Operand types --------------------------------------------------------

// What a tensor operand holds (formats.h has the encodings). Elements pack
// densely, little-end first; MX types keep their E8M0 scales apart (one per
// 32 elements along a row), INT types an FP32 scale per row.
enum class DataType : uint8_t {
  kFp32, kFp16, kBf16, kFp8E4m3, kFp8E5m2, kFp6E3m2, kFp6E2m3, kFp4E2m1, kInt8, kInt4,
  kMxfp8E4m3, kMxfp8E5m2, kMxfp6E3m2, kMxfp6E2m3, kMxfp4, kMxint8,
};
[[nodiscard]] std::string_view name(DataType t);
[[nodiscard]] std::optional<DataType> parse_data_type(std::string_view text);
[[nodiscard]] std::span<const std::string> data_type_names();
[[nodiscard]] int storage_bits(DataType t);
[[nodiscard]] bool is_mx(DataType t);
[[nodiscard]] bool is_int(DataType t);

enum class Space : uint8_t { kHbm, kSram };

// A byte address: a space, an optional base register and an offset. SRAM is
// the running core's, or another core's (`core3.sram:`, DMA only).
struct Address {
  static constexpr int32_t kOwnCore = -1, kNoRegister = -1;
  Space space = Space::kSram;
  int32_t core = kOwnCore;
  int32_t reg = kNoRegister;
  int64_t offset = 0;
  bool operator==(const Address&) const = default;
};

// ---- Instructions ---------------------------------------------------------

enum class Engine : uint8_t { kScalar, kDma, kTensor, kVector };
[[nodiscard]] std::string_view name(Engine e);

enum class Opcode : uint8_t {
  kLi, kLd, kAddi, kAdd, kMul, kBlt, kBne, kJmp, kBarrier, kHalt,  // scalar control
  kDma,                                                       // DMA
  kMatmul,                                                    // tensor
  kVadd, kVsub, kVmul, kVmax,                                 // vector: a (op) b
  kVexp, kVrsqrt, kVrecip, kVsilu, kVgelu,                    // vector: f(src)
  kVmuls, kVadds,                                             // vector: src (op) immediate
  kVrsum, kVrmax, kVrargmax,                                  // vector: reduce each row
  kVcast,                                                     // vector: convert, quantise
};

enum class FieldKind : uint8_t {
  kInt,        // 64, -3, 0x40
  kRegister,   // r0 .. r15
  kFloat,      // 0.125, -1e-5
  kAddress,    // hbm:0x1000, sram:r2+64, core3.sram:0
  kTensor,     // an SRAM address and its type: sram:0x400:bf16
  kLabel,      // a label of the same core's stream
  kRounding,   // rne | sr
  kBroadcast,  // none | row | col
};

struct FieldSpec {
  std::string_view name;
  FieldKind kind;
  bool required = true;
  int64_t fallback = 0;  // when left out (optional fields)
};

struct OpcodeSpec {
  Opcode op;
  std::string_view mnemonic;
  Engine engine;
  std::string_view summary;
  std::vector<FieldSpec> fields;
};

[[nodiscard]] std::span<const OpcodeSpec> opcodes();
[[nodiscard]] const OpcodeSpec& spec(Opcode op);
[[nodiscard]] std::optional<Opcode> parse_opcode(std::string_view mnemonic);

inline constexpr int kRegisters = 16;
inline constexpr int kSemaphores = 32;   // per core
inline constexpr int kDmaQueues = 4;     // per core
inline constexpr size_t kMaxFields = 10;

// One field's value; which member counts depends on the field's kind.
struct Value {
  int64_t i = 0;  // int, register, label (instruction index), rounding, broadcast
  double f = 0;   // float
  Address address;                  // address, tensor
  DataType type = DataType::kFp32;  // tensor
  bool given = false;               // written in the text (an optional field left out holds its fallback)
  bool operator==(const Value&) const = default;
};

inline constexpr int kNoSemaphore = -1;

// Wait until semaphore `wait` holds at least `count`, take `count` from it,
// run; then add one to `signal`.
struct Sync {
  int wait = kNoSemaphore;
  int count = 1;
  int signal = kNoSemaphore;
  bool operator==(const Sync&) const = default;
};

struct Instruction {
  Opcode op = Opcode::kHalt;
  std::array<Value, kMaxFields> args{};  // in the order of spec(op).fields
  Sync sync;
  int line = 0;  // in the assembly text; 0 when decoded from binary

  [[nodiscard]] const Value& arg(size_t field) const { return args[field]; }
  // The same instruction wherever it was written: the line is not compared.
  bool operator==(const Instruction& o) const { return op == o.op && args == o.args && sync == o.sync; }
};

struct CoreProgram {
  int core = 0;
  int line = 0;  // of its .core directive; 0 when none or from binary
  std::vector<Instruction> code;
  std::map<int64_t, std::string> labels;  // instruction index -> name, for the disassembly
};

struct Program {
  std::vector<CoreProgram> cores;  // in core order, each core at most once
};

// The memory an instruction's operands span: for each address or tensor
// field (scales included), the bytes from its address. Sizes are doubles,
// so fields of any int64 value cannot overflow.
struct Extent {
  size_t field = 0;
  double bytes = 0;
};
struct Extents {
  std::array<Extent, kMaxFields> items{};
  size_t count = 0;
  [[nodiscard]] std::span<const Extent> all() const { return {items.data(), count}; }
};
[[nodiscard]] Extents extents(const Instruction& ins);

// ---- The machine a program runs on ----------------------------------------

// The figures of a chip file the instruction set depends on.
struct Machine {
  std::string chip;
  int64_t cores = 1;
  core::Bytes sram;  // per core
  core::Bytes hbm;
};
// Cores are the per-core SRAM level's instances (SMs, NeuronCores, the
// seed's scratchpads); its capacity is the scratchpad.
[[nodiscard]] core::Result<Machine> machine_for(const hw::ChipSpec& chip);

// Everything wrong with a program, each at its line (or instruction): types
// an instruction does not take, missing scales, ranges, and immediate
// addresses outside the machine's memories (when a machine is given).
[[nodiscard]] core::Diagnostics check(const Program& program, const std::string& file, const Machine* machine);

// ---- Text and binary ------------------------------------------------------

// Assembles text (docs/isa.md); every error at once, each with its line.
[[nodiscard]] core::Result<Program> assemble(std::string_view text, const std::string& file,
                                             const Machine* machine = nullptr);
// The canonical text of a program: assembling it gives the program back.
[[nodiscard]] std::string disassemble(const Program& program);

// The binary image: "TFVP", version, then each core's instructions, every
// field in 16 bytes (docs/isa.md, "Binary form").
[[nodiscard]] std::vector<uint8_t> encode(const Program& program);
[[nodiscard]] core::Result<Program> decode(std::span<const uint8_t> image, const std::string& file,
                                           const Machine* machine = nullptr);

}  // namespace tfab::vp
