#include "tensorfab/perf/serving.h"

#include <algorithm>
#include <array>
#include <cmath>

#include <fmt/format.h>

namespace tfab::perf {
namespace {

using workload::Batching;

double real(int64_t n) { return static_cast<double>(n); }

// The latency and throughput of one batch size; `tail_*` at the latency
// bound's percentile (the mean when it names none).
struct Timing {
  core::Time ttft, tpot, decode;
  core::Time tail_ttft, tail_tpot;
  double tokens_per_s = 0;  // the replica
};

// The smallest k with P(X <= k) >= p for X ~ Poisson(mean).
double poisson_quantile(double mean, double p) {
  if (mean <= 0) return 0;
  if (mean > 1e4) {  // normal approximation, z by bisection on the normal tail
    double lo = 0, hi = 10;
    for (int i = 0; i < 60; ++i) {
      const double z = (lo + hi) / 2;
      (0.5 * std::erfc(z / std::sqrt(2.0)) > 1 - p ? lo : hi) = z;
    }
    return std::ceil(mean + hi * std::sqrt(mean));
  }
  double pmf = std::exp(-mean), cdf = pmf;
  int64_t k = 0;
  while (cdf < p && pmf > 0) {
    ++k;
    pmf *= mean / static_cast<double>(k);
    cdf += pmf;
  }
  return static_cast<double>(k);
}

core::Result<core::Time> pass_time(OpTimer& timer, const workload::Graph& graph) {
  core::Time total;
  for (const auto& op : graph.ops) {
    auto t = timer.time(op);
    if (!t) return t.errors();
    total += t->at(0) * real(op.repeat);
  }
  return total;
}

// Sum over contexts first..last of every op's time.
core::Result<core::Time> steps_time(OpTimer& timer, const workload::Graph& graph, int64_t first, int64_t last) {
  core::Time total;
  for (const auto& op : graph.ops) {
    auto t = timer.time(op);
    if (!t) return t.errors();
    total += sum_over_contexts(*t, first, last) * real(op.repeat);
  }
  return total;
}

core::Result<Timing> timing(OpTimer& timer, const workload::ModelSpec& model, const workload::ServeScenario& s) {
  const int64_t first = s.prompt_length + 1, last = s.prompt_length + s.output_length;
  const double outputs = real(s.output_length), batch = real(s.batch);
  const core::Time host = s.host_time();  // every forward pass waits for it
  Timing t;
  if (s.batching == Batching::kContinuous) {
    auto all_steps = steps_time(timer, workload::continuous_step_graph(model, s), first, last);
    if (!all_steps) return all_steps.errors();
    t.tpot = *all_steps / outputs + host;
    t.ttft = t.tpot * 1.5;
    t.decode = t.tpot * outputs;
    t.tokens_per_s = batch / t.tpot.base();
    t.tail_tpot = t.tpot, t.tail_ttft = t.ttft;
    if (s.latency.percentile) {
      const double prompts = poisson_quantile(batch / outputs, *s.latency.percentile / 100);
      auto tail = steps_time(timer, workload::continuous_step_graph(model, s, prompts), first, last);
      if (!tail) return tail.errors();
      t.tail_tpot = std::max(t.tpot, *tail / outputs + host);
      t.tail_ttft = t.tail_tpot * 1.5;
    }
  } else {
    auto prefill = pass_time(timer, workload::prefill_graph(model, s));
    if (!prefill) return prefill.errors();
    auto decode = steps_time(timer, workload::decode_graph(model, s), first, last);
    if (!decode) return decode.errors();
    t.ttft = *prefill + host;
    t.decode = *decode + host * outputs;
    t.tpot = t.decode / outputs;
    t.tokens_per_s = batch * outputs / (t.ttft + t.decode).base();
    t.tail_tpot = t.tpot, t.tail_ttft = t.ttft;
  }
  // Rates far outside anything real (1e-300 FLOP/s, 1e300 B/s) can overflow
  // the times or round them to zero; say so rather than print inf or nan.
  for (core::Time x : {t.ttft, t.tpot}) {
    if (!std::isfinite(x.base()) || x.base() <= 0) {
      return core::bad_input(fmt::format("a time of {} s for this model; the chip's rates (or its links, with "
                                         "tensor parallelism) are out of any meaningful range",
                                         x.base()));
    }
  }
  return t;
}

// The load (fraction of the batch's capacity) that random arrivals may
// bring while the TTFT bound holds. Requests arrive as a Poisson process
// and hold one of `batch` slots for `service` (output x TPOT), taken as
// exponential: an M/M/c queue. The wait before a slot frees, plus the TTFT
// of the step that prefills the prompt, must stay within the bound, on
// average or at the percentile. 1 without a TTFT bound; 0 when even an
// empty queue misses it.
double usable_load(const workload::LatencyBound& bound, int64_t batch, core::Time service, core::Time ttft) {
  if (!bound.time_to_first_token) return 1;
  const double wait = (*bound.time_to_first_token - ttft).base();
  if (wait <= 0) return 0;
  const double c = real(batch), mu = 1 / service.base();
  auto holds = [&](double rho) {
    const double waits = erlang_c(batch, rho), drain = c * mu * (1 - rho);  // rate at which the queue empties
    if (bound.percentile) return waits * std::exp(-drain * wait) <= 1 - *bound.percentile / 100;
    return waits / drain <= wait;
  };
  double lo = 0, hi = 1;
  for (int i = 0; i < 50; ++i) {
    const double mid = (lo + hi) / 2;
    (holds(mid) ? lo : hi) = mid;
  }
  return lo;
}

bool meets(const workload::LatencyBound& bound, const Timing& t) {
  return (!bound.time_per_output_token || t.tail_tpot <= *bound.time_per_output_token) &&
         (!bound.time_to_first_token || t.tail_ttft <= *bound.time_to_first_token);
}

workload::ServeScenario with_batch(workload::ServeScenario s, int64_t batch) {
  s.batch = batch;
  return s;
}

}  // namespace

double erlang_c(int64_t c, double rho) {
  const double servers = real(c), a = servers * rho;
  if (c <= 100000) {
    double b = 1;
    for (int64_t k = 1; k <= c; ++k) b = a * b / (real(k) + a * b);
    return servers * b / (servers - a * (1 - b));
  }
  const double beta = (1 - rho) * std::sqrt(servers);
  const double phi = std::exp(-beta * beta / 2) / std::sqrt(2 * M_PI);
  const double cdf = 0.5 * std::erfc(-beta / std::sqrt(2.0));
  return 1 / (1 + beta * cdf / phi);
}

std::string_view name(BatchLimit limit) {
  constexpr std::array<std::string_view, 3> kNames{"scenario", "memory", "latency"};
  return kNames[static_cast<size_t>(limit)];
}

MemoryUse memory_use(const hw::ChipSpec& chip, const workload::ModelSpec& model, const workload::ServeScenario& s) {
  const workload::ServingMemory need = workload::serving_memory(model, s);
  MemoryUse m;
  m.capacity = chip.memory.capacity();
  m.weights = need.weights;
  m.kv_cache = need.kv_cache;
  m.activations = need.activations;
  m.fits = m.total() <= m.capacity;
  const core::Bytes room = m.capacity - m.weights - need.batch_independent;
  m.max_batch = room > core::Bytes{} ? static_cast<int64_t>(std::floor(room / need.per_sequence)) : 0;
  return m;
}

core::Result<ServingResult> evaluate_serving(const hw::ChipSpec& chip, const workload::ModelSpec& model,
                                             const workload::ServeScenario& scenario, Tier tier) {
  auto created = OpTimer::create(chip, scenario.formats.compute(), tier);
  if (!created) return created.errors();
  OpTimer timer = std::move(created).value();
  return evaluate_serving(timer, chip, model, scenario);
}

core::Result<ServingResult> evaluate_serving(OpTimer& timer, const hw::ChipSpec& chip, const workload::ModelSpec& model,
                                             const workload::ServeScenario& scenario) {
  ServingResult r;
  r.chip_id = chip.id;
  r.model_id = model.id;
  r.compute_format = scenario.formats.compute();
  r.tier = timer.tier();
  workload::ServeScenario s = scenario;

  if (s.batching == Batching::kContinuous) {
    // The batch: the scenario's, or less where memory or latency bounds it.
    const int64_t fits = memory_use(chip, model, with_batch(s, 1)).max_batch;
    if (fits < s.batch) r.batch_limit = BatchLimit::kMemory;
    s.batch = std::max<int64_t>(1, std::min(s.batch, fits));
    if (s.latency.any()) {
      auto at = [&](int64_t b) { return timing(timer, model, with_batch(s, b)); };
      auto top = at(s.batch);
      if (!top) return top.errors();
      if (!meets(s.latency, *top)) {
        auto one = at(1);
        if (!one) return one.errors();
        r.meets_latency = meets(s.latency, *one);
        int64_t good = 1, bad = s.batch;  // TPOT and TTFT grow with the batch
        while (r.meets_latency && bad - good > 1) {
          const int64_t mid = good + (bad - good) / 2;
          auto t = at(mid);
          if (!t) return t.errors();
          (meets(s.latency, *t) ? good : bad) = mid;
        }
        s.batch = good;
        r.batch_limit = BatchLimit::kLatency;
      }
    }
  }
  r.scenario = s;

  auto t = timing(timer, model, s);
  if (!t) return t.errors();
  r.time_to_first_token = t->ttft;
  r.time_per_output_token = t->tpot;
  r.tail_time_per_output_token = t->tail_tpot;
  r.decode_time = t->decode;
  if (s.batching == Batching::kContinuous) {
    r.load = usable_load(s.latency, s.batch, t->tpot * real(s.output_length), t->tail_ttft);
    r.meets_latency = r.meets_latency && r.load > 0;
  }
  r.output_tokens_per_s = t->tokens_per_s * r.load;
  r.output_tokens_per_s_per_chip = r.output_tokens_per_s / real(s.tensor_parallel);
  r.decode_tokens_per_s = real(s.batch) / t->tpot.base();

  const int64_t mean_context = s.prompt_length + (s.output_length + 1) / 2;
  if (s.batching == Batching::kStatic) {
    auto prefill = cost_ops(timer, workload::prefill_graph(model, s), 0);
    if (!prefill) return prefill.errors();
    r.prefill_ops = std::move(*prefill);
  }
  auto decode = cost_ops(timer,
                         s.batching == Batching::kStatic ? workload::decode_graph(model, s)
                                                         : workload::continuous_step_graph(model, s),
                         mean_context);
  if (!decode) return decode.errors();
  r.decode_ops = std::move(*decode);
  r.memory = memory_use(chip, model, s);
  return r;
}

core::Result<std::vector<BatchPoint>> throughput_vs_batch(OpTimer& timer, const hw::ChipSpec& chip,
                                                          const workload::ModelSpec& model,
                                                          const workload::ServeScenario& scenario) {
  const int64_t top = std::max(scenario.batch, memory_use(chip, model, with_batch(scenario, 1)).max_batch);
  std::vector<BatchPoint> points;
  for (int64_t b = 1;; b = std::min(2 * b, top)) {
    const workload::ServeScenario s = with_batch(scenario, b);
    auto t = timing(timer, model, s);
    if (!t) return t.errors();
    points.push_back({b, t->ttft, t->tpot, t->tokens_per_s / real(s.tensor_parallel), memory_use(chip, model, s).fits});
    if (b >= top) break;
  }
  return points;
}

}  // namespace tfab::perf
