#include "tensorfab/report/trace.h"

#include <fmt/format.h>

#include "tensorfab/report/json.h"

namespace tfab::report {
namespace {

std::string lane_name(int lane) {
  if (lane == vp::kTensorLane) return "tensor";
  if (lane == vp::kVectorLane) return "vector";
  return fmt::format("dma {}", lane);
}

nlohmann::ordered_json metadata(std::string_view what, int pid, int tid, const std::string& name) {
  return {{"name", what}, {"ph", "M"}, {"pid", pid}, {"tid", tid}, {"args", {{"name", name}}}};
}

}  // namespace

nlohmann::ordered_json perfetto_trace(const vp::Program& program, const vp::RunResult& run, core::Frequency clock) {
  const double us_per_cycle = 1e6 / clock.base();
  auto events = nlohmann::ordered_json::array();
  for (const vp::CoreProgram& core : program.cores) {
    events.push_back(metadata("process_name", core.core, 0, fmt::format("core {}", core.core)));
    for (int lane = 0; lane < vp::kLanes; ++lane) {
      events.push_back(metadata("thread_name", core.core, lane, lane_name(lane)));
    }
  }
  for (const vp::TraceEvent& e : run.trace) {
    const vp::CoreProgram* core = nullptr;
    for (const vp::CoreProgram& c : program.cores) {
      if (c.core == e.core) core = &c;
    }
    const vp::Instruction& ins = core->code[static_cast<size_t>(e.index)];
    events.push_back({{"name", vp::spec(ins.op).mnemonic},
                      {"ph", "X"},
                      {"pid", e.core},
                      {"tid", e.lane},
                      {"ts", static_cast<double>(e.start) * us_per_cycle},
                      {"dur", static_cast<double>(e.end - e.start) * us_per_cycle},
                      {"args", {{"line", ins.line}, {"instruction", e.index}, {"cycles", e.end - e.start}}}});
  }
  return {{"traceEvents", events}, {"displayTimeUnit", "ns"}, {"otherData", tool_info()}};
}

}  // namespace tfab::report
