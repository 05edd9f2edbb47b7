#include "util/text.h"

#include <algorithm>
#include <cmath>
#include <cstdio>

namespace fungible {

std::string Fmt(const char* format, double v) {
  char buf[64];
  std::snprintf(buf, sizeof buf, format, v);
  return buf;
}

std::string Fixed(double v, int decimals, NegativeZero zero) {
  if (zero == NegativeZero::kDrop && std::fabs(v) < 0.5 * std::pow(10.0, -decimals)) v = 0;
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.*f", decimals, v);
  return buf;
}

std::string Grouped(double v, int decimals) {
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.*f", decimals, std::fabs(v));
  const std::string s = buf;
  const size_t dot = s.find('.');
  const std::string digits = s.substr(0, dot);
  std::string out;
  for (size_t i = 0; i < digits.size(); ++i) {
    if (i > 0 && (digits.size() - i) % 3 == 0) out += ',';
    out += digits[i];
  }
  if (dot != std::string::npos) out += s.substr(dot);
  const bool negative = v < 0 && out.find_first_not_of("0,.") != std::string::npos;
  return (negative ? "-" : "") + out;
}

std::string Percent(double share, int decimals) {
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.*f%%", decimals, 100 * share);
  return buf;
}

std::string Money(double v, MoneySign sign) {
  if (sign == MoneySign::kDropNegativeZero && std::fabs(v) < 0.005) v = 0;
  const double a = std::fabs(v);
  const bool negative = sign == MoneySign::kAfterDollar ? std::signbit(v) : v < 0;
  const char* prefix = !negative ? "$" : sign == MoneySign::kAfterDollar ? "$-" : "-$";
  char buf[64];
  if (a >= 1e9)
    std::snprintf(buf, sizeof buf, "%s%.2fB", prefix, a / 1e9);
  else if (a >= 1e6)
    std::snprintf(buf, sizeof buf, "%s%.1fM", prefix, a / 1e6);
  else if (a >= 1e3)
    std::snprintf(buf, sizeof buf, "%s%.1fk", prefix, a / 1e3);
  else
    std::snprintf(buf, sizeof buf, "%s%.2f", prefix, a);
  return buf;
}

std::string Table(const std::vector<std::string>& header, const std::vector<std::vector<std::string>>& rows) {
  std::vector<size_t> width(header.size());
  for (size_t i = 0; i < header.size(); ++i) width[i] = header[i].size();
  for (const auto& r : rows)
    for (size_t i = 0; i < r.size() && i < width.size(); ++i) width[i] = std::max(width[i], r[i].size());
  auto line = [&](const std::vector<std::string>& cells) {
    std::string out = "  ";
    for (size_t i = 0; i < cells.size() && i < width.size(); ++i) {
      std::string pad(width[i] - cells[i].size(), ' ');
      if (i > 0) out += "  ";
      out += i == 0 ? cells[i] + pad : pad + cells[i];
    }
    while (!out.empty() && out.back() == ' ') out.pop_back();
    return out + "\n";
  };
  std::string out = line(header);
  for (const auto& r : rows) out += line(r);
  return out;
}

}  // namespace fungible
