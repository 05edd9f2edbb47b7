#include "forecast/internal/vector_math.h"

#include <gtest/gtest.h>

#include <bit>
#include <cmath>
#include <cstdint>
#include <vector>

#include "forecast/random.h"

namespace fungible::forecast_internal {
namespace {

TEST(VectorMath, FastExpIsWithinTwoUlpOfLibm) {
  Rng r(5, StreamPurpose::kTest, 0);
  for (int i = 0; i < 200000; ++i) {
    const double x = -700 + 1400 * r.Uniform();
    const double want = std::exp(x), got = FastExp(x);
    ASSERT_NEAR(got, want, 2.5 * std::fabs(want) * 0x1.0p-52) << x;
  }
  EXPECT_EQ(FastExp(0.0), 1.0);
  EXPECT_NEAR(FastExp(1.0), M_E, 2 * M_E * 0x1.0p-52);
  EXPECT_TRUE(std::isfinite(FastExp(1e6)));
  EXPECT_GT(FastExp(-1e6), 0.0);
}

TEST(VectorMath, ArrayFormsGiveTheScalarBitsForAnyLength) {
  Rng r(6, StreamPurpose::kTest, 0);
  std::vector<double> x(1003), out(1003), acc(1003, 1.0);
  for (auto& v : x) v = 40 * r.Normal();
  ExpArray(x.data(), out.data(), x.size());
  AddScaledExp(x.data(), 3.0, acc.data(), x.size());
  for (size_t i = 0; i < x.size(); ++i) {
    const double want = FastExp(x[i]);
    EXPECT_EQ(std::bit_cast<std::uint64_t>(out[i]), std::bit_cast<std::uint64_t>(want)) << i;
    EXPECT_EQ(acc[i], 1.0 + want * 3.0) << i;
  }
}

}  // namespace
}  // namespace fungible::forecast_internal
