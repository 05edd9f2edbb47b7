#include "util/csv.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "util/status_matchers.h"

namespace fungible {
namespace {

using ::testing::HasSubstr;

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
  EXPECT_THAT(ParseCsv("a,b\n1,2\n3\n", "t.csv"),
              StatusIs(StatusCode::kInvalidArgument, "t.csv:3: expected 2 fields as in the header, got 1"));
}

TEST(Csv, ParseDoubleIsStrict) {
  EXPECT_EQ(*ParseDouble("1.5e3"), 1500.0);
  EXPECT_EQ(*ParseDouble("+2"), 2.0);
  EXPECT_EQ(*ParseDouble("-.5"), -0.5);
  EXPECT_FALSE(ParseDouble("1.5x").has_value());
  EXPECT_FALSE(ParseDouble("inf").has_value());
  EXPECT_FALSE(ParseDouble("-inf").has_value());
  EXPECT_FALSE(ParseDouble("nan").has_value());
  EXPECT_FALSE(ParseDouble("1e999").has_value());
  EXPECT_FALSE(ParseDouble("").has_value());
  EXPECT_FALSE(ParseDouble("0x10").has_value());
  EXPECT_FALSE(ParseDouble(" 1").has_value());
  EXPECT_FALSE(ParseDouble("1 ").has_value());
  EXPECT_FALSE(ParseDouble("+-1").has_value());
}

TEST(Csv, AUtf8ByteOrderMarkIsNotPartOfTheFirstColumnName) {
  auto t = ParseCsv("\xEF\xBB\xBFmonth,model\n2027-02,m\n", "t.csv");
  ASSERT_TRUE(t.ok()) << t.status().ToString();
  EXPECT_EQ(t->header[0], "month");
  EXPECT_EQ(t->Column("month"), 0u);
  EXPECT_EQ(t->row_lines[0], 2);
  // Only at the very start: elsewhere it is data.
  auto inner = ParseCsv("a\n\xEF\xBB\xBFx\n", "t.csv");
  ASSERT_TRUE(inner.ok());
  EXPECT_EQ(inner->rows[0][0], "\xEF\xBB\xBFx");
}

TEST(Csv, FilesAreReadUpToABound) {
  EXPECT_THAT(
      ReadTextFile("/dev/zero", 1 << 20),  // a file without end
      StatusIs(StatusCode::kInvalidArgument, "/dev/zero: larger than 1048576 bytes, the most it may have"));
  EXPECT_THAT(ReadTextFile("/nonexistent.csv"),
              StatusIs(StatusCode::kNotFound, HasSubstr("/nonexistent.csv")));
  auto empty = ReadTextFile("/dev/null");
  ASSERT_TRUE(empty.ok());
  EXPECT_EQ(*empty, "");
}

TEST(Csv, RecordsQuoteWhatRfc4180RequiresAndReadBack) {
  const std::vector<std::string> fields = {"pool,a", "say \"hi\"", "two\nlines", "plain", "", "cr\r"};
  const std::string line = CsvRecord(fields);
  EXPECT_EQ(line, "\"pool,a\",\"say \"\"hi\"\"\",\"two\nlines\",plain,,\"cr\r\"\n");
  auto t = ParseCsv(CsvRecord({"a", "b", "c", "d", "e", "f"}) + line, "t.csv");
  ASSERT_TRUE(t.ok()) << t.status().ToString();
  ASSERT_EQ(t->rows.size(), 1u);
  EXPECT_EQ(t->rows[0], fields);
}

}  // namespace
}  // namespace fungible
