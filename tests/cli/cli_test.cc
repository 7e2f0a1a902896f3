// Runs the real tensorfab binary: exit codes, messages, outputs.
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <map>
#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <sstream>
#include <string>
#include <thread>

namespace {

namespace fs = std::filesystem;

struct Outcome {
  int code = -1;
  std::string out, err;
};

std::string slurp(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

fs::path scratch() {
  static const fs::path dir = [] {
    auto d = fs::temp_directory_path() / ("tfab-cli-" + std::to_string(::getpid()));
    fs::create_directories(d);
    return d;
  }();
  return dir;
}

Outcome tensorfab(const std::string& args) {
  const auto out = scratch() / "stdout", err = scratch() / "stderr";
  std::string cmd = std::string(TFAB_BINARY) + " " + args + " >" + out.string() + " 2>" + err.string();
  int status = std::system(cmd.c_str());
  return {WIFEXITED(status) ? WEXITSTATUS(status) : -1, slurp(out), slurp(err)};
}

fs::path write(const std::string& name, const std::string& text) {
  auto p = scratch() / name;
  std::ofstream(p, std::ios::binary) << text;
  return p;
}

size_t count_lines(const std::string& s, const std::string& prefix) {
  size_t n = 0;
  std::istringstream in(s);
  for (std::string line; std::getline(in, line);) n += line.rfind(prefix, 0) == 0;
  return n;
}

// Each bad input: exit code 2, every line an "error:" with the file (and
// position and key path where there is one), nothing on stdout.
struct BadInput {
  std::string name, args, expected;
};

void PrintTo(const BadInput& c, std::ostream* os) { *os << c.name; }

class BadInputTest : public ::testing::TestWithParam<BadInput> {};

TEST_P(BadInputTest, ExitsTwoWithALocatedMessage) {
  const auto& c = GetParam();
  Outcome r = tensorfab(c.args);
  EXPECT_EQ(r.code, 2) << r.err;
  EXPECT_TRUE(r.out.empty()) << r.out;
  EXPECT_NE(r.err.find(c.expected), std::string::npos) << "stderr was:\n" << r.err;
  EXPECT_EQ(count_lines(r.err, "error: "), count_lines(r.err, "")) << "every line is an error:\n" << r.err;
  EXPECT_EQ(r.err.find("Assertion"), std::string::npos);
}

std::vector<BadInput> bad_inputs() {
  const std::string chip_dir = scratch().string();
  auto empty = write("empty.yaml", "");
  auto garbage = write("garbage.yaml", std::string("\x7f" "ELF\x02\x01\x01\0\0\xff\xfe", 12));
  auto invalid = write("invalid.yaml", "name: x\nmemory: [1, 2\n");
  auto misspelled = write("misspelled.yaml", "preset: h100-sxm\nmemory:\n  stackz: 6\n");
  auto datacenter = write("dc.yaml", "preset: hyperscale\npu: 1.2\nelectricity: 0.1 USD/kW\n");
  auto package = write("pkg.yaml", "preset: cowos-s\nbonding_yeild: 0.9\n");
  auto holds = write("holds.yaml",
                     "preset: mi300x\nstacked_dies: {count: 4, process_node: tsmc-n6, bonding: soic, holds: [infinity_cach]}\n");
  auto bonding = write("bonding.yaml",
                       "preset: mi300x\nstacked_dies: {count: 4, process_node: tsmc-n6, bonding: soik, holds: [l2]}\n");
  auto interconnect = write("d2d.yaml", "preset: ucie-advanced\nbandwidth_per_mm: 1.3 TB/s\n");
  auto bare = write("bare.yaml", "preset: h100-sxm\nmemory:\n  bandwidth_per_stack: 3200\n");
  auto negative = write("negative.yaml", "preset: h100-sxm\nmemory:\n  capacity_per_stack: -16 GiB\n");
  auto zero = write("zero.yaml", "preset: h100-sxm\nsram:\n  l2:\n    capacity: 0 MiB\n");
  auto missing = write("missing.json", "{\n  \"model_type\": \"llama\",\n  \"hidden_size\": 4096\n}\n");
  auto bad_cases = write("bad-cases.yaml",
                         "bounds: {mean_abs_error: 0.1, max_abs_error: 0.2}\n"
                         "cases:\n  - name: x\n    chip: h100-sxm\n    model: llama-3.1-8b\n"
                         "    serve: {batch: 1, prompt_length: 8, output_length: 8}\n"
                         "    measured_tokens_per_s: 10\n    source: here\n");
  auto duplicate = write("dup.yaml", "preset: h100-sxm\ntdp: 700 W\ntdp: 800 W\n");
  auto bad_preset = write("pre.yaml", "preset: h100-sx\n");
  auto assembly = write("typo.s", ".core 0\n    dma dst=sram:0x0 src=hbm:0x0 rows=4 row_byts=64\n");
  auto image = write("damaged.bin", std::string("TFVP\x01\x00\x01\x00", 8));
  auto deadlock = write("deadlock.s", "dma dst=sram:0x0 src=hbm:0x0 rows=1 row_bytes=64 signal=s0\n"
                                      "vexp dst=sram:0x0:fp32 src=sram:0x0:fp32 rows=1 cols=16 wait=s1\n");
  const std::string model = " --model llama-3.1-8b";
  return {
      {"assembly_key_typo", "vp asm " + assembly.string() + " -o " + chip_dir + "/typo.bin",
       "typo.s:2:41: dma.row_byts: dma takes no 'row_byts' (did you mean 'row_bytes'?)"},
      {"damaged_image", "vp disasm " + image.string(), "damaged.bin: not a tensorfab program image"},
      {"program_deadlock", "vp run " + deadlock.string(),
       "deadlock.s:2: vexp: deadlock: it waits for s1, which holds 0 of the 1 it needs"},
      {"gemm_type_typo", "vp compile gemm --m 8 --n 8 --k 32 --type bf61",
       "--type: unknown element type 'bf61' (did you mean 'bf16'?)"},
      {"numerics_format_typo", "numerics --formats mxfp4/bf61",
       "--formats: expected WEIGHTS/ACTIVATIONS element types, as 'mxfp4/bf16', got 'mxfp4/bf61'"},
      {"numerics_odd_heads", "numerics --heads 5", "--kv-heads: 5 query heads do not share 2 key/value heads"},
      {"numerics_no_layers", "numerics --layers 0", "--layers: expected an integer from 1 to 65536, got 0"},
      {"llama_nothing_generated", "vp compile llama --generate 0",
       "--generate: expected a prompt and at least one generated token"},
      {"llama_integer_weights", "vp compile llama --formats int8/bf16",
       "--formats: weights must be a float or MX type, not int8"},
      {"run_load_syntax", "vp run " + deadlock.string() + " --load 0x10", "--load: expected ADDRESS=FILE, got '0x10'"},
      {"duplicate_key", "check " + duplicate.string(), "dup.yaml:3:1: duplicate key 'tdp'"},
      {"unknown_preset", "check " + bad_preset.string(), "pre.yaml:1:9: preset: unknown chip 'h100-sx' (did you mean 'h100-sxm'?"},
      {"missing_file", "check " + chip_dir + "/nowhere.yaml", "nowhere.yaml: no such file"},
      {"zero_threads", "study --threads 0", "error: --threads: Value 0 not in range 1 to 4096"},
      {"directory", "check " + chip_dir, "is a directory"},
      {"empty_file", "check " + empty.string(), "empty.yaml: the file is empty"},
      {"binary_garbage", "check " + garbage.string(), "garbage.yaml:1:1: this is not a text file"},
      {"invalid_yaml", "check " + invalid.string(), "invalid.yaml:3:1: invalid YAML"},
      {"misspelled_key", "check " + misspelled.string(),
       "misspelled.yaml:3:3: memory.stackz: unknown key 'stackz' (did you mean 'stacks'?)"},
      {"bare_number", "check " + bare.string(),
       "bare.yaml:3:24: memory.bandwidth_per_stack: expected a bandwidth such as \"3.35 TB/s\", got 3200"},
      {"negative_size", "check " + negative.string(), "negative.yaml:3:23: memory.capacity_per_stack: -16 GiB is out of range"},
      {"zero_size", "check " + zero.string(), "zero.yaml:4:15: sram.l2.capacity: 0 MiB is out of range"},
      {"unknown_chip", "eval --chip h100-sx" + model, "error: chip: unknown chip 'h100-sx' (did you mean 'h100-sxm'?; known chips: "},
      {"unknown_model", "eval --chip h100-sxm --model llama-3.1-7b", "unknown model 'llama-3.1-7b'"},
      {"config_missing_field", "check " + missing.string(), "missing.json:1:1: missing required key 'intermediate_size'"},
      {"bad_flag_value", "eval --chip h100-sxm" + model + " --batch 0", "error: --batch 0: serve.batch: 0 is out of range"},
      {"bad_set_target", "study --set chp.tdp=1", "did you mean 'chip.'?"},
      {"unsupported_format", "eval --chip h100-sxm" + model + " --weights fp4 --activations fp4", "no tensor throughput in fp4"},
      {"unknown_flag", "eval --chip h100-sxm" + model + " --bach 4", "error: The following arguments were not expected: 4 --bach"},
      {"unknown_tier", "eval --chip h100-sxm" + model + " --tier tiles", "error: --tier: tiles not in {roofline,tile,cycle}"},
      {"cycle_tier_on_a_gpu", "eval --chip h100-sxm" + model + " --tier cycle", "the cycle tier simulates systolic arrays"},
      {"latency_bound_on_static_batch",
       "eval --chip h100-sxm" + model + " --set \"scenario.latency.time_per_output_token=50 ms\"",
       "serve.latency: latency bounds apply to continuous batching"},
      {"validation_case_typo", "validate " + bad_cases.string(),
       "bad-cases.yaml:7:5: cases[0].measured_tokens_per_s: unknown key 'measured_tokens_per_s'"},
      {"die_area_without_unit", "show node tsmc-n5 --die-area 800",
       "error: --die-area: expected an area such as \"814 mm^2\", got 800"},
      {"die_too_large", "show node tsmc-n5 --die-area \"0.2 m^2\"", "does not fit on a 300 mm wafer"},
      {"stacked_holds_typo", "check " + holds.string(),
       "holds.yaml:2:72: stacked_dies.holds[0]: expected an SRAM level of this chip, memory_phy or links (did you mean "
       "'infinity_cache'?"},
      {"unknown_bonding", "show chip " + bonding.string() + " --physical",
       "bonding 'soik': unknown interconnect 'soik' (did you mean 'soic'?)"},
      {"interconnect_unit", "check " + interconnect.string(),
       "d2d.yaml:2:19: bandwidth_per_mm: \"1.3 TB/s\" is a bandwidth, expected a bandwidth per length such as \"1316 GB/s/mm\""},
      {"unknown_node", "show node tsmc-n8", "error: node: unknown node 'tsmc-n8' (did you mean"},
      {"die_beyond_the_reticle", "show chip h100-sxm --physical --set \"chip.die_area=900 mm^2\"",
       "h100-sxm does not fit: reticle: a 900 mm^2 die exceeds the 26 x 33 mm reticle"},
      {"stacks_beyond_the_shoreline", "show chip h100-sxm --physical --set chip.memory.stacks=7 --set chip.memory.sites=7",
       "7 memory stacks per die need 77 mm of die edge"},
      {"physical_on_a_node", "show node tsmc-n5 --physical", "error: --physical: applies to chips only"},
      {"physical_without_die_area", "show chip b200 --physical", "b200 gives no die_area"},
      {"physical_validation_with_files", "validate --physical " + chip_dir + "/h100-sxm.yaml",
       "--physical checks the shipped chips"},
      {"validation_file_missing", "validate " + chip_dir + "/nowhere.yaml", "nowhere.yaml"},
      {"unknown_system", "train --chip a100-sxm-80gb --model megatron-175b --system selen",
       "error: system: unknown system 'selen' (did you mean 'selene'?"},
      {"layout_beyond_the_system",
       "train --chip h100-sxm --model megatron-175b --system dgx-h100-superpod --set scenario.parallelism.data=32 "
       "--set scenario.global_batch=2048",
       "the layout needs 2048 chips; the system 'dgx-h100-superpod' has 1024"},
      {"training_scenario_typo", "train --chip a100-sxm-80gb --model megatron-175b --set scenario.overlap.gradients=true",
       "train.overlap.gradients: unknown key 'gradients'"},
      {"unknown_datacenter", "study --datacenter hyperscal",
       "error: datacenter: unknown datacenter 'hyperscal' (did you mean 'hyperscale'?"},
      {"datacenter_key_typo", "study --datacenter " + datacenter.string(),
       "dc.yaml:2:1: pu: unknown key 'pu' (did you mean 'pue'?)"},
      {"package_key_typo", "check " + package.string(),
       "pkg.yaml:2:1: bonding_yeild: unknown key 'bonding_yeild' (did you mean 'bonding_yield'?)"},
      {"datacenter_price_unit", "study --datacenter " + datacenter.string(),
       "dc.yaml:3:14: electricity: \"0.1 USD/kW\" is in USD*s/J, expected a price per energy such as \"0.08 USD/kWh\""},
  };
}

INSTANTIATE_TEST_SUITE_P(Cli, BadInputTest, ::testing::ValuesIn(bad_inputs()),
                         [](const auto& test) { return test.param.name; });

TEST(Cli, AssemblesAndDisassemblesPrograms) {
  auto text = write("copy.s", "# copy 4 rows\n.core 1\nloop: dma dst=sram:r1 src=hbm:0x1000 rows=4 row_bytes=64 signal=s0\n"
                              "    addi dst=r1 src=r1 imm=256\n    blt a=r1 b=r2 target=loop\n");
  const auto image = scratch() / "copy.bin";
  Outcome made = tensorfab("vp asm " + text.string() + " -o " + image.string() + " --chip seed-2nm");
  EXPECT_EQ(made.code, 0) << made.err;
  EXPECT_NE(made.out.find("3 instructions on 1 core"), std::string::npos) << made.out;
  Outcome shown = tensorfab("vp disasm " + image.string());
  EXPECT_EQ(shown.code, 0) << shown.err;
  EXPECT_EQ(shown.out, ".core 1\nL0:\n    dma dst=sram:r1 src=hbm:0x1000 rows=4 row_bytes=64 signal=s0\n"
                       "    addi dst=r1 src=r1 imm=256\n    blt a=r1 b=r2 target=L0\n");
  // The seed has 32 cores; core 40 is refused.
  auto far = write("far.s", ".core 40\n    halt\n");
  Outcome refused = tensorfab("vp disasm " + far.string() + " --chip seed-2nm");
  EXPECT_EQ(refused.code, 2);
  EXPECT_NE(refused.err.find("far.s:1: .core: core 40 does not exist: seed-2nm has 32 cores"), std::string::npos)
      << refused.err;
}

// The shipped GEMM tile runs on the seed: its inputs loaded, its output
// dumped, its time printed and its trace written.
TEST(Cli, RunsAProgramWithATrace) {
  std::string zeros(0x60000, '\0');
  for (size_t i = 0; i < zeros.size(); i += 2) zeros[i + 1] = 0x3f;  // BF16 0x3f00 = 0.5
  auto inputs = write("inputs.bin", zeros);
  const auto output = scratch() / "c.bin", trace = scratch() / "trace.json";
  Outcome r = tensorfab(std::string("vp run ") + TFAB_DATA_DIR + "/programs/gemm-tile.s --load 0=" + inputs.string() +
                        " --dump 0x80000:4=" + output.string() + " --trace " + trace.string());
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_NE(r.out.find("on seed-2nm (32 cores, 2048 KiB SRAM each, 1.75 GHz)"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("16777216 MACs"), std::string::npos) << r.out;
  // C = 512 x 0.5 x 0.5 = 128, BF16 0x4300.
  std::ifstream c(output, std::ios::binary);
  std::string bytes((std::istreambuf_iterator<char>(c)), std::istreambuf_iterator<char>());
  EXPECT_EQ(bytes, std::string("\x00\x43\x00\x43", 4));
  std::ifstream t(trace);
  const auto json = nlohmann::json::parse(t);
  size_t matmuls = 0;
  for (const auto& e : json["traceEvents"]) matmuls += e.value("name", "") == "matmul";
  EXPECT_EQ(matmuls, 8u);
}

// A compiled GEMM is assembly that runs: every MAC of the GEMM on the chip.
TEST(Cli, CompilesAGemmThatRuns) {
  const auto program = scratch() / "gemm.s";
  Outcome made = tensorfab("vp compile gemm --m 300 --n 200 --k 96 --type mxfp8-e4m3 --chip h100-sxm -o " +
                           program.string());
  ASSERT_EQ(made.code, 0) << made.err;
  Outcome ran = tensorfab("vp run " + program.string() + " --chip h100-sxm");
  ASSERT_EQ(ran.code, 0) << ran.err;
  EXPECT_NE(ran.out.find(std::to_string(300 * 200 * 96) + " MACs"), std::string::npos) << ran.out;
}

// The model compiles to a program 'vp run' takes; numerics compares the
// formats with FP64, FP32 agreeing on every generated token.
TEST(Cli, NumericsAndTheModelsProgram) {
  const auto program = scratch() / "llama.s";
  Outcome made = tensorfab("vp compile llama --prompt 4 --generate 2 -o " + program.string());
  ASSERT_EQ(made.code, 0) << made.err;
  Outcome ran = tensorfab("vp run " + program.string());
  ASSERT_EQ(ran.code, 0) << ran.err;
  EXPECT_NE(ran.out.find(" MACs"), std::string::npos) << ran.out;

  Outcome numerics = tensorfab("numerics --formats fp32/fp32,mxfp4/bf16 --generate 4");
  ASSERT_EQ(numerics.code, 0) << numerics.err;
  EXPECT_NE(numerics.out.find("4 of 4"), std::string::npos) << numerics.out;
  EXPECT_NE(numerics.out.find("mxfp4"), std::string::npos) << numerics.out;
}

TEST(Cli, ReportsAllErrorsOfAFileAtOnce) {
  auto many = write("many.yaml", "preset: h100-sxm\ntdp: 700\nvector:\n  fp32: -1 TFLOPS\nmemory:\n  stakcs: 2\n");
  Outcome r = tensorfab("check " + many.string());
  EXPECT_EQ(r.code, 2);
  EXPECT_EQ(count_lines(r.err, "error: "), 3u) << r.err;
}

TEST(Cli, HelpOnEverySubcommand) {
  for (std::string sub : {"", "study ", "eval ", "check ", "list ", "vp ", "vp asm ", "vp run ", "vp compile gemm "}) {
    Outcome r = tensorfab(sub + "--help");
    EXPECT_EQ(r.code, 0) << sub;
    EXPECT_NE(r.out.find("Usage"), std::string::npos) << sub << r.out;
  }
}

TEST(Cli, ListsShippedChipsAndModels) {
  Outcome chips = tensorfab("list chips");
  EXPECT_EQ(chips.code, 0);
  EXPECT_NE(chips.out.find("h100-sxm\n"), std::string::npos) << chips.out;
  EXPECT_NE(chips.out.find("seed-2nm\n"), std::string::npos) << chips.out;
  Outcome models = tensorfab("list models");
  EXPECT_NE(models.out.find("llama-3.1-405b\nllama-3.1-70b\nllama-3.1-8b\n"), std::string::npos) << models.out;
}

TEST(Cli, ChecksEveryShippedFile) {
  std::string args = "check";
  size_t count = 0;
  for (const char* kind :
       {"chips", "models", "scenarios", "nodes", "packages", "memories", "interconnects", "datacenters", "physical",
        "validation"}) {
    std::vector<fs::path> files;
    for (const auto& f : fs::directory_iterator(fs::path(TFAB_DATA_DIR) / kind)) files.push_back(f.path());
    std::sort(files.begin(), files.end());
    for (const auto& f : files) args += " " + f.string();
    count += files.size();
  }
  Outcome r = tensorfab(args);
  EXPECT_EQ(r.code, 0) << r.err;
  EXPECT_EQ(r.out, "ok: " + std::to_string(count) + " files valid\n");
  Outcome as_scenario = tensorfab(std::string("check --as scenario ") + TFAB_DATA_DIR "/scenarios/train-gpt3-175b.yaml");
  EXPECT_EQ(as_scenario.code, 0) << as_scenario.err;
}

TEST(Cli, EvalJsonCarriesUnitsAndVersion) {
  Outcome r = tensorfab("eval --chip h100-sxm --model llama-3.1-8b --batch 4 --prompt 512 --output 64 --format json --ops");
  ASSERT_EQ(r.code, 0) << r.err;
  auto j = nlohmann::json::parse(r.out);
  EXPECT_EQ(j["tool"]["name"], "tensorfab");
  EXPECT_FALSE(j["tool"]["version"].get<std::string>().empty());
  EXPECT_EQ(j["result"]["time_to_first_token"]["unit"], "s");
  EXPECT_EQ(j["result"]["memory"]["weights"]["unit"], "B");
  EXPECT_EQ(j.at("chip").at("derived").at("memory_bandwidth").at("unit"), "B/s");
  EXPECT_EQ(j["result"]["scenario"]["batch"], 4);
  EXPECT_FALSE(j["result"]["prefill_ops"].empty());
  // Every {"value", "unit"} pair holds a finite, non-negative number.
  std::function<void(const nlohmann::json&)> visit = [&](const nlohmann::json& v) {
    if (v.is_object() && v.contains("unit")) {
      ASSERT_TRUE(v["value"].is_number()) << v;
      EXPECT_GE(v["value"].get<double>(), 0.0) << v;
    }
    if (v.is_structured()) {
      for (const auto& child : v) visit(child);
    }
  };
  visit(j);
}

TEST(Cli, EveryTierEvaluatesASystolicChip) {
  for (const char* tier : {"roofline", "tile", "cycle"}) {
    Outcome r = tensorfab(std::string("eval --chip seed-2nm --model llama-3.1-8b --batch 4 --prompt 256 --output 32 --ops "
                                      "--format json --tier ") + tier);
    ASSERT_EQ(r.code, 0) << tier << r.err;
    auto j = nlohmann::json::parse(r.out);
    EXPECT_EQ(j["result"]["tier"], tier);
    EXPECT_GT(j["result"]["output_tokens_per_s_per_chip"].get<double>(), 0) << tier;
  }
}

TEST(Cli, SweepAndTensorParallelism) {
  Outcome r = tensorfab("eval --chip h100-sxm --model llama-3.1-70b --scenario serve-continuous --sweep");
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_NE(r.out.find("tensor parallel over 8 chips"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("(latency)"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("Throughput against batch:"), std::string::npos) << r.out;
}

TEST(Cli, ValidateChecksItsBounds) {
  // One case whose measurement is the model's own prediction, scaled: the
  // error is known, and the bounds decide the exit code.
  Outcome predicted = tensorfab(
      "eval --chip h100-sxm --model llama-3.1-8b --batch 8 --prompt 128 --output 64 --weights bf16 --activations bf16 "
      "--kv-cache bf16 --format json");
  ASSERT_EQ(predicted.code, 0) << predicted.err;
  const double tokens = nlohmann::json::parse(predicted.out)["result"]["output_tokens_per_s_per_chip"].get<double>();
  auto cases = [&](double bound) {
    return write("cases.yaml", "bounds: {mean_abs_error: " + std::to_string(bound) + ", max_abs_error: " +
                                   std::to_string(bound) +
                                   "}\ncases:\n  - name: eight\n    chip: h100-sxm\n    model: llama-3.1-8b\n"
                                   "    serve: {batch: 8, prompt_length: 128, output_length: 64}\n"
                                   "    measured_tokens_per_s_per_chip: " +
                                   std::to_string(tokens / 1.25) + "\n    source: this test\n");
  };
  Outcome within = tensorfab("validate --format json " + cases(0.3).string());
  ASSERT_EQ(within.code, 0) << within.err;
  auto j = nlohmann::json::parse(within.out);
  EXPECT_NEAR(j["files"][0]["rows"][0]["error"].get<double>(), 0.25, 1e-4);
  EXPECT_TRUE(j["files"][0]["within_bounds"].get<bool>());
  Outcome outside = tensorfab("validate " + cases(0.2).string());
  EXPECT_EQ(outside.code, 1) << outside.err;
  EXPECT_NE(outside.out.find("OUT OF BOUNDS"), std::string::npos) << outside.out;
}

TEST(Cli, ValidatesTheShippedMeasurements) {
  Outcome r = tensorfab("validate --format json");
  ASSERT_TRUE(r.code == 0 || r.code == 1) << r.err;  // 1: outside the bounds, reported in docs/validation.md
  auto j = nlohmann::json::parse(r.out);
  ASSERT_EQ(j["files"].size(), 2U);  // in name order: Megatron-LM training, then MLPerf serving
  EXPECT_EQ(j["files"][0]["rows"].size(), 9U);
  EXPECT_EQ(j["files"][1]["rows"].size(), 10U);
  bool all_within = true;
  for (const auto& file : j["files"]) {
    for (const auto& row : file["rows"]) {
      const double predicted = row["predicted"], measured = row["measured"];
      EXPECT_GT(predicted, 0);
      EXPECT_NEAR(row["error"].get<double>(), (predicted - measured) / measured, 1e-12);
    }
    all_within = all_within && file["within_bounds"].get<bool>();
  }
  EXPECT_EQ(j["files"][0]["rows"][0]["quantity"], "step time, s");
  EXPECT_EQ(r.code == 0, all_within);
}

// The training rows, printed as `tensorfab validate` prints them. Their
// bounds (mean 5%, each row 12%) are the issue's; docs/validation.md gives
// the figures. This guards what is reached: every row within 12%, the mean
// within 7%.
TEST(Cli, PrintsTheTrainingValidation) {
  const std::string file = std::string(TFAB_DATA_DIR) + "/validation/megatron-korthikanti-2022.yaml";
  Outcome table = tensorfab("validate " + file);
  ASSERT_TRUE(table.code == 0 || table.code == 1) << table.err;
  std::cout << table.out;
  Outcome r = tensorfab("validate --format json " + file);
  auto j = nlohmann::json::parse(r.out);
  const auto& rows = j["files"][0]["rows"];
  ASSERT_EQ(rows.size(), 9U);
  for (const auto& row : rows) EXPECT_LE(std::abs(row["error"].get<double>()), 0.12) << row["name"];
  EXPECT_LE(j["files"][0]["mean_abs_error"].get<double>(), 0.07);
  EXPECT_NE(table.out.find(rows[0]["name"].get<std::string>()), std::string::npos);
}

TEST(Cli, TrainsOnACluster) {
  Outcome r = tensorfab("train --chip a100-sxm-80gb --model megatron-175b --system selene --format json");
  ASSERT_EQ(r.code, 0) << r.err;
  auto j = nlohmann::json::parse(r.out);
  const auto& result = j["result"];
  double parts = 0;
  for (const auto& [name, part] : result["breakdown"].items()) parts += part["value"].get<double>();
  EXPECT_NEAR(parts, result["step_time"]["value"].get<double>(), 1e-9);
  EXPECT_GT(result["mfu"].get<double>(), 0.2);
  EXPECT_LT(result["mfu"].get<double>(), 1.0);
  EXPECT_EQ(result["chips"], 64);
  EXPECT_FALSE(result["collectives"].empty());
  Outcome text = tensorfab("train --chip a100-sxm-80gb --model megatron-175b --system selene");
  EXPECT_NE(text.out.find("pipeline bubble"), std::string::npos) << text.out;
  EXPECT_NE(text.out.find("HBM2e"), std::string::npos) << text.out;  // why A100's power is not derived
}

TEST(Cli, PricesATrainingRun) {
  Outcome r = tensorfab("train --chip seed-2nm --model gpt3-175b --system seed-cluster --tokens 1e12 --format json");
  ASSERT_EQ(r.code, 0) << r.err;
  const auto cost = nlohmann::json::parse(r.out)["cost"];
  EXPECT_EQ(cost["datacenter"]["id"], "hyperscale");
  EXPECT_TRUE(cost["unknown"].empty()) << cost.dump();
  const double steps = 1e12 / (64.0 * 2048);
  EXPECT_NEAR(cost["usd_per_run"].get<double>(), cost["usd_per_step"].get<double>() * steps, 1e-6);
  EXPECT_GT(cost["run_energy_at_facility"]["value"].get<double>(), 0);
  Outcome text = tensorfab("train --chip seed-2nm --model gpt3-175b --system seed-cluster");
  EXPECT_NE(text.out.find("MWh at the facility"), std::string::npos) << text.out;

  Outcome bad = tensorfab("train --chip seed-2nm --model gpt3-175b --system seed-cluster --datacenter hyperscal");
  EXPECT_EQ(bad.code, 2);
  EXPECT_NE(bad.err.find("hyperscale"), std::string::npos) << bad.err;  // the suggestion
}

TEST(Cli, ValidatesThePhysicalModel) {
  Outcome r = tensorfab("validate --physical --format json");
  ASSERT_TRUE(r.code == 0 || r.code == 1) << r.err;  // 1: outside the bounds, reported in docs/physical-model.md
  auto j = nlohmann::json::parse(r.out);
  bool area = false, power = false;
  for (const auto& c : j["checks"]) {
    const double predicted = c["predicted"], published = c["published"];
    EXPECT_GT(predicted, 0);
    EXPECT_NEAR(c["error"].get<double>(), (predicted - published) / published, 1e-12);
    area = area || c["quantity"].get<std::string>().rfind("die area", 0) == 0;
    power = power || c["quantity"].get<std::string>().rfind("power", 0) == 0;
  }
  EXPECT_TRUE(area && power);
  EXPECT_FALSE(j["skipped"].empty());  // chips whose node or die area is not public say so
  EXPECT_EQ(r.code == 0, j["within_bounds"].get<bool>());
}

TEST(Cli, ShowNodeWithADie) {
  Outcome r = tensorfab("show node tsmc-n5 --die-area \"800 mm^2\" --alpha 2 --format json");
  ASSERT_EQ(r.code, 0) << r.err;
  auto j = nlohmann::json::parse(r.out);
  EXPECT_EQ(j["node"]["name"], "TSMC N5");
  EXPECT_EQ(j["die"]["dies_per_wafer"], 58);
  ASSERT_EQ(j["die"]["yields"].size(), 4U);
  EXPECT_NEAR(j["die"]["yields"][3]["yield"].get<double>(), 0.510, 0.0005);  // (1 + 0.8/2)^-2
  EXPECT_EQ(j["die"]["yields"][0]["known_good_die_cost"]["unit"], "USD");
  Outcome no_d0 = tensorfab("show node tsmc-a16 --die-area \"800 mm^2\"");
  ASSERT_EQ(no_d0.code, 0) << no_d0.err;
  EXPECT_NE(no_d0.out.find("needs the node's defect density"), std::string::npos) << no_d0.out;
}

TEST(Cli, ShowChipPhysicalPlacesAndPricesThePart) {
  Outcome r = tensorfab("show chip h100-sxm --physical --format json");
  ASSERT_EQ(r.code, 0) << r.err;
  auto j = nlohmann::json::parse(r.out);
  EXPECT_EQ(j["fit"]["fits"], true);
  EXPECT_EQ(j["fit"]["stacks_per_die_limit"], 6);
  EXPECT_EQ(j["cost"]["dies_per_wafer"], 57);
  // The total is the parts over the assembly yield.
  const auto& c = j["cost"];
  const double parts = c["known_good_die"]["value"].get<double>() + c["memory"]["value"].get<double>() +
                       c["packaging"]["value"].get<double>();
  EXPECT_NEAR(c["total"]["value"].get<double>(), parts / c["assembly_yield"].get<double>(), 1e-6 * parts);
  Outcome text = tensorfab("show chip seed-2nm --physical");
  ASSERT_EQ(text.code, 0) << text.err;
  EXPECT_NE(text.out.find("known-good die"), std::string::npos) << text.out;
  EXPECT_NE(text.out.find("cost per part"), std::string::npos) << text.out;
}

TEST(Cli, ShowChipPrintsSpecAndDerivedFigures) {
  Outcome r = tensorfab("show chip h100-sxm");
  ASSERT_EQ(r.code, 0) << r.err;
  for (const char* text : {"989 TFLOP/s", "bf16 ridge point", "295 FLOP/B", "3.35 TB/s", "18 x 50 GB/s = 900 GB/s"}) {
    EXPECT_NE(r.out.find(text), std::string::npos) << text << "\n" << r.out;
  }
  Outcome j = tensorfab("show chip h100-sxm --format json --set chip.memory.stacks=6");
  ASSERT_EQ(j.code, 0) << j.err;
  auto doc = nlohmann::json::parse(j.out);
  EXPECT_EQ(doc["chip"]["memory"]["stacks"], 6);
  EXPECT_EQ(doc["chip"]["derived"]["memory_bandwidth"]["unit"], "B/s");
  EXPECT_NEAR(doc["chip"]["derived"]["memory_bandwidth"]["value"].get<double>(), 6 * 670e9, 1);
}

TEST(Cli, ShowModelWithScenarioAndChip) {
  Outcome r = tensorfab("show model mixtral-8x7b --scenario serve-default --chip h100-sxm");
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_NE(r.out.find("46.70 B"), std::string::npos) << r.out;  // total parameters
  EXPECT_NE(r.out.find("12.88 B"), std::string::npos) << r.out;  // active parameters
  EXPECT_NE(r.out.find("fits in 80 GiB"), std::string::npos) << r.out;
  Outcome big = tensorfab("show model llama-3.1-405b --scenario serve-default --chip h100-sxm");
  ASSERT_EQ(big.code, 0) << big.err;
  EXPECT_NE(big.out.find("does not fit: needs"), std::string::npos) << big.out;
  Outcome train = tensorfab("show model gpt3-175b --scenario train-gpt3-175b --format json --set scenario.parallelism.pipeline=4");
  ASSERT_EQ(train.code, 0) << train.err;
  auto j = nlohmann::json::parse(train.out);
  EXPECT_EQ(j.at("memory_per_chip").at("total").at("unit"), "B");
  EXPECT_GT(j.at("training_ops_per_token").at("value").get<double>(), 6 * 174e9);
  Outcome bad = tensorfab("show model gpt3-175b --scenario train-gpt3-175b --set scenario.parallelism.tensor=7");
  EXPECT_EQ(bad.code, 2);
  EXPECT_NE(bad.err.find("train.parallelism.tensor: 96 attention heads cannot be split over 7"), std::string::npos)
      << bad.err;
}

TEST(Cli, CompareChipsSideBySide) {
  Outcome r = tensorfab("compare-chips h100-sxm seed-2nm");
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_NE(r.out.find("h100-sxm"), std::string::npos);
  EXPECT_NE(r.out.find("128x128"), std::string::npos);  // the seed's array shape
  Outcome bad = tensorfab("compare-chips h100-sxm b2000 tpu-v99");
  EXPECT_EQ(bad.code, 2);
  EXPECT_EQ(count_lines(bad.err, "error: chip: unknown chip"), 2u) << bad.err;
}

TEST(Cli, DefaultStudyPrintsTheComparison) {
  Outcome r = tensorfab("study");
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_NE(r.out.find("seed-2nm"), std::string::npos);
  EXPECT_NE(r.out.find("h100-sxm"), std::string::npos);
  EXPECT_NE(r.out.find("TTFT"), std::string::npos);
}

// The default study's JSON against tests/golden/study-default/expected.json,
// numbers to a relative 1e-9 (the golden pins the model, not the last bit of
// floating-point formatting). TFAB_UPDATE_GOLDEN=1 rewrites it.
void expect_same(const nlohmann::json& want, const nlohmann::json& got, const std::string& path) {
  if (want.is_number() && got.is_number()) {
    double a = want.get<double>(), b = got.get<double>();
    EXPECT_NEAR(a, b, 1e-9 * std::max(std::abs(a), std::abs(b))) << path;
    return;
  }
  ASSERT_EQ(want.type(), got.type()) << path;
  if (want.is_object()) {
    ASSERT_EQ(want.size(), got.size()) << path;
    for (auto it = want.begin(); it != want.end(); ++it) {
      ASSERT_TRUE(got.contains(it.key())) << path << "." << it.key();
      expect_same(it.value(), got[it.key()], path + "." + it.key());
    }
  } else if (want.is_array()) {
    ASSERT_EQ(want.size(), got.size()) << path;
    for (size_t i = 0; i < want.size(); ++i) expect_same(want[i], got[i], path + "[" + std::to_string(i) + "]");
  } else {
    EXPECT_EQ(want, got) << path;
  }
}

TEST(Golden, DefaultStudyJson) {
  Outcome r = tensorfab("study --format json");
  ASSERT_EQ(r.code, 0) << r.err;
  auto got = nlohmann::json::parse(r.out);
  got.erase("tool");  // the version changes with every release
  const fs::path golden = fs::path(TFAB_GOLDEN_DIR) / "study-default" / "expected.json";
  if (const char* update = std::getenv("TFAB_UPDATE_GOLDEN"); update && std::string(update) == "1") {
    fs::create_directories(golden.parent_path());
    std::ofstream(golden) << got.dump(2) << "\n";
  }
  ASSERT_TRUE(fs::exists(golden)) << "run with TFAB_UPDATE_GOLDEN=1 to create " << golden;
  expect_same(nlohmann::json::parse(slurp(golden)), got, "");
}

// The same inputs give the same bytes of output on every run and at any
// thread count: rows are evaluated on their own threads and gathered in order.
TEST(Cli, SameBytesEveryRunAndThreadCount) {
  const std::string study = "study --chips seed-2nm,b200,mi300x,tpu-v5p,trn2,h100-sxm --format json";
  const Outcome once = tensorfab(study + " --threads 1");
  ASSERT_EQ(once.code, 0) << once.err;
  for (const char* threads : {"", " --threads 1", " --threads 2", " --threads 7"}) {
    EXPECT_EQ(tensorfab(study + threads).out, once.out) << "threads:" << threads;
  }
  const Outcome validate = tensorfab("validate --format json --threads 1");
  for (const char* threads : {"", " --threads 3"}) {
    EXPECT_EQ(tensorfab(std::string("validate --format json") + threads).out, validate.out) << threads;
  }
}

TEST(Cli, AnOverrideErrorIsSaidOnceForAllChips) {
  const Outcome r = tensorfab("study --chips seed-2nm,b200,h100-sxm --set chip.tdp=abc");
  EXPECT_EQ(r.code, 2);
  EXPECT_EQ(count_lines(r.err, ""), 1u) << r.err;
}

TEST(Cli, ThreadsMustBePositive) {
  const Outcome zero = tensorfab("study --threads 0");
  EXPECT_EQ(zero.code, 2);
  EXPECT_NE(zero.err.find("--threads"), std::string::npos) << zero.err;
}

// ---- Sweeps ---------------------------------------------------------------

// Every file a sweep leaves, by name.
std::map<std::string, std::string> results_of(const fs::path& folder) {
  std::map<std::string, std::string> files;
  for (const auto& entry : fs::directory_iterator(folder)) files[entry.path().filename().string()] = slurp(entry.path());
  return files;
}

// A sweep of a few thousand points: long enough to be killed halfway.
fs::path mid_size_sweep() {
  return write("mid-sweep.yaml", R"(
name: resume test
base: {chip: seed-2nm, model: llama-3.1-70b}
axes:
  chip.process_node: [tsmc-n3e, tsmc-n2, samsung-sf2]
  chip.memory.stacks: [4, 5, 6, 8]
  chip.die_area: {from: 600, to: 850, step: 10, unit: mm^2}
  chip.tdp: {from: 600, to: 1200, step: 200, unit: W}
constraints: {ttft: <= 2 s}
objectives: {tokens_per_s_per_watt: max, usd_per_million_tokens: min}
)");
}

TEST(Sweep, GivesTheSameFilesOnOneThreadAndOnTwo) {
  const std::string file = std::string(TFAB_DATA_DIR) + "/sweeps/seed-design.yaml";
  const auto one = scratch() / "seed-one", two = scratch() / "seed-two";
  Outcome a = tensorfab("sweep " + file + " --threads 1 --force --progress none --out " + one.string());
  ASSERT_EQ(a.code, 0) << a.err;
  Outcome b = tensorfab("sweep " + file + " --threads 2 --chunk 7 --force --progress none --out " + two.string());
  ASSERT_EQ(b.code, 0) << b.err;
  const auto x = results_of(one), y = results_of(two);
  EXPECT_EQ(x.size(), 6u);  // points.csv, points.jsonl, checkpoint.json, spec.json, pareto.csv, summary.json
  for (const auto& [name, bytes] : x) {
    if (name == "checkpoint.json") continue;  // records the chunking, not the results
    EXPECT_EQ(bytes, y.at(name)) << name;
  }
  EXPECT_NE(a.out.find("Pareto front"), std::string::npos) << a.out;
  EXPECT_NE(a.out.find("Sensitivity"), std::string::npos) << a.out;
  // One row per point, in order, and the summary agrees with the rows.
  const auto summary = nlohmann::json::parse(x.at("summary.json"));
  EXPECT_EQ(summary["points"], 192);
  EXPECT_EQ(count_lines(x.at("points.jsonl"), "{\"index\":"), 192u);
  EXPECT_EQ(count_lines(x.at("points.csv"), ""), 193u);
  int64_t feasible = 0;
  std::istringstream rows(x.at("points.jsonl"));
  int64_t expected_index = 0;
  for (std::string line; std::getline(rows, line);) {
    const auto row = nlohmann::json::parse(line);
    EXPECT_EQ(row["index"], expected_index++);
    feasible += row["feasible"].get<bool>();
  }
  EXPECT_EQ(summary["feasible"], feasible);
  EXPECT_FALSE(summary["pareto"].empty());
}

TEST(Sweep, KilledAndResumedLosesNoPointAndRepeatsNone) {
  const auto sweep = mid_size_sweep();
  const auto whole = scratch() / "resume-whole", broken = scratch() / "resume-broken";
  Outcome ref = tensorfab("sweep " + sweep.string() + " --threads 1 --force --progress none --out " + whole.string());
  ASSERT_EQ(ref.code, 0) << ref.err;

  // Started, then killed with SIGKILL once some chunks have been checkpointed.
  fs::remove_all(broken);
  const pid_t pid = fork();
  ASSERT_GE(pid, 0);
  if (pid == 0) {
    const std::string out = broken.string(), file = sweep.string();
    execl(TFAB_BINARY, TFAB_BINARY, "sweep", file.c_str(), "--threads", "1", "--chunk", "16", "--progress", "none",
          "--out", out.c_str(), static_cast<char*>(nullptr));
    _exit(127);
  }
  int64_t next = 0;
  for (int i = 0; i < 20000 && next < 256; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
    try {
      next = nlohmann::json::parse(slurp(broken / "checkpoint.json")).at("next").get<int64_t>();
    } catch (const std::exception&) {  // not written yet, or being replaced
    }
  }
  kill(pid, SIGKILL);
  int status = 0;
  waitpid(pid, &status, 0);
  ASSERT_TRUE(WIFSIGNALED(status)) << "the sweep finished before it could be killed";
  const auto checkpoint = nlohmann::json::parse(slurp(broken / "checkpoint.json"));
  EXPECT_LT(checkpoint["next"].get<int64_t>(), 2184);
  EXPECT_FALSE(fs::exists(broken / "summary.json"));

  // Without --resume the folder is not overwritten by mistake.
  Outcome refused = tensorfab("sweep " + sweep.string() + " --progress none --out " + broken.string());
  EXPECT_EQ(refused.code, 2);
  EXPECT_NE(refused.err.find("--resume"), std::string::npos) << refused.err;

  Outcome resumed = tensorfab("sweep " + sweep.string() + " --threads 2 --resume --progress none --out " + broken.string());
  ASSERT_EQ(resumed.code, 0) << resumed.err;
  EXPECT_NE(resumed.out.find("resumed at point"), std::string::npos) << resumed.out;
  const auto x = results_of(whole), y = results_of(broken);
  for (const char* name : {"points.csv", "points.jsonl", "pareto.csv", "summary.json", "spec.json"}) {
    EXPECT_EQ(x.at(name), y.at(name)) << name;
  }
}

TEST(Sweep, ResumingAnotherSweepsResultsIsRefused) {
  const auto sweep = mid_size_sweep();
  const auto folder = scratch() / "resume-other";
  ASSERT_EQ(tensorfab("sweep " + std::string(TFAB_DATA_DIR) + "/sweeps/seed-design.yaml --force --progress none --out " +
                      folder.string())
                .code,
            0);
  Outcome r = tensorfab("sweep " + sweep.string() + " --resume --progress none --out " + folder.string());
  EXPECT_EQ(r.code, 2);
  EXPECT_NE(r.err.find("another sweep"), std::string::npos) << r.err;
}

TEST(Sweep, ParetoReadsTheResultsForOtherObjectives) {
  const auto folder = scratch() / "pareto-results";
  ASSERT_EQ(tensorfab("sweep " + std::string(TFAB_DATA_DIR) + "/sweeps/seed-design.yaml --force --progress none --out " +
                      folder.string())
                .code,
            0);
  // Its own objectives: the same front as the summary.
  Outcome own = tensorfab("pareto " + folder.string() + " --format json");
  ASSERT_EQ(own.code, 0) << own.err;
  const auto summary = nlohmann::json::parse(slurp(folder / "summary.json"));
  const auto front = nlohmann::json::parse(own.out)["pareto"];
  ASSERT_EQ(front.size(), summary["pareto"].size());
  for (size_t i = 0; i < front.size(); ++i) EXPECT_EQ(front[i]["index"], summary["pareto"][i]["index"]);
  // One objective: the front is the best point alone (or its ties).
  Outcome one = tensorfab("pareto " + folder.string() + " --objective tokens_per_s:max --format json");
  ASSERT_EQ(one.code, 0) << one.err;
  const auto best = nlohmann::json::parse(one.out)["pareto"];
  ASSERT_FALSE(best.empty());
  for (const auto& p : best) EXPECT_EQ(p["tokens_per_s"], best[0]["tokens_per_s"]);
  Outcome bad = tensorfab("pareto " + folder.string() + " --objective tokens_per_sec:max");
  EXPECT_EQ(bad.code, 2);
  EXPECT_NE(bad.err.find("did you mean 'tokens_per_s'"), std::string::npos) << bad.err;
}

TEST(Sweep, AKeyTheDesignLacksIsAnErrorInTheSweepFile) {
  const auto sweep = write("typo-sweep.yaml", R"(
name: typo
base: {chip: seed-2nm, model: llama-3.1-70b}
axes:
  chip.memory.stakcs: [4, 6]
objectives: {tokens_per_s: max}
)");
  Outcome r = tensorfab("sweep " + sweep.string() + " --force --progress none --out " + (scratch() / "typo").string());
  EXPECT_EQ(r.code, 2);
  EXPECT_NE(r.err.find("typo-sweep.yaml:5:3"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("did you mean 'stacks'"), std::string::npos) << r.err;
  EXPECT_TRUE(r.out.empty());
}

// ---- Reports and traces -------------------------------------------------------

TEST(Report, TheDefaultStudyWritesItsReportBesideItsTable) {
  const fs::path here = scratch() / "report-cwd";
  fs::create_directories(here);
  const auto run = [&](const std::string& args) {
    const std::string cmd = "cd " + here.string() + " && " + TFAB_BINARY + " " + args + " > out.txt 2> err.txt";
    return std::system(cmd.c_str());
  };
  fs::remove(here / "tensorfab-study.html");
  ASSERT_EQ(run("study"), 0) << slurp(here / "err.txt");
  EXPECT_NE(slurp(here / "out.txt").find("Report: tensorfab-study.html"), std::string::npos) << slurp(here / "out.txt");
  const std::string html = slurp(here / "tensorfab-study.html");
  EXPECT_EQ(html.rfind("<!DOCTYPE html>", 0), 0u);
  EXPECT_NE(html.find("<table id=\"comparison\">"), std::string::npos);
  EXPECT_GE(count_lines(html, "<svg xmlns="), 6u);   // rooflines, time, curves, power, area, cost
  EXPECT_EQ(html.find("<script"), std::string::npos);  // nothing to run, nothing to fetch
  EXPECT_EQ(html.find("http://"), html.find("http://www.w3.org/2000/svg"));
  // JSON on stdout, and no report unless asked.
  fs::remove(here / "tensorfab-study.html");
  ASSERT_EQ(run("study --format json"), 0);
  EXPECT_FALSE(fs::exists(here / "tensorfab-study.html"));
  ASSERT_EQ(run("study --no-html"), 0);
  EXPECT_FALSE(fs::exists(here / "tensorfab-study.html"));
  EXPECT_EQ(slurp(here / "out.txt").find("Report:"), std::string::npos);
}

TEST(Report, TheTraceIsAChromeTraceOfTheServingWork) {
  const auto trace = scratch() / "eval-trace.json";
  Outcome r = tensorfab("eval --chip h100-sxm --model llama-3.1-8b --batch 8 --format json --trace " + trace.string());
  ASSERT_EQ(r.code, 0) << r.err;
  const auto result = nlohmann::json::parse(r.out)["result"];
  const auto t = nlohmann::json::parse(slurp(trace));
  ASSERT_TRUE(t["traceEvents"].is_array());
  std::map<int, std::string> lanes;
  double decode_us = 0, prefill_us = 0, end = 0;
  size_t slices = 0;
  for (const auto& e : t["traceEvents"]) {
    ASSERT_TRUE(e["name"].is_string());
    ASSERT_TRUE(e["ph"] == "M" || e["ph"] == "X") << e.dump();
    ASSERT_TRUE(e["pid"].is_number_integer() && e["tid"].is_number_integer()) << e.dump();
    if (e["ph"] == "M") {
      if (e["name"] == "thread_name") lanes[e["tid"].get<int>()] = e["args"]["name"];
      continue;
    }
    ++slices;
    const double ts = e["ts"], dur = e["dur"];
    EXPECT_GE(dur, 0) << e.dump();
    EXPECT_NEAR(ts, end, 1e-6 * std::max(1.0, end)) << "slices follow one another: " << e.dump();
    end = ts + dur;
    (e["cat"] == "prefill" ? prefill_us : decode_us) += dur;
  }
  EXPECT_EQ(lanes, (std::map<int, std::string>{{1, "compute"}, {2, "memory"}, {3, "communication"}}));
  EXPECT_GT(slices, 32u * 5);  // layer by layer
  // The decode step at the mean context is the mean time per output token
  // (to within the bends of each operator's time in the context length).
  EXPECT_NEAR(decode_us * 1e-6, result["time_per_output_token"]["value"].get<double>(),
              1e-3 * result["time_per_output_token"]["value"].get<double>());
  EXPECT_GT(prefill_us, 0);
}

TEST(Report, ASweepsReportShowsItsFront) {
  const auto folder = scratch() / "report-sweep";
  ASSERT_EQ(tensorfab("sweep " + std::string(TFAB_DATA_DIR) + "/sweeps/seed-design.yaml --force --progress none --out " +
                      folder.string())
                .code,
            0);
  const auto html = scratch() / "sweep.html";
  Outcome r = tensorfab("report " + folder.string() + " --html " + html.string());
  ASSERT_EQ(r.code, 0) << r.err;
  const std::string text = slurp(html);
  const auto summary = nlohmann::json::parse(slurp(folder / "summary.json"));
  EXPECT_NE(text.find("<table id=\"pareto\">"), std::string::npos);
  // One emphasised point per front member with both plotted objectives.
  size_t emphasised = 0;
  for (size_t at = text.find("stroke=\"#000\""); at != std::string::npos; at = text.find("stroke=\"#000\"", at + 1)) {
    ++emphasised;
  }
  EXPECT_EQ(emphasised, summary["pareto"].size());
  Outcome missing = tensorfab("report " + (scratch() / "no-such-results").string() + " --html " + html.string());
  EXPECT_EQ(missing.code, 2);
}

}  // namespace
