#include "tensorfab/api/report.h"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <map>

#include "tensorfab/core/version.h"
#include "tensorfab/dse/run.h"
#include "tensorfab/report/serving.h"
#include "tensorfab/report/svg.h"
#include "tensorfab/report/table.h"

namespace tfab::api {
namespace {

namespace svg = report::svg;
using report::svg::escape;

// The page around the sections: inline style, no scripts, no fetches.
std::string page(const std::string& title, const std::string& subtitle, const std::string& body) {
  return fmt::format(R"(<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="generator" content="tensorfab {}">
<title>{}</title>
<style>
body {{ font-family: sans-serif; margin: 2em auto; max-width: 1100px; padding: 0 1em; color: #222; }}
h1 {{ font-size: 1.6em; margin-bottom: 0.2em; }}
h2 {{ font-size: 1.25em; margin-top: 2em; border-bottom: 1px solid #ddd; padding-bottom: 0.2em; }}
p.sub {{ color: #555; margin-top: 0; }}
table {{ border-collapse: collapse; margin: 1em 0; font-size: 0.9em; }}
th, td {{ border: 1px solid #ddd; padding: 0.3em 0.6em; text-align: left; }}
th {{ background: #f4f4f4; }}
td.num {{ text-align: right; font-variant-numeric: tabular-nums; }}
.charts {{ display: flex; flex-wrap: wrap; gap: 1em; }}
svg.chart {{ max-width: 100%; height: auto; border: 1px solid #eee; }}
footer {{ margin-top: 3em; color: #777; font-size: 0.85em; }}
</style>
</head>
<body>
<h1>{}</h1>
<p class="sub">{}</p>
{}<footer>tensorfab {} · every figure from the model described in docs/; see docs/validation.md for how far to trust it.</footer>
</body>
</html>
)",
                     core::kVersion, escape(title), escape(title), escape(subtitle), body, core::kVersion);
}

std::string section(const std::string& title, const std::string& intro, const std::string& content) {
  return fmt::format("<section>\n<h2>{}</h2>\n{}{}</section>\n", escape(title),
                     intro.empty() ? "" : "<p>" + escape(intro) + "</p>\n", content);
}

std::string charts(const std::vector<std::string>& svgs) {
  std::string out = "<div class=\"charts\">\n";
  for (const auto& s : svgs) out += s;
  return out + "</div>\n";
}

// The chip's roof in its compute format, and the operators of the serving
// work at the intensity and rate they ran at.
std::string roofline(const EvalResult& row) {
  const auto& s = row.serving;
  const double peak = row.chip.tensor_peak_for(s.compute_format).value_or(core::OpRate{}).base();
  const double bandwidth = row.chip.memory.bandwidth().base();
  svg::Plot p;
  p.title = fmt::format("{}: roofline, {}", row.chip.id, core::name(s.compute_format));
  p.x = {"arithmetic intensity (op/byte)", true};
  p.y = {"throughput (TOP/s)", true};
  auto ops_series = [&](const std::vector<perf::OpCost>& ops, const std::string& name) {
    svg::Series series{name, {}, false, true, false};
    for (const auto& op : ops) {
      const double work = (op.work.tensor_ops + op.work.vector_ops).base(), bytes = op.work.bytes.base();
      const double time = op.time.base();
      if (work <= 0 || bytes <= 0 || time <= 0) continue;
      series.points.push_back({work / bytes, work / time / 1e12,
                               fmt::format("{}: {} per instance, {} bound", op.name, core::format(op.time),
                                           perf::name(op.bound))});
    }
    return series;
  };
  if (peak > 0 && bandwidth > 0) {
    const double ridge = peak / bandwidth;
    svg::Series roof{"roof: HBM, then peak", {}, true, false, false};
    const double lo = std::min(0.1, ridge / 100), hi = std::max(1e4, ridge * 100);
    for (double x : {lo, ridge, hi}) roof.points.push_back({x, std::min(peak, bandwidth * x) / 1e12, ""});
    p.series.push_back(roof);
  }
  if (!s.prefill_ops.empty()) p.series.push_back(ops_series(s.prefill_ops, "prefill operators"));
  p.series.push_back(ops_series(s.decode_ops, "decode step operators"));
  return svg::plot(p);
}

// Time per operator (all its instances), the largest named and the rest together.
std::string time_breakdown(const std::vector<EvalResult>& rows, bool prefill) {
  constexpr size_t kNamed = 7;
  std::map<std::string, double> by_name;
  for (const auto& row : rows) {
    for (const auto& op : prefill ? row.serving.prefill_ops : row.serving.decode_ops) {
      by_name[op.name] += op.time.base() * static_cast<double>(op.repeat);
    }
  }
  std::vector<std::pair<std::string, double>> ranked(by_name.begin(), by_name.end());
  std::stable_sort(ranked.begin(), ranked.end(), [](const auto& a, const auto& b) { return a.second > b.second; });
  std::vector<std::string> named;
  for (size_t i = 0; i < ranked.size() && i < kNamed; ++i) named.push_back(ranked[i].first);
  std::vector<svg::Stack> stacks;
  for (const auto& row : rows) {
    const auto& ops = prefill ? row.serving.prefill_ops : row.serving.decode_ops;
    svg::Stack stack{row.chip.id, {}};
    std::map<std::string, double> ms;
    double other = 0;
    for (const auto& op : ops) {
      const double t = op.time.base() * static_cast<double>(op.repeat) * 1e3;
      if (std::find(named.begin(), named.end(), op.name) != named.end()) {
        ms[op.name] += t;
      } else {
        other += t;
      }
    }
    for (const auto& n : named) stack.parts.emplace_back(n, ms[n]);
    stack.parts.emplace_back("other", other);
    stacks.push_back(std::move(stack));
  }
  const bool continuous = !rows.empty() && rows.front().serving.scenario.batching == workload::Batching::kContinuous;
  return svg::stacked_bars(prefill ? "prefill pass: time by operator"
                                   : (continuous ? "one continuous-batching step: time by operator"
                                                 : "one decode step: time by operator"),
                           "ms", stacks);
}

std::string serving_curves(const std::vector<EvalResult>& rows) {
  svg::Plot p;
  p.title = "throughput against time per output token, as the batch grows";
  p.x = {"time per output token (ms)", false};
  p.y = {"output tokens/s per chip", false};
  for (const auto& row : rows) {
    svg::Series series{row.chip.id, {}, true, true, false};
    for (const auto& b : row.sweep) {
      if (!b.fits) continue;
      series.points.push_back({b.time_per_output_token.base() * 1e3, b.output_tokens_per_s_per_chip,
                               fmt::format("{}: batch {}, TTFT {}", row.chip.id, b.batch,
                                           core::format(b.time_to_first_token))});
    }
    p.series.push_back(std::move(series));
  }
  return svg::plot(p);
}

std::string power_breakdown(const std::vector<EvalResult>& rows) {
  std::vector<svg::Stack> stacks;
  for (const auto& row : rows) {
    if (!row.cost) continue;
    const auto& e = row.cost->power.energy;
    const double total = e.total().base(), watts = row.cost->average_power.base();
    if (total <= 0) continue;
    stacks.push_back({row.chip.id,
                      {{"tensor", e.tensor.base() / total * watts},
                       {"vector", e.vector.base() / total * watts},
                       {"memory", e.memory.base() / total * watts},
                       {"links", e.link.base() / total * watts},
                       {"idle", e.idle.base() / total * watts}}});
  }
  return svg::stacked_bars("average power while serving, by where the energy goes", "W", stacks);
}

std::string area_breakdown(const std::vector<EvalResult>& rows) {
  std::vector<svg::Stack> stacks;
  for (const auto& row : rows) {
    if (!row.area) continue;
    const auto& a = *row.area;
    auto mm2 = [](core::Area x) { return x.base() * 1e6; };
    stacks.push_back({row.chip.id,
                      {{"MAC arrays", mm2(a.tensor)},
                       {"other logic", mm2(a.logic - a.tensor)},
                       {"SRAM", mm2(a.sram)},
                       {"HBM PHYs", mm2(a.memory_phy)},
                       {"SerDes", mm2(a.serdes)},
                       {"die-to-die", mm2(a.die_to_die)}}});
  }
  return svg::stacked_bars("derived area of the logic dies", "mm^2", stacks);
}

std::string cost_breakdown(const std::vector<EvalResult>& rows) {
  std::vector<svg::Stack> stacks;
  for (const auto& row : rows) {
    if (!row.bill || !row.bill->total) continue;
    const auto& b = *row.bill;
    const double dies = b.die_cost ? b.die_cost->base() * static_cast<double>(row.chip.dies) : 0;
    const double stacked =
        b.stacked_die_cost && row.chip.stacked_dies
            ? b.stacked_die_cost->base() * static_cast<double>(row.chip.stacked_dies->count)
            : 0;
    const double bonding = b.bonding_cost ? b.bonding_cost->base() : 0;
    const double memory = b.memory_cost ? b.memory_cost->base() : 0;
    const double packaging = b.packaging_cost ? b.packaging_cost->base() : 0;
    const double losses = b.total->base() - dies - stacked - bonding - memory - packaging;
    stacks.push_back({row.chip.id,
                      {{"logic dies", dies},
                       {"stacked dies", stacked},
                       {"bonding", bonding},
                       {"HBM", memory},
                       {"packaging", packaging},
                       {"assembly and bonding losses", losses}}});
  }
  return svg::stacked_bars("cost to make one part", "USD", stacks);
}

}  // namespace

report::Table cost_table(std::span<const EvalResult> rows) {
  report::Table t({"chip", "power", "clock", "tok/J", "chip made for", "$/chip-hour", "$/M tokens"});
  for (const auto& row : rows) {
    if (!row.cost) {
      t.add_row({row.chip.id, "-", "-", "-", "-", "-", "-"});
      continue;
    }
    const auto& c = *row.cost;
    t.add_row({row.chip.id, core::format(c.average_power),
               c.power.clock_scale < 1 ? fmt::format("{:.0f}%", c.power.clock_scale * 100) : "full",
               fmt::format("{:.2f}", c.tokens_per_joule), c.tco ? fmt::format("${:.0f}", c.tco->chip.base()) : "-",
               c.tco ? fmt::format("${:.3f}", c.tco->per_hour().base()) : "-",
               c.usd_per_million_tokens ? fmt::format("${:.3f}", *c.usd_per_million_tokens) : "-"});
  }
  return t;
}

std::string study_html(const StudyResult& result) {
  const auto& rows = result.rows;
  if (rows.empty()) return page("tensorfab study", "no chips", "");
  std::vector<report::ServingRow> table_rows;
  for (const auto& row : rows) table_rows.push_back({&row.chip, &row.serving});
  const auto comparison = report::serving_table(table_rows, table_rows.size() - 1);
  const auto& first = rows.front().serving;
  std::string body;
  body += section("Comparison", report::serving_footnote(first.scenario, first.tier),
                  comparison.render_html("comparison"));
  std::vector<std::string> roofs;
  for (const auto& row : rows) roofs.push_back(roofline(row));
  body += section("Rooflines",
                  "Each operator at its arithmetic intensity (operations per byte of off-chip traffic) and the rate "
                  "it ran at, under the chip's roof: HBM bandwidth, then peak throughput. Hover a point for the "
                  "operator.",
                  charts(roofs));
  std::vector<std::string> times;
  if (!first.prefill_ops.empty()) times.push_back(time_breakdown(rows, true));
  times.push_back(time_breakdown(rows, false));
  body += section("Where the time goes", "All instances of each operator (every layer) together.", charts(times));
  const bool swept = std::any_of(rows.begin(), rows.end(), [](const EvalResult& r) { return !r.sweep.empty(); });
  if (swept) {
    body += section("Serving curves",
                    "Throughput per chip against time per output token at batch 1, 2, 4, ... up to the largest batch "
                    "that fits.",
                    charts({serving_curves(rows)}));
  }
  std::vector<std::string> physical{power_breakdown(rows)};
  if (std::any_of(rows.begin(), rows.end(), [](const EvalResult& r) { return r.area.has_value(); })) {
    physical.push_back(area_breakdown(rows));
  }
  if (std::any_of(rows.begin(), rows.end(), [](const EvalResult& r) { return r.bill && r.bill->total; })) {
    physical.push_back(cost_breakdown(rows));
  }
  std::string unknown;
  for (const auto& row : rows) {
    for (const auto& why : row.cost_unknown) unknown += "<li>" + escape(row.chip.id + ": " + why) + "</li>\n";
  }
  body += section("Power, area and cost",
                  rows.front().datacenter
                      ? fmt::format("TCO in {}: PUE {:.2f}, {:.4f} USD/kWh; each chip at its cost to make "
                                    "(docs/physical-model.md).",
                                    rows.front().datacenter->name, rows.front().datacenter->pue,
                                    rows.front().datacenter->electricity.base() * 3.6e6)
                      : std::string(),
                  cost_table(rows).render_html("cost") + charts(physical) +
                      (unknown.empty() ? "" : "<p>Not derived:</p>\n<ul>\n" + unknown + "</ul>\n"));
  return page("tensorfab study", report::describe(first.scenario, rows.front().model.id), body);
}

core::Result<std::string> sweep_html(const std::filesystem::path& folder) {
  auto results = dse::read_results(folder);
  if (!results) return results.errors();
  const auto& r = *results;
  const auto front = dse::pareto_front(r.rows, r.objectives);
  std::string body;
  int64_t feasible = 0;
  std::map<std::string, int64_t> out;
  for (const auto& row : r.rows) {
    if (row.feasible()) {
      ++feasible;
    } else {
      ++out[row.infeasible.front().kind];
    }
  }
  auto label_of = [&](const dse::Row& row) {
    std::string text = fmt::format("point {}", row.index);
    for (size_t a = 0; a < r.axes.size(); ++a) text += fmt::format(", {} {}", r.axes[a], r.labels[a][row.values[a]]);
    return text;
  };
  if (r.objectives.size() >= 2) {
    const auto& ox = dse::info(r.objectives[0].metric);
    const auto& oy = dse::info(r.objectives[1].metric);
    svg::Plot p;
    p.title = fmt::format("{} against {}", oy.name, ox.name);
    p.x = {fmt::format("{} ({}, {})", ox.name, ox.unit, r.objectives[0].maximize ? "max" : "min"), false};
    p.y = {fmt::format("{} ({}, {})", oy.name, oy.unit, r.objectives[1].maximize ? "max" : "min"), false};
    svg::Series all{"feasible points", {}, false, true, false};
    svg::Series best{"Pareto front", {}, false, true, true};
    for (const auto& row : r.rows) {
      if (!row.feasible() || !row[ox.metric] || !row[oy.metric]) continue;
      all.points.push_back({*row[ox.metric], *row[oy.metric], label_of(row)});
    }
    for (size_t i : front) {
      const auto& row = r.rows[i];
      if (row[ox.metric] && row[oy.metric]) best.points.push_back({*row[ox.metric], *row[oy.metric], label_of(row)});
    }
    p.series = {all, best};
    body += section("Pareto front",
                    "The front is over every objective; the plot shows the first two. Hover a point for its design.",
                    charts({svg::plot(p)}));
  }
  std::vector<std::string> headers{"point"};
  headers.insert(headers.end(), r.axes.begin(), r.axes.end());
  for (const auto& o : r.objectives) {
    const auto& m = dse::info(o.metric);
    headers.push_back(fmt::format("{}{}", m.name, m.unit.empty() ? "" : " (" + std::string(m.unit) + ")"));
  }
  report::Table table(headers);
  for (size_t i : front) {
    const auto& row = r.rows[i];
    std::vector<std::string> cells{fmt::format("{}", row.index)};
    for (size_t a = 0; a < r.axes.size(); ++a) cells.push_back(r.labels[a][row.values[a]]);
    for (const auto& o : r.objectives) cells.push_back(fmt::format("{:.4g}", *row[o.metric]));
    table.add_row(cells);
  }
  body += section("The front", "", table.render_html("pareto"));
  report::Table reasons({"why not feasible (the first reason)", "points"});
  for (const auto& [kind, count] : out) reasons.add_row({kind, fmt::format("{}", count)});
  body += section("Infeasible points", "", reasons.render_html("infeasible"));
  return page("tensorfab sweep: " + r.name,
              fmt::format("{} points, {} feasible, {} on the Pareto front", r.rows.size(), feasible, front.size()), body);
}

nlohmann::ordered_json serving_trace(const StudyResult& result) {
  using Json = nlohmann::ordered_json;
  Json events = Json::array();
  enum Lane { kCompute = 1, kMemory = 2, kCommunication = 3 };
  auto lane_of = [](const perf::OpCost& op) {
    if (op.kind == workload::OpKind::kCollective || op.bound == perf::Bound::kLink) return kCommunication;
    return op.bound == perf::Bound::kMemory ? kMemory : kCompute;
  };
  for (size_t c = 0; c < result.rows.size(); ++c) {
    const auto& row = result.rows[c];
    const int pid = static_cast<int>(c) + 1;
    events.push_back({{"name", "process_name"}, {"ph", "M"}, {"pid", pid}, {"tid", 0}, {"args", {{"name", row.chip.id}}}});
    for (auto [tid, name] : {std::pair{kCompute, "compute"}, {kMemory, "memory"}, {kCommunication, "communication"}}) {
      events.push_back({{"name", "thread_name"}, {"ph", "M"}, {"pid", pid}, {"tid", tid}, {"args", {{"name", name}}}});
    }
    double now = 0;  // µs
    auto emit = [&](const perf::OpCost& op, double micros, const std::string& phase, int64_t layer) {
      Json args = {{"phase", phase}, {"bound", perf::name(op.bound)}, {"repeat", op.repeat}};
      if (layer >= 0) args["layer"] = layer;
      events.push_back({{"name", op.name}, {"cat", phase}, {"ph", "X"}, {"pid", pid}, {"tid", lane_of(op)},
                        {"ts", now}, {"dur", micros}, {"args", args}});
      now += micros;
    };
    // The operators repeated most are the layers': run them layer by layer,
    // the others once (as long as all their instances) where they stand.
    auto pass = [&](const std::vector<perf::OpCost>& ops, const std::string& phase) {
      int64_t layers = 1;
      for (const auto& op : ops) layers = std::max(layers, op.repeat);
      size_t first = ops.size();
      for (size_t i = 0; i < ops.size(); ++i) {
        if (ops[i].repeat == layers && layers > 1) {
          first = std::min(first, i);
        }
      }
      for (size_t i = 0; i < first && i < ops.size(); ++i) {
        emit(ops[i], ops[i].time.base() * 1e6 * static_cast<double>(ops[i].repeat), phase, -1);
      }
      if (first < ops.size()) {
        for (int64_t l = 0; l < layers; ++l) {
          for (size_t i = first; i < ops.size(); ++i) {
            if (ops[i].repeat == layers) emit(ops[i], ops[i].time.base() * 1e6, phase, l);
          }
        }
        for (size_t i = first; i < ops.size(); ++i) {
          if (ops[i].repeat != layers) {
            emit(ops[i], ops[i].time.base() * 1e6 * static_cast<double>(ops[i].repeat), phase, -1);
          }
        }
      }
    };
    pass(row.serving.prefill_ops, "prefill");
    pass(row.serving.decode_ops,
         row.serving.scenario.batching == workload::Batching::kContinuous ? "continuous step" : "decode step");
  }
  return {{"traceEvents", events}, {"displayTimeUnit", "ms"},
          {"otherData", {{"tool", std::string("tensorfab ") + std::string(core::kVersion)}}}};
}

}  // namespace tfab::api
