// Power at a workload and the TCO built on it: the arithmetic of each
// piece, what a power cap does, and the serving rows the CLI prints.
#include <gtest/gtest.h>

#include "support/shipped.h"
#include "tensorfab/api/api.h"
#include "tensorfab/core/units.h"
#include "tensorfab/cost/energy.h"
#include "tensorfab/cost/calibration.h"
#include "tensorfab/cost/tco.h"
#include "tensorfab/hw/chip.h"
#include "tensorfab/package/package.h"
#include "tensorfab/tech/process.h"

namespace tfab::cost {
namespace {

using testing::shipped;
using namespace core::literals;

EnergyRates simple_rates() {
  EnergyRates r;
  r.per_mac[core::NumberFormat::kBF16] = 1_pJ;
  r.per_vector_op = 0.5_pJ;
  r.memory = 32_pJ / 1_B;  // 4 pJ/bit
  r.link = 40_pJ / 1_B;    // 5 pJ/bit
  r.idle = 100_W;
  r.tdp = 700_W;
  r.vf = {0.404, 1.05};
  return r;
}

perf::OpCost op(double tensor_ops, double vector_ops, double bytes, double link_bytes, double seconds,
                perf::Bound bound, int64_t repeat = 1) {
  perf::OpCost c;
  c.name = "op";
  c.repeat = repeat;
  c.work.tensor_ops = core::Ops::from_base(tensor_ops);
  c.work.vector_ops = core::Ops::from_base(vector_ops);
  c.work.bytes = core::Bytes::from_base(bytes);
  c.link_bytes = core::Bytes::from_base(link_bytes);
  c.time = core::Time::from_base(seconds);
  c.bound = bound;
  return c;
}

TEST(WorkloadEnergy, AddsEachKindOfWorkAtItsRate) {
  const auto rates = simple_rates();
  // 2e12 tensor ops = 1e12 MACs = 1 J; 1e12 vector ops = 0.5 J; 1e11 B = 3.2 J;
  // 1e10 B over links = 0.4 J; 3 x 10 ms at 100 W idle = 3 J.
  auto e = energy_of({op(2e12, 1e12, 1e11, 1e10, 0.01, perf::Bound::kTensor, 3)}, rates);
  ASSERT_TRUE(e.ok());
  EXPECT_NEAR(e->tensor.base(), 3.0, 1e-9);
  EXPECT_NEAR(e->vector.base(), 1.5, 1e-9);
  EXPECT_NEAR(e->memory.base(), 9.6, 1e-9);
  EXPECT_NEAR(e->link.base(), 1.2, 1e-9);
  EXPECT_NEAR(e->idle.base(), 3.0, 1e-9);
}

TEST(WorkloadEnergy, NamesAFormatWithoutAMacEnergy) {
  auto ops = std::vector{op(2e12, 0, 0, 0, 0.01, perf::Bound::kTensor)};
  ops[0].format = core::NumberFormat::kFP8;
  ops[0].name = "qkv_proj";
  auto e = energy_of(ops, simple_rates());
  ASSERT_FALSE(e.ok());
  EXPECT_NE(e.errors().front().message.find("no fp8 MAC energy for qkv_proj"), std::string::npos);
}

TEST(WorkloadEnergy, UnderTheTdpTheClockStays) {
  const auto rates = simple_rates();
  auto e = energy_of({op(2e12, 0, 0, 0, 0.01, perf::Bound::kTensor)}, rates);  // 1 J in 10 ms: 100 W + idle
  const auto p = workload_power(*e, 0.01_s, 0.01_s, rates);
  EXPECT_NEAR(p.demand.base(), 200, 1e-6);
  EXPECT_EQ(p.clock_scale, 1);
  EXPECT_EQ(p.slowdown, 1);
}

TEST(WorkloadEnergy, OverTheTdpTheClockFallsAndComputeStretches) {
  const auto rates = simple_rates();
  // 12 J in 10 ms: 1200 W dynamic + 100 W idle, against 600 W of room.
  auto e = energy_of({op(24e12, 0, 0, 0, 0.01, perf::Bound::kTensor)}, rates);
  const auto all_compute = workload_power(*e, 0.01_s, 0.01_s, rates);
  EXPECT_EQ(all_compute.drawn, rates.tdp);
  // Half the dynamic power: power falls as f x V^2, so the clock loses less than half.
  const double s = all_compute.clock_scale, v = 0.404 + (1.05 - 0.404) * s;
  EXPECT_NEAR(s * (v / 1.05) * (v / 1.05), 0.5, 1e-6);
  EXPECT_GT(s, 0.5);
  EXPECT_NEAR(all_compute.slowdown, 1 / all_compute.clock_scale, 1e-9);
  // Time bound by memory does not stretch.
  const auto half = workload_power(*e, 0.01_s, 0.005_s, rates);
  EXPECT_NEAR(half.slowdown, 0.5 / half.clock_scale + 0.5, 1e-9);
}

TEST(WorkloadEnergy, MemoryEnergyDoesNotFollowTheClock) {
  const auto rates = simple_rates();
  // 5 ms of compute (6 J) and 5 ms on memory (1e11 B = 3.2 J): 1840 W with idle.
  auto e = energy_of({op(12e12, 0, 0, 0, 0.005, perf::Bound::kTensor), op(0, 0, 1e11, 0, 0.005, perf::Bound::kMemory)},
                     rates);
  const auto p = workload_power(*e, 0.01_s, 0.005_s, rates);
  const double s = p.clock_scale;
  ASSERT_LT(s, 1);
  // At the capped clock the arithmetic costs V(s)^2 of its energy, the
  // memory its full energy, over the stretched time: exactly the room above idle.
  const double stretched = 0.005 / s + 0.005;
  EXPECT_NEAR((6 * relative_energy(s, rates.vf) + 3.2) / stretched, 600, 1e-6);
  EXPECT_NEAR(p.slowdown, stretched / 0.01, 1e-12);
}

// The H100's chip file carries its own measured power: energy_rates takes it
// over the node's derived figures.
EnergyRates h100_rates() {
  auto chip = hw::load_chip(shipped(), "h100-sxm");
  auto node = tech::load_node(shipped(), chip->process_node);
  auto memory = package::load_memory(shipped(), "hbm3");
  auto calibration = load_physical_calibration(shipped());
  auto rates = energy_rates(*chip, *node, *memory, calibration->power);
  EXPECT_TRUE(rates.ok());
  return rates.value();
}

TEST(MeasuredPower, GemmEnergyIsBroughtBackToThePublishedClock) {
  const auto r = h100_rates();
  EXPECT_NEAR(r.idle.base(), 130, 1e-9);
  // FP8: (698 - 130) W over 1213e12 / 2 MAC/s at 1240 of 1830 MHz.
  const double fp8_at_clock = (698.0 - 130) / (1213e12 / 2);
  const double fp8 = fp8_at_clock / relative_energy(1240.0 / 1830, r.vf);
  EXPECT_NEAR(r.per_mac.at(core::NumberFormat::kFP8).base() / fp8, 1, 1e-9);
  EXPECT_GT(fp8, 1.5 * fp8_at_clock);  // at the published clock the voltage is higher
  // INT8 was not measured: the node's figure, scaled as the measured formats are.
  EXPECT_GT(r.per_mac.at(core::NumberFormat::kINT8).base(), 0);
  // A copy's energy above idle per byte read or written.
  EXPECT_NEAR(r.memory.base(), (520.0 - 130) / 2.99e12, 1e-20);
}

TEST(MeasuredPower, TheGemmItWasMeasuredOnComesBackAtItsClock) {
  const auto r = h100_rates();
  const auto chip = hw::load_chip(shipped(), "h100-sxm").value();
  // m = n = k = 8192 in FP8 at the chip's efficiency: the power model must
  // bring the clock down to the measured 1240 of 1830 MHz. The operands'
  // off-chip bytes are costed again on top of the measured power, which
  // already holds them: about 3% lower.
  const double ops = 2.0 * 8192 * 8192 * 8192;
  const double seconds = ops / (chip.tensor_peak_for(core::NumberFormat::kFP8)->base() * chip.efficiency.tensor);
  auto gemm = op(ops, 0, 4.0 * 8192 * 8192, 0, seconds, perf::Bound::kTensor);
  gemm.format = core::NumberFormat::kFP8;
  auto e = energy_of({gemm}, r);
  ASSERT_TRUE(e.ok());
  const auto p = workload_power(*e, core::Time::from_base(seconds), core::Time::from_base(seconds), r);
  EXPECT_LT(p.clock_scale, 1240.0 / 1830);
  EXPECT_GT(p.clock_scale, 0.96 * 1240.0 / 1830);
}

Datacenter datacenter() {
  auto dc = load_datacenter(shipped(), "hyperscale");
  EXPECT_TRUE(dc.ok());
  return dc.value();
}

TEST(Tco, AddsCapitalOverTheLifeAndEnergyAtThePue) {
  const auto dc = datacenter();
  EXPECT_NEAR(dc.electricity.base() * 3.6e6, 0.0806, 1e-12);        // USD/kWh
  EXPECT_NEAR(dc.lifetime.base(), 5 * 365.25 * 86400, 1e-6);        // 5 yr
  const Tco t = tco(core::Money::from_base(10000), core::Power::from_base(500), dc);
  // Network is 19% of everything bought: (10000 + 4001) x 0.19 / 0.81.
  EXPECT_NEAR(t.network.base(), 14001 * 0.19 / 0.81, 1e-6);
  EXPECT_NEAR(t.capital_per_hour.base(), (14001 / 0.81) / (5 * 8766), 1e-9);
  // 500 W x 1.82 (server) x 1.10 (PUE) = 1.001 kW, for an hour at 0.0806 USD/kWh.
  EXPECT_NEAR(t.facility_power.base(), 1001, 1e-9);
  EXPECT_NEAR(t.energy_per_hour.base(), 1.001 * 0.0806, 1e-12);
  const auto per_million = usd_per_million_tokens(t, 1000);
  ASSERT_TRUE(per_million.has_value());
  EXPECT_NEAR(*per_million, t.per_hour().base() / 3.6, 1e-12);  // 3.6 M tokens an hour
  EXPECT_FALSE(usd_per_million_tokens(t, 0).has_value());
}

TEST(Tco, IndustryAverageDiffersOnlyInItsPue) {
  auto avg = load_datacenter(shipped(), "industry-average");
  ASSERT_TRUE(avg.ok());
  const auto hyper = datacenter();
  EXPECT_EQ(avg->pue, 1.58);
  EXPECT_EQ(avg->electricity, hyper.electricity);
  const auto chip = core::Money::from_base(5000);
  const auto power = core::Power::from_base(400);
  EXPECT_NEAR(tco(chip, power, *avg).energy_per_hour / tco(chip, power, hyper).energy_per_hour, 1.58 / 1.10, 1e-12);
  EXPECT_EQ(tco(chip, power, *avg).capital_per_hour, tco(chip, power, hyper).capital_per_hour);
}

// The default study, as `tensorfab study` prints it.
const api::StudyResult& default_study() {
  static const api::StudyResult kResult = api::study(shipped(), {}).value();
  return kResult;
}

TEST(ServingCost, TheDefaultStudyGivesEveryFigure) {
  for (const auto& row : default_study().rows) {
    SCOPED_TRACE(row.chip.id);
    ASSERT_TRUE(row.cost.has_value());
    EXPECT_TRUE(row.cost_unknown.empty());
    const auto& c = *row.cost;
    EXPECT_GT(c.average_power, c.power.energy.idle / c.power.time);  // busy draws more than idle
    EXPECT_LE(c.average_power, row.chip.tdp);
    EXPECT_NEAR(c.tokens_per_joule, c.tokens_per_s_per_chip / c.average_power.base(), 1e-9);
    ASSERT_TRUE(c.tco.has_value());
    ASSERT_TRUE(c.usd_per_million_tokens.has_value());
    EXPECT_GT(*c.usd_per_million_tokens, 0);
  }
}

TEST(ServingCost, PowerIsTheEnergyOfTheOpsOverTheirTime) {
  const auto& h100 = default_study().rows.back();
  ASSERT_EQ(h100.chip.id, "h100-sxm");
  const auto& s = h100.serving;
  const auto& p = h100.cost->power;
  // Static batching: one prefill, then `output` decode steps at the mean context.
  const auto steps = static_cast<double>(s.scenario.output_length);
  const core::Time time = total_time(s.prefill_ops) + total_time(s.decode_ops) * steps;
  EXPECT_NEAR(p.time / time, 1, 1e-12);
  EXPECT_NEAR(p.demand.base(), p.energy.total().base() / time.base(), 1e-9);
  // A million tokens cost an hour of the chip over the tokens it serves in an hour.
  EXPECT_NEAR(*h100.cost->usd_per_million_tokens,
              h100.cost->tco->per_hour().base() / (h100.cost->tokens_per_s_per_chip * 3600) * 1e6, 1e-12);
}

TEST(ServingCost, DearerElectricityRaisesTheCostOfAToken) {
  api::StudyRequest request;
  request.datacenter = "industry-average";  // a higher PUE: more energy bought per token
  auto avg = api::study(shipped(), request);
  ASSERT_TRUE(avg.ok());
  for (size_t i = 0; i < avg->rows.size(); ++i) {
    EXPECT_GT(*avg->rows[i].cost->usd_per_million_tokens, *default_study().rows[i].cost->usd_per_million_tokens);
    EXPECT_EQ(avg->rows[i].cost->tokens_per_joule, default_study().rows[i].cost->tokens_per_joule);
  }
}

TEST(ServingCost, AMemoryWithoutAnEnergyIsNamedNotGuessed) {
  api::EvalRequest request;
  request.chip = "a100-sxm-80gb";  // HBM2e: no public energy per bit
  request.model = "llama-2-7b";
  request.overrides = {config::Override{"scenario.formats.weights=bf16"},
                       config::Override{"scenario.formats.activations=bf16"},
                       config::Override{"scenario.formats.kv_cache=bf16"}};
  auto r = api::eval(shipped(), request);
  ASSERT_TRUE(r.ok()) << r.errors().front().message;
  EXPECT_FALSE(r->cost.has_value());
  ASSERT_FALSE(r->cost_unknown.empty());
  EXPECT_NE(r->cost_unknown.front().find("HBM2e' gives no energy per bit"), std::string::npos);
}

}  // namespace
}  // namespace tfab::cost
