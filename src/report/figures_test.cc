#include "report/figures.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <fstream>
#include <sstream>

#include "report/page.h"
#include "util/status_matchers.h"

namespace fungible::report {
namespace {

Json Review() {
  return Json::parse(R"({"month": "2027-02", "previous_month": "2027-01", "policy": "fungible",
    "kpis": [{"name": "revenue", "unit": "usd", "value": 12, "previous": 10}],
    "bridges": {"revenue": {"unit": "usd", "from": 10, "to": 12, "change": 2,
                            "parts": {"demand": 3, "price": -1}}},
    "contracts": [{"contract": "cw-h100", "cost_usd": 7, "previous_cost_usd": 6, "paid_chip_hours": 3,
                   "previous_paid_chip_hours": 3, "volume_effect_usd": 0, "rate_effect_usd": 1}],
    "narrative": ["Revenue rose."]})");
}

TEST(ReportFigures, ReviewBridgeKeepsItsPartsInOrder) {
  auto r = ReviewFigures(Review());
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  const Json& b = (*r)["bridges"][0];
  EXPECT_EQ(b["name"], "revenue");
  EXPECT_EQ(b["from"], 10);
  EXPECT_EQ(b["to"], 12);
  ASSERT_EQ(b["parts"].size(), 2u);
  EXPECT_EQ(b["parts"][0]["name"], "demand");
  EXPECT_EQ(b["parts"][1]["amount"], -1);
}

TEST(ReportFigures, ReviewCarriesCostByContract) {
  auto r = ReviewFigures(Review());
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  ASSERT_EQ((*r)["contracts"].size(), 1u);
  EXPECT_EQ((*r)["contracts"][0]["contract"], "cw-h100");
  EXPECT_EQ((*r)["contracts"][0]["rate_effect_usd"], 1);
}

TEST(ReportFigures, AMissingFieldIsNamedWithItsPath) {
  Json j = Review();
  j["bridges"]["revenue"].erase("to");
  EXPECT_THAT(ReviewFigures(j),
              StatusIs(StatusCode::kInvalidArgument, ::testing::HasSubstr("bridges.revenue.to")));
}

TEST(ReportFigures, AllocationSumsPoolsPerWorkloadServingFirst) {
  const Json a = Json::parse(
      R"({"utilization": 0.5, "objective_usd": 1, "periods": ["2027-01-04T00:00Z", "2027-01-04T01:00Z"],
    "workloads": [{"id": "train", "kind": "pretrain"}, {"id": "chat", "kind": "serve"}],
    "pools": [{"id": "a", "capacity_chips": [10, 10], "shadow_usd_per_chip_hour": [1, 2]},
              {"id": "b", "capacity_chips": [0, 20], "shadow_usd_per_chip_hour": [3, 0]}],
    "chips": [{"pool": "a", "workload": "train", "chips": [4, 6]}, {"pool": "b", "workload": "train", "chips": [0, 5]},
              {"pool": "a", "workload": "chat", "chips": [6, 4]}]})");
  auto r = AllocationFigures(a, nullptr);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ((*r)["workloads"][0]["id"], "chat");
  EXPECT_EQ((*r)["workloads"][1]["chips"], Json::parse("[4.0, 11.0]"));
  EXPECT_EQ((*r)["pools"][0]["utilization"], Json::parse("[1.0, 1.0]"));
  EXPECT_EQ((*r)["pools"][1]["utilization"], Json::parse("[0.0, 0.25]"));
  // Without a spec a pool is its own chip type; the price is the pool's.
  EXPECT_EQ((*r)["prices"][1]["usd_per_chip_hour"], Json::parse("[3.0, 0.0]"));
}

TEST(ReportFigures, ASeriesOfTheWrongLengthIsRefused) {
  const Json a = Json::parse(R"({"utilization": 0.5, "objective_usd": 1, "periods": ["2027-01-04T00:00Z"],
    "workloads": [], "pools": [], "chips": [{"pool": "a", "workload": "w", "chips": [1, 2]}]})");
  EXPECT_THAT(AllocationFigures(a, nullptr),
              StatusIs(StatusCode::kInvalidArgument, ::testing::HasSubstr("chips[0].chips")));
}

// Issue 16 item 4: months without an actual before a tier's last one are
// bridged by `forecast --actuals`; the cone's actuals series leaves them
// empty rather than plotting the bridge's median as an observation.
TEST(ReportFigures, BridgedMonthsAreNotDrawnAsActuals) {
  const Json rows = Json::parse("[[1,1,1,1,1,1,1], [2,2,2,2,2,2,2], [3,3,3,3,3,3,3], [4,4,4,4,4,4,4]]");
  Json tier = {{"id", "chat"},
               {"kind", "serving"},
               {"output_tokens_now", 1.0},
               {"output_tokens", rows},
               {"revenue_usd", rows}};
  Json forecast = {{"start_month", "2027-01"},
                   {"months", {"2027-02", "2027-03", "2027-04", "2027-05"}},
                   {"seed", 1},
                   {"scenarios", 10},
                   {"tiers", {tier}}};
  forecast["update"] = {{"actuals", "a.csv"},
                        {"posterior", {{"tiers", {{{"output_tokens", rows}, {"revenue_usd", rows}}}}}},
                        {"last_observed_month", {{"chat", "2027-04"}}},
                        {"bridged_months", {{"chat", {"2027-03"}}}}};
  auto r = ConeFigures(forecast);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ((*r)["tiers"][0]["actuals"], Json::parse("[1.0, null, 3.0, null]"));
  // Without the key (a forecast written before gaps were bridged) every
  // month up to the last actual is one.
  forecast["update"].erase("bridged_months");
  auto old = ConeFigures(forecast);
  ASSERT_TRUE(old.ok()) << old.status().ToString();
  EXPECT_EQ((*old)["tiers"][0]["actuals"], Json::parse("[1.0, 2.0, 3.0, null]"));
}

TEST(ReportPage, FiguresCannotCloseTheirScriptElement) {
  const Json fig = {{"fungible_report", kFiguresFormat}, {"note", "</script><script>alert(1)</script>"}};
  const std::string html = RenderReportHtml(fig, "a <b> & c");
  EXPECT_EQ(html.find("</script><script>alert"), std::string::npos);
  EXPECT_NE(html.find("\\u003c/script>\\u003cscript>alert"), std::string::npos);
  EXPECT_NE(html.find("<title>a &lt;b&gt; &amp; c</title>"), std::string::npos);
  // The chart library and the page are inlined: the file opens offline.
  EXPECT_NE(html.find("echarts"), std::string::npos);
  EXPECT_NE(html.find("fungibleCharts"), std::string::npos);
  EXPECT_EQ(html.find("<script src="), std::string::npos);
}

std::string ReadSource(const std::string& rel) {
  std::ifstream in(std::string(FUNGIBLE_SOURCE_DIR) + "/" + rel, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

TEST(ReportPage, TheAssetsAreTheFilesOfWebByteForByte) {
  const std::string echarts = ReadSource("web/node_modules/echarts/dist/echarts.min.js");
  ASSERT_GT(echarts.size(), 100000u);
  EXPECT_TRUE(EchartsJs() == echarts);
  EXPECT_TRUE(PageJs() == ReadSource("web/report.js"));
  EXPECT_TRUE(PageCss() == ReadSource("web/report.css"));
}

}  // namespace
}  // namespace fungible::report
