#include "tensorfab/vp/isa.h"

#include <gtest/gtest.h>

#include "support/shipped.h"

namespace tfab::vp {
namespace {

// One 64x64 output tile of C = A . B^T (A and B 64 x 128 BF16), then a loop
// that copies four rows with scalar control.
constexpr std::string_view kTile = R"(# docs/isa.md, "A first program"
.core 0
    dma    dst=sram:0x0 src=hbm:0x0 rows=64 row_bytes=256 signal=s0
    dma    dst=sram:0x4000 src=hbm:0x10000 rows=64 row_bytes=256 queue=1 signal=s0
    matmul dst=sram:0x8000:fp32 a=sram:0x0:bf16 b=sram:0x4000:bf16 m=64 n=64 k=128 wait=s0:2 signal=s1
    vcast  dst=sram:0xc000:bf16 src=sram:0x8000:fp32 rows=64 cols=64 wait=s1 signal=s2
    dma    dst=hbm:0x20000 src=sram:0xc000 rows=64 row_bytes=128 dst_stride=1024 wait=s2
    li     dst=r0 imm=0
    li     dst=r1 imm=4
    li     dst=r2 imm=0
copy:
    dma    dst=core1.sram:r2 src=hbm:r2+0x30000 rows=1 row_bytes=64
    addi   dst=r2 src=r2 imm=64
    addi   dst=r0 src=r0 imm=1
    blt    a=r0 b=r1 target=copy
    barrier id=0
    halt
.core 1
    barrier id=0
)";

// Every error of a failed result, one per line.
std::string errors_of(const core::Result<Program>& result) {
  std::string all;
  if (!result.ok()) {
    for (const auto& e : result.errors()) all += e.str() + "\n";
  }
  return all;
}

Machine seed_machine() {
  auto chip = hw::load_chip(testing::shipped(), "seed-2nm");
  EXPECT_TRUE(chip.ok());
  return machine_for(*chip).value();
}

TEST(Isa, MachineComesFromTheChipFile) {
  const Machine seed = seed_machine();
  EXPECT_EQ(seed.cores, 32);  // 32 scratchpads of 2 MiB
  EXPECT_DOUBLE_EQ(seed.sram.base(), 2.0 * 1024 * 1024);
  const Machine h100 = machine_for(hw::load_chip(testing::shipped(), "h100-sxm").value()).value();
  EXPECT_EQ(h100.cores, 132);  // SMs
  EXPECT_DOUBLE_EQ(h100.hbm.base(), 80.0 * 1024 * 1024 * 1024);
}

TEST(Isa, AssemblesFieldsLabelsAndSync) {
  const Machine seed = seed_machine();
  auto program = assemble(kTile, "tile.s", &seed);
  ASSERT_TRUE(program.ok()) << program.errors().front().str();
  ASSERT_EQ(program->cores.size(), 2u);
  const auto& code = program->cores[0].code;
  ASSERT_EQ(code.size(), 14u);
  const Instruction& matmul = code[2];
  EXPECT_EQ(matmul.op, Opcode::kMatmul);
  EXPECT_EQ(matmul.arg(0).type, DataType::kFp32);
  EXPECT_EQ(matmul.arg(0).address.offset, 0x8000);
  EXPECT_EQ(matmul.arg(2).type, DataType::kBf16);
  EXPECT_EQ(matmul.arg(5).i, 128);  // k
  EXPECT_EQ(matmul.sync, (Sync{0, 2, 1}));
  EXPECT_EQ(matmul.line, 5);
  const Instruction& copy = code[8];
  EXPECT_EQ(copy.arg(0).address.core, 1);
  EXPECT_EQ(copy.arg(1).address, (Address{Space::kHbm, Address::kOwnCore, 2, 0x30000}));
  EXPECT_EQ(code[11].op, Opcode::kBlt);
  EXPECT_EQ(code[11].arg(2).i, 8);  // copy: is instruction 8
  EXPECT_EQ(code[4].arg(4).i, 1024);  // dst_stride
  EXPECT_FALSE(code[0].arg(5).given);  // src_stride left out
}

TEST(Isa, TextAndBinaryRoundTrip) {
  const Program program = assemble(kTile, "tile.s").value();
  const std::string text = disassemble(program);
  const Program again = assemble(text, "again.s").value();
  EXPECT_EQ(disassemble(again), text);
  for (size_t c = 0; c < program.cores.size(); ++c) EXPECT_EQ(again.cores[c].code, program.cores[c].code);

  const std::vector<uint8_t> image = encode(program);
  const Program decoded = decode(image, "tile.bin").value();
  EXPECT_EQ(encode(decoded), image);
  for (size_t c = 0; c < program.cores.size(); ++c) EXPECT_EQ(decoded.cores[c].code, program.cores[c].code);
  // Names of labels are not in the image; the disassembly makes them up.
  EXPECT_NE(disassemble(decoded).find("L8:\n    dma dst=core1.sram:r2 src=hbm:r2+0x30000"), std::string::npos);
}

TEST(Isa, EveryErrorAtOnceWithItsLine) {
  const Machine seed = seed_machine();
  constexpr std::string_view kBad = R"(.core 0
    dma dst=sram:0x0 src=hbm:0x0 rows=64 row_byts=256
    matmull dst=sram:0x0:fp32
    matmul dst=sram:0x0:int8 a=sram:0x0:mxfp4 b=sram:0x0:bf16 m=64 n=64 k=64 b_scales=sram:0x0
    vadd dst=sram:0x1F0000:fp32 a=sram:0x0:fp32 b=sram:0x0:fp32 rows=64 cols=4096
    li dst=r16 imm=1 signal=s0
    blt a=r0 b=r1 target=lop
loop:
loop:
    vexp dst=sram:0x0:fp32 src=hbm:0x0:fp32 rows=1 cols=1 wait=s40
.cores 3
)";
  auto program = assemble(kBad, "bad.s", &seed);
  ASSERT_FALSE(program.ok());
  std::string all = errors_of(program);
  auto has = [&](std::string_view text) { return all.find(text) != std::string::npos; };
  EXPECT_TRUE(has("bad.s:2:42: dma.row_byts: dma takes no 'row_byts' (did you mean 'row_bytes'?)"));
  EXPECT_TRUE(has("bad.s:2:5: dma.row_bytes: dma needs row_bytes="));
  EXPECT_TRUE(has("bad.s:3:5: unknown instruction 'matmull' (did you mean 'matmul'?)"));
  EXPECT_TRUE(has("bad.s:6:12: li.dst: expected a register from r0 to r15, got 'r16'"));
  EXPECT_TRUE(has("bad.s:9:1: label 'loop' is defined twice on core 0"));
  EXPECT_TRUE(has("bad.s:7:26: label 'lop' is not defined on core 0 (did you mean 'loop'?)"));
  EXPECT_TRUE(has("bad.s:10:64: vexp.wait: expected a semaphore from s0 to s31"));
  EXPECT_TRUE(has("bad.s:11:1: unknown directive '.cores' (did you mean '.core'?)"));
  // Checks after parsing wait for a program that parses.
  EXPECT_EQ(program.errors().size(), 8u) << all;

  constexpr std::string_view kWrongUse = R"(.core 40
    matmul dst=sram:0x0:int8 a=sram:0x0:mxfp4 b=sram:0x0:bf16 m=64 n=64 k=64 b_scales=sram:0x0
    vadd dst=sram:0x1F0000:fp32 a=sram:0x0:fp32 b=sram:0x0:fp32 rows=64 cols=4096
    li dst=r1 imm=1 signal=s0
    vexp dst=sram:0x0:fp32 src=hbm:0x0:fp32 rows=1 cols=1
    dma dst=sram:0x0 src=hbm:0x0 rows=2 row_bytes=64 src_stride=32
    dma dst=sram:0x0 src=hbm:0x0 rows=9223372036854775807 row_bytes=4096
)";
  auto wrong = assemble(kWrongUse, "wrong.s", &seed);
  ASSERT_FALSE(wrong.ok());
  all = errors_of(wrong);
  EXPECT_TRUE(has("wrong.s:1: .core: core 40 does not exist: seed-2nm has 32 cores"));
  EXPECT_TRUE(has("wrong.s:2: matmul.dst: the accumulator must be fp32, fp16 or bf16, got int8"));
  EXPECT_TRUE(has("wrong.s:2: matmul.a_scales: a is mxfp4: give its scales"));
  EXPECT_TRUE(has("wrong.s:2: matmul.b_scales: b is bf16, which has no scales"));
  EXPECT_TRUE(has("wrong.s:3: vadd.dst: 1048576 bytes at 0x1f0000 pass the end of the core's SRAM"));
  EXPECT_TRUE(has("wrong.s:4: li.wait: scalar instructions take no wait= or signal="));
  EXPECT_TRUE(has("wrong.s:5: vexp.src: vexp reads and writes SRAM only"));
  EXPECT_TRUE(has("wrong.s:6: dma.src_stride: a stride of 32 would overlap rows of 64 bytes"));
  EXPECT_TRUE(has("wrong.s:7: dma.dst: 37778931862957161709568 bytes at 0x0 pass the end of the core's SRAM"));
}

TEST(Isa, DamagedImagesAreRefusedNotTrusted) {
  const std::vector<uint8_t> image = encode(assemble(kTile, "tile.s").value());
  EXPECT_FALSE(decode(std::vector<uint8_t>{'T', 'F'}, "short.bin").ok());
  EXPECT_NE(decode(std::vector<uint8_t>(16, 0), "zero.bin").errors().front().str().find("does not start with TFVP"),
            std::string::npos);
  // Every truncation and every single-byte change decodes to a program or an error, never a crash.
  for (size_t n = 0; n < image.size(); ++n) {
    EXPECT_FALSE(decode(std::span(image).first(n), "cut.bin").ok()) << n;
    std::vector<uint8_t> changed = image;
    changed[n] ^= 0xA5;
    auto result = decode(changed, "changed.bin");
    if (result.ok()) {
      EXPECT_NE(encode(*result), image);
    }
  }
}

}  // namespace
}  // namespace tfab::vp
