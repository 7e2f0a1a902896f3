#pragma once
// A chip's spec and derived figures as labelled rows, for `tensorfab show
// chip` (one column) and `tensorfab compare-chips` (one column per chip).

#include <string>
#include <vector>

#include "tensorfab/hw/chip.h"
#include "tensorfab/report/table.h"

namespace tfab::report {

struct SheetRow {
  std::string label;  // "HBM bandwidth"
  std::string value;  // "3.35 TB/s"; "unknown" for figures that are not public
};

[[nodiscard]] std::vector<SheetRow> chip_sheet(const hw::ChipSpec& chip);

// Rows are the union of every chip's labels, in first-seen order; a chip
// without a row (an SRAM level it does not have) shows "-".
[[nodiscard]] Table compare_chips(const std::vector<hw::ChipSpec>& chips);

}  // namespace tfab::report
