// The virtual prototype's speed (issue 10's goals, recorded in
// docs/performance.md): functional execution in multiply-accumulates per
// second on one core in BF16, and timing-only execution in instructions
// per second.
#include <benchmark/benchmark.h>

#include <string>

#include "support/shipped.h"
#include "tensorfab/vp/execute.h"

namespace {

using namespace tfab;

struct Seed {
  vp::Machine machine;
  vp::Timing timing;
};

const Seed& seed() {
  static const Seed s = [] {
    auto chip = hw::load_chip(testing::shipped(), "seed-2nm");
    return Seed{*vp::machine_for(*chip), *vp::timing_for(*chip)};
  }();
  return s;
}

vp::Program assembled(const std::string& text) { return *vp::assemble(text, "bench.s", &seed().machine); }

// One core multiplying 128 x 128 BF16 tiles with K = 512 into FP32, 16 times.
void BM_FunctionalMatmulBf16(benchmark::State& state) {
  const vp::Program program = assembled(R"(
    li dst=r0 imm=0
    li dst=r1 imm=16
  loop:
    matmul dst=sram:0x0:fp32 a=sram:0x10000:bf16 b=sram:0x30000:bf16 m=128 n=128 k=512 accumulate=1
    addi dst=r0 src=r0 imm=1
    blt a=r0 b=r1 target=loop
  )");
  int64_t macs = 0;
  for (auto _ : state) {
    vp::Hbm hbm;
    auto r = vp::run(program, seed().machine, seed().timing, hbm);
    macs += r->macs;
  }
  state.counters["MAC/s"] = benchmark::Counter(static_cast<double>(macs), benchmark::Counter::kIsRate);
}
BENCHMARK(BM_FunctionalMatmulBf16)->Unit(benchmark::kMillisecond);

// Eight cores each streaming 4096 tiles through a double-buffered
// load / matmul / convert / store pipeline, timed only.
void BM_TimingOnly(benchmark::State& state) {
  std::string text;
  for (int core = 0; core < 8; ++core) {
    text += ".core " + std::to_string(core) + R"(
    li dst=r0 imm=0
    li dst=r1 imm=4096
    li dst=r2 imm=0
  loop:
    dma dst=sram:0x0 src=hbm:r2 rows=128 row_bytes=256 signal=s0
    matmul dst=sram:0x10000:fp32 a=sram:0x0:bf16 b=sram:0x8000:bf16 m=128 n=128 k=128 wait=s0 signal=s1
    vcast dst=sram:0x20000:bf16 src=sram:0x10000:fp32 rows=128 cols=128 wait=s1 signal=s2
    dma dst=hbm:r2+0x10000000 src=sram:0x20000 rows=128 row_bytes=256 queue=1 wait=s2
    addi dst=r2 src=r2 imm=0x8000
    addi dst=r0 src=r0 imm=1
    blt a=r0 b=r1 target=loop
    halt
)";
  }
  const vp::Program program = assembled(text);
  vp::RunOptions options;
  options.compute = false;
  int64_t instructions = 0;
  for (auto _ : state) {
    vp::Hbm hbm;
    auto r = vp::run(program, seed().machine, seed().timing, hbm, options);
    instructions += r->instructions;
  }
  state.counters["instructions/s"] =
      benchmark::Counter(static_cast<double>(instructions), benchmark::Counter::kIsRate);
}
BENCHMARK(BM_TimingOnly)->Unit(benchmark::kMillisecond);

}  // namespace
