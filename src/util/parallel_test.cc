#include "util/parallel.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cstdint>
#include <mutex>
#include <utility>
#include <vector>

namespace fungible {
namespace {

TEST(ResolveThreads, ZeroMeansTheHardwareAndNeverLessThanOne) {
  EXPECT_EQ(ResolveThreads(3), 3);
  EXPECT_GE(ResolveThreads(0), 1);
  EXPECT_GE(ResolveThreads(-2), 1);
}

TEST(ParallelFor, TwoWorkersOverFiveItemsGiveTheFirstTheLargerHalf) {
  // The split SolveBlocks' warm-start chains have always used: (n + 1) / 2.
  EXPECT_EQ(ChunkBound(5, 1, 2, 1), 3);
  EXPECT_EQ(ChunkBound(5, 1, 2, 2), 5);
  EXPECT_EQ(ChunkBound(4, 1, 2, 1), 2);
  // Units of 4 items: 10 items are 3 units, 2 workers take 2 units and 1.
  EXPECT_EQ(ChunkBound(10, 4, 2, 1), 8);
  EXPECT_EQ(ChunkBound(10, 4, 2, 2), 10);
}

TEST(ParallelFor, ChunksAreContiguousDisjointAlignedAndCoverEveryItemOnce) {
  for (std::int64_t n : {0, 1, 2, 5, 17, 100, 1000})
    for (int threads : {1, 2, 3, 8})
      for (std::int64_t grain : {1, 4, 64}) {
        std::mutex mu;
        std::vector<std::pair<std::int64_t, std::int64_t>> chunks;
        std::vector<int> seen(static_cast<size_t>(n), 0);
        ParallelFor(n, threads, grain, [&](std::int64_t b, std::int64_t e) {
          std::lock_guard<std::mutex> lock(mu);
          chunks.emplace_back(b, e);
          for (std::int64_t i = b; i < e; ++i) ++seen[static_cast<size_t>(i)];
        });
        SCOPED_TRACE(testing::Message() << "n " << n << " threads " << threads << " grain " << grain);
        EXPECT_TRUE(std::all_of(seen.begin(), seen.end(), [](int c) { return c == 1; }));
        EXPECT_LE(chunks.size(), static_cast<size_t>(threads));
        std::sort(chunks.begin(), chunks.end());
        std::int64_t at = 0;
        for (const auto& [b, e] : chunks) {
          EXPECT_EQ(b, at);
          EXPECT_LT(b, e);
          if (e != n) {
            EXPECT_EQ(e % grain, 0);
          }
          at = e;
        }
        EXPECT_EQ(at, n);
      }
}

// An item's value from its index alone (a seeded per-index stream).
std::uint64_t ItemValue(std::uint64_t i) {
  std::uint64_t x = i * 0x9E3779B97F4A7C15ull + 1;
  for (int k = 0; k < 100; ++k) x ^= x << 13, x ^= x >> 7, x ^= x << 17;
  return x;
}

TEST(ParallelForEach, EveryItemOnceAndTheSameResultsOnAnyThreadCount) {
  constexpr std::int64_t kItems = 257;
  std::vector<std::uint64_t> one(kItems);
  ParallelForEach(kItems, 1, [&](std::int64_t i) { one[static_cast<size_t>(i)] = ItemValue(i); });
  for (int threads : {2, 3, 8, 300}) {
    std::vector<std::uint64_t> many(kItems, 0);
    std::vector<std::atomic<int>> calls(kItems);
    ParallelForEach(kItems, threads, [&](std::int64_t i) {
      ++calls[static_cast<size_t>(i)];
      many[static_cast<size_t>(i)] = ItemValue(i);
    });
    EXPECT_EQ(many, one) << threads << " threads";
    for (std::int64_t i = 0; i < kItems; ++i) EXPECT_EQ(calls[static_cast<size_t>(i)].load(), 1) << i;
  }
  int calls = 0;
  ParallelForEach(0, 4, [&](std::int64_t) { ++calls; });
  EXPECT_EQ(calls, 0);
}

}  // namespace
}  // namespace fungible
