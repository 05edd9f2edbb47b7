// Errors as values: Status (did the call work, and if not, where and why) and
// StatusOr<T>. Modelled on LevelDB's Status and Abseil's StatusOr.
#pragma once

#include <cassert>
#include <optional>
#include <string>
#include <utility>
#include <variant>
#include <vector>

namespace fungible {

// Error categories. Each maps to one documented CLI exit code (see cli/exit_codes.h).
// An infeasible model is not an error: results carry it as their status, with
// the reason in domain words (AllocationResult, ProgramSolution, PlanReport...).
enum class StatusCode {
  kOk = 0,
  kInvalidArgument,  // bad spec / bad input file (user error, locatable)
  kNotFound,         // a referenced file or id does not exist
  kInternal,         // solver or library failure; a bug or a broken install
  kUnavailable,      // an external service (store, scheduler) could not be reached
  kPermissionDenied,
  kUnauthenticated,
};

const char* StatusCodeName(StatusCode code);

// One located problem in an input file. `file:line:column: field: message`.
struct Diagnostic {
  std::string file;
  int line = 0;         // 1-based; 0 when unknown
  int column = 0;       // 1-based; 0 when unknown
  std::string field;    // dotted path, e.g. "pools[3].count"
  std::string message;  // "expected a positive integer, got -8"

  std::string ToString() const;
};

class [[nodiscard]] Status {
 public:
  Status() = default;  // OK
  Status(StatusCode code, std::string message) : code_(code), message_(std::move(message)) {}
  static Status Ok() { return Status(); }
  static Status Invalid(std::string msg) { return {StatusCode::kInvalidArgument, std::move(msg)}; }
  static Status NotFound(std::string msg) { return {StatusCode::kNotFound, std::move(msg)}; }
  static Status Internal(std::string msg) { return {StatusCode::kInternal, std::move(msg)}; }
  // Invalid-argument status carrying every located diagnostic.
  static Status FromDiagnostics(std::vector<Diagnostic> diags);

  bool ok() const { return code_ == StatusCode::kOk; }
  StatusCode code() const { return code_; }
  const std::string& message() const { return message_; }
  const std::vector<Diagnostic>& diagnostics() const { return diagnostics_; }
  // Human-readable: every diagnostic on its own line, or "<code>: <message>".
  std::string ToString() const;
  // Returns a copy with `context + ": "` prefixed to the message.
  Status WithContext(const std::string& context) const;

 private:
  StatusCode code_ = StatusCode::kOk;
  std::string message_;
  std::vector<Diagnostic> diagnostics_;
};

template <typename T>
class [[nodiscard]] StatusOr {
 public:
  StatusOr(T value) : value_(std::move(value)) {}         // NOLINT(google-explicit-constructor)
  StatusOr(Status status) : status_(std::move(status)) {  // NOLINT(google-explicit-constructor)
    assert(!status_.ok() && "StatusOr built from an OK status without a value");
  }
  bool ok() const { return status_.ok(); }
  const Status& status() const { return status_; }
  // REQUIRES: ok()
  T& value() & {
    assert(ok());
    return *value_;
  }
  const T& value() const& {
    assert(ok());
    return *value_;
  }
  T&& value() && {
    assert(ok());
    return std::move(*value_);
  }
  T* operator->() { return &value(); }
  const T* operator->() const { return &value(); }
  T& operator*() & { return value(); }
  const T& operator*() const& { return value(); }

 private:
  Status status_;
  std::optional<T> value_;
};

#define FUNGIBLE_RETURN_IF_ERROR(expr) \
  do {                                 \
    ::fungible::Status _st = (expr);   \
    if (!_st.ok()) return _st;         \
  } while (0)

// FUNGIBLE_ASSIGN_OR_RETURN(lhs, expr): evaluates `expr` (a StatusOr<T>);
// on error returns its Status from the enclosing function, else moves the
// value into `lhs`, which may declare a variable:
//   FUNGIBLE_ASSIGN_OR_RETURN(Fleet fleet, ReadFleet(path));
//   FUNGIBLE_ASSIGN_OR_RETURN(report.plan, SolveProgram(problem, {}, options));
// It expands to several statements: use it inside braces, never as the body
// of an unbraced if/for.
#define FUNGIBLE_STATUS_CONCAT_INNER_(a, b) a##b
#define FUNGIBLE_STATUS_CONCAT_(a, b) FUNGIBLE_STATUS_CONCAT_INNER_(a, b)
#define FUNGIBLE_ASSIGN_OR_RETURN_IMPL_(tmp, lhs, expr) \
  auto tmp = (expr);                                    \
  if (!tmp.ok()) return tmp.status();                   \
  lhs = std::move(tmp).value()
#define FUNGIBLE_ASSIGN_OR_RETURN(lhs, expr) \
  FUNGIBLE_ASSIGN_OR_RETURN_IMPL_(FUNGIBLE_STATUS_CONCAT_(fungible_status_or_, __LINE__), lhs, expr)

// Short spellings, as in Abseil.
#ifndef RETURN_IF_ERROR
#define RETURN_IF_ERROR(expr) FUNGIBLE_RETURN_IF_ERROR(expr)
#endif
#ifndef ASSIGN_OR_RETURN
#define ASSIGN_OR_RETURN(lhs, expr) FUNGIBLE_ASSIGN_OR_RETURN(lhs, expr)
#endif

}  // namespace fungible
