#pragma once
// A table of text cells, rendered for people (aligned columns) or for
// machines (CSV, RFC 4180 quoting). Results are turned into tables by the
// api layer; this file only knows about cells.

#include <string>
#include <vector>

namespace tfab::report {

class Table {
 public:
  // Numbers: the first column left-aligned, the rest right-aligned. Text:
  // every column left-aligned (spec sheets, where values are words).
  enum class Layout { kNumbers, kText };

  explicit Table(std::vector<std::string> headers, Layout layout = Layout::kNumbers)
      : headers_(std::move(headers)), layout_(layout) {}
  void add_row(std::vector<std::string> cells);

  // Columns padded to their widest cell, aligned as the layout says.
  [[nodiscard]] std::string render_text() const;
  [[nodiscard]] std::string render_csv() const;
  // An HTML <table>, cells escaped; `id` names it for scripts and tests.
  [[nodiscard]] std::string render_html(const std::string& id = "") const;

 private:
  std::vector<std::string> headers_;
  std::vector<std::vector<std::string>> rows_;
  Layout layout_;
};

}  // namespace tfab::report
