#include "util/csv.h"

#include <gtest/gtest.h>

namespace fungible {
namespace {

TEST(Csv, QuotedFieldsWithNewlinesKeepRecordLines) {
  auto t = ParseCsv("a,b\n1,\"x\ny\"\n2,z\n", "t.csv");
  ASSERT_TRUE(t.ok()) << t.status().ToString();
  ASSERT_EQ(t->rows.size(), 2u);
  EXPECT_EQ(t->rows[0][1], "x\ny");
  EXPECT_EQ(t->row_lines[0], 2);
  EXPECT_EQ(t->row_lines[1], 4);
  EXPECT_EQ(t->At(1, 1, "b", "bad").ToString(), "t.csv:4:2: b: bad");
}

TEST(Csv, WrongFieldCountNamesTheLine) {
  auto t = ParseCsv("a,b\n1,2\n3\n", "t.csv");
  ASSERT_FALSE(t.ok());
  EXPECT_EQ(t.status().message(), "t.csv:3: expected 2 fields as in the header, got 1");
}

TEST(Csv, ParseDoubleIsStrict) {
  EXPECT_EQ(*ParseDouble("1.5e3"), 1500.0);
  EXPECT_FALSE(ParseDouble("1.5x").has_value());
  EXPECT_FALSE(ParseDouble("inf").has_value());
  EXPECT_FALSE(ParseDouble("").has_value());
}

}  // namespace
}  // namespace fungible
