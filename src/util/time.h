// UTC time as whole seconds since the Unix epoch. Every time in fungible is UTC.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "util/status.h"

namespace fungible {

using UtcSeconds = std::int64_t;  // seconds since 1970-01-01T00:00:00Z

constexpr std::int64_t kSecondsPerHour = 3600;
constexpr std::int64_t kSecondsPerDay = 86400;

// Accepts "YYYY-MM-DD", "YYYY-MM-DDTHH:MMZ", "YYYY-MM-DDTHH:MM:SSZ" (a trailing
// "Z" or "+00:00" is required when a time is given). Rejects impossible dates
// such as 2027-02-30 with a message naming what is wrong.
StatusOr<UtcSeconds> ParseUtc(std::string_view text);

// "YYYY-MM-DDTHH:MMZ", for people.
std::string FormatUtc(UtcSeconds t);
// "YYYY-MM-DDTHH:MM:SSZ": RFC 3339 with seconds and a zone, for JSON and the API.
std::string FormatRfc3339(UtcSeconds t);
// "YYYY-MM-DD".
std::string FormatDate(UtcSeconds t);
// "YYYY-MM".
std::string FormatMonth(UtcSeconds t);

int HourOfDay(UtcSeconds t);  // 0..23
int Weekday(UtcSeconds t);    // 0 = Monday .. 6 = Sunday
// First instant of the calendar month containing t, plus `months` months.
UtcSeconds AddMonths(UtcSeconds month_start, int months);
UtcSeconds StartOfMonth(UtcSeconds t);
// Whole months from the month of `from` to the month of `to` (calendar months).
int MonthsBetween(UtcSeconds from, UtcSeconds to);

// Durations: "1h", "30m", "2d", "1w", "90s" -> seconds. Positive only.
StatusOr<std::int64_t> ParseDurationSeconds(std::string_view text);

}  // namespace fungible
