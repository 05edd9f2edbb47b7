#include "forecast/report.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <nlohmann/json.hpp>

#include "util/csv.h"
#include "util/text.h"

namespace fungible {
namespace {

using nlohmann::ordered_json;

std::string PadLeft(const std::string& s, size_t w) {
  return s.size() >= w ? s : std::string(w - s.size(), ' ') + s;
}
std::string PadRight(const std::string& s, size_t w) {
  return s.size() >= w ? s : s + std::string(w - s.size(), ' ');
}

// Months shown in a table: at most max_rows, evenly spaced, always the last.
std::vector<int> ShownMonths(int horizon, int max_rows) {
  std::vector<int> months;
  const int step = std::max(1, (horizon + std::max(1, max_rows) - 1) / std::max(1, max_rows));
  for (int t = 1; t <= horizon; t += step) months.push_back(t);
  if (months.empty() || months.back() != horizon) months.push_back(horizon);
  return months;
}

// One row of the fan: P5-P95 '.', P10-P90 '-', P25-P75 '=', P50 '|', on a log
// scale from lo to hi.
std::string FanRow(const QuantileRow& q, double lo, double hi, int width) {
  std::string row(static_cast<size_t>(width), ' ');
  if (!(hi > lo) || !(lo > 0)) return row;
  const double llo = std::log(lo), lhi = std::log(hi);
  for (int c = 0; c < width; ++c) {
    const double a = std::exp(llo + (lhi - llo) * c / width),
                 b = std::exp(llo + (lhi - llo) * (c + 1) / width);
    char ch = ' ';
    if (b >= q[0] && a <= q[6]) ch = '.';
    if (b >= q[1] && a <= q[5]) ch = '-';
    if (b >= q[2] && a <= q[4]) ch = '=';
    if (q[3] >= a && q[3] < b) ch = '|';
    row[static_cast<size_t>(c)] = ch;
  }
  return row;
}

ordered_json Rows(const std::vector<QuantileRow>& rows) {
  ordered_json a = ordered_json::array();
  for (const auto& r : rows) a.push_back(std::vector<double>(r.begin(), r.end()));
  return a;
}

std::string Quantity(const TierModel& t) {
  return t.kind == TierKind::kServing ? "output_tokens" : "demand_multiple";
}

ordered_json ConeTiersJson(const DemandModel& model, const Cone& cone) {
  ordered_json tiers = ordered_json::array();
  for (size_t s = 0; s < cone.tiers.size(); ++s) {
    const TierCone& tc = cone.tiers[s];
    ordered_json t;
    t["id"] = tc.id;
    t["kind"] = TierKindName(tc.kind);
    t[Quantity(model.tiers[s])] = Rows(tc.output_tokens);
    if (tc.kind == TierKind::kServing) t["revenue_usd"] = Rows(tc.revenue_usd);
    tiers.push_back(std::move(t));
  }
  return tiers;
}

void AppendTierTable(std::string& out, const ForecastRun& run, const Cone& cone, size_t s, int max_rows) {
  const TierModel& tier = run.model.tiers[s];
  const TierCone& tc = cone.tiers[s];
  const bool serving = tier.kind == TierKind::kServing;
  const std::vector<int> months = ShownMonths(cone.horizon_months, max_rows);
  double lo = tc.output_tokens[0][0], hi = tc.output_tokens[0][6];
  for (const auto& r : tc.output_tokens) lo = std::min(lo, r[0]), hi = std::max(hi, r[6]);
  constexpr int kFan = 36;
  const std::string unit = serving ? "output tokens per month" : "demand multiple of today";
  out += "\n" + tc.id + " (" + TierKindName(tier.kind) + "): " + unit;
  if (serving) out += ", " + HumanNumber(tier.level_per_hour) + "/hour at as_of " + FormatDate(tier.as_of);
  out += "\n  growth prior " + Percent(tier.growth_mean) + " +- " + Percent(tier.growth_sd) +
         " a month (log), volatility " + Percent(tier.volatility) + ", shared-factor loading " +
         Fmt("%.2f", tier.loading);
  if (tier.growth_drift_sd > 0) out += ", growth drift " + Percent(tier.growth_drift_sd) + " a month";
  if (tier.has_ceiling()) out += ", ceiling " + Fmt("%g", tier.ceiling_multiple) + "x";
  out += "\n";
  out += "  month        P5      P10      P25      P50      P75      P90      P95   fan " + HumanNumber(lo) +
         " .. " + HumanNumber(hi) + " (log scale)\n";
  for (int t : months) {
    const QuantileRow& q = tc.output_tokens[static_cast<size_t>(t - 1)];
    std::string line = "  " + FormatMonth(run.model.MonthStart(t)) + " ";
    for (double v : q) line += PadLeft(serving ? HumanNumber(v) : Fmt("%.2fx", v), 9);
    line += "   " + FanRow(q, lo, hi, kFan);
    while (!line.empty() && line.back() == ' ') line.pop_back();
    out += line + "\n";
  }
  out += "  fan: '.' P5-P95, '-' P10-P90, '=' P25-P75, '|' P50\n";
  if (serving) {
    out += "  revenue (USD per month)        P10      P50      P90\n";
    for (int t : months) {
      const QuantileRow& q = tc.revenue_usd[static_cast<size_t>(t - 1)];
      out += "  " + FormatMonth(run.model.MonthStart(t)) + "                " +
             PadLeft(HumanNumber(q[1], true), 9) + PadLeft(HumanNumber(q[3], true), 9) +
             PadLeft(HumanNumber(q[5], true), 9) + "\n";
    }
  }
}

}  // namespace

std::string HumanNumber(double v, bool money) {
  const char* sign = v < 0 ? "-" : "";
  double a = std::fabs(v);
  static const struct {
    double scale;
    const char* suffix;
  } kUnits[] = {{1e15, "P"}, {1e12, "T"}, {1e9, "G"}, {1e6, "M"}, {1e3, "k"}};
  std::string suffix;
  for (const auto& u : kUnits)
    if (a >= u.scale) {
      a /= u.scale;
      suffix = u.suffix;
      break;
    }
  if (money && suffix == "G") suffix = "B";  // dollars: billions
  const char* f = a >= 100 ? "%.0f" : a >= 10 ? "%.1f" : "%.2f";
  return std::string(sign) + (money ? "$" : "") + Fmt(f, a) + suffix;
}

namespace {

// How tier k's hourly noise was drawn: recalibrated (factors and source),
// turned off, or with no factors in the spec.
std::string BandFactorsLine(const HourlyPeaks& h, size_t k) {
  const auto& f = h.band_factors[k];
  const std::string factors = "x" + Fmt("%.2f", f[0]) + " / x" + Fmt("%.2f", f[1]) + " / x" +
                              Fmt("%.2f", f[2]) + " on the noise's P25-P75 / P10-P90 / P5-P95 half-widths";
  const std::string& source = h.band_factors_source[k];
  const std::string from = source.empty() ? std::string(" (no source given)") : " (" + source + ")";
  if (f == std::array<double, 3>{1, 1, 1})
    return "hourly noise as fitted (no hourly_band_factors in the spec: not recalibrated)";
  if (h.recalibration_off)
    return "hourly noise as fitted: recalibration off (--no-recalibration); the spec's factors are " +
           factors + from;
  return "hourly noise recalibrated: " + factors + from;
}

// What month t of tier s is in the posterior: an actual, a month without one
// before the last actual (drawn given the actuals), or the future.
std::string Marker(const Posterior& p, size_t s, int t) {
  if (t > p.last_observed_month[s]) return "";
  const std::vector<int>& bridged = p.bridged_months[s];
  return std::binary_search(bridged.begin(), bridged.end(), t) ? "  (bridged)" : "  (actual)";
}

}  // namespace

std::string ForecastText(const ForecastRun& run, int max_rows) {
  const DemandModel& m = run.model;
  std::string out;
  out += "fungible forecast: " + (run.fleet_name.empty() ? std::string("fleet") : run.fleet_name) + " (" +
         run.spec_file + ")\n";
  out += "seed " + std::to_string(run.options.seed) + ", " + std::to_string(run.prior.scenarios) +
         " scenarios, " + std::to_string(m.horizon_months) + " months " + FormatMonth(m.MonthStart(1)) +
         " to " + FormatMonth(m.MonthStart(m.horizon_months)) + ", " + std::to_string(m.num_tiers()) +
         (m.num_tiers() == 1 ? " tier\n" : " tiers\n");

  const Cone& cone = run.posterior_cone ? *run.posterior_cone : run.cone;
  if (run.posterior) {
    const Posterior& p = *run.posterior;
    out += "\nupdate from actuals (" + run.actuals_file + ")\n";
    for (size_t s = 0; s < m.tiers.size(); ++s)
      if (p.last_observed_month[s] > 0) {
        out += "  " + m.tiers[s].id + ": " + FormatMonth(m.MonthStart(1)) + " to " +
               FormatMonth(m.MonthStart(p.last_observed_month[s]));
        const std::vector<int>& bridged = p.bridged_months[s];
        if (!bridged.empty()) {
          out += ", " + std::to_string(bridged.size()) + " month" + (bridged.size() == 1 ? "" : "s") +
                 " without an actual bridged:";
          for (int t : bridged) out += " " + FormatMonth(m.MonthStart(t));
        }
        out += "\n";
      }
    out += "  effective sample size of the prior: " + Fmt("%.0f", p.effective_sample_size) + " of " +
           std::to_string(run.prior.scenarios) + " (" +
           Percent(p.effective_sample_size / run.prior.scenarios) + "); " + std::to_string(p.stages) +
           " tempering stage" + (p.stages == 1 ? "" : "s") + ", move acceptance " +
           Percent(p.acceptance_rate, 0) + "\n";
    if (p.misses.empty()) {
      out += "  every actual fell inside the prior's P1-P99\n";
    } else {
      out += "  THE CONE MISSED: " + std::to_string(p.misses.size()) + " actual" +
             (p.misses.size() == 1 ? "" : "s") + " outside the prior's P1-P99\n";
      for (const ConeMiss& miss : p.misses)
        out += "    " + m.tiers[static_cast<size_t>(miss.tier)].id + " " +
               FormatMonth(m.MonthStart(miss.month)) + ": " + HumanNumber(miss.output_tokens) + " is " +
               (miss.output_tokens > miss.prior_p99 ? "above P99 " + HumanNumber(miss.prior_p99)
                                                    : "below P1 " + HumanNumber(miss.prior_p1)) +
               " (" + run.actuals_file + " line " + std::to_string(miss.line) + ")\n";
    }
    for (const TierWidening& w : p.widening) {
      out += "  " + w.tier + ": " + std::to_string(w.outside_p10_p90) + " of " + std::to_string(w.observed) +
             " actuals outside the prior's P10-P90 (" + std::to_string(w.above_p90) +
             " above P90); miss rate " + Percent(w.miss_rate, 0) + " (shrunk to the nominal 20%)";
      out += w.factor > 1.0 ? ": future months widened x" + Fmt("%.2f", w.factor) + " around their median\n"
                            : ": not widened\n";
      if (w.ceiling_multiple > w.ceiling_multiple_prior)
        out += "  " + w.tier + ": saturation ceiling moved with the actuals x" +
               Fmt("%.3g", w.ceiling_multiple_prior) + " -> x" + Fmt("%.3g", w.ceiling_multiple) +
               " today's level (the last actual ran ahead of the prior's median by as much)\n";
    }
    for (const GrowthPosterior& g : p.growth)
      out += "  growth " + g.tier + ": prior " + Percent(g.prior_mean, 2) + " +- " + Percent(g.prior_sd, 2) +
             " -> posterior " + Percent(g.posterior_mean, 2) + " +- " + Percent(g.posterior_sd, 2) +
             " a month\n";
    // Prior against posterior, months after the last actual.
    const std::vector<int> months = ShownMonths(m.horizon_months, max_rows);
    for (size_t s = 0; s < m.tiers.size(); ++s) {
      const bool serving = m.tiers[s].kind == TierKind::kServing;
      out += "\n" + m.tiers[s].id + ": prior against posterior (" +
             (serving ? "output tokens per month" : "demand multiple") + ")\n";
      out += "  month      prior P10      P50      P90  | posterior P10      P50      P90\n";
      for (int t : months) {
        const QuantileRow& a = run.cone.tiers[s].output_tokens[static_cast<size_t>(t - 1)];
        const QuantileRow& b = cone.tiers[s].output_tokens[static_cast<size_t>(t - 1)];
        auto f = [&](double v) { return PadLeft(serving ? HumanNumber(v) : Fmt("%.2fx", v), 9); };
        out += "  " + FormatMonth(m.MonthStart(t)) + "  " + f(a[1]) + f(a[3]) + f(a[5]) + "  |   " + f(b[1]) +
               f(b[3]) + f(b[5]) + Marker(p, s, t) + "\n";
      }
    }
    out += "\nposterior cone";
  } else {
    out += "\ncone";
  }
  out += " (quantiles across scenarios)\n";
  for (size_t s = 0; s < m.tiers.size(); ++s) AppendTierTable(out, run, cone, s, max_rows);
  int serving_tiers = 0;
  for (const auto& t : m.tiers) serving_tiers += t.kind == TierKind::kServing;
  if (serving_tiers > 1) {
    out += "\nall serving tiers: revenue (USD per month)        P10      P50      P90\n";
    for (int t : ShownMonths(m.horizon_months, max_rows)) {
      const QuantileRow& q = cone.total_revenue_usd[static_cast<size_t>(t - 1)];
      out += "  " + FormatMonth(m.MonthStart(t)) + "                                  " +
             PadLeft(HumanNumber(q[1], true), 9) + PadLeft(HumanNumber(q[3], true), 9) +
             PadLeft(HumanNumber(q[5], true), 9) + "\n";
    }
  }

  out += "\ncompounding: " + FormatMonth(m.MonthStart(m.horizon_months)) + " (" +
         std::to_string(m.horizon_months) +
         " months) at the prior's median growth +- 0.5, 1, 2 points a month (no noise, median launches)\n";
  for (const TierCompounding& tc : run.compounding) {
    const int s = m.FindTier(tc.id);
    const bool serving = m.tiers[static_cast<size_t>(s)].kind == TierKind::kServing;
    out += "  " + tc.id + "\n    growth/month     " +
           std::string(serving ? "tokens/month   revenue/month" : "  multiple") +
           "   x today   vs median   prior cone pct\n";
    for (const CompoundingRow& r : tc.rows) {
      std::string label = Percent(r.monthly_log_growth) + " (" + (r.offset_points > 0 ? "+" : "") +
                          Fmt("%g", r.offset_points) + " pt)";
      if (r.offset_points == 0) label = Percent(r.monthly_log_growth) + " (median)";
      out += "    " + PadRight(label, 16) +
             (serving ? PadLeft(HumanNumber(r.output_tokens_at_horizon), 13) +
                            PadLeft(HumanNumber(r.revenue_usd_at_horizon, true), 16)
                      : PadLeft(Fmt("%.2fx", r.output_tokens_at_horizon), 10)) +
             PadLeft(Fmt("%.2fx", r.multiple_of_today), 10) +
             PadLeft(Fmt("%.2fx", r.ratio_to_median_path), 12) +
             PadLeft("P" + Fmt("%.0f", 100 * r.cone_percentile), 17) + "\n";
    }
  }

  if (run.reduced) {
    const ReducedScenarios& r = *run.reduced;
    const ScenarioSet& set = run.posterior ? run.posterior->scenarios : run.prior;
    out += "\nscenario reduction: " + std::to_string(r.indices.size()) + " representatives of " +
           std::to_string(set.scenarios) + " (forward selection, Kantorovich distance " +
           Fmt("%.4f", r.distance) + " log points; one representative: " + Fmt("%.4f", r.distance_one) +
           ")\n";
    out += "  scenario   weight";
    for (const auto& t : m.tiers) out += PadLeft(t.id.substr(0, 14), 16);
    out += "   (" + FormatMonth(m.MonthStart(m.horizon_months)) + ")\n";
    for (size_t k = 0; k < r.indices.size(); ++k) {
      out += "  " + PadLeft(std::to_string(r.indices[k]), 8) + PadLeft(Fmt("%.4f", r.weights[k]), 9);
      for (int s = 0; s < m.num_tiers(); ++s) {
        const double v =
            MonthlyOutputTokens(m, s, m.horizon_months, set.LogMultiple(s, m.horizon_months, r.indices[k]));
        out += PadLeft(
            m.tiers[static_cast<size_t>(s)].kind == TierKind::kServing ? HumanNumber(v) : Fmt("%.2fx", v),
            16);
      }
      out += "\n";
    }
  }
  if (run.hourly) {
    const HourlyPeaks& h = *run.hourly;
    out += "\nhourly peaks (" + std::to_string(h.hours) +
           " hours per scenario): peak hour in output tokens/hour\n";
    for (size_t k = 0; k < h.tiers.size(); ++k) {
      out += "  " + h.tiers[k] + ": " + BandFactorsLine(h, k) + "\n";
      out += "  month        P10      P50      P90   peak/mean P50\n";
      for (int t : ShownMonths(m.horizon_months, max_rows)) {
        const QuantileRow& q = h.peak_output_tokens_per_hour[k][static_cast<size_t>(t - 1)];
        out += "  " + FormatMonth(m.MonthStart(t)) + " " + PadLeft(HumanNumber(q[1]), 9) +
               PadLeft(HumanNumber(q[3]), 9) + PadLeft(HumanNumber(q[5]), 9) +
               PadLeft(Fmt("%.2f", h.peak_to_mean[k][static_cast<size_t>(t - 1)][3]), 16) + "\n";
      }
    }
  }
  out += "\nseed " + std::to_string(run.options.seed) + ": the same seed gives the same figures.\n";
  return out;
}

std::string ForecastJson(const ForecastRun& run) {
  const DemandModel& m = run.model;
  ordered_json j;
  j["command"] = "forecast";
  j["spec"] = run.spec_file;
  j["fleet"] = run.fleet_name;
  j["seed"] = run.options.seed;
  j["scenarios"] = run.prior.scenarios;
  j["horizon_months"] = m.horizon_months;
  j["start_month"] = FormatMonth(m.start_month);
  ordered_json months = ordered_json::array();
  for (int t = 1; t <= m.horizon_months; ++t) months.push_back(FormatMonth(m.MonthStart(t)));
  j["months"] = months;
  j["quantiles"] = std::vector<double>(kConeProbabilities.begin(), kConeProbabilities.end());
  ordered_json tiers = ConeTiersJson(m, run.cone);
  for (size_t s = 0; s < m.tiers.size(); ++s) {
    const TierModel& t = m.tiers[s];
    ordered_json& o = tiers[s];
    o["output_tokens_now"] = run.cone.tiers[s].output_tokens_now;
    o["growth"] = {
        {"monthly_log_growth_mean", t.growth_mean},
        {"monthly_log_growth_sd", t.growth_sd},
        {"monthly_volatility", t.volatility},
        {"shared_factor_loading", t.loading},
        {"saturation_multiple", t.has_ceiling() ? ordered_json(t.ceiling_multiple) : ordered_json()},
        {"price_elasticity", t.elasticity}};
    if (t.growth_drift_sd > 0) o["growth"]["monthly_growth_drift_sd"] = t.growth_drift_sd;
    ordered_json comp = ordered_json::array();
    for (const CompoundingRow& r : run.compounding[s].rows)
      comp.push_back({{"offset_points", r.offset_points},
                      {"monthly_log_growth", r.monthly_log_growth},
                      {Quantity(t) + "_at_horizon", r.output_tokens_at_horizon},
                      {"revenue_usd_at_horizon", r.revenue_usd_at_horizon},
                      {"multiple_of_today", r.multiple_of_today},
                      {"ratio_to_median_path", r.ratio_to_median_path},
                      {"prior_cone_percentile", r.cone_percentile}});
    o["compounding"] = comp;
  }
  j["tiers"] = tiers;
  if (!run.cone.total_revenue_usd.empty()) j["total_revenue_usd"] = Rows(run.cone.total_revenue_usd);
  if (run.posterior) {
    const Posterior& p = *run.posterior;
    ordered_json u;
    u["actuals"] = run.actuals_file;
    u["effective_sample_size"] = p.effective_sample_size;
    u["stages"] = p.stages;
    u["acceptance_rate"] = p.acceptance_rate;
    u["cone_missed"] = !p.misses.empty();
    ordered_json misses = ordered_json::array();
    for (const ConeMiss& miss : p.misses)
      misses.push_back({{"tier", m.tiers[static_cast<size_t>(miss.tier)].id},
                        {"month", FormatMonth(m.MonthStart(miss.month))},
                        {"output_tokens", miss.output_tokens},
                        {"prior_p1", miss.prior_p1},
                        {"prior_p99", miss.prior_p99},
                        {"line", miss.line}});
    u["misses"] = misses;
    ordered_json widening = ordered_json::array();
    for (const TierWidening& w : p.widening)
      widening.push_back({{"tier", w.tier},
                          {"observed", w.observed},
                          {"outside_p10_p90", w.outside_p10_p90},
                          {"above_p90", w.above_p90},
                          {"miss_rate", w.miss_rate},
                          {"factor", w.factor},
                          {"ceiling_multiple_prior", w.ceiling_multiple_prior},
                          {"ceiling_multiple", w.ceiling_multiple}});
    u["widening"] = widening;
    ordered_json last = ordered_json::object();
    for (size_t s = 0; s < m.tiers.size(); ++s)
      if (p.last_observed_month[s] > 0)
        last[m.tiers[s].id] = FormatMonth(m.MonthStart(p.last_observed_month[s]));
    u["last_observed_month"] = last;
    // Months before a tier's last actual without one (drawn given the actuals).
    ordered_json bridged = ordered_json::object();
    for (size_t s = 0; s < m.tiers.size(); ++s)
      if (p.last_observed_month[s] > 0) {
        ordered_json months = ordered_json::array();
        for (int t : p.bridged_months[s]) months.push_back(FormatMonth(m.MonthStart(t)));
        bridged[m.tiers[s].id] = months;
      }
    u["bridged_months"] = bridged;
    ordered_json growth = ordered_json::array();
    for (const GrowthPosterior& g : p.growth)
      growth.push_back({{"tier", g.tier},
                        {"prior_mean", g.prior_mean},
                        {"prior_sd", g.prior_sd},
                        {"posterior_mean", g.posterior_mean},
                        {"posterior_sd", g.posterior_sd}});
    u["growth"] = growth;
    ordered_json post;
    post["tiers"] = ConeTiersJson(m, *run.posterior_cone);
    if (!run.posterior_cone->total_revenue_usd.empty())
      post["total_revenue_usd"] = Rows(run.posterior_cone->total_revenue_usd);
    u["posterior"] = post;
    j["update"] = u;
  }
  if (run.reduced) {
    j["reduction"] = {{"of", run.posterior ? "posterior" : "prior"},
                      {"k", run.reduced->indices.size()},
                      {"indices", run.reduced->indices},
                      {"weights", run.reduced->weights},
                      {"kantorovich_distance", run.reduced->distance},
                      {"distance_one_representative", run.reduced->distance_one}};
  }
  if (run.hourly) {
    ordered_json h;
    h["hours"] = run.hourly->hours;
    ordered_json tiers_h = ordered_json::array();
    for (size_t k = 0; k < run.hourly->tiers.size(); ++k)
      tiers_h.push_back({{"id", run.hourly->tiers[k]},
                         {"band_factors", run.hourly->band_factors[k]},
                         {"band_factors_source", run.hourly->band_factors_source[k]},
                         {"recalibrated", !run.hourly->recalibration_off &&
                                              run.hourly->band_factors[k] != std::array<double, 3>{1, 1, 1}},
                         {"peak_output_tokens_per_hour", Rows(run.hourly->peak_output_tokens_per_hour[k])},
                         {"peak_to_mean", Rows(run.hourly->peak_to_mean[k])}});
    h["tiers"] = tiers_h;
    j["hourly_peaks"] = h;
  }
  return j.dump(2) + "\n";
}

std::string ForecastCsv(const ForecastRun& run) {
  const DemandModel& m = run.model;
  std::string out = "seed,cone,tier,quantity,month,p5,p10,p25,p50,p75,p90,p95\n";
  auto rows = [&](const char* cone_name, const std::string& tier, const std::string& quantity,
                  const std::vector<QuantileRow>& q) {
    for (size_t t = 0; t < q.size(); ++t) {
      // Appended piece by piece: no temporary string per row.
      out += std::to_string(run.options.seed);
      out += ',';
      out += cone_name;
      out += ',';
      out += CsvField(tier);
      out += ',';
      out += quantity;
      out += ',';
      out += FormatMonth(m.MonthStart(static_cast<int>(t) + 1));
      for (double v : q[t]) {
        out += ',';
        out += Fmt("%.17g", v);
      }
      out += '\n';
    }
  };
  auto cone_rows = [&](const char* name, const Cone& cone) {
    for (size_t s = 0; s < cone.tiers.size(); ++s) {
      rows(name, cone.tiers[s].id, Quantity(m.tiers[s]), cone.tiers[s].output_tokens);
      if (cone.tiers[s].kind == TierKind::kServing)
        rows(name, cone.tiers[s].id, "revenue_usd", cone.tiers[s].revenue_usd);
    }
    if (!cone.total_revenue_usd.empty()) rows(name, "total", "revenue_usd", cone.total_revenue_usd);
  };
  cone_rows("prior", run.cone);
  if (run.posterior_cone) cone_rows("posterior", *run.posterior_cone);
  return out;
}

namespace {

// The noise calibration of fit i, or null.
const NoiseCalibration* CalibrationOf(const ProfileReport& report, size_t i) {
  return i < report.noise_calibration.size() && report.noise_calibration[i] ? &*report.noise_calibration[i]
                                                                            : nullptr;
}

// Where a spec's hourly_band_factors came from, in one line.
std::string NoiseCalibrationSource(const NoiseCalibration& c, const ProfileFit& f) {
  return "fit-profile " + c.file + " " + f.trace + ": split-conformal on " + std::to_string(c.factor_points) +
         " hour errors of the Gaussian noise, " + std::to_string(c.target_days) + " days scored from " +
         std::to_string(c.origins) + " rolling origins";
}

}  // namespace

std::string ProfileYaml(const ProfileReport& report) {
  auto list = [](const auto& values) {
    std::string s = "[";
    for (size_t i = 0; i < values.size(); ++i) s += (i ? ", " : "") + Fmt("%.3f", values[i]);
    return s + "]";
  };
  std::string out;
  for (size_t i = 0; i < report.fits.size(); ++i) {
    const ProfileFit& f = report.fits[i];
    const NoiseCalibration* calibration = CalibrationOf(report, i);
    out += "# fungible fit-profile: " + f.trace + ", " + Fmt("%.1f", f.days) + " days, " +
           std::to_string(f.hours_used) + " hours used (" + std::to_string(f.hours_skipped) + " skipped, " +
           std::to_string(f.windows_missing) + " empty windows treated as gaps)\n";
    out += "# hours are UTC taking the trace's clock as UTC" +
           (f.utc_offset_hours >= 0 ? "+" + std::to_string(f.utc_offset_hours)
                                    : std::to_string(f.utc_offset_hours)) +
           "; day 0 is a " + WeekdayName(f.first_weekday) +
           (f.first_weekday_inferred ? " (inferred: the two quietest days taken as Saturday-Sunday)" : "") +
           "\n";
    out += "# R^2 " + Fmt("%.2f", f.r_squared) + "; trend inside the trace " +
           Fmt("%+.2f", 100 * f.trend_log_per_day) + "% a day (not a growth prior)\n";
    out += "# paste under demand[] of the model it describes:\n";
    out += "diurnal_shape: " + list(f.diurnal_shape) + "\n";
    if (f.weekly_fitted) {
      out += "weekly_shape: " + list(f.weekly_shape) + "\n";
    } else {
      out += "# weekly_shape: not fitted (under 7 days)\n";
    }
    if (f.daily_level_fitted) {
      // The noise model: day level + within-day noise (their sum is e).
      out += "hourly_noise_log_sd: " + Fmt("%.3f", f.within_day_log_sd) + "\n";
      out += "hourly_noise_autocorrelation: " + Fmt("%.3f", f.within_day_autocorrelation) + "\n";
      out += "daily_level_log_sd: " + Fmt("%.3f", f.daily_level_log_sd) + "\n";
      out += "daily_level_autocorrelation: " + Fmt("%.3f", f.daily_level_autocorrelation) + "\n";
    } else {
      out += "hourly_noise_log_sd: " + Fmt("%.3f", f.hourly_noise_log_sd) + "\n";
      out += "hourly_noise_autocorrelation: " + Fmt("%.3f", f.hourly_noise_autocorrelation) + "\n";
    }
    if (calibration) {
      const NoiseCalibration& c = *calibration;
      out += "hourly_band_factors: [" + Fmt("%.3f", c.factor[0]) + ", " + Fmt("%.3f", c.factor[1]) + ", " +
             Fmt("%.3f", c.factor[2]) + "]\n";
      out += "hourly_band_factors_source: \"" + NoiseCalibrationSource(c, f) + "\"\n";
    }
    out += "# noise fit: residual sd " + Fmt("%.3f", f.hourly_noise_log_sd) + " (AR(1) " +
           Fmt("%.2f", f.hourly_noise_autocorrelation) + ")";
    if (f.daily_level_fitted)
      out += " = day level " + Fmt("%.3f", f.daily_level_log_sd) + " (day-to-day AR(1) " +
             Fmt("%.2f", f.daily_level_autocorrelation) + ", " + std::to_string(f.days_for_level) +
             " days) + within day " + Fmt("%.3f", f.within_day_log_sd);
    else
      out += "; no day level (needs 3 days and 2 spare day-level degrees of freedom)";
    out += "\n# hourly innovations: " + std::to_string(f.innovations) + ", excess kurtosis " +
           Fmt("%.1f", f.innovation_excess_kurtosis) + "; ";
    if (f.tail_dof > 0)
      out += "Student-t fits better than Gaussian: " + Fmt("%.1f", f.tail_dof) + " dof, scale " +
             Fmt("%.3f", f.innovation_scale) + ", log-likelihood " +
             Fmt("%+.3f", f.tail_loglik_gain_per_hour) + " an hour (the backtest draws these tails)\n\n";
    else
      out += "Gaussian fits best\n\n";
    if (calibration) {
      const NoiseCalibration& c = *calibration;
      out.pop_back();
      out += "# the noise as forecast --hourly and simulate draw it (Gaussian, months ahead), scored from " +
             std::to_string(c.origins) + " rolling origins on " + std::to_string(c.raw.points) +
             " hours:\n#   P10-P90 / P5-P95 covered " + Percent(c.raw.coverage_p10_p90) + " / " +
             Percent(c.raw.coverage_p5_p95) + " as fitted, " + Percent(c.calibrated.coverage_p10_p90) +
             " / " + Percent(c.calibrated.coverage_p5_p95) + " recalibrated from earlier errors only (" +
             std::to_string(c.uncalibrated_points) + " hours with too few earlier errors, x1); CRPS " +
             Fmt("%.3f", c.raw.mean_crps) + " -> " + Fmt("%.3f", c.calibrated.mean_crps) + "\n\n";
    }
  }
  for (const std::string& s : report.skipped) out += "# skipped " + s + "\n";
  for (const TokenMix& t : report.mixes) {
    out += "# token mix from " + t.source + ": " + std::to_string(t.requests) + " requests, median " +
           Fmt("%.0f", t.median_input_tokens_per_request) + " input / " +
           Fmt("%.0f", t.median_output_tokens_per_request) + " output tokens per request\n";
    out += "# paste under models[] of the model it describes:\n";
    out += "input_tokens_per_output_token: " + Fmt("%.2f", t.input_tokens_per_output_token) + "\n\n";
  }
  return out;
}

namespace {

ordered_json ScoreJson(const CalibrationScore& c) {
  return {{"name", c.name},
          {"points", c.points},
          {"coverage_p10_p90", c.coverage_p10_p90},
          {"coverage_p5_p95", c.coverage_p5_p95},
          {"mean_pinball_loss", c.mean_pinball_loss},
          {"mean_crps", c.mean_crps}};
}

ordered_json NoiseCalibrationJson(const ProfileReport& report, size_t i) {
  const NoiseCalibration* calibration = CalibrationOf(report, i);
  if (!calibration) return nullptr;
  const NoiseCalibration& c = *calibration;
  return {{"hourly_band_factors", c.factor},
          {"hourly_band_factors_source", NoiseCalibrationSource(c, report.fits[i])},
          {"errors", c.factor_points},
          {"origins", c.origins},
          {"days_scored", c.target_days},
          {"as_fitted", ScoreJson(c.raw)},
          {"recalibrated", ScoreJson(c.calibrated)},
          {"uncalibrated_points", c.uncalibrated_points}};
}

}  // namespace

std::string ProfileJson(const ProfileReport& report) {
  ordered_json j;
  j["command"] = "fit-profile";
  ordered_json fits = ordered_json::array();
  for (size_t i = 0; i < report.fits.size(); ++i) {
    const ProfileFit& f = report.fits[i];
    fits.push_back({{"trace", f.trace},
                    {"days", f.days},
                    {"hours_used", f.hours_used},
                    {"hours_skipped", f.hours_skipped},
                    {"windows_missing", f.windows_missing},
                    {"utc_offset_hours", f.utc_offset_hours},
                    {"first_weekday", WeekdayName(f.first_weekday)},
                    {"first_weekday_inferred", f.first_weekday_inferred},
                    {"diurnal_shape", f.diurnal_shape},
                    {"weekly_shape", f.weekly_fitted ? ordered_json(f.weekly_shape) : ordered_json()},
                    {"hourly_noise_log_sd", f.hourly_noise_log_sd},
                    {"hourly_noise_autocorrelation", f.hourly_noise_autocorrelation},
                    {"daily_level_fitted", f.daily_level_fitted},
                    {"daily_level_log_sd", f.daily_level_log_sd},
                    {"daily_level_autocorrelation", f.daily_level_autocorrelation},
                    {"days_for_level", f.days_for_level},
                    {"within_day_log_sd", f.within_day_log_sd},
                    {"within_day_autocorrelation", f.within_day_autocorrelation},
                    {"innovations", f.innovations},
                    {"innovation_excess_kurtosis", f.innovation_excess_kurtosis},
                    {"tail_dof", f.tail_dof},
                    {"innovation_scale", f.innovation_scale},
                    {"tail_loglik_gain_per_hour", f.tail_loglik_gain_per_hour},
                    {"trend_log_per_day", f.trend_log_per_day},
                    {"r_squared", f.r_squared},
                    {"noise_calibration", NoiseCalibrationJson(report, i)}});
  }
  j["profiles"] = fits;
  j["skipped"] = report.skipped;
  ordered_json mixes = ordered_json::array();
  for (const TokenMix& t : report.mixes)
    mixes.push_back({{"source", t.source},
                     {"requests", t.requests},
                     {"input_tokens", t.input_tokens},
                     {"output_tokens", t.output_tokens},
                     {"input_tokens_per_output_token", t.input_tokens_per_output_token},
                     {"mean_input_tokens_per_request", t.mean_input_tokens_per_request},
                     {"mean_output_tokens_per_request", t.mean_output_tokens_per_request},
                     {"median_input_tokens_per_request", t.median_input_tokens_per_request},
                     {"median_output_tokens_per_request", t.median_output_tokens_per_request}});
  j["token_mix"] = mixes;
  return j.dump(2) + "\n";
}

std::string BacktestText(const BacktestReport& report) {
  std::string out = "fungible backtest: calibration of the cone (scores in log space)\n";
  if (!report.synthetic.empty())
    out += "seed " + std::to_string(report.seed) + ", " + std::to_string(report.scenarios) +
           " scenarios against " + std::to_string(report.truths) + " synthetic truths from " +
           report.spec_file + "\n";
  out += "\n  " + PadRight("forecast", 42) + "  points   P10-P90   P5-P95   pinball     CRPS\n";
  out += "  " + PadRight("(calibrated)", 42) + "            80.0%    90.0%\n";
  auto row = [&](const CalibrationScore& c) {
    out += "  " + PadRight(c.name, 42) + PadLeft(std::to_string(c.points), 8) +
           PadLeft(Percent(c.coverage_p10_p90), 10) + PadLeft(Percent(c.coverage_p5_p95), 9) +
           PadLeft(Fmt("%.4f", c.mean_pinball_loss), 10) + PadLeft(Fmt("%.4f", c.mean_crps), 9) + "\n";
  };
  for (const auto& c : report.synthetic) row(c);
  for (const TraceBacktest& t : report.traces) {
    out += "  hourly rates, rolling origin, " + report.trace_file + ", " + t.name + " (" +
           std::to_string(t.days) + " days; noise: " +
           (t.noise == TraceNoiseModel::kDayLevelStudentT ? "day level + Student-t hours" : "hourly AR(1)") +
           "):\n";
    for (const HorizonCalibration& h : t.horizons) {
      CalibrationScore model = h.raw, recal = h.calibrated;
      model.name = "  " + h.raw.name + ", model";
      recal.name = "  " + h.raw.name + ", recalibrated";
      row(model);
      row(recal);
      out += "      factors on the P25-P75 / P10-P90 / P5-P95 half-widths x" + Fmt("%.2f", h.mean_factor[0]) +
             " / x" + Fmt("%.2f", h.mean_factor[1]) + " / x" + Fmt("%.2f", h.mean_factor[2]) + " (mean), " +
             std::to_string(h.origins) + " origins";
      if (h.uncalibrated_points > 0)
        out += "; " + std::to_string(h.uncalibrated_points) + " points with no earlier errors (x1)";
      if (h.calibrated_from_horizon_days > 0 && h.calibrated_from_horizon_days != h.horizon_days)
        out += "; from " + std::to_string(h.calibrated_from_horizon_days) + "-day-ahead errors";
      out += "\n      next origin (after the trace): x" + Fmt("%.2f", h.next_factor[0]) + " / x" +
             Fmt("%.2f", h.next_factor[1]) + " / x" + Fmt("%.2f", h.next_factor[2]);
      if (h.next_from_horizon_days > 0)
        out += " from " + std::to_string(h.next_points) + " errors " +
               std::to_string(h.next_from_horizon_days) + (h.next_from_horizon_days == 1 ? " day" : " days") +
               " ahead\n";
      else
        out += " (too few errors at this horizon or shorter)\n";
    }
    const ProfileFit& f = t.last_fit;
    if (t.noise == TraceNoiseModel::kDayLevelStudentT)
      out += "      noise fitted on days 0-" + std::to_string(t.days - 2) + ": day level sd " +
             Fmt("%.3f", f.daily_level_log_sd) + " (AR " + Fmt("%.2f", f.daily_level_autocorrelation) +
             "), within day sd " + Fmt("%.3f", f.within_day_log_sd) + " (AR " +
             Fmt("%.2f", f.within_day_autocorrelation) + "), tail dof " +
             (f.tail_dof > 0 ? Fmt("%.1f", f.tail_dof) : std::string("Gaussian")) + "\n";
  }
  if (!report.monthly.empty()) {
    const MonthlyBacktestOptions& o = report.monthly_options;
    const std::string model =
        o.fit
            ? std::string(
                  "local linear trend, volatility and growth drift fitted at each origin on every "
                  "series' points known then, growth at each series' first point unknown")
            : "growth prior " + Percent(o.growth_mean) + " +- " + Percent(o.growth_sd) +
                  " a month, volatility " + Percent(o.volatility) +
                  (o.growth_drift_sd > 0 ? ", growth drift " + Percent(o.growth_drift_sd) + " a month" : "");
    out += "  monthly cone, rolling origin over published points, " + report.monthly_file + " (" + model +
           (o.pool_series ? "; recalibrated from every series' errors" : "") + "):\n";
    auto fit_lines = [&](const std::string& what, const GrowthNoiseFit& f) {
      out += "    fit on " + what + " (" + std::to_string(f.increments) + " increments, " +
             std::to_string(f.series) + (f.series == 1 ? " series" : " series, one starting growth each") +
             "): volatility " + Fmt("%.3f", f.drift.volatility) + ", growth drift " +
             Fmt("%.3f", f.drift.growth_drift_sd) + " a month; log-likelihood " +
             Fmt("%.2f", f.drift.log_likelihood) + ", AIC " + Fmt("%.2f", f.drift.aic) + " against " +
             Fmt("%.2f", f.no_drift.aic) + " without drift (volatility " +
             Fmt("%.3f", f.no_drift.volatility) + ", log-likelihood " +
             Fmt("%.2f", f.no_drift.log_likelihood) +
             "): " + (f.drift_preferred ? "drift preferred" : "no drift preferred") + "\n";
      for (const SeriesGrowth& g : f.growth)
        out += "      " + g.name + ": growth " + Percent(g.first_growth) + " +- " +
               Percent(g.first_growth_sd) + " a month at the first increment, " + Percent(g.last_growth) +
               " +- " + Percent(g.last_growth_sd) + " after the last point\n";
    };
    if (report.monthly_pooled_fit) fit_lines("every point", *report.monthly_pooled_fit);
    for (size_t i = 0; i < report.monthly_series_fit.size() && i < report.monthly.size(); ++i) {
      if (report.monthly_series_fit[i])
        fit_lines(report.monthly[i].name + " alone", *report.monthly_series_fit[i]);
      else
        out += "    fit on " + report.monthly[i].name + " alone: too few increments\n";
    }
    for (const std::string& skipped : report.monthly_skipped)
      out += "    " + skipped + ": too few points, not backtested\n";
  }
  std::vector<const MonthlyBacktest*> monthly;
  for (const MonthlyBacktest& m : report.monthly) monthly.push_back(&m);
  if (report.monthly_all) monthly.push_back(&*report.monthly_all);
  for (const MonthlyBacktest* mp : monthly) {
    const MonthlyBacktest& m = *mp;
    const bool all = mp == (report.monthly_all ? &*report.monthly_all : nullptr);
    auto ym = [](int month) {
      char b[16];
      std::snprintf(b, sizeof b, "%04d-%02d", month / 12, month % 12 + 1);
      return std::string(b);
    };
    out += "    " + m.name + " (" + std::to_string(m.points) + " points, " +
           (all ? std::string("standardised errors pooled") : m.unit) + "; " + std::to_string(m.origins) +
           " origins):\n";
    for (const MonthlyBucket& b : m.buckets) {
      CalibrationScore model = b.raw, recal = b.calibrated;
      model.name = "    " + b.label + ", model";
      recal.name = "    " + b.label + ", recalibrated";
      row(model);
      row(recal);
      out += "        factor on the spread x" + Fmt("%.2f", b.mean_factor) + " (mean), " +
             std::to_string(b.origins) + (b.origins == 1 ? " origin" : " origins") +
             "; truths above the median " + Percent(b.above_median_share);
      if (b.uncalibrated_points > 0)
        out += "; " + std::to_string(b.uncalibrated_points) + " with too few earlier errors (x1)";
      out += "\n";
    }
    if (report.monthly_options.fit) {
      int fitted = 0;
      double vol = 0, drift = 0;
      for (const MonthlyForecast& f : m.forecasts)
        if (f.fitted) ++fitted, vol += f.volatility, drift += f.growth_drift_sd;
      out += "      fitted at the origin for " + std::to_string(fitted) + " of " +
             std::to_string(m.forecasts.size()) +
             " forecasts (the others: too few increments known, volatility " +
             Percent(report.monthly_options.volatility) + ", drift " +
             Percent(report.monthly_options.growth_drift_sd) + ")";
      if (fitted > 0)
        out += "; mean fitted volatility " + Fmt("%.3f", vol / fitted) + ", drift " +
               Fmt("%.3f", drift / fitted);
      out += "\n";
    }
    if (all) {
      out += "      a forecast after the last point would be widened x" + Fmt("%.2f", m.next_factor) +
             " (from " + std::to_string(m.next_errors) + " errors)\n";
      continue;
    }
    out += "      growth at the last origin (" +
           ym(m.forecasts.empty() ? 0 : m.forecasts.back().origin_month) + ") " +
           Percent(m.last_growth_mean) + " +- " + Percent(m.last_growth_sd) +
           " a month; a forecast after the last point would be widened x" + Fmt("%.2f", m.next_factor) +
           " (from " + std::to_string(m.next_errors) + " errors)\n";
  }
  out += "\ncoverage: share of truths inside the band; pinball: mean over P5..P95; CRPS of log demand.\n";
  if (!report.monthly.empty() && report.monthly_options.fit)
    out +=
        "monthly: a local linear trend (the growth a random walk), its volatility and drift fitted by\n"
        "maximum likelihood at each origin on the points known then, Kalman-filtered, Gaussian in log;\n"
        "recalibrated: its spread scaled by a split-conformal factor from the errors of earlier fitted\n"
        "forecasts whose target month is at or before the origin (per horizon bucket, else pooled).\n";
  else if (!report.monthly.empty())
    out +=
        "monthly: the spec's growth prior updated by the points up to each origin (as forecast --actuals),\n"
        "Gaussian in log; recalibrated: its spread scaled by a split-conformal factor from the errors of\n"
        "earlier forecasts whose target month is at or before the origin (per horizon bucket, else "
        "pooled).\n";
  if (!report.traces.empty())
    out +=
        "recalibrated: each origin's bands scaled by split-conformal factors from the errors of\n"
        "earlier forecasts whose target day ended before the origin (no look-ahead).\n";
  out += "seed " + std::to_string(report.seed) + "\n";
  return out;
}

std::string BacktestJson(const BacktestReport& report) {
  auto scores = [](const std::vector<CalibrationScore>& v) {
    ordered_json a = ordered_json::array();
    for (const auto& c : v) a.push_back(ScoreJson(c));
    return a;
  };
  ordered_json j;
  j["command"] = "backtest";
  j["seed"] = report.seed;
  j["spec"] = report.spec_file;
  j["scenarios"] = report.scenarios;
  j["truths"] = report.truths;
  j["synthetic"] = scores(report.synthetic);
  j["trace_file"] = report.trace_file;
  ordered_json traces = ordered_json::array();
  for (const TraceBacktest& t : report.traces) {
    ordered_json hs = ordered_json::array();
    for (const HorizonCalibration& h : t.horizons)
      hs.push_back({{"horizon_days", h.horizon_days},
                    {"origins", h.origins},
                    {"model", ScoreJson(h.raw)},
                    {"recalibrated", ScoreJson(h.calibrated)},
                    {"mean_factor_p25_p75", h.mean_factor[0]},
                    {"mean_factor_p10_p90", h.mean_factor[1]},
                    {"mean_factor_p5_p95", h.mean_factor[2]},
                    {"uncalibrated_points", h.uncalibrated_points},
                    {"calibrated_from_horizon_days", h.calibrated_from_horizon_days},
                    {"next_origin_factors", h.next_factor},
                    {"next_origin_factors_from_horizon_days", h.next_from_horizon_days},
                    {"next_origin_factor_errors", h.next_points}});
    traces.push_back({{"name", t.name},
                      {"days", t.days},
                      {"noise", t.noise == TraceNoiseModel::kDayLevelStudentT ? "day-t" : "ar1"},
                      {"horizons", hs}});
  }
  j["traces"] = traces;
  j["monthly_file"] = report.monthly_file;
  ordered_json monthly = ordered_json::array();
  std::vector<const MonthlyBacktest*> ms;
  for (const MonthlyBacktest& m : report.monthly) ms.push_back(&m);
  if (report.monthly_all) ms.push_back(&*report.monthly_all);
  for (const MonthlyBacktest* mp : ms) {
    const MonthlyBacktest& m = *mp;
    ordered_json bs = ordered_json::array();
    for (const MonthlyBucket& b : m.buckets)
      bs.push_back({{"horizon", b.label},
                    {"min_months", b.min_months},
                    {"max_months", b.max_months},
                    {"origins", b.origins},
                    {"model", ScoreJson(b.raw)},
                    {"recalibrated", ScoreJson(b.calibrated)},
                    {"mean_factor", b.mean_factor},
                    {"uncalibrated_points", b.uncalibrated_points},
                    {"above_median_share", b.above_median_share}});
    ordered_json fs = ordered_json::array();
    for (const MonthlyForecast& f : m.forecasts)
      fs.push_back({{"origin_month", f.origin_month},
                    {"target_month", f.target_month},
                    {"horizon_months", f.horizon_months},
                    {"truth_log", f.truth_log},
                    {"mean_log", f.mean_log},
                    {"sd_log", f.sd_log},
                    {"factor", f.factor},
                    {"calibrated", f.calibrated}});
    if (report.monthly_options.fit || report.monthly_options.growth_drift_sd > 0)
      for (size_t i = 0; i < m.forecasts.size(); ++i) {
        fs[i]["volatility"] = m.forecasts[i].volatility;
        fs[i]["growth_drift_sd"] = m.forecasts[i].growth_drift_sd;
        fs[i]["fitted"] = m.forecasts[i].fitted;
      }
    monthly.push_back({{"series", m.name},
                       {"unit", m.unit},
                       {"points", m.points},
                       {"origins", m.origins},
                       {"growth_prior_mean", report.monthly_options.growth_mean},
                       {"growth_prior_sd", report.monthly_options.growth_sd},
                       {"volatility", report.monthly_options.volatility},
                       {"last_growth_mean", m.last_growth_mean},
                       {"last_growth_sd", m.last_growth_sd},
                       {"next_factor", m.next_factor},
                       {"next_factor_errors", m.next_errors},
                       {"horizons", bs},
                       {"forecasts", fs}});
  }
  j["monthly"] = monthly;
  j["monthly_skipped"] = report.monthly_skipped;
  j["monthly_pool_series"] = report.monthly_options.pool_series;
  if (report.monthly_options.growth_drift_sd > 0)
    j["monthly_growth_drift_sd"] = report.monthly_options.growth_drift_sd;
  if (report.monthly_options.fit) {
    auto fit_json = [](const GrowthNoiseFit& f) {
      auto model = [](const GrowthNoiseModelFit& m) {
        return ordered_json{{"volatility", m.volatility},
                            {"growth_drift_sd", m.growth_drift_sd},
                            {"log_likelihood", m.log_likelihood},
                            {"parameters", m.parameters},
                            {"aic", m.aic}};
      };
      ordered_json g = ordered_json::array();
      for (const SeriesGrowth& s : f.growth)
        g.push_back({{"series", s.name},
                     {"increments", s.increments},
                     {"first_growth", s.first_growth},
                     {"first_growth_sd", s.first_growth_sd},
                     {"last_growth", s.last_growth},
                     {"last_growth_sd", s.last_growth_sd}});
      return ordered_json{{"increments", f.increments},
                          {"series", f.series},
                          {"drift", model(f.drift)},
                          {"no_drift", model(f.no_drift)},
                          {"drift_preferred", f.drift_preferred},
                          {"growth", g}};
    };
    j["monthly_fit"] = report.monthly_pooled_fit ? fit_json(*report.monthly_pooled_fit) : ordered_json();
    ordered_json per = ordered_json::array();
    for (const auto& f : report.monthly_series_fit) per.push_back(f ? fit_json(*f) : ordered_json());
    j["monthly_series_fit"] = per;
  }
  return j.dump(2) + "\n";
}

}  // namespace fungible
