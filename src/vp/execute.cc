#include "tensorfab/vp/execute.h"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <deque>
#include <limits>
#include <list>
#include <optional>
#include <queue>
#include <unordered_map>

#include "tensorfab/vp/tensor.h"

namespace tfab::vp {

// ---- HBM ------------------------------------------------------------------

void Hbm::read(int64_t address, std::span<uint8_t> out) const {
  size_t done = 0;
  while (done < out.size()) {
    const int64_t at = address + static_cast<int64_t>(done);
    const int64_t within = at % kPage;
    const size_t take = std::min(out.size() - done, static_cast<size_t>(kPage - within));
    if (auto page = pages_.find(at / kPage); page != pages_.end()) {
      std::memcpy(out.data() + done, page->second.get() + within, take);
    } else {
      std::memset(out.data() + done, 0, take);
    }
    done += take;
  }
}

void Hbm::write(int64_t address, std::span<const uint8_t> bytes) {
  size_t done = 0;
  while (done < bytes.size()) {
    const int64_t at = address + static_cast<int64_t>(done);
    const int64_t within = at % kPage;
    const size_t take = std::min(bytes.size() - done, static_cast<size_t>(kPage - within));
    auto& page = pages_[at / kPage];
    if (!page) page = std::make_unique<uint8_t[]>(kPage);  // zeroed
    std::memcpy(page.get() + within, bytes.data() + done, take);
    done += take;
  }
}

namespace {

double real(int64_t n) { return static_cast<double>(n); }

// Each engine queue holds this many issued instructions; the scalar unit
// stalls at a full one. Part of the instruction set (docs/isa.md).
constexpr size_t kQueueDepth = 64;

// No instruction takes longer than 2^32 cycles (2.5 s at 1.75 GHz), and a
// run steps at most 2^30 instructions: no count of cycles can overflow.
constexpr double kLongestInstruction = 0x1p32;
constexpr int64_t kMostInstructions = int64_t{1} << 30;

// HBM's access granularity: a pseudo-channel moves 32 bytes a burst in
// every generation (HBM2: 64 bits x BL4, AMD PG313; HBM3 and HBM4: 32 bits
// x BL8, JESD238 and JESD270-4).
constexpr int64_t kBurst = 32;

// The prototype holds each core's scratchpad in host memory.
constexpr double kLargestSram = 0x1p30;

int64_t cycles(double x) { return static_cast<int64_t>(std::ceil(std::min(x, kLongestInstruction))); }

core::NumberFormat rate_format(DataType t) {
  switch (t) {
    case DataType::kFp32: return core::NumberFormat::kFP32;
    case DataType::kFp16: return core::NumberFormat::kFP16;
    case DataType::kBf16: return core::NumberFormat::kBF16;
    case DataType::kInt8: case DataType::kMxint8: return core::NumberFormat::kINT8;
    case DataType::kInt4: return core::NumberFormat::kINT4;
    case DataType::kFp4E2m1: case DataType::kMxfp4: return core::NumberFormat::kFP4;
    default: return core::NumberFormat::kFP8;  // FP8 and FP6, which run at the FP8 rate
  }
}

// The wider of two operand formats sets a matmul's rate.
int rate_width(core::NumberFormat f) {
  switch (f) {
    case core::NumberFormat::kFP32: return 32;
    case core::NumberFormat::kBF16: case core::NumberFormat::kFP16: return 16;
    case core::NumberFormat::kFP8: case core::NumberFormat::kINT8: return 8;
    case core::NumberFormat::kFP4: case core::NumberFormat::kINT4: return 4;
  }
  return 16;
}

// rows x cols of a vector instruction (its rows field follows two or three tensors).
double vector_elements(const Instruction& ins) {
  const size_t rows = ins.op >= Opcode::kVadd && ins.op <= Opcode::kVmax ? 3 : 2;
  return real(ins.args[rows].i) * real(ins.args[rows + 1].i);
}

bool transcendental(Opcode op) {
  return op == Opcode::kVexp || op == Opcode::kVrsqrt || op == Opcode::kVrecip || op == Opcode::kVsilu ||
         op == Opcode::kVgelu;
}

// An engine instruction handed to its queue: where it is, when it was
// issued, and the base registers of its addresses as they were then.
struct Issued {
  int32_t index = 0;
  int64_t issued = 0;
  std::array<int64_t, kMaxFields> base{};
};

struct Lane {
  std::deque<Issued> queue;
  bool busy = false;
  int64_t free_at = 0;
  int waiting = kNoSemaphore;  // the semaphore the head waits for
  int32_t running = -1;        // index of the running instruction
  // Transfers whose engine work is done but whose last byte has not yet
  // landed (an HBM latency later): the semaphore each signals, in order.
  std::deque<int> landing;
  int64_t lands_at = 0;
  bool running_lands_later = false;  // the running instruction signals when it lands, not when it ends
};

enum class ScalarState { kRunning, kStalled, kAtBarrier, kHalted };

struct CoreState {
  const CoreProgram* program = nullptr;
  std::array<int64_t, kRegisters> regs{};
  size_t pc = 0;
  int64_t clock = 0;  // the scalar unit's cycle
  ScalarState state = ScalarState::kRunning;
  int stalled_lane = 0;
  int64_t barrier = 0;  // its id, while at one
  bool arrived = false;
  std::array<Lane, kLanes> lanes;
  std::array<int64_t, kSemaphores> semaphores{};
  CoreStats stats;
  // The bytes each operand spans, for instructions whose addresses take a
  // register (checked each time they issue); empty for the others.
  std::vector<Extents> register_extents;

  [[nodiscard]] bool drained() const {
    return std::all_of(lanes.begin(), lanes.end(),
                       [](const Lane& l) { return !l.busy && l.queue.empty() && l.landing.empty(); });
  }
};

// kDone frees an engine (and signals, unless the data is still in
// flight); kLand is a transfer's last byte arriving, which signals.
enum class EventKind : uint8_t { kDone, kLand, kTry, kScalar };

struct Event {
  int64_t time = 0;
  // Earliest first; on a tie completions first, then by core and lane: a
  // total order, so every run replays the same. Kind, core and lane are
  // packed in that order into one key, which keeps the queue's entries small.
  uint64_t order = 0;

  Event(int64_t at, int32_t core, int lane, EventKind kind)
      : time(at), order(static_cast<uint64_t>(kind) << 40 | static_cast<uint64_t>(core) << 8 |
                        static_cast<uint64_t>(lane)) {}
  [[nodiscard]] int32_t core() const { return static_cast<int32_t>(order >> 8 & 0xFFFFFFFF); }
  [[nodiscard]] int lane() const { return static_cast<int>(order & 0xFF); }
  [[nodiscard]] EventKind kind() const { return static_cast<EventKind>(order >> 40); }
  // Without branches: which of two events comes first is data the branch
  // predictor cannot learn.
  bool operator>(const Event& o) const { return (time > o.time) | ((time == o.time) & (order > o.order)); }
};

// The cores' shared on-chip cache, holding whole HBM reads (address, rows,
// row bytes, stride), the least recently used out first. A read that
// repeats one it holds is served from it, once that one's bytes are in.
class ReadCache {
 public:
  using Key = std::array<int64_t, 4>;
  static constexpr int64_t kLine = 256;  // the least a read takes of the cache

  explicit ReadCache(int64_t capacity) : capacity_(capacity) {}

  // When the held copy of `key` is (or was) ready; nothing on a miss.
  std::optional<int64_t> find(const Key& key) {
    const auto it = where_.find(key);
    if (it == where_.end()) return std::nullopt;
    lru_.splice(lru_.begin(), lru_, it->second);
    return it->second->ready;
  }

  void insert(const Key& key, int64_t bytes, int64_t ready) {
    bytes = std::max(bytes, kLine);  // so a cache holds a bounded number of reads
    if (bytes > capacity_) return;
    while (held_ + bytes > capacity_) {
      held_ -= lru_.back().bytes;
      where_.erase(lru_.back().key);
      lru_.pop_back();
    }
    lru_.push_front({key, bytes, ready});
    where_[key] = lru_.begin();
    held_ += bytes;
  }

 private:
  struct Entry {
    Key key;
    int64_t bytes = 0, ready = 0;
  };
  int64_t capacity_ = 0, held_ = 0;
  // Hashes a read by its four fields (the map is only looked up, never
  // walked, so its order cannot reach the results).
  struct Hash {
    size_t operator()(const Key& k) const {
      uint64_t h = 0;
      for (int64_t v : k) h = (h ^ static_cast<uint64_t>(v)) * 0x100000001b3ULL;
      return static_cast<size_t>(h ^ h >> 29);
    }
  };
  std::list<Entry> lru_;  // most recent first
  std::unordered_map<Key, std::list<Entry>::iterator, Hash> where_;
};

// The cycle each HBM channel is next free. A transfer keeps each channel
// it touches busy for the same share, so the last of them to finish is the
// one that was free last. That one is found through the latest of each block
// of kBlock channels, so a long run of channels costs its blocks, not its
// channels; the update itself vectorises.
class ChannelTimes {
 public:
  explicit ChannelTimes(int64_t channels)
      : free_(static_cast<size_t>(channels), 0), block_free_(static_cast<size_t>((channels + kBlock - 1) / kBlock), 0) {}

  // Channels [from, to) each carry `share` cycles from `now` on, after what
  // they already carry; returns when the last of them was free (at least now).
  double occupy(int64_t from, int64_t to, double now, double share) {
    double latest = now;
    if (from >= to) return latest;
    const bool idle = free_by_ <= now;  // none need be looked at
    for (int64_t b = from / kBlock; b * kBlock < to; ++b) {
      const int64_t lo = std::max(from, b * kBlock), hi = std::min({to, (b + 1) * kBlock, size()});
      double& block = block_free_[static_cast<size_t>(b)];
      double before = block;  // the latest of this block's channels in [lo, hi)
      if (!idle && (lo != b * kBlock || hi != std::min((b + 1) * kBlock, size()))) {
        before = *std::max_element(free_.begin() + lo, free_.begin() + hi);
      }
      latest = std::max(latest, before);
      block = std::max(block, std::max(before, now) + share);
    }
    for (auto f = free_.begin() + from; f != free_.begin() + to; ++f) *f = std::max(*f, now) + share;
    free_by_ = std::max(free_by_, latest + share);
    return latest;
  }

 private:
  static constexpr int64_t kBlock = 16;
  [[nodiscard]] int64_t size() const { return static_cast<int64_t>(free_.size()); }
  std::vector<double> free_;
  std::vector<double> block_free_;  // the latest of each block of kBlock channels
  double free_by_ = 0;              // the latest of all
};

// Stops the run at the first error; run() turns it into its result.
struct Abort {
  core::Diagnostic error;
};

class Executor {
 public:
  Executor(const Program& program, const Machine& machine, const Timing& timing, Hbm& hbm,
           const RunOptions& options, const std::string& file)
      : machine_(machine), timing_(timing), hbm_(hbm), options_(options), file_(file),
        sram_(static_cast<size_t>(machine.cores)), channels_(timing.hbm_channels),
        sram_port_free_(static_cast<size_t>(machine.cores), 0),
        cache_(timing.cache_bytes) {
    for (const CoreProgram& p : program.cores) {
      CoreState c;
      c.program = &p;
      c.stats.core = p.core;
      c.register_extents.resize(p.code.size());
      for (size_t i = 0; i < p.code.size(); ++i) {
        const auto& args = p.code[i].args;
        if (std::any_of(args.begin(), args.end(), [](const Value& v) { return v.address.reg != Address::kNoRegister; })) {
          c.register_extents[i] = extents(p.code[i]);
        }
      }
      cores_.push_back(std::move(c));
    }
  }

  RunResult run() {
    for (size_t c = 0; c < cores_.size(); ++c) push({0, static_cast<int32_t>(c), 0, EventKind::kScalar});
    while (!events_.empty()) {
      const Event e = events_.top();
      events_.pop();
      const int32_t c = e.core();
      CoreState& core = cores_[static_cast<size_t>(c)];
      switch (e.kind()) {
        case EventKind::kScalar: step_scalar(c, e.time); break;
        case EventKind::kTry: try_start(c, e.lane(), e.time); break;
        case EventKind::kDone: finish(c, e.lane(), e.time); break;
        case EventKind::kLand: land(c, e.lane(), e.time); break;
      }
      if (core.state == ScalarState::kAtBarrier && !core.arrived && core.drained()) arrive(c, e.time);
    }
    check_finished();
    result_.cores.clear();
    for (CoreState& c : cores_) {
      for (const Lane& l : c.lanes) c.stats.halted_at = std::max({c.stats.halted_at, l.free_at, l.lands_at});
      result_.cycles = std::max(result_.cycles, c.stats.halted_at);
      result_.cores.push_back(c.stats);
    }
    result_.time = core::Time::from_base(real(result_.cycles) / timing_.clock.base());
    std::stable_sort(result_.trace.begin(), result_.trace.end(),
                     [](const TraceEvent& a, const TraceEvent& b) { return a.start < b.start; });
    result_.notes = timing_.notes;
    return std::move(result_);
  }

 private:
  void push(Event e) { events_.push(e); }

  [[noreturn]] void fail(int32_t core, size_t index, std::string message) {
    const CoreProgram& p = *cores_[static_cast<size_t>(core)].program;
    const Instruction& ins = p.code[index];
    core::Diagnostic d = core::bad_input(std::move(message), std::string(spec(ins.op).mnemonic));
    d.location = {file_, ins.line, 0};
    d.notes.push_back(fmt::format("core {}, instruction {}", p.core, index));
    throw Abort{std::move(d)};
  }

  // ---- The scalar unit ----------------------------------------------------

  void step_scalar(int32_t c, int64_t now) {
    CoreState& core = cores_[static_cast<size_t>(c)];
    core.clock = std::max(core.clock, now);
    core.state = ScalarState::kRunning;
    const std::vector<Instruction>& code = core.program->code;
    auto& r = core.regs;
    while (true) {
      if (core.pc >= code.size()) {
        core.state = ScalarState::kHalted;
        core.stats.halted_at = core.clock;
        return;
      }
      if (++result_.instructions > std::min(options_.instruction_limit, kMostInstructions)) {
        fail(c, core.pc, fmt::format("the program ran past {} instructions without halting (see --max-instructions)",
                                     std::min(options_.instruction_limit, kMostInstructions)));
      }
      const Instruction& ins = code[core.pc];
      const auto& a = ins.args;
      size_t next = core.pc + 1;
      switch (ins.op) {
        case Opcode::kLi: r[a[0].i] = a[1].i; break;
        case Opcode::kLd: r[a[0].i] = load_integer(c, ins); break;
        case Opcode::kAddi: r[a[0].i] = wrap(r[a[1].i], a[2].i, false); break;
        case Opcode::kAdd: r[a[0].i] = wrap(r[a[1].i], r[a[2].i], false); break;
        case Opcode::kMul: r[a[0].i] = wrap(r[a[1].i], r[a[2].i], true); break;
        case Opcode::kBlt: if (r[a[0].i] < r[a[1].i]) next = static_cast<size_t>(a[2].i); break;
        case Opcode::kBne: if (r[a[0].i] != r[a[1].i]) next = static_cast<size_t>(a[2].i); break;
        case Opcode::kJmp: next = static_cast<size_t>(a[0].i); break;
        case Opcode::kHalt:
          core.state = ScalarState::kHalted;
          core.stats.halted_at = core.clock + 1;
          core.clock += 1;
          return;
        case Opcode::kBarrier:
          core.clock += 1;
          core.pc = next;
          core.state = ScalarState::kAtBarrier;
          core.barrier = a[0].i;
          core.arrived = false;
          return;
        default: {
          const OpcodeSpec& op = spec(ins.op);
          const int lane = lane_of(op.engine, ins);
          Lane& l = core.lanes[static_cast<size_t>(lane)];
          if (l.queue.size() >= kQueueDepth) {
            --result_.instructions;  // stepped again when the queue has room
            core.state = ScalarState::kStalled;
            core.stalled_lane = lane;
            return;
          }
          Issued issued{static_cast<int32_t>(core.pc), core.clock, {}};
          bool registers = false;
          for (size_t f = 0; f < op.fields.size(); ++f) {
            if (a[f].address.reg == Address::kNoRegister) continue;
            issued.base[f] = r[a[f].address.reg];
            registers = true;
          }
          if (registers) check_addresses(c, ins, issued);
          const bool idle = !l.busy && l.queue.empty();
          l.queue.push_back(issued);
          if (idle) push({core.clock, c, lane, EventKind::kTry});
        }
      }
      core.clock += 1;
      core.pc = next;
    }
  }

  // Registers hold 64-bit two's-complement integers and wrap.
  static int64_t wrap(int64_t x, int64_t y, bool multiply) {
    const auto ux = static_cast<uint64_t>(x), uy = static_cast<uint64_t>(y);
    return static_cast<int64_t>(multiply ? ux * uy : ux + uy);
  }

  // `ld`: the element at src as the SRAM holds it now (values of engine
  // instructions are computed when they start), its integer part.
  int64_t load_integer(int32_t c, const Instruction& ins) {
    CoreState& core = cores_[static_cast<size_t>(c)];
    const Value& src = ins.args[1];
    Issued at{static_cast<int32_t>(core.pc), core.clock, {}};
    if (src.address.reg != Address::kNoRegister) {
      at.base[1] = core.regs[src.address.reg];
      check_addresses(c, ins, at);
    }
    const int64_t base = at.base[1], bytes = row_bytes(src.type, 1);
    const float v = read_tensor(src.type, 1, 1, sram_bytes(c, src, base, bytes))[0];
    constexpr float kLargest = 0x1p62f;
    if (!(std::fabs(v) < kLargest)) {
      fail(c, core.pc, fmt::format("src holds {}, which is no integer a register holds", v));
    }
    return static_cast<int64_t>(v);
  }

  static int lane_of(Engine engine, const Instruction& ins) {
    switch (engine) {
      case Engine::kDma: return static_cast<int>(ins.args[6].i);
      case Engine::kTensor: return kTensorLane;
      default: return kVectorLane;
    }
  }

  // Register-based addresses, checked as they are issued.
  void check_addresses(int32_t c, const Instruction& ins, const Issued& issued) {
    const Extents& spans = cores_[static_cast<size_t>(c)].register_extents[static_cast<size_t>(issued.index)];
    for (const Extent& e : spans.all()) {
      const Address& a = ins.args[e.field].address;
      if (a.reg == Address::kNoRegister) continue;
      const double start = real(a.offset) + real(issued.base[e.field]);
      const bool sram = a.space == Space::kSram;
      const double size = sram ? machine_.sram.base() : machine_.hbm.base();
      if (start < 0 || start + e.bytes > size) {
        fail(c, static_cast<size_t>(issued.index),
             fmt::format("{}: r{} = {} puts {:.0f} bytes at {:.0f}, outside {} ({:.0f} bytes)",
                         spec(ins.op).fields[e.field].name, a.reg, issued.base[e.field], e.bytes, start,
                         sram ? "the core's SRAM" : "HBM", size));
      }
    }
  }

  // ---- Engines ------------------------------------------------------------

  void try_start(int32_t c, int lane, int64_t now) {
    CoreState& core = cores_[static_cast<size_t>(c)];
    Lane& l = core.lanes[static_cast<size_t>(lane)];
    if (l.busy || l.queue.empty()) return;
    const Issued& front = l.queue.front();
    if (front.issued > now) {
      push({front.issued, c, lane, EventKind::kTry});
      return;
    }
    const Instruction& ins = core.program->code[static_cast<size_t>(front.index)];
    if (ins.sync.wait != kNoSemaphore) {
      int64_t& held = core.semaphores[static_cast<size_t>(ins.sync.wait)];
      if (held < ins.sync.count) {
        l.waiting = ins.sync.wait;
        return;
      }
      held -= ins.sync.count;
    }
    l.waiting = kNoSemaphore;
    const Issued head = front;
    l.queue.pop_front();
    if (core.state == ScalarState::kStalled && core.stalled_lane == lane) {
      core.state = ScalarState::kRunning;
      push({std::max(now, core.clock), c, 0, EventKind::kScalar});
    }
    if (options_.compute) {
      work_ += work(ins);
      if (work_ > real(options_.work_limit)) {
        fail(c, static_cast<size_t>(head.index),
             fmt::format("the program passed its limit of {} operations computed", options_.work_limit));
      }
      compute(c, ins, head);
    }
    const Duration d = duration(c, ins, head, now);
    const int64_t end = now + std::max<int64_t>(1, d.busy);
    l.busy = true;
    l.free_at = end;
    l.running = head.index;
    core.stats.busy[static_cast<size_t>(lane)] += end - now;
    core.stats.executed[static_cast<size_t>(lane)] += 1;
    if (options_.trace) result_.trace.push_back({core.program->core, lane, head.index, now, end});
    push({end, c, lane, EventKind::kDone});
    l.running_lands_later = d.latency > 0;
    if (d.latency > 0) {
      l.landing.push_back(ins.sync.signal);
      l.lands_at = std::max(l.lands_at, end + d.latency);  // a queue's transfers land in order
      push({l.lands_at, c, lane, EventKind::kLand});
    }
  }

  void finish(int32_t c, int lane, int64_t now) {
    CoreState& core = cores_[static_cast<size_t>(c)];
    Lane& l = core.lanes[static_cast<size_t>(lane)];
    const Instruction& ins = core.program->code[static_cast<size_t>(l.running)];
    l.busy = false;
    l.running = -1;
    if (!l.running_lands_later) signal(c, lane, ins.sync.signal, now);
    try_start(c, lane, now);
  }

  void land(int32_t c, int lane, int64_t now) {
    Lane& l = cores_[static_cast<size_t>(c)].lanes[static_cast<size_t>(lane)];
    const int s = l.landing.front();
    l.landing.pop_front();
    signal(c, lane, s, now);
    try_start(c, lane, now);  // its own next instruction may wait for this signal
  }

  void signal(int32_t c, int lane, int s, int64_t now) {
    if (s == kNoSemaphore) return;
    CoreState& core = cores_[static_cast<size_t>(c)];
    core.semaphores[static_cast<size_t>(s)] += 1;
    for (int other = 0; other < kLanes; ++other) {
      if (other != lane && core.lanes[static_cast<size_t>(other)].waiting == s) try_start(c, other, now);
    }
  }

  // ---- Barriers -----------------------------------------------------------

  void arrive(int32_t c, int64_t now) {
    CoreState& core = cores_[static_cast<size_t>(c)];
    core.arrived = true;
    core.clock = std::max(core.clock, now);
    for (const CoreState& other : cores_) {
      if (other.state != ScalarState::kAtBarrier || !other.arrived || other.barrier != core.barrier) return;
    }
    int64_t release = 0;
    for (const CoreState& other : cores_) release = std::max(release, other.clock);
    for (size_t i = 0; i < cores_.size(); ++i) {
      cores_[i].arrived = false;
      cores_[i].state = ScalarState::kRunning;
      push({release, static_cast<int32_t>(i), 0, EventKind::kScalar});
    }
  }

  // Nothing is left to happen: every core must have halted with its
  // engines drained; anything else waits for what will never come.
  void check_finished() {
    for (size_t i = 0; i < cores_.size(); ++i) {
      const CoreState& core = cores_[i];
      for (const Lane& l : core.lanes) {
        if (l.queue.empty()) continue;
        const size_t index = static_cast<size_t>(l.queue.front().index);
        const Instruction& ins = core.program->code[index];
        fail(static_cast<int32_t>(i), index,
             fmt::format("deadlock: it waits for s{}, which holds {} of the {} it needs, and nothing left to run "
                         "will signal it",
                         ins.sync.wait, core.semaphores[static_cast<size_t>(std::max(ins.sync.wait, 0))],
                         ins.sync.count));
      }
      if (core.state == ScalarState::kAtBarrier) {
        std::string others;
        for (const CoreState& other : cores_) {
          if (&other == &core) continue;
          others += other.state == ScalarState::kHalted
                        ? fmt::format("; core {} has halted", other.program->core)
                        : fmt::format("; core {} waits at barrier {}", other.program->core, other.barrier);
        }
        fail(static_cast<int32_t>(i), core.pc - 1,
             fmt::format("deadlock: core {} waits at barrier {}{}", core.program->core, core.barrier, others));
      }
    }
  }

  // ---- Time ---------------------------------------------------------------

  // How long an instruction keeps its engine, and how much later its
  // result lands (an HBM transfer's latency, which the engine does not wait
  // out: it starts the next transfer while this one's bytes are in flight).
  struct Duration {
    int64_t busy = 0, latency = 0;
  };

  Duration duration(int32_t c, const Instruction& ins, const Issued& issued, int64_t now) {
    const auto& a = ins.args;
    switch (spec(ins.op).engine) {
      case Engine::kDma: return dma_cycles(c, ins, issued, now);
      case Engine::kTensor: {
        const int64_t m = a[3].i, n = a[4].i, k = a[5].i;
        result_.macs += m * n * k;
        return matmul_cycles(a[1].type, a[2].type, m, n, k);
      }
      default: break;
    }
    const double elements = vector_elements(ins);
    const double rate = transcendental(ins.op) ? timing_.transcendental_per_cycle : timing_.vector_per_cycle;
    return {cycles(elements / rate), 0};
  }

  Duration matmul_cycles(DataType ta, DataType tb, int64_t m, int64_t n, int64_t k) {
    core::NumberFormat f = rate_format(ta);
    if (rate_width(rate_format(tb)) > rate_width(f)) f = rate_format(tb);
    double macs = timing_.macs_per_cycle[static_cast<size_t>(f)];
    if (macs <= 0) {
      macs = timing_.macs_per_cycle[static_cast<size_t>(core::NumberFormat::kBF16)];
      note(fmt::format("the chip has no {} tensor rate: those matmuls run at the BF16 rate", core::name(f)));
    }
    if (timing_.array_rows == 0) return {cycles(real(m) * real(n) * real(k) / macs), 0};
    // Weight-stationary (docs/tile-model.md): blocks of rows x cols of B,
    // a narrower format packing more of K into a row of PEs. Each block
    // holds the array for max(m, rows) cycles: m rows stream through while
    // the next block's weights shift in. The first weights and the drain
    // through the array's depth are a latency that the next matmul
    // overlaps, so back-to-back matmuls pay it once.
    const int64_t rows = timing_.array_rows, cols = timing_.array_cols;
    const auto k_per_block = std::max<int64_t>(1, std::llround(macs / real(cols)));
    const int64_t blocks = ((k + k_per_block - 1) / k_per_block) * ((n + cols - 1) / cols);
    return {cycles(real(blocks) * real(std::max(m, rows))), cycles(real(std::min(m, rows) + rows + cols - 1))};
  }

  // HBM is interleaved across channels; a transfer keeps the channels it
  // touches busy for their share of it, and its last byte lands a latency
  // later. SRAM-to-SRAM copies take the SRAM port of both cores.
  Duration dma_cycles(int32_t c, const Instruction& ins, const Issued& issued, int64_t now) {
    const auto& a = ins.args;
    const double bytes = real(a[2].i) * real(a[3].i);
    const bool from_hbm = a[1].address.space == Space::kHbm, to_hbm = a[0].address.space == Space::kHbm;
    if (from_hbm) result_.hbm_read += a[2].i * a[3].i;
    if (to_hbm) result_.hbm_written += a[2].i * a[3].i;
    if (!from_hbm && !to_hbm) return {sram_copy_cycles(c, a[0].address, a[1].address, bytes, now), 0};
    const size_t side = from_hbm ? 1 : 0;
    const int64_t address = a[side].address.offset + issued.base[side];
    const bool cached = from_hbm && !to_hbm && timing_.cache_bytes > 0;
    const ReadCache::Key key{address, a[2].i, a[3].i, a[5].i > 0 ? a[5].i : a[3].i};
    if (cached) {
      if (const auto ready = cache_.find(key)) {
        // The engine is busy while the cache serves it; bytes another
        // core's read is still bringing in land when they arrive, as an
        // HBM transfer's do, and the next transfer need not wait for them.
        double served = real(now) + 1;
        if (timing_.cache_bytes_per_cycle > 0) {
          cache_free_ = std::max(cache_free_, real(now)) + bytes / timing_.cache_bytes_per_cycle;
          served = cache_free_;
        }
        const auto end = static_cast<int64_t>(std::ceil(served));
        return {end - now, std::max<int64_t>(0, *ready - end)};
      }
    }
    const double moved = burst_bytes(address, a[2].i, a[3].i, to_hbm ? a[4].i : a[5].i);
    const int64_t channels = timing_.hbm_channels;
    const int64_t chunks = std::min(channels, static_cast<int64_t>(std::ceil(moved / real(timing_.interleave))));
    const int64_t first = (address / timing_.interleave) % channels;
    // Kept fractional: the channels carry one transfer's bytes straight
    // after another's, so only the engine's end is a whole cycle.
    const double share = std::min(moved / real(chunks) / timing_.channel_bytes_per_cycle, kLongestInstruction);
    // The channels from `first` on, wrapping round: two contiguous runs.
    const double up_to_the_end = channels_.occupy(first, std::min(channels, first + chunks), real(now), share);
    const double wrapped = channels_.occupy(0, std::max<int64_t>(0, first + chunks - channels), real(now), share);
    const double latest = std::max(up_to_the_end, wrapped);
    const auto done = static_cast<int64_t>(std::ceil(latest + share));
    if (cached) cache_.insert(key, a[2].i * a[3].i, done + timing_.hbm_latency);
    return {done - now, timing_.hbm_latency};
  }

  // The bytes the HBM channels move for `rows` rows of `width` bytes,
  // `stride` apart (0: packed), from `address`: whole bursts of kBurst.
  // Contiguous rows are one run; strided rows each take the bursts they
  // touch, one more than their bytes need when they start off a burst.
  // Which channels the rows fall on is taken as if the bytes were
  // contiguous: controllers hash addresses over the channels so that
  // strides spread, as contiguous bytes do.
  static double burst_bytes(int64_t address, int64_t rows, int64_t width, int64_t stride) {
    auto bursts = [](int64_t offset, int64_t bytes) { return real((offset % kBurst + bytes + kBurst - 1) / kBurst); };
    if (rows == 1 || stride == 0 || stride == width) return kBurst * bursts(address, rows * width);
    const bool aligned = address % kBurst == 0 && stride % kBurst == 0;
    return kBurst * real(rows) * (aligned ? bursts(0, width) : bursts(kBurst - 1, width));
  }

  // A copy between scratchpads holds the source's and the destination's
  // SRAM ports (one port when both are the same core) from when both are
  // free, for its bytes at the port's rate.
  int64_t sram_copy_cycles(int32_t c, const Address& dst, const Address& src, double bytes, int64_t now) {
    const int own = cores_[static_cast<size_t>(c)].program->core;
    double& to = sram_port_free_[static_cast<size_t>(dst.core == Address::kOwnCore ? own : dst.core)];
    double& from = sram_port_free_[static_cast<size_t>(src.core == Address::kOwnCore ? own : src.core)];
    const double start = std::max({real(now), to, from});
    to = from = start + std::min(bytes / timing_.sram_bytes_per_cycle, kLongestInstruction);
    return static_cast<int64_t>(std::ceil(to)) - now;
  }

  void note(std::string text) {
    if (std::find(result_.notes.begin(), result_.notes.end(), text) == result_.notes.end()) {
      result_.notes.push_back(std::move(text));
    }
  }

  // ---- Values -------------------------------------------------------------

  // What computing an instruction's values costs: MACs, elements or bytes.
  static double work(const Instruction& ins) {
    const auto& a = ins.args;
    switch (spec(ins.op).engine) {
      case Engine::kDma: return real(a[2].i) * real(a[3].i);
      case Engine::kTensor: return real(a[3].i) * real(a[4].i) * real(a[5].i);
      default: break;
    }
    return vector_elements(ins);
  }

  std::vector<uint8_t>& sram(int core) {
    auto& s = sram_[static_cast<size_t>(core)];
    if (s.empty()) s.resize(static_cast<size_t>(machine_.sram.base()));
    return s;
  }

  // The bytes of an SRAM operand of the running core.
  std::span<uint8_t> sram_bytes(int32_t c, const Value& v, int64_t base, int64_t bytes) {
    auto& s = sram(cores_[static_cast<size_t>(c)].program->core);
    return {s.data() + v.address.offset + base, static_cast<size_t>(bytes)};
  }

  std::vector<float> load(int32_t c, const Instruction& ins, const Issued& is, size_t field, int64_t rows,
                          int64_t cols, size_t scales_field = kMaxFields) {
    const Value& v = ins.args[field];
    const auto data = sram_bytes(c, v, is.base[field], rows * row_bytes(v.type, cols));
    std::span<const uint8_t> scales;
    if (scales_field < kMaxFields && ins.args[scales_field].given) {
      scales = sram_bytes(c, ins.args[scales_field], is.base[scales_field], scale_bytes(v.type, rows, cols));
    }
    return read_tensor(v.type, rows, cols, data, scales);
  }

  void store(int32_t c, const Instruction& ins, const Issued& is, size_t field, int64_t rows, int64_t cols,
             std::span<const double> values, size_t scales_field = kMaxFields) {
    const Value& v = ins.args[field];
    const auto data = sram_bytes(c, v, is.base[field], rows * row_bytes(v.type, cols));
    std::span<uint8_t> scales;
    if (scales_field < kMaxFields && ins.args[scales_field].given) {
      scales = sram_bytes(c, ins.args[scales_field], is.base[scales_field], scale_bytes(v.type, rows, cols));
    }
    WriteMode mode;
    const size_t round = spec(ins.op).fields.size() - 2;  // vector instructions end with round, seed
    mode.rounding = ins.args[round].i == 1 ? RoundingMode::kStochastic : RoundingMode::kNearestEven;
    mode.seed = static_cast<uint64_t>(ins.args[round + 1].i);
    write_tensor(v.type, rows, cols, values, data, scales, mode);
  }

  void compute(int32_t c, const Instruction& ins, const Issued& is) {
    switch (spec(ins.op).engine) {
      case Engine::kDma: copy(c, ins, is); return;
      case Engine::kTensor: matmul(c, ins, is); return;
      default: vector(c, ins, is); return;
    }
  }

  void copy(int32_t c, const Instruction& ins, const Issued& is) {
    const auto& a = ins.args;
    const int64_t rows = a[2].i, width = a[3].i;
    const int64_t dst_stride = a[4].i == 0 ? width : a[4].i, src_stride = a[5].i == 0 ? width : a[5].i;
    std::vector<uint8_t> row(static_cast<size_t>(width));
    auto place = [&](const Address& at, int64_t base) -> uint8_t* {
      if (at.space == Space::kHbm) return nullptr;
      const int owner = at.core == Address::kOwnCore ? cores_[static_cast<size_t>(c)].program->core : at.core;
      return sram(owner).data() + at.offset + base;
    };
    uint8_t* src = place(a[1].address, is.base[1]);
    uint8_t* dst = place(a[0].address, is.base[0]);
    const int64_t src_hbm = a[1].address.offset + is.base[1], dst_hbm = a[0].address.offset + is.base[0];
    for (int64_t r = 0; r < rows; ++r) {
      if (src != nullptr) {
        std::memcpy(row.data(), src + r * src_stride, row.size());
      } else {
        hbm_.read(src_hbm + r * src_stride, row);
      }
      if (dst != nullptr) {
        std::memcpy(dst + r * dst_stride, row.data(), row.size());
      } else {
        hbm_.write(dst_hbm + r * dst_stride, row);
      }
    }
  }

  // C = A . B^T. An FP32 accumulator adds FP32 products in FP32, K in
  // order (products of inputs of 12 significant bits or fewer are exact);
  // FP16 and BF16 accumulators round each sum to themselves.
  void matmul(int32_t c, const Instruction& ins, const Issued& is) {
    const auto& a = ins.args;
    const int64_t m = a[3].i, n = a[4].i, k = a[5].i;
    const std::vector<float> lhs = load(c, ins, is, 1, m, k, 7);
    const std::vector<float> rhs = load(c, ins, is, 2, n, k, 8);
    std::vector<float> acc = a[6].i == 1 ? load(c, ins, is, 0, m, n) : std::vector<float>(static_cast<size_t>(m * n));
    std::vector<float> rhs_t(static_cast<size_t>(k * n));  // K-major, so the inner loop runs along N
    for (int64_t j = 0; j < n; ++j) {
      for (int64_t kk = 0; kk < k; ++kk) rhs_t[static_cast<size_t>(kk * n + j)] = rhs[static_cast<size_t>(j * k + kk)];
    }
    const DataType acc_type = a[0].type;
    if (acc_type == DataType::kFp32) {
      for (int64_t i = 0; i < m; ++i) {
        float* __restrict row = acc.data() + i * n;
        for (int64_t kk = 0; kk < k; ++kk) {
          const float x = lhs[static_cast<size_t>(i * k + kk)];
          const float* __restrict b = rhs_t.data() + kk * n;
          for (int64_t j = 0; j < n; ++j) row[j] = row[j] + x * b[j];
        }
      }
    } else {
      const FloatFormat f = acc_type == DataType::kFp16 ? kFP16 : kBF16;
      for (int64_t i = 0; i < m; ++i) {
        for (int64_t j = 0; j < n; ++j) {
          double sum = acc[static_cast<size_t>(i * n + j)];
          for (int64_t kk = 0; kk < k; ++kk) {
            sum = round_to(f, sum + static_cast<double>(lhs[static_cast<size_t>(i * k + kk)]) *
                                        static_cast<double>(rhs_t[static_cast<size_t>(kk * n + j)]));
          }
          acc[static_cast<size_t>(i * n + j)] = static_cast<float>(sum);
        }
      }
    }
    const std::vector<double> out(acc.begin(), acc.end());
    WriteMode nearest;
    write_tensor(acc_type, m, n, out, sram_bytes(c, a[0], is.base[0], m * row_bytes(acc_type, n)), {}, nearest);
  }

  // Each result is the exact operation on the inputs (in double for exp,
  // rsqrt and the activations), rounded once into dst's type.
  void vector(int32_t c, const Instruction& ins, const Issued& is) {
    const auto& a = ins.args;
    const Opcode op = ins.op;
    if (op >= Opcode::kVadd && op <= Opcode::kVmax) {
      const int64_t rows = a[3].i, cols = a[4].i, bcast = a[5].i;
      const std::vector<float> x = load(c, ins, is, 1, rows, cols);
      const int64_t b_rows = bcast == 1 ? 1 : rows, b_cols = bcast == 2 ? 1 : cols;
      const std::vector<float> y = load(c, ins, is, 2, b_rows, b_cols);
      std::vector<double> out(x.size());
      for (int64_t r = 0; r < rows; ++r) {
        for (int64_t col = 0; col < cols; ++col) {
          const double p = x[static_cast<size_t>(r * cols + col)];
          const double q = y[static_cast<size_t>((bcast == 1 ? 0 : r) * b_cols + (bcast == 2 ? 0 : col))];
          double v = 0;
          switch (op) {
            case Opcode::kVadd: v = p + q; break;
            case Opcode::kVsub: v = p - q; break;
            case Opcode::kVmul: v = p * q; break;
            default: v = std::isnan(p) || std::isnan(q) ? std::nan("") : std::max(p, q); break;
          }
          out[static_cast<size_t>(r * cols + col)] = v;
        }
      }
      store(c, ins, is, 0, rows, cols, out);
      return;
    }
    const int64_t rows = a[2].i, cols = a[3].i;
    if (op == Opcode::kVcast) {
      const std::vector<float> x = load(c, ins, is, 1, rows, cols, 5);
      store(c, ins, is, 0, rows, cols, std::vector<double>(x.begin(), x.end()), 4);
      return;
    }
    const std::vector<float> x = load(c, ins, is, 1, rows, cols);
    if (op == Opcode::kVrargmax) {
      std::vector<double> out(static_cast<size_t>(rows));
      for (int64_t r = 0; r < rows; ++r) {
        const float* row = x.data() + r * cols;
        int64_t best = 0;  // NaNs never win; a row of NaNs gives 0
        for (int64_t col = 1; col < cols; ++col) {
          if (row[col] > row[best] || (std::isnan(row[best]) && !std::isnan(row[col]))) best = col;
        }
        out[static_cast<size_t>(r)] = real(best);
      }
      store(c, ins, is, 0, rows, 1, out);
      return;
    }
    if (op == Opcode::kVrsum || op == Opcode::kVrmax) {
      std::vector<double> out(static_cast<size_t>(rows));
      for (int64_t r = 0; r < rows; ++r) {
        double v = op == Opcode::kVrsum ? 0.0 : -std::numeric_limits<double>::infinity();
        for (int64_t col = 0; col < cols; ++col) {
          const double e = x[static_cast<size_t>(r * cols + col)];
          v = op == Opcode::kVrsum ? v + e : (std::isnan(e) || std::isnan(v) ? std::nan("") : std::max(v, e));
        }
        out[static_cast<size_t>(r)] = v;
      }
      store(c, ins, is, 0, rows, 1, out);
      return;
    }
    const double imm = op == Opcode::kVmuls || op == Opcode::kVadds ? a[4].f : 0.0;
    std::vector<double> out(x.size());
    for (size_t i = 0; i < x.size(); ++i) {
      const double e = x[i];
      switch (op) {
        case Opcode::kVexp: out[i] = std::exp(e); break;
        case Opcode::kVrsqrt: out[i] = 1 / std::sqrt(e); break;
        case Opcode::kVrecip: out[i] = 1 / e; break;
        case Opcode::kVsilu: out[i] = e / (1 + std::exp(-e)); break;
        case Opcode::kVgelu: {
          constexpr double kSqrt2OverPi = 0.7978845608028654;
          out[i] = 0.5 * e * (1 + std::tanh(kSqrt2OverPi * (e + 0.044715 * e * e * e)));
          break;
        }
        case Opcode::kVmuls: out[i] = e * imm; break;
        default: out[i] = e + imm; break;
      }
    }
    store(c, ins, is, 0, rows, cols, out);
  }

  const Machine& machine_;
  const Timing& timing_;
  Hbm& hbm_;
  const RunOptions& options_;
  const std::string& file_;
  std::vector<CoreState> cores_;
  std::vector<std::vector<uint8_t>> sram_;  // by core number, allocated when first touched
  ChannelTimes channels_;
  std::vector<double> sram_port_free_;      // cycle each core's SRAM port is next free, for copies between scratchpads
  ReadCache cache_;
  double cache_free_ = 0;  // cycle the shared cache's bandwidth is next free
  std::priority_queue<Event, std::vector<Event>, std::greater<>> events_;
  double work_ = 0;  // may pass int64's range on a hostile program
  RunResult result_;
};

}  // namespace

core::Result<RunResult> run(const Program& program, const Machine& machine, const Timing& timing, Hbm& hbm,
                            const RunOptions& options, const std::string& file) {
  if (core::Diagnostics errors = check(program, file, &machine); !errors.empty()) return errors;
  if (machine.sram.base() > kLargestSram) {
    return core::bad_input(fmt::format("{} has {:.0f} bytes of SRAM per core; the prototype holds at most {:.0f}",
                                       machine.chip, machine.sram.base(), kLargestSram),
                           "sram");
  }
  try {
    return Executor(program, machine, timing, hbm, options, file).run();
  } catch (const Abort& abort) {
    return core::Diagnostics{abort.error};
  }
}

}  // namespace tfab::vp
