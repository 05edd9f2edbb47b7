// A minimal fork-join over std::thread for the forecast's embarrassingly
// parallel loops. Work is split into contiguous chunks; callers make each
// item's result depend only on the item (its own random stream, its own output
// slots), so output never depends on the thread count.
#pragma once

#include <algorithm>
#include <cstdint>
#include <thread>
#include <vector>

namespace fungible::forecast_internal {

// Threads to use for `requested` (0 = all hardware threads), at least 1.
inline int ResolveThreads(int requested) {
  if (requested > 0) return requested;
  const unsigned hw = std::thread::hardware_concurrency();
  return hw == 0 ? 1 : static_cast<int>(hw);
}

// Calls fn(begin, end) on disjoint chunks covering [0, n), on up to `threads`
// threads (the caller's among them). Chunk boundaries are multiples of
// `grain` (except the last), so neighbouring chunks do not share cache lines
// of outputs laid out by item. Returns when every chunk is done. `fn` must not
// throw.
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
  auto bounds = [&](std::int64_t w) { return std::min(n, (units * w / workers) * grain); };
  std::vector<std::thread> pool;
  pool.reserve(static_cast<size_t>(workers - 1));
  for (std::int64_t w = 1; w < workers; ++w) pool.emplace_back([&, w] { fn(bounds(w), bounds(w + 1)); });
  fn(bounds(0), bounds(1));
  for (auto& t : pool) t.join();
}

}  // namespace fungible::forecast_internal
