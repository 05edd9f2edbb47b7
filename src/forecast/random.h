// Seeded random streams for the Monte Carlo. Every draw in fungible's
// forecast comes from a stream named by (seed, purpose, index): scenario i
// always reads stream (seed, kScenario, i), whichever thread runs it, so
// results are byte-identical for any thread count.
//
// The generator is xoshiro256++ (Blackman & Vigna, 2018), its state filled by
// SplitMix64 from a hash of the stream name; normals come from a 256-layer
// ziggurat (Marsaglia & Tsang, 2000) whose tables are computed at start-up.
// Neither depends on the standard library's implementation-defined
// distributions, so a seed gives the same numbers on every platform (up to the
// last bit of libm's exp/log on the rare slow path).
#pragma once

#include <bit>
#include <cstdint>

namespace fungible {

// What a stream is used for; part of the stream's name so that different
// uses of one seed never share draws. Values are stable (they change output).
enum class StreamPurpose : std::uint64_t {
  kScenario = 1,       // prior scenario paths
  kResample = 2,       // resampling particles after actuals
  kRejuvenate = 3,     // Metropolis moves of particles
  kPosteriorPath = 4,  // future months of posterior paths
  kHourly = 5,         // hour-to-hour noise of hourly expansions
  kReduce = 6,         // candidate sampling in scenario reduction
  kBacktestTruth = 7,  // synthetic truths in calibration backtests
  kTest = 100,         // unit tests and benchmarks
};

// The SplitMix64 output function: a bijective 64-bit mixer.
constexpr std::uint64_t Mix64(std::uint64_t z) {
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
  return z ^ (z >> 31);
}

// A key naming one stream; distinct (purpose, index) pairs of one seed give
// distinct keys (each step is a bijection of the running value).
constexpr std::uint64_t StreamKey(std::uint64_t seed, std::uint64_t purpose, std::uint64_t index) {
  std::uint64_t k = Mix64(seed + 0x9e3779b97f4a7c15ULL);
  k = Mix64(k ^ (purpose * 0xd1342543de82ef95ULL + 0x2545f4914f6cdd1dULL));
  k = Mix64(k + index * 0x9e3779b97f4a7c15ULL);
  return k;
}

namespace forecast_internal {

// Ziggurat tables for f(x) = exp(-x^2/2) with 256 layers of equal area.
// Layer k is the box [0, width[k]] x [f(width[k]), f(inner[k])]; a point with
// x < inner[k] lies under the curve. Layer 0 is the base box plus the tail
// beyond `tail_start`; its width is the virtual width area / f(tail_start).
struct Ziggurat {
  static constexpr int kLayers = 256;
  double width[kLayers];
  double inner[kLayers];
  double f_width[kLayers];  // f(width[k])
  double f_inner[kLayers];  // f(inner[k])
  double tail_start = 0;    // r, where the tail begins
  double layer_area = 0;    // v, the area of every layer
};

// Built once (thread-safe) on first use.
const Ziggurat& ZigguratTables();

}  // namespace forecast_internal

// One random stream. Cheap to construct (four SplitMix64 steps), so every
// scenario gets its own. Not thread-safe: one stream per thread of work.
// Meets UniformRandomBitGenerator, so <random> distributions accept it.
class Rng {
 public:
  using result_type = std::uint64_t;

  Rng(std::uint64_t seed, StreamPurpose purpose, std::uint64_t index)
      : Rng(StreamKey(seed, static_cast<std::uint64_t>(purpose), index)) {}
  explicit Rng(std::uint64_t key) : zig_(&forecast_internal::ZigguratTables()) {
    std::uint64_t x = key;
    for (auto& word : s_) {
      x += 0x9e3779b97f4a7c15ULL;
      word = Mix64(x);
    }
  }

  static constexpr result_type min() { return 0; }
  static constexpr result_type max() { return ~std::uint64_t{0}; }

  result_type operator()() { return Next(); }

  std::uint64_t Next() {
    const std::uint64_t result = Rotl(s_[0] + s_[3], 23) + s_[0];
    const std::uint64_t t = s_[1] << 17;
    s_[2] ^= s_[0];
    s_[3] ^= s_[1];
    s_[1] ^= s_[2];
    s_[0] ^= s_[3];
    s_[2] ^= t;
    s_[3] = Rotl(s_[3], 45);
    return result;
  }

  // Uniform on [0, 1) with 53 random bits.
  double Uniform() { return Bits53ToUnit(Next()); }
  // Uniform on (0, 1): never 0, so its log is finite.
  double UniformOpen() { return Bits53ToUnit(Next()) + 0x1.0p-54; }

  // Standard normal, N(0, 1). About 99% of draws take one 64-bit word and a
  // multiply; the rest go through SlowNormal.
  double Normal();

 private:
  static std::uint64_t Rotl(std::uint64_t x, int k) { return (x << k) | (x >> (64 - k)); }
  // The top 53 bits as a double in [0, 1). Converts through int64 (one
  // instruction on x86-64; unsigned 64-bit conversion takes several).
  static double Bits53ToUnit(std::uint64_t u) {
    return static_cast<double>(static_cast<std::int64_t>(u >> 11)) * 0x1.0p-53;
  }
  double SlowNormal(unsigned layer, double x, bool negative);

  std::uint64_t s_[4];
  // The ziggurat tables, looked up once per stream rather than once per draw.
  const forecast_internal::Ziggurat* zig_;
};

// Gamma(shape, 1) by Marsaglia and Tsang's squeeze (shape < 1 through
// shape + 1 and a uniform power). Draws a variable number of words from
// `rng`, so each path must own its stream (as every path here does).
// REQUIRES: shape > 0.
double GammaVariate(Rng& rng, double shape);

// Student-t with `dof` degrees of freedom, scaled to unit variance (dof > 2).
double StudentTUnitVariance(Rng& rng, double dof);

inline double Rng::Normal() {
  const forecast_internal::Ziggurat& z = *zig_;
  const std::uint64_t u = Next();
  const unsigned layer = static_cast<unsigned>(u & 0xff);
  const double x = Bits53ToUnit(u) * z.width[layer];
  if (x < z.inner[layer]) [[likely]] {
    // Bit 8 is the sign: move it to the sign bit (no unpredictable branch).
    return std::bit_cast<double>(std::bit_cast<std::uint64_t>(x) ^ ((u & 0x100) << 55));
  }
  return SlowNormal(layer, x, (u >> 8) & 1);
}

}  // namespace fungible
