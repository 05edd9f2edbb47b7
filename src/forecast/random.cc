#include "forecast/random.h"

#include <cmath>

namespace fungible {
namespace forecast_internal {
namespace {

double F(double x) { return std::exp(-0.5 * x * x); }
double FInverse(double y) { return std::sqrt(-2.0 * std::log(y)); }
// Area under f beyond r: sqrt(pi/2) * erfc(r / sqrt(2)).
double TailArea(double r) { return std::sqrt(M_PI / 2.0) * std::erfc(r / std::sqrt(2.0)); }

// For a tail start r, builds the layers upwards from r with area v(r) each and
// returns how far the top box's area is from v: negative when the layers reach
// the peak too early (r too small), positive when they fall short (r too big).
double TopResidual(double r) {
  const double v = r * F(r) + TailArea(r);
  double x = r;
  for (int k = 1; k < Ziggurat::kLayers - 1; ++k) {
    const double y = F(x) + v / x;
    if (y >= 1.0) return -1.0;
    x = FInverse(y);
  }
  return x * (1.0 - F(x)) - v;
}

Ziggurat Build() {
  Ziggurat z;
  // The residual rises with r; bisect to the last bit.
  double lo = 2.0, hi = 5.0;
  for (int i = 0; i < 200 && hi - lo > 0; ++i) {
    const double mid = 0.5 * (lo + hi);
    if (mid == lo || mid == hi) break;
    (TopResidual(mid) < 0 ? lo : hi) = mid;
  }
  const double r = hi;
  const double v = r * F(r) + TailArea(r);
  z.tail_start = r;
  z.layer_area = v;
  // Edges e[0] = virtual width of the base, e[1] = r, ..., e[kLayers] = 0.
  double e[Ziggurat::kLayers + 1];
  e[0] = v / F(r);
  e[1] = r;
  for (int k = 1; k < Ziggurat::kLayers - 1; ++k) e[k + 1] = FInverse(F(e[k]) + v / e[k]);
  e[Ziggurat::kLayers] = 0.0;
  for (int k = 0; k < Ziggurat::kLayers; ++k) {
    z.width[k] = e[k];
    z.inner[k] = e[k + 1];
    z.f_width[k] = k == 0 ? 0.0 : F(e[k]);
    z.f_inner[k] = F(e[k + 1]);
  }
  return z;
}

}  // namespace

const Ziggurat& ZigguratTables() {
  static const Ziggurat tables = Build();
  return tables;
}

}  // namespace forecast_internal

double Rng::SlowNormal(unsigned layer, double x, bool negative) {
  const forecast_internal::Ziggurat& z = forecast_internal::ZigguratTables();
  for (;;) {
    if (layer == 0) {
      // The tail beyond r (Marsaglia, 1964): exact, by rejection from an
      // exponential.
      const double r = z.tail_start;
      double a, b;
      do {
        a = -std::log(UniformOpen()) / r;
        b = -std::log(UniformOpen());
      } while (2.0 * b < a * a);
      const double t = r + a;
      return negative ? -t : t;
    }
    // A wedge between the box's inner edge and its width: accept under f.
    const double y = z.f_width[layer] + Uniform() * (z.f_inner[layer] - z.f_width[layer]);
    if (y < std::exp(-0.5 * x * x)) return negative ? -x : x;
    // Rejected: start again with a fresh draw.
    const std::uint64_t u = Next();
    layer = static_cast<unsigned>(u & 0xff);
    negative = (u >> 8) & 1;
    x = Bits53ToUnit(u) * z.width[layer];
    if (x < z.inner[layer]) return negative ? -x : x;
  }
}

double GammaVariate(Rng& rng, double shape) {
  if (shape < 1.0) return GammaVariate(rng, shape + 1.0) * std::pow(rng.UniformOpen(), 1.0 / shape);
  const double d = shape - 1.0 / 3.0, c = 1.0 / std::sqrt(9.0 * d);
  for (;;) {
    double x, v;
    do {
      x = rng.Normal();
      v = 1.0 + c * x;
    } while (v <= 0.0);
    v = v * v * v;
    const double u = rng.UniformOpen();
    if (u < 1.0 - 0.0331 * x * x * x * x) return d * v;
    if (std::log(u) < 0.5 * x * x + d * (1.0 - v + std::log(v))) return d * v;
  }
}

double StudentTUnitVariance(Rng& rng, double dof) {
  const double z = rng.Normal();
  const double chi2 = 2.0 * GammaVariate(rng, 0.5 * dof);
  return z / std::sqrt(chi2 / dof) * std::sqrt((dof - 2.0) / dof);
}

}  // namespace fungible
