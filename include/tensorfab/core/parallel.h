#pragma once
// Independent evaluations run on oneTBB's threads. Results come back in
// index order, whatever ran first, so output is the same bytes at any thread
// count (the CLI's --threads caps it).

#include <cstddef>
#include <optional>
#include <utility>
#include <vector>

#include <tbb/parallel_for.h>

namespace tfab::core {

// f(0), ..., f(n - 1), each once, on any thread; returned in that order.
template <class F>
[[nodiscard]] auto parallel_map(size_t n, F f) -> std::vector<decltype(f(size_t{}))> {
  using R = decltype(f(size_t{}));
  std::vector<std::optional<R>> slots(n);
  tbb::parallel_for(size_t{0}, n, [&](size_t i) { slots[i].emplace(f(i)); });
  std::vector<R> out;
  out.reserve(n);
  for (auto& slot : slots) out.push_back(std::move(*slot));
  return out;
}

}  // namespace tfab::core
