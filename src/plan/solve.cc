#include "plan/solve.h"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <limits>
#include <memory>
#include <mutex>
#include <numeric>

#include "lp/solve.h"
#include "plan/subproblem.h"
#include "util/timer.h"

namespace fungible {

const char* PlanMethodName(PlanMethod m) {
  switch (m) {
    case PlanMethod::kAuto: return "auto";
    case PlanMethod::kExtensive: return "extensive";
    case PlanMethod::kDecomposition: return "decomposition";
  }
  return "auto";
}

namespace {

constexpr double kFeasTol = 1e-6;  // chips

// Cbc's command-line driver (CbcMain0/CbcMain1, behind SolveLpModel) keeps
// static state and is not safe to run on two threads at once; Clp is. MIP
// solves of this module take turns.
std::mutex& CbcMutex() {
  static std::mutex mu;
  return mu;
}

StatusOr<LpSolution> SolveModel(const LpModel& lp, const LpSolveOptions& options) {
  if (!lp.has_integers() || options.relax_integers) return SolveLpModel(lp, options);
  std::lock_guard<std::mutex> lock(CbcMutex());
  return SolveLpModel(lp, options);
}

// The first stage's columns, as the solvers see them.
struct FirstStage {
  int n_links = 0;
  std::vector<double> lo, hi;      // [link]
  std::vector<int> offer_of_link;  // [link] offer index, -1 for eta
  // Binary indicator per link that needs one (-1 otherwise).
  std::vector<int> binary_of_link;
  int n_binaries = 0;
  double eta_bound = 0;  // |eta| <= this (millions of USD)
  bool all_fixed = false;
  std::string infeasible;  // why the bounds admit no first stage; empty when they do
};

double MaxValueMusd(const PlanProblem& pr, const PlanScenario& s) {
  double v = 0;
  const auto& inst = pr.instance;
  for (size_t m = 0; m < inst.models.size(); ++m)
    for (int t = 0; t < pr.months; ++t)
      v += s.demand_output_tokens[m][t] * inst.models[m].usd_per_output_token * pr.price_factor[m][t];
  for (size_t w = 0; w < inst.workloads.size(); ++w)
    for (const auto& b : inst.workloads[w].bids)
      for (int t = 0; t < pr.months; ++t)
        v += b.effective_chips * s.bid_multiple[w][t] * std::max(0.0, b.usd_per_effective_chip_hour) *
             pr.hours[t];
  for (size_t o = 0; o < pr.offers.size(); ++o)
    v += std::fabs(TerminalValueUsd(pr, s, static_cast<int>(o), pr.offers[o].max_chips));
  return v * kUsdScale;
}

// Most an offer's decisions can save (reductions) or cost, millions of USD.
double OfferSwingMusd(const PlanProblem& pr) {
  double hours = std::accumulate(pr.hours.begin(), pr.hours.end(), 0.0);
  double v = 0;
  for (const auto& o : pr.offers) {
    double price = o.usd_per_chip_hour + o.per_use_usd_per_chip_hour;
    double extra = 1.0;
    for (const auto& k : o.options) {
      extra += k.max_fraction;
      price = std::max(price, k.usd_per_chip_hour + o.per_use_usd_per_chip_hour);
      v += k.fee_usd_per_chip * o.max_chips * k.max_fraction;
    }
    v += o.max_chips * extra * price * hours + o.prepayment_usd_per_chip * o.max_chips +
         o.terminal_payment_usd_per_chip * o.max_chips;
  }
  for (size_t p = 0; p < pr.instance.pools.size(); ++p)
    for (int t = 0; t < pr.months; ++t)
      v += pr.per_use_usd_per_chip_hour[p] * pr.instance.pools[p].capacity_chips[t] * pr.hours[t];
  return v * kUsdScale;
}

// The first stage within `b`; FirstStage::infeasible set when `b` admits none.
StatusOr<FirstStage> ResolveBounds(const PlanProblem& pr, const FirstStageBounds& b) {
  FirstStage fs;
  fs.n_links = pr.num_links();
  fs.lo.assign(fs.n_links, 0.0);
  fs.hi.assign(fs.n_links, 0.0);
  fs.offer_of_link.assign(fs.n_links, -1);
  fs.binary_of_link.assign(fs.n_links, -1);
  bool all_fixed = true;
  for (size_t o = 0; o < pr.offers.size(); ++o) {
    const int j = pr.link_of_offer(static_cast<int>(o));
    if (j < 0) continue;
    const PlanOffer& off = pr.offers[o];
    double lo = b.lo.empty() ? 0.0 : b.lo[o];
    double hi = b.hi.empty() ? off.max_chips : b.hi[o];
    hi = std::min(hi, off.max_chips);
    lo = std::max(lo, 0.0);
    if (lo > hi + kFeasTol) {
      fs.infeasible = "offer " + off.id + ": no quantity between " + std::to_string(lo) + " and " +
                      std::to_string(hi) + " chips can be signed";
      return fs;
    }
    fs.lo[j] = lo;
    fs.hi[j] = std::max(lo, hi);
    fs.offer_of_link[j] = static_cast<int>(o);
    const bool fixed = fs.hi[j] - fs.lo[j] <= kFeasTol;
    if (fixed) {
      const double q = fs.lo[j];
      const bool ok = q <= kFeasTol || (off.all_or_nothing ? std::fabs(q - off.max_chips) <= kFeasTol
                                                           : q >= off.min_chips - kFeasTol);
      if (!ok) {
        fs.infeasible = "offer " + off.id + " cannot be signed for " + std::to_string(q) + " chips (" +
                        (off.all_or_nothing ? "all or nothing: " + std::to_string(off.max_chips)
                                            : "at least " + std::to_string(off.min_chips)) +
                        ")";
        return fs;
      }
    } else {
      all_fixed = false;
      if (off.needs_binary()) fs.binary_of_link[j] = fs.n_binaries++;
    }
  }
  double max_value = 0;
  for (const auto& s : pr.scenarios) max_value = std::max(max_value, MaxValueMusd(pr, s));
  double committed =
      std::accumulate(pr.committed_cost_usd.begin(), pr.committed_cost_usd.end(), 0.0) * kUsdScale;
  fs.eta_bound = 2.0 * (max_value + committed + OfferSwingMusd(pr)) + 1.0;
  if (pr.has_cvar()) {
    const int j = pr.eta_link();
    fs.lo[j] = b.eta_musd ? *b.eta_musd : -fs.eta_bound;
    fs.hi[j] = b.eta_musd ? *b.eta_musd : fs.eta_bound;
    if (!b.eta_musd) all_fixed = false;
  }
  fs.all_fixed = all_fixed;
  return fs;
}

// Adds the first stage's columns (links, then binaries) and the rows tying
// binaries to quantities. Returns link columns; `binary_cols` gets binaries.
std::vector<int> AddFirstStage(const PlanProblem& pr, const FirstStage& fs, LpModel& lp, bool integer,
                               std::vector<int>& binary_cols) {
  std::vector<int> links;
  for (int j = 0; j < fs.n_links; ++j) {
    const bool eta = j == pr.eta_link();
    const std::string name = eta ? "eta" : "q_" + pr.offers[fs.offer_of_link[j]].id;
    links.push_back(lp.AddColumn(name, eta ? pr.settings.risk_aversion : 0.0, fs.lo[j], fs.hi[j]));
  }
  binary_cols.assign(fs.n_binaries, -1);
  for (int j = 0; j < fs.n_links; ++j) {
    const int b = fs.binary_of_link[j];
    if (b < 0) continue;
    const PlanOffer& o = pr.offers[fs.offer_of_link[j]];
    const int y = lp.AddColumn("y_" + o.id, 0.0, 0.0, 1.0, integer);
    binary_cols[b] = y;
    if (o.all_or_nothing) {
      const int r = lp.AddRow("aon_" + o.id, 0.0, 0.0);
      lp.AddCoefficient(r, links[j], 1.0);
      lp.AddCoefficient(r, y, -o.max_chips);
    } else {
      const int r = lp.AddRow("max_" + o.id, -kLpInfinity, 0.0);
      lp.AddCoefficient(r, links[j], 1.0);
      lp.AddCoefficient(r, y, -o.max_chips);
      const int r2 = lp.AddRow("min_" + o.id, 0.0, kLpInfinity);
      lp.AddCoefficient(r2, links[j], 1.0);
      lp.AddCoefficient(r2, y, -o.min_chips);
    }
  }
  return links;
}

// Whether link values satisfy the integer side (minimum, all-or-nothing).
bool IntegerFeasible(const PlanProblem& pr, const FirstStage& fs, const std::vector<double>& x) {
  for (int j = 0; j < fs.n_links; ++j) {
    if (fs.binary_of_link[j] < 0) continue;
    const PlanOffer& o = pr.offers[fs.offer_of_link[j]];
    const double q = x[j];
    if (q <= kFeasTol * std::max(1.0, o.max_chips)) continue;
    const double tol = 1e-7 * std::max(1.0, o.max_chips);
    if (o.all_or_nothing ? std::fabs(q - o.max_chips) > tol : q < o.min_chips - tol) return false;
  }
  return true;
}

// Snaps tiny solver noise: quantities within a hair of a bound sit on it.
void Snap(const PlanProblem& pr, const FirstStage& fs, std::vector<double>& x) {
  for (int j = 0; j < fs.n_links; ++j) {
    if (j == pr.eta_link()) continue;
    const double tol = 1e-7 * std::max(1.0, fs.hi[j]);
    if (std::fabs(x[j] - fs.lo[j]) <= tol) x[j] = fs.lo[j];
    if (std::fabs(x[j] - fs.hi[j]) <= tol) x[j] = fs.hi[j];
    x[j] = std::clamp(x[j], fs.lo[j], fs.hi[j]);
  }
}

// Evaluates scenarios of this rank at `links` and gathers (V_s, g_s) or whole
// outcomes from every rank.
class Evaluator {
 public:
  Evaluator(const PlanProblem& pr, Subproblems& subs, const PlanComm& comm, int threads)
      : pr_(pr), subs_(subs), comm_(comm), threads_(threads) {
    const int K = static_cast<int>(pr.scenarios.size()), R = comm.size(), r = comm.rank();
    begin_ = static_cast<int>(static_cast<long long>(K) * r / R);
    end_ = static_cast<int>(static_cast<long long>(K) * (r + 1) / R);
  }

  // Fills V (objective) and G (gradients) of every scenario. Every rank gets
  // all of them; a failure anywhere is a failure everywhere.
  Status Cuts(const std::vector<double>& links, std::vector<double>& V, std::vector<std::vector<double>>& G) {
    const int n = static_cast<int>(links.size());
    std::vector<ScenarioOutcome>& mine = pass_;
    mine.resize(end_ - begin_);
    Status st = ForScenarios(begin_, end_, threads_,
                             [&](int s) { return subs_.Solve(s, links, true, mine[s - begin_]); });
    std::vector<double> flat;
    flat.push_back(st.ok() ? 0.0 : 1.0);
    for (const auto& o : mine) {
      flat.push_back(o.objective);
      for (int j = 0; j < n; ++j)
        flat.push_back(j < static_cast<int>(o.link_gradient.size()) ? o.link_gradient[j] : 0);
    }
    const std::vector<double> all = comm_.AllGather(flat);
    const int K = static_cast<int>(pr_.scenarios.size());
    V.assign(K, 0.0);
    G.assign(K, std::vector<double>(n, 0.0));
    size_t i = 0;
    bool failed = false;
    int s = 0;
    for (int r = 0; r < comm_.size(); ++r) {
      const int b = static_cast<int>(static_cast<long long>(K) * r / comm_.size());
      const int e = static_cast<int>(static_cast<long long>(K) * (r + 1) / comm_.size());
      failed = failed || all[i++] != 0.0;
      for (s = b; s < e; ++s) {
        V[s] = all[i++];
        for (int j = 0; j < n; ++j) G[s][j] = all[i++];
      }
    }
    if (!st.ok()) return st;
    if (failed) return Status::Internal("plan: a scenario subproblem failed on another process");
    return Status::Ok();
  }

  // Keeps this rank's outcomes of the last Cuts() pass, at `links`, for
  // Outcomes() at the same links.
  void KeepLastPass(const std::vector<double>& links) {
    kept_.swap(pass_);
    kept_links_ = links;
  }

  // Every scenario's whole outcome at `links`: the kept pass when it was at
  // these links (the same solves), otherwise one more pass.
  Status Outcomes(const std::vector<double>& links, std::vector<ScenarioOutcome>& out) {
    std::vector<ScenarioOutcome> mine;
    Status st;
    if (!kept_links_.empty() && kept_links_ == links) {
      mine.swap(kept_);
      kept_links_.clear();
    } else {
      mine.resize(end_ - begin_);
      st = ForScenarios(begin_, end_, threads_,
                        [&](int s) { return subs_.Solve(s, links, true, mine[s - begin_]); });
    }
    std::vector<double> flat;
    flat.push_back(st.ok() ? 0.0 : 1.0);
    for (const auto& o : mine) {
      std::vector<double> p = o.Pack();
      flat.push_back(static_cast<double>(p.size()));
      flat.insert(flat.end(), p.begin(), p.end());
    }
    const std::vector<double> all = comm_.AllGather(flat);
    const int K = static_cast<int>(pr_.scenarios.size());
    out.assign(K, {});
    size_t i = 0;
    bool failed = false;
    for (int r = 0; r < comm_.size(); ++r) {
      const int b = static_cast<int>(static_cast<long long>(K) * r / comm_.size());
      const int e = static_cast<int>(static_cast<long long>(K) * (r + 1) / comm_.size());
      failed = failed || all[i++] != 0.0;
      for (int s = b; s < e; ++s) {
        const size_t len = static_cast<size_t>(all[i++]);
        out[s] = ScenarioOutcome::Unpack(all.data() + i, len);
        i += len;
      }
    }
    if (!st.ok()) return st;
    if (failed) return Status::Internal("plan: a scenario subproblem failed on another process");
    return Status::Ok();
  }

 private:
  const PlanProblem& pr_;
  Subproblems& subs_;
  const PlanComm& comm_;
  int threads_;
  int begin_ = 0, end_ = 0;
  std::vector<ScenarioOutcome> pass_, kept_;  // this rank's scenarios: the last pass, the kept one
  std::vector<double> kept_links_;            // where kept_ was solved; empty = nothing kept
};

double ExpectedMusd(const PlanProblem& pr, const std::vector<double>& V, const std::vector<double>& links) {
  double ub = 0;
  for (size_t s = 0; s < V.size(); ++s) ub += pr.scenarios[s].probability * V[s];
  if (pr.has_cvar()) ub += pr.settings.risk_aversion * links[pr.eta_link()];
  return ub;
}

// Cut groups for S scenarios under cut_groups = 0 (auto): one per scenario
// (multi-cut) up to kAutoMultiCutScenarios, else kAutoCutGroups groups, so
// the master stays the size it has at 1,000-2,000 scenarios however many
// there are. Measured (docs/benchmarks.md): at 1,000 scenarios multi-cut
// took 11 iterations and 200 groups 16; at 2,000, multi-cut 11 iterations and
// 81 CPU s, 1,000 groups 15 iterations and 108 CPU s. Each extra iteration is
// a pass over every scenario, so multi-cut wins while its master is small.
constexpr int kAutoMultiCutScenarios = 2000;
constexpr int kAutoCutGroups = 1000;
int AutoCutGroups(int S) { return S <= kAutoMultiCutScenarios ? S : kAutoCutGroups; }

// Stabilised Benders (SolveOptions::stabilise): the start is solved on every
// kSampleStride-th scenario to kSampleGap; the trust region's half-width
// starts at kTrustStart of each offer's range and never falls below kTrustMin.
// Auto stabilises from kAutoStabiliseScenarios: measured (docs/benchmarks.md)
// it took 1.6-2.2x less CPU from 100 to 1,000 scenarios.
constexpr int kAutoStabiliseScenarios = 100;
constexpr int kSampleStride = 10;
constexpr double kSampleGap = 1e-5;
constexpr double kTrustStart = 0.1;
constexpr double kTrustMin = 1e-3;

bool Converged(double upper, double lower, double gap) {
  const double scale = std::max({std::fabs(upper), std::fabs(lower), 1e-9});
  return upper - lower <= gap * scale + 1e-9;
}

// ---- Extensive form ----

struct EfResult {
  std::string infeasible;  // why there is no plan; empty when there is
  std::vector<double> links;
  double lower = 0;
  int rows = 0, cols = 0;
  bool mip = false;
};

StatusOr<EfResult> SolveExtensive(const PlanProblem& pr, const FirstStage& fs, const SolveOptions& opt) {
  LpModel lp(false);
  std::vector<int> binaries;
  const std::vector<int> links = AddFirstStage(pr, fs, lp, true, binaries);
  for (size_t s = 0; s < pr.scenarios.size(); ++s)
    AppendScenarioBlock(pr, pr.scenarios[s], pr.scenarios[s].probability, links, lp,
                        "s" + std::to_string(s) + "_");
  LpSolveOptions so;
  // Each block's objective is weighted by its scenario's probability, so with
  // many scenarios the coefficients fall to Clp's default dual tolerance
  // (1e-7) and the simplex stops short: at 100 scenarios Cbc then "proved"
  // a plan 3.7e-5 below Benders' optimum.
  so.dual_tolerance = 1e-10;
  so.mip_relative_gap = std::min(opt.relative_gap, 1e-4);
  so.mip_time_limit_s = opt.mip_time_limit_s;
  auto sol = SolveModel(lp, so);
  if (!sol.ok()) return sol.status();
  EfResult r;
  if (sol->status == LpStatus::kInfeasible || sol->status == LpStatus::kTimeLimitNoSolution) {
    r.infeasible = std::string("plan: the extensive form is ") + LpStatusName(sol->status);
    return r;
  }
  if (sol->status != LpStatus::kOptimal && sol->status != LpStatus::kTimeLimit)
    return Status::Internal(std::string("plan: the extensive form is ") + LpStatusName(sol->status));
  for (int c : links) r.links.push_back(sol->x[c]);
  r.lower = sol->best_bound;
  r.rows = lp.num_rows();
  r.cols = lp.num_columns();
  r.mip = sol->solved_as_mip;
  return r;
}

// ---- Benders master ----

// Scenarios in `groups` contiguous groups (scenario s in group s * K / S):
// the same for any number of threads or ranks. Within a group, scenario s
// weighs p_s / P_g (P_g the group's probability), so a group of one scenario
// has weight exactly 1 and K = S is the multi-cut master bit for bit.
struct CutGroups {
  std::vector<int> group_of;   // [s]
  std::vector<double> weight;  // [s]: p_s / P_g
  std::vector<double> prob;    // [g]: P_g, the theta's objective coefficient
  int size() const { return static_cast<int>(prob.size()); }
};

CutGroups MakeCutGroups(const PlanProblem& pr, int groups) {
  const int S = static_cast<int>(pr.scenarios.size());
  const int K = std::clamp(groups, 1, std::max(1, S));
  CutGroups g;
  g.group_of.resize(S);
  g.weight.resize(S);
  g.prob.assign(K, 0.0);
  std::vector<int> count(K, 0);
  for (int s = 0; s < S; ++s) {
    g.group_of[s] = static_cast<int>(static_cast<long long>(s) * K / S);
    g.prob[g.group_of[s]] += pr.scenarios[s].probability;
    ++count[g.group_of[s]];
  }
  for (int s = 0; s < S; ++s) {
    const int k = g.group_of[s];
    g.weight[s] = g.prob[k] > 0 ? pr.scenarios[s].probability / g.prob[k] : 1.0 / count[k];
  }
  return g;
}

class Master {
 public:
  Master(const PlanProblem& pr, const FirstStage& fs, const CutGroups& groups)
      : pr_(pr), fs_(fs), lp_(false) {
    links_ = AddFirstStage(pr, fs, lp_, true, binaries_);
    const int S = static_cast<int>(pr.scenarios.size());
    const double swing = OfferSwingMusd(pr);
    std::vector<double> lower(groups.size(), 0.0);
    for (int s = 0; s < S; ++s)
      lower[groups.group_of[s]] += groups.weight[s] * (-(MaxValueMusd(pr, pr.scenarios[s]) + swing) - 1.0);
    for (int k = 0; k < groups.size(); ++k)
      theta_.push_back(lp_.AddColumn("theta", groups.prob[k], lower[k], kLpInfinity));
  }

  // Adds group k's cut  theta_k >= value + grad . (x - at)  (value and grad
  // the group's weighted sums of V_s and g_s).
  void AddCut(int k, double value, const std::vector<double>& grad, const std::vector<double>& at) {
    const int r = lp_.AddRow("cut", 0.0, kLpInfinity);
    double rhs = value;
    lp_.AddCoefficient(r, theta_[k], 1.0);
    for (int j = 0; j < fs_.n_links; ++j) {
      if (grad[j] == 0) continue;
      lp_.AddCoefficient(r, links_[j], -grad[j]);
      rhs -= grad[j] * at[j];
    }
    lp_.rows[r].lb = rhs;
  }

  // Solves the LP relaxation (warm) or the MIP (Cbc). Fills links and the
  // theta values; returns the master objective (a lower bound). `box`: the
  // LP relaxation with link j also within [box->first[j], box->second[j]]
  // (a trust region; its objective is then no lower bound).
  StatusOr<double> Solve(bool integer, double mip_time_limit_s, std::vector<double>& links,
                         std::vector<double>& theta,
                         const std::pair<std::vector<double>, std::vector<double>>* box = nullptr) {
    if (integer) {
      LpSolveOptions so;
      so.mip_relative_gap = 1e-9;
      so.mip_time_limit_s = mip_time_limit_s;
      auto sol = SolveModel(lp_, so);
      if (!sol.ok()) return sol.status();
      if (sol->status != LpStatus::kOptimal && sol->status != LpStatus::kTimeLimit)
        return Status::Internal(std::string("plan: Benders master is ") + LpStatusName(sol->status));
      Read(sol->x.data(), links, theta);
      return sol->best_bound;
    }
    if (!solver_) {
      FUNGIBLE_ASSIGN_OR_RETURN(LpSolver loaded, LpSolver::Load(lp_));
      solver_ = std::make_unique<LpSolver>(std::move(loaded));
    } else {
      FUNGIBLE_RETURN_IF_ERROR(solver_->AppendRows(lp_, solver_->num_rows()));
    }
    if (box != nullptr || boxed_) {  // (left alone when never boxed: the plain solve as it was)
      for (int j = 0; j < fs_.n_links; ++j)
        solver_->SetColumnBounds(links_[j], box ? std::max(fs_.lo[j], box->first[j]) : fs_.lo[j],
                                 box ? std::min(fs_.hi[j], box->second[j]) : fs_.hi[j]);
      boxed_ = box != nullptr;
    }
    FUNGIBLE_ASSIGN_OR_RETURN(const LpStatus status, solver_->SolveWarm(nullptr, /*primal_fallback=*/true));
    if (status != LpStatus::kOptimal)
      return Status::Internal(std::string("plan: Benders master LP stopped ") + LpStatusName(status));
    Read(solver_->x().data(), links, theta);
    return solver_->objective();
  }

 private:
  void Read(const double* x, std::vector<double>& links, std::vector<double>& theta) const {
    links.assign(fs_.n_links, 0.0);
    for (int j = 0; j < fs_.n_links; ++j) links[j] = x[links_[j]];
    theta.assign(theta_.size(), 0.0);
    for (size_t s = 0; s < theta_.size(); ++s) theta[s] = x[theta_[s]];
  }

  const PlanProblem& pr_;
  const FirstStage& fs_;
  LpModel lp_;
  std::vector<int> links_, binaries_, theta_;
  std::unique_ptr<LpSolver> solver_;  // the LP relaxation, kept warm between iterations
  bool boxed_ = false;                // solver_'s links are boxed (trust region)
};

}  // namespace

double CvarOfLossUsd(const std::vector<double>& value_usd, const std::vector<double>& probability,
                     double alpha) {
  // Rockafellar-Uryasev: min_eta eta + E[(L - eta)+] / (1 - alpha); the
  // minimum is at a scenario's loss, so try each.
  const size_t n = value_usd.size();
  double best = std::numeric_limits<double>::infinity();
  for (size_t i = 0; i < n; ++i) {
    const double eta = -value_usd[i];
    double excess = 0;
    for (size_t k = 0; k < n; ++k) excess += probability[k] * std::max(0.0, -value_usd[k] - eta);
    best = std::min(best, eta + excess / (1.0 - alpha));
  }
  return n == 0 ? 0.0 : best;
}

double ObjectiveUsd(const PlanProblem& pr, const ProgramSolution& sol) {
  double objective = 0;
  std::vector<double> value, probability;
  for (size_t s = 0; s < sol.outcomes.size(); ++s) {
    const double p = pr.scenarios[s].probability;
    objective += p * (sol.outcomes[s].value_usd - sol.outcomes[s].penalty_usd);
    value.push_back(sol.outcomes[s].value_usd);
    probability.push_back(p);
  }
  if (pr.has_cvar())
    objective -= pr.settings.risk_aversion * CvarOfLossUsd(value, probability, pr.settings.cvar_alpha);
  return objective;
}

StatusOr<ProgramSolution> SolveProgram(const PlanProblem& pr, const FirstStageBounds& bounds,
                                       const SolveOptions& opt) {
  const auto t0 = std::chrono::steady_clock::now();
  static const PlanComm kLocal;
  const PlanComm& comm = opt.comm != nullptr ? *opt.comm : kLocal;
  FUNGIBLE_ASSIGN_OR_RETURN(const FirstStage fs, ResolveBounds(pr, bounds));
  ProgramSolution sol;
  if (!fs.infeasible.empty()) {
    sol.status = SolveStatus::kInfeasible;
    sol.infeasibility = fs.infeasible;
    sol.seconds = SecondsSince(t0);
    return sol;
  }
  auto subs = Subproblems::Build(pr);
  if (!subs.ok()) return subs.status();
  // Each scenario starts from its basis of the previous call, and leaves
  // its last one for the next (however this call ends).
  struct KeepBases {
    ScenarioBases* keep;
    Subproblems& subs;
    ~KeepBases() {
      if (keep == nullptr) return;
      keep->rows = subs.rows();
      keep->columns = subs.columns();
      keep->basis.swap(subs.bases());
    }
  } keep_bases{opt.bases, **subs};
  if (opt.bases != nullptr && opt.bases->rows == (*subs)->rows() &&
      opt.bases->columns == (*subs)->columns() && opt.bases->basis.size() == pr.scenarios.size())
    opt.bases->basis.swap((*subs)->bases());
  Evaluator eval(pr, **subs, comm, opt.threads);

  PlanMethod method = opt.method;
  if (method == PlanMethod::kAuto) {
    const long long ef_cols =
        static_cast<long long>((*subs)->columns()) * static_cast<long long>(pr.scenarios.size());
    method = comm.size() > 1 || ef_cols > opt.extensive_max_columns ? PlanMethod::kDecomposition
                                                                    : PlanMethod::kExtensive;
  }
  if (fs.all_fixed) method = PlanMethod::kDecomposition;  // one evaluation is the answer
  sol.method = method;
  std::vector<double> x(fs.n_links, 0.0);

  if (method == PlanMethod::kExtensive) {
    // Rank 0 solves; the others wait for its first stage.
    std::vector<double> msg(fs.n_links + 5, 0.0);
    std::string error;
    if (comm.rank() == 0) {
      const auto te = std::chrono::steady_clock::now();
      auto ef = SolveExtensive(pr, fs, opt);
      sol.master_seconds = SecondsSince(te);
      if (!ef.ok()) {
        msg[0] = 1;
        error = ef.status().message();
      } else if (!ef->infeasible.empty()) {
        msg[0] = 2;
        error = ef->infeasible;
      } else {
        for (int j = 0; j < fs.n_links; ++j) msg[5 + j] = ef->links[j];
        msg[1] = ef->lower;
        msg[2] = ef->rows;
        msg[3] = ef->cols;
        msg[4] = ef->mip ? 1 : 0;
      }
    }
    comm.Broadcast(msg);
    if (msg[0] == 2) {  // an answer: no plan within the bounds
      sol.status = SolveStatus::kInfeasible;
      sol.infeasibility = error.empty() ? "plan: the extensive form is infeasible (rank 0 says why)" : error;
      sol.seconds = SecondsSince(t0);
      return sol;
    }
    if (msg[0] != 0)
      return Status::Internal(error.empty() ? "plan: the extensive form failed on rank 0" : error);
    for (int j = 0; j < fs.n_links; ++j) x[j] = msg[5 + j];
    sol.lower_bound_musd = msg[1];
    sol.lp_rows = static_cast<int>(msg[2]);
    sol.lp_columns = static_cast<int>(msg[3]);
    sol.mip = msg[4] != 0;
    sol.iterations = 1;
  } else {
    sol.lp_rows = (*subs)->rows();
    sol.lp_columns = (*subs)->columns();
    sol.mip = fs.n_binaries > 0;
    const int S = static_cast<int>(pr.scenarios.size());
    const CutGroups groups = MakeCutGroups(pr, opt.cut_groups > 0 ? opt.cut_groups : AutoCutGroups(S));
    const int K = groups.size();
    sol.cut_groups = K;
    std::unique_ptr<Master> master;
    if (comm.rank() == 0) master = std::make_unique<Master>(pr, fs, groups);
    // Rank 0: an earlier call's cuts, shifted to this program (BendersCuts);
    // every cut of this call is kept for the next.
    BendersCuts kept;
    const int eta = pr.eta_link();
    std::vector<int> first(K + 1, S);  // [k]: group k's first scenario (groups are contiguous)
    for (int s = S - 1; s >= 0; --s) first[groups.group_of[s]] = s;
    auto add_cut = [&](int k, double value, const std::vector<double>& grad, const std::vector<double>& at,
                       std::vector<double> eta_grad) {
      master->AddCut(k, value, grad, at);
      if (opt.cuts == nullptr) return;
      kept.group.push_back(k);
      kept.value.push_back(value);
      kept.gradient.push_back(grad);
      kept.at.push_back(at);
      kept.eta_gradient.push_back(std::move(eta_grad));
    };
    auto eta_grads = [&](int k, const std::vector<std::vector<double>>& G) {
      std::vector<double> g;
      if (opt.cuts != nullptr && eta >= 0)
        for (int s = first[k]; s < first[k + 1]; ++s) g.push_back(G[s][eta]);
      return g;
    };
    const bool carry = !pr.settings.cash_feasibility_only;
    if (opt.cuts != nullptr && comm.rank() == 0 && carry) {
      kept.groups = K;
      for (int s = 0; s < S; ++s) {
        kept.link_objective.push_back((*subs)->LinkObjective(s));
        kept.terminal_curve.push_back(pr.scenarios[s].terminal_curve);
      }
      const BendersCuts& old = *opt.cuts;
      // The curves this program adds ([s]: offers whose -TV_s the cuts take
      // on); carried only from a program without curves or with the same.
      std::vector<std::vector<int>> added(S);
      bool carry_curves = static_cast<int>(old.terminal_curve.size()) == S;
      for (int s = 0; s < S && carry_curves; ++s) {
        const auto& was = old.terminal_curve[s];
        const bool none_before =
            std::all_of(was.begin(), was.end(), [](const TerminalCurve& c) { return c.empty(); });
        if (!none_before && was != pr.scenarios[s].terminal_curve) carry_curves = false;
        if (none_before)
          for (size_t o = 0; o < pr.offers.size(); ++o)
            if (TerminalCurveOf(pr, pr.scenarios[s], static_cast<int>(o)) != nullptr &&
                pr.link_of_offer(static_cast<int>(o)) >= 0)
              added[s].push_back(static_cast<int>(o));
      }
      if (old.groups == K && static_cast<int>(old.link_objective.size()) == S && carry_curves) {
        // delta_s = c'_s - c_s on the offers' links; the cut's scenario s
        // shifts by (1 - g_eta,s) delta_s (BendersCuts).
        std::vector<std::vector<double>> delta(S, std::vector<double>(fs.n_links, 0.0));
        for (int s = 0; s < S; ++s)
          for (int j = 0; j < fs.n_links; ++j)
            if (j != eta) delta[s][j] = kept.link_objective[s][j] - old.link_objective[s][j];
        for (size_t c = 0; c < old.value.size(); ++c) {
          const int k = old.group[c];
          double value = old.value[c];
          std::vector<double> grad = old.gradient[c];
          for (int s = first[k]; s < first[k + 1]; ++s) {
            const double g_eta = eta >= 0 ? old.eta_gradient[c][s - first[k]] : 0.0;
            const double w = groups.weight[s] * (1.0 - g_eta);
            for (int j = 0; j < fs.n_links; ++j) {
              value += w * delta[s][j] * old.at[c][j];
              grad[j] += w * delta[s][j];
            }
            // -TV_s(x), convex: its tangent at the cut's point.
            for (int o : added[s]) {
              const int j = pr.link_of_offer(o);
              const double q = old.at[c][j];
              value -= w * kUsdScale * TerminalValueUsd(pr, pr.scenarios[s], o, q);
              grad[j] -= w * kUsdScale * TerminalSlopeUsdPerChip(pr, pr.scenarios[s], o, q, true);
            }
          }
          add_cut(k, value, grad, old.at[c], old.eta_gradient[c]);
        }
      }
    }
    // Start from the plan for the mean scenario: cheap (one scenario) and
    // usually close, so the first cuts are where they matter. Stabilised:
    // from the plan of a sample of the scenarios, closer still.
    for (int j = 0; j < fs.n_links; ++j) x[j] = fs.lo[j];
    if (pr.has_cvar() && fs.hi[pr.eta_link()] > fs.lo[pr.eta_link()]) x[pr.eta_link()] = 0.0;
    const bool stabilise =
        !fs.all_fixed && (opt.stabilise > 0 || (opt.stabilise == 0 && S >= kAutoStabiliseScenarios));
    bool started = false;
    if (stabilise && S >= 2 * kSampleStride) {
      // Start from the plan of every kSampleStride-th scenario, solved the
      // same way by every rank (the sample depends on S only).
      std::vector<PlanScenario> sample;
      for (int s = 0; s < S; s += kSampleStride) sample.push_back(pr.scenarios[s]);
      const PlanProblem sub = WithScenarios(pr, std::move(sample));
      SolveOptions so = opt;
      so.cut_groups = 0;
      so.relative_gap = std::max(opt.relative_gap, kSampleGap);
      so.on_iteration = nullptr;
      so.bases = nullptr;  // the sample's scenarios are not this call's
      so.cuts = nullptr;
      // (A failure, the same on every rank, only loses this start.)
      const StatusOr<ProgramSolution> start = SolveProgram(sub, bounds, so);
      if (start.ok() && start->status == SolveStatus::kOptimal) {
        for (size_t o = 0; o < pr.offers.size(); ++o) {
          const int j = pr.link_of_offer(static_cast<int>(o));
          if (j >= 0) x[j] = std::clamp(start->chips[o], fs.lo[j], fs.hi[j]);
        }
        if (pr.has_cvar())
          x[pr.eta_link()] = std::clamp(start->eta_musd, fs.lo[pr.eta_link()], fs.hi[pr.eta_link()]);
        started = true;
      }
    }
    if (!started && !fs.all_fixed && pr.scenarios.size() > 1) {
      std::vector<double> msg(fs.n_links + 1, 0.0);
      if (comm.rank() == 0) {
        const PlanProblem ev = WithScenarios(pr, {MeanScenario(pr, pr.scenarios)});
        auto ev_fs = ResolveBounds(ev, bounds);
        // (A failure only loses the warm start.)
        auto ev_sol = ev_fs.ok() && ev_fs->infeasible.empty()
                          ? SolveExtensive(ev, *ev_fs, opt)
                          : StatusOr<EfResult>(Status::Internal("no start from the mean scenario"));
        if (ev_sol.ok() && ev_sol->infeasible.empty()) {
          msg[0] = 1;
          for (int j = 0; j < fs.n_links; ++j) msg[1 + j] = std::clamp(ev_sol->links[j], fs.lo[j], fs.hi[j]);
        }
      }
      comm.Broadcast(msg);
      if (msg[0] == 1)
        for (int j = 0; j < fs.n_links; ++j) x[j] = msg[1 + j];
    }
    FUNGIBLE_RETURN_IF_ERROR((*subs)->Seed(x));
    const double inf = std::numeric_limits<double>::infinity();
    double upper = inf, upper_int = inf, lower = -inf;
    std::vector<double> incumbent = x, incumbent_int = x;
    double kept_value = inf;
    bool integer_phase = false;
    std::vector<double> V;
    std::vector<std::vector<double>> G;
    std::vector<double> theta(K, -inf), next;
    int it = 0;
    bool msg_not_converged = false;  // rank 0's knowledge, sent with the last message
    // Trust region (stabilised, LP phase): box half-widths as a fraction of
    // each offer's range; the master's predicted gain of the last boxed step.
    double delta = kTrustStart;
    double predicted = -1;  // < 0: the point evaluated was not a boxed step
    bool hit_box = false;
    for (;;) {
      ++it;
      const auto ts = std::chrono::steady_clock::now();
      Status st = eval.Cuts(x, V, G);
      sol.subproblem_seconds += SecondsSince(ts);
      if (!st.ok()) return st;
      // Every rank sees every V: each keeps its scenarios' outcomes at the
      // best integer-feasible point so far (rank 0's incumbent_int below),
      // so the figures at the plan need no pass of their own (a fixed first
      // stage is thus evaluated once).
      const double value = ExpectedMusd(pr, V, x);
      if (IntegerFeasible(pr, fs, x) && value < kept_value) {
        kept_value = value;
        eval.KeepLastPass(x);
      }
      // Rank 0: bounds, cuts, the next point; then tells everyone.
      std::vector<double> msg(fs.n_links + 3,
                              0.0);  // [flag, lower, x..., not converged]; flag 0 go on, 1 done, 2 error
      std::string error;
      if (comm.rank() == 0) {
        if (predicted > 0) {  // how the boxed step did against what the master predicted
          const double gained = upper - value;
          if (gained >= 0.5 * predicted && hit_box) delta = std::min(1.0, 2 * delta);
          if (gained < 0) delta = std::max(kTrustMin, 0.5 * delta);
        }
        predicted = -1;
        if (value < upper) {
          upper = value;
          incumbent = x;
        }
        if (IntegerFeasible(pr, fs, x) && value < upper_int) {
          upper_int = value;
          incumbent_int = x;
        }
        // Each group's cut: the weighted sums of its scenarios' values and
        // gradients (one scenario per group: V_s and g_s themselves).
        std::vector<double> VK(K, 0.0);
        std::vector<std::vector<double>> GK(K, std::vector<double>(fs.n_links, 0.0));
        for (int s = 0; s < S; ++s) {
          const int k = groups.group_of[s];
          const double w = groups.weight[s];
          VK[k] += w * V[s];
          for (int j = 0; j < fs.n_links; ++j) GK[k][j] += w * G[s][j];
        }
        for (int k = 0; k < K; ++k)
          if (VK[k] > theta[k] + 1e-9 * std::max(1.0, std::fabs(VK[k])))
            add_cut(k, VK[k], GK[k], x, eta_grads(k, G));
        bool done = fs.all_fixed || it >= opt.max_iterations;
        if (!fs.all_fixed && it >= opt.max_iterations) msg_not_converged = true;
        const auto tm = std::chrono::steady_clock::now();
        if (!done) {
          auto lb = master->Solve(integer_phase, opt.mip_time_limit_s, next, theta);
          if (lb.ok() && !integer_phase && Converged(upper, *lb, opt.relative_gap)) {
            if (fs.n_binaries > 0) {
              integer_phase = true;  // the relaxation is solved: now with the binaries
              lb = master->Solve(true, opt.mip_time_limit_s, next, theta);
            } else {
              done = true;
            }
          }
          if (stabilise && lb.ok() && !integer_phase && !done) {
            // The next point: the master within the box around the incumbent.
            std::pair<std::vector<double>, std::vector<double>> box(fs.lo, fs.hi);
            for (int j = 0; j < fs.n_links; ++j) {
              if (j == pr.eta_link()) continue;
              const double d = delta * (fs.hi[j] - fs.lo[j]);
              box.first[j] = incumbent[j] - d;
              box.second[j] = incumbent[j] + d;
            }
            std::vector<double> boxed_next, boxed_theta;
            auto m = master->Solve(false, opt.mip_time_limit_s, boxed_next, boxed_theta, &box);
            if (!m.ok()) {
              lb = m.status();
            } else {
              predicted = upper - *m;
              hit_box = false;
              for (int j = 0; j < fs.n_links; ++j) {
                if (j == pr.eta_link()) continue;
                const double tol = 1e-9 * std::max(1.0, fs.hi[j]);
                hit_box = hit_box || (boxed_next[j] <= box.first[j] + tol && box.first[j] > fs.lo[j]) ||
                          (boxed_next[j] >= box.second[j] - tol && box.second[j] < fs.hi[j]);
              }
              next = std::move(boxed_next);
              theta = std::move(boxed_theta);
            }
          }
          if (!lb.ok()) {
            msg[0] = 2;
            error = lb.status().message();
          } else {
            lower = *lb;
            if (integer_phase && Converged(upper_int, lower, opt.relative_gap)) done = true;
            Snap(pr, fs, next);
          }
        }
        sol.master_seconds += SecondsSince(tm);
        if (opt.on_iteration) opt.on_iteration(it, integer_phase ? upper_int : upper, lower);
        if (msg[0] == 0) {
          msg[0] = done ? 1 : 0;
          x = done ? incumbent_int : next;
        }
        msg[1] = lower;
        for (int j = 0; j < fs.n_links; ++j) msg[2 + j] = x[j];
        msg[2 + fs.n_links] = msg_not_converged ? 1.0 : 0.0;
      }
      comm.Broadcast(msg);
      if (msg[0] == 2)
        return Status::Internal(error.empty() ? "plan: Benders master failed on rank 0" : error);
      for (int j = 0; j < fs.n_links; ++j) x[j] = msg[2 + j];
      lower = msg[1];
      sol.converged = msg[2 + fs.n_links] == 0.0;
      if (msg[0] == 1) break;
    }
    sol.iterations = it;
    sol.lower_bound_musd = lower;
    if (opt.cuts != nullptr && comm.rank() == 0 && carry) *opt.cuts = std::move(kept);
  }

  // Every scenario at the chosen first stage: the figures reported.
  const auto tf = std::chrono::steady_clock::now();
  Status st = eval.Outcomes(x, sol.outcomes);
  sol.subproblem_seconds += SecondsSince(tf);
  if (!st.ok()) return st;
  std::vector<double> V(sol.outcomes.size());
  for (size_t s = 0; s < V.size(); ++s) V[s] = sol.outcomes[s].objective;
  sol.objective_musd = ExpectedMusd(pr, V, x);
  if (method == PlanMethod::kDecomposition && fs.all_fixed) sol.lower_bound_musd = sol.objective_musd;
  sol.chips.assign(pr.offers.size(), 0.0);
  for (size_t o = 0; o < pr.offers.size(); ++o) {
    const int j = pr.link_of_offer(static_cast<int>(o));
    if (j >= 0) sol.chips[o] = x[j];
  }
  sol.eta_musd = pr.has_cvar() ? x[pr.eta_link()] : 0.0;
  sol.seconds = SecondsSince(t0);
  return sol;
}

}  // namespace fungible
