// The one collector of located errors: every problem found in one file, each
// with its line, column and field, handed back as one Status. Readers keep
// going after a problem so a file's errors come back together.
#pragma once

#include <string>
#include <vector>

#include "model/fleet.h"
#include "util/status.h"

namespace fungible {

class Diagnostics {
 public:
  explicit Diagnostics(std::string file) : file_(std::move(file)) {}
  void Add(SourceLoc loc, std::string field, std::string message);
  bool empty() const { return list_.empty(); }
  // Sorted by line and column (stable; unknown locations last).
  std::vector<Diagnostic> Sorted() const;

 private:
  std::string file_;
  std::vector<Diagnostic> list_;
};

}  // namespace fungible
