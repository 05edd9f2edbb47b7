// Bulk exponentials for the forecast's hot loops (cone totals, hourly
// expansion). Internal to src/forecast.
//
// exp is evaluated as 2^k * e^r with |r| <= ln(2)/2 and a degree-13 Taylor
// polynomial (relative error below 2 ulp), four lanes at a time. The same
// sequence of IEEE operations runs on every path (AVX2 clone, SSE2 clone,
// scalar tail; no fused multiply-add), so results are bit-identical on every
// x86-64 machine and for any split of the array.
#pragma once

#include <cstddef>

namespace fungible::forecast_internal {

// out[i] = exp(x[i]) for i < n. Inputs are clamped to [-708, 709] (results
// stay normal and finite). `out` may equal `x`.
void ExpArray(const double* x, double* out, size_t n);

// acc[i] += scale * exp(x[i]) for i < n, with ExpArray's exp.
void AddScaledExp(const double* x, double scale, double* acc, size_t n);

// The scalar form of the same exp (identical bits).
double FastExp(double x);

}  // namespace fungible::forecast_internal
