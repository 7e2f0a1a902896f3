// The prototype's timed GEMMs against the tile tier (issue 10), over the
// shapes of the tile model's agreement grid (tests/support/agreement_grid.h),
// on the seed design in BF16. The tier is taken without its calibration to
// efficiency.tensor, since the prototype's arrays run at their peak.
// Prints each shape and the mean and largest |error|.
#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <vector>

#include "support/agreement_grid.h"
#include "support/shipped.h"
#include "tensorfab/api/api.h"
#include "tensorfab/perf/tile.h"
#include "tensorfab/vp/execute.h"

int main() {
  using namespace tfab;
  const config::Catalog& catalog = testing::shipped();
  const hw::ChipSpec chip = *hw::load_chip(catalog, "seed-2nm");
  perf::TileMachine tier = *perf::tile_machine(chip, core::NumberFormat::kBF16);
  tier.worker_rate = tier.worker_rate / tier.sustain;
  tier.sustain = 1;
  const vp::Timing timing = *vp::timing_for(chip);

  const std::vector<mapping::GemmShape> shapes = testing::agreement_grid();

  fmt::print("{:>18}  {:>10}  {:>10}  {:>7}  {}\n", "m x n x k", "prototype", "tile tier", "error", "prototype's tiling");
  double sum = 0, worst = 0;
  for (const mapping::GemmShape& s : shapes) {
    api::GemmRequest request;
    request.m = s.m, request.n = s.n, request.k = s.k;
    auto compiled = api::compile_gemm(catalog, request);
    if (!compiled) {
      fmt::print("{}x{}x{}: {}\n", s.m, s.n, s.k, compiled.errors().front().str());
      return 1;
    }
    const vp::GemmPlan& p = compiled->plan;
    const double prototype = static_cast<double>(p.cycles) / timing.clock.base();
    const auto two = core::Bytes::from_base(2);
    const double tile = perf::map_gemm(tier, s, {two, two, two}).time().base();
    const double error = prototype / tile - 1;
    sum += std::abs(error);
    worst = std::max(worst, std::abs(error));
    fmt::print("{:>18}  {:>8.2f}us  {:>8.2f}us  {:>+6.0f}%  {}x{}x{}, {} stages{}\n",
               fmt::format("{}x{}x{}", s.m, s.n, s.k), prototype * 1e6, tile * 1e6, 100 * error, p.tile_m, p.tile_n,
               p.tile_k, p.stages, p.split_k > 1 ? fmt::format(", split-K {}", p.split_k) : "");
  }
  fmt::print("{} shapes: mean |error| {:.1f}%, largest {:.1f}% (goal: within 10%)\n", shapes.size(),
             100 * sum / static_cast<double>(shapes.size()), 100 * worst);
}
