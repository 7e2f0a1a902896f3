#pragma once
// Validation: the models' predictions against published end-to-end
// measurements. A case file (docs/validation.md) lists cases, each a chip,
// a model, a serving scenario (the submitter's configuration) or a training
// scenario and the system it ran on, the measured figure and its source,
// and the error bounds the file's rows must meet.
// Nothing here feeds back into a model: the chip files' efficiency figures
// come from microbenchmarks, and these rows only judge them.

#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "tensorfab/config/load.h"
#include "tensorfab/cost/energy.h"
#include "tensorfab/hw/chip.h"
#include "tensorfab/perf/serving.h"
#include "tensorfab/perf/tier.h"
#include "tensorfab/system/training.h"

namespace tfab::validate {

struct Row {
  std::string file;   // the case file
  std::string name;   // "H100-SXM-80GBx8, Offline"
  std::string chip;
  std::string quantity;  // "tokens/s per chip" (serving: at the clock the TDP allows) or "step time, s"
  double predicted = 0;
  double measured = 0;
  std::optional<double> clock_scale;  // that clock / the published one; none where power is not derived
  std::string detail;                 // what else the prediction says ("MFU 51.2%")
  [[nodiscard]] double error() const { return (predicted - measured) / measured; }  // signed, relative
};

// The rows of one case file and its bounds on |error|.
struct FileReport {
  std::string file;
  double mean_bound = 0, row_bound = 0;
  std::vector<Row> rows;

  [[nodiscard]] double mean_abs_error() const;
  [[nodiscard]] double max_abs_error() const;
  [[nodiscard]] bool within_bounds() const { return mean_abs_error() <= mean_bound && max_abs_error() <= row_bound; }
};

// The serving work's power on a chip, with the clock its TDP allows, or
// nothing where the chip's power cannot be derived (api.h supplies one).
using PowerCap =
    std::function<std::optional<cost::WorkloadPower>(const hw::ChipSpec&, const perf::ServingResult&)>;

// Runs every case of the files named (folders: every .yaml in them, in
// name order), or of the catalog's validation/ folder when none is named.
// Fails (bad input) on a malformed case file, reporting all problems.
// Without a power cap, every chip runs at its published clock.
[[nodiscard]] core::Result<std::vector<FileReport>> run(const config::Catalog& catalog,
                                                        const std::vector<std::string>& paths,
                                                        perf::Tier tier = perf::Tier::kTile,
                                                        const PowerCap& power_cap = {});

}  // namespace tfab::validate
