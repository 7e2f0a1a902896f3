#pragma once
// Reports to look at rather than read (docs/reports.md): one HTML file that
// opens offline, its charts drawn as SVG by the tool, and a Perfetto trace
// of the simulated serving work.

#include <filesystem>
#include <span>
#include <string>

#include <nlohmann/json.hpp>

#include "tensorfab/api/api.h"
#include "tensorfab/report/table.h"

namespace tfab::api {

// Power, tokens per joule and TCO, a row per chip: what `study` prints
// under its table and the report shows.
[[nodiscard]] report::Table cost_table(std::span<const EvalResult> rows);

// A study's (or one evaluation's) report: the comparison table, a roofline
// per chip with the workload's operators on it, where the time goes per
// operator, throughput against latency as the batch grows (when the study
// swept the batch), and the power, area and cost of each part.
[[nodiscard]] std::string study_html(const StudyResult& result);

// A sweep's report from its results folder: the feasible points on the
// first two objectives with the Pareto front drawn over them, the front as
// a table, and why the other points are out.
[[nodiscard]] core::Result<std::string> sweep_html(const std::filesystem::path& results);

// The serving work of each row as a Chrome/Perfetto trace: a process per
// chip, with lanes for compute, memory and communication; the prefill pass,
// then one decode (or continuous-batching) step, layer by layer.
[[nodiscard]] nlohmann::ordered_json serving_trace(const StudyResult& result);

}  // namespace tfab::api
