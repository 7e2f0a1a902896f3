#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <string>
#include <tuple>
#include <utility>
#include <vector>

#include "support/agreement_grid.h"
#include "tensorfab/mapping/systolic_sim.h"
#include "tensorfab/mapping/tile_model.h"

namespace tfab::mapping {
namespace {

using namespace core::literals;

// At 1 GHz one cycle is one nanosecond and 1 GB/s is one byte per cycle,
// which keeps the hand-computed cases readable.
SystolicHardware hardware(int64_t rows, int64_t cols, double bytes_per_cycle, double latency_cycles,
                          core::Bytes scratchpad = 16_MiB, int64_t arrays = 1) {
  SystolicHardware hw;
  hw.rows = rows;
  hw.cols = cols;
  hw.arrays = arrays;
  hw.clock = 1_GHz;
  hw.scratchpad = scratchpad;
  hw.port_bandwidth = bytes_per_cycle * 1_GBps;
  hw.port_latency = latency_cycles * 1_ns;
  return hw;
}

const ElementBytes kBf16{2_B, 2_B, 2_B};

// ---- The array's wavefront, register by register ---------------------------
//
// A functional model of one systolic array, stepped one clock at a time with
// every PE register explicit. It computes real products, so the test checks
// both the numbers and the cycle at which the last result is out; the event
// simulator's per-block durations must equal those counts.

struct Matrix {
  int64_t rows = 0, cols = 0;
  std::vector<double> v;
  Matrix(int64_t r, int64_t c) : rows(r), cols(c), v(static_cast<size_t>(r * c), 0.0) {}
  double& at(int64_t r, int64_t c) { return v[static_cast<size_t>(r * cols + c)]; }
  [[nodiscard]] double at(int64_t r, int64_t c) const { return v[static_cast<size_t>(r * cols + c)]; }
};

Matrix pattern(int64_t rows, int64_t cols, int seed) {
  Matrix m(rows, cols);
  for (int64_t r = 0; r < rows; ++r) {
    for (int64_t c = 0; c < cols; ++c) m.at(r, c) = static_cast<double>((r * 7 + c * 3 + seed) % 11) - 5;
  }
  return m;
}

Matrix multiply(const Matrix& a, const Matrix& b) {
  Matrix out(a.rows, b.cols);
  for (int64_t i = 0; i < a.rows; ++i) {
    for (int64_t j = 0; j < b.cols; ++j) {
      for (int64_t k = 0; k < a.cols; ++k) out.at(i, j) += a.at(i, k) * b.at(k, j);
    }
  }
  return out;
}

struct Stepped {
  int64_t cycles = 0;  // clock cycles until the last result is out
  Matrix result;
};

// Weight-stationary: W (rows x cols of PEs, preloaded) holds B; row i of A
// enters PE row r from the left at cycle i + r and moves one column right
// per cycle; partial sums move one row down per cycle and, once out of the
// bottom row's register, are added into the accumulator in the next cycle.
Stepped step_weight_stationary(const Matrix& a, const Matrix& w) {
  const int64_t rows = w.rows, cols = w.cols, stream = a.rows;
  struct Reg {
    bool valid = false;
    int64_t row = 0;  // which row of A the value belongs to
    double value = 0;
  };
  std::vector<Reg> act(static_cast<size_t>(rows * cols)), psum(static_cast<size_t>(rows * cols));
  auto idx = [&](int64_t r, int64_t c) { return static_cast<size_t>(r * cols + c); };
  Stepped out{0, Matrix(stream, cols)};
  int64_t accumulated = 0;
  for (int64_t cycle = 0; accumulated < stream * cols; ++cycle) {
    // The accumulator adds what the bottom row produced last cycle.
    for (int64_t c = 0; c < cols; ++c) {
      const Reg& done = psum[idx(rows - 1, c)];
      if (done.valid) {
        out.result.at(done.row, c) += done.value;
        ++accumulated;
        out.cycles = cycle + 1;
      }
    }
    std::vector<Reg> next_act(act.size()), next_psum(psum.size());
    for (int64_t r = 0; r < rows; ++r) {
      for (int64_t c = 0; c < cols; ++c) {
        Reg in_a;
        if (c == 0) {
          const int64_t i = cycle - r;  // skewed entry
          if (i >= 0 && i < stream) in_a = {true, i, r < a.cols ? a.at(i, r) : 0.0};
        } else {
          in_a = act[idx(r, c - 1)];
        }
        Reg in_p = r == 0 ? Reg{in_a.valid, in_a.row, 0.0} : psum[idx(r - 1, c)];
        next_act[idx(r, c)] = in_a;
        if (in_a.valid) next_psum[idx(r, c)] = {true, in_a.row, in_p.value + in_a.value * w.at(r, c)};
      }
    }
    act = std::move(next_act);
    psum = std::move(next_psum);
  }
  return out;
}

// Output-stationary: PE (r, c) accumulates C[r][c]; A[r][k] enters row r
// from the left at cycle k + r, B[k][c] enters column c from the top at
// cycle k + c, and both move one PE per cycle.
Stepped step_output_stationary(const Matrix& a, const Matrix& b) {
  const int64_t rows = a.rows, cols = b.cols, depth = a.cols;
  struct Reg {
    bool valid = false;
    double value = 0;
  };
  std::vector<Reg> left(static_cast<size_t>(rows * cols)), top(static_cast<size_t>(rows * cols));
  auto idx = [&](int64_t r, int64_t c) { return static_cast<size_t>(r * cols + c); };
  Stepped out{0, Matrix(rows, cols)};
  int64_t macs = 0;
  for (int64_t cycle = 0; macs < rows * cols * depth; ++cycle) {
    std::vector<Reg> next_left(left.size()), next_top(top.size());
    for (int64_t r = 0; r < rows; ++r) {
      for (int64_t c = 0; c < cols; ++c) {
        Reg x = c == 0 ? Reg{} : left[idx(r, c - 1)];
        Reg y = r == 0 ? Reg{} : top[idx(r - 1, c)];
        if (c == 0 && cycle - r >= 0 && cycle - r < depth) x = {true, a.at(r, cycle - r)};
        if (r == 0 && cycle - c >= 0 && cycle - c < depth) y = {true, b.at(cycle - c, c)};
        if (x.valid && y.valid) {
          out.result.at(r, c) += x.value * y.value;
          ++macs;
          out.cycles = cycle + 1;
        }
        next_left[idx(r, c)] = x;
        next_top[idx(r, c)] = y;
      }
    }
    left = std::move(next_left);
    top = std::move(next_top);
  }
  return out;
}

TEST(SystolicWavefront, RegisterLevelArraysComputeTheProductInTheDocumentedCycles) {
  for (auto [rows, cols, m, k] :
       {std::tuple{4, 4, 4, 4}, std::tuple{4, 6, 9, 4}, std::tuple{8, 3, 2, 8}, std::tuple{5, 7, 13, 3}}) {
    // WS: the block holds K = rows; M rows of A stream through.
    const Matrix a = pattern(m, rows, 1), w = pattern(rows, cols, 2);
    const Stepped ws = step_weight_stationary(a, w);
    EXPECT_EQ(ws.result.v, multiply(a, w).v);
    EXPECT_EQ(ws.cycles, m + rows + cols - 1) << "stream M, then drain rows + cols - 1";
    // OS: the block holds rows x cols outputs; K deep.
    const Matrix a2 = pattern(rows, k, 3), b2 = pattern(k, cols, 4);
    const Stepped os = step_output_stationary(a2, b2);
    EXPECT_EQ(os.result.v, multiply(a2, b2).v);
    EXPECT_EQ(os.cycles, k + rows + cols - 2);
  }
}

// ---- The event simulator on hand-computed cases -----------------------------

TEST(SystolicSim, OneWeightStationaryBlock) {
  // 256x128x128 on a 128x128 array: one block. 65536 B per cycle make each
  // tile one transfer cycle: A (64 KiB) and B (32 KiB) in 2 cycles, latency
  // 100, weight load 128, 256 rows streamed, drain 128 + 128 - 1, and the
  // 64 KiB result written back in one cycle.
  const SystolicHardware hw = hardware(128, 128, 65536, 100);
  const GemmShape shape{256, 128, 128};
  const Tiling tiling{Dataflow::kWeightStationary, LoopOrder::kMOuter, 256, 128, 128};
  auto sim = simulate_gemm(hw, shape, kBf16, tiling);
  ASSERT_TRUE(sim.ok()) << sim.errors()[0].str();
  const int64_t block = step_weight_stationary(pattern(256, 128, 0), pattern(128, 128, 0)).cycles;
  EXPECT_EQ(block, 256 + 255);
  EXPECT_EQ(sim->total_cycles, 2 + 100 + 128 + block + 1);
  EXPECT_EQ(sim->compute_busy_cycles, 128 + block);
  EXPECT_EQ(sim->memory_busy_cycles, 3);
  EXPECT_EQ(sim->bytes_read.in(1_B), 256 * 128 * 2 + 128 * 128 * 2);
  EXPECT_EQ(sim->bytes_written.in(1_B), 256 * 128 * 2);
  EXPECT_DOUBLE_EQ(sim->time.in(1_ns), static_cast<double>(sim->total_cycles));
  EXPECT_NEAR(sim->mac_utilisation,
              256.0 * 128 * 128 / (128.0 * 128 * static_cast<double>(sim->total_cycles)), 1e-12);

  auto model = estimate_gemm(hw, shape, kBf16, tiling);
  ASSERT_TRUE(model.ok());
  EXPECT_EQ(model->total_cycles, sim->total_cycles);
}

TEST(SystolicSim, OneOutputStationaryBlock) {
  // 128x128x512: one block of K + rows + cols - 2 cycles after 4 read cycles
  // (A and B are 128 KiB each) and 100 of latency; 1 write cycle.
  const SystolicHardware hw = hardware(128, 128, 65536, 100);
  const GemmShape shape{128, 128, 512};
  const Tiling tiling{Dataflow::kOutputStationary, LoopOrder::kMOuter, 128, 128, 512};
  auto sim = simulate_gemm(hw, shape, kBf16, tiling);
  ASSERT_TRUE(sim.ok());
  const int64_t block = step_output_stationary(pattern(128, 512, 0), pattern(512, 128, 0)).cycles;
  EXPECT_EQ(block, 512 + 128 + 128 - 2);
  EXPECT_EQ(sim->total_cycles, 4 + 100 + block + 1);
  EXPECT_EQ(sim->compute_busy_cycles, block);

  auto model = estimate_gemm(hw, shape, kBf16, tiling);
  ASSERT_TRUE(model.ok());
  EXPECT_EQ(model->total_cycles, sim->total_cycles);
}

TEST(SystolicSim, PartialTilesArePaddedToTheArray) {
  // 100 rows on a 128-row OS array take as long as 128: the padded PEs idle.
  const SystolicHardware hw = hardware(128, 128, 65536, 100);
  auto full = simulate_gemm(hw, {128, 128, 512}, kBf16,
                            {Dataflow::kOutputStationary, LoopOrder::kMOuter, 128, 128, 512});
  auto partial = simulate_gemm(hw, {100, 128, 512}, kBf16,
                               {Dataflow::kOutputStationary, LoopOrder::kMOuter, 100, 128, 512});
  ASSERT_TRUE(full.ok() && partial.ok());
  EXPECT_EQ(partial->compute_busy_cycles, full->compute_busy_cycles);
  EXPECT_LT(partial->mac_utilisation, full->mac_utilisation * 100.0 / 128.0 * 1.01);
  // 129 columns need two column blocks.
  auto wider = simulate_gemm(hw, {128, 129, 512}, kBf16,
                             {Dataflow::kOutputStationary, LoopOrder::kMOuter, 128, 129, 512});
  ASSERT_TRUE(wider.ok());
  EXPECT_EQ(wider->compute_busy_cycles, 2 * full->compute_busy_cycles);
}

TEST(SystolicSim, MemoryBoundRunIsItsBytesOverBandwidthPlusLatency) {
  // A 1x512x2048 GEMV row in 16 K steps of 128: each step reads 256 B of A
  // and 128 KiB of B (2052 cycles at 64 B/cycle) but computes for 640, so
  // the port never rests: the run is every read back to back, then the
  // last step's latency (300), weight load (128) and compute (3 blocks of
  // 128 cycles, then the 1-row stream and 255 of drain), then the 1 KiB
  // write-back.
  const SystolicHardware hw = hardware(128, 128, 64, 300);
  const GemmShape shape{1, 512, 2048};
  const Tiling tiling{Dataflow::kWeightStationary, LoopOrder::kMOuter, 1, 512, 128};
  auto sim = simulate_gemm(hw, shape, kBf16, tiling);
  ASSERT_TRUE(sim.ok());
  const double read_bytes = 2048.0 * 2 + 2048.0 * 512 * 2;
  EXPECT_EQ(sim->bytes_read.in(1_B), read_bytes);
  const int64_t last_step = 3 * 128 + 1 + 255;
  EXPECT_EQ(sim->total_cycles, static_cast<int64_t>(read_bytes / 64) + 300 + 128 + last_step + 1024 / 64);
  EXPECT_EQ(sim->memory_busy_cycles, static_cast<int64_t>(read_bytes / 64) + 1024 / 64);

  auto model = estimate_gemm(hw, shape, kBf16, tiling);
  ASSERT_TRUE(model.ok());
  EXPECT_EQ(model->total_cycles, sim->total_cycles);
  EXPECT_EQ(model->limiter, Limiter::kPort);
}

TEST(SystolicSim, TilesAreDealtToArraysInWaves) {
  // Five 128x128x128 OS tiles on four arrays: array 0 computes two of them,
  // so the run takes two blocks of 382 cycles, plus its first read (A and B,
  // one cycle each) and its last write-back. One array would take five.
  const GemmShape shape{640, 128, 128};
  const Tiling tiling{Dataflow::kOutputStationary, LoopOrder::kMOuter, 128, 128, 128};
  auto four = simulate_gemm(hardware(128, 128, 32768, 0, 16_MiB, 4), shape, kBf16, tiling);
  auto one = simulate_gemm(hardware(128, 128, 32768, 0, 16_MiB, 1), shape, kBf16, tiling);
  ASSERT_TRUE(four.ok() && one.ok());
  const int64_t block = 128 + 128 + 128 - 2;
  EXPECT_EQ(four->total_cycles, 2 + 2 * block + 1);
  EXPECT_EQ(four->compute_busy_cycles, 2 * block);
  EXPECT_EQ(one->compute_busy_cycles, 5 * block);
  // B is shared by all five tiles: each array reads it once.
  EXPECT_EQ(four->bytes_read.in(1_B), 5 * 128 * 128 * 2 + 4 * 128 * 128 * 2);

  auto model = estimate_gemm(hardware(128, 128, 32768, 0, 16_MiB, 4), shape, kBf16, tiling);
  ASSERT_TRUE(model.ok());
  EXPECT_EQ(model->total_cycles, four->total_cycles);
  EXPECT_EQ(model->compute_cycles, four->compute_busy_cycles);
  EXPECT_EQ(model->bytes_read, four->bytes_read);
}

TEST(SystolicSim, SharedOperandTilesAreReadOnce) {
  // K in one tile, row by row: the A tile stays for the whole row.
  const SystolicHardware hw = hardware(32, 32, 64, 100);
  const GemmShape shape{64, 256, 96};
  auto sim = simulate_gemm(hw, shape, kBf16, {Dataflow::kWeightStationary, LoopOrder::kMOuter, 32, 64, 96});
  ASSERT_TRUE(sim.ok());
  EXPECT_EQ(sim->bytes_read.in(1_B), 64.0 * 96 * 2 + 2 * 96.0 * 256 * 2);  // A once, B once per row of tiles
  EXPECT_EQ(sim->bytes_written.in(1_B), 64.0 * 256 * 2);
  EXPECT_EQ(sim->tile_steps, 2 * 4);
}

TEST(SystolicSim, IsDeterministic) {
  const SystolicHardware hw = hardware(32, 32, 48, 250, 256_KiB, 3);
  const GemmShape shape{777, 333, 555};
  const Tiling tiling{Dataflow::kOutputStationary, LoopOrder::kNOuter, 96, 64, 128};
  auto first = simulate_gemm(hw, shape, kBf16, tiling);
  auto second = simulate_gemm(hw, shape, kBf16, tiling);
  ASSERT_TRUE(first.ok() && second.ok());
  EXPECT_EQ(first->total_cycles, second->total_cycles);
  EXPECT_EQ(first->compute_busy_cycles, second->compute_busy_cycles);
  EXPECT_EQ(first->memory_busy_cycles, second->memory_busy_cycles);
}

TEST(SystolicSim, RejectsBadInputWithReasons) {
  const SystolicHardware hw = hardware(128, 128, 64, 100, 64_KiB);
  auto too_big = simulate_gemm(hw, {512, 512, 512}, kBf16,
                               {Dataflow::kWeightStationary, LoopOrder::kMOuter, 512, 512, 512});
  ASSERT_FALSE(too_big.ok());
  EXPECT_NE(too_big.errors()[0].str().find("needs 3 MiB of scratchpad"), std::string::npos)
      << too_big.errors()[0].str();
  auto outside =
      simulate_gemm(hw, {64, 64, 64}, kBf16, {Dataflow::kWeightStationary, LoopOrder::kMOuter, 0, 65, 64});
  ASSERT_FALSE(outside.ok());
  EXPECT_EQ(outside.errors().size(), 2u);
  SystolicHardware broken = hw;
  broken.rows = 0;
  broken.port_bandwidth = core::Bandwidth{};
  auto bad_hw = simulate_gemm(broken, {64, 64, 64}, kBf16,
                              {Dataflow::kWeightStationary, LoopOrder::kMOuter, 64, 64, 64});
  ASSERT_FALSE(bad_hw.ok());
  EXPECT_EQ(bad_hw.errors().size(), 2u);
  EXPECT_EQ(bad_hw.errors()[0].key_path, "rows");
}

// ---- The tile-tier model --------------------------------------------------

TEST(TileModel, ChoosesTilingsThatFitAndFailsWhenNoneCan) {
  const SystolicHardware hw = hardware(128, 128, 256, 500, 2_MiB);
  auto best = choose_tiling(hw, {1024, 1024, 1024}, kBf16);
  ASSERT_TRUE(best.ok());
  EXPECT_LE(scratchpad_footprint(best->tiling, kBf16), 2_MiB);
  EXPECT_GT(best->mac_utilisation, 0.5);
  EXPECT_DOUBLE_EQ(best->time.in(1_ns), static_cast<double>(best->total_cycles));

  TilingSearch ws_only;
  ws_only.output_stationary = false;
  auto ws = choose_tiling(hw, {1024, 1024, 1024}, kBf16, ws_only);
  ASSERT_TRUE(ws.ok());
  EXPECT_EQ(ws->tiling.dataflow, Dataflow::kWeightStationary);

  auto nothing = choose_tiling(hardware(128, 128, 256, 500, 8_B), {16, 16, 16}, kBf16);
  ASSERT_FALSE(nothing.ok());
  EXPECT_NE(nothing.errors()[0].message.find("no tiling"), std::string::npos);
}

TEST(TileModel, DecodeIsPortBoundAndLargeGemmsComputeBound) {
  // A weight-stationary array loads a 128x128 block of weights in 128
  // cycles: 256 B per cycle in BF16. Below that, decode waits on the port.
  const SystolicHardware narrow = hardware(128, 128, 128, 500, 16_MiB);
  auto decode = choose_tiling(narrow, {1, 4096, 4096}, kBf16);
  ASSERT_TRUE(decode.ok());
  EXPECT_EQ(decode->limiter, Limiter::kPort);
  // Decode reads every weight once: the port time is the bound.
  EXPECT_GE(static_cast<double>(decode->total_cycles), 4096.0 * 4096 * 2 / 128);
  EXPECT_LT(static_cast<double>(decode->total_cycles), 1.02 * 4096.0 * 4096 * 2 / 128);

  auto square = choose_tiling(hardware(128, 128, 512, 500, 16_MiB), {4096, 4096, 4096}, kBf16);
  ASSERT_TRUE(square.ok());
  EXPECT_EQ(square->limiter, Limiter::kCompute);
  EXPECT_GT(square->mac_utilisation, 0.9);
}

TEST(TileModel, MoreBandwidthIsNeverSlower) {
  for (int64_t arrays : {1, 4}) {
    for (GemmShape shape : {GemmShape{1, 4096, 4096}, GemmShape{16, 3000, 2000}, GemmShape{777, 1500, 333},
                            GemmShape{2048, 2048, 2048}, GemmShape{4096, 256, 512}}) {
      int64_t previous_model = INT64_MAX, previous_sim = INT64_MAX;
      Tiling fixed;
      for (double bytes_per_cycle : {16.0, 32.0, 64.0, 128.0, 256.0, 512.0, 2048.0, 8192.0}) {
        const SystolicHardware hw = hardware(128, 128, bytes_per_cycle, 500, 8_MiB, arrays);
        auto best = choose_tiling(hw, shape, kBf16);
        ASSERT_TRUE(best.ok());
        if (bytes_per_cycle == 16.0) fixed = best->tiling;
        auto sim = simulate_gemm(hw, shape, kBf16, fixed);
        ASSERT_TRUE(sim.ok());
        EXPECT_LE(best->total_cycles, previous_model)
            << bytes_per_cycle << " B/cycle, " << arrays << " arrays";
        EXPECT_LE(sim->total_cycles, previous_sim) << bytes_per_cycle << " B/cycle, " << arrays << " arrays";
        previous_model = best->total_cycles;
        previous_sim = sim->total_cycles;
      }
    }
  }
}

TEST(TileModel, LargerScratchpadIsNeverSlower) {
  // Every tiling that fits a scratchpad fits a larger one, so the search
  // can only do better (once array-sized tiles fit at all; below that it
  // falls back to smaller tiles).
  for (int64_t arrays : {1, 4}) {
    for (GemmShape shape : {GemmShape{4, 4096, 4096}, GemmShape{1000, 1000, 1000}, GemmShape{3000, 300, 1000},
                            GemmShape{2048, 4096, 1024}}) {
      int64_t previous = INT64_MAX;
      for (core::Bytes scratchpad : {256_KiB, 512_KiB, 1_MiB, 4_MiB, 16_MiB, 64_MiB}) {
        auto best = choose_tiling(hardware(128, 128, 128, 500, scratchpad, arrays), shape, kBf16);
        ASSERT_TRUE(best.ok());
        EXPECT_LE(best->total_cycles, previous) << core::format(scratchpad);
        previous = best->total_cycles;
      }
    }
  }
}

// ---- Agreement of the model with the simulator -----------------------------

TEST(TileModel, AgreesWithTheSimulatorWithin5PercentOverTheGrid) {
  struct Point {
    const char* name;
    SystolicHardware hw;
  };
  const std::vector<Point> points = {
      {"128x128, 1000 B/cycle", hardware(128, 128, 1000, 500, 16_MiB)},
      {"128x128, 64 B/cycle", hardware(128, 128, 64, 500, 16_MiB)},
      {"32x32, 128 B/cycle", hardware(32, 32, 128, 200, 512_KiB)},
      {"4 x 128x128, 400 B/cycle", hardware(128, 128, 400, 500, 8_MiB, 4)},
  };
  const std::vector<GemmShape> shapes = testing::agreement_grid();
  ASSERT_GE(shapes.size(), 50u);

  double max_error = 0, sum_error = 0;
  int cases = 0;
  std::string worst;
  for (const Point& point : points) {
    for (const GemmShape& shape : shapes) {
      for (Dataflow dataflow : {Dataflow::kWeightStationary, Dataflow::kOutputStationary}) {
        TilingSearch search;
        search.weight_stationary = dataflow == Dataflow::kWeightStationary;
        search.output_stationary = dataflow == Dataflow::kOutputStationary;
        auto model = choose_tiling(point.hw, shape, kBf16, search);
        ASSERT_TRUE(model.ok()) << model.errors()[0].str();
        auto sim = simulate_gemm(point.hw, shape, kBf16, model->tiling);
        ASSERT_TRUE(sim.ok()) << sim.errors()[0].str();
        EXPECT_EQ(model->bytes_read, sim->bytes_read);
        EXPECT_EQ(model->bytes_written, sim->bytes_written);
        const double error = std::abs(static_cast<double>(model->total_cycles - sim->total_cycles)) /
                             static_cast<double>(sim->total_cycles);
        if (error > max_error) {
          max_error = error;
          worst = std::string(point.name) + ", " + std::to_string(shape.m) + "x" + std::to_string(shape.n) +
                  "x" + std::to_string(shape.k) + ", " + describe(model->tiling);
        }
        sum_error += error;
        ++cases;
      }
    }
  }
  std::printf("model vs simulator over %d cases: max error %.2f%% (%s), mean %.2f%%\n", cases,
              100 * max_error, worst.c_str(), 100 * sum_error / cases);
  EXPECT_LE(max_error, 0.05) << worst;
}

}  // namespace
}  // namespace tfab::mapping
