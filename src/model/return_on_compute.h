// Return on compute, the product's one measuring stick, defined once for
// every command (docs/economics.md, "Return on compute, and the money words
// every command uses"): value earned per dollar of compute,
//
//   return on compute = value / compute cost
//
// compute cost: everything paid for the chips over the period (committed
// contracts, signed offers, options, per-use), idle and down chips included;
// value: token revenue, plus — where the command says so — the imputed value
// of model development, research and internal use (their bids or launch
// credits). The cash return on compute counts token revenue alone.
#pragma once

namespace fungible {

// 0 when nothing was spent.
inline double ReturnOnCompute(double value_usd, double compute_cost_usd) {
  return compute_cost_usd > 0 ? value_usd / compute_cost_usd : 0.0;
}

}  // namespace fungible
