#pragma once
// The GEMM shapes of the tile model's agreement grid (issue 5), which the
// prototype's timed GEMMs are also compared on (issue 10).

#include <utility>
#include <vector>

#include "tensorfab/mapping/systolic.h"

namespace tfab::testing {

inline std::vector<mapping::GemmShape> agreement_grid() {
  std::vector<mapping::GemmShape> shapes;
  // Decode: a few tokens against a weight matrix.
  for (int64_t m : {1, 4, 16}) {
    for (auto [n, k] : {std::pair{4096, 4096}, std::pair{1024, 4096}, std::pair{4096, 1024},
                        std::pair{3000, 2000}, std::pair{1536, 3584}}) {
      shapes.push_back({m, n, k});
    }
  }
  // Square, multiples of the array and not.
  for (int64_t s : {128, 256, 512, 1000, 1024, 1500, 2048, 3000}) shapes.push_back({s, s, s});
  // Tall and wide, prefill-like and odd.
  for (mapping::GemmShape s :
       std::vector<mapping::GemmShape>{{4096, 256, 512},   {4096, 128, 4096}, {2048, 512, 256},
                                       {3000, 300, 1000},  {4000, 4000, 64},  {2048, 1024, 4096},
                                       {512, 4096, 4096},  {64, 4096, 4096},  {256, 4096, 1024},
                                       {100, 300, 777},    {777, 1500, 333},  {130, 130, 130},
                                       {1023, 1025, 1027}, {2500, 700, 1900}, {33, 65, 129},
                                       {512, 2048, 8},     {1, 1, 1},         {200, 3000, 50},
                                       {3500, 96, 2000},   {640, 640, 2560},  {1, 10000, 64},
                                       {9, 2000, 3000},    {1200, 1200, 300}, {300, 1200, 1200},
                                       {48, 48, 4096},     {4096, 48, 48},    {1111, 2222, 333}}) {
    shapes.push_back(s);
  }
  return shapes;
}

}  // namespace tfab::testing
