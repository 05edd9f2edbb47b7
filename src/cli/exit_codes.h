// Exit codes of the fungible CLI (documented in docs/cli.md). Stable: scripts
// depend on them.
#pragma once

#include "util/status.h"

namespace fungible::cli {

constexpr int kExitOk = 0;           // success
constexpr int kExitInternal = 1;     // internal error (solver failure, bug, broken install)
constexpr int kExitUsage = 2;        // bad command line, bad spec or input file (message names where)
constexpr int kExitInfeasible = 3;   // the problem has no feasible plan (explained on stderr)
constexpr int kExitUnavailable = 4;  // a store, scheduler or server could not be reached
constexpr int kExitDenied = 5;       // authentication or permission refused
constexpr int kExitJobFailed = 6;    // submit --wait: the job ended without succeeding

// Maps a failed Status to its exit code. kExitInfeasible is never an error's:
// commands return it themselves when their result says infeasible.
inline int ExitCodeFor(const Status& st) {
  switch (st.code()) {
    case StatusCode::kOk: return kExitOk;
    case StatusCode::kInvalidArgument:
    case StatusCode::kNotFound: return kExitUsage;
    case StatusCode::kUnavailable: return kExitUnavailable;
    case StatusCode::kPermissionDenied:
    case StatusCode::kUnauthenticated: return kExitDenied;
    case StatusCode::kInternal: return kExitInternal;
  }
  return kExitInternal;
}

}  // namespace fungible::cli
