#pragma once
// Total cost of ownership (docs/physical-model.md, "TCO"): what one chip
// costs per hour in service, over its life in a data centre, and so what a
// million tokens served costs. The data centre is a file in
// data/datacenters/: its PUE, electricity price, the life over which the
// hardware is written off, and what the rest of the server and the network
// add to each chip.

#include <optional>
#include <string>

#include "tensorfab/config/load.h"
#include "tensorfab/core/result.h"
#include "tensorfab/core/units.h"

namespace tfab::cost {

using PricePerEnergy = core::Quantity<core::dim::kMoney - core::dim::kEnergy>;  // USD/kWh in files

struct Datacenter {
  std::string id;
  std::string fingerprint;
  std::string name;
  double pue = 1;                  // facility power / IT power
  PricePerEnergy electricity;
  core::Time lifetime;             // depreciation
  double server_power = 1;         // server power per chip / chip power (CPUs, NICs, fans, PSU losses)
  core::Money server_cost;         // the rest of the server, per chip
  double network_share = 0;        // share of the cluster's capital that is network
};

[[nodiscard]] core::Result<Datacenter> load_datacenter(const config::Catalog& catalog, std::string_view id_or_path,
                                                       const config::Overrides& overrides = {});

struct Tco {
  core::Money chip;                // what one chip costs (to make, or to buy)
  core::Money server;              // its share of the server
  core::Money network;             // its share of the network
  core::Power facility_power;      // chip x server x PUE
  core::Money capital_per_hour;    // (chip + server + network) / lifetime
  core::Money energy_per_hour;
  [[nodiscard]] core::Money per_hour() const { return capital_per_hour + energy_per_hour; }
  [[nodiscard]] core::Money capital() const { return chip + server + network; }
};

// One chip drawing `chip_power` on average.
[[nodiscard]] Tco tco(core::Money chip_cost, core::Power chip_power, const Datacenter& dc);

// Dollars per million tokens at `tokens_per_s` per chip; none when no
// tokens flow.
[[nodiscard]] std::optional<double> usd_per_million_tokens(const Tco& t, double tokens_per_s);

}  // namespace tfab::cost
