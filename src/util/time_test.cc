#include "util/time.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "util/status_matchers.h"

namespace fungible {
namespace {

using ::testing::HasSubstr;

TEST(Time, ParsesDateAndUtcTime) {
  auto d = ParseUtc("2027-01-04");
  ASSERT_TRUE(d.ok()) << d.status().ToString();
  EXPECT_EQ(FormatUtc(*d), "2027-01-04T00:00Z");
  EXPECT_EQ(FormatRfc3339(*d), "2027-01-04T00:00:00Z");
  EXPECT_EQ(FormatRfc3339(*d + 3661), "2027-01-04T01:01:01Z");
  auto t = ParseUtc("2027-01-04T13:30Z");
  ASSERT_TRUE(t.ok());
  EXPECT_EQ(*t - *d, 13 * 3600 + 30 * 60);
  EXPECT_EQ(HourOfDay(*t), 13);
  EXPECT_EQ(Weekday(*d), 0);  // 2027-01-04 is a Monday
}

TEST(Time, RejectsImpossibleDates) {
  EXPECT_THAT(ParseUtc("2027-02-30"),
              StatusIs(StatusCode::kInvalidArgument, "impossible date \"2027-02-30\""));
  EXPECT_THAT(
      ParseUtc("2027-01-04T25:00Z"),
      StatusIs(StatusCode::kInvalidArgument, HasSubstr("impossible time of day in \"2027-01-04T25:00Z\"")));
  EXPECT_THAT(ParseUtc("2027-01-04T10:00"),
              StatusIs(StatusCode::kInvalidArgument, HasSubstr("has no UTC zone")));
  EXPECT_THAT(ParseUtc("next tuesday"),
              StatusIs(StatusCode::kInvalidArgument, HasSubstr("expected a UTC date YYYY-MM-DD")));
}

TEST(Time, MonthArithmetic) {
  auto t = ParseUtc("2027-01-31T10:00Z");
  ASSERT_TRUE(t.ok());
  EXPECT_EQ(FormatDate(StartOfMonth(*t)), "2027-01-01");
  EXPECT_EQ(FormatDate(AddMonths(*t, 1)), "2027-02-01");
  EXPECT_EQ(FormatDate(AddMonths(*t, 13)), "2028-02-01");
  EXPECT_EQ(MonthsBetween(*t, AddMonths(*t, 25)), 25);
}

TEST(Time, Durations) {
  EXPECT_EQ(*ParseDurationSeconds("1h"), 3600);
  EXPECT_EQ(*ParseDurationSeconds("2d"), 172800);
  EXPECT_THAT(ParseDurationSeconds("0h"),
              StatusIs(StatusCode::kInvalidArgument, HasSubstr("expected a positive whole duration")));
  EXPECT_THAT(ParseDurationSeconds("1y"),
              StatusIs(StatusCode::kInvalidArgument, HasSubstr("unknown duration unit")));
}

}  // namespace
}  // namespace fungible
