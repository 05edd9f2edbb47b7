#include "simulate/demand.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <limits>
#include <map>
#include <span>

#include "forecast/demand_model.h"
#include "forecast/hourly.h"
#include "forecast/profile.h"
#include "forecast/scenarios.h"
#include "util/csv.h"
#include "util/text.h"

namespace fungible {
namespace {

// Forecast decay for a replayed trace when the spec gives no autocorrelation:
// real traffic deviates from a fitted shape persistently.
constexpr double kTraceAutocorrelation = 0.9;

// "2023-11-16 18:17:03.9799600" -> seconds (fraction dropped), or nullopt.
std::optional<UtcSeconds> ParseTraceTimestamp(const std::string& s) {
  if (s.size() < 19 || s[10] != ' ') return std::nullopt;
  auto t = ParseUtc(s.substr(0, 10) + "T" + s.substr(11, 8) + "Z");
  if (!t.ok()) return std::nullopt;
  for (size_t i = 19; i < s.size(); ++i)
    if (!(s[i] == '.' && i == 19) && !(s[i] >= '0' && s[i] <= '9')) return std::nullopt;
  return *t;
}

// The Azure request trace's timestamps must parse and never go back in time:
// a shuffled file is a broken export, not a token mix.
Status CheckRequestTraceTimestamps(const std::string& path) {
  auto table = ReadCsv(path);
  if (!table.ok()) return table.status();
  auto col = table->Column("TIMESTAMP");
  if (!col) return Status::Ok();  // the token mix needs only the token columns
  std::vector<Diagnostic> diags;
  std::optional<double> prev;
  for (size_t r = 0; r < table->rows.size() && diags.size() < 10; ++r) {
    const std::string& cell = table->rows[r][*col];
    auto t = ParseTraceTimestamp(cell);
    if (!t) {
      diags.push_back(table->At(r, *col, "TIMESTAMP",
                                "expected a time YYYY-MM-DD HH:MM:SS[.fraction], got \"" + cell + "\""));
      continue;
    }
    double frac = 0;
    if (cell.size() > 20) frac = std::stod("0" + cell.substr(19));
    const double v = static_cast<double>(*t) + frac;
    if (prev && v < *prev)
      diags.push_back(table->At(
          r, *col, "TIMESTAMP",
          "timestamps must not decrease (rows sorted by arrival), got " + cell + " after a later one"));
    prev = v;
  }
  if (!diags.empty()) return Status::FromDiagnostics(std::move(diags));
  return Status::Ok();
}

// The trace for `model` (tier `tier`): same name, else one whose name carries
// the tier ("m-large" for large, "m-mid" for medium), else the only trace.
const RateTrace* MatchTrace(const std::vector<RateTrace>& traces, const ServedModel& model) {
  for (const auto& t : traces)
    if (t.name == model.id) return &t;
  std::vector<std::string> words = {model.tier};
  if (model.tier == "medium") words.push_back("mid");
  for (const auto& w : words)
    for (const auto& t : traces) {
      const std::string n = t.name;
      const size_t at = n.find(w);
      // The tier as a word of the name: m-large, large-v2, m_small.
      if (at == std::string::npos) continue;
      const bool left = at == 0 || n[at - 1] == '-' || n[at - 1] == '_';
      const bool right = at + w.size() == n.size() || n[at + w.size()] == '-' || n[at + w.size()] == '_';
      if (left && right) return &t;
    }
  if (traces.size() == 1) return &traces[0];
  return nullptr;
}

// Requests per trace hour over one tile, all-zero (or absent) windows filled
// from the same time of day on the other days.
struct TraceHours {
  std::vector<double> requests;  // per hour of the tile
  int imputed = 0;
};

StatusOr<TraceHours> HourlyRequests(const RateTrace& t) {
  if (!(t.window_s > 0 && t.window_s <= 3600 && std::fmod(3600.0, t.window_s) == 0))
    return Status::Invalid(t.source + ": trace " + t.name + ": windows of " + std::to_string(t.window_s) +
                           " s do not divide an hour");
  const int per_hour = static_cast<int>(std::lround(3600.0 / t.window_s));
  const double first = t.time_s.front();
  const size_t n_windows = static_cast<size_t>(std::llround((t.time_s.back() - first) / t.window_s)) + 1;
  const size_t hours = (n_windows + static_cast<size_t>(per_hour) - 1) / static_cast<size_t>(per_hour);
  const size_t slots = hours * static_cast<size_t>(per_hour);
  std::vector<double> rate(slots, 0.0);
  for (size_t i = 0; i < t.time_s.size(); ++i) {
    const double pos = (t.time_s[i] - first) / t.window_s;
    if (std::fabs(pos - std::round(pos)) > 1e-6)
      return Status::Invalid(t.source + ": trace " + t.name + ": window at " + std::to_string(t.time_s[i]) +
                             " s is off the " + std::to_string(t.window_s) + " s grid");
    rate[static_cast<size_t>(std::llround(pos))] = t.rate[i];
  }
  // Fill gaps from the same slot of other days.
  const size_t per_day = static_cast<size_t>(24 * per_hour);
  TraceHours out;
  std::vector<double> filled = rate;
  for (size_t s = 0; s < slots; ++s) {
    if (rate[s] > 0) continue;
    double sum = 0;
    int n = 0;
    for (size_t o = s % per_day; o < slots; o += per_day)
      if (rate[o] > 0) sum += rate[o], ++n;
    if (n > 0) {
      filled[s] = sum / n;
      ++out.imputed;
    }
  }
  out.requests.assign(hours, 0.0);
  for (size_t s = 0; s < slots; ++s)
    out.requests[s / static_cast<size_t>(per_hour)] += filled[s] * t.window_s;
  return out;
}

// A one-scenario set holding the month-by-month quantile q of `set` (the
// element of rank floor(q x scenarios): the median for q = 0.5).
ScenarioSet QuantileSet(const DemandModel& dm, const ScenarioSet& set, double q) {
  ScenarioSet med;
  med.scenarios = 1;
  med.horizon_months = set.horizon_months;
  med.num_tiers = set.num_tiers;
  med.seed = set.seed;
  med.latents.assign(static_cast<size_t>(dm.num_latents()), 0.0);
  med.log_multiple.resize(static_cast<size_t>(set.num_tiers) * set.horizon_months);
  std::vector<double> col(static_cast<size_t>(set.scenarios));
  for (int s = 0; s < set.num_tiers; ++s)
    for (int month = 1; month <= set.horizon_months; ++month) {
      const double* c = set.Column(s, month);
      col.assign(c, c + set.scenarios);
      const size_t rank = std::min(col.size() - 1, static_cast<size_t>(std::floor(q * col.size())));
      auto mid = col.begin() + static_cast<std::ptrdiff_t>(rank);
      std::nth_element(col.begin(), mid, col.end());
      med.MutableColumn(s, month)[0] = *mid;
    }
  return med;
}

}  // namespace

StatusOr<DemandChoice> ParseDemandChoice(std::string_view text) {
  DemandChoice c;
  c.text = std::string(text);
  if (text == "P50" || text == "p50") {
    c.kind = DemandChoice::Kind::kP50;
    c.text = "P50";
    return c;
  }
  const std::string_view random = "random:", trace = "trace:";
  if (text.substr(0, random.size()) == random) {
    const std::string digits(text.substr(random.size()));
    if (digits.empty() || digits.size() > 19 || digits.find_first_not_of("0123456789") != std::string::npos)
      return Status::Invalid("--scenario: expected random:SEED with SEED a non-negative integer, got \"" +
                             std::string(text) + "\"");
    c.kind = DemandChoice::Kind::kRandom;
    c.seed = std::stoull(digits);
    return c;
  }
  if (text.substr(0, trace.size()) == trace && text.size() > trace.size()) {
    c.kind = DemandChoice::Kind::kTrace;
    c.trace_file = std::string(text.substr(trace.size()));
    return c;
  }
  return Status::Invalid("--scenario: expected P50, random:SEED or trace:FILE, got \"" + std::string(text) +
                         "\"");
}

StatusOr<DemandChoice> QuantileChoice(double q) {
  if (!(q > 0 && q < 1))
    return Status::Invalid("--quantile: expected a quantile in (0, 1), e.g. 0.9, got " + Fmt("%g", q));
  DemandChoice c;
  c.kind = DemandChoice::Kind::kP50;
  c.quantile = q;
  char name[32];
  std::snprintf(name, sizeof name, "P%g", q * 100);
  c.text = name;
  return c;
}

namespace {

// Whether Forecast(m, h, .) conditions on a deviation: hour h - 1 was
// observed, and both it and its expected hour are positive.
bool ObservedDeviation(const DemandPaths& p, int m, int h) {
  if (h <= 0) return false;
  return p.realised_tokens[static_cast<size_t>(m)][static_cast<size_t>(h - 1)] > 0 &&
         p.expected_tokens[static_cast<size_t>(m)][static_cast<size_t>(h - 1)] > 0;
}

// UTC day of hour h of the paths (the day level's steps: hourly.h).
std::int64_t UtcDay(const DemandPaths& p, int h) {
  const std::int64_t t = p.start + static_cast<std::int64_t>(h) * kSecondsPerHour;
  constexpr std::int64_t kDay = 24 * kSecondsPerHour;
  return t >= 0 ? t / kDay : -((-t + kDay - 1) / kDay);
}

}  // namespace

double DemandPaths::Forecast(int m, int h, int k) const {
  const auto& exp = expected_tokens[static_cast<size_t>(m)];
  const double base = exp[static_cast<size_t>(h + k)];
  const double median = noise_log_median[static_cast<size_t>(m)];
  if (base <= 0) return base;
  if (!ObservedDeviation(*this, m, h)) return median == 0 ? base : base * std::exp(median);
  const double seen = realised_tokens[static_cast<size_t>(m)][static_cast<size_t>(h - 1)];
  const double was = exp[static_cast<size_t>(h - 1)];
  const double phi = noise_autocorrelation[static_cast<size_t>(m)];
  if (median == 0) return base * std::exp(std::pow(phi, k + 1) * std::log(seen / was));
  return base * std::exp(median + std::pow(phi, k + 1) * (std::log(seen / was) - median));
}

double DemandPaths::PlanningBandFactor(int m, double z) const {
  const auto& f = band_factors[static_cast<size_t>(m)];
  if (f == std::array<double, 3>{1, 1, 1}) return 1.0;
  return HourlyBandFactor(f, std::fabs(z));
}

double DemandPaths::PlanningForecast(int m, int h, int k, double z) const {
  const double f = Forecast(m, h, k);
  const double sd = noise_log_sd[static_cast<size_t>(m)];
  const double sd_d = day_level_log_sd[static_cast<size_t>(m)];
  if (f <= 0 || (sd <= 0 && sd_d <= 0) || z == 0) return f;
  const double phi = noise_autocorrelation[static_cast<size_t>(m)];
  // The hourly part: the AR(1) error of k + 1 hours ahead. (At an hour with
  // nothing observed before it, e.g. the run's first, Forecast has no
  // deviation to decay and the whole sd s would be right; this keeps the
  // conditioned form there, as simulate always has.)
  double error_sd = sd * std::sqrt(std::max(0.0, 1.0 - std::pow(phi, 2.0 * (k + 1))));
  if (sd_d > 0) {
    // The day level is not estimated apart from the hours: Forecast decays
    // the whole last deviation (hours and day level together) by
    // a = phi^(k+1), so the day level's share of its error is
    // D(h + k) - a D(h - 1), with variance s_D^2 (1 + a^2 - 2 a rho^d) for d
    // UTC days between them: (1 - a)^2 s_D^2 within the same day, where the
    // level persists but the forecast lets it fade; s_D^2 with nothing
    // observed (a = 0).
    const double a = ObservedDeviation(*this, m, h) ? std::pow(phi, k + 1) : 0.0;
    const double rho = day_level_autocorrelation[static_cast<size_t>(m)];
    const double c = std::pow(rho, static_cast<double>(UtcDay(*this, h + k) - UtcDay(*this, h - 1)));
    const double day_var = sd_d * sd_d * std::max(0.0, 1.0 + a * a - 2.0 * a * c);
    error_sd = std::sqrt(error_sd * error_sd + day_var);
  }
  return f * std::exp(z * PlanningBandFactor(m, z) * error_sd);
}

StatusOr<DemandPaths> BuildDemandPaths(const Fleet& fleet, const DemandChoice& choice, UtcSeconds start,
                                       int hours, const std::string& token_mix_file) {
  if (hours <= 0) return Status::Invalid("simulation needs at least one hour");
  DemandPaths out;
  out.choice = choice;
  out.start = start;
  out.hours = hours;
  const size_t M = fleet.models.size(), W = fleet.workloads.size(), H = static_cast<size_t>(hours);
  for (const auto& m : fleet.models) out.model_ids.push_back(m.id);
  out.realised_tokens.assign(M, std::vector<double>(H, 0.0));
  out.expected_tokens.assign(M, std::vector<double>(H, 0.0));
  out.noise_log_sd.assign(M, 0.0);
  out.noise_autocorrelation.assign(M, 0.0);
  out.day_level_log_sd.assign(M, 0.0);
  out.day_level_autocorrelation.assign(M, 0.0);
  out.band_factors.assign(M, {1, 1, 1});
  out.noise_log_median.assign(M, 0.0);
  out.usd_per_output_token.assign(M, std::vector<double>(H, 0.0));
  out.throughput_multiplier.assign(M, std::vector<double>(H, 1.0));
  out.class_demand_multiple.assign(W, std::vector<double>(H, 1.0));
  const UtcSeconds end = start + static_cast<UtcSeconds>(hours) * kSecondsPerHour;

  // Token mix of a replayed trace.
  std::optional<TokenMix> mix;
  if (choice.kind == DemandChoice::Kind::kTrace && !token_mix_file.empty()) {
    FUNGIBLE_RETURN_IF_ERROR(CheckRequestTraceTimestamps(token_mix_file));
    auto tm = ReadTokenMix(token_mix_file);
    if (!tm.ok()) return tm.status();
    if (!(tm->output_tokens > 0))
      return Status::Invalid(token_mix_file + ": the requests generate no output tokens");
    mix = *tm;
  }
  for (size_t m = 0; m < M; ++m) {
    ServedModel model = fleet.models[m];
    if (mix) model.input_tokens_per_output_token = mix->input_tokens_per_output_token;
    for (size_t h = 0; h < H; ++h) out.usd_per_output_token[m][h] = model.usd_per_output_token();
  }

  if (fleet.demand.empty() && fleet.class_growth.empty()) return out;  // nothing to serve or grow

  // The demand model: month 1 is the run's first month; it reaches past the
  // run (look-ahead, launches credited later) and every dated event of the spec.
  ForecastOptions fo;
  fo.threads = 1;
  fo.seed = fleet.forecast.seed;
  fo.start = AddMonths(StartOfMonth(start), -1);
  UtcSeconds last = end;
  for (const auto& d : fleet.demand) {
    for (const auto& l : d.growth.launches) last = std::max(last, l.date);
    for (const auto& p : d.growth.price_changes) last = std::max(last, p.date);
  }
  for (const auto& c : fleet.class_growth) {
    for (const auto& l : c.growth.launches) last = std::max(last, l.date);
    for (const auto& p : c.growth.price_changes) last = std::max(last, p.date);
  }
  fo.horizon_months = MonthsBetween(fo.start, last) + 1;
  auto built = BuildDemandModel(fleet, fo);
  if (!built.ok()) return built.status();
  const DemandModel& dm = *built;

  ScenarioSet set;
  if (choice.kind == DemandChoice::Kind::kRandom) {
    fo.scenarios = 1;
    fo.seed = choice.seed;
    set = GenerateScenarios(dm, fo);
  } else {
    fo.scenarios = std::clamp(fleet.forecast.scenarios, 1, kQuantilePathScenarios);
    set = QuantileSet(dm, GenerateScenarios(dm, fo), choice.quantile);
  }
  // Launch multipliers of this scenario (P50: the medians).
  std::vector<double> growth(dm.tiers.size());
  size_t n_launches = 0;
  for (const auto& t : dm.tiers) n_launches += t.launches.size();
  std::vector<double> launch_log(n_launches);
  ParamsFromLatents(dm, set.latents.data(), growth.data(), launch_log.data());

  // Hours of months 1..N, then the run's slice of them.
  const int N = dm.horizon_months;
  const std::int64_t all_hours = HoursInMonths(dm, 1, N);
  const std::int64_t offset = (start - dm.MonthStart(1)) / kSecondsPerHour;
  DemandModel quiet = dm;  // the scenario's expected hour: no hourly or day-level noise
  for (auto& t : quiet.tiers) t.hourly_noise_log_sd = t.daily_level_log_sd = 0;
  std::vector<double> noisy(static_cast<size_t>(all_hours)), smooth(static_cast<size_t>(all_hours));
  auto month_of = [&](size_t h) {
    return std::clamp(MonthsBetween(dm.start_month, start + static_cast<UtcSeconds>(h) * kSecondsPerHour), 1,
                      N);
  };

  // Trace replay.
  std::vector<RateTrace> traces;
  if (choice.kind == DemandChoice::Kind::kTrace) {
    auto read = ReadRateTraces(choice.trace_file);
    if (!read.ok()) return read.status();
    traces = std::move(*read);
    out.trace.file = choice.trace_file;
    out.trace.token_mix_file = token_mix_file;
  }

  size_t launch_at = 0;
  for (int s = 0; s < dm.num_tiers(); ++s) {
    const TierModel& tier = dm.tiers[static_cast<size_t>(s)];
    const size_t first_launch = launch_at;
    launch_at += tier.launches.size();
    if (tier.kind == TierKind::kClass) {
      for (size_t w = 0; w < W; ++w)
        if (fleet.workloads[w].id == tier.id)
          for (size_t h = 0; h < H; ++h)
            out.class_demand_multiple[w][h] = std::exp(set.LogMultiple(s, month_of(h), 0));
      continue;
    }
    size_t m = 0;
    while (m < M && fleet.models[m].id != tier.id) ++m;
    if (m == M) continue;
    const ServedModel& model = fleet.models[m];
    const ServingDemand* d = fleet.FindDemand(model.id);
    out.noise_autocorrelation[m] = tier.hourly_noise_autocorrelation;
    // A random scenario's hours carry the spec's noise (hours, day level, band
    // factors); the planner forecasts with the same.
    if (choice.kind == DemandChoice::Kind::kRandom) {
      out.noise_log_sd[m] = tier.hourly_noise_log_sd;
      out.day_level_log_sd[m] = tier.daily_level_log_sd;
      out.day_level_autocorrelation[m] = tier.daily_level_autocorrelation;
      // The hours' log median (hourly.h): -(s^2 + s_D^2) / 2, or the
      // recalibration's shift; less the -s^2 / 2 Forecast leaves out.
      out.noise_log_median[m] = -0.5 * tier.daily_level_log_sd * tier.daily_level_log_sd;
      if ((tier.hourly_noise_log_sd > 0 || tier.daily_level_log_sd > 0) && tier.hourly_recalibrated()) {
        out.band_factors[m] = tier.hourly_band_factors;
        out.noise_log_median[m] =
            tier.band_scale_shift + 0.5 * tier.hourly_noise_log_sd * tier.hourly_noise_log_sd;
        out.hourly_recalibration.push_back(
            {model.id, tier.hourly_band_factors, tier.hourly_band_factors_source});
      }
    }
    ExpandHourly(quiet, set, s, 0, 1, N, smooth);
    // P50 is the median path itself; a random scenario adds its hourly noise.
    if (choice.kind == DemandChoice::Kind::kRandom)
      ExpandHourly(dm, set, s, 0, 1, N, noisy);
    else
      noisy = smooth;
    for (size_t h = 0; h < H; ++h) {
      const UtcSeconds t = start + static_cast<UtcSeconds>(h) * kSecondsPerHour;
      if (t < model.launch) continue;
      out.realised_tokens[m][h] = noisy[static_cast<size_t>(offset) + h];
      out.expected_tokens[m][h] = smooth[static_cast<size_t>(offset) + h];
    }
    // Prices: the listed price changes in effect by month.
    for (size_t h = 0; h < H; ++h)
      out.usd_per_output_token[m][h] *= std::exp(tier.log_price_factor[static_cast<size_t>(month_of(h))]);
    // Launches: demand multiplier from the scenario, throughput from the spec.
    std::vector<char> used(d->growth.launches.size(), 0);
    for (size_t k = 0; k < tier.launches.size(); ++k) {
      const TierLaunch& tl = tier.launches[k];
      RealisedLaunch r;
      r.model = model.id;
      r.date = tl.date;
      r.demand_multiplier = std::exp(launch_log[first_launch + k]);
      r.multiplier_median = std::exp(tl.log_multiplier_median);
      for (size_t j = 0; j < used.size(); ++j)
        if (!used[j] && d->growth.launches[j].date == tl.date) {
          used[j] = 1;
          r.throughput_multiplier = d->growth.launches[j].throughput_multiplier;
          break;
        }
      const int month = std::clamp(tl.month, 1, N);
      r.month_revenue_usd = MonthlyRevenueUsd(dm, s, month, set.LogMultiple(s, month, 0));
      out.launches.push_back(r);
    }
    // Throughput: launches in effect, and continuous gains since as_of.
    for (size_t h = 0; h < H; ++h)
      out.throughput_multiplier[m][h] =
          ThroughputMultiplierAt(fleet, model, start + static_cast<UtcSeconds>(h) * kSecondsPerHour);

    if (choice.kind != DemandChoice::Kind::kTrace) continue;
    const RateTrace* tr = MatchTrace(traces, model);
    if (tr == nullptr) continue;  // this model keeps its P50 path
    auto th = HourlyRequests(*tr);
    if (!th.ok()) return th.status();
    TraceReplay::Model rm;
    rm.model = model.id;
    rm.trace = tr->name;
    rm.trace_hours = static_cast<double>(th->requests.size());
    for (double r : th->requests) rm.trace_requests += r;
    rm.output_tokens_per_request = mix ? mix->mean_output_tokens_per_request : 1.0;
    rm.input_tokens_per_output_token =
        mix ? mix->input_tokens_per_output_token : model.input_tokens_per_output_token;
    rm.trace_output_tokens = rm.trace_requests * rm.output_tokens_per_request;
    rm.gap_windows_imputed = th->imputed;
    if (!(rm.trace_output_tokens > 0))
      return Status::Invalid(choice.trace_file + ": trace " + tr->name + " has no traffic to replay");
    rm.scale = d->output_tokens_per_hour / (rm.trace_output_tokens / rm.trace_hours);
    const size_t tile = th->requests.size();
    // The P50 multiple of the month: the trace carries the hours, the spec the growth.
    for (size_t h = 0; h < H; ++h) {
      if (start + static_cast<UtcSeconds>(h) * kSecondsPerHour < model.launch) continue;
      const double multiple = std::exp(set.LogMultiple(s, month_of(h), 0));
      out.realised_tokens[m][h] = th->requests[h % tile] * rm.output_tokens_per_request * rm.scale * multiple;
    }
    // The replay's deviation from the expected hour, as an AR(1) on logs.
    {
      std::vector<double> dev;
      for (size_t h = 0; h < H; ++h)
        if (out.realised_tokens[m][h] > 0 && out.expected_tokens[m][h] > 0)
          dev.push_back(std::log(out.realised_tokens[m][h] / out.expected_tokens[m][h]));
      if (dev.size() >= 3) {
        double mean = 0, var = 0, cov = 0;
        for (double v : dev) mean += v / static_cast<double>(dev.size());
        for (size_t i = 0; i < dev.size(); ++i) {
          var += (dev[i] - mean) * (dev[i] - mean);
          if (i > 0) cov += (dev[i] - mean) * (dev[i - 1] - mean);
        }
        out.noise_log_sd[m] = std::sqrt(var / static_cast<double>(dev.size()));
        out.noise_autocorrelation[m] = var > 0 ? std::clamp(cov / var, 0.0, 0.99) : 0.0;
      }
      if (out.noise_autocorrelation[m] == 0) out.noise_autocorrelation[m] = kTraceAutocorrelation;
    }
    out.trace.models.push_back(rm);
  }
  if (choice.kind == DemandChoice::Kind::kTrace && out.trace.models.empty()) {
    std::string names, ids;
    for (const auto& t : traces) names += (names.empty() ? "" : ", ") + t.name;
    for (const auto& d : fleet.demand) ids += (ids.empty() ? "" : ", ") + d.model;
    return Status::Invalid(choice.trace_file + ": no trace matches a model with demand (traces: " + names +
                           "; models: " + ids + "); name a trace after a model id or its tier");
  }
  std::stable_sort(out.launches.begin(), out.launches.end(),
                   [](const RealisedLaunch& a, const RealisedLaunch& b) { return a.date < b.date; });
  return out;
}

}  // namespace fungible
