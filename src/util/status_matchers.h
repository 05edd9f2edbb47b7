// Test-only GoogleMock matchers for Status and StatusOr<T> (include from
// *_test.cc files only; the test binaries link GTest::gmock).
//
//   EXPECT_THAT(ParseUtc("2027-02-30T00:00Z"),
//               StatusIs(StatusCode::kInvalidArgument, HasSubstr("impossible date")));
//   EXPECT_THAT(LoadFleetSpec(path), IsOk());
//
// The message matcher sees Status::ToString(): every located diagnostic
// ("file:line:column: field: message", one a line) or else the message, so a
// fragment may name the location as well as the words.
#pragma once

#include <gmock/gmock.h>

#include <ostream>
#include <string>

#include "util/status.h"

namespace fungible {

inline void PrintTo(const Status& status, std::ostream* os) {
  if (status.ok()) {
    *os << "ok";
    return;
  }
  *os << StatusCodeName(status.code()) << ": \"" << status.ToString() << "\"";
}

template <typename T>
void PrintTo(const StatusOr<T>& value, std::ostream* os) {
  if (value.ok()) {
    *os << "ok (a value)";
    return;
  }
  PrintTo(value.status(), os);
}

namespace status_matchers_internal {

inline const Status& GetStatus(const Status& status) { return status; }
template <typename T>
const Status& GetStatus(const StatusOr<T>& value) {
  return value.status();
}

class StatusIsMatcher {
 public:
  StatusIsMatcher(StatusCode code, ::testing::Matcher<const std::string&> message)
      : code_(code), message_(std::move(message)) {}

  template <typename T>
  bool MatchAndExplain(const T& value, ::testing::MatchResultListener* listener) const {
    const Status& status = GetStatus(value);
    if (status.code() != code_) {
      *listener << "whose code is " << StatusCodeName(status.code());
      if (!status.ok()) *listener << " with message \"" << status.ToString() << "\"";
      return false;
    }
    const std::string text = status.ToString();
    ::testing::StringMatchResultListener inner;
    if (!message_.MatchAndExplain(text, &inner)) {
      *listener << "whose message \"" << text << "\" does not match";
      if (!inner.str().empty()) *listener << ", " << inner.str();
      return false;
    }
    return true;
  }

  void DescribeTo(std::ostream* os) const {
    *os << "has code " << StatusCodeName(code_) << " and a message that ";
    message_.DescribeTo(os);
  }
  void DescribeNegationTo(std::ostream* os) const {
    *os << "does not have code " << StatusCodeName(code_) << " or has a message that ";
    message_.DescribeNegationTo(os);
  }

 private:
  StatusCode code_;
  ::testing::Matcher<const std::string&> message_;
};

}  // namespace status_matchers_internal

// Matches a Status or StatusOr<T> whose code is `code` and whose ToString()
// matches `message` (a string matcher such as HasSubstr, or a string for
// equality).
template <typename MessageMatcher>
::testing::PolymorphicMatcher<status_matchers_internal::StatusIsMatcher> StatusIs(StatusCode code,
                                                                                  MessageMatcher&& message) {
  return ::testing::MakePolymorphicMatcher(status_matchers_internal::StatusIsMatcher(
      code, ::testing::SafeMatcherCast<const std::string&>(std::forward<MessageMatcher>(message))));
}

// Matches an OK Status or a StatusOr<T> that holds a value.
inline ::testing::PolymorphicMatcher<status_matchers_internal::StatusIsMatcher> IsOk() {
  return StatusIs(StatusCode::kOk, ::testing::_);
}

}  // namespace fungible
