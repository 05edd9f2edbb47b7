#include "util/status.h"

namespace fungible {

const char* StatusCodeName(StatusCode code) {
  switch (code) {
    case StatusCode::kOk: return "ok";
    case StatusCode::kInvalidArgument: return "invalid argument";
    case StatusCode::kNotFound: return "not found";
    case StatusCode::kInternal: return "internal error";
    case StatusCode::kUnavailable: return "unavailable";
    case StatusCode::kPermissionDenied: return "permission denied";
    case StatusCode::kUnauthenticated: return "unauthenticated";
  }
  return "unknown";
}

std::string Diagnostic::ToString() const {
  std::string out = file;
  if (line > 0) {
    out += ":" + std::to_string(line);
    if (column > 0) out += ":" + std::to_string(column);
  }
  if (!out.empty()) out += ": ";
  if (!field.empty()) out += field + ": ";
  out += message;
  return out;
}

Status Status::FromDiagnostics(std::vector<Diagnostic> diags) {
  Status st(StatusCode::kInvalidArgument,
            std::to_string(diags.size()) + (diags.size() == 1 ? " error" : " errors"));
  st.diagnostics_ = std::move(diags);
  return st;
}

std::string Status::ToString() const {
  if (ok()) return "ok";
  if (!diagnostics_.empty()) {
    std::string out;
    for (const auto& d : diagnostics_) out += d.ToString() + "\n";
    out.pop_back();
    return out;
  }
  return message_;
}

Status Status::WithContext(const std::string& context) const {
  Status st = *this;
  st.message_ = context + ": " + message_;
  return st;
}

}  // namespace fungible
