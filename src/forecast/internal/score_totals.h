// Running totals of ensemble scores (forecast/ only): what the hourly and the
// monthly backtests add up per horizon and turn into a CalibrationScore.
#pragma once

#include <cstdint>
#include <string>
#include <utility>

#include "forecast/backtest.h"

namespace fungible::forecast_internal {

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
