// Properties every plan must have, on the small lab with offers and scenarios
// drawn from its cone: decomposition equals the extensive form, threads and
// ranks do not change the plan, VSS and EVPI are non-negative, a dearer offer
// is never bought more, the mismatch table's diagonal dominates, and a cash
// floor no plan can meet is refused with its reason.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <barrier>
#include <fstream>
#include <map>
#include <sstream>
#include <thread>

#include "model/return_on_compute.h"
#include "plan/evaluate.h"
#include "plan/plan.h"
#include "plan/plan_test_util.h"
#include "plan/subproblem.h"

namespace fungible {
namespace {

using ::testing::HasSubstr;

const char* kOffers = R"(
offers:
  - id: b200-more
    provider: Neocloud
    kind: reserved
    chip_type: b200
    quantity: 512
    start: 2027-03-01
    duration_months: 12
    usd_per_chip_hour: 9.0
    landing_ramp:
      - {at: 2027-03-01, fraction: 0.5}
      - {at: 2027-05-01, fraction: 1.0}
    options:
      - {kind: expand, notice_months: 2, max_fraction: 0.5, usd_per_chip_hour: 10}
      - {kind: reduce, notice_months: 3, max_fraction: 0.5, fee_usd_per_chip: 500}
  - id: h100-block
    provider: Lambda
    kind: short_term
    chip_type: h100-sxm
    quantity: 256
    divisible: false
    start: 2027-02-01
    duration_months: 6
    usd_per_chip_hour: 12.0
  - id: h100-od
    provider: AWS
    kind: on_demand
    chip_type: h100-sxm
    quantity: 128
    start: 2027-01-01
    duration_months: 12
    usd_per_chip_hour: 30
)";

std::string SmallLab(const std::string& plan, int scenarios = 6) {
  std::ifstream in(std::string(FUNGIBLE_SOURCE_DIR) + "/examples/small-lab.yaml");
  std::stringstream text;
  text << in.rdbuf();
  return text.str() + kOffers + "plan:\n  horizon_months: 12\n  scenarios: " + std::to_string(scenarios) +
         "\n" + plan;
}

struct Case {
  Fleet fleet;
  PlanProblem problem;
  std::vector<PlanScenario> paths;
};

Case MakeCase(const std::string& plan = "", double demand_scale = 1.0, int scenarios = 6) {
  Case c;
  c.fleet = plan_test::ParseOrDie(SmallLab(plan, scenarios));
  c.fleet.forecast.scenarios = 300;
  for (auto& d : c.fleet.demand) d.output_tokens_per_hour *= demand_scale;
  auto pr = BuildPlanProblem(c.fleet);
  EXPECT_TRUE(pr.ok()) << pr.status().ToString();
  c.problem = *pr;
  auto cone = DrawConeScenarios(c.fleet, c.problem, {0.1, 0.5, 0.9}, 2);
  EXPECT_TRUE(cone.ok()) << cone.status().ToString();
  c.problem.scenarios = cone->representatives;
  c.paths = cone->quantile_paths;
  return c;
}

double Relative(double a, double b) { return std::fabs(a - b) / std::max({1.0, std::fabs(a), std::fabs(b)}); }

TEST(PlanProperty, DecompositionEqualsTheExtensiveForm) {
  for (const std::string& plan : {std::string(""), std::string("  risk_aversion: 0.5\n  cvar_alpha: 0.8\n"),
                                  std::string("  initial_cash_usd: 2.0e6\n  cash_floor_usd: 0\n")}) {
    SCOPED_TRACE(plan);
    const Case c = MakeCase(plan);
    const ProgramSolution ef = plan_test::SolveOrDie(c.problem, PlanMethod::kExtensive);
    const ProgramSolution bd = plan_test::SolveOrDie(c.problem, PlanMethod::kDecomposition);
    EXPECT_EQ(ef.method, PlanMethod::kExtensive);
    EXPECT_EQ(bd.method, PlanMethod::kDecomposition);
    EXPECT_GT(bd.iterations, 1);
    EXPECT_LT(Relative(ObjectiveUsd(c.problem, ef), ObjectiveUsd(c.problem, bd)), 1e-5);
    // Bounds: the extensive form's objective is at or below Benders' lower bound's gap.
    EXPECT_LE(bd.lower_bound_musd, bd.objective_musd + 1e-9);
    for (size_t o = 0; o < ef.chips.size(); ++o) {
      SCOPED_TRACE(c.problem.offers[o].id);
      // The all-or-nothing decision is the same; divisible quantities agree
      // to the gap (they may differ where the objective is flat).
      if (c.problem.offers[o].all_or_nothing) {
        EXPECT_EQ(ef.chips[o] > 0, bd.chips[o] > 0);
      }
    }
  }
}

// Cuts aggregated over groups of scenarios (one theta per group) reach the
// same optimum as multi-cut and the extensive form within the gap, for every
// K from single-cut to one group per scenario.
TEST(PlanProperty, GroupedCutsEqualMultiCutAndTheExtensiveForm) {
  for (const std::string& plan :
       {std::string(""), std::string("  risk_aversion: 0.5\n  cvar_alpha: 0.8\n")}) {
    SCOPED_TRACE(plan);
    const Case c = MakeCase(plan);
    const int S = static_cast<int>(c.problem.scenarios.size());
    ASSERT_GE(S, 4);
    const ProgramSolution ef = plan_test::SolveOrDie(c.problem, PlanMethod::kExtensive);
    const ProgramSolution multi = plan_test::SolveOrDie(c.problem, PlanMethod::kDecomposition);
    EXPECT_EQ(multi.cut_groups, S);  // auto is multi-cut at this size
    for (int K : {1, 2, 3, S, 1000}) {
      SCOPED_TRACE(K);
      SolveOptions o;
      o.method = PlanMethod::kDecomposition;
      o.threads = 1;
      o.relative_gap = 1e-7;
      o.cut_groups = K;
      auto g = SolveProgram(c.problem, {}, o);
      ASSERT_TRUE(g.ok()) << g.status().ToString();
      EXPECT_EQ(g->cut_groups, std::min(K, S));
      EXPECT_TRUE(g->converged);
      EXPECT_LE(g->lower_bound_musd, g->objective_musd + 1e-9);
      EXPECT_LT(Relative(ObjectiveUsd(c.problem, *g), ObjectiveUsd(c.problem, multi)), 1e-5);
      EXPECT_LT(Relative(ObjectiveUsd(c.problem, *g), ObjectiveUsd(c.problem, ef)), 1e-5);
      for (size_t off = 0; off < ef.chips.size(); ++off)
        if (c.problem.offers[off].all_or_nothing) {
          EXPECT_EQ(ef.chips[off] > 0, g->chips[off] > 0) << c.problem.offers[off].id;
        }
      if (K >= S) {  // one scenario per group: multi-cut itself, iteration for iteration
        EXPECT_EQ(g->iterations, multi.iterations);
        for (size_t off = 0; off < multi.chips.size(); ++off) EXPECT_EQ(g->chips[off], multi.chips[off]);
      }
    }
  }
}

// Stabilised Benders (a start from every 10th scenario's plan, a trust
// region around the incumbent) reaches the optimum of plain multi-cut and of
// the extensive form within the gap, alone and with grouped cuts, and proves
// it (its lower bound comes from the whole master).
TEST(PlanProperty, StabilisedBendersEqualsPlainBendersAndTheExtensiveForm) {
  for (const std::string& plan : {std::string(""), std::string("  risk_aversion: 0.5\n  cvar_alpha: 0.8\n"),
                                  std::string("  initial_cash_usd: 2.0e6\n  cash_floor_usd: 0\n")}) {
    SCOPED_TRACE(plan);
    const Case c = MakeCase(plan, 1.0, 40);
    ASSERT_EQ(c.problem.scenarios.size(), 40u);  // a sample of 4 to start from
    const ProgramSolution ef = plan_test::SolveOrDie(c.problem, PlanMethod::kExtensive);
    SolveOptions o;
    o.method = PlanMethod::kDecomposition;
    o.threads = 1;
    o.relative_gap = 1e-7;
    o.stabilise = -1;
    auto plain = SolveProgram(c.problem, {}, o);
    ASSERT_TRUE(plain.ok()) << plain.status().ToString();
    for (int groups : {0, 3}) {
      SCOPED_TRACE(groups);
      o.stabilise = 1;
      o.cut_groups = groups;
      auto st = SolveProgram(c.problem, {}, o);
      ASSERT_TRUE(st.ok()) << st.status().ToString();
      EXPECT_TRUE(st->converged);
      EXPECT_GT(st->iterations, 1);
      EXPECT_LE(st->lower_bound_musd, st->objective_musd + 1e-9);
      EXPECT_LE(st->objective_musd - st->lower_bound_musd, 1e-7 * std::fabs(st->objective_musd) + 1e-9);
      // Its lower bound is valid: no plan beats it (the extensive form's optimum).
      EXPECT_LE(st->lower_bound_musd, ef.objective_musd + 1e-7 * std::fabs(ef.objective_musd) + 1e-9);
      EXPECT_LT(Relative(ObjectiveUsd(c.problem, *st), ObjectiveUsd(c.problem, *plain)), 1e-5);
      EXPECT_LT(Relative(ObjectiveUsd(c.problem, *st), ObjectiveUsd(c.problem, ef)), 1e-5);
      for (size_t off = 0; off < ef.chips.size(); ++off)
        if (c.problem.offers[off].all_or_nothing) {
          EXPECT_EQ(ef.chips[off] > 0, st->chips[off] > 0) << c.problem.offers[off].id;
        }
    }
  }
}

// The figures reported at the plan are those of the plan itself (Benders
// keeps the pass at its best point instead of solving every scenario again):
// each scenario's objective equals a fresh evaluation of the plan alone.
TEST(PlanProperty, FiguresAtThePlanEqualAFreshEvaluationOfIt) {
  const Case c = MakeCase("  risk_aversion: 0.3\n", 1.0, 40);
  // Stopped early too, where the best point is often not the last one.
  for (const auto& [stabilise, iterations] : std::vector<std::pair<int, int>>{
           {-1, 1000}, {1, 1000}, {-1, 2}, {-1, 3}, {-1, 4}, {-1, 5}, {1, 2}, {1, 3}, {1, 4}, {1, 5}}) {
    SCOPED_TRACE(std::to_string(stabilise) + " " + std::to_string(iterations));
    SolveOptions o;
    o.method = PlanMethod::kDecomposition;
    o.threads = 2;
    o.relative_gap = 1e-7;
    o.stabilise = stabilise;
    o.max_iterations = iterations;
    auto sol = SolveProgram(c.problem, {}, o);
    ASSERT_TRUE(sol.ok()) << sol.status().ToString();
    FirstStageBounds fixed;
    fixed.lo = sol->chips;
    fixed.hi = sol->chips;
    fixed.eta_musd = sol->eta_musd;
    auto fresh = SolveProgram(c.problem, fixed, o);
    ASSERT_TRUE(fresh.ok()) << fresh.status().ToString();
    ASSERT_EQ(fresh->outcomes.size(), sol->outcomes.size());
    for (size_t s = 0; s < sol->outcomes.size(); ++s) {
      EXPECT_LT(Relative(sol->outcomes[s].objective, fresh->outcomes[s].objective), 1e-9) << s;
      EXPECT_EQ(sol->outcomes[s].cash_usd.size(), fresh->outcomes[s].cash_usd.size()) << s;
    }
    EXPECT_LT(Relative(sol->objective_musd, fresh->objective_musd), 1e-9);
  }
}

TEST(PlanProperty, BendersCutShortSaysSo) {
  const Case c = MakeCase();
  SolveOptions o;
  o.method = PlanMethod::kDecomposition;
  o.max_iterations = 2;
  auto s = SolveProgram(c.problem, {}, o);
  ASSERT_TRUE(s.ok()) << s.status().ToString();
  EXPECT_FALSE(s->converged);
  EXPECT_EQ(s->iterations, 2);
  EXPECT_LE(s->lower_bound_musd, s->objective_musd + 1e-9);
  EXPECT_TRUE(plan_test::SolveOrDie(c.problem, PlanMethod::kDecomposition).converged);
}

TEST(PlanProperty, ThreadsDoNotChangeThePlan) {
  const Case c = MakeCase();
  const ProgramSolution one = plan_test::SolveOrDie(c.problem, PlanMethod::kDecomposition, {}, 1);
  for (int threads : {2, 3}) {
    const ProgramSolution many = plan_test::SolveOrDie(c.problem, PlanMethod::kDecomposition, {}, threads);
    ASSERT_EQ(many.chips.size(), one.chips.size());
    for (size_t o = 0; o < one.chips.size(); ++o)
      EXPECT_LT(Relative(many.chips[o], one.chips[o]), 1e-9) << threads;
    EXPECT_EQ(many.iterations, one.iterations);
    EXPECT_LT(Relative(many.objective_musd, one.objective_musd), 1e-9);
  }
}

TEST(PlanProperty, ThreadsDoNotChangeTheStabilisedPlan) {
  const Case c = MakeCase("  risk_aversion: 0.3\n", 1.0, 30);
  auto solve = [&](int threads) {
    SolveOptions o;
    o.method = PlanMethod::kDecomposition;
    o.threads = threads;
    o.relative_gap = 1e-7;
    o.stabilise = 1;
    auto s = SolveProgram(c.problem, {}, o);
    EXPECT_TRUE(s.ok()) << s.status().ToString();
    return s.ok() ? *s : ProgramSolution{};
  };
  const ProgramSolution one = solve(1);
  for (int threads : {2, 3}) {
    const ProgramSolution many = solve(threads);
    ASSERT_EQ(many.chips.size(), one.chips.size());
    for (size_t o = 0; o < one.chips.size(); ++o)
      EXPECT_LT(Relative(many.chips[o], one.chips[o]), 1e-9) << threads;
    EXPECT_EQ(many.iterations, one.iterations);
    EXPECT_LT(Relative(many.objective_musd, one.objective_musd), 1e-9);
  }
}

// Ranks as threads of one process: the same collective operations MPI does.
class ThreadComm : public PlanComm {
 public:
  struct Shared {
    explicit Shared(int n) : size(n), sync(n), slots(n) {}
    int size;
    std::barrier<> sync;
    std::vector<std::vector<double>> slots;
  };
  ThreadComm(Shared& shared, int rank) : shared_(shared), rank_(rank) {}
  int rank() const override { return rank_; }
  int size() const override { return shared_.size; }
  void Broadcast(std::vector<double>& data) const override {
    if (rank_ == 0) shared_.slots[0] = data;
    shared_.sync.arrive_and_wait();
    if (rank_ != 0) data = shared_.slots[0];
    shared_.sync.arrive_and_wait();
  }
  std::vector<double> AllGather(const std::vector<double>& mine) const override {
    shared_.slots[rank_] = mine;
    shared_.sync.arrive_and_wait();
    std::vector<double> all;
    for (const auto& s : shared_.slots) all.insert(all.end(), s.begin(), s.end());
    shared_.sync.arrive_and_wait();
    return all;
  }

 private:
  Shared& shared_;
  int rank_;
};

// Solves `c` on `ranks` threads acting as MPI ranks; every rank's solution.
std::vector<ProgramSolution> SolveOnRanks(const PlanProblem& problem, int ranks, int cut_groups,
                                          int stabilise = 0) {
  ThreadComm::Shared shared(ranks);
  std::vector<ProgramSolution> got(ranks);
  std::vector<std::thread> threads;
  threads.reserve(static_cast<size_t>(ranks));
  for (int r = 0; r < ranks; ++r)
    threads.emplace_back([&, r] {
      ThreadComm comm(shared, r);
      SolveOptions o;
      o.method = PlanMethod::kDecomposition;
      o.threads = 1;
      o.relative_gap = 1e-7;
      o.cut_groups = cut_groups;
      o.stabilise = stabilise;
      o.comm = &comm;
      auto s = SolveProgram(problem, {}, o);
      if (s.ok()) got[r] = *s;
    });
  for (auto& t : threads) t.join();
  return got;
}

// The same plan from any number of ranks, with multi-cut (auto at this size)
// and with the scenarios' cuts in groups.
TEST(PlanProperty, RanksGiveTheSamePlanAsOneProcess) {
  const Case c = MakeCase("  risk_aversion: 0.3\n");
  for (int cut_groups : {0, 2}) {
    SCOPED_TRACE(cut_groups);
    const ProgramSolution one = SolveOnRanks(c.problem, 1, cut_groups)[0];
    EXPECT_EQ(one.cut_groups, cut_groups == 0 ? static_cast<int>(c.problem.scenarios.size()) : cut_groups);
    for (int ranks : {2, 4}) {
      const std::vector<ProgramSolution> got = SolveOnRanks(c.problem, ranks, cut_groups);
      // The same plan; figures to the last bits of floating point (where
      // arrays sit in memory can move Clp's roundoff).
      for (int r = 0; r < ranks; ++r) {
        ASSERT_EQ(got[r].chips.size(), one.chips.size());
        for (size_t o = 0; o < one.chips.size(); ++o)
          EXPECT_LT(Relative(got[r].chips[o], one.chips[o]), 1e-9)
              << ranks << " ranks, rank " << r << ", offer " << o;
        EXPECT_EQ(got[r].iterations, one.iterations);
        EXPECT_EQ(got[r].cut_groups, one.cut_groups);
        EXPECT_LT(Relative(got[r].objective_musd, one.objective_musd), 1e-9);
        ASSERT_EQ(got[r].outcomes.size(), one.outcomes.size());
        for (size_t s = 0; s < one.outcomes.size(); ++s)
          EXPECT_LT(Relative(got[r].outcomes[s].value_usd, one.outcomes[s].value_usd), 1e-9);
      }
    }
  }
}

// Stabilised Benders on ranks: the sample it starts from, its trust region
// and its kept pass depend on the scenarios only, so any number of ranks
// gives the same plan, iteration for iteration.
TEST(PlanProperty, StabilisedRanksGiveTheSamePlanAsOneProcess) {
  const Case c = MakeCase("  risk_aversion: 0.3\n", 1.0, 30);
  for (int cut_groups : {0, 4}) {
    SCOPED_TRACE(cut_groups);
    const ProgramSolution one = SolveOnRanks(c.problem, 1, cut_groups, 1)[0];
    ASSERT_EQ(one.outcomes.size(), 30u);
    for (int ranks : {2, 3}) {
      const std::vector<ProgramSolution> got = SolveOnRanks(c.problem, ranks, cut_groups, 1);
      for (int r = 0; r < ranks; ++r) {
        ASSERT_EQ(got[r].chips.size(), one.chips.size());
        for (size_t o = 0; o < one.chips.size(); ++o)
          EXPECT_LT(Relative(got[r].chips[o], one.chips[o]), 1e-9)
              << ranks << " ranks, rank " << r << ", offer " << o;
        EXPECT_EQ(got[r].iterations, one.iterations);
        EXPECT_LT(Relative(got[r].objective_musd, one.objective_musd), 1e-9);
        ASSERT_EQ(got[r].outcomes.size(), one.outcomes.size());
        for (size_t s = 0; s < one.outcomes.size(); ++s)
          EXPECT_LT(Relative(got[r].outcomes[s].value_usd, one.outcomes[s].value_usd), 1e-9);
      }
    }
  }
}

TEST(PlanProperty, VssAndEvpiAreNonNegativeAndMismatchDiagonalDominates) {
  for (const std::string& plan : {std::string(""), std::string("  risk_aversion: 0.5\n")}) {
    SCOPED_TRACE(plan);
    const Case c = MakeCase(plan);
    PlanRunOptions o;
    o.solve.threads = 2;
    o.solve.relative_gap = 1e-7;
    auto rep = PlanFromProblem(c.problem, c.paths, o);
    ASSERT_TRUE(rep.ok()) << rep.status().ToString();
    ASSERT_TRUE(rep->vss_usd && rep->evpi_usd);
    const double tol = 1e-5 * std::fabs(rep->objective_usd) + 1.0;
    EXPECT_GE(*rep->vss_usd, -tol);
    EXPECT_GE(*rep->evpi_usd, -tol);
    // WS >= RP >= EEV.
    EXPECT_GE(rep->ws_objective_usd + tol, rep->objective_usd);
    EXPECT_GE(rep->objective_usd + tol, rep->eev_objective_usd);
    ASSERT_TRUE(rep->mismatch);
    const auto& m = *rep->mismatch;
    ASSERT_EQ(m.points, (std::vector<std::string>{"P10", "P50", "P90"}));
    for (size_t j = 0; j < 3; ++j)
      for (size_t i = 0; i < 3; ++i)
        EXPECT_GE(m.objective_usd[j][j] + 1e-6 * std::fabs(m.objective_usd[j][j]) + 1.0,
                  m.objective_usd[i][j])
            << "plan for " << m.points[i] << " beats the plan for " << m.points[j] << " when " << m.points[j]
            << " happens";
    EXPECT_GE(rep->probability_unserved_over_limit, 0.0);
    EXPECT_LE(rep->probability_unserved_over_limit, 1.0);
    EXPECT_LE(rep->value_usd.p10, rep->value_usd.p50);
    EXPECT_LE(rep->value_usd.p50, rep->value_usd.p90);
  }
}

// Money adds up: in every scenario cash profit = revenue - compute cost (never
// above revenue), value = cash profit + imputed value, and the report's
// return on compute is model/return_on_compute.h's (the ledger's too).
TEST(PlanProperty, CashProfitIsRevenueLessCostAndValueAddsTheImputed) {
  const Case c = MakeCase();
  PlanRunOptions o;
  o.vss = o.evpi = o.mismatch = o.decision_values = false;
  auto rep = PlanFromProblem(c.problem, c.paths, o);
  ASSERT_TRUE(rep.ok()) << rep.status().ToString();
  double revenue = 0, cost = 0, imputed = 0;
  for (size_t s = 0; s < rep->solution.outcomes.size(); ++s) {
    const ScenarioOutcome& x = rep->solution.outcomes[s];
    EXPECT_LE(x.cash_profit_usd(), x.revenue_usd);
    EXPECT_DOUBLE_EQ(x.cash_profit_usd(), x.revenue_usd - x.cost_usd);
    // Terminal value and payments (the deals' months after the horizon) are
    // in value, once, and never in revenue, cost or cash profit.
    EXPECT_NEAR(x.value_usd,
                x.cash_profit_usd() + x.bid_value_usd + x.terminal_value_usd - x.terminal_payments_usd,
                1e-6 * std::fabs(x.value_usd) + 1e-3);
    EXPECT_GT(x.bid_value_usd, 0) << "the small lab's development and research have bids";
    revenue += rep->probability[s] * x.revenue_usd;
    cost += rep->probability[s] * x.cost_usd;
    imputed += rep->probability[s] * x.bid_value_usd;
  }
  EXPECT_NEAR(rep->revenue_usd.mean, revenue, 1e-6 * revenue);
  EXPECT_NEAR(rep->cash_profit_usd.mean, revenue - cost, 1e-6 * revenue);
  EXPECT_LE(rep->cash_profit_usd.mean, rep->revenue_usd.mean);
  EXPECT_NEAR(rep->value_usd.mean,
              rep->cash_profit_usd.mean + rep->imputed_value_usd.mean + rep->terminal_value_usd.mean -
                  rep->terminal_payments_usd.mean,
              1e-6 * revenue);
  EXPECT_EQ(rep->terminal_value_rule, "last-month");
  EXPECT_DOUBLE_EQ(rep->return_on_compute,
                   ReturnOnCompute(rep->revenue_usd.mean + imputed, rep->compute_cost_usd.mean));
  EXPECT_DOUBLE_EQ(rep->cash_return_on_compute,
                   ReturnOnCompute(rep->revenue_usd.mean, rep->compute_cost_usd.mean));
}

// The small lab with terminal values measured from its plan on the planned
// months (as PlanFromProblem does).
PlanProblem WithTerminalValues(const PlanProblem& pr) {
  PlanProblem out = pr;
  const ProgramSolution measured = plan_test::SolveOrDie(pr, PlanMethod::kExtensive);
  SolveOptions o;
  o.method = PlanMethod::kExtensive;
  o.threads = 1;
  const Status st = SetTerminalValues(out, measured, o);
  EXPECT_TRUE(st.ok()) << st.ToString();
  return out;
}

// Terminal value and payments are added once: the same first stage solved
// with and without them differs in each scenario's value by exactly the
// signed chips' terminal value less terminal payments (rate x declined
// usable chip-hours x chips, and exact payments x chips), and in nothing
// else (revenue, cost, cash).
TEST(PlanProperty, TerminalValueAndPaymentsAreAddedOnce) {
  const Case c = MakeCase();
  const PlanProblem whole = WithTerminalValues(c.problem);
  bool any_terminal = false;
  for (const auto& o : whole.offers) any_terminal = any_terminal || o.terminal_months > 0;
  ASSERT_TRUE(any_terminal) << "b200-more runs past the 12 planned months";
  const ProgramSolution w = plan_test::SolveOrDie(whole, PlanMethod::kExtensive);
  FirstStageBounds fixed;
  fixed.lo = fixed.hi = w.chips;
  const ProgramSolution n = plan_test::SolveOrDie(c.problem, PlanMethod::kExtensive, fixed);
  ASSERT_EQ(w.outcomes.size(), n.outcomes.size());
  for (size_t s = 0; s < w.outcomes.size(); ++s) {
    SCOPED_TRACE(whole.scenarios[s].name);
    double value = 0, payments = 0;
    for (size_t o = 0; o < whole.offers.size(); ++o) {
      if (whole.offers[o].on_demand) continue;
      // The curve's value at the signed chips (a rate x chips without one).
      value += TerminalValueUsd(whole, whole.scenarios[s], static_cast<int>(o), w.chips[o]);
      payments += whole.offers[o].terminal_payment_usd_per_chip * w.chips[o];
    }
    const ScenarioOutcome &a = w.outcomes[s], &b = n.outcomes[s];
    EXPECT_NEAR(a.terminal_value_usd, value, 1e-6 * std::max(1.0, value));
    EXPECT_NEAR(a.terminal_payments_usd, payments, 1e-6 * std::max(1.0, payments));
    EXPECT_EQ(b.terminal_value_usd, 0);
    EXPECT_EQ(b.terminal_payments_usd, 0);
    const double tol = 1e-6 * std::max(1.0, std::fabs(a.value_usd));
    EXPECT_NEAR(a.value_usd - b.value_usd, value - payments, tol);
    EXPECT_NEAR(a.revenue_usd, b.revenue_usd, tol);
    EXPECT_NEAR(a.cost_usd, b.cost_usd, tol);
    EXPECT_NEAR(a.min_cash_usd, b.min_cash_usd, tol);
  }
}

// Per-scenario terminal values reach Benders' subproblems (their links'
// objective and value-row coefficients, and each terminal curve's segment
// rows, are set scenario by scenario): the decomposition, multi-cut, in
// groups and stabilised, still equals the extensive form, with the
// quantity-dependent (concave) terminal values of the divisible offers, with
// and without CVaR.
TEST(PlanProperty, DecompositionEqualsTheExtensiveFormWithTerminalValues) {
  for (const std::string& plan :
       {std::string(""), std::string("  risk_aversion: 0.5\n  cvar_alpha: 0.8\n")}) {
    SCOPED_TRACE(plan);
    const Case c = MakeCase(plan);
    const PlanProblem whole = WithTerminalValues(c.problem);
    const ProgramSolution ef = plan_test::SolveOrDie(whole, PlanMethod::kExtensive);
    SolveOptions o;
    o.method = PlanMethod::kDecomposition;
    o.threads = 2;
    o.relative_gap = 1e-7;
    for (int variant = 0; variant < 3; ++variant) {
      SCOPED_TRACE(variant);
      o.cut_groups = variant == 1 ? 2 : 0;
      o.stabilise = variant == 2 ? 1 : -1;
      auto bd = SolveProgram(whole, {}, o);
      ASSERT_TRUE(bd.ok()) << bd.status().ToString();
      EXPECT_LT(Relative(ObjectiveUsd(whole, ef), ObjectiveUsd(whole, *bd)), 1e-5);
      for (size_t k = 0; k < ef.chips.size(); ++k)
        if (whole.offers[k].all_or_nothing)
          EXPECT_EQ(ef.chips[k] > 0, bd->chips[k] > 0) << whole.offers[k].id;
      // Each scenario's terminal value at the plan is its curve's there.
      for (size_t s = 0; s < whole.scenarios.size(); ++s) {
        double tv = 0;
        for (size_t k = 0; k < whole.offers.size(); ++k)
          tv += TerminalValueUsd(whole, whole.scenarios[s], static_cast<int>(k), bd->chips[k]);
        EXPECT_NEAR(bd->outcomes[s].terminal_value_usd, tv, 1e-6 * std::max(1.0, tv));
      }
    }
    // The terminal values differ between scenarios, and some divisible
    // offer's curve bends (else this tests nothing of them).
    double lo = 1e300, hi = -1e300;
    int bends = 0;
    for (const auto& s : whole.scenarios)
      for (size_t k = 0; k < whole.offers.size(); ++k) {
        if (whole.offers[k].terminal_months == 0) continue;
        lo = std::min(lo, s.terminal_usd_per_usable_chip_hour[k]);
        hi = std::max(hi, s.terminal_usd_per_usable_chip_hour[k]);
        if (const TerminalCurve* curve = TerminalCurveOf(whole, s, static_cast<int>(k)))
          bends += curve->Slope(0) > curve->Slope(curve->segments() - 1) * (1 + 1e-6) + 1e-9 ? 1 : 0;
      }
    EXPECT_LT(lo, hi);
    EXPECT_GT(bends, 0);
  }
}

// The terminal curves' part of a cut carried to the program with them
// (BendersCuts): scenario s's value function gains -S TV_s(x), convex, and
// the carried cut its tangent at the cut's point `a`. At `x`: -S TV_s(x)
// (millions of USD) and how far the tangent stands below it (>= 0).
struct CurveShift {
  double value_musd = 0, gap_musd = 0;
};
CurveShift CurvesAt(const PlanProblem& pr, int s, const std::vector<double>& a,
                    const std::vector<double>& x) {
  CurveShift c;
  const PlanScenario& sc = pr.scenarios[s];
  for (size_t o = 0; o < pr.offers.size(); ++o) {
    const int j = pr.link_of_offer(static_cast<int>(o));
    if (j < 0 || TerminalCurveOf(pr, sc, static_cast<int>(o)) == nullptr) continue;
    const double tv = TerminalValueUsd(pr, sc, static_cast<int>(o), x[j]);
    const double tangent = TerminalValueUsd(pr, sc, static_cast<int>(o), a[j]) +
                           TerminalSlopeUsdPerChip(pr, sc, static_cast<int>(o), a[j], true) * (x[j] - a[j]);
    c.value_musd -= kUsdScale * tv;
    c.gap_musd += kUsdScale * (tangent - tv);
  }
  return c;
}

// The plan with terminal values may start from the cuts of the plan without
// them (BendersCuts), each scenario's part shifted by its change of the
// links' terms (with CVaR through the loss it moves). Shifted right they are
// valid cuts of the new program: its lower bound stays at or below the
// optimum (the extensive form's) and the plan is the from-scratch one.
TEST(PlanProperty, CutsCarriedToTheProgramWithTerminalValuesStayValid) {
  for (const std::string& plan :
       {std::string(""), std::string("  risk_aversion: 0.5\n  cvar_alpha: 0.8\n")}) {
    SCOPED_TRACE(plan);
    const Case c = MakeCase(plan);
    const PlanProblem whole = WithTerminalValues(c.problem);
    SolveOptions o;
    o.method = PlanMethod::kDecomposition;
    o.threads = 1;
    o.relative_gap = 1e-7;
    const ProgramSolution scratch = plan_test::SolveOrDie(whole, PlanMethod::kDecomposition);
    const ProgramSolution ef = plan_test::SolveOrDie(whole, PlanMethod::kExtensive);
    BendersCuts cuts;
    o.cuts = &cuts;
    ASSERT_TRUE(SolveProgram(c.problem, {}, o).ok());
    ASSERT_FALSE(cuts.value.empty());
    EXPECT_EQ(cuts.link_objective.size(), whole.scenarios.size());
    const size_t made = cuts.value.size();
    const BendersCuts plain_cuts = cuts;
    auto carried = SolveProgram(whole, {}, o);
    ASSERT_TRUE(carried.ok()) << carried.status().ToString();
    EXPECT_TRUE(carried->converged);
    const double optimum = std::min(ef.objective_musd, scratch.objective_musd);
    EXPECT_LE(carried->lower_bound_musd, optimum + 1e-7 * std::fabs(optimum));
    EXPECT_LT(Relative(ObjectiveUsd(whole, carried.value()), ObjectiveUsd(whole, ef)), 1e-5);
    for (size_t k = 0; k < ef.chips.size(); ++k)
      if (whole.offers[k].all_or_nothing)
        EXPECT_EQ(ef.chips[k] > 0, carried->chips[k] > 0) << whole.offers[k].id;
    // The earlier cuts were in the master, kept first again for the next
    // call in the new program's terms. Multi-cut (group k is scenario k), at
    // every point a cut was made: without CVaR V' = V + delta . x - S TV(x),
    // so a shifted cut stands where it stood against V less how far the
    // curves' tangent at its own point is below them there (exactly: a wrong
    // shift fails here); with CVaR it stays below V' (valid) wherever it was
    // below V. (A cut can stand a hair above V recomputed from scratch: the
    // subproblem solved within Clp's tolerances when it was made.)
    double largest_gap = 0;  // > 0: the curves bend between the cuts' points (else less is tested)
    ASSERT_GE(cuts.value.size(), made);
    ASSERT_EQ(cuts.groups, static_cast<int>(whole.scenarios.size()));
    std::vector<std::vector<double>> points;
    for (size_t k = 0; k < made; ++k)
      if (std::find(points.begin(), points.end(), cuts.at[k]) == points.end()) points.push_back(cuts.at[k]);
    for (const auto& at : points) {
      FirstStageBounds b;
      for (size_t o = 0; o < whole.offers.size(); ++o) {
        const int j = whole.link_of_offer(static_cast<int>(o));
        b.lo.push_back(j >= 0 ? at[j] : 0.0);
      }
      b.hi = b.lo;
      if (whole.has_cvar()) b.eta_musd = at[whole.eta_link()];
      const ProgramSolution v_new = plan_test::SolveOrDie(whole, PlanMethod::kDecomposition, b);
      const ProgramSolution v_old = plan_test::SolveOrDie(c.problem, PlanMethod::kDecomposition, b);
      for (size_t k = 0; k < made; ++k) {
        SCOPED_TRACE("cut " + std::to_string(k));
        double cut_new = cuts.value[k], cut_old = plain_cuts.value[k];
        for (size_t j = 0; j < at.size(); ++j) {
          cut_new += cuts.gradient[k][j] * (at[j] - cuts.at[k][j]);
          cut_old += plain_cuts.gradient[k][j] * (at[j] - plain_cuts.at[k][j]);
        }
        const double above_new = cut_new - v_new.outcomes[cuts.group[k]].objective;
        const double above_old = cut_old - v_old.outcomes[plain_cuts.group[k]].objective;
        const double tol = 1e-9 * std::max(1.0, std::fabs(cut_new));
        if (whole.has_cvar()) {
          EXPECT_LE(above_new, std::max(0.0, above_old) + tol);
        } else {
          const double gap = CurvesAt(whole, cuts.group[k], cuts.at[k], at).gap_musd;
          EXPECT_GE(gap, -tol);
          largest_gap = std::max(largest_gap, gap);
          EXPECT_NEAR(above_new, above_old - gap, tol);
        }
      }
    }
    if (!whole.has_cvar()) EXPECT_GT(largest_gap, 0);
    if (!whole.has_cvar()) continue;
    // With CVaR, V'_s(x, eta) = D_s(x) + V_s(x, eta - D_s(x)), D_s(x) =
    // delta_s . x - S TV_s(x), and the shifted cut is the old one under the
    // same change of variables less (1 - g_eta,s) x the gap of D_s's tangent
    // at the cut's point: at any (x, eta) it stands above V' by what the old
    // cut stood above V at (x, eta - D_s(x)), less that. Checked at every
    // offer signed in full (where D_s(x) is largest) and each cut's eta: a
    // wrong factor on the shift fails here.
    auto old_subs = Subproblems::Build(c.problem);
    auto new_subs = Subproblems::Build(whole);
    ASSERT_TRUE(old_subs.ok() && new_subs.ok());
    const int eta = whole.eta_link();
    FirstStageBounds b;
    for (const auto& o : whole.offers) b.lo.push_back(o.on_demand ? 0.0 : o.max_chips);
    b.hi = b.lo;
    std::vector<double> x(cuts.at[0].size(), 0.0);
    for (size_t o = 0; o < whole.offers.size(); ++o)
      if (whole.link_of_offer(static_cast<int>(o)) >= 0)
        x[whole.link_of_offer(static_cast<int>(o))] = b.lo[o];
    int moved_tail = 0;  // cuts whose scenario was in the tail (g_eta != 0) and moves
    for (size_t k = 0; k < made; ++k) {
      SCOPED_TRACE("cut " + std::to_string(k));
      const int s = cuts.group[k];
      const std::vector<double> c_old = (*old_subs)->LinkObjective(s), c_new = (*new_subs)->LinkObjective(s);
      double moved = 0;
      for (size_t j = 0; j < x.size(); ++j)
        if (static_cast<int>(j) != eta) moved += (c_new[j] - c_old[j]) * x[j];
      const CurveShift curves = CurvesAt(whole, s, cuts.at[k], x);
      moved += curves.value_musd;
      if (moved != 0 && cuts.gradient[k][eta] != 0) ++moved_tail;
      x[eta] = cuts.at[k][eta];
      b.eta_musd = x[eta];
      const double v_new = plan_test::SolveOrDie(whole, PlanMethod::kDecomposition, b).outcomes[s].objective;
      b.eta_musd = x[eta] - moved;
      const double v_old =
          plan_test::SolveOrDie(c.problem, PlanMethod::kDecomposition, b).outcomes[s].objective;
      double cut_new = cuts.value[k], cut_old = plain_cuts.value[k];
      for (size_t j = 0; j < x.size(); ++j) {
        cut_new += cuts.gradient[k][j] * (x[j] - cuts.at[k][j]);
        cut_old +=
            plain_cuts.gradient[k][j] * ((static_cast<int>(j) == eta ? x[j] - moved : x[j]) - cuts.at[k][j]);
      }
      EXPECT_NEAR(cut_new - v_new, cut_old - v_old - (1.0 - plain_cuts.gradient[k][eta]) * curves.gap_musd,
                  1e-9 * std::max(1.0, std::fabs(v_new)));
    }
    EXPECT_GT(moved_tail, 0);  // else this tests the shift without its CVaR factor
  }
}

// `fungible plan` re-uses work between its passes over the scenarios (each
// scenario's last basis, the first solve's cuts): the report is the one of
// every pass from scratch, within the gap, with and without CVaR.
TEST(PlanProperty, ReusedPassesGiveTheSamePlanAsFromScratch) {
  for (const std::string& plan :
       {std::string(""), std::string("  risk_aversion: 0.5\n  cvar_alpha: 0.8\n")}) {
    SCOPED_TRACE(plan);
    const Case c = MakeCase(plan);
    PlanRunOptions o;
    o.solve.method = PlanMethod::kDecomposition;
    o.solve.threads = 1;
    o.solve.relative_gap = 1e-7;
    o.evpi = o.mismatch = false;
    auto reused = PlanFromProblem(c.problem, c.paths, o);
    o.reuse_passes = false;
    auto scratch = PlanFromProblem(c.problem, c.paths, o);
    ASSERT_TRUE(reused.ok() && scratch.ok()) << reused.status().ToString() << scratch.status().ToString();
    EXPECT_LT(Relative(reused->objective_usd, scratch->objective_usd), 1e-5);
    EXPECT_LT(Relative(reused->terminal_value_usd.mean, scratch->terminal_value_usd.mean), 1e-4);
    // Terminal values were measured and signed (else this tests less); with
    // CVaR this case signs none of the offers that run past the horizon.
    if (!c.problem.has_cvar()) EXPECT_GT(scratch->terminal_value_usd.mean, 0);
    ASSERT_TRUE(reused->vss_usd && scratch->vss_usd);
    EXPECT_LT(std::fabs(*reused->vss_usd - *scratch->vss_usd), 1e-5 * std::fabs(scratch->objective_usd));
    ASSERT_EQ(reused->offers.size(), scratch->offers.size());
    for (size_t k = 0; k < reused->offers.size(); ++k) {
      SCOPED_TRACE(reused->offers[k].id);
      EXPECT_EQ(reused->offers[k].sign, scratch->offers[k].sign);
      if (scratch->offers[k].decision_value_usd) {
        ASSERT_TRUE(reused->offers[k].decision_value_usd);
        EXPECT_LT(std::fabs(*reused->offers[k].decision_value_usd - *scratch->offers[k].decision_value_usd),
                  1e-5 * std::fabs(scratch->objective_usd));
      }
    }
  }
}

// The cash path against hand arithmetic: operating costs (growing 2% a
// month) and a raise move every scenario's cash by exactly their cumulative
// sum and leave the plan alone (no floor: cash is not a constraint); the
// capital to raise is the P90 / P95 of floor - lowest cash.
TEST(PlanProperty, OperatingCostsAndARaiseMoveCashByTheirSums) {
  const Case base = MakeCase("  initial_cash_usd: 1.0e6\n");
  const Case with = MakeCase(
      "  initial_cash_usd: 1.0e6\n  operating_cost_usd_per_month: 2.0e6\n  operating_cost_monthly_growth: "
      "0.02\n"
      "  financing:\n    - {date: 2027-03-15, usd: 5.0e6, note: series B}\n");
  PlanRunOptions o;
  o.vss = o.evpi = o.mismatch = o.decision_values = false;
  auto a = PlanFromProblem(base.problem, base.paths, o);
  auto b = PlanFromProblem(with.problem, with.paths, o);
  ASSERT_TRUE(a.ok() && b.ok()) << b.status().ToString();
  EXPECT_EQ(a->solution.chips, b->solution.chips);
  const int T = with.problem.months;
  double opex_total = 0;
  for (size_t s = 0; s < b->solution.outcomes.size(); ++s) {
    double shift = 0;
    for (int t = 0; t < T; ++t) {
      shift -= 2.0e6 * std::pow(1.02, t);
      if (FormatMonth(with.problem.month_start[t]) == "2027-03") shift += 5.0e6;
      EXPECT_NEAR(b->solution.outcomes[s].cash_usd[t], a->solution.outcomes[s].cash_usd[t] + shift, 1e-3)
          << "scenario " << s << " month " << t;
    }
    EXPECT_DOUBLE_EQ(b->solution.outcomes[s].value_usd, a->solution.outcomes[s].value_usd);
  }
  for (int t = 0; t < T; ++t) opex_total += 2.0e6 * std::pow(1.02, t);
  EXPECT_NEAR(b->operating_cost_usd, opex_total, 1e-3);
  EXPECT_DOUBLE_EQ(b->financing_usd, 5.0e6);
  ASSERT_EQ(b->capital_to_raise.size(), 2u);
  std::vector<double> need;
  for (const auto& x : b->solution.outcomes) need.push_back(std::max(0.0, -x.min_cash_usd));
  EXPECT_DOUBLE_EQ(b->capital_to_raise[0].usd, WeightedQuantile(need, b->probability, 0.9));
  EXPECT_DOUBLE_EQ(b->capital_to_raise[1].usd, WeightedQuantile(need, b->probability, 0.95));
  EXPECT_GT(b->capital_to_raise[1].usd, 0) << "$2M a month of opex against $1M of cash must need a raise";
  EXPECT_GE(b->capital_to_raise[1].usd, b->capital_to_raise[0].usd);
  EXPECT_GT(b->capital_to_raise[0].by, 0);
  // A raise outside the planned months is refused with its place.
  Fleet late = plan_test::ParseOrDie(SmallLab("  financing:\n    - {date: 2031-01-01, usd: 1.0e6}\n"));
  auto pr = BuildPlanProblem(late);
  ASSERT_FALSE(pr.ok());
  EXPECT_THAT(pr.status().ToString(),
              HasSubstr("plan.financing[0].date: 2031-01-01 is outside the planned months"));
}

TEST(PlanProperty, RaisingAnOffersPriceNeverIncreasesItsQuantity) {
  Case c = MakeCase("", 3.0);  // demand beyond the fleet, so that the offers are worth signing at some price
  for (int offer : {0, 1}) {
    SCOPED_TRACE(c.fleet.offers[offer].id);
    double previous = std::numeric_limits<double>::infinity();
    bool changed = false;
    for (double price : {0.25, 0.5, 1.0, 2.0, 4.0, 8.0, 12.0, 16.0, 20.0, 28.0, 40.0}) {
      Fleet f = c.fleet;
      f.offers[offer].usd_per_chip_hour = price;
      auto pr = BuildPlanProblem(f);
      ASSERT_TRUE(pr.ok());
      pr->scenarios = c.problem.scenarios;
      const double q = plan_test::SolveOrDie(*pr, PlanMethod::kExtensive).chips[offer];
      EXPECT_LE(q, previous + 1e-6) << "at $" << price;
      changed = changed || (previous < std::numeric_limits<double>::infinity() && q < previous - 1e-6);
      previous = q;
    }
    EXPECT_TRUE(changed) << "the sweep never moved the quantity: pick prices either side of the breakeven";
  }
}

TEST(PlanProperty, EvaluateReportsEveryClassInItsUnit) {
  const Case c = MakeCase();
  EvaluateOptions o;
  o.solve.threads = 2;
  auto ev = EvaluateOfferOn(c.fleet, c.problem.scenarios, "b200-more", o);
  ASSERT_TRUE(ev.ok()) << ev.status().ToString();
  std::map<std::string, const ClassOnChip*> by_id;
  for (const auto& k : ev->classes) by_id[k.id] = &k;
  ASSERT_EQ(by_id.size(), 3u);  // serve-chat, pretrain-next, research all run on B200
  EXPECT_EQ(by_id["serve-chat"]->unit, "million output tokens");
  EXPECT_NEAR(by_id["serve-chat"]->units_per_chip_hour, 1580 * 3600 / 1e6, 1e-9);
  EXPECT_EQ(by_id["pretrain-next"]->unit, "effective PFLOP-hour");
  EXPECT_NEAR(by_id["pretrain-next"]->units_per_chip_hour, 2.2 * 0.9894, 1e-3);
  EXPECT_NEAR(by_id["research"]->units_per_chip_hour, 2.0 * 0.9894, 1e-3);
  // Months the offer has landed in: March 2027 (half) to February 2028.
  ASSERT_EQ(ev->months.size(), 10u);  // March..December of the 12 planned months
  EXPECT_NEAR(ev->months[0].landed_chips, 256, 1e-6);
  EXPECT_NEAR(ev->months[2].landed_chips, 512, 1e-6);
  for (const auto& m : ev->months) {
    EXPECT_GE(m.expected_used_share, 0.0);
    EXPECT_LE(m.expected_used_share, 1.0 + 1e-9);
    for (size_t k = 0; k < ev->classes.size(); ++k)
      EXPECT_GE(m.usd_per_used_unit[k], m.usd_per_unit[k] - 1e-9);
  }
  for (double u : ev->used_share) {
    EXPECT_GE(u, 0.0);
    EXPECT_LE(u, 1.0 + 1e-9);
  }
  // Breakeven: the objective change crosses zero there.
  ASSERT_TRUE(ev->breakeven_usd_per_chip_hour || ev->breakeven_at_least_usd_per_chip_hour);
  if (ev->breakeven_usd_per_chip_hour) {
    Fleet at = c.fleet;
    at.offers[0].usd_per_chip_hour = *ev->breakeven_usd_per_chip_hour;
    auto at_ev = EvaluateOfferOn(at, c.problem.scenarios, "b200-more", o);
    ASSERT_TRUE(at_ev.ok());
    EXPECT_NEAR(at_ev->objective_change_usd, 0.0, 1e-4 * std::fabs(ev->objective_change_usd) + 10.0);
  }
}

TEST(PlanProperty, ACashFloorNoPlanCanMeetIsAnInfeasibleAnswer) {
  // Committed contracts alone cost about $1.8M a month; with demand cut to a
  // thousandth they earn almost nothing, so starting with $1M and a floor at
  // 0, cash runs out in the first month whatever is signed.
  Case c = MakeCase("  initial_cash_usd: 1.0e6\n  cash_floor_usd: 0\n", 1e-3);
  PlanRunOptions o;
  o.vss = o.evpi = o.mismatch = false;
  auto rep = PlanFromProblem(c.problem, {}, o);
  ASSERT_TRUE(rep.ok()) << rep.status().ToString();  // infeasible is an answer
  EXPECT_EQ(rep->status, SolveStatus::kInfeasible);
  EXPECT_TRUE(rep->solution.outcomes.empty());
  EXPECT_THAT(rep->infeasibility, HasSubstr("test.yaml:"));
  EXPECT_THAT(
      rep->infeasibility,
      HasSubstr(
          "plan.cash_floor_usd: no plan keeps cash above the floor of $0.00 in every scenario: even the "
          "plan that minimises breaches falls $"));
}

}  // namespace
}  // namespace fungible
