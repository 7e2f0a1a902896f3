#include "tensorfab/perf/serving.h"

#include <algorithm>
#include <cmath>

#include <fmt/format.h>

namespace tfab::perf {

MemoryUse memory_use(const hw::ChipSpec& chip, const workload::ModelSpec& model,
                     const workload::ServeScenario& s) {
  const workload::ServingMemory need = workload::serving_memory(model, s);
  MemoryUse m;
  m.capacity = chip.memory.capacity();
  m.weights = need.weights;
  m.kv_cache = need.kv_cache;
  m.activations = need.activations;
  m.fits = m.total() <= m.capacity;
  const core::Bytes room = m.capacity - m.weights;
  m.max_batch = room > core::Bytes{} ? static_cast<int64_t>(std::floor(room / need.per_sequence)) : 0;
  return m;
}

core::Result<ServingResult> evaluate_serving(const hw::ChipSpec& chip, const workload::ModelSpec& model,
                                             const workload::ServeScenario& s) {
  auto roof = roofline_for(chip, s.formats.compute());
  if (!roof) return roof.errors();

  ServingResult r;
  r.chip_id = chip.id;
  r.model_id = model.id;
  r.scenario = s;
  r.compute_format = s.formats.compute();

  const workload::Graph prefill = workload::prefill_graph(model, s);
  r.prefill_ops = cost_ops(*roof, chip, prefill, 0);
  const workload::Graph decode = workload::decode_graph(model, s);
  const int64_t first = s.prompt_length + 1, last = s.prompt_length + s.output_length;
  r.decode_ops = cost_ops(*roof, chip, decode, (first + last) / 2);
  const double outputs = static_cast<double>(s.output_length), batch = static_cast<double>(s.batch);

  if (s.batching == workload::Batching::kContinuous) {
    workload::ServeScenario one = s;
    one.batch = 1;
    for (const auto& c : cost_ops(*roof, chip, workload::prefill_graph(model, one), 0)) {
      r.time_to_first_token += c.time * static_cast<double>(c.repeat);
    }
    core::Time step;
    for (const auto& op : decode.ops) {
      const workload::Work mean = op.fixed + op.per_context_token * ((static_cast<double>(first + last)) / 2);
      step += roof->time(mean) * static_cast<double>(op.repeat);
    }
    r.time_per_output_token = step + r.time_to_first_token * (batch / outputs);
    r.decode_time = r.time_per_output_token * outputs;
    r.output_tokens_per_s = batch / r.time_per_output_token.base();
    r.decode_tokens_per_s = batch / step.base();
  } else {
    for (const auto& c : r.prefill_ops) r.time_to_first_token += c.time * static_cast<double>(c.repeat);
    // Decode step k (1-based) attends over prompt + k tokens; sum every step
    // exactly, without stepping through them.
    for (const auto& op : decode.ops) {
      r.decode_time += time_over_contexts(*roof, op, first, last) * static_cast<double>(op.repeat);
    }
    r.time_per_output_token = r.decode_time / outputs;
    r.output_tokens_per_s = batch * outputs / (r.time_to_first_token + r.decode_time).base();
    r.decode_tokens_per_s = batch / r.time_per_output_token.base();
  }
  // Rates far outside anything real (1e-300 FLOP/s, 1e300 B/s) can overflow
  // the times or round them to zero; say so rather than print inf or nan.
  for (core::Time t : {r.time_to_first_token, r.time_per_output_token}) {
    if (!std::isfinite(t.base()) || t.base() <= 0) {
      return core::bad_input(fmt::format("chip '{}' gives a time of {} s for this model; its rates are out of any "
                                         "meaningful range",
                                         chip.id, t.base()));
    }
  }
  r.memory = memory_use(chip, model, s);
  return r;
}

}  // namespace tfab::perf
