#include <gtest/gtest.h>

#include "lp/model.h"
#include "lp/solve.h"

namespace fungible {
namespace {

// min -x - y  s.t.  x + 2y <= 4,  3x + y <= 6,  x, y >= 0: optimum at
// (1.6, 1.2), objective -2.8; duals -0.2 and -0.4.
LpModel TwoByTwo() {
  LpModel m;
  const int x = m.AddColumn("x", -1, 0, kLpInfinity);
  const int y = m.AddColumn("y", -1, 0, kLpInfinity);
  const int r0 = m.AddRow("r0", -kLpInfinity, 4);
  const int r1 = m.AddRow("r1", -kLpInfinity, 6);
  m.AddCoefficient(r0, x, 1);
  m.AddCoefficient(r0, y, 1);  // two triplets for (r0, y): summed to 2
  m.AddCoefficient(r0, y, 1);
  m.AddCoefficient(r1, x, 3);
  m.AddCoefficient(r1, y, 1);
  return m;
}

TEST(SolveLpModel, KnownAnswer) {
  auto sol = SolveLpModel(TwoByTwo());
  ASSERT_TRUE(sol.ok()) << sol.status().ToString();
  EXPECT_EQ(sol->status, LpStatus::kOptimal);
  EXPECT_NEAR(sol->objective, -2.8, 1e-9);
  EXPECT_NEAR(sol->x[0], 1.6, 1e-9);
  EXPECT_NEAR(sol->x[1], 1.2, 1e-9);
  EXPECT_NEAR(sol->row_dual[0], -0.4, 1e-9);
  EXPECT_NEAR(sol->row_dual[1], -0.2, 1e-9);
}

TEST(SolveLpModel, InfeasibleAndUnboundedAreAnswers) {
  LpModel m = TwoByTwo();
  m.rows[0].lb = 10;  // x + 2y >= 10 and <= 4
  auto sol = SolveLpModel(m);
  ASSERT_TRUE(sol.ok()) << sol.status().ToString();
  EXPECT_EQ(sol->status, LpStatus::kInfeasible);

  LpModel u;
  const int c = u.AddColumn("free", -1, 0, kLpInfinity);
  u.AddCoefficient(u.AddRow("at_least_0", 0, kLpInfinity), c, 1);
  auto unbounded = SolveLpModel(u);
  ASSERT_TRUE(unbounded.ok()) << unbounded.status().ToString();
  EXPECT_EQ(unbounded->status, LpStatus::kUnbounded);
}

TEST(SolveLpModel, MalformedModelIsAnErrorNamingTheColumn) {
  LpModel m = TwoByTwo();
  m.columns[1].lb = 5;
  m.columns[1].ub = 1;
  auto sol = SolveLpModel(m);
  ASSERT_FALSE(sol.ok());
  EXPECT_EQ(sol.status().code(), StatusCode::kInternal);
  EXPECT_NE(sol.status().message().find("LP column y has bad objective or bounds"), std::string::npos)
      << sol.status().message();
}

TEST(LpStatusName, NamesEveryStatusAndNeverCallsAnUnknownOneOptimal) {
  EXPECT_STREQ(LpStatusName(LpStatus::kOptimal), "optimal");
  EXPECT_STREQ(LpStatusName(LpStatus::kStopped), "stopped");
  EXPECT_STREQ(LpStatusName(static_cast<LpStatus>(99)), "unknown");
}

TEST(LpSolver, WarmStartFromABasisReachesTheSameOptimum) {
  auto solver = LpSolver::Load(TwoByTwo());
  ASSERT_TRUE(solver.ok()) << solver.status().ToString();
  auto cold = solver->SolveFromScratch();
  ASSERT_TRUE(cold.ok());
  EXPECT_EQ(*cold, LpStatus::kOptimal);
  EXPECT_NEAR(solver->objective(), -2.8, 1e-9);
  const std::vector<unsigned char> basis = solver->basis();
  ASSERT_EQ(basis.size(), 4u);

  // A copy with a tighter bound, warm from that basis: x <= 1 gives y = 1.5.
  LpSolver copy(*solver);
  copy.SetColumnBounds(0, 0, 1);
  auto warm = copy.SolveWarm(&basis);
  ASSERT_TRUE(warm.ok());
  EXPECT_EQ(*warm, LpStatus::kOptimal);
  EXPECT_NEAR(copy.objective(), -2.5, 1e-9);
  EXPECT_NEAR(copy.x()[1], 1.5, 1e-9);
  EXPECT_NEAR(copy.reduced_costs()[0], -0.5, 1e-9);
  // The original is untouched.
  EXPECT_NEAR(solver->objective(), -2.8, 1e-9);

  // A wrong-sized basis is an error, not a crash.
  std::vector<unsigned char> short_basis(2, 0);
  auto bad = copy.SolveWarm(&short_basis);
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.status().message().find("a basis of 2 entries for 4 columns and rows"), std::string::npos);
}

TEST(LpSolver, AppendedRowsCutTheOptimumAndInfeasibleIsAnAnswer) {
  LpModel m = TwoByTwo();
  auto solver = LpSolver::Load(m);
  ASSERT_TRUE(solver.ok());
  ASSERT_EQ(*solver->SolveWarm(nullptr), LpStatus::kOptimal);
  const int first = m.num_rows();
  const int cut = m.AddRow("cut", -kLpInfinity, 2);  // x + y <= 2
  m.AddCoefficient(cut, 0, 1);
  m.AddCoefficient(cut, 1, 1);
  ASSERT_TRUE(solver->AppendRows(m, first).ok());
  EXPECT_EQ(solver->num_rows(), 3);
  auto st = solver->SolveWarm(nullptr, /*primal_fallback=*/true);
  ASSERT_TRUE(st.ok());
  EXPECT_EQ(*st, LpStatus::kOptimal);
  EXPECT_NEAR(solver->objective(), -2.0, 1e-9);

  const int contradiction = m.AddRow("contradiction", 3, kLpInfinity);  // x + y >= 3
  m.AddCoefficient(contradiction, 0, 1);
  m.AddCoefficient(contradiction, 1, 1);
  ASSERT_TRUE(solver->AppendRows(m, contradiction).ok());
  auto infeasible = solver->SolveWarm(nullptr, true);
  ASSERT_TRUE(infeasible.ok());
  EXPECT_EQ(*infeasible, LpStatus::kInfeasible);
}

}  // namespace
}  // namespace fungible
