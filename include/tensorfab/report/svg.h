#pragma once
// Charts as SVG text, drawn by the tool itself so that a report is one file
// that opens offline, in any browser, with no script to run and the same
// bytes on every run (docs/reports.md says why not a charting library).

#include <string>
#include <vector>

namespace tfab::report::svg {

struct Point {
  double x = 0, y = 0;
  std::string label;  // shown on hover
};

struct Series {
  std::string name;
  std::vector<Point> points;
  bool line = false;     // joined in order
  bool markers = true;   // a dot at each point
  bool emphasis = false; // drawn larger, on top (a Pareto front)
};

struct Axis {
  std::string label;
  bool log = false;  // powers of ten; points at or below zero are left out
};

struct Plot {
  std::string title;
  Axis x, y;
  std::vector<Series> series;
};

// An <svg> element with axes, ticks, a legend and the series; a plot with
// no drawable point says so in its frame.
[[nodiscard]] std::string plot(const Plot& p);

// Horizontal bars, one per row, each split into named parts that keep their
// colours across rows (a breakdown of time, area, power or cost).
struct Stack {
  std::string label;
  std::vector<std::pair<std::string, double>> parts;  // name, value >= 0
};
[[nodiscard]] std::string stacked_bars(const std::string& title, const std::string& unit,
                                       const std::vector<Stack>& rows);

// Text safe inside SVG and HTML.
[[nodiscard]] std::string escape(const std::string& text);

}  // namespace tfab::report::svg
