// Updating the cone from actuals: the months already observed re-weight the
// scenarios' parameters (growth rate, launch multipliers), and the future is
// drawn again from the observed level.
//
// Actuals CSV (RFC 4180, header required, other columns ignored):
//
//   month,model,output_tokens
//   2027-02,chat-medium,4.71e12
//
// month is a calendar month YYYY-MM after the forecast's start month; model
// is a serving tier (a demand entry's model); output_tokens is the month's
// total, a whole number from 1 to 1e20 in decimal (no fractions of a token,
// no hex). A UTF-8 byte order mark before the header is skipped. A tier's
// months come in any spacing (gaps are bridged, below), once each; tiers may
// stop at different months.
//
// Method: sequential Monte Carlo over the scenarios' latents theta (the
// standard normals that set growth and launch multipliers). Given theta, the
// observed log increments (each from the tier's previous actual, or its
// as_of month, to the next: dt months apart) are Gaussian: the dt months'
// shocks integrated out (variance dt sigma^2, the shared factor's
// cross-tier correlation over the months two increments share, the drift
// steps' d^2 terms), plus observation noise, so the likelihood is exact
// (without a ceiling; with one, its damping follows the deterministic path
// at the particle's growth). Particles move from prior to posterior through
// tempered stages, each re-weighting, resampling (systematic) and
// rejuvenating (random-walk Metropolis moves scaled by the particles'
// covariance). Months without an actual before a tier's last actual are
// drawn per particle given its latents and all the actuals (a Brownian
// bridge between the actuals around them, jointly Gaussian with the
// increments). Tiers without actuals keep their parameters' posterior
// (through the shared factor) but redraw their past months. When the data
// put the posterior far from the prior (an actual far outside the cone), the
// stages start from a Gaussian (Laplace) approximation of the posterior
// instead of the prior, so that the update converges and the miss is
// reported.
#pragma once

#include <string>
#include <vector>

#include "forecast/cone.h"
#include "forecast/demand_model.h"
#include "forecast/scenarios.h"
#include "util/status.h"

namespace fungible {

struct Actual {
  int tier = 0;   // index into DemandModel::tiers (a serving tier)
  int month = 0;  // month index, 1..horizon
  double output_tokens = 0;
  int line = 0;  // line in the CSV file
};

struct Actuals {
  std::string file;
  std::vector<Actual> rows;  // sorted by tier, then month
};

// Parses and checks actuals against `model`. Every problem is a Diagnostic
// with file:line:column (unknown tier, malformed month or number, month
// outside the horizon, duplicates).
StatusOr<Actuals> ParseActualsCsv(const std::string& text, const std::string& name, const DemandModel& model);
StatusOr<Actuals> ReadActualsCsv(const std::string& path, const DemandModel& model);

struct UpdateOptions {
  int threads = 0;
  // Noise of a measured monthly total, as a log standard deviation, added to
  // every observed increment (also keeps a zero-volatility model usable).
  double observation_log_sd = 0.01;
  int moves_per_stage = 5;    // Metropolis moves per particle per stage
  double ess_fraction = 0.5;  // each stage keeps ESS >= this share of N
  int max_stages = 200;
  // When the prior cone missed (more actuals outside its P10-P90 than the
  // 20% it claims), widen the posterior's future months by the measured miss
  // rate (see TierWidening). false: only report the misses.
  bool widen_on_miss = true;
};

// How far the posterior's future was widened for one tier. The miss rate is
// the share of its actuals outside the prior's P10-P90, shrunk towards the
// nominal 20% as if 10 more months had hit it exactly:
//   r = (outside + 2) / (observed + 10).
// If the log demand were normal, a P10-P90 band missing r of the time is
// z(0.9) / z(1 - r/2) times too narrow; when r > 0.2 the future months'
// spread around their median (each month's column of log multiples) is
// multiplied by that factor, at most 4.
struct TierWidening {
  std::string tier;
  int observed = 0;         // actuals of this tier
  int outside_p10_p90 = 0;  // of those, outside the prior's P10-P90
  int above_p90 = 0;        // of those, above the prior's P90
  double miss_rate = 0;     // r, shrunk
  double factor = 1;        // applied to months after the last actual
  // The saturation ceiling (a multiple of the level at as_of; 0 = none)
  // before and after the update. It moves with observed demand: when the
  // tier's last actual lies k > 1 times above the prior's median for that
  // month, the ceiling is multiplied by k (the market proved k times larger
  // than the prior expected), both in the likelihood of the actuals and for
  // the months drawn after them. Actuals at or below the median leave it.
  // A fixed ceiling would turn a run of actuals that beat the forecast into
  // a decline (growth learned high, then damped below the observed level).
  double ceiling_multiple_prior = 0;
  double ceiling_multiple = 0;
};

// An actual outside the prior's P1..P99 for its tier and month.
struct ConeMiss {
  int tier = 0;
  int month = 0;
  double output_tokens = 0;
  double prior_p1 = 0;
  double prior_p99 = 0;
  int line = 0;
};

struct GrowthPosterior {
  std::string tier;
  double prior_mean = 0, prior_sd = 0;          // of the monthly log-growth g
  double posterior_mean = 0, posterior_sd = 0;  // across posterior particles
  // (with monthly_growth_drift_sd > 0: the growth of the month after the
  // tier's last actual, where the drift has taken it)
};

struct Posterior {
  // N equally weighted paths; observed months hold the actuals, bridged_months
  // are drawn given them, later months from the last actual on.
  ScenarioSet scenarios;
  // Effective sample size of the prior scenarios under the actuals' likelihood
  // (one-shot importance weights): how many of the N still speak for the data.
  double effective_sample_size = 0;
  int stages = 0;                        // tempering stages used
  double acceptance_rate = 0;            // of the Metropolis moves, over all stages
  std::vector<int> last_observed_month;  // per tier; 0 = no actuals
  // Per tier, in increasing order: the months from 1 to its last actual that
  // have no actual (gaps, or months before its first actual). Each
  // particle's path there is drawn given the actuals (a bridge between the
  // actuals on either side; see UpdateFromActuals).
  std::vector<std::vector<int>> bridged_months;
  std::vector<ConeMiss> misses;
  std::vector<GrowthPosterior> growth;  // per tier
  std::vector<TierWidening> widening;   // per tier with actuals
};

// Updates `prior` (drawn by GenerateScenarios from `model` with `seed`) with
// `actuals`. Reproducible from the seed; independent of options.threads.
StatusOr<Posterior> UpdateFromActuals(const DemandModel& model, const ScenarioSet& prior,
                                      const Actuals& actuals, const UpdateOptions& options);

}  // namespace fungible
