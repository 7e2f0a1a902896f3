#pragma once
// Running a sweep: points evaluated in parallel (oneTBB) and across
// processes (a Shard, MPI in the CLI), streamed to disk in index order with
// a checkpoint after every chunk, so that a run killed at any moment and
// run again with `resume` loses no finished point and repeats none.
//
// The results folder holds
//   points.csv, points.jsonl   a row per point, in index order
//   checkpoint.json            the next point and the files' lengths up to it
//   spec.json                  the sweep's axes and objectives, for `pareto`
//   pareto.csv, summary.json   written at the end
// and is the same bytes whatever the thread count, rank count or resumes.

#include <cstdint>
#include <filesystem>
#include <functional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "tensorfab/config/node.h"
#include "tensorfab/core/result.h"
#include "tensorfab/dse/analysis.h"
#include "tensorfab/dse/sweep.h"

namespace tfab::dse {

// Evaluates one point from its overrides: its metrics, and why it is out
// where it is (a broken limit, a failed evaluation). Called from several
// threads at once.
using Evaluate = std::function<Row(int64_t index, const config::Overrides& overrides)>;

// Processes working on one sweep. Rank 0 writes the files; `gather` brings
// each rank's bytes to rank 0 in rank order (empty elsewhere; one rank
// keeps its rows and gathers nothing); `broadcast` gives every rank rank
// 0's number.
struct Shard {
  int rank = 0;
  int ranks = 1;
  // (The bytes stay the gatherer's until its next call.)
  std::function<const std::vector<std::string>&(const std::string&)> gather = [](const std::string&)
      -> const std::vector<std::string>& {
    static const std::vector<std::string> kOne(1);
    return kOne;
  };
  std::function<int64_t(int64_t)> broadcast = [](int64_t v) { return v; };
};

enum class Progress { kNone, kBar, kLines };

struct RunOptions {
  std::filesystem::path out;
  bool resume = false;  // continue the run in `out`
  bool force = false;   // start over, replacing results in `out`
  int threads = 0;      // 0: every core
  int64_t chunk = 1024; // points between checkpoints
  Progress progress = Progress::kNone;
};

struct RunResult {
  Summary summary;       // rank 0's; empty on other ranks
  std::vector<Row> rows; // rank 0's: every point, in index order
  int64_t resumed_from = 0;
  double seconds = 0;  // this run's evaluating time
  int64_t evaluated = 0;  // points this run evaluated, all ranks
};

[[nodiscard]] core::Result<RunResult> run_sweep(const SweepSpec& spec, const Evaluate& evaluate,
                                                const RunOptions& options, const Shard& shard = {});

// The rows of a results folder (points.jsonl, read against spec.json's axes).
struct Results {
  std::string name;
  std::vector<std::string> axes;
  std::vector<std::vector<std::string>> labels;  // per axis
  std::vector<Objective> objectives;             // the sweep's own
  std::vector<Row> rows;
};
[[nodiscard]] core::Result<Results> read_results(const std::filesystem::path& folder);

// A row as points.jsonl holds it, and summary.json's document for `rows`
// (in index order).
[[nodiscard]] nlohmann::ordered_json row_json(const SweepSpec& spec, const Row& row);
[[nodiscard]] nlohmann::ordered_json summary_json(const SweepSpec& spec, const std::vector<Row>& rows,
                                                  const Summary& summary);

// The CSV and JSON-lines text of one row.
[[nodiscard]] std::string csv_header(const SweepSpec& spec);
[[nodiscard]] std::string csv_line(const SweepSpec& spec, const Row& row);
[[nodiscard]] std::string json_line(const SweepSpec& spec, const Row& row);

}  // namespace tfab::dse
