// The one parallel-for: fork-join over std::thread for loops whose items are
// independent. Callers make each item's result depend only on the item (its
// own random stream, its own output slots), so output never depends on the
// thread count or on which thread ran which item.
#pragma once

#include <algorithm>
#include <atomic>
#include <cstdint>
#include <thread>
#include <vector>

namespace fungible {

// Threads to use for `requested` (0 or less = all hardware threads), at least 1.
inline int ResolveThreads(int requested) {
  if (requested > 0) return requested;
  const unsigned hw = std::thread::hardware_concurrency();
  return hw == 0 ? 1 : static_cast<int>(hw);
}

// The bounds of chunk w of `workers` over [0, n) in units of `grain` items:
// ceil(units * w / workers) * grain, capped at n. Chunk 0 is never smaller
// than chunk 1 (two workers over 5 items: [0, 3) and [3, 5)).
inline std::int64_t ChunkBound(std::int64_t n, std::int64_t grain, std::int64_t workers, std::int64_t w) {
  const std::int64_t units = (n + grain - 1) / grain;
  return std::min(n, (units * w + workers - 1) / workers * grain);
}

// Calls fn(begin, end) on contiguous, disjoint chunks covering [0, n), one
// chunk per thread on up to `threads` threads (the caller's among them), in
// index order within a chunk (a chunk may carry state from item to item, such
// as a warm basis). Chunk boundaries are multiples of `grain` (except the
// last), so neighbouring chunks do not share cache lines of outputs laid out
// by item. Returns when every chunk is done. `fn` must not throw.
template <typename Fn>
void ParallelFor(std::int64_t n, int threads, std::int64_t grain, Fn&& fn) {
  if (n <= 0) return;
  grain = std::max<std::int64_t>(grain, 1);
  const std::int64_t units = (n + grain - 1) / grain;
  const std::int64_t workers = std::min<std::int64_t>(std::max(threads, 1), units);
  if (workers <= 1) {
    fn(std::int64_t{0}, n);
    return;
  }
  auto bounds = [&](std::int64_t w) { return ChunkBound(n, grain, workers, w); };
  std::vector<std::thread> pool;
  pool.reserve(static_cast<size_t>(workers - 1));
  for (std::int64_t w = 1; w < workers; ++w) pool.emplace_back([&, w] { fn(bounds(w), bounds(w + 1)); });
  fn(bounds(0), bounds(1));
  for (auto& t : pool) t.join();
}

// Calls fn(i) once for every i in [0, n) on up to `threads` threads (the
// caller's among them), each thread taking the next index when it is free:
// for items of very unequal cost (LP solves). Returns when every item is done.
// `fn` must not throw; it synchronises whatever it shares (progress, errors).
template <typename Fn>
void ParallelForEach(std::int64_t n, int threads, Fn&& fn) {
  if (n <= 0) return;
  const std::int64_t workers = std::min<std::int64_t>(std::max(threads, 1), n);
  std::atomic<std::int64_t> next{0};
  auto work = [&] {
    for (std::int64_t i = next++; i < n; i = next++) fn(i);
  };
  std::vector<std::thread> pool;
  pool.reserve(static_cast<size_t>(workers - 1));
  for (std::int64_t w = 1; w < workers; ++w) pool.emplace_back(work);
  work();
  for (auto& t : pool) t.join();
}

}  // namespace fungible
