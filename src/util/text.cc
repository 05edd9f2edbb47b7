#include "util/text.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <string>
#include <vector>

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

namespace {

size_t EditDistance(std::string_view a, std::string_view b) {
  std::vector<size_t> prev2(b.size() + 1), prev(b.size() + 1), cur(b.size() + 1);
  for (size_t j = 0; j <= b.size(); ++j) prev[j] = j;
  for (size_t i = 1; i <= a.size(); ++i) {
    cur[0] = i;
    for (size_t j = 1; j <= b.size(); ++j) {
      size_t sub = prev[j - 1] + (a[i - 1] == b[j - 1] ? 0 : 1);
      cur[j] = std::min({prev[j] + 1, cur[j - 1] + 1, sub});
      // A swap of two neighbours ("tpye") is one edit.
      if (i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1])
        cur[j] = std::min(cur[j], prev2[j - 2] + 1);
    }
    prev2 = prev;
    std::swap(prev, cur);
  }
  return prev[b.size()];
}

// Lower case, with '-' and ' ' read as '_': "Chip-Type" and "chip_type" are one word.
std::string Folded(std::string_view s) {
  std::string out(s);
  for (char& c : out) {
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
    if (c == '-' || c == ' ') c = '_';
  }
  return out;
}

}  // namespace

std::vector<std::string> SuggestClosest(std::string_view word, const std::vector<std::string>& candidates) {
  const std::string w = Folded(word);
  size_t best = std::string::npos;
  std::vector<std::string> out;
  for (const auto& c : candidates) {
    size_t d = EditDistance(w, Folded(c));
    // Close enough: one edit for short words, else a third of the longer word (at least 2).
    size_t longer = std::max(w.size(), c.size());
    size_t limit = longer < 5 ? 1 : std::max<size_t>(2, longer / 3);
    if (d > limit) continue;
    if (d < best) {
      best = d;
      out = {c};
    } else if (d == best) {
      out.push_back(c);
    }
  }
  if (!out.empty() || w.size() < 3) return out;
  // Ids are often shortened or given another variant: "h100" or "h100-pcie"
  // for "h100-sxm". Suggest candidates that start with the word, or share its
  // first dash-separated part, when only a few do.
  const std::string head = w.substr(0, w.find_first_of("-_"));
  for (const auto& c : candidates) {
    const std::string lc = Folded(c);
    if (lc.rfind(w, 0) == 0 ||
        (head.size() >= 3 && lc.rfind(head, 0) == 0 && (lc.size() == head.size() || lc[head.size()] == '_')))
      out.push_back(c);
  }
  if (out.size() > 3) out.clear();
  return out;
}

}  // namespace fungible
