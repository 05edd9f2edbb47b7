// Numbers and tables for people: what the CLI and the text reports print.
// One implementation, so that every command writes a figure the same way.
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace fungible {

// One number through printf: Fmt("%.2f", 3.14159) == "3.14".
std::string Fmt(const char* format, double v);

// Whether a value too small to show keeps its minus sign ("-0.00").
enum class NegativeZero { kKeep, kDrop };

// v with `decimals` digits after the point: Fixed(2.345, 1) == "2.3".
// kDrop prints a value below half the last digit as "0.00", never "-0.00".
std::string Fixed(double v, int decimals, NegativeZero zero = NegativeZero::kKeep);

// Thousands separators: Grouped(1234567.8) == "1,234,568",
// Grouped(-1234.567, 2) == "-1,234.57". A value that rounds to zero has no sign.
std::string Grouped(double v, int decimals = 0);

// A share in percent: Percent(0.1234) == "12.3%", Percent(0.1234, 0) == "12%".
std::string Percent(double share, int decimals = 1);

// How Money signs a negative amount.
enum class MoneySign {
  kDropNegativeZero,  // "-$1.50M"; under half a cent prints "$0.00", never "-$0.00"
  kKeepNegativeZero,  // "-$1.50M"; every v < 0 is signed, -0.001 too ("-$0.00")
  kAfterDollar,       // "$-1.50M": the sign where printf puts it (also "$-0.00" for -0.0)
};

// Short money: "$1.23B", "$45.6M", "$7.8k", "$0.12".
std::string Money(double usd, MoneySign sign = MoneySign::kDropNegativeZero);

// A column-aligned table: two leading spaces, two between columns, the first
// column left-aligned and the rest right-aligned, no trailing spaces; cells
// beyond the header's columns are left out.
std::string Table(const std::vector<std::string>& header, const std::vector<std::vector<std::string>>& rows);

// Closest matches for `word` among `candidates`, best first, for "did you
// mean": one edit for short words, else up to a third of the longer word (a
// swap of two neighbours is one edit; case, '-', '_' and ' ' do not count);
// failing that, the few candidates that start with the word. Empty when
// nothing is close.
std::vector<std::string> SuggestClosest(std::string_view word, const std::vector<std::string>& candidates);

}  // namespace fungible
