#include <gtest/gtest.h>

#include <cstddef>
#include <set>
#include <string>

#include "model/enum_names.h"

namespace fungible {
namespace {

// Every enumerator 0 .. N-1 appears once, in declaration order, under a name
// no other enumerator has; the name and the value map to each other.
template <typename E, std::size_t N>
void ExpectOneNamePerEnumerator(const EnumEntry<E> (&table)[N], const char* (*name_of)(E)) {
  std::set<std::string> names;
  for (std::size_t i = 0; i < N; ++i) {
    SCOPED_TRACE(table[i].name);
    EXPECT_EQ(table[i].value, static_cast<E>(i));
    EXPECT_TRUE(names.insert(table[i].name).second);
    EXPECT_STREQ(name_of(table[i].value), table[i].name);
    EXPECT_EQ(EnumValueIn(table, table[i].name), table[i].value);
  }
  EXPECT_EQ(EnumNamesOf(table).size(), N);
  EXPECT_FALSE(EnumValueIn(table, "no-such-name").has_value());
  EXPECT_FALSE(EnumValueIn(table, "").has_value());
}

TEST(EnumTables, EveryEnumeratorHasOneNameInDeclarationOrder) {
  ExpectOneNamePerEnumerator(kPlatformNames, PlatformName);
  ExpectOneNamePerEnumerator(kContractKindNames, ContractKindName);
  ExpectOneNamePerEnumerator(kWorkloadKindNames, WorkloadKindName);
  ExpectOneNamePerEnumerator(kOptionKindNames, OptionKindName);
  ExpectOneNamePerEnumerator(kQuantityUnitNames, QuantityUnitName);
  ExpectOneNamePerEnumerator(
      kLatencyClassNames, +[](LatencyClass c) { return EnumNameIn(kLatencyClassNames, c, ""); });
}

TEST(EnumTables, KnownNamesAndTheFallbackForAValueOutsideTheTable) {
  EXPECT_STREQ(PlatformName(Platform::kGoogle), "google");
  EXPECT_STREQ(ContractKindName(ContractKind::kOnDemand), "on_demand");
  EXPECT_STREQ(WorkloadKindName(WorkloadKind::kServe), "serve");
  EXPECT_STREQ(OptionKindName(OptionKind::kTerminate), "terminate");
  EXPECT_STREQ(QuantityUnitName(QuantityUnit::kMw), "mw");
  EXPECT_EQ(EnumValueIn(kLatencyClassNames, "batch"), LatencyClass::kBatch);
  EXPECT_STREQ(PlatformName(static_cast<Platform>(99)), "other");
  EXPECT_STREQ(WorkloadKindName(static_cast<WorkloadKind>(99)), "research");
}

}  // namespace
}  // namespace fungible
