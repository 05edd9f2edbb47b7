#include "model/diagnostics.h"

#include <gtest/gtest.h>

namespace fungible {
namespace {

TEST(Diagnostics, KeepsEveryProblemWithItsPlaceSortedByLineThenColumn) {
  Diagnostics d("fleet.yaml");
  EXPECT_TRUE(d.empty());
  d.Add({7, 3}, "pools[1].chips", "expected a number >= 0, got -8");
  d.Add({0, 0}, "name", "required key missing");
  d.Add({2, 5}, "chip_types[0].id", "duplicate chip type \"h100\"");
  d.Add({7, 1}, "pools[1]", "unknown key \"chip\"");
  EXPECT_FALSE(d.empty());
  const std::vector<Diagnostic> s = d.Sorted();
  ASSERT_EQ(s.size(), 4u);
  EXPECT_EQ(s[0].field, "chip_types[0].id");
  EXPECT_EQ(s[1].field, "pools[1]");
  EXPECT_EQ(s[2].field, "pools[1].chips");
  EXPECT_EQ(s[2].file, "fleet.yaml");
  EXPECT_EQ(s[2].line, 7);
  EXPECT_EQ(s[2].column, 3);
  EXPECT_EQ(s[2].message, "expected a number >= 0, got -8");
  EXPECT_EQ(s[3].field, "name");  // unknown place last
}

}  // namespace
}  // namespace fungible
