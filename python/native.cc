// tensorfab._native: the api façade for Python. Each call converts its
// arguments while holding the GIL, runs the library with the GIL released
// (so that Python threads evaluate on several cores at once), and returns
// the result as the library made it; its `to_dict()` is the document the
// CLI prints with `--format json`. The Python package (tensorfab/) wraps
// these in documented classes.

#include <fmt/format.h>
#include <pybind11/pybind11.h>
#include <pybind11/stl.h>

#include <optional>
#include <string>
#include <vector>

#include "tensorfab/api/api.h"
#include "tensorfab/api/report.h"
#include "tensorfab/core/units.h"
#include "tensorfab/core/version.h"
#include "tensorfab/report/json.h"
#include "tensorfab/report/trace.h"

namespace py = pybind11;
using namespace tfab;
using Json = nlohmann::ordered_json;

namespace {

// A call that failed, carrying everything found wrong; raised in Python as
// tensorfab.InputError (the user's input: exit code 2 in the CLI) or
// tensorfab.RunError.
struct Failure {
  core::Diagnostics errors;
};

template <class T>
T take(core::Result<T> result) {
  if (!result) throw Failure{result.errors()};
  return std::move(result).value();
}

Failure bad_argument(std::string message, std::string key_path, std::vector<std::string> notes = {}) {
  auto d = core::bad_input(std::move(message), std::move(key_path));
  d.notes = std::move(notes);
  return Failure{{std::move(d)}};
}

// ---- JSON and Python values ----------------------------------------------------

py::object to_python(const Json& j) {
  switch (j.type()) {
    case Json::value_t::boolean:
      return py::bool_(j.get<bool>());
    case Json::value_t::number_integer:
      return py::int_(j.get<int64_t>());
    case Json::value_t::number_unsigned:
      return py::int_(j.get<uint64_t>());
    case Json::value_t::number_float:
      return py::float_(j.get<double>());
    case Json::value_t::string:
      return py::str(j.get_ref<const std::string&>());
    case Json::value_t::array: {
      py::list list(j.size());
      size_t i = 0;
      for (const auto& item : j) list[i++] = to_python(item);
      return list;
    }
    case Json::value_t::object: {
      py::dict dict;
      for (const auto& [key, value] : j.items()) dict[py::str(key)] = to_python(value);
      return dict;
    }
    default:
      return py::none();
  }
}

// A Python value as an input tree, as if it had been read from a file
// named `where.file`: dicts are maps, lists and tuples sequences, anything
// with `value` and `unit` (tensorfab.Quantity) the text "value unit".
config::Node to_node(py::handle value, const core::Location& where, const std::string& key_path,
                     core::Diagnostics& errors) {
  using config::Node;
  const auto path_of = [&](const std::string& key) { return key_path.empty() ? key : key_path + "." + key; };
  if (value.is_none()) return Node::null(where);
  if (py::isinstance<py::bool_>(value)) return Node::scalar(value.cast<bool>() ? "true" : "false", where);
  if (py::isinstance<py::int_>(value)) return Node::scalar(py::str(value).cast<std::string>(), where);
  // repr: the shortest text that reads back the same, as JSON writes it.
  if (py::isinstance<py::float_>(value)) return Node::scalar(py::repr(value).cast<std::string>(), where);
  if (py::isinstance<py::str>(value)) return Node::scalar(value.cast<std::string>(), where);
  if (py::hasattr(value, "value") && py::hasattr(value, "unit")) {
    return Node::scalar(fmt::format("{} {}", value.attr("value").cast<double>(),
                                    py::str(value.attr("unit")).cast<std::string>()),
                        where);
  }
  if (py::isinstance<py::dict>(value)) {
    Node map = Node::map(where);
    for (auto [key, item] : value.cast<py::dict>()) {
      if (!py::isinstance<py::str>(key)) {
        auto d = core::bad_input(fmt::format("keys are text, got {}", py::repr(key).cast<std::string>()),
                                 key_path);
        d.location = where;
        errors.push_back(std::move(d));
        continue;
      }
      const auto name = key.cast<std::string>();
      map.set(name, to_node(item, where, path_of(name), errors), where);
    }
    return map;
  }
  if (py::isinstance<py::list>(value) || py::isinstance<py::tuple>(value)) {
    Node sequence = Node::sequence(where);
    size_t i = 0;
    for (auto item : value)
      sequence.push_back(to_node(item, where, fmt::format("{}[{}]", key_path, i++), errors));
    return sequence;
  }
  auto d = core::bad_input(fmt::format("expected text, a number, a list or a dict, got {}",
                                       py::str(py::type::of(value).attr("__name__")).cast<std::string>()),
                           key_path);
  d.location = where;
  errors.push_back(std::move(d));
  return Node::null(where);
}

config::Node document_of(py::handle value, const std::string& name) {
  core::Diagnostics errors;
  auto doc = to_node(value, core::Location{name, 0, 0}, "", errors);
  if (!errors.empty()) throw Failure{errors};
  return doc;
}

perf::Tier tier_of(const std::string& text) {
  if (auto tier = perf::parse_tier(text)) return *tier;
  throw bad_argument(fmt::format("unknown tier '{}'; expected roofline, tile or cycle", text), "tier");
}

// ---- Results ---------------------------------------------------------------------

// The library's result, kept whole; converted to Python when asked.
template <class R>
struct Held {
  R result;
};

// The CLI's flag names in errors, as the Python call's arguments: (flag, argument).
using Renames = std::vector<std::pair<std::string, std::string>>;

// Runs the library without the GIL; a failure is thrown with its key
// paths renamed.
template <class R, class Call>
auto released(Call call, const Renames& renames = {}) {
  py::gil_scoped_release release;
  core::Result<R> result = call();
  if (!result) {
    core::Diagnostics errors = result.errors();
    for (auto& e : errors) {
      for (const auto& [flag, argument] : renames) {
        if (e.key_path == flag) e.key_path = argument;
      }
    }
    throw Failure{std::move(errors)};
  }
  return Held<R>{std::move(result).value()};
}

// A program as Python sees it: its canonical assembly, its image, and sizes.
py::dict program_dict(const vp::Program& program) {
  const std::vector<uint8_t> image = vp::encode(program);
  size_t instructions = 0;
  for (const auto& core : program.cores) instructions += core.code.size();
  py::dict d;
  d["text"] = vp::disassemble(program);
  d["image"] = py::bytes(reinterpret_cast<const char*>(image.data()), image.size());
  d["instructions"] = instructions;
  d["cores"] = program.cores.size();
  return d;
}

}  // namespace

PYBIND11_MODULE(_native, m) {
  m.doc() = "tensorfab's library, for the Python package: use `import tensorfab`.";
  m.attr("version") = std::string(core::kVersion);

  // Failures become the package's exceptions, built by tensorfab.errors from
  // each diagnostic's parts.
  py::register_exception_translator([](std::exception_ptr p) {
    try {
      if (p) std::rethrow_exception(p);
    } catch (const Failure& f) {
      py::list diagnostics;
      for (const auto& d : f.errors) {
        py::dict item;
        const bool input = d.code == core::ErrorCode::kBadInput || d.code == core::ErrorCode::kNotFound;
        item["kind"] = input ? "input" : "run";
        item["file"] = d.location.file;
        item["line"] = d.location.line;
        item["column"] = d.location.column;
        item["key_path"] = d.key_path;
        item["message"] = d.message;
        item["notes"] = d.notes;
        item["text"] = d.str();
        diagnostics.append(item);
      }
      py::object raise = py::module_::import("tensorfab.errors").attr("_raise");
      const py::object error = raise(diagnostics);
      PyErr_SetObject(reinterpret_cast<PyObject*>(Py_TYPE(error.ptr())), error.ptr());
    }
  });

  py::class_<config::Catalog>(m, "Catalog")
      .def(py::init([](const std::string& data, bool remember) {
             config::Catalog catalog(api::data_dir(data));
             return remember ? catalog.remembering() : catalog;
           }),
           py::arg("data") = "", py::arg("remember") = false)
      .def_property_readonly("root", [](const config::Catalog& c) { return c.root().string(); })
      .def("ids", [](const config::Catalog& c, const std::string& kind) { return api::list(c, kind); })
      .def("with_document",
           [](const config::Catalog& c, const std::string& kind, const std::string& id, py::handle doc,
              const std::string& name) { return c.with_document(kind, id, document_of(doc, name)); });

  m.def("convert_unit", [](double value, const std::string& from, const std::string& to) {
    return take(core::convert_unit(value, from, to));
  });

  using Overrides = std::vector<std::pair<std::string, std::string>>;  // assignment, origin
  const auto overrides_of = [](const Overrides& given) {
    config::Overrides out;
    for (const auto& [assignment, origin] : given) out.emplace_back(assignment, origin);
    return out;
  };

  // ---- Serving -----------------------------------------------------------------
  py::class_<Held<api::EvalResult>>(m, "Evaluation")
      .def(
          "to_dict",
          [](const Held<api::EvalResult>& h, bool ops) { return to_python(api::to_json(h.result, ops)); },
          py::arg("ops") = false)
      .def(
          "to_json",
          [](const Held<api::EvalResult>& h, bool ops) { return api::to_json(h.result, ops).dump(2) + "\n"; },
          py::arg("ops") = false)
      .def("html",
           [](const Held<api::EvalResult>& h) { return api::study_html(api::StudyResult{{h.result}}); })
      .def("trace", [](const Held<api::EvalResult>& h) {
        return to_python(api::serving_trace(api::StudyResult{{h.result}}));
      });
  m.def("evaluate",
        [=](const config::Catalog& catalog, std::string chip, std::string model, std::string scenario,
            const Overrides& overrides, const std::string& tier, bool sweep, std::string datacenter) {
          api::EvalRequest request{std::move(chip),         std::move(model), std::move(scenario),
                                   overrides_of(overrides), tier_of(tier),    sweep,
                                   std::move(datacenter)};
          return released<api::EvalResult>([&] { return api::eval(catalog, request); });
        });

  py::class_<Held<api::StudyResult>>(m, "Study")
      .def("to_dict", [](const Held<api::StudyResult>& h) { return to_python(api::to_json(h.result)); })
      .def("to_json", [](const Held<api::StudyResult>& h) { return api::to_json(h.result).dump(2) + "\n"; })
      .def("html", [](const Held<api::StudyResult>& h) { return api::study_html(h.result); })
      .def("trace", [](const Held<api::StudyResult>& h) { return to_python(api::serving_trace(h.result)); });
  m.def("study", [=](const config::Catalog& catalog, std::vector<std::string> chips, std::string model,
                     std::string scenario, const Overrides& overrides, const std::string& tier, bool sweep,
                     std::string datacenter) {
    api::StudyRequest request{std::move(chips),        std::move(model), std::move(scenario),
                              overrides_of(overrides), tier_of(tier),    sweep,
                              std::move(datacenter)};
    return released<api::StudyResult>([&] { return api::study(catalog, request); });
  });

  // ---- Training ----------------------------------------------------------------
  py::class_<Held<api::TrainResult>>(m, "Training")
      .def("to_dict", [](const Held<api::TrainResult>& h) { return to_python(api::to_json(h.result)); })
      .def("to_json", [](const Held<api::TrainResult>& h) { return api::to_json(h.result).dump(2) + "\n"; });
  m.def("train", [=](const config::Catalog& catalog, std::string chip, std::string model,
                     std::string scenario, std::optional<std::string> system, const Overrides& overrides,
                     const std::string& tier, double tokens, std::string datacenter) {
    if (!(tokens > 0))
      throw bad_argument(fmt::format("expected a positive number of tokens, got {}", tokens), "tokens");
    api::TrainRequest request{
        std::move(chip), std::move(model), std::move(scenario),  std::move(system), overrides_of(overrides),
        tier_of(tier),   tokens,           std::move(datacenter)};
    return released<api::TrainResult>([&] { return api::train(catalog, request); });
  });

  // ---- Sweeps --------------------------------------------------------------------
  py::class_<Held<api::SweepResult>>(m, "SweepRun")
      .def("summary",
           [](const Held<api::SweepResult>& h) {
             return to_python(dse::summary_json(h.result.spec, h.result.run.rows, h.result.run.summary));
           })
      .def("points",
           [](const Held<api::SweepResult>& h) {
             py::list points;
             for (const auto& row : h.result.run.rows)
               points.append(to_python(dse::row_json(h.result.spec, row)));
             return points;
           })
      .def_property_readonly("evaluated",
                             [](const Held<api::SweepResult>& h) { return h.result.run.evaluated; })
      .def_property_readonly("seconds", [](const Held<api::SweepResult>& h) { return h.result.run.seconds; })
      .def_property_readonly("resumed_from",
                             [](const Held<api::SweepResult>& h) { return h.result.run.resumed_from; })
      .def_property_readonly("file", [](const Held<api::SweepResult>& h) { return h.result.spec.file; });
  m.def("sweep", [](const config::Catalog& catalog, std::string file, py::object document, std::string out,
                    bool resume, bool force, int threads, int64_t chunk) {
    if (threads < 0)
      throw bad_argument(fmt::format("expected 0 (every core) or more threads, got {}", threads), "threads");
    if (chunk < 1) throw bad_argument(fmt::format("expected a positive chunk, got {}", chunk), "chunk");
    api::SweepRequest request;
    request.file = std::move(file);
    if (!document.is_none()) request.document = document_of(document, request.file);
    request.options.out = std::move(out);
    request.options.resume = resume;
    request.options.force = force;
    request.options.threads = threads;
    request.options.chunk = chunk;
    return released<api::SweepResult>([&] { return api::sweep(catalog, request); });
  });

  // ---- Documents: what the CLI's show, validate and check print as JSON -----------
  m.def("chip", [=](const config::Catalog& catalog, const std::string& chip, const Overrides& overrides) {
    const auto chips = released<std::vector<hw::ChipSpec>>(
        [&] { return api::chips(catalog, {chip}, overrides_of(overrides)); });
    return to_python({{"tool", report::tool_info()}, {"chip", report::to_json(chips.result.front())}});
  });
  m.def("model", [=](const config::Catalog& catalog, std::string model, std::optional<std::string> scenario,
                     std::optional<std::string> chip, const Overrides& overrides) {
    api::ModelRequest request{std::move(model), std::move(scenario), std::move(chip),
                              overrides_of(overrides)};
    auto report = released<api::ModelReport>([&] { return api::show_model(catalog, request); });
    return to_python(api::to_json(report.result));
  });
  m.def("physical", [=](const config::Catalog& catalog, const std::string& chip, const Overrides& overrides) {
    auto report =
        released<api::PhysicalReport>([&] { return api::physical(catalog, chip, overrides_of(overrides)); });
    return to_python(api::to_json(report.result));
  });
  m.def("node", [=](const config::Catalog& catalog, std::string node, std::optional<std::string> die_area,
                    double alpha, const Overrides& overrides) {
    api::NodeRequest request{std::move(node), std::nullopt, alpha, overrides_of(overrides)};
    if (die_area) {
      auto area = core::parse<core::Area>(*die_area);
      if (!area) {
        auto errors = area.errors();
        for (auto& e : errors) e.key_path = "die_area";
        throw Failure{errors};
      }
      request.die_area = *area;
    }
    if (!(alpha > 0))
      throw bad_argument(fmt::format("expected a positive clustering alpha, got {}", alpha), "alpha");
    auto report = released<api::NodeReport>([&] { return api::show_node(catalog, request); });
    return to_python(api::to_json(report.result));
  });
  m.def("validate", [](const config::Catalog& catalog, const std::vector<std::string>& files,
                       const std::string& tier) {
    const perf::Tier t = tier_of(tier);
    auto reports =
        released<std::vector<validate::FileReport>>([&] { return api::validate_serving(catalog, files, t); });
    return to_python(api::to_json(reports.result, t));
  });
  m.def("validate_physical", [](const config::Catalog& catalog) {
    auto v = released<api::PhysicalValidation>([&] { return api::validate_physical(catalog); });
    return to_python(api::to_json(v.result));
  });
  // ---- Virtual prototype -----------------------------------------------------------
  m.def("vp_assemble", [](const config::Catalog& catalog, const std::string& content, const std::string& file,
                          const std::string& chip) {
    auto program = [&] {
      py::gil_scoped_release release;
      std::optional<vp::Machine> machine;
      if (!chip.empty()) {
        auto spec = take(hw::load_chip(catalog, chip));
        machine = take(vp::machine_for(spec));
      }
      return take(api::parse_program(content, file, machine ? &*machine : nullptr));
    }();
    return program_dict(program);
  });
  m.def("vp_compile_gemm", [](const config::Catalog& catalog, std::string chip, int64_t m_, int64_t n,
                              int64_t k, std::string operands, std::string output, std::string accumulator,
                              int64_t tile_m, int64_t tile_n, int64_t stages, int64_t split_k) {
    api::GemmRequest request{std::move(chip),
                             m_,
                             n,
                             k,
                             std::move(operands),
                             std::move(output),
                             std::move(accumulator),
                             vp::GemmChoice{tile_m, tile_n, stages, split_k}};
    const auto compiled = released<api::CompiledGemm>([&] { return api::compile_gemm(catalog, request); },
                                                      {{"--m", "m"},
                                                       {"--n", "n"},
                                                       {"--k", "k"},
                                                       {"--type", "operands"},
                                                       {"--out-type", "output"},
                                                       {"--accumulator", "accumulator"},
                                                       {"--stages", "stages"},
                                                       {"--split-k", "split_k"},
                                                       {"--tile-m", "tile_m"},
                                                       {"--tile-n", "tile_n"}});
    py::dict d = program_dict(compiled.result.program);
    const vp::GemmKernel& g = compiled.result.kernel;
    const vp::GemmPlan& plan = compiled.result.plan;
    py::dict layout;
    layout["a"] = g.a.address;
    layout["b"] = g.b.address;
    layout["c"] = g.c.address;
    if (vp::is_mx(g.a.type)) {
      layout["a_scales"] = g.a.scales;
      layout["b_scales"] = g.b.scales;
    }
    if (plan.split_k > 1) layout["workspace"] = g.workspace;
    d["layout"] = layout;
    d["plan"] = py::dict(py::arg("tile_m") = plan.tile_m, py::arg("tile_n") = plan.tile_n,
                         py::arg("tile_k") = plan.tile_k, py::arg("split_k") = plan.split_k,
                         py::arg("stages") = plan.stages, py::arg("tiles") = plan.tiles,
                         py::arg("cores") = plan.cores, py::arg("cycles") = plan.cycles);
    return d;
  });
  m.def("vp_run",
        [](const config::Catalog& catalog, std::string chip, std::string content, std::string file,
           std::vector<std::pair<int64_t, py::bytes>> loads, std::vector<std::pair<int64_t, int64_t>> dumps,
           bool compute, bool trace, int64_t instruction_limit) {
          api::MemoryRunRequest request{
              std::move(chip), std::move(content), std::move(file), {}, std::move(dumps), {}};
          for (auto& [address, bytes] : loads) request.loads.emplace_back(address, std::string(bytes));
          request.options.compute = compute;
          request.options.trace = trace;
          if (instruction_limit < 1 || instruction_limit > (int64_t{1} << 30)) {
            throw bad_argument(fmt::format("expected 1 to 2^30 instructions, got {}", instruction_limit),
                               "max_instructions");
          }
          request.options.instruction_limit = instruction_limit;
          auto ran = released<api::MemoryRunOutcome>([&] { return api::run_program(catalog, request); });
          const auto& outcome = ran.result.outcome;
          const vp::RunResult& r = outcome.result;
          py::dict d;
          d["chip"] = outcome.machine.chip;
          d["cycles"] = r.cycles;
          d["time"] = to_python(report::quantity(r.time));
          d["instructions"] = r.instructions;
          d["macs"] = r.macs;
          d["hbm_read"] = r.hbm_read;
          d["hbm_written"] = r.hbm_written;
          py::list cores;
          for (const vp::CoreStats& c : r.cores) {
            py::dict core;
            core["core"] = c.core;
            core["halted_at"] = c.halted_at;
            core["busy"] = std::vector<int64_t>(c.busy.begin(), c.busy.end());
            core["executed"] = std::vector<int64_t>(c.executed.begin(), c.executed.end());
            cores.append(core);
          }
          d["cores"] = cores;
          d["notes"] = r.notes;
          py::list dumped;
          for (const std::string& bytes : ran.result.dumps) dumped.append(py::bytes(bytes));
          d["dumps"] = dumped;
          if (trace) d["trace"] = to_python(report::perfetto_trace(outcome.program, r, outcome.timing.clock));
          return d;
        });
  m.def("numerics", [](const config::Catalog& catalog, std::string chip, std::vector<std::string> formats,
                       int64_t prompt, int64_t generate, uint64_t seed) {
    api::LlamaRequest request;
    request.chip = std::move(chip);
    request.formats = std::move(formats);
    request.prompt = prompt;
    request.generate = generate;
    request.seed = seed;
    const auto outcome = released<api::NumericsOutcome>(
        [&] { return api::numerics(catalog, request); },
        {{"--formats", "formats"}, {"--prompt", "prompt"}, {"--generate", "generate"}});
    return to_python(api::to_json(outcome.result, request));
  });

  m.def("check", [](const config::Catalog& catalog, const std::vector<std::string>& files,
                    std::optional<std::string> kind) {
    core::Diagnostics errors;
    {
      py::gil_scoped_release release;
      errors = api::check(catalog, files, std::move(kind));
    }
    if (!errors.empty()) throw Failure{errors};
  });
}
