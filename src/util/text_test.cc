#include "util/text.h"

#include <gtest/gtest.h>

namespace fungible {
namespace {

TEST(Text, Fmt) {
  EXPECT_EQ(Fmt("%.2f", 3.14159), "3.14");
  EXPECT_EQ(Fmt("%+.1f%%", 4.25), "+4.2%");
}

TEST(Text, FixedKeepsOrDropsNegativeZero) {
  EXPECT_EQ(Fixed(2.345, 1), "2.3");
  EXPECT_EQ(Fixed(-0.001, 2), "-0.00");
  EXPECT_EQ(Fixed(-0.001, 2, NegativeZero::kDrop), "0.00");
  EXPECT_EQ(Fixed(-0.01, 2, NegativeZero::kDrop), "-0.01");
  EXPECT_EQ(Fixed(-0.4, 0, NegativeZero::kDrop), "0");
}

TEST(Text, Grouped) {
  EXPECT_EQ(Grouped(1234567.8), "1,234,568");
  EXPECT_EQ(Grouped(-1234), "-1,234");
  EXPECT_EQ(Grouped(999), "999");
  EXPECT_EQ(Grouped(1000), "1,000");
  EXPECT_EQ(Grouped(0), "0");
  EXPECT_EQ(Grouped(-0.4), "0");  // rounds to zero: no sign
  EXPECT_EQ(Grouped(-0.6), "-1");
  EXPECT_EQ(Grouped(-1234.567, 2), "-1,234.57");
  EXPECT_EQ(Grouped(-0.001, 2), "0.00");
  EXPECT_EQ(Grouped(1234567, 1), "1,234,567.0");
}

TEST(Text, Percent) {
  EXPECT_EQ(Percent(0.1234), "12.3%");
  EXPECT_EQ(Percent(0.1234, 0), "12%");
  EXPECT_EQ(Percent(0.5, 2), "50.00%");
}

TEST(Text, Money) {
  EXPECT_EQ(Money(2.5e9), "$2.50B");
  EXPECT_EQ(Money(45.6e6), "$45.6M");
  EXPECT_EQ(Money(7849), "$7.8k");
  EXPECT_EQ(Money(0.123), "$0.12");
  EXPECT_EQ(Money(-1.5e6), "-$1.5M");
  EXPECT_EQ(Money(-0.001), "$0.00");
  EXPECT_EQ(Money(-0.001, MoneySign::kKeepNegativeZero), "-$0.00");
  EXPECT_EQ(Money(-0.0, MoneySign::kKeepNegativeZero), "$0.00");
  EXPECT_EQ(Money(-1.5e6, MoneySign::kAfterDollar), "$-1.5M");
  EXPECT_EQ(Money(-0.0, MoneySign::kAfterDollar), "$-0.00");
  EXPECT_EQ(Money(12.5, MoneySign::kAfterDollar), "$12.50");
}

TEST(Text, TableAlignsColumns) {
  EXPECT_EQ(Table({"name", "n", "usd"}, {{"a", "12345", "1"}, {"longer", "7", "$2.00"}}),
            "  name        n    usd\n"
            "  a       12345      1\n"
            "  longer      7  $2.00\n");
}

TEST(Text, TableTrimsAndClamps) {
  // An empty last cell leaves no trailing spaces; cells beyond the header are dropped.
  EXPECT_EQ(Table({"", "x"}, {{"row", ""}, {"r", "1", "extra"}}),
            "       x\n"
            "  row\n"
            "  r    1\n");
}

}  // namespace
}  // namespace fungible
