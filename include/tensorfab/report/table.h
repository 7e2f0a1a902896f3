#pragma once
// A table of text cells, rendered for people (aligned columns) or for
// machines (CSV, RFC 4180 quoting). Results are turned into tables by the
// api layer; this file only knows about cells.

#include <string>
#include <vector>

namespace tfab::report {

class Table {
 public:
  explicit Table(std::vector<std::string> headers) : headers_(std::move(headers)) {}
  void add_row(std::vector<std::string> cells);

  // Columns padded to their widest cell; the first column left-aligned, the
  // rest right-aligned (they hold numbers).
  [[nodiscard]] std::string render_text() const;
  [[nodiscard]] std::string render_csv() const;

 private:
  std::vector<std::string> headers_;
  std::vector<std::vector<std::string>> rows_;
};

}  // namespace tfab::report
