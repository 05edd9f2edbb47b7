// Offers and plan settings in the spec: what they read into, and every bad
// input with its exact file:line:column, field and message.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cstdio>
#include <fstream>

#include "plan/plan_test_util.h"

namespace fungible {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;

std::vector<std::string> Errors(const std::string& yaml) {
  auto f = ParseFleetSpec(yaml, "offers.yaml");
  if (f.ok()) return {"<parsed without errors>"};
  std::vector<std::string> out;
  for (const auto& d : f.status().diagnostics())
    out.push_back(std::to_string(d.line) + ":" + std::to_string(d.column) + ": " + d.field + ": " +
                  d.message);
  return out;
}

// Lines 1-13 of every spec below are plan_test::Spec's preamble; offers start
// on line 14.
std::string WithOffers(const std::string& offers, const std::string& plan_extra = "") {
  return plan_test::Spec(offers, 24, plan_extra);
}

TEST(PlanSpec, ReadsOffersAndPlanSettings) {
  auto f = ParseFleetSpec(WithOffers(R"(  - id: tpu
    provider: Google
    kind: reserved
    chip_type: h100-sxm
    unit: mw
    quantity: 10
    min_quantity: 2
    start: 2027-03-01
    duration_months: 36
    landing_ramp:
      - {at: 2027-03-01, fraction: 0.5}
      - {at: 2027-06-01, fraction: 1}
    usd_per_mw_month: 1500000
    prepayment_fraction: 0.2
    options:
      - {kind: expand, notice_months: 3, max_fraction: 0.5}
      - {kind: terminate, notice_months: 6, fee_usd_per_chip: 1000}
  - {id: od, provider: AWS, kind: on_demand, chip_type: h100-sxm, quantity: 64, start: 2027-01-01,
     duration_months: 24, usd_per_chip_hour: 6.5}
)",
                                     "  risk_aversion: 0.3\n  cvar_alpha: 0.95\n  cash_floor_usd: -5.0e8\n"),
                          "t.yaml");
  ASSERT_TRUE(f.ok()) << f.status().ToString();
  ASSERT_EQ(f->offers.size(), 2u);
  const Offer& o = f->offers[0];
  EXPECT_EQ(o.unit, QuantityUnit::kMw);
  EXPECT_EQ(o.quantity, 10);
  EXPECT_EQ(o.min_quantity, 2);
  EXPECT_TRUE(o.divisible);
  EXPECT_EQ(o.duration_months, 36);
  EXPECT_EQ(o.End(), *ParseUtc("2030-03-01"));
  ASSERT_EQ(o.options.size(), 2u);
  EXPECT_EQ(o.options[0].kind, OptionKind::kExpand);
  EXPECT_EQ(o.options[0].max_fraction, 0.5);
  EXPECT_FALSE(o.options[0].usd_per_chip_hour.has_value());
  EXPECT_EQ(o.options[1].kind, OptionKind::kTerminate);
  EXPECT_EQ(o.options[1].max_fraction, 1.0);
  EXPECT_EQ(f->offers[1].kind, ContractKind::kOnDemand);
  EXPECT_EQ(f->plan.risk_aversion, 0.3);
  EXPECT_EQ(f->plan.cvar_alpha, 0.95);
  EXPECT_EQ(f->plan.cash_floor_usd, -5.0e8);
  EXPECT_EQ(f->plan.start, *ParseUtc("2027-01-01"));
  EXPECT_EQ(f->plan.scenarios, PlanSettings{}.scenarios);  // default

  // MW converts through the chip's all-in power and the PUE: an H100 in a DGX
  // H100 draws 10.2 kW / 8 = 1,275 W, x 1.2 (not its 700 W board power).
  auto pr = BuildPlanProblem(*f);
  ASSERT_TRUE(pr.ok()) << pr.status().ToString();
  const double chips_per_mw = 1e6 / (1275 * 1.2);
  EXPECT_NEAR(pr->offers[0].max_chips, 10 * chips_per_mw, 1e-9);
  EXPECT_NEAR(pr->offers[0].min_chips, 2 * chips_per_mw, 1e-9);
  EXPECT_NEAR(pr->offers[0].usd_per_chip_hour, 1500000.0 / chips_per_mw / 730, 1e-9);
  EXPECT_NEAR(pr->offers[0].landed[2], 0.5, 1e-9);  // March 2027: half landed
  EXPECT_NEAR(pr->offers[0].landed[1], 0.0, 1e-9);  // February: not started
  EXPECT_NEAR(pr->offers[0].landed[5], 1.0, 1e-9);  // June: all landed
  EXPECT_TRUE(pr->offers[1].on_demand);
  EXPECT_EQ(pr->link_of_offer(1), -1);
  EXPECT_EQ(pr->num_links(), 2);  // the MW offer and eta
}

TEST(PlanSpec, UnknownChipIsNamedWithTheCatalogHint) {
  EXPECT_THAT(
      Errors(WithOffers("  - {id: x, provider: p, kind: reserved, chip_type: trn2, quantity: 8, "
                        "start: 2027-01-01, duration_months: 3, usd_per_chip_hour: 1}\n")),
      ElementsAre("14:53: offers[0].chip_type: expected a chip type declared in chip_types, got \"trn2\" "
                  "(it is in the catalog: add `- catalog: trn2` to chip_types)"));
  EXPECT_THAT(
      Errors(WithOffers("  - {id: x, provider: p, kind: reserved, chip_type: h100, quantity: 8, "
                        "start: 2027-01-01, duration_months: 3, usd_per_chip_hour: 1}\n")),
      ElementsAre(HasSubstr("14:53: offers[0].chip_type: expected a chip type declared in chip_types, got "
                            "\"h100\" (did you mean \"h100-sxm\"?)")));
}

TEST(PlanSpec, LandingAfterTheHorizonIsRefused) {
  EXPECT_THAT(
      Errors(WithOffers("  - {id: late, provider: p, kind: reserved, chip_type: h100-sxm, quantity: 8,\n"
                        "     start: 2029-02-01, duration_months: 12, usd_per_chip_hour: 1}\n")),
      ElementsAre("15:13: offers[0].start: offer \"late\" lands 2029-02-01, after the plan horizon ends "
                  "2029-01-01 (plan.horizon_months 24 from 2027-01): lengthen the horizon or drop the "
                  "offer"));
  // A ramp whose first step is after the horizon is named at that step.
  EXPECT_THAT(
      Errors(WithOffers(R"(  - id: slow
    provider: p
    kind: reserved
    chip_type: h100-sxm
    quantity: 8
    start: 2028-06-01
    duration_months: 24
    usd_per_chip_hour: 1
    landing_ramp:
      - {at: 2029-03-01, fraction: 1}
)")),
      ElementsAre(HasSubstr("23:14: offers[0].landing_ramp[0].at: offer \"slow\" lands 2029-03-01, after "
                            "the plan horizon ends 2029-01-01")));
}

TEST(PlanSpec, NegativeAndMissingPrices) {
  EXPECT_THAT(Errors(WithOffers("  - {id: x, provider: p, kind: reserved, chip_type: h100-sxm, quantity: 8, "
                                "start: 2027-01-01, duration_months: 3, usd_per_chip_hour: -2}\n")),
              ElementsAre("14:134: offers[0].usd_per_chip_hour: expected a non-negative number, got -2"));
  EXPECT_THAT(
      Errors(WithOffers("  - {id: x, provider: p, kind: reserved, chip_type: h100-sxm, quantity: 8, "
                        "start: 2027-01-01, duration_months: 3}\n")),
      ElementsAre(
          "14:5: offers[0]: expected exactly one of 'usd_per_chip_hour' or 'usd_per_mw_month', got neither"));
  EXPECT_THAT(
      Errors(WithOffers(R"(  - id: x
    provider: p
    kind: reserved
    chip_type: h100-sxm
    quantity: 8
    start: 2027-01-01
    duration_months: 3
    usd_per_chip_hour: 1
    options:
      - {kind: terminate, notice_months: 2, fee_usd_per_chip: -50}
)")),
      ElementsAre("23:63: offers[0].options[0].fee_usd_per_chip: expected a non-negative number, got -50"));
}

TEST(PlanSpec, InconsistentTermsAreRefused) {
  EXPECT_THAT(
      Errors(WithOffers(R"(  - id: x
    provider: p
    kind: on_demand
    chip_type: h100-sxm
    quantity: 8
    divisible: false
    min_quantity: 9
    start: 2027-01-01
    duration_months: 3
    usd_per_chip_hour: 1
    prepayment_fraction: 0.5
    options:
      - {kind: terminate, notice_months: 2, max_fraction: 0.5}
      - {kind: reduce, notice_months: 1, usd_per_chip_hour: 3}
      - {kind: reduce, notice_months: 2}
)")),
      ElementsAre(
          "20:5: offers[0].min_quantity: min_quantity applies to divisible offers; an all-or-nothing offer "
          "(divisible: false) is signed for its whole quantity or not at all",
          "20:19: offers[0].min_quantity: expected at most quantity (8), got 9",
          "24:26: offers[0].prepayment_fraction: an on_demand offer is paid per used chip-hour and has "
          "nothing to prepay",
          "25:5: offers[0].options: an on_demand offer carries no commitment to expand, reduce or terminate: "
          "remove options",
          "26:45: offers[0].options[0].max_fraction: max_fraction applies to expand and reduce options; "
          "terminate ends the contract for up to all of its chips",
          "27:42: offers[0].options[1].usd_per_chip_hour: usd_per_chip_hour is the price of added chips and "
          "applies to expand options only; reduce takes fee_usd_per_chip",
          "28:16: offers[0].options[2].kind: a second reduce option (already in offers[0].options[1]); give "
          "one per kind"));
}

TEST(PlanSpec, CashFloorAboveTheStartingCashIsRefused) {
  EXPECT_THAT(
      Errors(WithOffers("  - {id: x, provider: p, kind: reserved, chip_type: h100-sxm, quantity: 8, "
                        "start: 2027-01-01, duration_months: 3, usd_per_chip_hour: 1}\n",
                        "  initial_cash_usd: 1.0e9\n  cash_floor_usd: 2.0e9\n")),
      ElementsAre(
          "19:19: plan.cash_floor_usd: no plan can meet a cash floor of 2000000000 USD: cash starts below it "
          "(initial_cash_usd is 1000000000)"));
}

TEST(PlanSpec, PlanSettingsHaveBounds) {
  EXPECT_THAT(Errors(WithOffers("", "  cvar_alpha: 1\n  risk_aversion: -1\n  scenarios: 0\n")),
              ElementsAre("17:15: plan.cvar_alpha: expected a number in [0, 1), got 1",
                          "18:18: plan.risk_aversion: expected a number in [0, 100], got -1",
                          "19:14: plan.scenarios: expected an integer from 1 to 100000, got 0"));
}

TEST(PlanSpec, OfferFileIsCheckedAgainstTheSpec) {
  Fleet fleet =
      plan_test::ParseOrDie(WithOffers("  - {id: base, provider: p, kind: reserved, chip_type: h100-sxm, "
                                       "quantity: 8, start: 2027-01-01, duration_months: 3, "
                                       "usd_per_chip_hour: 1}\n"));
  const std::string path = ::testing::TempDir() + "/offer-file.yaml";
  std::ofstream(path) << "offers:\n"
                         "  - {id: extra, provider: p, kind: short_term, chip_type: h100-sxm, quantity: 64,\n"
                         "     start: 2027-02-01, duration_months: 9, usd_per_chip_hour: 3.1}\n";
  ASSERT_TRUE(AddOffersFromFile(fleet, path).ok());
  ASSERT_EQ(fleet.offers.size(), 2u);
  EXPECT_EQ(fleet.offers[1].duration_months, 9);

  std::ofstream(path) << "offers:\n"
                         "  - {id: base, provider: p, kind: short_term, chip_type: b200, quantity: 64,\n"
                         "     start: 2027-02-01, duration_months: 9, usd_per_chip_hour: 3.1}\n";
  const Status st = AddOffersFromFile(fleet, path);
  ASSERT_FALSE(st.ok());
  ASSERT_EQ(st.diagnostics().size(), 2u);
  EXPECT_EQ(st.diagnostics()[0].file, path);
  EXPECT_EQ(
      st.diagnostics()[0].ToString(),
      path + ":2:10: offers[0].id: offer \"base\" is already in test.yaml (line 14): give it another id");
  EXPECT_EQ(
      st.diagnostics()[1].ToString(),
      path +
          ":2:58: offers[0].chip_type: expected a chip type declared in chip_types, got \"b200\" (it is in "
          "the catalog: add `- catalog: b200` to chip_types)");
  EXPECT_EQ(fleet.offers.size(), 2u);  // unchanged
  std::remove(path.c_str());
}

}  // namespace
}  // namespace fungible
