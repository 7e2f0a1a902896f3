// tensorfab: the command line. It only parses flags, calls the api and
// prints; every decision about chips and models is made in the library.

#include <CLI/CLI.hpp>
#include <fmt/format.h>
#include <tbb/global_control.h>
#include <tbb/info.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <unistd.h>

#include "tensorfab/api/api.h"
#include "tensorfab/api/report.h"
#include "tensorfab/core/version.h"
#include "tensorfab/report/chip_sheet.h"
#include "tensorfab/report/json.h"
#include "tensorfab/report/serving.h"
#include "tensorfab/report/trace.h"
#include "tensorfab/validate/validate.h"
#include "mpi_shard.h"

namespace {

using namespace tfab;

constexpr int kOk = 0, kRunFailed = 1, kBadInput = 2;

int report_errors(const core::Diagnostics& errors) {
  for (const auto& e : errors) std::cerr << e.str() << "\n";
  return core::exit_code_for(errors);
}

void print_json(const nlohmann::ordered_json& j) { std::cout << j.dump(2) << "\n"; }

// --tier, shared by study and eval.
struct TierOption {
  std::string text = "tile";
  void add_to(CLI::App& cmd) {
    cmd.add_option("--tier", text, "Fidelity: roofline, tile (default) or cycle (systolic chips)")
        ->check(CLI::IsMember({"roofline", "tile", "cycle"}));
  }
  [[nodiscard]] perf::Tier value() const { return perf::parse_tier(text).value_or(perf::Tier::kTile); }
};

struct OutputOptions {
  std::string format = "table";
  void add_to(CLI::App& cmd) {
    cmd.add_option("--format", format, "Output format")->check(CLI::IsMember({"table", "json", "csv"}));
  }
};

// How power and TCO were worked out, under a cost table.
std::string power_and_tco_footnote(const cost::Datacenter& dc) {
  return fmt::format(
      "Power: idle plus the energy of each MAC, HBM byte and link byte; over the TDP the clock falls "
      "(docs/physical-model.md).\nTCO: {} ({}): PUE {:.2f}, {:.4f} USD/kWh, hardware written off over {:.0f} "
      "years, with its share of server and network; each chip at its cost to make.\n",
      dc.name, dc.id, dc.pue, dc.electricity.base() * 3.6e6, dc.lifetime.base() / (365.25 * 86400));
}

// Power, energy per token and TCO, a row per chip, with what kept a figure out.
std::string cost_section(std::span<const api::EvalResult> rows) {
  std::string unknown;
  for (const auto& row : rows) {
    for (const auto& why : row.cost_unknown) unknown += fmt::format("  {}: {}\n", row.chip.id, why);
  }
  std::string out = "\nPower and cost per chip:\n" + api::cost_table(rows).render_text();
  if (const auto& dc = rows.front().datacenter) {
    out += power_and_tco_footnote(*dc);
  }
  if (!unknown.empty()) out += "Not derived:\n" + unknown;
  return out;
}

bool write_output(const std::string& path, std::string_view bytes);

// Where `--html` and `--trace` write the report and the trace; empty: nowhere.
struct ReportFiles {
  std::string html, trace;
};

// Writes the files asked for and says where: on stdout after a table, on
// stderr when stdout carries JSON or CSV.
bool write_reports(const api::StudyResult& result, const ReportFiles& files, bool table) {
  std::ostream& say = table ? std::cout : std::cerr;
  if (!files.html.empty()) {
    if (!write_output(files.html, api::study_html(result))) return false;
    say << fmt::format("{}Report: {} (one file; open it in a browser)\n", table ? "\n" : "", files.html);
  }
  if (!files.trace.empty()) {
    if (!write_output(files.trace, api::serving_trace(result).dump() + "\n")) return false;
    say << fmt::format("Trace: {} (open it in ui.perfetto.dev)\n", files.trace);
  }
  return true;
}

int run_study(const config::Catalog& catalog, api::StudyRequest request, const OutputOptions& out,
              const ReportFiles& files) {
  // The report's serving curves need the batch swept; the JSON then carries it too.
  if (!files.html.empty()) request.sweep = true;
  auto result = api::study(catalog, request);
  if (!result) return report_errors(result.errors());
  const auto& rows = result->rows;
  if (out.format == "json") {
    print_json(api::to_json(*result));
    return write_reports(*result, files, false) ? kOk : kRunFailed;
  }
  std::vector<report::ServingRow> table_rows;
  for (const auto& row : rows) table_rows.push_back({&row.chip, &row.serving});
  auto table = report::serving_table(table_rows, table_rows.size() - 1);
  if (out.format == "csv") {
    std::cout << table.render_csv();
    return write_reports(*result, files, false) ? kOk : kRunFailed;
  }
  std::cout << "Serving " << report::describe(rows.front().serving.scenario, request.model) << "\n\n"
            << table.render_text() << "\n"
            << report::serving_footnote(rows.front().serving.scenario, request.tier)
            << cost_section(rows);
  return write_reports(*result, files, true) ? kOk : kRunFailed;
}

int run_eval(const config::Catalog& catalog, api::EvalRequest request, const OutputOptions& out, bool with_ops,
             const ReportFiles& files) {
  if (!files.html.empty()) request.sweep = true;
  auto evaluated = api::eval(catalog, request);
  if (!evaluated) return report_errors(evaluated.errors());
  const api::StudyResult one{{std::move(evaluated).value()}};
  const api::EvalResult* result = &one.rows.front();
  const auto& r = result->serving;
  if (out.format == "json") {
    print_json(api::to_json(*result, with_ops));
    return write_reports(one, files, false) ? kOk : kRunFailed;
  }
  report::ServingRow row{&result->chip, &r};
  auto table = report::serving_table(std::span(&row, 1), 0);
  if (out.format == "csv") {
    std::cout << (with_ops ? report::ops_table(r.prefill_ops).render_csv() : table.render_csv());
    return write_reports(one, files, false) ? kOk : kRunFailed;
  }
  std::cout << "Serving " << report::describe(r.scenario, r.model_id) << "\n\n" << table.render_text();
  if (with_ops) {
    if (!r.prefill_ops.empty()) {
      std::cout << "\nPrefill, per instance:\n" << report::ops_table(r.prefill_ops).render_text();
    }
    std::cout << "\n"
              << (r.scenario.batching == workload::Batching::kContinuous ? "One step" : "Decode step")
              << " at the mean context, per instance:\n"
              << report::ops_table(r.decode_ops).render_text();
  }
  if (!result->sweep.empty()) {
    std::cout << "\nThroughput against batch:\n" << report::sweep_table(result->sweep).render_text();
  }
  std::cout << "\n" << report::serving_footnote(r.scenario, r.tier) << cost_section(std::span(result, 1));
  return write_reports(one, files, true) ? kOk : kRunFailed;
}

int run_show_chip(const config::Catalog& catalog, const std::string& id, const config::Overrides& overrides,
                  const OutputOptions& out) {
  auto chips = api::chips(catalog, {id}, overrides);
  if (!chips) return report_errors(chips.errors());
  const auto& chip = chips->front();
  if (out.format == "json") {
    print_json({{"tool", report::tool_info()}, {"chip", report::to_json(chip)}});
    return kOk;
  }
  report::Table table({"", chip.id}, report::Table::Layout::kText);
  for (const auto& row : report::chip_sheet(chip)) table.add_row({row.label, row.value});
  std::cout << (out.format == "csv" ? table.render_csv() : table.render_text());
  return kOk;
}

int run_show_model(const config::Catalog& catalog, const api::ModelRequest& request, const OutputOptions& out) {
  auto result = api::show_model(catalog, request);
  if (!result) return report_errors(result.errors());
  const auto& r = *result;
  if (out.format == "json") {
    print_json(api::to_json(r));
    return kOk;
  }
  const auto& m = r.model;
  report::Table table({"", m.id}, report::Table::Layout::kText);
  auto row = [&](std::string label, std::string value) { table.add_row({std::move(label), std::move(value)}); };
  auto billions = [](int64_t n) { return fmt::format("{:.2f} B", static_cast<double>(n) / 1e9); };
  row("family", m.model_type);
  row("layers", fmt::format("{}", m.layers));
  row("hidden", fmt::format("{}", m.hidden));
  row("attention heads", fmt::format("{} query, {} key/value, {} wide", m.heads, m.kv_heads, m.head_dim));
  if (m.mla) row("latent attention", fmt::format("KV latent {}, RoPE key {}", m.mla->kv_lora_rank, m.mla->qk_rope_head_dim));
  if (m.moe) {
    row("experts", fmt::format("{} routed, top-{}, {} MoE layers", m.moe->experts, m.moe->experts_per_token, m.moe->layers));
  }
  row("vocabulary", fmt::format("{}", m.vocab));
  row("parameters", billions(m.total_params()));
  row("active parameters", billions(m.active_params()));
  row("forward FLOPs per token", fmt::format("{} at context {}", core::format(r.forward_ops_per_token), r.context));
  row("KV cache per token (BF16)", core::format(r.kv_bytes_per_token_bf16));
  if (r.serving_memory) {
    const auto& mem = *r.serving_memory;
    row("scenario", report::describe(*r.serve, m.id));
    row("weights", core::format(mem.weights));
    row("KV cache", core::format(mem.kv_cache));
    row("activations", core::format(mem.activations));
    row("memory needed", core::format(mem.total()));
  }
  if (r.training_memory) {
    const auto& mem = *r.training_memory;
    row("scenario", r.train->name);
    row("training FLOPs per token", core::format(*r.training_ops_per_token));
    row("weights per chip", core::format(mem.weights));
    row("gradients per chip", core::format(mem.gradients));
    row("optimizer state per chip", core::format(mem.optimizer));
    row("activations per chip", core::format(mem.activations));
    row("memory needed per chip", core::format(mem.total()));
  }
  if (r.chip && r.fits()) {
    row("on " + r.chip->id, *r.fits() ? fmt::format("fits in {}", core::format(r.chip->memory.capacity()))
                                      : fmt::format("does not fit: needs {}, has {}", core::format(*r.memory_needed()),
                                                    core::format(r.chip->memory.capacity())));
  }
  std::cout << (out.format == "csv" ? table.render_csv() : table.render_text());
  return kOk;
}

// A training run's power, energy and cost, with what kept a figure out.
std::string train_cost_section(const api::TrainResult& r) {
  std::string out = "\nPower and cost:\n";
  if (const auto& c = r.cost) {
    const auto& dc = *r.datacenter;
    const double chips = static_cast<double>(r.step.chips);
    out += fmt::format("  power/chip    {} computing ({}), {} over the step\n", core::format(c->power.drawn),
                       c->power.clock_scale < 1
                           ? fmt::format("asks {}, the TDP holds the clock to {:.0f}%", core::format(c->power.demand),
                                         100 * c->power.clock_scale)
                           : "full clock",
                       core::format(c->average_power));
    if (c->power.clock_scale < 1) out += fmt::format("  step at TDP   {}\n", core::format(c->step_time));
    out += fmt::format("  tokens/J      {:.3g} (the chips' own energy)\n", c->tokens_per_joule);
    if (c->tco) {
      out += fmt::format("  per chip      made for ${:.0f}; ${:.3f} per hour in service\n", c->tco->chip.base(),
                         c->tco->per_hour().base());
      out += fmt::format("  per step      ${:.4g} for the {:.0f} chips\n", c->per_step->base(), chips);
    }
    auto dollars = [](core::Money m) {
      return m.base() >= 1e6 ? fmt::format("${:.4g} M", m.base() / 1e6) : fmt::format("${:.0f}", m.base());
    };
    out += fmt::format("  the run       {:.3g} tokens: {:.4g} MWh at the facility{}\n", r.tokens,
                       c->run_energy.base() / 3.6e9, c->per_run ? ", " + dollars(*c->per_run) : "");
    out += power_and_tco_footnote(dc);
  }
  if (!r.cost_unknown.empty()) {
    out += "Not derived:\n";
    for (const auto& why : r.cost_unknown) out += "  " + why + "\n";
  }
  return out;
}

// `tensorfab train`: one optimizer step, where its time goes, and what
// each kind of collective costs on the system.
int run_train(const config::Catalog& catalog, const api::TrainRequest& request, const OutputOptions& out) {
  auto result = api::train(catalog, request);
  if (!result) return report_errors(result.errors());
  if (out.format == "json") {
    print_json(api::to_json(*result));
    return kOk;
  }
  const system::TrainingResult& t = result->step;
  const system::StepTime& s = t.step;
  const auto& p = result->scenario.parallelism;
  const double total = s.total().base();
  report::Table parts({"part of the step", "time", "share"});
  auto part = [&](const char* label, core::Time time) {
    if (time.base() > 0) {
      parts.add_row({label, core::format(time), fmt::format("{:.1f}%", 100 * time.base() / total)});
    }
  };
  part("forward", s.forward);
  part("backward", s.backward);
  part("recompute", s.recompute);
  part("optimizer", s.optimizer);
  part("tensor-parallel communication", s.tensor_comm);
  part("context-parallel communication", s.context_comm);
  part("expert-parallel communication", s.expert_comm);
  part("pipeline sends and receives", s.pipeline_comm);
  part("data-parallel communication", s.data_comm);
  part("pipeline bubble", s.bubble);
  parts.add_row({"step", core::format(s.total()), "100%"});
  report::Table comms({"collective", "group", "bytes", "per step", "algorithm", "level", "each", "exposed"});
  for (const auto& c : t.collectives) {
    comms.add_row({c.collective.name, fmt::format("{} x{}", workload::name(c.collective.group), c.collective.group_size),
                   core::format(c.collective.bytes), fmt::format("{}", c.collective.count),
                   std::string(system::name(c.each.algorithm)), result->system.levels[c.each.level].name,
                   core::format(c.each.time), core::format(c.exposed)});
  }
  if (out.format == "csv") {
    std::cout << parts.render_csv() << "\n" << comms.render_csv();
    return kOk;
  }
  std::cout << fmt::format("{} training {} on {} x {} ({})\n", result->scenario.name, result->model.id, t.chips,
                           result->chip.id, result->system.name)
            << fmt::format("  layout        TP {} x PP {} x DP {} x CP {}{}{}, EP {}; {} micro-batches of {}\n",
                           p.tensor, p.pipeline, p.data, p.context,
                           p.virtual_stages > 1 ? fmt::format(" ({} chunks per stage)", p.virtual_stages) : "",
                           p.sequence_parallel ? ", SP" : "", p.expert, t.micro_batches,
                           result->scenario.micro_batch)
            << fmt::format("  recompute     {}\n", workload::name(result->scenario.recompute))
            << fmt::format("  overlap       TP {}, DP gradients {}, ZeRO gathers {}\n",
                           workload::name(result->scenario.overlap.tensor_parallel),
                           result->scenario.overlap.gradient_reduce ? "yes" : "no",
                           result->scenario.overlap.weight_gather ? "yes" : "no")
            << fmt::format("  step          {}\n", core::format(s.total()))
            << fmt::format("  MFU / HFU     {:.1f}% / {:.1f}%\n", 100 * t.mfu, 100 * t.hfu)
            << fmt::format("  tokens/s      {:.4g} ({:.4g} per chip)\n", t.tokens_per_s(),
                           t.tokens_per_s() / static_cast<double>(t.chips))
            << fmt::format("  {:.3g} tokens in {:.3g} days\n", result->tokens,
                           t.time_to_train(result->tokens).base() / 86400)
            << fmt::format("  memory/chip   {} of {} ({}){}\n", core::format(t.memory.total()),
                           core::format(result->chip.memory.capacity()),
                           fmt::format("weights {}, gradients {}, optimizer {}, activations {}",
                                       core::format(t.memory.weights), core::format(t.memory.gradients),
                                       core::format(t.memory.optimizer), core::format(t.memory.activations)),
                           t.fits ? "" : ": DOES NOT FIT")
            << "\n"
            << parts.render_text() << "\n"
            << comms.render_text() << train_cost_section(*result);
  return kOk;
}

int run_show_node(const config::Catalog& catalog, const api::NodeRequest& request, const OutputOptions& out) {
  auto result = api::show_node(catalog, request);
  if (!result) return report_errors(result.errors());
  const auto& r = *result;
  if (out.format == "json") {
    print_json(api::to_json(r));
    return kOk;
  }
  const auto& n = r.node;
  report::Table table({"", n.id}, report::Table::Layout::kText);
  auto row = [&](std::string label, std::string value) { table.add_row({std::move(label), std::move(value)}); };
  const std::string unknown = "not published";
  row("name", n.name + (n.projection ? " (projection)" : ""));
  row("foundry", n.foundry);
  row("logic density", n.logic_mtr_per_mm2 ? fmt::format("{:g} MTr/mm^2", *n.logic_mtr_per_mm2) : unknown);
  row("SRAM bitcell", n.sram_bitcell ? fmt::format("{:g} um^2", n.sram_bitcell->base() * 1e12) : unknown);
  row("wafer price", n.wafer_price ? core::format(*n.wafer_price) : unknown);
  row("defect density", n.defects_per_cm2 ? fmt::format("{:g} /cm^2", *n.defects_per_cm2) : unknown);
  for (const auto& [format, energy] : n.mac_energy) {
    row(fmt::format("MAC energy, {}", core::name(format)), fmt::format("{:.3g} pJ", energy.base() * 1e12));
  }
  if (n.sram_read_energy) row("SRAM read", fmt::format("{:.3g} pJ/bit", n.sram_read_energy->base() * 1e12 / 8));
  if (n.vf) row("V/f line", fmt::format("f grows as (V - {:g} V) up to {:g} V", n.vf->threshold_volts, n.vf->max_volts));
  if (r.die_area) {
    row("die", core::format(*r.die_area));
    row("dies per 300 mm wafer", fmt::format("{:g} (5 mm edge loss, 0.2 mm scribe)", r.dies_per_wafer));
    if (r.yields.empty()) row("yield", "needs the node's defect density (--set node.defects_per_cm2=...)");
    for (const auto& y : r.yields) {
      std::string label = fmt::format("yield, {}", tech::name(y.model));
      if (y.model == tech::YieldModel::kNegativeBinomial) label += fmt::format(" (alpha {:g})", r.alpha);
      row(label, fmt::format("{:.3f}{}", y.yield,
                             y.die_cost ? fmt::format(", {} per good die", core::format(*y.die_cost)) : ""));
    }
  }
  std::cout << (out.format == "csv" ? table.render_csv() : table.render_text());
  return kOk;
}

int run_show_physical(const config::Catalog& catalog, const std::string& id, const config::Overrides& overrides,
                      const OutputOptions& out) {
  auto result = api::physical(catalog, id, overrides);
  if (!result) return report_errors(result.errors());
  const auto& r = *result;
  if (out.format == "json") {
    print_json(api::to_json(r));
    return kOk;
  }
  report::Table table({"", r.chip.id}, report::Table::Layout::kText);
  auto row = [&](std::string label, std::string value) { table.add_row({std::move(label), std::move(value)}); };
  row("logic dies", fmt::format("{} x {}{}", r.chip.dies, core::format(r.die), r.die_derived ? " (derived)" : ""));
  row("process node", r.node ? r.node->name : "no file for '" + r.chip.process_node + "'");
  const auto name_or = [](const auto& file, const std::string& file_id) {
    return file ? file->name : "no file for '" + file_id + "'";
  };
  if (const auto& st = r.chip.stacked_dies) {
    const std::string how = st->die_area                  ? ""
                            : r.stacked_die_is_footprint ? " (the footprint of the logic dies on it)"
                                                         : " (derived)";
    row("stacked dies", fmt::format("{} x {}{}, holding {}", st->count,
                                    r.stacked_die ? core::format(*r.stacked_die) : "?", how, fmt::join(st->holds, ", ")));
    row("  process node", name_or(r.multi_die.stacked_node, st->process_node));
    row("  bonded by", name_or(r.multi_die.bonding, st->bonding));
  }
  if (const auto& d2d = r.chip.die_to_die) {
    row("die-to-die", fmt::format("{} per die over {}", core::format(d2d->bandwidth),
                                  name_or(r.multi_die.die_to_die, d2d->interconnect)));
  }
  row("package", r.package ? r.package->name : "no file for '" + r.chip.package + "'");
  row("memory", fmt::format("{} x {}", r.chip.memory.stacks, r.memory ? r.memory->name : r.chip.memory.type));
  row("fits", "yes: reticle" + std::string(r.fit.stacks_per_die_limit > 0 ? ", shoreline" : "") +
                  (r.fit.interposer ? ", interposer" : "") + (r.package ? ", package limits" : ""));
  if (r.fit.stacks_per_die_limit > 0) {
    row("memory edge", fmt::format("room for {} stacks per die", r.fit.stacks_per_die_limit));
  }
  if (r.fit.interposer) row("interposer", core::format(*r.fit.interposer));
  for (const auto& u : r.fit.unchecked) row("not checked", u);
  if (r.area) {
    const auto& a = *r.area;
    auto share = [&](core::Area part) { return fmt::format("{} ({:.0f}%)", core::format(part), 100 * (part / a.total)); };
    row("derived area, per die", core::format(a.per_die));
    row("  logic", share(a.logic) + fmt::format(": {} FP32 lanes, {} BF16 MACs", a.lanes, a.macs));
    row("    of which MAC arrays", share(a.tensor));
    row("  SRAM", share(a.sram));
    row("  HBM PHYs", share(a.memory_phy));
    row("  SerDes", share(a.serdes));
    if (a.harvest > 1) row("  spare units", fmt::format("{:.1f}% more on the die than enabled", 100 * (a.harvest - 1)));
    if (a.die_to_die.base() > 0) {
      const double edge_mm = a.die_to_die_edge.base() * 1e3;
      row("  die-to-die PHYs", share(a.die_to_die) + fmt::format(", {:.1f} mm of edge", edge_mm));
    }
    if (const auto& st = a.stacked) {
      row("derived stacked area, per die", core::format(st->per_die) + " for what it holds");
      row("  SRAM", core::format(st->sram / static_cast<double>(r.chip.stacked_dies->count)));
      row("  HBM PHYs", core::format(st->memory_phy / static_cast<double>(r.chip.stacked_dies->count)));
      row("  SerDes", core::format(st->serdes / static_cast<double>(r.chip.stacked_dies->count)));
      if (st->bonds) row("  bonded area per logic die", core::format(*st->bonds));
    }
  }
  if (r.power) {
    const auto& p = *r.power;
    row(fmt::format("power, {} GEMM", core::name(p.format)),
        fmt::format("{} at the published clock (TDP {})", core::format(p.demand), core::format(p.tdp)));
    if (p.clock_scale < 1) {
      row("  under the TDP", fmt::format("clock x {:.2f}: {}", p.clock_scale, core::format(p.capped_peak)));
    }
    row("  efficiency", fmt::format("{:.2f} TFLOPS/W", p.ops_per_joule() / 1e12));
  }
  if (r.bill) {
    const auto& b = *r.bill;
    const std::string unknown = "not known";
    auto money = [&](const std::optional<core::Money>& m) { return m ? core::format(*m) : unknown; };
    row("dies per 300 mm wafer", fmt::format("{:g}", b.dies_per_wafer));
    row("die, before yield", money(b.die_cost_before_yield));
    row(fmt::format("die yield (neg. binomial, alpha {:g})", cost::BillInputs{}.alpha), b.die_yield ? fmt::format("{:.3f}", *b.die_yield) : unknown);
    row("known-good die", money(b.die_cost));
    if (r.chip.stacked_dies) {
      row("stacked die yield", b.stacked_die_yield ? fmt::format("{:.3f}", *b.stacked_die_yield) : unknown);
      row("known-good stacked die", money(b.stacked_die_cost));
      row("bonding, all logic dies", money(b.bonding_cost));
      row("bonding yield", b.bonding_yield ? fmt::format("{:.3f}", *b.bonding_yield) : unknown);
    }
    row("memory stacks", money(b.memory_cost));
    row("packaging", money(b.packaging_cost));
    row("assembly yield", b.assembly_yield ? fmt::format("{:.3f}", *b.assembly_yield) : unknown);
    row("cost per part", money(b.total));
    for (const auto& m : b.missing) row("missing", m);
  }
  for (const auto& u : r.unknown) row("unknown", u);
  std::cout << (out.format == "csv" ? table.render_csv() : table.render_text());
  return kOk;
}

int run_compare_chips(const config::Catalog& catalog, const std::vector<std::string>& ids,
                      const config::Overrides& overrides, const OutputOptions& out) {
  auto chips = api::chips(catalog, ids, overrides);
  if (!chips) return report_errors(chips.errors());
  if (out.format == "json") {
    nlohmann::ordered_json list = nlohmann::ordered_json::array();
    for (const auto& chip : *chips) list.push_back(report::to_json(chip));
    print_json({{"tool", report::tool_info()}, {"chips", list}});
    return kOk;
  }
  auto table = report::compare_chips(*chips);
  std::cout << (out.format == "csv" ? table.render_csv() : table.render_text());
  return kOk;
}

int run_validate_physical(const config::Catalog& catalog, const OutputOptions& out) {
  auto result = api::validate_physical(catalog);
  if (!result) return report_errors(result.errors());
  const auto& v = *result;
  const int code = v.within_bounds() ? kOk : kRunFailed;
  if (out.format == "json") {
    print_json(api::to_json(v));
    return code;
  }
  report::Table table({"chip", "quantity", "derived", "published", "error", "bound"});
  for (const auto& c : v.checks) {
    const char* unit = c.quantity.rfind("die area", 0) == 0 ? " mm^2" : " W";
    table.add_row({c.chip, c.quantity, fmt::format("{:.0f}{}", c.predicted, unit), fmt::format("{:.0f}{}", c.published, unit),
                   fmt::format("{:+.1f}%", 100 * c.error()), fmt::format("{:.0f}%", 100 * c.bound)});
  }
  if (out.format == "csv") {
    std::cout << table.render_csv();
    return code;
  }
  std::cout << "derived die area and power at a large GEMM against published figures\n\n" << table.render_text();
  if (!v.skipped.empty()) {
    std::cout << "\nno row:\n";
    for (const auto& s : v.skipped) std::cout << "  " << s << "\n";
  }
  std::cout << "\n" << (code == kOk ? "within bounds" : "OUT OF BOUNDS") << "\n";
  return code;
}

int run_validate(const config::Catalog& catalog, const std::vector<std::string>& paths, perf::Tier tier,
                 const OutputOptions& out) {
  auto reports = api::validate_serving(catalog, paths, tier);
  if (!reports) return report_errors(reports.errors());
  if (out.format == "json") {
    print_json(api::to_json(*reports, tier));
    return std::all_of(reports->begin(), reports->end(), [](const auto& f) { return f.within_bounds(); }) ? kOk
                                                                                                       : kRunFailed;
  }
  bool ok = true;
  for (const auto& file : *reports) {
    ok = ok && file.within_bounds();
    report::Table table({"case", "chip", "clock", "quantity", "predicted", "measured", "error", "detail"});
    for (const auto& r : file.rows) {
      const std::string clock = r.clock_scale ? fmt::format("{:.0f}%", 100 * *r.clock_scale) : "?";
      table.add_row({r.name, r.chip, clock, r.quantity, fmt::format("{:.4g}", r.predicted),
                     fmt::format("{:.4g}", r.measured), fmt::format("{:+.1f}%", 100 * r.error()), r.detail});
    }
    if (out.format == "csv") {
      std::cout << table.render_csv();
      continue;
    }
    std::cout << file.file << " (" << perf::name(tier) << " tier)\n\n" << table.render_text()
              << fmt::format("\nmean |error| {:.1f}% (bound {:.0f}%), worst {:.1f}% (bound {:.0f}%): {}\n\n",
                             100 * file.mean_abs_error(), 100 * file.mean_bound, 100 * file.max_abs_error(),
                             100 * file.row_bound, file.within_bounds() ? "within bounds" : "OUT OF BOUNDS");
  }
  return ok ? kOk : kRunFailed;
}

// `vp asm` writes the image when given a path; `vp disasm` prints the text.
// Writes `bytes` to `path`; false, with the error said, when it cannot.
bool write_output(const std::string& path, std::string_view bytes) {
  std::ofstream out(path, std::ios::binary);
  out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
  if (!out) std::cerr << fmt::format("error: {}: cannot be written\n", path);
  return static_cast<bool>(out);
}

size_t instruction_count(const vp::Program& program) {
  size_t n = 0;
  for (const auto& core : program.cores) n += core.code.size();
  return n;
}

int run_vp(const config::Catalog& catalog, const api::ProgramRequest& request, const std::string& image_path) {
  auto program = api::load_program(catalog, request);
  if (!program) return report_errors(program.errors());
  if (image_path.empty()) {
    std::cout << vp::disassemble(*program);
    return kOk;
  }
  const std::vector<uint8_t> image = vp::encode(*program);
  if (!write_output(image_path, std::string_view(reinterpret_cast<const char*>(image.data()), image.size()))) {
    return kRunFailed;
  }
  std::cout << fmt::format("{}: {} instructions on {} core{}, {} bytes\n", image_path, instruction_count(*program),
                           program->cores.size(), program->cores.size() == 1 ? "" : "s", image.size());
  return kOk;
}

// A compiled program's assembly after its `header` comment: printed, or
// written to `path` with a line saying so.
int print_assembly(const std::string& header, const vp::Program& program, const std::string& path) {
  const std::string text = header + vp::disassemble(program);
  if (path.empty()) {
    std::cout << text;
    return kOk;
  }
  if (!write_output(path, text)) return kRunFailed;
  std::cout << fmt::format("{}: {} instructions on {} cores\n", path, instruction_count(program), program.cores.size());
  return kOk;
}

// `tensorfab vp compile gemm`: the program as assembly, its HBM layout in
// a comment at the top.
int compile_vp_gemm(const config::Catalog& catalog, const api::GemmRequest& request, const std::string& path) {
  auto compiled = api::compile_gemm(catalog, request);
  if (!compiled) return report_errors(compiled.errors());
  const vp::GemmKernel& g = compiled->kernel;
  const vp::GemmPlan& p = compiled->plan;
  std::string text = fmt::format(
      "# C = A . B^T on {}: A {}x{}, B {}x{} ({}), C {}x{} ({}), accumulated in {}\n"
      "# {} tiles of {}x{} on {} cores, K in slices of {}{}, {} in flight; {} cycles timed\n"
      "# HBM: A at {:#x}, B at {:#x}, C at {:#x}",
      request.chip, g.a.rows, g.a.cols, g.b.rows, g.b.cols, vp::name(g.a.type), g.c.rows, g.c.cols,
      vp::name(g.c.type), vp::name(g.accumulator), p.tiles, p.tile_m, p.tile_n, p.cores, p.tile_k,
      p.split_k > 1 ? fmt::format(", split in {} parts", p.split_k) : "", p.stages, p.cycles, g.a.address,
      g.b.address, g.c.address);
  if (vp::is_mx(g.a.type)) text += fmt::format(", scales of A at {:#x}, of B at {:#x}", g.a.scales, g.b.scales);
  if (p.split_k > 1) text += fmt::format(", parts at {:#x}", g.workspace);
  return print_assembly(text + "\n", compiled->program, path);
}

// `tensorfab vp compile llama`: the whole greedy decode as one program,
// its HBM layout in a comment at the top.
int compile_vp_llama(const config::Catalog& catalog, const api::LlamaRequest& request, const std::string& path) {
  auto compiled = api::compile_llama(catalog, request);
  if (!compiled) return report_errors(compiled.errors());
  const vp::LlamaLayout& l = compiled->layout;
  std::string text = fmt::format(
      "# {} on {}: {}, weights {}, activations {}\n"
      "# HBM: embedding (fp32) at {:#x}, LM head at {:#x}, token ids (fp32) at {:#x}, logits (fp32) at {:#x}; "
      "{} bytes in all\n",
      api::describe(request), request.chip, compiled->cores == 1 ? "1 core" : fmt::format("{} cores", compiled->cores),
      vp::name(compiled->formats.weights), vp::name(compiled->formats.activations), l.embedding.address,
      l.lm_head.address, l.tokens.address, l.logits.address, l.end);
  return print_assembly(text, compiled->program, path);
}

// `tensorfab numerics`: each format pair's logits against the FP64
// reference, and how many greedy tokens agree; --export writes the weights,
// the prompt and every run for an outside check (tests/torch/).
int run_numerics(const config::Catalog& catalog, const api::LlamaRequest& request, const std::string& export_path,
                 const OutputOptions& out) {
  auto outcome = api::numerics(catalog, request);
  if (!outcome) return report_errors(outcome.errors());
  const auto& runs = outcome->runs;
  report::Table table({"weights", "activations", "logits rel. RMS error", "max |error|", "greedy tokens agreeing",
                       "time", "instructions"});
  for (const api::FormatRun& r : runs) {
    const vp::LogitsError& e = r.error;
    table.add_row({std::string(vp::name(r.formats.weights)), std::string(vp::name(r.formats.activations)),
                   fmt::format("{:.2e}", e.rms_relative), fmt::format("{:.2e}", e.max_abs),
                   fmt::format("{} of {}{}", e.tokens_agreeing, e.generated,
                               e.nonfinite > 0 ? fmt::format(" ({} logits not finite)", e.nonfinite) : ""),
                   fmt::format("{:.1f} us", r.run.time.base() * 1e6), fmt::format("{}", r.run.instructions)});
  }
  if (!export_path.empty()) {
    const vp::LlamaConfig& m = request.model;
    const vp::LlamaWeights& w = outcome->weights;
    nlohmann::json layers = nlohmann::json::array();
    for (const auto& l : w.layers) {
      layers.push_back({{"attn_norm", l.attn_norm}, {"wq", l.wq}, {"wk", l.wk}, {"wv", l.wv}, {"wo", l.wo},
                        {"mlp_norm", l.mlp_norm}, {"gate", l.gate}, {"up", l.up}, {"down", l.down}});
    }
    nlohmann::json runs_json = nlohmann::json::array();
    for (const api::FormatRun& r : runs) {
      runs_json.push_back({{"weights", vp::name(r.formats.weights)}, {"activations", vp::name(r.formats.activations)},
                           {"tokens", r.decoded.tokens}, {"logits", r.decoded.logits}});
    }
    const nlohmann::json doc{
        {"tool", report::tool_info()},
        {"config", {{"hidden", m.hidden}, {"intermediate", m.intermediate}, {"layers", m.layers}, {"heads", m.heads},
                    {"kv_heads", m.kv_heads}, {"head_dim", m.head_dim}, {"vocab", m.vocab},
                    {"rope_theta", m.rope_theta}, {"norm_eps", m.norm_eps}}},
        {"prompt", outcome->prompt},
        {"generate", request.generate},
        {"weights", {{"embedding", w.embedding}, {"layers", layers}, {"final_norm", w.final_norm},
                     {"lm_head", w.lm_head}}},
        {"reference", {{"tokens", outcome->reference.tokens}, {"logits", outcome->reference.logits}}},
        {"runs", runs_json}};
    if (!write_output(export_path, doc.dump() + "\n")) return kRunFailed;
  }
  if (out.format == "json") {
    print_json(api::to_json(*outcome, request));
    return kOk;
  }
  if (out.format == "csv") {
    std::cout << table.render_csv();
    return kOk;
  }
  std::cout << fmt::format("Numerics on {} ({} cores used): {}.\n", request.chip,
                           runs.empty() ? 0 : runs.front().cores, api::describe(request))
            << "Logits against an FP64 reference of the same model, over the positions whose tokens so far agree.\n\n"
            << table.render_text();
  if (!export_path.empty()) std::cout << fmt::format("\nWeights, prompt and runs written to {}\n", export_path);
  return kOk;
}

// `tensorfab vp run`: the run's time and work, each core's engines, and
// the trace when asked for.
int run_vp_program(const config::Catalog& catalog, const api::RunRequest& request, const std::string& trace_path) {
  auto outcome = api::run_program(catalog, request);
  if (!outcome) return report_errors(outcome.errors());
  const vp::RunResult& r = outcome->result;
  const vp::Machine& m = outcome->machine;
  std::cout << fmt::format("{} on {} ({} cores, {:.0f} KiB SRAM each, {:.3g} GHz)\n", request.program.path, m.chip,
                           m.cores, m.sram.base() / 1024, outcome->timing.clock.base() / 1e9);
  std::cout << fmt::format("  time          {:.4g} us ({} cycles)\n", r.time.base() * 1e6, r.cycles);
  std::cout << fmt::format("  instructions  {}\n", r.instructions);
  std::cout << fmt::format("  tensor        {} MACs\n", r.macs);
  std::cout << fmt::format("  HBM           {} bytes read, {} written\n", r.hbm_read, r.hbm_written);
  std::cout << "  busy, % of the run:\n   core  dma0  dma1  dma2  dma3  tensor  vector\n";
  for (const vp::CoreStats& c : r.cores) {
    std::string line = fmt::format("   {:>4}", c.core);
    for (int lane = 0; lane < vp::kLanes; ++lane) {
      const double share = r.cycles > 0 ? 100.0 * static_cast<double>(c.busy[static_cast<size_t>(lane)]) /
                                              static_cast<double>(r.cycles)
                                        : 0.0;
      line += fmt::format("  {:>{}.0f}", share, lane < vp::kTensorLane ? 4 : 6);
    }
    std::cout << line << "\n";
  }
  for (const std::string& note : r.notes) std::cout << "  note: " << note << "\n";
  if (!trace_path.empty()) {
    const std::string trace = report::perfetto_trace(outcome->program, r, outcome->timing.clock).dump() + "\n";
    if (!write_output(trace_path, trace)) return kRunFailed;
    std::cout << fmt::format("  trace         {} (open in ui.perfetto.dev)\n", trace_path);
  }
  return kOk;
}

// A metric's value with its unit, for tables.
std::string metric_text(dse::Metric m, const std::optional<double>& v) {
  if (!v) return "-";
  const auto& info = dse::info(m);
  return info.unit.empty() ? fmt::format("{:.4g}", *v) : fmt::format("{:.4g} {}", *v, info.unit);
}

// Rows of a sweep's results as a table: the axes, then the objectives.
report::Table points_table(const std::vector<std::string>& axes, const std::vector<std::vector<std::string>>& labels,
                           const std::vector<dse::Objective>& objectives, const std::vector<const dse::Row*>& rows) {
  std::vector<std::string> header{"point"};
  header.insert(header.end(), axes.begin(), axes.end());
  for (const auto& o : objectives) {
    header.push_back(fmt::format("{} ({})", dse::info(o.metric).name, o.maximize ? "max" : "min"));
  }
  report::Table table(header);
  for (const dse::Row* r : rows) {
    std::vector<std::string> cells{fmt::format("{}", r->index)};
    for (size_t a = 0; a < axes.size(); ++a) cells.push_back(labels[a][r->values[a]]);
    for (const auto& o : objectives) cells.push_back(metric_text(o.metric, (*r)[o.metric]));
    table.add_row(cells);
  }
  return table;
}

// `tensorfab sweep FILE`: runs it, then the front, the best points and what
// moves each objective.
int run_sweep(const config::Catalog& catalog, api::SweepRequest request, const OutputOptions& out) {
  const bool rank0 = request.shard.rank == 0;
  auto result = api::sweep(catalog, request);
  if (!result) return rank0 ? report_errors(result.errors()) : core::exit_code_for(result.errors());
  if (!rank0) return kOk;
  const auto& spec = result->spec;
  const auto& run = result->run;
  const auto& s = run.summary;
  const auto folder = request.options.out.string();
  if (out.format == "json") {
    std::ifstream in(request.options.out / "summary.json");
    std::cout << in.rdbuf();
    return kOk;
  }
  std::vector<std::string> axes;
  std::vector<std::vector<std::string>> labels;
  for (const auto& a : spec.axes) {
    axes.push_back(a.name);
    labels.push_back(a.labels);
  }
  auto rows_of = [&](const std::vector<int64_t>& indices) {
    std::vector<const dse::Row*> rows;
    for (int64_t i : indices) rows.push_back(&run.rows[static_cast<size_t>(i)]);
    return rows;
  };
  std::string out_of;
  for (const auto& [kind, count] : s.infeasible) out_of += fmt::format("{}{} {}", out_of.empty() ? "" : ", ", kind, count);
  std::cout << fmt::format("Sweep '{}' ({}): {} points, {} feasible\n", spec.name, spec.file, s.points, s.feasible);
  if (!out_of.empty()) std::cout << fmt::format("  out: {} (the first reason of each)\n", out_of);
  std::cout << fmt::format("  {} points evaluated in {:.3g} s: {:.4g} points/s on {} process{}{}\n", run.evaluated,
                           run.seconds, run.seconds > 0 ? static_cast<double>(run.evaluated) / run.seconds : 0.0,
                           request.shard.ranks, request.shard.ranks == 1 ? "" : "es",
                           run.resumed_from > 0 ? fmt::format(", resumed at point {}", run.resumed_from) : "");
  if (out.format == "csv") {
    std::ifstream in(request.options.out / "pareto.csv");
    std::cout << in.rdbuf();
    return kOk;
  }
  std::cout << fmt::format("\nPareto front: {} points\n", s.front.size())
            << points_table(axes, labels, spec.objectives, rows_of(s.front)).render_text();
  if (!spec.objectives.empty()) {
    std::cout << fmt::format("\nBest {} by {}:\n", s.top.size(), dse::info(spec.objectives.front().metric).name)
              << points_table(axes, labels, spec.objectives, rows_of(s.top)).render_text();
  }
  if (!s.sensitivity.empty()) {
    report::Table sens({"axis", "objective", "spread of the mean", "best value"});
    for (const auto& x : s.sensitivity) {
      sens.add_row({spec.axes[x.axis].name, std::string(dse::info(x.objective.metric).name),
                    fmt::format("{:.1f}%", 100 * x.spread), spec.axes[x.axis].labels[x.best_value]});
    }
    std::cout << "\nSensitivity: how far each axis moves each objective's mean over the feasible points\n"
              << sens.render_text();
  }
  std::cout << fmt::format("\nResults in {}/: points.csv, points.jsonl, pareto.csv, summary.json\n", folder);
  return kOk;
}

// `tensorfab pareto RESULTS`: the front of a finished (or stopped) sweep,
// for its own objectives or others.
int run_pareto(const std::string& folder, const std::vector<std::string>& objective_flags, const OutputOptions& out) {
  auto results = dse::read_results(folder);
  if (!results) return report_errors(results.errors());
  std::vector<dse::Objective> objectives = results->objectives;
  if (!objective_flags.empty()) {
    objectives.clear();
    core::Diagnostics errors;
    for (const auto& flag : objective_flags) {
      const auto colon = flag.find(':');
      const auto metric = dse::parse_metric(flag.substr(0, colon));
      const std::string goal = colon == std::string::npos ? "" : flag.substr(colon + 1);
      if (!metric || (goal != "max" && goal != "min")) {
        auto d = core::bad_input(fmt::format("'{}': expected METRIC:max or METRIC:min", flag), "--objective");
        if (!metric) d.notes = dse::unknown_metric_notes(flag.substr(0, colon));
        errors.push_back(std::move(d));
        continue;
      }
      objectives.push_back({*metric, goal == "max"});
    }
    if (!errors.empty()) return report_errors(errors);
  }
  std::vector<const dse::Row*> front;
  for (size_t i : dse::pareto_front(results->rows, objectives)) front.push_back(&results->rows[i]);
  if (out.format == "json") {
    nlohmann::ordered_json j = nlohmann::ordered_json::array();
    for (const dse::Row* r : front) {
      nlohmann::ordered_json row = {{"index", r->index}};
      for (size_t a = 0; a < results->axes.size(); ++a) row[results->axes[a]] = results->labels[a][r->values[a]];
      for (const auto& o : objectives) row[std::string(dse::info(o.metric).name)] = *(*r)[o.metric];
      j.push_back(row);
    }
    print_json({{"tool", report::tool_info()}, {"sweep", results->name}, {"pareto", j}});
    return kOk;
  }
  auto table = points_table(results->axes, results->labels, objectives, front);
  if (out.format == "csv") {
    std::cout << table.render_csv();
    return kOk;
  }
  std::cout << fmt::format("Pareto front of '{}': {} of {} points\n", results->name, front.size(), results->rows.size())
            << table.render_text();
  return kOk;
}

}  // namespace

int main(int argc, char** argv) {
  cli::MpiSession mpi(argc, argv);
  CLI::App app{"tensorfab: a pre-silicon workbench for AI accelerator chips", "tensorfab"};
  app.set_version_flag("--version", std::string(core::kVersion));
  app.require_subcommand(1);
  app.fallthrough();  // --data and --threads also after the subcommand
  std::string data_flag;
  app.add_option("--data", data_flag, "Data folder with chips/, models/, scenarios/ (default: the shipped data)");
  int threads = 0;
  app.add_option("--threads", threads, "Worker threads (default: one per core); the output does not depend on it")
      ->check(CLI::Range(1, 4096));

  OutputOptions out;
  std::vector<std::string> sets;
  auto set_overrides = [&] {
    config::Overrides o;
    for (const auto& s : sets) o.emplace_back(s);
    return o;
  };
  auto add_sets = [&](CLI::App* cmd) {
    cmd->add_option("--set", sets, "Override a field: chip.tdp='800 W', model.num_hidden_layers=40, scenario.batch=8")
        ->allow_extra_args(false);
  };

  api::StudyRequest study;
  auto* study_cmd = app.add_subcommand("study", "Compare chips serving a model (default: seed-2nm vs h100-sxm, Llama 3.1 70B)");
  study_cmd->add_option("--chips", study.chips, "Chips to compare, ids or files; the last is the baseline")
      ->delimiter(',');
  study_cmd->add_option("--model", study.model, "Model id or config.json path");
  study_cmd->add_option("--scenario", study.scenario, "Scenario id or YAML path");
  study_cmd->add_option("--datacenter", study.datacenter, "Data centre for the TCO, id or YAML path (default hyperscale)");
  TierOption study_tier;
  ReportFiles study_files{"tensorfab-study.html", ""};
  bool no_html = false;
  study_cmd->add_option("--html", study_files.html, "Write the report here (default tensorfab-study.html; table output)");
  study_cmd->add_flag("--no-html", no_html, "Write no report");
  study_cmd->add_option("--trace", study_files.trace, "Write a Perfetto trace of the serving work here");
  study_tier.add_to(*study_cmd);
  out.add_to(*study_cmd);
  add_sets(study_cmd);

  api::EvalRequest eval;
  bool with_ops = false;
  std::optional<int64_t> batch, prompt, output, tensor_parallel;
  TierOption eval_tier;
  std::string weights, activations, kv_cache;
  auto* eval_cmd = app.add_subcommand("eval", "Evaluate one chip serving one model");
  eval_cmd->add_option("--chip", eval.chip, "Chip id or YAML path")->required();
  eval_cmd->add_option("--model", eval.model, "Model id or config.json path")->required();
  eval_cmd->add_option("--scenario", eval.scenario, "Scenario id or YAML path");
  eval_cmd->add_option("--datacenter", eval.datacenter, "Data centre for the TCO, id or YAML path (default hyperscale)");
  eval_cmd->add_option("--batch", batch, "Concurrent sequences (overrides the scenario)");
  eval_cmd->add_option("--prompt", prompt, "Prompt tokens (overrides the scenario)");
  eval_cmd->add_option("--output", output, "Output tokens (overrides the scenario)");
  eval_cmd->add_option("--tp", tensor_parallel, "Chips sharing one copy of the model (overrides the scenario)");
  eval_cmd->add_option("--weights", weights, "Weight format: bf16, fp8, fp4, ...");
  eval_cmd->add_option("--activations", activations, "Activation format");
  eval_cmd->add_option("--kv-cache", kv_cache, "KV-cache format");
  eval_cmd->add_flag("--ops", with_ops, "Per-operator breakdown");
  eval_cmd->add_flag("--sweep", eval.sweep, "Throughput against batch, up to the largest batch that fits");
  ReportFiles eval_files;
  eval_cmd->add_option("--html", eval_files.html, "Write the report here (one HTML file)");
  eval_cmd->add_option("--trace", eval_files.trace, "Write a Perfetto trace of the serving work here");
  eval_tier.add_to(*eval_cmd);
  out.add_to(*eval_cmd);
  add_sets(eval_cmd);

  api::TrainRequest train;
  TierOption train_tier;
  auto* train_cmd = app.add_subcommand("train", "One training step of a model on a cluster of one chip");
  train_cmd->add_option("--chip", train.chip, "Chip id or YAML path")->required();
  train_cmd->add_option("--model", train.model, "Model id or config.json path")->required();
  train_cmd->add_option("--scenario", train.scenario, "Training scenario id or YAML path (default train-gpt3-175b)");
  train_cmd->add_option("--system", train.system,
                        "Cluster id or YAML path (default: one switch of the chip's scale-up link)");
  train_cmd->add_option("--tokens", train.tokens, "Tokens to train, for the time to train (default 3e11)");
  train_cmd->add_option("--datacenter", train.datacenter,
                        "Data centre for the cost of the run, id or YAML path (default hyperscale)");
  train_tier.add_to(*train_cmd);
  out.add_to(*train_cmd);
  add_sets(train_cmd);

  api::SweepRequest sweep;
  std::string sweep_out, progress = "auto";
  auto* sweep_cmd = app.add_subcommand("sweep", "Explore a design space: every point of a sweep file, its Pareto front");
  sweep_cmd->add_option("file", sweep.file, "Sweep YAML (data/sweeps/)")->required();
  sweep_cmd->add_option("--out", sweep_out, "Results folder (default: FILE's name with -results, here)");
  sweep_cmd->add_flag("--resume", sweep.options.resume, "Continue the run whose results are in the folder");
  sweep_cmd->add_flag("--force", sweep.options.force, "Start over, replacing the results in the folder");
  sweep_cmd->add_option("--chunk", sweep.options.chunk, "Points between checkpoints (default 1024)")
      ->check(CLI::Range(1, 1 << 24));
  sweep_cmd->add_option("--progress", progress, "auto (a bar on a terminal, else lines), bar, lines or none")
      ->check(CLI::IsMember({"auto", "bar", "lines", "none"}));
  out.add_to(*sweep_cmd);

  std::string report_folder, report_html;
  auto* report_cmd = app.add_subcommand("report", "A report of a sweep's results: its Pareto front, as HTML");
  report_cmd->add_option("results", report_folder, "Results folder of tensorfab sweep")->required();
  report_cmd->add_option("--html", report_html, "Write the report here")->required();

  std::string pareto_folder;
  std::vector<std::string> pareto_objectives;
  auto* pareto_cmd = app.add_subcommand("pareto", "The Pareto front of a sweep's results");
  pareto_cmd->add_option("results", pareto_folder, "Results folder of tensorfab sweep")->required();
  pareto_cmd->add_option("--objective", pareto_objectives, "METRIC:max or METRIC:min (default: the sweep's own)");
  out.add_to(*pareto_cmd);

  std::vector<std::string> files;
  std::optional<std::string> check_kind;
  auto* check_cmd = app.add_subcommand(
      "check", "Validate chip, model, scenario, node, package, memory, interconnect, system and data-centre files");
  check_cmd->add_option("files", files, "Files to check")->required();
  check_cmd->add_option("--as", check_kind, "Treat every file as this kind")
      ->check(CLI::IsMember(
          {"chip", "model", "scenario", "node", "package", "memory", "interconnect", "system", "datacenter", "sweep"}));

  std::string show_kind, show_name;
  api::ModelRequest model_request;
  auto* show_cmd = app.add_subcommand("show", "Show a chip's spec and derived figures, or a model's sizes and memory");
  show_cmd->add_option("kind", show_kind, "chip, model or node")->required()->check(CLI::IsMember({"chip", "model", "node"}));
  show_cmd->add_option("name", show_name, "Chip or model id, or a file path")->required();
  show_cmd->add_option("--scenario", model_request.scenario, "For a model: a serving or training scenario");
  show_cmd->add_option("--chip", model_request.chip, "For a model: check that the scenario fits this chip");
  api::NodeRequest node_request;
  bool physical = false;
  show_cmd->add_flag("--physical", physical,
                     "For a chip: its dies against the reticle, shoreline and package, and what one part costs");
  std::string die_area;
  show_cmd->add_option("--die-area", die_area, "For a node: dies, yield and cost of a die this size (\"800 mm^2\")");
  show_cmd->add_option("--alpha", node_request.alpha, "For a node: negative-binomial defect clustering (default 3)")
      ->check(CLI::PositiveNumber);
  out.add_to(*show_cmd);
  add_sets(show_cmd);

  std::vector<std::string> compare_ids;
  auto* compare_cmd = app.add_subcommand("compare-chips", "Chips side by side: spec and derived figures");
  compare_cmd->add_option("chips", compare_ids, "Chip ids or YAML paths")->required();
  out.add_to(*compare_cmd);
  add_sets(compare_cmd);

  std::vector<std::string> validate_paths;
  TierOption validate_tier;
  auto* validate_cmd = app.add_subcommand("validate", "Predictions against published measurements (data/validation/)");
  validate_cmd->add_option("paths", validate_paths, "Case files or folders (default: the shipped data/validation/)");
  validate_tier.add_to(*validate_cmd);
  bool validate_physical = false;
  validate_cmd->add_flag("--physical", validate_physical,
                         "Derived die area and GEMM power of the shipped chips against their published figures");
  out.add_to(*validate_cmd);

  std::string list_kind;
  auto* list_cmd = app.add_subcommand("list", "List the shipped chips, models or scenarios");
  list_cmd->add_option("kind", list_kind, "chips, models, scenarios, nodes, packages, memories, systems or datacenters")
      ->required()
      ->check(
          CLI::IsMember({"chips", "models", "scenarios", "nodes", "packages", "memories", "systems", "datacenters"}));

  auto* vp_cmd = app.add_subcommand("vp", "Virtual prototype: compile, assemble, disassemble and run programs (docs/isa.md)");
  vp_cmd->require_subcommand(1);
  api::ProgramRequest program;
  std::string image_path;
  auto* asm_cmd = vp_cmd->add_subcommand("asm", "Assemble a program into a binary image");
  asm_cmd->add_option("file", program.path, "Assembly text")->required();
  asm_cmd->add_option("-o,--output", image_path, "Binary image to write")->required();
  auto* disasm_cmd = vp_cmd->add_subcommand("disasm", "Print a binary image (or assembly text) as canonical assembly");
  disasm_cmd->add_option("file", program.path, "Binary image or assembly text")->required();
  for (auto* cmd : {asm_cmd, disasm_cmd}) {
    cmd->add_option("--chip", program.chip, "Check addresses and cores against this chip (id or YAML path)");
  }
  api::GemmRequest gemm;
  std::string compiled_path;
  auto* compile_cmd = vp_cmd->add_subcommand("compile", "Compile a kernel into a program for a chip");
  compile_cmd->require_subcommand(1);
  auto* gemm_cmd = compile_cmd->add_subcommand("gemm", "C = A . B^T, tiled over the chip's cores");
  gemm_cmd->add_option("--m", gemm.m, "Rows of A and C")->required();
  gemm_cmd->add_option("--n", gemm.n, "Rows of B, columns of C")->required();
  gemm_cmd->add_option("--k", gemm.k, "Columns of A and B")->required();
  gemm_cmd->add_option("--type", gemm.operands, "Element type of A and B (default bf16; docs/isa.md)");
  gemm_cmd->add_option("--out-type", gemm.output, "Element type of C (default bf16)");
  gemm_cmd->add_option("--accumulator", gemm.accumulator, "fp32 (default), fp16 or bf16");
  gemm_cmd->add_option("--tile-m", gemm.choice.tile_m, "Rows of an output tile (default: timed)");
  gemm_cmd->add_option("--tile-n", gemm.choice.tile_n, "Columns of an output tile (default: timed)");
  gemm_cmd->add_option("--stages", gemm.choice.stages, "K slices in flight on a core, 2 to 8 (default: timed)");
  gemm_cmd->add_option("--split-k", gemm.choice.split_k, "Parts each tile's K range is split in (default: timed)");
  gemm_cmd->add_option("--chip", gemm.chip, "Chip to compile for, id or YAML path (default seed-2nm)");
  gemm_cmd->add_option("-o,--output", compiled_path, "Write the assembly here (default: print it)");
  api::LlamaRequest llama;
  std::string export_path;
  // The model's shape and the run's tokens, for `vp compile llama` and `numerics`.
  auto add_llama_options = [&](CLI::App* cmd) {
    vp::LlamaConfig& m = llama.model;
    cmd->add_option("--chip", llama.chip, "Chip to run on, id or YAML path (default seed-2nm)");
    cmd->add_option("--prompt", llama.prompt, "Prompt tokens (default 8)");
    cmd->add_option("--generate", llama.generate, "Tokens to generate greedily (default 8)");
    cmd->add_option("--seed", llama.seed, "Seed of the weights and the prompt (default 1)");
    cmd->add_option("--hidden", m.hidden, "Model width (default 64)");
    cmd->add_option("--layers", m.layers, "Decoder layers (default 2)");
    cmd->add_option("--heads", m.heads, "Query heads (default 4)");
    cmd->add_option("--kv-heads", m.kv_heads, "Key/value heads (default 2)");
    cmd->add_option("--head-dim", m.head_dim, "Width of a head (default 16)");
    cmd->add_option("--intermediate", m.intermediate, "Width of the gated MLP (default 160)");
    cmd->add_option("--vocab", m.vocab, "Vocabulary (default 256)");
  };
  auto* llama_cmd = compile_cmd->add_subcommand("llama", "A small Llama-style model's greedy decode as one program");
  add_llama_options(llama_cmd);
  std::string llama_formats = "bf16/bf16";
  llama_cmd->add_option("--formats", llama_formats, "WEIGHTS/ACTIVATIONS element types (default bf16/bf16)");
  llama_cmd->add_option("-o,--output", compiled_path, "Write the assembly here (default: print it)");
  auto* numerics_cmd =
      app.add_subcommand("numerics", "Number formats on the prototype: a small Llama model's logits against FP64");
  add_llama_options(numerics_cmd);
  numerics_cmd->add_option("--formats", llama.formats,
                           "WEIGHTS/ACTIVATIONS pairs, as mxfp4/bf16 (default: fp32, bf16, fp16, fp8 and MX pairs)")
      ->delimiter(',');
  numerics_cmd->add_option("--export", export_path, "Write weights, prompt, reference and runs as JSON");
  out.add_to(*numerics_cmd);

  api::RunRequest run_request;
  run_request.program.chip = "seed-2nm";
  std::string trace_path;
  bool timing_only = false;
  auto* run_cmd = vp_cmd->add_subcommand("run", "Run a program: its values and its time on a chip");
  run_cmd->add_option("file", run_request.program.path, "Assembly text or binary image")->required();
  run_cmd->add_option("--chip", run_request.program.chip, "Chip to run on, id or YAML path (default seed-2nm)");
  run_cmd->add_option("--load", run_request.loads, "ADDRESS=FILE: put a file's bytes in HBM first")
      ->allow_extra_args(false);
  run_cmd->add_option("--dump", run_request.dumps, "ADDRESS:BYTES=FILE: write HBM bytes to a file after")
      ->allow_extra_args(false);
  run_cmd->add_option("--trace", trace_path, "Write a Perfetto (Chrome JSON) trace of the run");
  run_cmd->add_flag("--timing-only", timing_only, "Keep time without computing values (faster)");
  run_cmd->add_option("--max-instructions", run_request.options.instruction_limit,
                      "Stop a program that has not halted after this many instructions")
      ->check(CLI::PositiveNumber);

  try {
    app.parse(argc, argv);
  } catch (const CLI::CallForHelp& e) {
    return app.exit(e);
  } catch (const CLI::CallForAllHelp& e) {
    return app.exit(e);
  } catch (const CLI::CallForVersion& e) {
    return app.exit(e);
  } catch (const CLI::ParseError& e) {
    std::cerr << "error: " << e.what() << " (see tensorfab --help)\n";
    return kBadInput;
  }
  // Caps oneTBB's threads for the rest of the run; 0 leaves its default, one per core.
  const auto parallelism = threads > 0 ? static_cast<size_t>(threads) : tbb::info::default_concurrency();
  tbb::global_control thread_cap(tbb::global_control::max_allowed_parallelism, parallelism);

  const config::Catalog catalog(api::data_dir(data_flag));
  if (*gemm_cmd) return compile_vp_gemm(catalog, gemm, compiled_path);
  if (*llama_cmd) {
    llama.formats = {llama_formats};
    return compile_vp_llama(catalog, llama, compiled_path);
  }
  if (*numerics_cmd) return run_numerics(catalog, llama, export_path, out);
  if (*run_cmd) {
    run_request.options.compute = !timing_only;
    run_request.options.trace = !trace_path.empty();
    return run_vp_program(catalog, run_request, trace_path);
  }
  if (*vp_cmd) return run_vp(catalog, program, *asm_cmd ? image_path : std::string{});
  if (*study_cmd) {
    study.overrides = set_overrides();
    study.tier = study_tier.value();
    // The default report goes with the table; JSON and CSV write one only when asked.
    const bool asked = study_cmd->count("--html") > 0;
    if (no_html || (out.format != "table" && !asked)) study_files.html.clear();
    return run_study(catalog, study, out, study_files);
  }
  if (*report_cmd) {
    auto html = api::sweep_html(report_folder);
    if (!html) return report_errors(html.errors());
    if (!write_output(report_html, *html)) return kRunFailed;
    std::cout << fmt::format("Report: {} (one file; open it in a browser)\n", report_html);
    return kOk;
  }
  if (*eval_cmd) {
    // Flags are scenario overrides, so they are checked like the file is.
    eval.overrides = set_overrides();
    eval.tier = eval_tier.value();
    auto set = [&](const char* flag, const char* key, const std::string& value) {
      if (!value.empty()) {
        eval.overrides.emplace_back(fmt::format("scenario.{}={}", key, value), fmt::format("{} {}", flag, value));
      }
    };
    if (batch) set("--batch", "batch", std::to_string(*batch));
    if (prompt) set("--prompt", "prompt_length", std::to_string(*prompt));
    if (output) set("--output", "output_length", std::to_string(*output));
    if (tensor_parallel) set("--tp", "tensor_parallel", std::to_string(*tensor_parallel));
    set("--weights", "formats.weights", weights);
    set("--activations", "formats.activations", activations);
    set("--kv-cache", "formats.kv_cache", kv_cache);
    return run_eval(catalog, eval, out, with_ops, eval_files);
  }
  if (*sweep_cmd) {
    sweep.options.out = sweep_out.empty()
                            ? std::filesystem::path(std::filesystem::path(sweep.file).stem().string() + "-results")
                            : std::filesystem::path(sweep_out);
    sweep.options.threads = threads;
    sweep.options.progress = progress == "bar"    ? dse::Progress::kBar
                             : progress == "lines" ? dse::Progress::kLines
                             : progress == "none"  ? dse::Progress::kNone
                             : isatty(STDERR_FILENO) ? dse::Progress::kBar
                                                     : dse::Progress::kLines;
    sweep.shard = mpi.shard();
    return run_sweep(catalog, sweep, out);
  }
  if (*pareto_cmd) return run_pareto(pareto_folder, pareto_objectives, out);
  if (*train_cmd) {
    train.overrides = set_overrides();
    train.tier = train_tier.value();
    return run_train(catalog, train, out);
  }
  if (*validate_cmd && validate_physical) {
    if (!validate_paths.empty()) {
      return report_errors({core::bad_input("--physical checks the shipped chips and takes no case files", "--physical")});
    }
    return run_validate_physical(catalog, out);
  }
  if (*validate_cmd) return run_validate(catalog, validate_paths, validate_tier.value(), out);
  if (*check_cmd) {
    auto errors = api::check(catalog, files, check_kind);
    if (!errors.empty()) return report_errors(errors);
    std::cout << fmt::format("ok: {} file{} valid\n", files.size(), files.size() == 1 ? "" : "s");
    return kOk;
  }
  if (*show_cmd && physical && show_kind != "chip") {
    return report_errors({core::bad_input("applies to chips only: tensorfab show chip NAME --physical", "--physical")});
  }
  if (*show_cmd && show_kind == "model") {
    model_request.model = show_name;
    model_request.overrides = set_overrides();
    return run_show_model(catalog, model_request, out);
  }
  if (*show_cmd && show_kind == "node") {
    node_request.node = show_name;
    node_request.overrides = set_overrides();
    if (!die_area.empty()) {
      auto area = core::parse<core::Area>(die_area);
      if (!area) {
        core::Diagnostics errors = area.errors();
        for (auto& e : errors) e.key_path = "--die-area";
        return report_errors(errors);
      }
      node_request.die_area = *area;
    }
    return run_show_node(catalog, node_request, out);
  }
  if (*show_cmd && physical) return run_show_physical(catalog, show_name, set_overrides(), out);
  if (*show_cmd) return run_show_chip(catalog, show_name, set_overrides(), out);
  if (*compare_cmd) return run_compare_chips(catalog, compare_ids, set_overrides(), out);
  if (*list_cmd) {
    for (const auto& id : api::list(catalog, list_kind)) std::cout << id << "\n";
    return kOk;
  }
  return kRunFailed;
}
