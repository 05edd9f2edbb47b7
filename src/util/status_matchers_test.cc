#include "util/status_matchers.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <string>

#include "util/status.h"

namespace fungible {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

std::string Explain(const ::testing::Matcher<const Status&>& m, const Status& s) {
  ::testing::StringMatchResultListener listener;
  m.MatchAndExplain(s, &listener);
  return listener.str();
}

TEST(StatusIs, MatchesCodeAndMessageFragment) {
  const Status st = Status::NotFound("runs/x.json: no such file");
  EXPECT_THAT(st, StatusIs(StatusCode::kNotFound, HasSubstr("no such file")));
  EXPECT_THAT(st, Not(StatusIs(StatusCode::kInvalidArgument, HasSubstr("no such file"))));
  EXPECT_THAT(st, Not(StatusIs(StatusCode::kNotFound, HasSubstr("permission"))));
  EXPECT_THAT(st, StatusIs(StatusCode::kNotFound, "runs/x.json: no such file"));  // equality
  EXPECT_THAT(st, Not(IsOk()));
  EXPECT_THAT(Status::Ok(), IsOk());
}

TEST(StatusIs, MatchesStatusOr) {
  const StatusOr<int> bad = Status::Internal("solver crashed");
  const StatusOr<int> good = 3;
  EXPECT_THAT(bad, StatusIs(StatusCode::kInternal, HasSubstr("crashed")));
  EXPECT_THAT(good, IsOk());
  EXPECT_THAT(good, Not(StatusIs(StatusCode::kInternal, ::testing::_)));
}

TEST(StatusIs, SeesLocatedDiagnostics) {
  const Status st =
      Status::FromDiagnostics({{"f.yaml", 3, 7, "pools[0].chips", "expected a positive integer"}});
  EXPECT_THAT(st, StatusIs(StatusCode::kInvalidArgument, HasSubstr("f.yaml:3:7: pools[0].chips: expected")));
}

TEST(StatusIs, ExplainsAMismatch) {
  const Status st = Status::Invalid("bad month");
  EXPECT_EQ(Explain(StatusIs(StatusCode::kNotFound, HasSubstr("bad")), st),
            "whose code is invalid argument with message \"bad month\"");
  EXPECT_EQ(Explain(StatusIs(StatusCode::kInvalidArgument, HasSubstr("day")), st),
            "whose message \"bad month\" does not match");
  EXPECT_EQ(Explain(StatusIs(StatusCode::kInvalidArgument, HasSubstr("day")), Status::Ok()),
            "whose code is ok");
  EXPECT_EQ(::testing::DescribeMatcher<const Status&>(StatusIs(StatusCode::kNotFound, HasSubstr("x"))),
            "has code not found and a message that has substring \"x\"");
}

}  // namespace
}  // namespace fungible
