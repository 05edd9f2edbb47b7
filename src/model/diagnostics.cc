#include "model/diagnostics.h"

#include <algorithm>
#include <climits>

namespace fungible {

void Diagnostics::Add(SourceLoc loc, std::string field, std::string message) {
  Diagnostic d;
  d.file = file_;
  d.line = loc.line;
  d.column = loc.column;
  d.field = std::move(field);
  d.message = std::move(message);
  list_.push_back(std::move(d));
}

std::vector<Diagnostic> Diagnostics::Sorted() const {
  std::vector<Diagnostic> out = list_;
  std::stable_sort(out.begin(), out.end(), [](const Diagnostic& a, const Diagnostic& b) {
    // Unknown locations last.
    int la = a.line > 0 ? a.line : INT_MAX, lb = b.line > 0 ? b.line : INT_MAX;
    if (la != lb) return la < lb;
    return a.column < b.column;
  });
  return out;
}

}  // namespace fungible
