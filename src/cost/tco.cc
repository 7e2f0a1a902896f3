#include "tensorfab/cost/tco.h"

#include "tensorfab/config/reader.h"

namespace tfab::cost {

namespace {

core::Result<Datacenter> read_datacenter(const config::Node& doc, const std::string& id) {
  core::Diagnostics errors;
  config::MapReader r(doc, "", errors);
  using config::Limits;
  Datacenter d;
  d.id = id;
  d.name = r.required<std::string>("name", "the data centre's name").value_or("");
  d.pue = r.required<double>("pue", "power usage effectiveness: facility power / IT power", Limits::between(1, 10))
              .value_or(1);
  d.electricity = r.required<PricePerEnergy>("electricity", "price of electricity, e.g. 0.08 USD/kWh",
                                                      Limits::positive())
                      .value_or(PricePerEnergy{});
  d.lifetime = r.required<core::Time>("lifetime", "years over which the hardware is written off, e.g. 5 yr",
                                      Limits::positive())
                   .value_or(core::Time{});
  d.server_power = r.required<double>("server_power", "server power per chip over the chip's own power",
                                      Limits::between(1, 10))
                       .value_or(1);
  d.server_cost = r.required<core::Money>("server_cost", "the rest of the server's cost, per chip",
                                                     Limits::at_least(0))
                      .value_or(core::Money{});
  d.network_share = r.required<double>("network_share", "share of the cluster's capital cost that is network",
                                       Limits::between(0, 0.9))
                        .value_or(0);
  r.finish();
  if (!errors.empty()) return errors;
  return d;
}

}  // namespace

core::Result<Datacenter> load_datacenter(const config::Catalog& catalog, std::string_view id_or_path,
                                         const config::Overrides& overrides) {
  return config::load_spec(catalog, "datacenters", id_or_path, overrides, read_datacenter);
}

Tco tco(core::Money chip_cost, core::Power chip_power, const Datacenter& dc) {
  Tco t;
  t.chip = chip_cost;
  t.server = dc.server_cost;
  // The network is `network_share` of everything bought.
  t.network = (t.chip + t.server) * (dc.network_share / (1 - dc.network_share));
  t.facility_power = chip_power * (dc.server_power * dc.pue);
  const core::Time hour = core::Time::from_base(3600);
  t.capital_per_hour = t.capital() * (hour / dc.lifetime);
  t.energy_per_hour = dc.electricity * (t.facility_power * hour);
  return t;
}

std::optional<double> usd_per_million_tokens(const Tco& t, double tokens_per_s) {
  if (!(tokens_per_s > 0)) return std::nullopt;
  return t.per_hour().base() / (tokens_per_s * 3600) * 1e6;
}

}  // namespace tfab::cost
