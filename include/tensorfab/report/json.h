#pragma once
// JSON for machines. Every quantity is written as {"value": v, "unit": u}
// in its canonical unit (s, B, B/s, FLOP/s, W, ...), so a reader never has
// to guess; plain counts and ratios are bare numbers with self-explaining keys.

#include <nlohmann/json.hpp>

#include <optional>

#include "tensorfab/core/units.h"
#include "tensorfab/hw/chip.h"
#include "tensorfab/perf/serving.h"

namespace tfab::report {

template <core::DimVector D>
[[nodiscard]] nlohmann::ordered_json quantity(core::Quantity<D> q) {
  return {{"value", core::canonical_value(q.base(), D)}, {"unit", core::canonical_unit(D)}};
}

// An optional figure: its value (a quantity as above), or null when absent.
template <class T>
[[nodiscard]] nlohmann::ordered_json optional(const std::optional<T>& value) {
  if (!value) return nullptr;
  if constexpr (requires { value->base(); }) {
    return quantity(*value);
  } else {
    return *value;
  }
}

// The tool and version that wrote a document.
[[nodiscard]] nlohmann::ordered_json tool_info();

[[nodiscard]] nlohmann::ordered_json to_json(const hw::ChipSpec& chip);
[[nodiscard]] nlohmann::ordered_json to_json(const workload::ServeScenario& scenario);
[[nodiscard]] nlohmann::ordered_json to_json(const perf::ServingResult& result, bool with_ops);
[[nodiscard]] nlohmann::ordered_json to_json(const std::vector<perf::BatchPoint>& points);

}  // namespace tfab::report
