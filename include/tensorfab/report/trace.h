#pragma once
// A timed run of the virtual prototype as a Chrome trace (JSON), the
// format Perfetto (ui.perfetto.dev) and chrome://tracing open: a process
// per core, a track per engine, a slice per instruction.

#include <nlohmann/json.hpp>

#include "tensorfab/vp/execute.h"

namespace tfab::report {

[[nodiscard]] nlohmann::ordered_json perfetto_trace(const vp::Program& program, const vp::RunResult& run,
                                                    core::Frequency clock);

}  // namespace tfab::report
