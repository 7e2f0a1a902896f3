#include "tensorfab/report/svg.h"

#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <cmath>
#include <map>
#include <optional>

namespace tfab::report::svg {
namespace {

// Tableau-like colours, distinct in print and for most colour blindness.
constexpr std::array<const char*, 10> kColours{"#4c78a8", "#f58518", "#54a24b", "#e45756", "#72b7b2",
                                               "#b279a2", "#eeca3b", "#ff9da6", "#9d755d", "#bab0ac"};

constexpr double kWidth = 680, kHeight = 420;
constexpr double kLeft = 84, kRight = 24, kTop = 52, kBottom = 58;

const char* colour(size_t i) { return kColours[i % kColours.size()]; }

std::string number(double v) { return fmt::format("{:.1f}", v); }

// One axis's range and ticks, in data units.
struct Scale {
  double lo = 0, hi = 1;
  bool log = false;
  std::vector<double> ticks;

  [[nodiscard]] double fraction(double v) const {
    if (log) return (std::log10(v) - std::log10(lo)) / (std::log10(hi) - std::log10(lo));
    return (v - lo) / (hi - lo);
  }
};

Scale scale_of(double min, double max, bool log) {
  Scale s;
  s.log = log;
  if (log) {
    s.lo = std::pow(10.0, std::floor(std::log10(min)));
    s.hi = std::pow(10.0, std::ceil(std::log10(max)));
    if (s.hi <= s.lo) s.hi = s.lo * 10;
    const int decades = static_cast<int>(std::lround(std::log10(s.hi / s.lo)));
    const int every = decades > 8 ? 2 : 1;
    for (int d = 0; d <= decades; d += every) s.ticks.push_back(s.lo * std::pow(10.0, d));
    return s;
  }
  if (max <= min) {
    const double pad = min == 0 ? 1 : std::abs(min) * 0.1;
    min -= pad;
    max += pad;
  }
  // A step of 1, 2 or 5 times a power of ten, about five ticks.
  const double raw = (max - min) / 5, power = std::pow(10.0, std::floor(std::log10(raw)));
  const double step = raw / power < 1.5 ? power : raw / power < 3.5 ? 2 * power : raw / power < 7.5 ? 5 * power
                                                                                                     : 10 * power;
  s.lo = std::floor(min / step) * step;
  s.hi = std::ceil(max / step) * step;
  for (double t = s.lo; t <= s.hi + step / 2; t += step) s.ticks.push_back(std::abs(t) < step * 1e-9 ? 0 : t);
  return s;
}

std::string tick_text(double v) { return fmt::format("{:.3g}", v); }

std::string frame_start(const std::string& title, double height) {
  return fmt::format(
      "<svg xmlns=\"http://www.w3.org/2000/svg\" class=\"chart\" viewBox=\"0 0 {} {}\" width=\"{}\" height=\"{}\" "
      "role=\"img\" aria-label=\"{}\" font-family=\"sans-serif\" font-size=\"12\">\n"
      "<text x=\"{}\" y=\"24\" text-anchor=\"middle\" font-size=\"15\" font-weight=\"bold\">{}</text>\n",
      number(kWidth), number(height), number(kWidth), number(height), escape(title), number(kWidth / 2),
      escape(title));
}

}  // namespace

std::string escape(const std::string& text) {
  std::string out;
  out.reserve(text.size());
  for (char c : text) {
    switch (c) {
      case '&': out += "&amp;"; break;
      case '<': out += "&lt;"; break;
      case '>': out += "&gt;"; break;
      case '"': out += "&quot;"; break;
      default: out += c;
    }
  }
  return out;
}

std::string plot(const Plot& p) {
  auto drawable = [&](const Point& pt) {
    return std::isfinite(pt.x) && std::isfinite(pt.y) && (!p.x.log || pt.x > 0) && (!p.y.log || pt.y > 0);
  };
  std::optional<double> x_min, x_max, y_min, y_max;
  for (const Series& s : p.series) {
    for (const Point& pt : s.points) {
      if (!drawable(pt)) continue;
      x_min = std::min(x_min.value_or(pt.x), pt.x);
      x_max = std::max(x_max.value_or(pt.x), pt.x);
      y_min = std::min(y_min.value_or(pt.y), pt.y);
      y_max = std::max(y_max.value_or(pt.y), pt.y);
    }
  }
  std::string out = frame_start(p.title, kHeight);
  const double plot_w = kWidth - kLeft - kRight, plot_h = kHeight - kTop - kBottom;
  out += fmt::format("<rect x=\"{}\" y=\"{}\" width=\"{}\" height=\"{}\" fill=\"none\" stroke=\"#999\"/>\n",
                     number(kLeft), number(kTop), number(plot_w), number(plot_h));
  if (!x_min) {
    out += fmt::format("<text x=\"{}\" y=\"{}\" text-anchor=\"middle\" fill=\"#666\">nothing to plot</text>\n</svg>\n",
                       number(kLeft + plot_w / 2), number(kTop + plot_h / 2));
    return out;
  }
  // Linear axes start at zero where the data are positive: bars of throughput read true.
  const Scale xs = scale_of(p.x.log ? *x_min : std::min(0.0, *x_min), *x_max, p.x.log);
  const Scale ys = scale_of(p.y.log ? *y_min : std::min(0.0, *y_min), *y_max, p.y.log);
  auto px = [&](double x) { return kLeft + xs.fraction(x) * plot_w; };
  auto py = [&](double y) { return kTop + plot_h - ys.fraction(y) * plot_h; };

  for (double t : xs.ticks) {
    out += fmt::format(
        "<line x1=\"{0}\" y1=\"{1}\" x2=\"{0}\" y2=\"{2}\" stroke=\"#e5e5e5\"/>"
        "<text x=\"{0}\" y=\"{3}\" text-anchor=\"middle\">{4}</text>\n",
        number(px(t)), number(kTop), number(kTop + plot_h), number(kTop + plot_h + 16), tick_text(t));
  }
  for (double t : ys.ticks) {
    out += fmt::format(
        "<line x1=\"{1}\" y1=\"{0}\" x2=\"{2}\" y2=\"{0}\" stroke=\"#e5e5e5\"/>"
        "<text x=\"{3}\" y=\"{0}\" text-anchor=\"end\" dominant-baseline=\"middle\">{4}</text>\n",
        number(py(t)), number(kLeft), number(kLeft + plot_w), number(kLeft - 6), tick_text(t));
  }
  out += fmt::format("<text x=\"{}\" y=\"{}\" text-anchor=\"middle\">{}</text>\n", number(kLeft + plot_w / 2),
                     number(kHeight - 16), escape(p.x.label));
  out += fmt::format("<text x=\"16\" y=\"{0}\" text-anchor=\"middle\" transform=\"rotate(-90 16 {0})\">{1}</text>\n",
                     number(kTop + plot_h / 2), escape(p.y.label));

  // Emphasised series last, so that they sit on top.
  std::vector<size_t> order(p.series.size());
  for (size_t i = 0; i < order.size(); ++i) order[i] = i;
  std::stable_sort(order.begin(), order.end(),
                   [&](size_t a, size_t b) { return !p.series[a].emphasis && p.series[b].emphasis; });
  for (size_t i : order) {
    const Series& s = p.series[i];
    out += fmt::format("<g class=\"series\" data-name=\"{}\">", escape(s.name));
    if (s.line) {
      std::string points;
      for (const Point& pt : s.points) {
        if (drawable(pt)) points += (points.empty() ? "" : " ") + number(px(pt.x)) + "," + number(py(pt.y));
      }
      out += fmt::format("<polyline points=\"{}\" fill=\"none\" stroke=\"{}\" stroke-width=\"{}\"/>", points,
                         colour(i), s.emphasis ? 2.5 : 1.5);
    }
    if (s.markers) {
      for (const Point& pt : s.points) {
        if (!drawable(pt)) continue;
        out += fmt::format("<circle cx=\"{}\" cy=\"{}\" r=\"{}\" fill=\"{}\"{}><title>{}</title></circle>",
                           number(px(pt.x)), number(py(pt.y)), s.emphasis ? 5 : 3, colour(i),
                           s.emphasis ? " stroke=\"#000\"" : "", escape(pt.label));
      }
    }
    out += "</g>\n";
  }
  // The legend, top right inside the frame.
  for (size_t i = 0; i < p.series.size(); ++i) {
    const double y = kTop + 14 + 16 * static_cast<double>(i);
    out += fmt::format(
        "<rect x=\"{}\" y=\"{}\" width=\"10\" height=\"10\" fill=\"{}\"/>"
        "<text x=\"{}\" y=\"{}\" text-anchor=\"end\" dominant-baseline=\"middle\">{}</text>\n",
        number(kLeft + plot_w - 16), number(y - 5), colour(i), number(kLeft + plot_w - 22), number(y),
        escape(p.series[i].name));
  }
  return out + "</svg>\n";
}

std::string stacked_bars(const std::string& title, const std::string& unit, const std::vector<Stack>& rows) {
  constexpr double kLabel = 150, kRow = 24, kValue = 90;
  std::vector<std::string> names;  // parts in order of first appearance keep their colour
  double widest = 0;
  for (const Stack& r : rows) {
    double total = 0;
    for (const auto& [name, value] : r.parts) {
      if (std::find(names.begin(), names.end(), name) == names.end()) names.push_back(name);
      if (std::isfinite(value) && value > 0) total += value;
    }
    widest = std::max(widest, total);
  }
  const double legend_rows = std::ceil(static_cast<double>(names.size()) / 4);
  const double height = kTop + kRow * static_cast<double>(rows.size()) + 20 + 18 * legend_rows;
  std::string out = frame_start(title, height);
  const double bar_w = kWidth - kLabel - kValue - 10;
  for (size_t i = 0; i < rows.size(); ++i) {
    const Stack& r = rows[i];
    const double y = kTop + kRow * static_cast<double>(i);
    out += fmt::format("<text x=\"{}\" y=\"{}\" text-anchor=\"end\" dominant-baseline=\"middle\">{}</text>",
                       number(kLabel - 8), number(y + kRow / 2 - 2), escape(r.label));
    double x = kLabel, total = 0;
    for (const auto& [name, value] : r.parts) {
      if (!std::isfinite(value) || value <= 0 || widest <= 0) continue;
      const double w = value / widest * bar_w;
      const size_t c = static_cast<size_t>(std::find(names.begin(), names.end(), name) - names.begin());
      out += fmt::format(
          "<rect class=\"bar\" x=\"{}\" y=\"{}\" width=\"{}\" height=\"{}\" fill=\"{}\"><title>{}: {} {}</title></rect>",
          number(x), number(y + 3), number(std::max(w, 0.5)), number(kRow - 8), colour(c), escape(name),
          tick_text(value), escape(unit));
      x += w;
      total += value;
    }
    out += fmt::format("<text x=\"{}\" y=\"{}\" dominant-baseline=\"middle\">{} {}</text>\n", number(x + 6),
                       number(y + kRow / 2 - 2), tick_text(total), escape(unit));
  }
  for (size_t i = 0; i < names.size(); ++i) {
    const double x = kLabel + static_cast<double>(i % 4) * 130;
    const double y = kTop + kRow * static_cast<double>(rows.size()) + 14 + 18 * std::floor(static_cast<double>(i) / 4);
    out += fmt::format(
        "<rect x=\"{}\" y=\"{}\" width=\"10\" height=\"10\" fill=\"{}\"/><text x=\"{}\" y=\"{}\" "
        "dominant-baseline=\"middle\">{}</text>\n",
        number(x), number(y - 5), colour(i), number(x + 14), number(y), escape(names[i]));
  }
  return out + "</svg>\n";
}

}  // namespace tfab::report::svg
