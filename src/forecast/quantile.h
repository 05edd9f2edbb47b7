// Sample quantiles, type 7 of Hyndman & Fan (linear interpolation between the
// order statistics at (n - 1) p), the default of NumPy and R. Selection, not
// sorting: O(n) per probability set.
#pragma once

#include <span>
#include <vector>

namespace fungible {

// A quantile as the two order statistics it lies between and the weight of
// the upper one. For a monotone increasing transform f, the type-7 quantile
// of f(values) is f(lo) + frac * (f(hi) - f(lo)): one selection serves tokens
// and revenue alike.
struct QuantileBracket {
  double lo = 0;
  double hi = 0;
  double frac = 0;
  double Value() const { return lo + frac * (hi - lo); }
  template <typename F>
  double Apply(F&& f) const {
    const double a = f(lo);
    return frac == 0 ? a : a + frac * (f(hi) - a);
  }
};

// Brackets of the type-7 quantiles of `values` at probabilities `probs` (each
// in [0, 1], any order). Exact: the same order statistics a full sort gives.
// REQUIRES: !values.empty(), no NaN, out.size() == probs.size().
void QuantileBrackets(std::span<const double> values, std::span<const double> probs,
                      std::span<QuantileBracket> out);

// Type-7 quantiles of `values`.
std::vector<double> Quantiles(std::span<const double> values, std::span<const double> probs);

// Empirical CDF at y: the share of values <= y.
double EmpiricalCdf(std::span<const double> values, double y);

}  // namespace fungible
