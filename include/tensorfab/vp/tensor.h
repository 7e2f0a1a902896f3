#pragma once
// Tensors as the machine stores them (docs/isa.md, "Element types"): rows
// of densely packed elements, little-end first; MX types keep one E8M0
// scale per 32 elements of a row apart from the elements, INT types one
// FP32 scale per row. Reading gives FP32 values, which hold every element
// type exactly (a scaled value past FP32's range reads as Inf); writing
// rounds each value once into the element type.

#include <cstdint>
#include <span>
#include <vector>

#include "tensorfab/vp/formats.h"
#include "tensorfab/vp/isa.h"

namespace tfab::vp {

[[nodiscard]] int64_t row_bytes(DataType type, int64_t cols);
// Bytes of the scales of a rows x cols tensor; 0 for types without scales.
[[nodiscard]] int64_t scale_bytes(DataType type, int64_t rows, int64_t cols);

// The values of a rows x cols tensor, row-major; `scales` is read only for
// MX and INT types.
[[nodiscard]] std::vector<float> read_tensor(DataType type, int64_t rows, int64_t cols,
                                             std::span<const uint8_t> data, std::span<const uint8_t> scales = {});

// How values are written: rounding, and a stream of random bits for
// stochastic rounding (element i of the tensor, row-major, draws
// random_bits(seed, i)). 8-bit and narrower floats saturate; FP32, FP16
// and BF16 overflow to Inf. MX and INT types choose their scales.
struct WriteMode {
  RoundingMode rounding = RoundingMode::kNearestEven;
  uint64_t seed = 0;
};
void write_tensor(DataType type, int64_t rows, int64_t cols, std::span<const double> values,
                  std::span<uint8_t> data, std::span<uint8_t> scales = {}, WriteMode mode = {});

}  // namespace tfab::vp
