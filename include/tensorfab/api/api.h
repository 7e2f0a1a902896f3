#pragma once
// The one façade that the CLI (and later the Python bindings) call. Each
// entry point takes plain requests, loads and validates what they name from
// the catalog, evaluates, and returns a result or every error found.

#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "tensorfab/config/load.h"
#include "tensorfab/cost/bill.h"
#include "tensorfab/cost/energy.h"
#include "tensorfab/cost/power.h"
#include "tensorfab/cost/tco.h"
#include "tensorfab/dse/run.h"
#include "tensorfab/dse/sweep.h"
#include "tensorfab/hw/area.h"
#include "tensorfab/package/package.h"
#include "tensorfab/perf/serving.h"
#include "tensorfab/system/training.h"
#include "tensorfab/tech/process.h"
#include "tensorfab/tech/wafer.h"
#include "tensorfab/validate/validate.h"
#include "tensorfab/vp/compile.h"
#include "tensorfab/vp/execute.h"
#include "tensorfab/vp/isa.h"
#include "tensorfab/vp/llama.h"
#include "tensorfab/workload/training.h"

namespace tfab::api {

// The data folder: `chosen` (--data), else $TENSORFAB_DATA, else the source
// tree this library was built from, else the installed copy.
[[nodiscard]] std::filesystem::path data_dir(const std::string& chosen = {});

// What the data catalog holds, for `tensorfab list`.
[[nodiscard]] std::vector<std::string> list(const config::Catalog& catalog, std::string_view kind);

// Loads chips by id or path, with `chip.` overrides applied to each;
// reports the problems of all of them together.
[[nodiscard]] core::Result<std::vector<hw::ChipSpec>> chips(const config::Catalog& catalog,
                                                            const std::vector<std::string>& ids,
                                                            const config::Overrides& overrides = {});

// Overrides are addressed by what they change: "chip.tdp=800 W",
// "model.num_hidden_layers=40", "scenario.batch=8".
struct EvalRequest {
  std::string chip;
  std::string model;
  std::string scenario = "serve-default";  // id or path
  config::Overrides overrides;
  perf::Tier tier = perf::Tier::kTile;
  bool sweep = false;  // also throughput against batch
  std::string datacenter = "hyperscale";  // id or path, for the TCO
};

// What serving costs on one chip: its power at the serving work, the energy
// of a token and, when what the chip costs to make is known, its TCO in the
// data centre (cost/tco.h).
struct ServingCost {
  cost::WorkloadPower power;         // while busy, at the published clock
  double tokens_per_s_per_chip = 0;  // at the clock the TDP allows
  core::Power average_power;         // busy for the serving load's share of the time, else idle
  double tokens_per_joule = 0;
  std::optional<cost::Tco> tco;
  std::optional<double> usd_per_million_tokens;
};

struct EvalResult {
  hw::ChipSpec chip;
  workload::ModelSpec model;
  perf::ServingResult serving;
  std::vector<perf::BatchPoint> sweep;  // when asked for
  std::optional<ServingCost> cost;
  std::optional<cost::Datacenter> datacenter;
  std::vector<std::string> cost_unknown;  // what kept power or cost out
  // The part behind the cost, where it could be derived (for reports).
  std::optional<hw::AreaBreakdown> area;
  std::optional<cost::Bill> bill;
};

[[nodiscard]] core::Result<EvalResult> eval(const config::Catalog& catalog, const EvalRequest& request);

// The main job: several chips serving one model under one scenario. The
// built-in default compares the seed design with H100 on Llama 3.1 70B.
struct StudyRequest {
  std::vector<std::string> chips = {"seed-2nm", "h100-sxm"};
  std::string model = "llama-3.1-70b";
  std::string scenario = "serve-default";
  config::Overrides overrides;  // applied to every chip
  perf::Tier tier = perf::Tier::kTile;
  bool sweep = false;
  std::string datacenter = "hyperscale";
};

struct StudyResult {
  std::vector<EvalResult> rows;  // in the order of the request's chips
};

[[nodiscard]] core::Result<StudyResult> study(const config::Catalog& catalog, const StudyRequest& request);

// The documents `--format json` prints: tool and version, inputs, results,
// every quantity with its unit.
[[nodiscard]] nlohmann::ordered_json to_json(const EvalResult& result, bool with_ops);
[[nodiscard]] nlohmann::ordered_json to_json(const StudyResult& result);

// `tensorfab train`: one optimizer step of a training scenario on a
// cluster of one kind of chip (system/training.h). Without a system file,
// the chip's scale-up link joins every chip of the layout in one switch.
struct TrainRequest {
  std::string chip;
  std::string model;
  std::string scenario = "train-gpt3-175b";  // id or path
  std::optional<std::string> system;         // id or path
  config::Overrides overrides;               // chip., model., scenario., system.
  perf::Tier tier = perf::Tier::kTile;
  double tokens = 300e9;                      // to train, for the time to train
  std::string datacenter = "hyperscale";      // id or path, for the cost of the run
};

// What a training run costs (docs/physical-model.md, "Training"). A chip's
// power is taken over its share of the step's compute (its stage's layers,
// the edges spread over the stages, its optimizer step) and the links it
// drives; over its TDP the clock falls and the compute stretches, the
// communication does not. Idle power runs through the rest of the step.
struct TrainCost {
  cost::WorkloadPower power;     // one chip, over its compute, at the published clock
  core::Time step_time;          // at the clock the TDP allows
  core::Power average_power;     // one chip, over that step
  double tokens_per_joule = 0;   // the chips' own energy
  core::Energy run_energy;       // the whole run at the facility: chips x server x PUE
  std::optional<cost::Tco> tco;  // per chip, when its cost to make is known
  std::optional<core::Money> per_step, per_run;
};

struct TrainResult {
  hw::ChipSpec chip;
  workload::ModelSpec model;
  workload::TrainScenario scenario;
  system::System system;
  system::TrainingResult step;  // at the published clock
  double tokens = 0;
  std::optional<TrainCost> cost;
  std::optional<cost::Datacenter> datacenter;
  std::vector<std::string> cost_unknown;  // what kept power or cost out
  [[nodiscard]] double steps() const { return tokens / step.tokens_per_step; }
};

[[nodiscard]] core::Result<TrainResult> train(const config::Catalog& catalog, const TrainRequest& request);
[[nodiscard]] nlohmann::ordered_json to_json(const TrainResult& result);

// `tensorfab sweep`: a design-space sweep (dse/sweep.h, dse/run.h), each
// point served (and trained, when the sweep asks) with its area, fit,
// power and cost, in parallel threads and, with a Shard, processes.
struct SweepRequest {
  std::string file;  // names the sweep in messages when `document` is given
  std::optional<config::Node> document;  // the sweep itself, when not read from `file`
  dse::RunOptions options;
  dse::Shard shard;
};

struct SweepResult {
  dse::SweepSpec spec;
  dse::RunResult run;
};

[[nodiscard]] core::Result<SweepResult> sweep(const config::Catalog& catalog, const SweepRequest& request);

// One point of a sweep on its own, as a sweep's thread evaluates it
// (constraints applied). The catalog should be `remembering()` for speed.
[[nodiscard]] core::Result<dse::Row> sweep_point(const config::Catalog& catalog, const dse::SweepSpec& spec,
                                                 int64_t index);

// `tensorfab show model`: a model's sizes and work, and what a scenario
// needs in memory, checked against a chip when one is named.
struct ModelRequest {
  std::string model;
  std::optional<std::string> scenario;  // serving or training, id or path
  std::optional<std::string> chip;
  config::Overrides overrides;
};

struct ModelReport {
  workload::ModelSpec model;
  int64_t context = 0;                   // context of the per-token figures
  core::Ops forward_ops_per_token;       // one decode token at `context`
  core::Bytes kv_bytes_per_token_bf16;
  std::optional<workload::ServeScenario> serve;
  std::optional<workload::ServingMemory> serving_memory;
  std::optional<workload::TrainScenario> train;
  std::optional<workload::TrainingMemory> training_memory;  // per chip
  std::optional<core::Ops> training_ops_per_token;          // whole model, all chips
  std::optional<hw::ChipSpec> chip;

  // Memory the scenario needs per chip, and whether it fits the chip.
  [[nodiscard]] std::optional<core::Bytes> memory_needed() const;
  [[nodiscard]] std::optional<bool> fits() const;
};

[[nodiscard]] core::Result<ModelReport> show_model(const config::Catalog& catalog, const ModelRequest& request);
[[nodiscard]] nlohmann::ordered_json to_json(const ModelReport& report);

// `tensorfab show chip NAME --physical`: the chip's silicon and package,
// checked against the reticle, the shoreline and the packaging's limits,
// its area derived from its units, its power at a large GEMM, and what one
// part costs to make. A chip file without a die area is placed and priced
// at the derived one. A design that breaks a limit is an error naming each
// limit and by how much.
struct PhysicalReport {
  hw::ChipSpec chip;
  core::Area die;  // one logic die: the chip file's, or the derived one
  bool die_derived = false;
  std::optional<hw::AreaBreakdown> area;   // derived from the microarchitecture
  std::optional<cost::GemmPower> power;    // a large GEMM in the chip's widest 16-bit format
  std::optional<tech::ProcessNode> node;
  std::optional<package::PackageTech> package;
  std::optional<package::MemoryStackTech> memory;
  hw::MultiDieTech multi_die;          // when the chip has die-to-die links or stacked dies
  std::optional<core::Area> stacked_die;  // one stacked die: the chip file's, or the derived one
  bool stacked_die_is_footprint = false;  // derived as the logic dies on it, larger than what it holds
  package::Fit fit;
  std::optional<cost::Bill> bill;      // when node and package are known
  std::vector<std::string> unknown;    // what kept a part of the report out
};

[[nodiscard]] core::Result<PhysicalReport> physical(const config::Catalog& catalog, const std::string& chip,
                                                    const config::Overrides& overrides = {});
[[nodiscard]] nlohmann::ordered_json to_json(const PhysicalReport& report);

// `tensorfab validate`: the serving cases (validate/validate.h), each chip
// at the clock its TDP allows under the case's work where its power can be
// derived.
[[nodiscard]] core::Result<std::vector<validate::FileReport>> validate_serving(const config::Catalog& catalog,
                                                                             const std::vector<std::string>& paths,
                                                                             perf::Tier tier);
[[nodiscard]] nlohmann::ordered_json to_json(const std::vector<validate::FileReport>& reports, perf::Tier tier);

// `tensorfab validate --physical`: the derived die area against the
// published one, and the derived power at a large GEMM against the TDP,
// for every shipped chip that publishes them (the seed design, whose
// figures are assumptions, is left out).
struct PhysicalCheck {
  std::string chip;
  std::string quantity;  // "die area", "power, BF16 GEMM"
  double predicted = 0, published = 0;  // mm^2 or W
  double bound = 0;
  [[nodiscard]] double error() const { return (predicted - published) / published; }
};
struct PhysicalValidation {
  std::vector<PhysicalCheck> checks;
  std::vector<std::string> skipped;  // chip: why it has no row
  [[nodiscard]] bool within_bounds() const;
};
[[nodiscard]] core::Result<PhysicalValidation> validate_physical(const config::Catalog& catalog);
[[nodiscard]] nlohmann::ordered_json to_json(const PhysicalValidation& v);

// `tensorfab show node`: a process node, and with a die area, what a
// wafer of it gives: dies, yield under each model, known-good-die cost.
struct NodeRequest {
  std::string node;
  std::optional<core::Area> die_area;
  double alpha = 3;  // negative-binomial clustering
  config::Overrides overrides;
};

struct NodeReport {
  tech::ProcessNode node;
  std::optional<core::Area> die_area;
  double alpha = 3;
  double dies_per_wafer = 0;
  struct Yield {
    tech::YieldModel model;
    double yield = 0;
    std::optional<core::Money> die_cost;  // when the node has a wafer price
  };
  std::vector<Yield> yields;  // when the node has a defect density
};

[[nodiscard]] core::Result<NodeReport> show_node(const config::Catalog& catalog, const NodeRequest& request);
[[nodiscard]] nlohmann::ordered_json to_json(const NodeReport& report);

// Validates input files, guessing each one's kind (chip, model, scenario or node)
// from its content unless `kind` is given. Returns every problem found.
[[nodiscard]] core::Diagnostics check(const config::Catalog& catalog, const std::vector<std::string>& files,
                                      std::optional<std::string> kind = std::nullopt);

// ---- Virtual prototype -------------------------------------------------------

// A program from assembly text or a binary image (told apart by the image's
// "TFVP" start), checked against the machine of `chip` when one is named.
struct ProgramRequest {
  std::string path;
  std::string chip;  // id or path; empty: no machine, so addresses are not bounded
};
[[nodiscard]] core::Result<vp::Program> load_program(const config::Catalog& catalog, const ProgramRequest& request);

// Runs a program on a chip (`tensorfab vp run`). HBM starts with the
// `loads` ("ADDRESS=FILE": a file's bytes at a byte address, hex or
// decimal) and the `dumps` ("ADDRESS:BYTES=FILE") are written after.
struct RunRequest {
  ProgramRequest program;  // its chip is required
  vp::RunOptions options;
  std::vector<std::string> loads, dumps;
};
struct RunOutcome {
  vp::Program program;
  vp::Machine machine;
  vp::Timing timing;
  vp::RunResult result;
};
// Compiles C = A . B^T for a chip (`tensorfab vp compile gemm`), with A,
// B, C and the scales laid out one after another in HBM from address 0.
struct GemmRequest {
  std::string chip = "seed-2nm";
  int64_t m = 0, n = 0, k = 0;
  std::string operands = "bf16", output = "bf16", accumulator = "fp32";
  vp::GemmChoice choice;  // stages and split-K, where the caller fixes them
};
struct CompiledGemm {
  vp::Program program;
  vp::GemmKernel kernel;
  vp::GemmPlan plan;
};
[[nodiscard]] core::Result<CompiledGemm> compile_gemm(const config::Catalog& catalog, const GemmRequest& request);

[[nodiscard]] core::Result<RunOutcome> run_program(const config::Catalog& catalog, const RunRequest& request);

// A program's content as a file holds it (assembly text, or an image that
// starts "TFVP"), checked against `machine` when one is given; `file`
// names it in messages.
[[nodiscard]] core::Result<vp::Program> parse_program(std::string_view content, const std::string& file,
                                                      const vp::Machine* machine);

// The same run with everything in memory (the Python bindings): the
// program's content, HBM's starting bytes at their addresses, and the
// (address, length) ranges to read back after.
struct MemoryRunRequest {
  std::string chip;
  std::string program;  // assembly text or an image
  std::string file = "<program>";
  std::vector<std::pair<int64_t, std::string>> loads;
  std::vector<std::pair<int64_t, int64_t>> dumps;
  vp::RunOptions options;
};
struct MemoryRunOutcome {
  RunOutcome outcome;
  std::vector<std::string> dumps;  // the bytes of each range asked for
};
[[nodiscard]] core::Result<MemoryRunOutcome> run_program(const config::Catalog& catalog,
                                                         const MemoryRunRequest& request);

// A small Llama-style model on a chip's prototype, with seeded weights and
// prompt (`tensorfab numerics`, `tensorfab vp compile llama`).
struct LlamaRequest {
  std::string chip = "seed-2nm";
  vp::LlamaConfig model;
  int64_t prompt = 8, generate = 8;
  uint64_t seed = 1;
  // "WEIGHTS/ACTIVATIONS" element types, as "mxfp4/bf16"; empty: kStandardFormats.
  std::vector<std::string> formats;
};
inline const std::vector<std::string> kStandardFormats{
    "fp32/fp32",          "bf16/bf16",          "fp16/fp16",  "fp8-e4m3/fp8-e4m3",
    "mxfp8-e4m3/bf16",    "mxfp6-e3m2/bf16",    "mxfp4/bf16", "mxfp4/fp8-e4m3"};

// One format pair's run against the FP64 reference.
struct FormatRun {
  vp::LlamaFormats formats;
  vp::Decoded decoded;
  vp::LogitsError error;
  vp::RunResult run;
  int64_t cores = 0;  // the program uses
};
struct NumericsOutcome {
  vp::Machine machine;
  std::vector<int64_t> prompt;
  vp::LlamaWeights weights;
  vp::Decoded reference;
  std::vector<FormatRun> runs;
};
// Compiles and runs the model once per format pair (in parallel; the
// results do not depend on the thread count).
[[nodiscard]] core::Result<NumericsOutcome> numerics(const config::Catalog& catalog, const LlamaRequest& request);
// What `tensorfab numerics --format json` prints, and the model in words.
[[nodiscard]] nlohmann::ordered_json to_json(const NumericsOutcome& outcome, const LlamaRequest& request);
[[nodiscard]] std::string describe(const LlamaRequest& request);
// The program for the first format pair.
[[nodiscard]] core::Result<vp::CompiledLlama> compile_llama(const config::Catalog& catalog, const LlamaRequest& request);

}  // namespace tfab::api
