#include "forecast/internal/vector_math.h"

#include <bit>
#include <cstdint>
#include <cstring>

// The V4d helpers below are always inlined into their callers, so the ABI of
// passing AVX vectors between functions never comes into play.
#pragma GCC diagnostic ignored "-Wpsabi"

namespace fungible::forecast_internal {
namespace {

using V4d = double __attribute__((vector_size(32)));
using V4i = std::int64_t __attribute__((vector_size(32)));

constexpr double kLog2e = 1.4426950408889634074;
// ln 2 split so that k * kLn2Hi is exact for |k| < 2^11.
constexpr double kLn2Hi = 6.93147180369123816490e-01;
constexpr double kLn2Lo = 1.90821492927058770002e-10;
// Adding 1.5 * 2^52 rounds to an integer and leaves it in the low bits.
constexpr double kShifter = 0x1.8p52;
constexpr std::int64_t kShifterBits = 0x4338000000000000LL;

[[gnu::always_inline]] inline V4i Bits(V4d v) { return std::bit_cast<V4i>(v); }
[[gnu::always_inline]] inline V4d FromBits(V4i v) { return std::bit_cast<V4d>(v); }
std::int64_t Bits(double v) { return std::bit_cast<std::int64_t>(v); }
double FromBits(std::int64_t v) { return std::bit_cast<double>(v); }

// Works on double and on V4d alike, with the same operations in the same order.
template <typename V>
[[gnu::always_inline]] inline V ExpKernel(V x) {
  x = x < -708.0 ? x * 0.0 - 708.0 : x;
  x = x > 709.0 ? x * 0.0 + 709.0 : x;
  const V t = x * kLog2e + kShifter;
  const V k = t - kShifter;
  const V r = (x - k * kLn2Hi) - k * kLn2Lo;
  V p = r * (1.0 / 6227020800.0) + (1.0 / 479001600.0);  // 1/13!, 1/12!
  p = p * r + (1.0 / 39916800.0);
  p = p * r + (1.0 / 3628800.0);
  p = p * r + (1.0 / 362880.0);
  p = p * r + (1.0 / 40320.0);
  p = p * r + (1.0 / 5040.0);
  p = p * r + (1.0 / 720.0);
  p = p * r + (1.0 / 120.0);
  p = p * r + (1.0 / 24.0);
  p = p * r + (1.0 / 6.0);
  p = p * r + 0.5;
  p = p * r + 1.0;
  p = p * r + 1.0;
  const auto two_k = FromBits((Bits(t) - kShifterBits + 1023) << 52);
  return p * two_k;
}

}  // namespace

double FastExp(double x) { return ExpKernel(x); }

__attribute__((target_clones("avx2", "default"))) void ExpArray(const double* x, double* out, size_t n) {
  size_t i = 0;
  for (; i + 4 <= n; i += 4) {
    V4d v;
    std::memcpy(&v, x + i, sizeof v);
    v = ExpKernel(v);
    std::memcpy(out + i, &v, sizeof v);
  }
  for (; i < n; ++i) out[i] = ExpKernel(x[i]);
}

__attribute__((target_clones("avx2", "default"))) void AddScaledExp(const double* x, double scale,
                                                                    double* acc, size_t n) {
  size_t i = 0;
  for (; i + 4 <= n; i += 4) {
    V4d v, a;
    std::memcpy(&v, x + i, sizeof v);
    std::memcpy(&a, acc + i, sizeof a);
    a += ExpKernel(v) * scale;
    std::memcpy(acc + i, &a, sizeof a);
  }
  for (; i < n; ++i) acc[i] += ExpKernel(x[i]) * scale;
}

}  // namespace fungible::forecast_internal
