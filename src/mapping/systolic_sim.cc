#include "tensorfab/mapping/systolic_sim.h"

#include <algorithm>
#include <array>
#include <deque>
#include <functional>
#include <queue>
#include <tuple>
#include <vector>

namespace tfab::mapping {
namespace {

// One (M tile, N tile, K tile) step of one array.
struct Step {
  int64_t tm = 0, tn = 0, tk = 0;
  int64_t output_tile = 0;  // index of its output tile in this array's sequence
  bool fetch_a = false, fetch_b = false;
  bool first_k = false, last_k = false;
  int64_t a_request = -1, b_request = -1;  // the reads that bring its operand tiles
};

struct Request {
  int64_t array = 0;
  int64_t bytes = 0;
  bool write = false;
  int64_t output_tile = -1;  // writes: which output tile of the array
  int64_t usable_at = -1;    // reads: cycle the data is usable
};

// One of an operand's two scratchpad buffers in one array.
struct Buffer {
  int64_t request = -1;      // the read that filled it
  int64_t last_reader = -1;  // index of the last step that reads it
};

struct ArrayState {
  std::vector<Step> steps;
  size_t next_issue = 0;    // first step whose operands are not yet requested
  size_t next_start = 0;    // first step not yet started
  int64_t steps_ended = 0;  // steps [0, steps_ended) have finished
  bool computing = false;
  std::array<Buffer, 2> a_buffers, b_buffers;
  int a_current = 1, b_current = 1;  // the buffer holding the newest tile; the first read goes to 0
  int64_t drained_at = 0;            // the previous step's last partial sum is out of the array
  int64_t shadow_free_at = 0;        // WS: the weight shadow registers may start loading
  std::vector<int64_t> write_done;   // per output tile: cycle its write-back ended, -1 before
  int64_t busy_cycles = 0;
  int64_t busy_until = 0;
};

// Priority orders events at the same cycle: a finished transfer frees the
// port before data becomes usable, and both before a step ends, so that a
// step that ends at the cycle its successor's data lands sees that data.
enum class EventKind : int { kTransferEnd = 0, kDataUsable = 1, kStepEnd = 2 };

struct Event {
  int64_t cycle = 0;
  EventKind kind = EventKind::kStepEnd;
  int64_t sequence = 0;  // insertion order breaks the remaining ties
  int64_t array = 0;
  int64_t id = 0;  // the request (transfers, data) or unused (step ends)

  bool operator>(const Event& o) const {
    return std::tie(cycle, kind, sequence) > std::tie(o.cycle, o.kind, o.sequence);
  }
};

struct StepTiming {
  int64_t begin = 0;              // first activity: weight load (WS) or first MAC (OS)
  int64_t end = 0;                // last result out of the array
  int64_t last_stream_start = 0;  // WS: the last block started streaming
};

class Simulator {
 public:
  Simulator(const CycleHardware& hardware, const GemmShape& shape, const ElementBytes& bytes,
            const Tiling& tiling)
      : hw_(hardware), shape_(shape), bytes_(bytes), tiling_(tiling) {}

  SimResult run() {
    build_steps();
    issue_reads();
    while (!events_.empty()) {
      const Event e = events_.top();
      events_.pop();
      now_ = e.cycle;
      switch (e.kind) {
        case EventKind::kTransferEnd:
          on_transfer_end(e.id);
          break;
        case EventKind::kDataUsable:
          on_data_usable(e.id);
          break;
        case EventKind::kStepEnd:
          on_step_end(e.array);
          break;
      }
    }
    return result();
  }

 private:
  void build_steps() {
    const DimSplit ms = split(shape_.m, tiling_.tile_m), ns = split(shape_.n, tiling_.tile_n),
                   ks = split(shape_.k, tiling_.tile_k);
    arrays_.resize(static_cast<size_t>(hw_.arrays));
    struct Last {
      int64_t a_m = -1, a_k = -1, b_k = -1, b_n = -1;
    };
    std::vector<Last> last(arrays_.size());
    const int64_t output_tiles = ms.count * ns.count;
    for (int64_t t = 0; t < output_tiles; ++t) {
      const bool m_outer = tiling_.order == LoopOrder::kMOuter;
      const int64_t mi = m_outer ? t / ns.count : t % ms.count;
      const int64_t ni = m_outer ? t % ns.count : t / ms.count;
      const auto a = static_cast<size_t>(t % hw_.arrays);  // round-robin
      ArrayState& array = arrays_[a];
      const int64_t output_tile = static_cast<int64_t>(array.write_done.size());
      array.write_done.push_back(-1);
      for (int64_t ki = 0; ki < ks.count; ++ki) {
        Step s;
        s.tm = ms.size_of(mi);
        s.tn = ns.size_of(ni);
        s.tk = ks.size_of(ki);
        s.output_tile = output_tile;
        s.first_k = ki == 0;
        s.last_k = ki == ks.count - 1;
        // The tile this array read last is still in its scratchpad.
        s.fetch_a = !(last[a].a_m == mi && last[a].a_k == ki);
        s.fetch_b = !(last[a].b_k == ki && last[a].b_n == ni);
        last[a] = {mi, ki, ki, ni};
        array.steps.push_back(s);
      }
    }
  }

  void schedule(int64_t cycle, EventKind kind, int64_t array, int64_t id) {
    events_.push(Event{cycle, kind, next_sequence_++, array, id});
  }

  // Reads for the next steps of every array, one step per array per round
  // so that no array's prefetch starves another's.
  void issue_reads() {
    for (bool progress = true; progress;) {
      progress = false;
      for (size_t a = 0; a < arrays_.size(); ++a) progress = issue_next_step(a) || progress;
    }
  }

  bool issue_next_step(size_t a) {
    ArrayState& array = arrays_[a];
    if (array.next_issue == array.steps.size()) return false;
    const auto j = static_cast<int64_t>(array.next_issue);
    Step& step = array.steps[array.next_issue];
    auto other_free = [&](const std::array<Buffer, 2>& buffers, int current) {
      return buffers[static_cast<size_t>(1 - current)].last_reader < array.steps_ended;
    };
    if (step.fetch_a && !other_free(array.a_buffers, array.a_current)) return false;
    if (step.fetch_b && !other_free(array.b_buffers, array.b_current)) return false;
    auto claim = [&](std::array<Buffer, 2>& buffers, int& current, bool fetch, int64_t bytes) {
      if (fetch) {
        current = 1 - current;
        buffers[static_cast<size_t>(current)].request = request(static_cast<int64_t>(a), bytes, false, -1);
      }
      Buffer& buffer = buffers[static_cast<size_t>(current)];
      buffer.last_reader = j;
      return buffer.request;
    };
    step.a_request =
        claim(array.a_buffers, array.a_current, step.fetch_a, tile_bytes(step.tm * step.tk, bytes_.a));
    step.b_request =
        claim(array.b_buffers, array.b_current, step.fetch_b, tile_bytes(step.tk * step.tn, bytes_.b));
    ++array.next_issue;
    return true;
  }

  int64_t request(int64_t array, int64_t bytes, bool write, int64_t output_tile) {
    requests_.push_back(Request{array, bytes, write, output_tile, -1});
    (write ? bytes_written_ : bytes_read_) += bytes;
    const auto id = static_cast<int64_t>(requests_.size()) - 1;
    port_queue_.push_back(id);
    start_transfer_if_idle();
    return id;
  }

  void start_transfer_if_idle() {
    if (port_busy_ || port_queue_.empty()) return;
    const int64_t id = port_queue_.front();
    port_queue_.pop_front();
    const int64_t cycles = hw_.transfer_cycles(requests_[static_cast<size_t>(id)].bytes);
    port_busy_ = true;
    port_busy_cycles_ += cycles;
    schedule(now_ + cycles, EventKind::kTransferEnd, requests_[static_cast<size_t>(id)].array, id);
  }

  void on_transfer_end(int64_t id) {
    port_busy_ = false;
    Request& r = requests_[static_cast<size_t>(id)];
    if (r.write) {
      arrays_[static_cast<size_t>(r.array)].write_done[static_cast<size_t>(r.output_tile)] = now_;
      finish_ = std::max(finish_, now_);
    } else {
      schedule(now_ + hw_.port_latency_cycles, EventKind::kDataUsable, r.array, id);
    }
    start_transfer_if_idle();
    if (r.write) try_start_step(static_cast<size_t>(r.array));
  }

  void on_data_usable(int64_t id) {
    Request& r = requests_[static_cast<size_t>(id)];
    r.usable_at = now_;
    try_start_step(static_cast<size_t>(r.array));
  }

  void on_step_end(int64_t a) {
    ArrayState& array = arrays_[static_cast<size_t>(a)];
    const Step& step = array.steps[static_cast<size_t>(array.steps_ended)];
    array.computing = false;
    ++array.steps_ended;
    array.drained_at = now_;
    finish_ = std::max(finish_, now_);
    // Reads first: the write-back is posted and nothing waits on it soon.
    issue_reads();
    if (step.last_k) request(a, tile_bytes(step.tm * step.tn, bytes_.c), true, step.output_tile);
    try_start_step(static_cast<size_t>(a));
  }

  void try_start_step(size_t a) {
    ArrayState& array = arrays_[a];
    if (array.computing || array.next_start >= array.next_issue) return;
    const Step& step = array.steps[array.next_start];
    const int64_t a_usable = requests_[static_cast<size_t>(step.a_request)].usable_at;
    const int64_t b_usable = requests_[static_cast<size_t>(step.b_request)].usable_at;
    if (a_usable < 0 || b_usable < 0) return;
    // A new output tile needs a C buffer: the one of two tiles back, once written.
    int64_t c_free_at = 0;
    if (step.first_k && step.output_tile >= 2) {
      c_free_at = array.write_done[static_cast<size_t>(step.output_tile - 2)];
      if (c_free_at < 0) return;
    }
    const int64_t data_ready = std::max(a_usable, b_usable);
    const StepTiming t =
        tiling_.dataflow == Dataflow::kWeightStationary
            ? weight_stationary(step, data_ready, array.shadow_free_at, std::max(array.drained_at, c_free_at))
            : output_stationary(step, std::max({data_ready, array.drained_at, c_free_at}));
    array.shadow_free_at = t.last_stream_start;
    array.busy_cycles += t.end - std::max(t.begin, array.busy_until);
    array.busy_until = t.end;
    array.computing = true;
    ++array.next_start;
    schedule(t.end, EventKind::kStepEnd, static_cast<int64_t>(a), 0);
  }

  // Steps the step's weight blocks through the array; see systolic_sim.h.
  [[nodiscard]] StepTiming weight_stationary(const Step& step, int64_t data_ready, int64_t shadow_free_at,
                                             int64_t array_free_at) const {
    const int64_t blocks = ceil_div(step.tk, hw_.rows) * ceil_div(step.tn, hw_.cols);
    StepTiming t;
    int64_t load_start = std::max(data_ready, shadow_free_at);
    t.begin = load_start;
    int64_t stream_end = array_free_at;
    for (int64_t b = 0; b < blocks; ++b) {
      const int64_t weights_loaded = load_start + hw_.rows;  // one PE row per cycle
      const int64_t stream_start = std::max(weights_loaded, stream_end);
      stream_end = stream_start + step.tm;  // one row of A enters per cycle
      load_start = stream_start;            // the shadow registers free as this block's weights go live
      t.last_stream_start = stream_start;
    }
    t.end = stream_end + hw_.rows + hw_.cols - 1;
    return t;
  }

  [[nodiscard]] StepTiming output_stationary(const Step& step, int64_t start) const {
    const int64_t blocks = ceil_div(step.tm, hw_.rows) * ceil_div(step.tn, hw_.cols);
    StepTiming t;
    t.begin = start;
    int64_t clock = start;
    for (int64_t b = 0; b < blocks; ++b) clock += step.tk + hw_.rows + hw_.cols - 2;
    t.end = clock;
    t.last_stream_start = clock;
    return t;
  }

  [[nodiscard]] SimResult result() const {
    SimResult r;
    r.total_cycles = finish_;
    for (const ArrayState& a : arrays_) {
      r.compute_busy_cycles = std::max(r.compute_busy_cycles, a.busy_cycles);
      r.tile_steps += static_cast<int64_t>(a.steps.size());
    }
    r.memory_busy_cycles = port_busy_cycles_;
    r.bytes_read = core::Bytes::from_base(static_cast<double>(bytes_read_));
    r.bytes_written = core::Bytes::from_base(static_cast<double>(bytes_written_));
    const double macs =
        static_cast<double>(shape_.m) * static_cast<double>(shape_.n) * static_cast<double>(shape_.k);
    const double capacity =
        static_cast<double>(hw_.arrays * hw_.rows * hw_.cols) * static_cast<double>(finish_);
    r.mac_utilisation = finish_ > 0 ? macs / capacity : 0;
    return r;
  }

  CycleHardware hw_;
  GemmShape shape_;
  ElementBytes bytes_;
  Tiling tiling_;

  std::vector<ArrayState> arrays_;
  std::vector<Request> requests_;
  std::deque<int64_t> port_queue_;
  bool port_busy_ = false;
  int64_t port_busy_cycles_ = 0;
  int64_t bytes_read_ = 0, bytes_written_ = 0;
  std::priority_queue<Event, std::vector<Event>, std::greater<>> events_;
  int64_t next_sequence_ = 0;
  int64_t now_ = 0;
  int64_t finish_ = 0;
};

}  // namespace

core::Result<SimResult> simulate_gemm(const SystolicHardware& hardware, const GemmShape& shape,
                                      const ElementBytes& bytes, const Tiling& tiling) {
  auto hw = in_cycles(hardware);
  if (!hw) return hw.errors();
  core::Diagnostics errors = check_gemm(shape, bytes);
  if (!errors.empty()) return errors;
  errors = check_tiling(tiling, shape, bytes, *hw);
  if (!errors.empty()) return errors;
  SimResult r = Simulator(*hw, shape, bytes, tiling).run();
  r.time = static_cast<double>(r.total_cycles) / hardware.clock;
  return r;
}

}  // namespace tfab::mapping
