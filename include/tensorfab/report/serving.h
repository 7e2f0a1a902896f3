#pragma once
// Serving results as tables for people (and CSV).

#include <span>
#include <vector>

#include "tensorfab/hw/chip.h"
#include "tensorfab/perf/serving.h"
#include "tensorfab/report/table.h"

namespace tfab::report {

struct ServingRow {
  const hw::ChipSpec* chip;
  const perf::ServingResult* result;
};

// One row per chip; the last column compares throughput with `baseline`
// (a row index), when there is more than one row.
[[nodiscard]] Table serving_table(std::span<const ServingRow> rows, size_t baseline);

// One row per operator: time, work, what bounds it.
[[nodiscard]] Table ops_table(const std::vector<perf::OpCost>& ops);

// "llama-3.1-70b · static batch 16 · prompt 2048 · output 512 · weights fp8, ..."
[[nodiscard]] std::string describe(const workload::ServeScenario& s, std::string_view model_id);

// What the serving figures mean, for the foot of a table.
[[nodiscard]] std::string serving_footnote(const workload::ServeScenario& s, perf::Tier tier);

// Throughput against batch.
[[nodiscard]] Table sweep_table(const std::vector<perf::BatchPoint>& points);

}  // namespace tfab::report
