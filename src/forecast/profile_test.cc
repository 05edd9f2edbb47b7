#include "forecast/profile.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cmath>
#include <numeric>

#include "forecast/random.h"
#include "util/status_matchers.h"

namespace fungible {
namespace {

constexpr std::array<double, 24> kDiurnal = {0.55, 0.5, 0.45, 0.45, 0.5, 0.6, 0.75, 0.9, 1.05, 1.2, 1.3, 1.4,
                                             1.45, 1.5, 1.5,  1.45, 1.4, 1.3, 1.2,  1.1, 0.95, 0.8, 0.7, 0.6};
constexpr std::array<double, 7> kWeekly = {1.08, 1.1, 1.1, 1.08, 1.02, 0.82, 0.8};

template <size_t N>
std::array<double, N> MeanOne(std::array<double, N> a) {
  const double m = std::accumulate(a.begin(), a.end(), 0.0) / N;
  for (auto& v : a) v /= m;
  return a;
}

// 14 days of 10-minute windows whose UTC shape is kDiurnal x kWeekly, with
// hourly AR(1) log noise (sd, phi), a trend, local clock = UTC + offset, and
// day 0 (local) a `first_weekday`. A few windows are gaps.
RateTrace Synthetic(int offset, int first_weekday, double sd, double phi, std::uint64_t seed) {
  RateTrace t;
  t.name = "synthetic";
  t.source = "synthetic.csv";
  Rng rng(seed, StreamPurpose::kTest, 11);
  const auto d = MeanOne(kDiurnal);
  const auto w = MeanOne(kWeekly);
  double n = sd * rng.Normal();
  for (int a = 0; a < 14 * 24; ++a) {
    const int u = a - offset;
    const int hour = ((u % 24) + 24) % 24;
    const int day = u >= 0 ? u / 24 : -((-u + 23) / 24);
    const int wd = ((first_weekday + day) % 7 + 7) % 7;
    n = phi * n + sd * std::sqrt(1 - phi * phi) * rng.Normal();
    const double level = 200.0 * std::exp(0.01 * a / 24.0) * d[static_cast<size_t>(hour)] *
                         w[static_cast<size_t>(wd)] * std::exp(n);
    for (int k = 0; k < 6; ++k) {
      t.time_s.push_back(a * 3600.0 + k * 600.0);
      t.rate.push_back(a % 97 == 5 && k == 2 ? 0.0 : level * std::exp(0.02 * rng.Normal()));
    }
  }
  return t;
}

TEST(Profile, RecoversAKnownShapeFromASyntheticTrace) {
  const RateTrace trace = Synthetic(8, 2, 0.05, 0.6, 1);
  ProfileFitOptions o;
  o.utc_offset_hours = 8;
  o.first_weekday = 2;  // Wednesday
  auto fit = FitProfile(trace, o);
  ASSERT_TRUE(fit.ok()) << fit.status().ToString();
  const auto d = MeanOne(kDiurnal);
  const auto w = MeanOne(kWeekly);
  for (size_t h = 0; h < 24; ++h) EXPECT_NEAR(fit->diurnal_shape[h], d[h], 0.04 * d[h]) << "hour " << h;
  for (size_t k = 0; k < 7; ++k)
    EXPECT_NEAR(fit->weekly_shape[k], w[k], 0.04 * w[k]) << WeekdayName(static_cast<int>(k));
  EXPECT_TRUE(fit->weekly_fitted);
  EXPECT_NEAR(fit->trend_log_per_day, 0.01, 0.006);
  // Hourly noise 0.05 plus the 10-minute noise averaged over 6 windows.
  EXPECT_NEAR(fit->hourly_noise_log_sd, std::sqrt(0.05 * 0.05 + 0.02 * 0.02 / 6), 0.01);
  EXPECT_NEAR(fit->hourly_noise_autocorrelation, 0.6, 0.12);
  EXPECT_GT(fit->r_squared, 0.9);
  EXPECT_EQ(fit->windows_missing, 4);  // hours 5, 102, 199, 296 lose one window each
  EXPECT_EQ(fit->hours_used, 14 * 24);
  EXPECT_NEAR(fit->days, 14.0, 1e-9);
}

TEST(Profile, InfersTheWeekdayOfDayZeroFromTheQuietWeekend) {
  for (int first : {0, 3, 5}) {
    ProfileFitOptions o;
    auto fit = FitProfile(Synthetic(0, first, 0.03, 0.5, 2), o);
    ASSERT_TRUE(fit.ok());
    EXPECT_TRUE(fit->first_weekday_inferred);
    EXPECT_EQ(fit->first_weekday, first) << WeekdayName(first);
  }
}

TEST(Profile, ShortTraceFitsOnlyTheDiurnalShape) {
  RateTrace t = Synthetic(0, 0, 0.03, 0.5, 3);
  t.time_s.resize(3 * 144);
  t.rate.resize(3 * 144);
  auto fit = FitProfile(t, ProfileFitOptions{});
  ASSERT_TRUE(fit.ok());
  EXPECT_FALSE(fit->weekly_fitted);
  for (double v : fit->weekly_shape) EXPECT_EQ(v, 1.0);
  t.time_s.resize(100);
  t.rate.resize(100);
  EXPECT_EQ(FitProfile(t, ProfileFitOptions{}).status().message(),
            "synthetic.csv: synthetic: 17 usable hours; a profile needs at least 2 days (one day cannot tell "
            "the daily "
            "shape from noise)");
}

TEST(Profile, FitsTheServeGenTraces) {
  const std::string path =
      std::string(FUNGIBLE_DATA_DIR) + "/servegen-alibaba-bailian/rate_10min_by_model.csv";
  auto traces = ReadRateTraces(path);
  ASSERT_TRUE(traces.ok()) << traces.status().ToString();
  ASSERT_EQ(traces->size(), 5u);
  EXPECT_EQ((*traces)[0].name, "m-large");
  EXPECT_EQ((*traces)[0].time_s.size(), 2016u);
  int masked_mid = 0;
  for (const RateTrace& t : *traces) {
    auto fit = FitProfile(t, ProfileFitOptions{});
    if (t.name == "deepseek-r1" || t.name == "mm-image") {
      // One day only (SOURCE.md): refused, with the reason.
      EXPECT_NE(fit.status().message().find("24 usable hours; a profile needs at least 2 days"),
                std::string::npos);
      continue;
    }
    ASSERT_TRUE(fit.ok()) << t.name << ": " << fit.status().ToString();
    EXPECT_NEAR(std::accumulate(fit->diurnal_shape.begin(), fit->diurnal_shape.end(), 0.0), 24.0, 1e-9);
    EXPECT_NEAR(std::accumulate(fit->weekly_shape.begin(), fit->weekly_shape.end(), 0.0), 7.0, 1e-9);
    const auto [lo, hi] = std::minmax_element(fit->diurnal_shape.begin(), fit->diurnal_shape.end());
    // 14 days of production traffic: a day-night cycle and a week. Measured:
    // peak/trough 1.46 to 2.0, R^2 0.27 (m-mid, bursty) to 0.73 (m-small),
    // hourly noise 0.17 to 0.49 with autocorrelation 0.54 to 0.77.
    EXPECT_TRUE(fit->weekly_fitted) << t.name;
    EXPECT_GT(*hi / *lo, 1.3) << t.name;
    EXPECT_GT(fit->r_squared, 0.2) << t.name;
    EXPECT_GT(fit->hourly_noise_autocorrelation, 0.4) << t.name;
    EXPECT_EQ(fit->hours_used + fit->hours_skipped, 14 * 24) << t.name;
    if (t.name == "m-mid") masked_mid = fit->windows_missing;
  }
  EXPECT_EQ(masked_mid, 84);  // SOURCE.md: 84 all-zero windows in m-mid
}

TEST(Profile, TokenMixFromTheAzureTrace) {
  const std::string dir = std::string(FUNGIBLE_DATA_DIR) + "/azure-llm-inference-2023/";
  auto conv = ReadTokenMix(dir + "AzureLLMInferenceTrace_conv.csv");
  ASSERT_TRUE(conv.ok()) << conv.status().ToString();
  EXPECT_EQ(conv->requests, 19366);
  // SOURCE.md: conv median context 1020, median output 129.
  EXPECT_EQ(conv->median_input_tokens_per_request, 1020);
  EXPECT_EQ(conv->median_output_tokens_per_request, 129);
  EXPECT_NEAR(conv->input_tokens_per_output_token, conv->input_tokens / conv->output_tokens, 1e-12);
  auto code = ReadTokenMix(dir + "AzureLLMInferenceTrace_code.csv");
  ASSERT_TRUE(code.ok());
  EXPECT_EQ(code->requests, 8819);
  EXPECT_EQ(code->median_input_tokens_per_request, 1469);
  EXPECT_EQ(code->median_output_tokens_per_request, 13);
  EXPECT_GT(code->input_tokens_per_output_token, conv->input_tokens_per_output_token);
  EXPECT_TRUE(*IsRequestTrace(dir + "AzureLLMInferenceTrace_code.csv"));
}

TEST(Profile, BadTraceRowsAreLocated) {
  EXPECT_THAT(ParseRateTraces("time_s,rate\n0,1\n600,-2\n", "t.csv"),
              StatusIs(StatusCode::kInvalidArgument, "t.csv:3:2: rate: expected a rate >= 0, got \"-2\""));
  EXPECT_THAT(ParseTokenMix("TIMESTAMP,ContextTokens,GeneratedTokens\nx,12,abc\n", "az.csv"),
              StatusIs(StatusCode::kInvalidArgument,
                       "az.csv:2:3: GeneratedTokens: expected a token count >= 0, got \"abc\""));
  auto h = ParseRateTraces("when,how_many\n0,1\n", "t.csv");
  EXPECT_EQ(h.status().diagnostics().at(0).line, 1);
}

}  // namespace
}  // namespace fungible
