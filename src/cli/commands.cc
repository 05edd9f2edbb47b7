// What every command shares, in both binaries (fungible and fungible-mpi).
#include "cli/commands.h"

#include <unistd.h>

#include <cstdio>
#include <fstream>

#include "cli/exit_codes.h"

namespace fungible::cli {

int ReportError(const Status& st) {
  if (st.diagnostics().empty()) {
    std::fprintf(stderr, "fungible: %s\n", st.ToString().c_str());
  } else {
    std::fprintf(stderr, "%s\nfungible: %s\n", st.ToString().c_str(), st.message().c_str());
  }
  return ExitCodeFor(st);
}

bool StderrIsTerminal() { return ::isatty(STDERR_FILENO) != 0; }

void ShowProgress(const std::string& line) { std::fprintf(stderr, "\r\033[K%s", line.c_str()); }

Status WriteTextFile(const std::string& path, const std::string& text) {
  if (path == "-") {
    std::fwrite(text.data(), 1, text.size(), stdout);
    return Status::Ok();
  }
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  if (!out) return Status::Invalid(path + ": cannot open for writing");
  out << text;
  out.close();
  if (!out) return Status::Internal(path + ": write failed");
  return Status::Ok();
}

}  // namespace fungible::cli
