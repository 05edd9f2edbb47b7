#include "util/time.h"

#include <gtest/gtest.h>

namespace fungible {
namespace {

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
  auto st = ParseUtc("2027-02-30");
  ASSERT_FALSE(st.ok());
  EXPECT_NE(st.status().message().find("impossible date"), std::string::npos);
  EXPECT_FALSE(ParseUtc("2027-01-04T25:00Z").ok());
  EXPECT_FALSE(ParseUtc("2027-01-04T10:00").ok());  // no zone
  EXPECT_FALSE(ParseUtc("next tuesday").ok());
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
  EXPECT_FALSE(ParseDurationSeconds("0h").ok());
  EXPECT_FALSE(ParseDurationSeconds("1y").ok());
}

}  // namespace
}  // namespace fungible
