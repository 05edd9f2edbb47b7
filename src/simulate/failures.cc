#include "simulate/failures.h"

#include <algorithm>
#include <cmath>

#include "forecast/random.h"
#include "util/csv.h"

namespace fungible {
namespace {

// Stream purpose of failure draws: outside forecast's StreamPurpose values so
// that a seed shared with a forecast never reuses its draws.
constexpr std::uint64_t kFailureStream = 1001;

}  // namespace

StatusOr<InjectedFailure> ParseInjectedFailure(const std::string& text) {
  const std::string usage =
      "--inject-failure: expected POOL@TIME+HOURS[*FRACTION] (e.g. h100-east@2027-01-03T10:00Z+6), got \"" +
      text + "\"";
  const size_t at = text.find('@');
  const size_t plus = text.rfind('+');
  if (at == std::string::npos || at == 0 || plus == std::string::npos || plus < at)
    return Status::Invalid(usage);
  InjectedFailure f;
  f.pool = text.substr(0, at);
  auto t = ParseUtc(text.substr(at + 1, plus - at - 1));
  if (!t.ok()) return Status::Invalid(usage + ": " + t.status().message());
  f.at = *t;
  std::string rest = text.substr(plus + 1);
  const size_t star = rest.find('*');
  std::string hours = rest.substr(0, star);
  if (hours.empty() || hours.find_first_not_of("0123456789") != std::string::npos || hours.size() > 6)
    return Status::Invalid(usage + ": HOURS must be a whole number");
  f.hours = std::stoi(hours);
  if (star != std::string::npos) {
    auto frac = ParseDouble(rest.substr(star + 1));
    if (!frac) return Status::Invalid(usage + ": FRACTION must be a number in (0, 1]");
    f.fraction = *frac;
  }
  return f;
}

StatusOr<std::vector<FailureEvent>> ScheduleFailures(const Fleet& fleet, UtcSeconds start, int hours,
                                                     std::uint64_t seed,
                                                     const std::vector<InjectedFailure>& injected) {
  std::vector<FailureEvent> out;
  for (const auto& inj : injected) {
    int p = -1;
    for (size_t i = 0; i < fleet.pools.size(); ++i)
      if (fleet.pools[i].id == inj.pool) p = static_cast<int>(i);
    if (p < 0) {
      std::string ids;
      for (const auto& pool : fleet.pools) ids += (ids.empty() ? "" : ", ") + pool.id;
      return Status::Invalid("injected failure: unknown pool \"" + inj.pool + "\" (pools: " + ids + ")");
    }
    if (inj.hours < 1)
      return Status::Invalid("injected failure on " + inj.pool + ": hours must be at least 1");
    if (!(inj.fraction > 0 && inj.fraction <= 1))
      return Status::Invalid("injected failure on " + inj.pool + ": fraction must be in (0, 1]");
    const UtcSeconds end = start + static_cast<UtcSeconds>(hours) * kSecondsPerHour;
    if (inj.at < start || inj.at >= end || (inj.at - start) % kSecondsPerHour != 0)
      return Status::Invalid("injected failure on " + inj.pool + " at " + FormatUtc(inj.at) +
                             ": expected a whole hour inside the run " + FormatUtc(start) + ".." +
                             FormatUtc(end));
    FailureEvent e;
    e.pool = p;
    e.start_hour = static_cast<int>((inj.at - start) / kSecondsPerHour);
    e.end_hour = std::min(hours, e.start_hour + inj.hours);
    e.fraction = inj.fraction;
    e.injected = true;
    out.push_back(e);
  }
  for (size_t p = 0; p < fleet.pools.size(); ++p) {
    const Pool& pool = fleet.pools[p];
    if (!(pool.mtbf_hours > 0)) continue;
    Rng rng(StreamKey(seed, kFailureStream, p));
    double clock = 0;
    while (true) {
      clock += -pool.mtbf_hours * std::log(rng.UniformOpen());
      if (clock >= hours) break;
      const double repair = pool.mttr_hours > 0 ? -pool.mttr_hours * std::log(rng.UniformOpen()) : 1.0;
      FailureEvent e;
      e.pool = static_cast<int>(p);
      e.start_hour = static_cast<int>(std::floor(clock));
      e.end_hour = std::min(hours, e.start_hour + std::max(1, static_cast<int>(std::ceil(repair))));
      e.fraction = pool.failure_fraction;
      out.push_back(e);
      clock = e.end_hour;
    }
  }
  std::stable_sort(out.begin(), out.end(), [](const FailureEvent& a, const FailureEvent& b) {
    return a.start_hour != b.start_hour ? a.start_hour < b.start_hour : a.pool < b.pool;
  });
  return out;
}

}  // namespace fungible
