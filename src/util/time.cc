#include "util/time.h"

#include <charconv>
#include <chrono>
#include <cstdio>

namespace fungible {
namespace {

bool ParseInt(std::string_view s, int& out) {
  if (s.empty()) return false;
  for (char c : s)
    if (c < '0' || c > '9') return false;
  auto res = std::from_chars(s.data(), s.data() + s.size(), out);
  return res.ec == std::errc() && res.ptr == s.data() + s.size();
}

std::chrono::year_month_day ToYmd(UtcSeconds t) {
  auto days = std::chrono::floor<std::chrono::days>(std::chrono::sys_seconds(std::chrono::seconds(t)));
  return std::chrono::year_month_day(days);
}

}  // namespace

StatusOr<UtcSeconds> ParseUtc(std::string_view text) {
  const std::string quoted = "\"" + std::string(text) + "\"";
  if (text.size() < 10 || text[4] != '-' || text[7] != '-')
    return Status::Invalid("expected a UTC date YYYY-MM-DD or time YYYY-MM-DDTHH:MMZ, got " + quoted);
  int y = 0, mo = 0, d = 0;
  if (!ParseInt(text.substr(0, 4), y) || !ParseInt(text.substr(5, 2), mo) || !ParseInt(text.substr(8, 2), d))
    return Status::Invalid("expected a UTC date YYYY-MM-DD, got " + quoted);
  std::chrono::year_month_day ymd{std::chrono::year(y), std::chrono::month(static_cast<unsigned>(mo)),
                                  std::chrono::day(static_cast<unsigned>(d))};
  if (!ymd.ok()) return Status::Invalid("impossible date " + quoted);
  std::int64_t secs = std::chrono::sys_days(ymd).time_since_epoch() / std::chrono::seconds(1);
  std::string_view rest = text.substr(10);
  if (rest.empty()) return secs;
  if (rest[0] != 'T' && rest[0] != ' ') return Status::Invalid("expected 'T' after the date in " + quoted);
  rest.remove_prefix(1);
  std::string_view tz;
  if (!rest.empty() && (rest.back() == 'Z' || rest.back() == 'z')) {
    tz = "Z";
    rest.remove_suffix(1);
  } else if (rest.size() > 6 && rest.substr(rest.size() - 6) == "+00:00") {
    tz = "Z";
    rest.remove_suffix(6);
  }
  if (tz.empty())
    return Status::Invalid("time " + quoted + " has no UTC zone: end it with 'Z' (times are UTC)");
  int h = 0, mi = 0, s = 0;
  if (rest.size() != 5 && rest.size() != 8) return Status::Invalid("expected HH:MM or HH:MM:SS in " + quoted);
  if (!ParseInt(rest.substr(0, 2), h) || rest[2] != ':' || !ParseInt(rest.substr(3, 2), mi) ||
      (rest.size() == 8 && (rest[5] != ':' || !ParseInt(rest.substr(6, 2), s))))
    return Status::Invalid("expected HH:MM or HH:MM:SS in " + quoted);
  if (h > 23 || mi > 59 || s > 59) return Status::Invalid("impossible time of day in " + quoted);
  return secs + h * kSecondsPerHour + mi * 60 + s;
}

std::string FormatUtc(UtcSeconds t) {
  auto ymd = ToYmd(t);
  std::int64_t sod = ((t % kSecondsPerDay) + kSecondsPerDay) % kSecondsPerDay;
  char buf[32];
  std::snprintf(buf, sizeof buf, "%04d-%02u-%02uT%02d:%02dZ", static_cast<int>(ymd.year()),
                static_cast<unsigned>(ymd.month()), static_cast<unsigned>(ymd.day()),
                static_cast<int>(sod / 3600), static_cast<int>((sod % 3600) / 60));
  return buf;
}

std::string FormatRfc3339(UtcSeconds t) {
  std::int64_t sec = ((t % 60) + 60) % 60;
  std::string out = FormatUtc(t);
  out.insert(out.size() - 1, ":" + std::string(sec < 10 ? "0" : "") + std::to_string(sec));
  return out;
}

std::string FormatDate(UtcSeconds t) { return FormatUtc(t).substr(0, 10); }
std::string FormatMonth(UtcSeconds t) { return FormatUtc(t).substr(0, 7); }

int HourOfDay(UtcSeconds t) {
  return static_cast<int>((((t % kSecondsPerDay) + kSecondsPerDay) % kSecondsPerDay) / kSecondsPerHour);
}

int Weekday(UtcSeconds t) {
  auto days = std::chrono::floor<std::chrono::days>(std::chrono::sys_seconds(std::chrono::seconds(t)));
  unsigned iso = std::chrono::weekday(days).iso_encoding();  // 1 = Monday .. 7 = Sunday
  return static_cast<int>(iso) - 1;
}

UtcSeconds StartOfMonth(UtcSeconds t) {
  auto ymd = ToYmd(t);
  std::chrono::year_month_day first{ymd.year(), ymd.month(), std::chrono::day(1)};
  return std::chrono::sys_days(first).time_since_epoch() / std::chrono::seconds(1);
}

UtcSeconds AddMonths(UtcSeconds month_start, int months) {
  auto ymd = ToYmd(StartOfMonth(month_start));
  std::chrono::year_month ym = std::chrono::year_month(ymd.year(), ymd.month()) + std::chrono::months(months);
  std::chrono::year_month_day first{ym.year(), ym.month(), std::chrono::day(1)};
  return std::chrono::sys_days(first).time_since_epoch() / std::chrono::seconds(1);
}

int MonthsBetween(UtcSeconds from, UtcSeconds to) {
  auto a = ToYmd(from), b = ToYmd(to);
  return (static_cast<int>(b.year()) - static_cast<int>(a.year())) * 12 +
         (static_cast<int>(static_cast<unsigned>(b.month())) -
          static_cast<int>(static_cast<unsigned>(a.month())));
}

StatusOr<std::int64_t> ParseDurationSeconds(std::string_view text) {
  const std::string quoted = "\"" + std::string(text) + "\"";
  if (text.size() < 2) return Status::Invalid("expected a duration like 1h, 30m, 2d, got " + quoted);
  char unit = text.back();
  int n = 0;
  if (!ParseInt(text.substr(0, text.size() - 1), n) || n <= 0)
    return Status::Invalid("expected a positive whole duration like 1h, 30m, 2d, got " + quoted);
  switch (unit) {
    case 's': return static_cast<std::int64_t>(n);
    case 'm': return static_cast<std::int64_t>(n) * 60;
    case 'h': return static_cast<std::int64_t>(n) * kSecondsPerHour;
    case 'd': return static_cast<std::int64_t>(n) * kSecondsPerDay;
    case 'w': return static_cast<std::int64_t>(n) * 7 * kSecondsPerDay;
    default: return Status::Invalid("unknown duration unit in " + quoted + " (use s, m, h, d or w)");
  }
}

}  // namespace fungible
