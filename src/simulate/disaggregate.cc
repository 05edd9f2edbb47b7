// Spreading the engine's chips per chip type back over the pools.
#include <algorithm>
#include <cmath>

#include "simulate/internal/planner.h"

namespace fungible::simulate_internal {

long Disaggregate(const World& wd, const std::vector<std::vector<std::vector<int>>>& totals, int period,
                  int h0, int K, const std::vector<int>& serve_quota, const std::vector<int>& before,
                  std::vector<int>& plan) {
  long unplaced = 0;
  const int P = wd.num_pools, W = wd.num_workloads;
  std::vector<int> prev = before;
  std::vector<int> free0(static_cast<size_t>(P)), free1(static_cast<size_t>(P));
  std::vector<int> left(static_cast<size_t>(W));
  for (int k = 0; k < K; ++k) {
    const int t = k / period;
    for (int p = 0; p < P; ++p) {
      const int up = wd.KnownUp(p, h0 + k, h0);
      const int serve = serve_quota.empty() ? up : std::min(up, serve_quota[p]);
      free0[p] = serve;  // serving side (everything when there are no sides)
      free1[p] = up - serve;
    }
    for (int a = 0; a < wd.num_aggs; ++a) {
      const auto& pools = wd.agg_members[a];
      std::vector<int> saved0, saved1;
      for (int p : pools) saved0.push_back(free0[p]), saved1.push_back(free1[p]);
      // First keeping every class where it was; if some gang then fits
      // nowhere, again with the gangs packed afresh (largest first, best fit).
      for (int attempt = 0; attempt < 2; ++attempt) {
        const bool sticky_gangs = attempt == 0;
        if (attempt == 1) {
          for (size_t i = 0; i < pools.size(); ++i) {
            free0[pools[i]] = saved0[i];
            free1[pools[i]] = saved1[i];
            for (int w = 0; w < W; ++w) plan[(pools[i] * W + w) * K + k] = 0;
          }
        }
        for (int w = 0; w < W; ++w) left[w] = totals[a][w][t];
        auto room = [&](int p, int w) -> int& {
          return serve_quota.empty() || wd.served_model[w] >= 0 ? free0[p] : free1[p];
        };
        auto unit_of = [&](int w, int p) {
          const GangFit& g = wd.fit[w][p];
          return g.is_gang ? std::max(1, static_cast<int>(std::lround(g.chips_per_gang))) : 1;
        };
        // Gang classes first, largest gangs first (they are the hard part of
        // the packing), then elastic classes in spec order.
        std::vector<int> order;
        for (int w = 0; w < W; ++w)
          if (wd.fit[w][pools.front()].is_gang) order.push_back(w);
        std::stable_sort(order.begin(), order.end(),
                         [&](int x, int y) { return unit_of(x, pools.front()) > unit_of(y, pools.front()); });
        const size_t n_gang = order.size();
        for (int w = 0; w < W; ++w)
          if (!wd.fit[w][pools.front()].is_gang) order.push_back(w);
        // Pass 0: keep what each class had on each pool.
        for (int w : order)
          for (int p : pools) {
            if (!sticky_gangs && wd.fit[w][p].is_gang) break;
            if (left[w] <= 0) break;
            const int unit = unit_of(w, p);
            int& r = room(p, w);
            const int n = std::min({prev[p * W + w], left[w], r}) / unit * unit;
            if (n <= 0) continue;
            plan[(p * W + w) * K + k] = n;
            r -= n;
            left[w] -= n;
          }
        // Pass 1: the rest; gangs one at a time into the pool they fit most
        // tightly (best fit), elastic chips wherever there is room.
        for (size_t i = 0; i < order.size(); ++i) {
          const int w = order[i];
          if (i < n_gang) {
            const int unit = unit_of(w, pools.front());
            while (left[w] >= unit) {
              int best = -1;
              for (int p : pools)
                if (room(p, w) >= unit && (best < 0 || room(p, w) < room(best, w))) best = p;
              if (best < 0) break;
              plan[(best * W + w) * K + k] += unit;
              room(best, w) -= unit;
              left[w] -= unit;
            }
            continue;
          }
          for (int p : pools) {
            if (left[w] <= 0) break;
            int& r = room(p, w);
            const int n = std::min(left[w], r);
            if (n <= 0) continue;
            plan[(p * W + w) * K + k] += n;
            r -= n;
            left[w] -= n;
          }
        }
        // A gang that found no pool with room for it whole: make room where
        // elastic chips sit, and move those chips to the room left elsewhere.
        for (int w = 0; w < W; ++w) {
          if (!wd.fit[w][pools.front()].is_gang) continue;
          const int unit = unit_of(w, pools.front());
          while (left[w] >= unit) {
            int best = -1, best_room = -1;
            for (int p : pools) {
              int movable = room(p, w);
              for (int v = 0; v < W; ++v)
                if (!wd.fit[v][p].is_gang && &room(p, v) == &room(p, w)) movable += plan[(p * W + v) * K + k];
              if (movable >= unit && movable > best_room) best = p, best_room = movable;
            }
            if (best < 0) break;
            int& r = room(best, w);
            int evicted = 0;
            std::vector<int> moved(static_cast<size_t>(W), 0);
            for (int v = W - 1; v >= 0 && r + evicted < unit; --v) {
              if (wd.fit[v][best].is_gang || &room(best, v) != &r) continue;
              const int take = std::min(plan[(best * W + v) * K + k], unit - r - evicted);
              plan[(best * W + v) * K + k] -= take;
              moved[v] += take;
              evicted += take;
            }
            r += evicted;
            plan[(best * W + w) * K + k] += unit;
            r -= unit;
            left[w] -= unit;
            for (int v = 0; v < W; ++v)
              for (int p : pools) {
                if (moved[v] <= 0) break;
                if (p == best) continue;
                int& rv = room(p, v);
                const int n = std::min(moved[v], rv);
                plan[(p * W + v) * K + k] += n;
                rv -= n;
                moved[v] -= n;
              }
          }
        }
        bool stuck = false;
        for (int w = 0; w < W; ++w) stuck = stuck || (wd.fit[w][pools.front()].is_gang && left[w] > 0);
        if (!stuck || attempt == 1) break;
      }
      for (int w = 0; w < W; ++w) unplaced += left[w];
    }
    for (int p = 0; p < P; ++p)
      for (int w = 0; w < W; ++w) prev[p * W + w] = plan[(p * W + w) * K + k];
  }
  return unplaced;
}

}  // namespace fungible::simulate_internal
