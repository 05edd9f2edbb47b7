#include "forecast/demand_model.h"

#include <algorithm>
#include <cmath>
#include <cstdio>

#include "model/diagnostics.h"
#include "util/text.h"

namespace fungible {
namespace {

// A rate in log points per month above `limit` is almost surely a percentage.
void CheckRate(Diagnostics& p, const SourceLoc& loc, const std::string& field, double v, double limit,
               bool allow_negative) {
  if (!std::isfinite(v)) {
    p.Add(loc, field, "expected a finite number, got " + Fmt("%g", v));
  } else if (!allow_negative && v < 0) {
    p.Add(loc, field, "expected a number >= 0, got " + Fmt("%g", v));
  } else if (std::fabs(v) > limit) {
    p.Add(loc, field,
          "expected a monthly log rate such as 0.05 (about 5% a month), got " + Fmt("%g", v) +
              ": is it written in percent?");
  }
}

// Month index from which an event dated `date` acts on a tier anchored at
// `anchor`: the calendar month containing it, but never before the month
// after the anchor (the level at as_of does not include it yet).
int EffectMonth(UtcSeconds start_month, int anchor, UtcSeconds date) {
  return std::max(MonthsBetween(start_month, date), anchor + 1);
}

// Validates an event date: strictly after as_of, not after the last month.
void CheckEventDate(Diagnostics& p, const SourceLoc& loc, const std::string& field, UtcSeconds date,
                    UtcSeconds as_of, const DemandModel& m, const char* what_as_of) {
  const UtcSeconds end = m.MonthStart(m.horizon_months + 1);
  if (date <= as_of) {
    p.Add(loc, field,
          FormatDate(date) + " is not after the " + what_as_of + " " + FormatDate(as_of) +
              ": the starting level already includes it; drop it or move it after " + FormatDate(as_of));
  } else if (date >= end) {
    p.Add(loc, field,
          FormatDate(date) + " is outside the forecast horizon: the last month is " +
              FormatMonth(m.MonthStart(m.horizon_months)) + " (horizon_months " +
              std::to_string(m.horizon_months) + " from " + FormatMonth(m.start_month) + ")");
  }
}

// Compiles the growth block into `tier`; problems go to `p`.
void CompileGrowth(Diagnostics& p, const GrowthModel& g, const std::string& field, TierModel& tier,
                   const DemandModel& m) {
  const SourceLoc& loc = tier.loc;
  CheckRate(p, loc, field + ".monthly_log_growth_mean", g.monthly_log_growth_mean, 1.0, true);
  CheckRate(p, loc, field + ".monthly_log_growth_sd", g.monthly_log_growth_sd, 1.0, false);
  CheckRate(p, loc, field + ".monthly_volatility", g.monthly_volatility, 1.0, false);
  CheckRate(p, loc, field + ".monthly_growth_drift_sd", g.monthly_growth_drift_sd, 1.0, false);
  if (!(g.shared_factor_loading >= 0 && g.shared_factor_loading <= 1))
    p.Add(loc, field + ".shared_factor_loading",
          "expected a loading in [0, 1], got " + Fmt("%g", g.shared_factor_loading));
  if (g.saturation_multiple && !(*g.saturation_multiple > 1 && std::isfinite(*g.saturation_multiple)))
    p.Add(
        loc, field + ".saturation_multiple",
        "expected a ceiling above today's level (a multiple > 1), got " + Fmt("%g", *g.saturation_multiple));
  if (!std::isfinite(g.price_elasticity) || std::fabs(g.price_elasticity) > 20)
    p.Add(loc, field + ".price_elasticity",
          "expected an elasticity such as -1.5 (between -20 and 20), got " + Fmt("%g", g.price_elasticity));

  tier.growth_mean = g.monthly_log_growth_mean;
  tier.growth_sd = g.monthly_log_growth_sd;
  tier.volatility = g.monthly_volatility;
  tier.growth_drift_sd = g.monthly_growth_drift_sd;
  tier.loading = g.shared_factor_loading;
  if (g.saturation_multiple) tier.ceiling_multiple = *g.saturation_multiple;
  tier.elasticity = g.price_elasticity;

  const char* what_as_of = tier.kind == TierKind::kServing ? "demand's as_of" : "forecast start";
  for (size_t k = 0; k < g.launches.size(); ++k) {
    const LaunchJump& j = g.launches[k];
    const std::string f = field + ".launches[" + std::to_string(k) + "]";
    if (!(j.multiplier_median > 0 && std::isfinite(j.multiplier_median)))
      p.Add(loc, f + ".multiplier_median",
            "expected a multiplier > 0, got " + Fmt("%g", j.multiplier_median));
    if (!(j.multiplier_log_sd >= 0 && j.multiplier_log_sd <= 5))
      p.Add(loc, f + ".multiplier_log_sd",
            "expected a log standard deviation in [0, 5], got " + Fmt("%g", j.multiplier_log_sd));
    CheckEventDate(p, loc, f + ".date", j.date, tier.as_of, m, what_as_of);
    TierLaunch l;
    l.date = j.date;
    l.month = EffectMonth(m.start_month, tier.anchor_month, j.date);
    l.log_multiplier_median = j.multiplier_median > 0 ? std::log(j.multiplier_median) : 0;
    l.log_multiplier_sd = j.multiplier_log_sd;
    tier.launches.push_back(l);
  }
  std::stable_sort(tier.launches.begin(), tier.launches.end(),
                   [](const TierLaunch& a, const TierLaunch& b) { return a.month < b.month; });

  tier.log_price_factor.assign(static_cast<size_t>(m.horizon_months) + 1, 0.0);
  for (size_t k = 0; k < g.price_changes.size(); ++k) {
    const PriceChange& c = g.price_changes[k];
    const std::string f = field + ".price_changes[" + std::to_string(k) + "]";
    if (!(c.price_change_fraction > -1 && c.price_change_fraction <= 100))
      p.Add(loc, f + ".price_change_fraction",
            "expected a fraction above -1 (e.g. -0.5 halves the price), got " +
                Fmt("%g", c.price_change_fraction));
    CheckEventDate(p, loc, f + ".date", c.date, tier.as_of, m, what_as_of);
    if (c.price_change_fraction <= -1) continue;
    const int from = std::max(EffectMonth(m.start_month, tier.anchor_month, c.date), 0);
    for (int t = from; t <= m.horizon_months; ++t)
      tier.log_price_factor[static_cast<size_t>(t)] += std::log1p(c.price_change_fraction);
  }
}

void CheckShape(Diagnostics& p, const SourceLoc& loc, const std::string& field,
                const std::vector<double>& shape, size_t want) {
  if (shape.empty()) return;
  if (shape.size() != want) {
    p.Add(loc, field,
          "expected " + std::to_string(want) + " multipliers, got " + std::to_string(shape.size()));
    return;
  }
  double sum = 0;
  for (size_t i = 0; i < shape.size(); ++i) {
    if (!(shape[i] >= 0 && std::isfinite(shape[i]))) {
      p.Add(loc, field + "[" + std::to_string(i) + "]",
            "expected a multiplier >= 0, got " + Fmt("%g", shape[i]));
      return;
    }
    sum += shape[i];
  }
  if (sum <= 0) p.Add(loc, field, "every multiplier is 0: the shape must have some demand");
}

}  // namespace

const char* TierKindName(TierKind k) { return k == TierKind::kServing ? "serving" : "class"; }

ForecastOptions ForecastOptionsFromSpec(const Fleet& fleet) {
  ForecastOptions o;
  o.scenarios = fleet.forecast.scenarios;
  o.horizon_months = fleet.forecast.horizon_months;
  o.seed = fleet.forecast.seed;
  o.start = fleet.forecast.start;
  return o;
}

int DemandModel::FindTier(const std::string& id) const {
  for (size_t i = 0; i < tiers.size(); ++i)
    if (tiers[i].id == id) return static_cast<int>(i);
  return -1;
}

int DemandModel::num_latents() const {
  int n = 1;
  for (const auto& t : tiers) n += 1 + static_cast<int>(t.launches.size());
  return n;
}

StatusOr<DemandModel> BuildDemandModel(const Fleet& fleet, const ForecastOptions& options) {
  Diagnostics p(fleet.file);
  const SourceLoc nowhere;
  if (options.scenarios < 1 || options.scenarios > 50'000'000)
    p.Add(nowhere, "forecast.scenarios",
          "expected between 1 and 50000000 scenarios, got " + std::to_string(options.scenarios));
  if (options.horizon_months < 1 || options.horizon_months > 1200)
    p.Add(nowhere, "forecast.horizon_months",
          "expected between 1 and 1200 months, got " + std::to_string(options.horizon_months));
  if (fleet.demand.empty() && fleet.class_growth.empty())
    p.Add(nowhere, "demand",
          "nothing to forecast: the spec has no demand[] entries and no growth for classes");
  UtcSeconds start = options.start;
  if (start == 0) {
    for (const auto& d : fleet.demand)
      if (start == 0 || d.as_of < start) start = d.as_of;
  }
  if (start == 0 && !fleet.demand.empty()) start = fleet.demand.front().as_of;
  if (start == 0 && fleet.demand.empty() && !fleet.class_growth.empty())
    p.Add(nowhere, "forecast.start", "required when the spec has growth for classes but no demand[]");
  if (!p.empty()) return Status::FromDiagnostics(p.Sorted());

  DemandModel m;
  m.spec_file = fleet.file;
  m.start_month = StartOfMonth(start);
  m.horizon_months = options.horizon_months;

  for (size_t k = 0; k < fleet.demand.size(); ++k) {
    const ServingDemand& d = fleet.demand[k];
    TierModel t;
    t.kind = TierKind::kServing;
    t.id = d.model;
    t.field = "demand[" + std::to_string(k) + "]";
    t.loc = d.loc;
    t.as_of = d.as_of;
    t.anchor_month = MonthsBetween(m.start_month, d.as_of);
    if (m.FindTier(d.model) >= 0)
      p.Add(d.loc, t.field + ".model", "a second demand entry for model \"" + d.model + "\"");
    const ServedModel* model = fleet.FindModel(d.model);
    if (model == nullptr) {
      std::string known;
      for (const auto& mm : fleet.models) known += (known.empty() ? "" : ", ") + mm.id;
      p.Add(d.loc, t.field + ".model",
            "unknown model \"" + d.model + "\"" + (known.empty() ? "" : " (models: " + known + ")"));
    } else {
      t.usd_per_output_token = model->usd_per_output_token();
    }
    if (!(d.output_tokens_per_hour > 0 && std::isfinite(d.output_tokens_per_hour)))
      p.Add(d.loc, t.field + ".output_tokens_per_hour",
            "expected a level > 0 (log-demand needs a positive start), got " +
                Fmt("%g", d.output_tokens_per_hour));
    t.level_per_hour = d.output_tokens_per_hour;
    if (t.anchor_month > m.horizon_months)
      p.Add(d.loc, t.field + ".as_of",
            FormatDate(d.as_of) + " is after the last forecast month " +
                FormatMonth(m.MonthStart(m.horizon_months)));
    CheckShape(p, d.loc, t.field + ".diurnal_shape", d.diurnal_shape, 24);
    CheckShape(p, d.loc, t.field + ".weekly_shape", d.weekly_shape, 7);
    if (!(d.hourly_noise_log_sd >= 0 && d.hourly_noise_log_sd <= 3))
      p.Add(d.loc, t.field + ".hourly_noise_log_sd",
            "expected a log standard deviation in [0, 3], got " + Fmt("%g", d.hourly_noise_log_sd));
    if (!(d.hourly_noise_autocorrelation > -1 && d.hourly_noise_autocorrelation < 1))
      p.Add(d.loc, t.field + ".hourly_noise_autocorrelation",
            "expected an autocorrelation in (-1, 1), got " + Fmt("%g", d.hourly_noise_autocorrelation));
    if (!(d.daily_level_log_sd >= 0 && d.daily_level_log_sd <= 3))
      p.Add(d.loc, t.field + ".daily_level_log_sd",
            "expected a log standard deviation in [0, 3], got " + Fmt("%g", d.daily_level_log_sd));
    if (!(d.daily_level_autocorrelation >= 0 && d.daily_level_autocorrelation < 1))
      p.Add(d.loc, t.field + ".daily_level_autocorrelation",
            "expected an autocorrelation in [0, 1), got " + Fmt("%g", d.daily_level_autocorrelation));
    t.diurnal_shape = d.diurnal_shape;
    t.weekly_shape = d.weekly_shape;
    t.daily_level_log_sd = d.daily_level_log_sd;
    t.daily_level_autocorrelation = d.daily_level_autocorrelation;
    t.hourly_noise_log_sd = d.hourly_noise_log_sd;
    t.hourly_noise_autocorrelation = d.hourly_noise_autocorrelation;
    const bool factors_ok = d.hourly_band_factors.empty() ||
                            (d.hourly_band_factors.size() == 3 &&
                             std::all_of(d.hourly_band_factors.begin(), d.hourly_band_factors.end(),
                                         [](double f) { return f > 0 && f <= 10; }));
    if (!factors_ok)
      p.Add(d.loc, t.field + ".hourly_band_factors",
            "expected 3 factors in (0, 10] (P25-P75, P10-P90, P5-P95), got " +
                std::to_string(d.hourly_band_factors.size()) + " numbers");
    else if (!d.hourly_band_factors.empty())
      SetHourlyBandFactors(t, {d.hourly_band_factors[0], d.hourly_band_factors[1], d.hourly_band_factors[2]},
                           d.hourly_band_factors_source);
    CompileGrowth(p, d.growth, t.field + ".growth", t, m);
    m.tiers.push_back(std::move(t));
  }
  for (size_t k = 0; k < fleet.class_growth.size(); ++k) {
    const ClassGrowth& c = fleet.class_growth[k];
    TierModel t;
    t.kind = TierKind::kClass;
    t.id = c.workload;
    t.field = "class_growth[" + std::to_string(k) + "]";
    t.loc = c.loc;
    t.as_of = m.start_month;
    t.anchor_month = 0;
    if (fleet.FindWorkload(c.workload) == nullptr)
      p.Add(c.loc, t.field + ".workload", "unknown workload \"" + c.workload + "\"");
    if (m.FindTier(c.workload) >= 0)
      p.Add(c.loc, t.field + ".workload", "\"" + c.workload + "\" already names another forecast tier");
    CompileGrowth(p, c.growth, t.field + ".growth", t, m);
    m.tiers.push_back(std::move(t));
  }
  if (!p.empty()) return Status::FromDiagnostics(p.Sorted());
  for (const auto& t : m.tiers) m.first_month = std::min(m.first_month, t.anchor_month + 1);
  return m;
}

double HourlyBandFactor(const std::array<double, 3>& factors, double r) {
  static constexpr double kBands[3] = {0.50, 0.80, 0.90};
  const double l = std::erf(r / std::sqrt(2.0));
  if (l <= kBands[0]) return factors[0];
  if (l <= kBands[1])
    return factors[0] + (factors[1] - factors[0]) * (l - kBands[0]) / (kBands[1] - kBands[0]);
  if (l <= kBands[2])
    return factors[1] + (factors[2] - factors[1]) * (l - kBands[1]) / (kBands[2] - kBands[1]);
  return factors[2];
}

void SetHourlyBandFactors(TierModel& tier, const std::array<double, 3>& factors, std::string source) {
  tier.hourly_band_factors = factors;
  tier.hourly_band_factors_source = std::move(source);
  tier.band_scale.clear();
  tier.band_scale_shift = 0;
  if (factors == std::array<double, 3>{1, 1, 1}) return;
  constexpr double kMaxR = 8.0;
  for (double r = 0; r <= kMaxR + kBandScaleStep / 2; r += kBandScaleStep)
    tier.band_scale.push_back(HourlyBandFactor(factors, r));
  // E exp(f(|Z|) Z sd) over Z ~ N(0, 1), sd the noise's total: the shift
  // that keeps a month's expected total its monthly tokens.
  const double sd = std::sqrt(tier.hourly_noise_log_sd * tier.hourly_noise_log_sd +
                              tier.daily_level_log_sd * tier.daily_level_log_sd);
  constexpr double kDz = 1.0 / 512;
  double sum = 0, norm = 0;
  for (double z = -kMaxR; z <= kMaxR; z += kDz) {
    const double w = std::exp(-0.5 * z * z);
    sum += w * std::exp(HourlyBandFactor(factors, std::fabs(z)) * z * sd);
    norm += w;
  }
  tier.band_scale_shift = -std::log(sum / norm);
}

double ThroughputMultiplierAt(const Fleet& fleet, const ServedModel& model, UtcSeconds t) {
  const ServingDemand* d = fleet.FindDemand(model.id);
  if (d == nullptr) return 1.0;
  double mult = 1.0;
  for (const auto& l : d->growth.launches)
    if (l.date <= t) mult *= l.throughput_multiplier;
  constexpr double kHoursPerMonth = 730.0;  // 8760 / 12
  const double months = std::max(0.0, static_cast<double>(t - d->as_of) / kSecondsPerHour / kHoursPerMonth);
  return mult * std::exp(std::log1p(model.efficiency_gain_per_month) * months);
}

}  // namespace fungible
