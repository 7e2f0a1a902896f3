#include "tensorfab/mapping/systolic.h"

#include <fmt/format.h>

#include <cmath>

namespace tfab::mapping {
namespace {

// Floating-point products such as 0.5 B x 3 elements land a hair above a
// whole number; this keeps them from rounding up to the next byte or cycle.
constexpr double kRoundingSlack = 1e-9;

int64_t round_up(double x) { return static_cast<int64_t>(std::ceil(x - kRoundingSlack)); }

}  // namespace

std::string_view name(Dataflow dataflow) {
  switch (dataflow) {
    case Dataflow::kWeightStationary:
      return "WS";
    case Dataflow::kOutputStationary:
      return "OS";
  }
  return "WS";
}

std::string_view name(LoopOrder order) {
  switch (order) {
    case LoopOrder::kMOuter:
      return "m-outer";
    case LoopOrder::kNOuter:
      return "n-outer";
  }
  return "m-outer";
}

std::string describe(const Tiling& tiling) {
  return fmt::format("{} {} {}x{}x{} (MxNxK)", name(tiling.dataflow), name(tiling.order), tiling.tile_m,
                     tiling.tile_n, tiling.tile_k);
}

core::Bytes scratchpad_footprint(const Tiling& tiling, const ElementBytes& bytes) {
  const int64_t a = tile_bytes(tiling.tile_m * tiling.tile_k, bytes.a);
  const int64_t b = tile_bytes(tiling.tile_k * tiling.tile_n, bytes.b);
  const int64_t c = tile_bytes(tiling.tile_m * tiling.tile_n, bytes.c);
  return core::Bytes::from_base(static_cast<double>(2 * (a + b + c)));
}

int64_t CycleHardware::transfer_cycles(int64_t bytes) const {
  return round_up(static_cast<double>(bytes) / port_bytes_per_cycle);
}

core::Result<CycleHardware> in_cycles(const SystolicHardware& hardware) {
  core::Diagnostics errors;
  auto fail = [&](std::string key, std::string message) {
    errors.push_back(core::bad_input(std::move(message), std::move(key)));
  };
  if (hardware.rows < 1)
    fail("rows", fmt::format("an array needs at least one PE row, got {}", hardware.rows));
  if (hardware.cols < 1)
    fail("cols", fmt::format("an array needs at least one PE column, got {}", hardware.cols));
  if (hardware.arrays < 1)
    fail("arrays", fmt::format("expected at least one array, got {}", hardware.arrays));
  if (hardware.clock.base() <= 0) fail("clock", "expected a positive clock such as 1.5 GHz");
  if (hardware.port_bandwidth.base() <= 0)
    fail("port_bandwidth", "expected a positive bandwidth such as 800 GB/s");
  if (hardware.port_latency.base() < 0)
    fail("port_latency", "expected a latency of zero or more, such as 500 ns");
  if (hardware.scratchpad.base() < 1)
    fail("scratchpad", "expected a scratchpad of at least one byte, such as 16 MiB");
  if (!errors.empty()) return errors;

  CycleHardware out;
  out.rows = hardware.rows;
  out.cols = hardware.cols;
  out.arrays = hardware.arrays;
  out.scratchpad_bytes = static_cast<int64_t>(std::floor(hardware.scratchpad.base() + kRoundingSlack));
  out.port_bytes_per_cycle = (hardware.port_bandwidth / hardware.clock).in(core::Bytes::from_base(1));
  out.port_latency_cycles = round_up(hardware.port_latency * hardware.clock);
  return out;
}

int64_t tile_bytes(int64_t elements, core::Bytes per_element) {
  return round_up(static_cast<double>(elements) * per_element.base());
}

core::Diagnostics check_gemm(const GemmShape& shape, const ElementBytes& bytes) {
  core::Diagnostics errors;
  auto dim = [&](const char* key, int64_t v) {
    if (v < 1)
      errors.push_back(core::bad_input(fmt::format("a GEMM dimension must be at least 1, got {}", v), key));
  };
  dim("m", shape.m);
  dim("n", shape.n);
  dim("k", shape.k);
  auto size = [&](const char* key, core::Bytes v) {
    if (v.base() <= 0) errors.push_back(core::bad_input("expected a positive element size such as 2 B", key));
  };
  size("bytes.a", bytes.a);
  size("bytes.b", bytes.b);
  size("bytes.c", bytes.c);
  return errors;
}

core::Diagnostics check_tiling(const Tiling& tiling, const GemmShape& shape, const ElementBytes& bytes,
                               const CycleHardware& hardware) {
  core::Diagnostics errors;
  auto within = [&](const char* key, int64_t tile, int64_t extent) {
    if (tile < 1 || tile > extent) {
      errors.push_back(core::bad_input(fmt::format("tile of {} is outside [1, {}]", tile, extent), key));
    }
  };
  within("tile_m", tiling.tile_m, shape.m);
  within("tile_n", tiling.tile_n, shape.n);
  within("tile_k", tiling.tile_k, shape.k);
  if (!errors.empty()) return errors;
  const double need = scratchpad_footprint(tiling, bytes).base();
  if (need > static_cast<double>(hardware.scratchpad_bytes)) {
    errors.push_back(core::bad_input(
        fmt::format("{} needs {} of scratchpad (double-buffered A, B and C tiles) but an array has {}",
                    describe(tiling), core::format(core::Bytes::from_base(need)),
                    core::format(core::Bytes::from_base(static_cast<double>(hardware.scratchpad_bytes)))),
        "tiling"));
  }
  return errors;
}

DimSplit split(int64_t extent, int64_t tile) {
  DimSplit s;
  s.tile = tile;
  s.full = extent / tile;
  s.edge = extent - s.full * tile;
  s.count = s.full + (s.edge > 0 ? 1 : 0);
  return s;
}

}  // namespace tfab::mapping
