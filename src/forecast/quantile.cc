#include "forecast/quantile.h"

#include <algorithm>
#include <cassert>
#include <cmath>
#include <cstdint>

namespace fungible {
namespace {

// Puts the order statistics `ranks` (ascending, unique, inside [b, e)) of
// v[b, e) in place: the middle rank first, then each side on its own part.
void MultiSelect(double* v, size_t b, size_t e, const size_t* ranks, size_t nr) {
  while (nr > 0) {
    const size_t mid = nr / 2;
    const size_t k = ranks[mid];
    std::nth_element(v + b, v + k, v + e);
    MultiSelect(v, b, k, ranks, mid);
    // Continue on the right side iteratively.
    b = k + 1;
    ranks += mid + 1;
    nr -= mid + 1;
  }
}

// Histogram selection for large inputs: bucket by value between min and max
// (a monotone map, so bucket order is value order), count, and select only
// inside the few buckets that hold a wanted rank. Three linear passes instead
// of repeated partitioning. Writes the order statistics to `out` (by rank).
void HistogramSelect(const double* v, size_t n, const size_t* ranks, size_t nr, double* out) {
  constexpr int kBuckets = 2048;
  // Range, with four accumulators (no serial chain).
  double lo4[4] = {v[0], v[0], v[0], v[0]}, hi4[4] = {v[0], v[0], v[0], v[0]};
  size_t i = 0;
  for (; i + 4 <= n; i += 4)
    for (int k = 0; k < 4; ++k) {
      lo4[k] = std::min(lo4[k], v[i + static_cast<size_t>(k)]);
      hi4[k] = std::max(hi4[k], v[i + static_cast<size_t>(k)]);
    }
  for (; i < n; ++i) lo4[0] = std::min(lo4[0], v[i]), hi4[0] = std::max(hi4[0], v[i]);
  const double lo = std::min(std::min(lo4[0], lo4[1]), std::min(lo4[2], lo4[3]));
  const double hi = std::max(std::max(hi4[0], hi4[1]), std::max(hi4[2], hi4[3]));
  if (!(hi > lo)) {  // all equal
    for (size_t r = 0; r < nr; ++r) out[r] = lo;
    return;
  }
  const double scale = (kBuckets - 1) / (hi - lo);
  // One spare bucket: rounding may map the maximum just past the last one.
  constexpr size_t kSlots = kBuckets + 1;
  // Each element's bucket, kept for the gathering pass.
  std::vector<std::uint16_t> bucket(n);
  for (size_t j = 0; j < n; ++j)
    bucket[j] = static_cast<std::uint16_t>(static_cast<std::int64_t>((v[j] - lo) * scale));
  // Two interleaved histograms: neighbours in the same bucket do not wait
  // on each other's increment.
  std::vector<std::uint32_t> count2(2 * kSlots, 0);
  size_t j = 0;
  for (; j + 2 <= n; j += 2) {
    ++count2[bucket[j]];
    ++count2[kSlots + bucket[j + 1]];
  }
  if (j < n) ++count2[bucket[j]];
  std::vector<std::uint32_t> count(kSlots);
  for (size_t b = 0; b < kSlots; ++b) count[b] = count2[b] + count2[kSlots + b];
  // first[b] = rank of the first element in bucket b.
  std::vector<std::uint32_t> first(kSlots + 1, 0);
  for (size_t b = 0; b < kSlots; ++b) first[b + 1] = first[b] + count[b];
  // Buckets holding a wanted rank, and where their elements go in `gathered`.
  std::vector<int> wanted_bucket(nr);
  std::vector<std::int32_t> slot(kSlots, -1);
  std::vector<std::uint32_t> slot_begin;
  std::uint32_t total = 0;
  for (size_t r = 0; r < nr; ++r) {
    const auto it = std::upper_bound(first.begin(), first.end(), static_cast<std::uint32_t>(ranks[r]));
    const int b = static_cast<int>(it - first.begin()) - 1;
    wanted_bucket[r] = b;
    if (slot[static_cast<size_t>(b)] < 0) {
      slot[static_cast<size_t>(b)] = static_cast<std::int32_t>(slot_begin.size());
      slot_begin.push_back(total);
      total += count[static_cast<size_t>(b)];
    }
  }
  std::vector<double> gathered(total);
  std::vector<std::uint32_t> fill(slot_begin);
  for (size_t k = 0; k < n; ++k) {
    const std::int32_t sl = slot[bucket[k]];
    if (sl >= 0) gathered[fill[static_cast<size_t>(sl)]++] = v[k];
  }
  for (size_t r = 0; r < nr; ++r) {
    const int b = wanted_bucket[r];
    double* begin = gathered.data() + slot_begin[static_cast<size_t>(slot[static_cast<size_t>(b)])];
    double* end = begin + count[static_cast<size_t>(b)];
    double* kth = begin + (ranks[r] - first[static_cast<size_t>(b)]);
    std::nth_element(begin, kth, end);
    out[r] = *kth;
  }
}

constexpr size_t kHistogramMinSize = 4096;

}  // namespace

void QuantileBrackets(std::span<const double> values, std::span<const double> probs,
                      std::span<QuantileBracket> out) {
  assert(!values.empty() && out.size() == probs.size());
  const size_t n = values.size();
  std::vector<size_t> lo(probs.size());
  std::vector<size_t> ranks;
  ranks.reserve(2 * probs.size());
  for (size_t j = 0; j < probs.size(); ++j) {
    const double h = static_cast<double>(n - 1) * std::clamp(probs[j], 0.0, 1.0);
    lo[j] = std::min(static_cast<size_t>(std::floor(h)), n - 1);
    out[j].frac = lo[j] + 1 < n ? h - static_cast<double>(lo[j]) : 0.0;
    ranks.push_back(lo[j]);
    if (lo[j] + 1 < n) ranks.push_back(lo[j] + 1);
  }
  std::sort(ranks.begin(), ranks.end());
  ranks.erase(std::unique(ranks.begin(), ranks.end()), ranks.end());
  std::vector<double> stat(ranks.size());
  if (n >= kHistogramMinSize) {
    HistogramSelect(values.data(), n, ranks.data(), ranks.size(), stat.data());
  } else {
    std::vector<double> copy(values.begin(), values.end());
    MultiSelect(copy.data(), 0, n, ranks.data(), ranks.size());
    for (size_t r = 0; r < ranks.size(); ++r) stat[r] = copy[ranks[r]];
  }
  auto at = [&](size_t rank) {
    return stat[static_cast<size_t>(std::lower_bound(ranks.begin(), ranks.end(), rank) - ranks.begin())];
  };
  for (size_t j = 0; j < probs.size(); ++j) {
    out[j].lo = at(lo[j]);
    out[j].hi = lo[j] + 1 < n ? at(lo[j] + 1) : out[j].lo;
  }
}

std::vector<double> Quantiles(std::span<const double> values, std::span<const double> probs) {
  std::vector<QuantileBracket> b(probs.size());
  QuantileBrackets(values, probs, b);
  std::vector<double> q(probs.size());
  for (size_t j = 0; j < b.size(); ++j) q[j] = b[j].Value();
  return q;
}

double EmpiricalCdf(std::span<const double> values, double y) {
  if (values.empty()) return 0;
  size_t below = 0;
  for (double v : values) below += v <= y;
  return static_cast<double>(below) / static_cast<double>(values.size());
}

}  // namespace fungible
