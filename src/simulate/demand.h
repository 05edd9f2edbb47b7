// The world the simulator runs in: hour by hour, what serving demand is
// realised, what the allocation's forecast of it is, what a token sells for,
// how many tokens a chip serves, and which launches happen.
//
// Demand comes from the forecast stage's demand model (forecast/demand_model.h)
// compiled from the spec, one month before the run through the horizon:
//
//   P50        the month-by-month median over the spec's scenarios (forecast
//              seed), launches at their median multipliers, no hourly noise
//   random:S   one scenario drawn with seed S: its growth, monthly shocks,
//              launch multipliers and AR(1) hourly noise
//   trace:F    a rate trace (servegen layout or time_s,rate) replayed from
//              the run start, tiled, scaled so that its mean hour equals the
//              spec's output_tokens_per_hour at as_of, times the P50 growth
//              multiple of the month; requests become output tokens through
//              a token mix (Azure LLM trace) when one is given
//
// Either way demand is spread over the hours of a month by the spec's
// diurnal and weekly shape (forecast/hourly.h). The forecast the allocation
// sees is the scenario's expected hour (no noise) corrected by the last
// observed deviation, decaying with the spec's hourly autocorrelation, and
// raised to the planning quantile of the noise the hours are drawn from
// (hourly AR(1), day level, band factors: PlanningForecast).
#pragma once

#include <array>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "model/fleet.h"
#include "util/status.h"

namespace fungible {

struct DemandChoice {
  // kP50: a quantile path of the cone (the median by default; `quantile`
  // picks another point, month by month, e.g. 0.9 for P90).
  enum class Kind { kP50, kRandom, kTrace };
  Kind kind = Kind::kP50;
  double quantile = 0.5;   // kP50: the point of the cone, in (0, 1)
  std::uint64_t seed = 0;  // kRandom
  std::string trace_file;  // kTrace
  std::string text;        // as given, for outputs: "P50", "random:7", "trace:rates.csv"
};

// Scenarios behind a quantile path (at most): enough for a stable monthly median.
inline constexpr int kQuantilePathScenarios = 2001;

// Parses "P50", "random:SEED" or "trace:FILE". Errors name what was expected.
StatusOr<DemandChoice> ParseDemandChoice(std::string_view text);
// The cone's quantile path at q in (0, 1): "P90" for 0.9. Errors name --quantile.
StatusOr<DemandChoice> QuantileChoice(double q);

// How a trace was replayed, per model.
struct TraceReplay {
  std::string file;
  std::string token_mix_file;  // "" = none: one output token per request before scaling
  struct Model {
    std::string model;          // spec model id
    std::string trace;          // trace name in the file
    double trace_hours = 0;     // span of the trace (one tile)
    double trace_requests = 0;  // over one tile, gaps imputed
    double output_tokens_per_request = 1;
    double input_tokens_per_output_token = 0;  // of the token mix (or the spec's model)
    double trace_output_tokens = 0;            // trace_requests x output_tokens_per_request
    double scale = 0;                          // replayed tokens per trace token (before growth)
    int gap_windows_imputed = 0;               // all-zero windows filled from the same time on other days
  };
  std::vector<Model> models;
};

// A launch as realised in this scenario.
struct RealisedLaunch {
  std::string model;
  UtcSeconds date = 0;
  double demand_multiplier = 1.0;  // realised (median for P50)
  double multiplier_median = 1.0;
  double throughput_multiplier = 1.0;
  // Monthly revenue of the model in the month the launch takes effect, as the
  // scenario has it (demand at list price, unconstrained), USD.
  double month_revenue_usd = 0;
};

// The hourly noise's recalibration a random scenario drew a model's hours
// with (the spec's hourly_band_factors, applied by ExpandHourly): multipliers
// of the noise's P25-P75, P10-P90 and P5-P95 half-widths, and their source.
// The planner sizes serving at planning_quantile of the same noise: its
// forecast error's half-width is multiplied by planning_band_factor (set by
// simulate from its serving quantile; 1 = not set).
struct HourlyRecalibration {
  std::string model;
  std::array<double, 3> band_factors{1, 1, 1};
  std::string source;
  double planning_quantile = 0;
  double planning_band_factor = 1;
};

struct DemandPaths {
  DemandChoice choice;
  UtcSeconds start = 0;                // hour 0
  int hours = 0;                       // hours covered (run + look-ahead)
  std::vector<std::string> model_ids;  // fleet.models order
  // [m][h]: output tokens demanded in hour h (0 before the model's launch).
  std::vector<std::vector<double>> realised_tokens;
  std::vector<std::vector<double>> expected_tokens;  // the scenario's hour without noise
  // [m]: the realised hour's log deviation from the expected one, as an
  // AR(1): stationary sd and lag-1 autocorrelation. The spec's hourly noise
  // for random scenarios, 0 for P50, estimated from the replay for traces.
  std::vector<double> noise_log_sd;
  std::vector<double> noise_autocorrelation;
  // [m]: the day level on top (hourly.h): an AR(1) across UTC days with
  // stationary log sd and day-to-day autocorrelation. Random scenarios only
  // (the spec's daily_level_*), 0 otherwise.
  std::vector<double> day_level_log_sd;
  std::vector<double> day_level_autocorrelation;
  // [m]: the band factors the noise was drawn with (hourly_band_factors;
  // {1, 1, 1} = none). Random scenarios only.
  std::vector<std::array<double, 3>> band_factors;
  // [m]: the median of the log deviation that the day level and the band
  // factors add (-s_D^2 / 2 of a day level, the recalibration's mean-keeping
  // shift), which Forecast decays the last deviation towards. The hourly
  // noise's own -s^2 / 2 is taken as 0, as simulate always has. 0 for P50
  // and traces.
  std::vector<double> noise_log_median;
  // [m][h]: USD per output token (input tokens at the token mix included,
  // price changes applied) and the multiplier on tokens/s per chip (launches
  // and continuous efficiency gains).
  std::vector<std::vector<double>> usd_per_output_token;
  std::vector<std::vector<double>> throughput_multiplier;
  // [w][h]: multiple of today's demand of a research or internal class with
  // class_growth (its bids' quantities scale with it); 1 otherwise.
  std::vector<std::vector<double>> class_demand_multiple;
  std::vector<RealisedLaunch> launches;  // by date
  // Models whose hours a random scenario drew with band factors other than 1.
  std::vector<HourlyRecalibration> hourly_recalibration;
  TraceReplay trace;  // kTrace only

  // Forecast of hour h + k made at hour h (k >= 0), having observed hours < h:
  // the expected hour, times the last observed log deviation d decayed
  // towards the median mu (noise_log_median) by a = autocorrelation^(k+1):
  // exp(mu + a (d - mu)); exp(mu) with nothing observed.
  double Forecast(int m, int h, int k) const;
  // The same, raised to the quantile whose standard-normal score is z of the
  // noise the hours are drawn from: the forecast error of k + 1 hours ahead
  // has log sd
  //   sqrt(s^2 (1 - phi^(2(k+1))) + s_D^2 (1 + a^2 - 2 a rho^d))
  // (s, phi the hourly noise; s_D, rho the day level; a = phi^(k+1) the
  // weight Forecast gives the last deviation, 0 when it has none; d the UTC
  // days from the last observed hour to hour h + k), and z is widened by the
  // band factor at its level: exp(z HourlyBandFactor(band_factors, |z|) sd).
  // Without a day level and with factors 1 (mu = 0) this is the AR(1) error
  // alone, exactly as simulate has always planned.
  double PlanningForecast(int m, int h, int k, double z) const;
  // The multiplier PlanningForecast puts on model m's error at score z (1
  // without recalibration).
  double PlanningBandFactor(int m, double z) const;
};

// Builds the paths for `hours` hours from `start`. `token_mix_file` (Azure
// request trace) is used with trace scenarios. Errors: the spec's demand does
// not compile (located diagnostics), the trace file is missing, malformed or
// unsorted (file:line:column), or matches no model.
StatusOr<DemandPaths> BuildDemandPaths(const Fleet& fleet, const DemandChoice& choice, UtcSeconds start,
                                       int hours, const std::string& token_mix_file = "");

}  // namespace fungible
