// Running totals of ensemble scores (forecast/ only): what the hourly and the
// monthly backtests add up per horizon and turn into a CalibrationScore.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <utility>

#include "forecast/backtest.h"
#include "forecast/cone.h"

namespace fungible::forecast_internal {

// Of `truth` against quantiles `q` taken at kConeProbabilities: whether it is
// inside P10-P90 and P5-P95, and the pinball loss averaged over the
// probabilities. s.crps is left to the caller (its form depends on the
// forecast: an ensemble or a Gaussian).
inline void ScoreBands(std::span<const double> q, double truth, EnsembleScore& s) {
  s.inside_p10_p90 = truth >= q[1] && truth <= q[5];
  s.inside_p5_p95 = truth >= q[0] && truth <= q[6];
  s.pinball = 0;
  for (size_t j = 0; j < q.size(); ++j) {
    const double u = truth - q[j];
    s.pinball += u * (kConeProbabilities[j] - (u < 0 ? 1.0 : 0.0));
  }
  s.pinball /= static_cast<double>(q.size());
}

struct ScoreTotals {
  std::int64_t points = 0, in80 = 0, in90 = 0;
  double pinball = 0, crps = 0;
  void Add(const EnsembleScore& s) {
    ++points;
    in80 += s.inside_p10_p90;
    in90 += s.inside_p5_p95;
    pinball += s.pinball;
    crps += s.crps;
  }
  void Add(const ScoreTotals& o) {
    points += o.points, in80 += o.in80, in90 += o.in90, pinball += o.pinball, crps += o.crps;
  }
  // Coverage, pinball and CRPS as means over the points (zeros when none).
  CalibrationScore Score(std::string name) const {
    CalibrationScore c;
    c.name = std::move(name);
    c.points = points;
    if (points > 0) {
      const double n = static_cast<double>(points);
      c.coverage_p10_p90 = static_cast<double>(in80) / n;
      c.coverage_p5_p95 = static_cast<double>(in90) / n;
      c.mean_pinball_loss = pinball / n;
      c.mean_crps = crps / n;
    }
    return c;
  }
};

}  // namespace fungible::forecast_internal
