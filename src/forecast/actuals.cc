#include "forecast/actuals.h"

#include <Eigen/Cholesky>
#include <Eigen/Core>
#include <algorithm>
#include <cmath>
#include <fstream>
#include <limits>
#include <map>
#include <sstream>

#include "forecast/internal/monthly_step.h"
#include "forecast/random.h"
#include "util/csv.h"
#include "util/parallel.h"
#include "util/text.h"

namespace fungible {
namespace {

using RowMatrix = Eigen::Matrix<double, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;

// Lower Cholesky factor (row-major n x n, zeros above the diagonal) of the
// symmetric positive definite row-major `a` plus `ridge` on the diagonal, by
// Eigen's LLT. Not positive definite (rounding on a degenerate covariance):
// the diagonal's square roots, floored at sqrt(max(ridge, 1e-300)).
std::vector<double> LowerCholesky(const std::vector<double>& a, size_t n, double ridge) {
  const auto dim = static_cast<Eigen::Index>(n);
  RowMatrix m = Eigen::Map<const RowMatrix>(a.data(), dim, dim);
  m.diagonal().array() += ridge;
  std::vector<double> out(n * n, 0.0);
  Eigen::Map<RowMatrix> l(out.data(), dim, dim);
  const Eigen::LLT<RowMatrix> llt(m);
  if (llt.info() == Eigen::Success) {
    l = llt.matrixL();
  } else {
    const double floor = std::max(ridge, 1e-300);
    for (Eigen::Index i = 0; i < dim; ++i) l(i, i) = std::sqrt(std::max(m(i, i), floor));
  }
  return out;
}

// Most output tokens a tier may report for one month: 1e20 is a billion
// times a large lab's monthly traffic today.
constexpr double kMaxMonthlyTokens = 1e20;

std::string Quoted(const std::string& s) { return "\"" + s + "\""; }

std::string ServingTierList(const DemandModel& m) {
  std::string out;
  for (const auto& t : m.tiers)
    if (t.kind == TierKind::kServing) out += (out.empty() ? "" : ", ") + t.id;
  return out.empty() ? "(none)" : out;
}

// ---- The likelihood of the observed increments given a particle's latents.

// One observed step of a tier's log demand multiple, from month `from` (its
// anchor or the previous actual) to month `to`.
struct Increment {
  int tier = 0;
  int from = 0, to = 0;
  double y_from = 0, y_to = 0;  // observed log multiples
};

class Likelihood {
 public:
  Likelihood(const DemandModel& m, const Actuals& actuals, double obs_sd) : m_(m) {
    // Increments tier by tier in month order (actuals are sorted that way).
    std::vector<int> last_month(m.tiers.size());
    std::vector<double> last_y(m.tiers.size(), 0.0);
    for (size_t s = 0; s < m.tiers.size(); ++s) last_month[s] = m.tiers[s].anchor_month;
    for (const Actual& a : actuals.rows) {
      const size_t s = static_cast<size_t>(a.tier);
      Increment inc;
      inc.tier = a.tier;
      inc.from = last_month[s];
      inc.to = a.month;
      inc.y_from = last_y[s];
      inc.y_to = std::log(a.output_tokens / MonthlyOutputTokens(m, a.tier, a.month, 0.0));
      incs_.push_back(inc);
      last_month[s] = a.month;
      last_y[s] = inc.y_to;
    }
    // Latent index of each tier's launches (layout of ParamsFromLatents).
    size_t j = 1;
    for (const auto& t : m.tiers) {
      ++j;
      std::vector<size_t> idx;
      for (size_t k = 0; k < t.launches.size(); ++k) idx.push_back(j++);
      launch_latent_.push_back(std::move(idx));
    }
    // Covariance of the increments: per shared step, sigma_a sigma_b times 1
    // (same tier) or l_a l_b (two tiers); plus observation noise.
    const size_t n = incs_.size();
    std::vector<double> cov(n * n, 0.0);
    for (size_t a = 0; a < n; ++a)
      for (size_t b = 0; b <= a; ++b) {
        const Increment &x = incs_[a], &y = incs_[b];
        const int overlap = std::min(x.to, y.to) - std::max(x.from, y.from);
        double c = 0;
        if (overlap > 0) {
          const TierModel &tx = m.tiers[static_cast<size_t>(x.tier)],
                          &ty = m.tiers[static_cast<size_t>(y.tier)];
          const double corr = x.tier == y.tier ? 1.0 : tx.loading * ty.loading;
          c = overlap * tx.volatility * ty.volatility * corr;
        }
        if (a == b) c += obs_sd * obs_sd;
        cov[a * n + b] = cov[b * n + a] = c;
      }
    // Growth that drifts: the growth rate's step nu[m] after month m (m past
    // the tier's anchor A) adds d nu[m] to every later month's growth, so it
    // moves the increment (a, b] by d (b - max(a, m)) for A < m < b. Two
    // increments share the steps of the same months, correlated 1 (same
    // tier) or l_a l_b. Without a ceiling this is exact; with one the
    // damping of the drifted growth is left out, as it is for the shocks.
    AddDriftCovariance(m, cov);
    // Cholesky, kept as sparse rows (block-diagonal by month in the usual case).
    const std::vector<double> l = LowerCholesky(cov, n, 0.0);
    row_begin_.push_back(0);
    for (size_t i = 0; i < n; ++i) {
      for (size_t k = 0; k < i; ++k)
        if (l[i * n + k] != 0) {
          col_.push_back(k);
          val_.push_back(l[i * n + k]);
        }
      row_begin_.push_back(col_.size());
      diag_.push_back(l[i * n + i]);
    }
  }

  size_t size() const { return incs_.size(); }

  // Months' drift step coefficients of increment i: d * (b - max(a, m)) for
  // A < m < b (A the tier's anchor month), as (month, coefficient) pairs.
  std::vector<std::pair<int, double>> DriftCoefficients(const Increment& inc) const {
    std::vector<std::pair<int, double>> out;
    const TierModel& t = m_.tiers[static_cast<size_t>(inc.tier)];
    if (!(t.growth_drift_sd > 0)) return out;
    for (int month = t.anchor_month + 1; month < inc.to; ++month)
      out.emplace_back(month, t.growth_drift_sd * (inc.to - std::max(inc.from, month)));
    return out;
  }
  // Sum over the drift steps two increments share of their coefficients'
  // products (DriftCoefficients of each).
  static double CommonSteps(const std::vector<std::pair<int, double>>& cx,
                            const std::vector<std::pair<int, double>>& cy) {
    double c = 0;
    for (const auto& [mx, vx] : cx)
      for (const auto& [my, vy] : cy)
        if (mx == my) c += vx * vy;
    return c;
  }
  double Correlation(int a, int b) const {
    return a == b ? 1.0 : m_.tiers[static_cast<size_t>(a)].loading * m_.tiers[static_cast<size_t>(b)].loading;
  }

  void AddDriftCovariance(const DemandModel& m, std::vector<double>& cov) const {
    bool any = false;
    for (const auto& t : m.tiers) any = any || t.growth_drift_sd > 0;
    if (!any) return;
    const size_t n = incs_.size();
    std::vector<std::vector<std::pair<int, double>>> coef(n);
    for (size_t i = 0; i < n; ++i) coef[i] = DriftCoefficients(incs_[i]);
    for (size_t a = 0; a < n; ++a)
      for (size_t b = 0; b <= a; ++b) {
        const double c = CommonSteps(coef[a], coef[b]) * Correlation(incs_[a].tier, incs_[b].tier);
        cov[a * n + b] += c;
        if (a != b) cov[b * n + a] += c;
      }
  }

  // Quantities drawn per particle given the actuals, jointly Gaussian with
  // the particle's whitened residuals z of LogLik (given its latents):
  //  - per tier with actuals whose growth drifts, the growth that has drifted
  //    by its last actual L: G_s = d_s (nu[A+1] + ... + nu[L]);
  //  - per tier, every month t without an actual between its as_of month A
  //    and L (a gap, or months before its first actual): the deviation of
  //    the organic increment over (a, t] from its mean, a the month of the
  //    actual before t (or A). Shocks and drift steps both, the same
  //    covariances as the observed increments' (the shared factor's
  //    correlation across tiers), so a gap month is a Brownian bridge
  //    between the actuals on its sides, correlated with the other tiers'
  //    months and observed increments.
  // Then V | z ~ N(W' z, S - W' W), W = L^-1 Cov(increments, V), S = Var V:
  // exact conditioning without a ceiling (with one, the means follow the
  // deterministic damped path, as in LogLik). Prepares W and the Cholesky
  // factor of the conditional covariance.
  void PrepareConditionalDraws(const std::vector<int>& last_month) {
    const size_t n = incs_.size();
    for (size_t s = 0; s < m_.tiers.size(); ++s)
      if (m_.tiers[s].growth_drift_sd > 0 && last_month[s] > 0) drift_tiers_.push_back(s);
    // Bridges: the months inside each observed increment (a, b], from 1 on.
    for (const Increment& inc : incs_)
      for (int month = std::max(1, inc.from + 1); month < inc.to; ++month) {
        Increment br = inc;
        br.to = month;
        bridges_.push_back(br);
      }
    const size_t kd = drift_tiers_.size();
    const size_t k = kd + bridges_.size();
    if (k == 0) return;
    // Every quantity as an increment with its drift coefficients: a drifted
    // growth is a sum of drift steps over (A, L] and no shock months, a
    // bridge the increment (a, t]. Cov(D_i, V_j) and Cov(V_j, V_r).
    std::vector<Increment> v(k);
    std::vector<std::vector<std::pair<int, double>>> v_coef(k);
    for (size_t j = 0; j < kd; ++j) {
      const size_t s = drift_tiers_[j];
      v[j].tier = static_cast<int>(s);
      v[j].from = v[j].to = last_month[s];  // no shock months
      for (int month = m_.tiers[s].anchor_month + 1; month <= last_month[s]; ++month)
        v_coef[j].emplace_back(month, m_.tiers[s].growth_drift_sd);
    }
    for (size_t b = 0; b < bridges_.size(); ++b) {
      v[kd + b] = bridges_[b];
      v_coef[kd + b] = DriftCoefficients(bridges_[b]);
    }
    std::vector<double> c(n * k, 0.0), sgg(k * k, 0.0);
    for (size_t i = 0; i < n; ++i) {
      const auto coef_i = DriftCoefficients(incs_[i]);
      for (size_t j = 0; j < k; ++j) c[i * k + j] = Covariance(incs_[i], coef_i, v[j], v_coef[j]);
    }
    for (size_t j = 0; j < k; ++j)
      for (size_t r = 0; r <= j; ++r)
        sgg[j * k + r] = sgg[r * k + j] = Covariance(v[r], v_coef[r], v[j], v_coef[j]);
    // W = L^-1 C, column by column through the sparse rows.
    cond_w_.assign(n * k, 0.0);
    for (size_t j = 0; j < k; ++j)
      for (size_t i = 0; i < n; ++i) {
        double r = c[i * k + j];
        for (size_t p = row_begin_[i]; p < row_begin_[i + 1]; ++p) r -= val_[p] * cond_w_[col_[p] * k + j];
        cond_w_[i * k + j] = r / diag_[i];
      }
    for (size_t a = 0; a < k; ++a)
      for (size_t b = 0; b < k; ++b)
        for (size_t i = 0; i < n; ++i) sgg[a * k + b] -= cond_w_[i * k + a] * cond_w_[i * k + b];
    cond_chol_ = LowerCholesky(sgg, k, 1e-14);
  }
  // Covariance of the true (noise-free) organic increments x over (x.from,
  // x.to] and y over (y.from, y.to] given the latents: their common shock
  // months and common drift steps (coefficients from DriftCoefficients).
  double Covariance(const Increment& x, const std::vector<std::pair<int, double>>& cx, const Increment& y,
                    const std::vector<std::pair<int, double>>& cy) const {
    const TierModel &tx = m_.tiers[static_cast<size_t>(x.tier)], &ty = m_.tiers[static_cast<size_t>(y.tier)];
    const int overlap = std::max(0, std::min(x.to, y.to) - std::max(x.from, y.from));
    return (overlap * tx.volatility * ty.volatility + CommonSteps(cx, cy)) * Correlation(x.tier, y.tier);
  }
  const std::vector<size_t>& drift_tiers() const { return drift_tiers_; }
  size_t num_bridges() const { return bridges_.size(); }
  int bridge_tier(size_t b) const { return bridges_[b].tier; }
  int bridge_month(size_t b) const { return bridges_[b].to; }
  size_t num_conditionals() const { return drift_tiers_.size() + bridges_.size(); }
  // Draws the quantities (drifted growths of drift_tiers() in order, then
  // the bridges' deviations) into `out` given the whitened residuals z of
  // the particle and standard normals xi (num_conditionals() of each).
  void DrawConditionals(const std::vector<double>& z, const double* xi, double* out) const {
    const size_t k = num_conditionals(), n = incs_.size();
    for (size_t j = 0; j < k; ++j) {
      double v = 0;
      for (size_t i = 0; i < n; ++i) v += cond_w_[i * k + j] * z[i];
      for (size_t c = 0; c <= j; ++c) v += cond_chol_[j * k + c] * xi[c];
      out[j] = v;
    }
  }
  // The log multiple of bridge b's month for latents `theta` (growth from
  // ParamsFromLatents, before any drift) and the drawn `deviation`: the
  // organic level at the actual before it, carried along the deterministic
  // path at the particle's growth (damped by the ceiling, as in LogLik),
  // plus the deviation, plus the month's launches and price effect.
  double BridgeLogMultiple(size_t b, const double* theta, const double* growth, double deviation) const {
    const Increment& br = bridges_[b];
    const size_t s = static_cast<size_t>(br.tier);
    const TierModel& t = m_.tiers[s];
    double x = br.y_from - Jump(s, br.from, theta) - t.elasticity * Price(t, br.from);
    for (int step = br.from; step < br.to; ++step) {
      double drift = growth[s];
      if (t.has_ceiling()) drift *= 1.0 - std::exp(x) * (1.0 / t.ceiling_multiple);
      x += drift;
    }
    return x + deviation + Jump(s, br.to, theta) + t.elasticity * Price(t, br.to);
  }

  // Log-likelihood of the increments for latents `theta`, up to a constant.
  double LogLik(const double* theta, std::vector<double>& growth, std::vector<double>& launch_log,
                std::vector<double>& z) const {
    ParamsFromLatents(m_, theta, growth.data(), launch_log.data());
    const size_t n = incs_.size();
    z.resize(n);
    double sum = 0;
    for (size_t i = 0; i < n; ++i) {
      const Increment& inc = incs_[i];
      const size_t s = static_cast<size_t>(inc.tier);
      const TierModel& t = m_.tiers[s];
      const double org_from = inc.y_from - Jump(s, inc.from, theta) - t.elasticity * Price(t, inc.from);
      const double org_to = inc.y_to - Jump(s, inc.to, theta) - t.elasticity * Price(t, inc.to);
      // The mean over the increment's months (several across a gap): the
      // deterministic path at the particle's growth, damped month by month
      // by the ceiling; the shocks and drift steps inside are integrated out
      // (undamped) through the covariance.
      double x = org_from;
      for (int step = inc.from; step < inc.to; ++step) {
        double drift = growth[s];
        if (t.has_ceiling()) drift *= 1.0 - std::exp(x) * (1.0 / t.ceiling_multiple);
        x += drift;
      }
      double r = org_to - x;
      for (size_t p = row_begin_[i]; p < row_begin_[i + 1]; ++p) r -= val_[p] * z[col_[p]];
      z[i] = r / diag_[i];
      sum += z[i] * z[i];
    }
    // An overflowing path (a ceiling with an extreme growth) is impossible
    // rather than NaN, which would poison the weights.
    return sum < std::numeric_limits<double>::infinity() ? -0.5 * sum
                                                         : -std::numeric_limits<double>::infinity();
  }

  // Sum of tier s's launch log multipliers in effect at month t.
  double Jump(size_t s, int t, const double* theta) const {
    double j = 0;
    const TierModel& tier = m_.tiers[s];
    for (size_t k = 0; k < tier.launches.size(); ++k)
      if (tier.launches[k].month <= t)
        j += tier.launches[k].log_multiplier_median +
             tier.launches[k].log_multiplier_sd * theta[launch_latent_[s][k]];
    return j;
  }
  static double Price(const TierModel& t, int month) {
    if (month <= t.anchor_month) return 0.0;
    const int last = static_cast<int>(t.log_price_factor.size()) - 1;
    return t.log_price_factor[static_cast<size_t>(std::clamp(month, 0, last))];
  }

 private:
  const DemandModel& m_;
  std::vector<Increment> incs_;
  std::vector<std::vector<size_t>> launch_latent_;
  std::vector<size_t> row_begin_, col_;
  std::vector<double> val_, diag_;
  std::vector<size_t> drift_tiers_;  // tiers with actuals whose growth drifts
  std::vector<Increment> bridges_;   // months without actuals: (previous actual or A, month]
  std::vector<double> cond_w_;       // n x k, row-major
  std::vector<double> cond_chol_;    // k x k, lower
};

double EffectiveSampleSize(const std::vector<double>& loglik, double delta) {
  double mx = -std::numeric_limits<double>::infinity();
  for (double l : loglik) mx = std::max(mx, l);
  if (mx == -std::numeric_limits<double>::infinity()) return 0.0;
  double s = 0, s2 = 0;
  for (double l : loglik) {
    const double w = std::exp(delta * (l - mx));
    s += w;
    s2 += w * w;
  }
  return s2 > 0 ? s * s / s2 : 0.0;
}

// Lower Cholesky factor of the particles' covariance (with a small ridge).
std::vector<double> ParticleCholesky(const std::vector<double>& theta, int n, int dims) {
  std::vector<double> mean(static_cast<size_t>(dims), 0.0), cov(static_cast<size_t>(dims) * dims, 0.0);
  for (int i = 0; i < n; ++i)
    for (int d = 0; d < dims; ++d)
      mean[static_cast<size_t>(d)] += theta[static_cast<size_t>(i) * dims + d] / n;
  for (int i = 0; i < n; ++i) {
    const double* t = theta.data() + static_cast<size_t>(i) * dims;
    for (int a = 0; a < dims; ++a)
      for (int b = 0; b <= a; ++b)
        cov[static_cast<size_t>(a) * dims + b] +=
            (t[a] - mean[static_cast<size_t>(a)]) * (t[b] - mean[static_cast<size_t>(b)]) / n;
  }
  return LowerCholesky(cov, static_cast<size_t>(dims), 1e-8);
}

// A Gaussian approximation N(mean, (L L')^-1) of the posterior of the
// latents: its mode by Gauss-Newton on prior x likelihood (the likelihood is
// Gaussian in the observed increments, which are linear in the latents but
// for a ceiling), its precision I + J'J at the mode (J the Jacobian of the
// whitened residuals, by forward differences).
struct GaussianApprox {
  std::vector<double> mean;
  std::vector<double> chol_precision;  // L, lower
};

GaussianApprox Laplace(const Likelihood& lik, const DemandModel& model, int dims, size_t num_launches) {
  const size_t n = lik.size();
  const size_t d = static_cast<size_t>(dims);
  std::vector<double> g(model.tiers.size()), jl(num_launches), z, z2;
  auto objective = [&](const std::vector<double>& t, std::vector<double>& zz) {
    double f = -lik.LogLik(t.data(), g, jl, zz);
    for (double v : t) f += 0.5 * v * v;
    return f;
  };
  GaussianApprox q;
  std::vector<double> theta(d, 0.0), jac(n * d), h(d * d), grad(d), step(d), trial(d);
  double f = objective(theta, z);
  auto linearise = [&] {
    for (size_t j = 0; j < d; ++j) {
      std::vector<double> t = theta;
      const double dx = 1e-6 * std::max(1.0, std::fabs(t[j]));
      t[j] += dx;
      lik.LogLik(t.data(), g, jl, z2);
      for (size_t i = 0; i < n; ++i) jac[i * d + j] = (z2[i] - z[i]) / dx;
    }
    for (size_t a = 0; a < d; ++a) {
      grad[a] = theta[a];
      for (size_t i = 0; i < n; ++i) grad[a] += jac[i * d + a] * z[i];
      for (size_t b = 0; b <= a; ++b) {
        double s = a == b ? 1.0 : 0.0;
        for (size_t i = 0; i < n; ++i) s += jac[i * d + a] * jac[i * d + b];
        h[a * d + b] = h[b * d + a] = s;
      }
    }
    return LowerCholesky(h, d, 0.0);
  };
  for (int it = 0; it < 100 && std::isfinite(f); ++it) {
    const std::vector<double> l = linearise();
    // step = -H^-1 grad, through L y = -grad, L' step = y.
    const Eigen::Map<const RowMatrix> lm(l.data(), dims, dims);
    Eigen::Map<Eigen::VectorXd> st(step.data(), dims);
    st = -Eigen::Map<const Eigen::VectorXd>(grad.data(), dims);
    lm.triangularView<Eigen::Lower>().solveInPlace(st);
    lm.transpose().triangularView<Eigen::Upper>().solveInPlace(st);
    bool moved = false;
    double size = 0;
    for (double alpha = 1; alpha > 1e-6 && !moved; alpha *= 0.5) {
      for (size_t a = 0; a < d; ++a) trial[a] = theta[a] + alpha * step[a];
      const double ft = objective(trial, z2);
      if (ft < f) {
        size = 0;
        for (size_t a = 0; a < d; ++a) size = std::max(size, std::fabs(alpha * step[a]));
        theta = trial;
        f = ft;
        z = z2;
        moved = true;
      }
    }
    if (!moved || size < 1e-9) break;
  }
  if (std::isfinite(f)) {
    q.chol_precision = linearise();
  } else {
    q.chol_precision.assign(d * d, 0.0);
    for (size_t a = 0; a < d; ++a) q.chol_precision[a * d + a] = 1.0;
  }
  q.mean = theta;
  return q;
}

}  // namespace

StatusOr<Actuals> ParseActualsCsv(const std::string& text, const std::string& name,
                                  const DemandModel& model) {
  auto parsed = ParseCsv(text, name);
  if (!parsed.ok()) return parsed.status();
  const CsvTable& table = *parsed;
  const auto c_month = table.Column("month"), c_model = table.Column("model"),
             c_tokens = table.Column("output_tokens");
  std::vector<Diagnostic> diags =
      table.MissingColumns({"month", "model", "output_tokens"}, "month,model,output_tokens");
  if (!diags.empty()) return Status::FromDiagnostics(std::move(diags));

  Actuals out;
  out.file = name;
  for (size_t r = 0; r < table.rows.size(); ++r) {
    const auto& row = table.rows[r];
    const std::string& month_text = row[*c_month];
    const std::string& tier_text = row[*c_model];
    const std::string& tokens_text = row[*c_tokens];
    Actual a;
    a.line = table.row_lines[r];
    bool ok = true;
    // Month: YYYY-MM (or a date inside the month).
    StatusOr<UtcSeconds> when = month_text.size() == 7 ? ParseUtc(month_text + "-01") : ParseUtc(month_text);
    if (!when.ok() || (month_text.size() != 7 && month_text.size() != 10)) {
      diags.push_back(table.At(r, *c_month, "month", "expected a month YYYY-MM, got " + Quoted(month_text)));
      ok = false;
    } else {
      a.month = MonthsBetween(model.start_month, *when);
      if (a.month < 1) {
        diags.push_back(table.At(r, *c_month, "month",
                                 month_text.substr(0, 7) + " is not after the forecast's start month " +
                                     FormatMonth(model.start_month) + ": actuals begin with " +
                                     FormatMonth(model.MonthStart(1))));
        ok = false;
      } else if (a.month > model.horizon_months) {
        diags.push_back(table.At(r, *c_month, "month",
                                 month_text.substr(0, 7) + " is after the last forecast month " +
                                     FormatMonth(model.MonthStart(model.horizon_months))));
        ok = false;
      }
    }
    a.tier = model.FindTier(tier_text);
    if (a.tier < 0) {
      diags.push_back(
          table.At(r, *c_model, "model",
                   "unknown tier " + Quoted(tier_text) + ": serving tiers are " + ServingTierList(model)));
      ok = false;
    } else if (model.tiers[static_cast<size_t>(a.tier)].kind != TierKind::kServing) {
      diags.push_back(table.At(r, *c_model, "model",
                               Quoted(tier_text) +
                                   " is a class tier: actuals are output tokens of serving tiers (" +
                                   ServingTierList(model) + ")"));
      ok = false;
    } else if (ok && a.month <= model.tiers[static_cast<size_t>(a.tier)].anchor_month) {
      diags.push_back(table.At(r, *c_month, "month",
                               month_text.substr(0, 7) + " is not after the as_of of " + Quoted(tier_text) +
                                   " (" + FormatDate(model.tiers[static_cast<size_t>(a.tier)].as_of) + ")"));
      ok = false;
    }
    // A month's total is a count: a whole number from 1 to kMaxMonthlyTokens,
    // written in decimal (4.71e12 is fine; 4.5 and 0x10 are not).
    const std::optional<double> tokens = ParseDouble(tokens_text);
    if (!tokens) {
      diags.push_back(
          table.At(r, *c_tokens, "output_tokens",
                   "expected a decimal number of output tokens such as 4.71e12, got " + Quoted(tokens_text)));
      ok = false;
    } else if (!(*tokens >= 1 && *tokens <= kMaxMonthlyTokens) || std::floor(*tokens) != *tokens) {
      diags.push_back(table.At(r, *c_tokens, "output_tokens",
                               "expected a whole number of output tokens from 1 to " +
                                   Fmt("%g", kMaxMonthlyTokens) + " (a month's total), got " +
                                   Quoted(tokens_text)));
      ok = false;
    } else {
      a.output_tokens = *tokens;
    }
    if (ok) out.rows.push_back(a);
  }
  if (!diags.empty()) return Status::FromDiagnostics(std::move(diags));
  if (out.rows.empty()) {
    Diagnostic d;
    d.file = name;
    d.message = "no actuals: the file has a header but no rows";
    return Status::FromDiagnostics({d});
  }
  std::stable_sort(out.rows.begin(), out.rows.end(), [](const Actual& x, const Actual& y) {
    return x.tier != y.tier ? x.tier < y.tier : x.month < y.month;
  });
  // Duplicates, per tier. Gaps are fine: a tier's months may come in any
  // spacing (quarterly reports, a lost month); the update bridges them.
  for (size_t i = 1; i < out.rows.size(); ++i) {
    const Actual& a = out.rows[i];
    const Actual& before = out.rows[i - 1];
    if (before.tier != a.tier || before.month != a.month) continue;
    const TierModel& t = model.tiers[static_cast<size_t>(a.tier)];
    Diagnostic d;
    d.file = name;
    d.line = a.line;
    d.column = static_cast<int>(*c_month) + 1;
    d.field = "month";
    d.message = "a second row for " + Quoted(t.id) + " in " + FormatMonth(model.MonthStart(a.month)) +
                " (the first is on line " + std::to_string(before.line) + ")";
    diags.push_back(d);
  }
  if (!diags.empty()) return Status::FromDiagnostics(std::move(diags));
  return out;
}

StatusOr<Actuals> ReadActualsCsv(const std::string& path, const DemandModel& model) {
  auto text = ReadTextFile(path);
  if (!text.ok()) {
    if (text.status().code() == StatusCode::kNotFound)
      return Status::NotFound(path + ": cannot open the actuals file");
    return text.status();
  }
  return ParseActualsCsv(*text, path, model);
}

StatusOr<Posterior> UpdateFromActuals(const DemandModel& model, const ScenarioSet& prior,
                                      const Actuals& actuals, const UpdateOptions& options) {
  using namespace forecast_internal;
  if (actuals.rows.empty()) return Status::Invalid("no actuals to update from");
  if (!(options.observation_log_sd > 0)) return Status::Invalid("observation_log_sd must be > 0");
  const int n = prior.scenarios;
  const int dims = model.num_latents();
  const int threads = ResolveThreads(options.threads);
  // The ceiling moves with observed demand (see TierWidening): per tier, the
  // last actual's lead over the prior's median log multiple for its month.
  DemandModel moved = model;
  std::vector<double> ceiling_shift(model.tiers.size(), 1.0);
  for (const Actual& a : actuals.rows) {  // sorted by tier then month: the last one wins
    const size_t s = static_cast<size_t>(a.tier);
    if (!model.tiers[s].has_ceiling()) continue;
    const double y = std::log(a.output_tokens / MonthlyOutputTokens(model, a.tier, a.month, 0.0));
    const double* col = prior.Column(a.tier, a.month);
    std::vector<double> tmp(col, col + n);
    const auto mid = tmp.begin() + n / 2;
    std::nth_element(tmp.begin(), mid, tmp.end());
    ceiling_shift[s] = std::exp(std::max(0.0, y - *mid));
  }
  for (size_t s = 0; s < model.tiers.size(); ++s) moved.tiers[s].ceiling_multiple *= ceiling_shift[s];
  Likelihood lik(moved, actuals, options.observation_log_sd);
  const size_t num_launches = [&] {
    size_t k = 0;
    for (const auto& t : model.tiers) k += t.launches.size();
    return k;
  }();

  Posterior post;
  post.last_observed_month.assign(model.tiers.size(), 0);
  for (const Actual& a : actuals.rows)
    post.last_observed_month[static_cast<size_t>(a.tier)] =
        std::max(post.last_observed_month[static_cast<size_t>(a.tier)], a.month);
  lik.PrepareConditionalDraws(post.last_observed_month);
  post.bridged_months.resize(model.tiers.size());
  for (size_t k = 0; k < lik.num_bridges(); ++k)
    post.bridged_months[static_cast<size_t>(lik.bridge_tier(k))].push_back(lik.bridge_month(k));
  const std::vector<size_t>& drift_tiers = lik.drift_tiers();
  // Each particle's growth for the month after its tier's last actual (the
  // latent growth plus the drift drawn given the actuals), per drift tier.
  std::vector<double> current_growth(drift_tiers.size() * static_cast<size_t>(n));

  // Where the prior cone missed.
  for (const Actual& a : actuals.rows) {
    static constexpr double kTails[] = {0.01, 0.99};
    const std::vector<double> q = TokenQuantiles(model, prior, a.tier, a.month, kTails);
    if (a.output_tokens < q[0] || a.output_tokens > q[1])
      post.misses.push_back({a.tier, a.month, a.output_tokens, q[0], q[1], a.line});
  }

  // Particles start as the prior scenarios' latents, and move through
  // tempered stages from the prior to the posterior. Each stage moves them
  // about one cloud width, so an actual far outside the cone (the posterior
  // dozens or hundreds of prior standard deviations away) would need more
  // stages than any budget: "did not converge" where the report should say
  // the cone missed. Then the stages start instead from a Gaussian
  // approximation q of the posterior (Laplace, widened), with the particles
  // at q's transform of the same latents, tempering q^(1-phi) x
  // (prior x likelihood)^phi. With q the prior this is the same algorithm;
  // the arithmetic of the usual case is left as it was.
  std::vector<double> theta = prior.latents;
  std::vector<double> ll(static_cast<size_t>(n));
  auto eval_all = [&] {
    ParallelFor(n, threads, 64, [&](std::int64_t b, std::int64_t e) {
      std::vector<double> g(model.tiers.size()), jl(num_launches), z;
      for (std::int64_t i = b; i < e; ++i)
        ll[static_cast<size_t>(i)] = lik.LogLik(theta.data() + i * dims, g, jl, z);
    });
  };
  eval_all();
  post.effective_sample_size = EffectiveSampleSize(ll, 1.0);

  const GaussianApprox q = Laplace(lik, moved, dims, num_launches);
  double mode_distance2 = 0;
  for (double m : q.mean) mode_distance2 += m * m;
  constexpr double kFarPriorSds = 8;  // the cone's P1..P99 is about 2.3 prior sds
  const bool from_q = mode_distance2 > kFarPriorSds * kFarPriorSds;
  constexpr double kWiden = 2;  // q's standard deviations, times the Laplace ones
  const size_t d = static_cast<size_t>(dims);
  // log q(t) up to a constant.
  const Eigen::Map<const RowMatrix> q_l(q.chol_precision.data(), dims, dims);
  const Eigen::Map<const Eigen::VectorXd> q_mean(q.mean.data(), dims);
  auto log_q = [&](const double* t) {
    const Eigen::VectorXd v =  // L' (t - mean)
        q_l.transpose().triangularView<Eigen::Upper>() *
        (Eigen::Map<const Eigen::VectorXd>(t, dims) - q_mean);
    return -0.5 * v.squaredNorm() / (kWiden * kWiden);
  };
  auto log_prior = [&](const double* t) {
    double s = 0;
    for (size_t a = 0; a < d; ++a) s -= 0.5 * t[a] * t[a];
    return s;
  };
  if (from_q) {
    // t = mean + kWiden L'^-1 xi, xi the prior latents.
    for (int i = 0; i < n; ++i) {
      Eigen::Map<Eigen::VectorXd> t(theta.data() + static_cast<size_t>(i) * d, dims);
      q_l.transpose().triangularView<Eigen::Upper>().solveInPlace(t);
      t = q_mean + kWiden * t;
    }
    eval_all();
    for (int i = 0; i < n; ++i) {
      const double* t = theta.data() + static_cast<size_t>(i) * d;
      ll[static_cast<size_t>(i)] += log_prior(t) - log_q(t);
    }
  }

  double phi = 0;
  double scale = 2.38 / std::sqrt(static_cast<double>(dims));
  std::int64_t accepted_total = 0, proposed_total = 0;
  std::vector<double> next(theta.size()), next_ll(ll.size());
  for (int stage = 0; phi < 1.0; ++stage) {
    if (stage >= options.max_stages)
      return Status::Internal("the update from actuals did not converge in " +
                              std::to_string(options.max_stages) + " stages");
    // Step in temperature that keeps the ESS at the target share.
    const double target = options.ess_fraction * n;
    double delta = 1.0 - phi;
    if (EffectiveSampleSize(ll, delta) < target) {
      double lo = 0, hi = delta;
      for (int it = 0; it < 60; ++it) {
        const double mid = 0.5 * (lo + hi);
        (EffectiveSampleSize(ll, mid) >= target ? lo : hi) = mid;
      }
      delta = std::max(lo, 1e-12);
    }
    phi = std::min(1.0, phi + delta);
    if (1.0 - phi < 1e-12) phi = 1.0;

    // Systematic resampling on weights exp(delta * ll).
    double mx = -std::numeric_limits<double>::infinity();
    for (double l : ll) mx = std::max(mx, l);
    std::vector<double> cum(static_cast<size_t>(n));
    double total = 0;
    for (int i = 0; i < n; ++i)
      cum[static_cast<size_t>(i)] = total += std::exp(delta * (ll[static_cast<size_t>(i)] - mx));
    Rng pick(prior.seed, StreamPurpose::kResample, static_cast<std::uint64_t>(stage));
    const double u0 = pick.Uniform();
    size_t src = 0;
    for (int j = 0; j < n; ++j) {
      const double u = (u0 + j) / n * total;
      while (src + 1 < static_cast<size_t>(n) && cum[src] <= u) ++src;
      std::copy_n(theta.data() + src * dims, dims, next.data() + static_cast<size_t>(j) * dims);
      next_ll[static_cast<size_t>(j)] = ll[src];
    }
    theta.swap(next);
    ll.swap(next_ll);

    // Rejuvenate: random-walk Metropolis on prior x likelihood^phi.
    const std::vector<double> chol = ParticleCholesky(theta, n, dims);
    std::vector<int> accepted(static_cast<size_t>(n), 0);
    ParallelFor(n, threads, 64, [&](std::int64_t b, std::int64_t e) {
      std::vector<double> g(model.tiers.size()), jl(num_launches), z, xi(static_cast<size_t>(dims)),
          prop(static_cast<size_t>(dims));
      for (std::int64_t i = b; i < e; ++i) {
        Rng rng(prior.seed, StreamPurpose::kRejuvenate, static_cast<std::uint64_t>(stage) * n + i);
        double* t = theta.data() + i * dims;
        double cur_ll = ll[static_cast<size_t>(i)];
        double cur_prior = 0;
        for (int a = 0; a < dims; ++a) cur_prior -= 0.5 * t[a] * t[a];
        if (from_q) cur_prior = log_q(t);
        for (int move = 0; move < options.moves_per_stage; ++move) {
          for (auto& v : xi) v = rng.Normal();
          double prop_prior = 0;
          for (int a = 0; a < dims; ++a) {
            double step = 0;
            for (int c = 0; c <= a; ++c)
              step += chol[static_cast<size_t>(a) * dims + c] * xi[static_cast<size_t>(c)];
            prop[static_cast<size_t>(a)] = t[a] + scale * step;
            prop_prior -= 0.5 * prop[static_cast<size_t>(a)] * prop[static_cast<size_t>(a)];
          }
          double prop_ll = lik.LogLik(prop.data(), g, jl, z);
          if (from_q) {
            const double base = log_q(prop.data());
            prop_ll += prop_prior - base;
            prop_prior = base;
          }
          const double log_ratio = (prop_prior + phi * prop_ll) - (cur_prior + phi * cur_ll);
          if (std::log(rng.UniformOpen()) < log_ratio) {
            std::copy(prop.begin(), prop.end(), t);
            cur_ll = prop_ll;
            cur_prior = prop_prior;
            ++accepted[static_cast<size_t>(i)];
          }
        }
        ll[static_cast<size_t>(i)] = cur_ll;
      }
    });
    std::int64_t acc = 0;
    for (int a : accepted) acc += a;
    accepted_total += acc;
    proposed_total += static_cast<std::int64_t>(n) * options.moves_per_stage;
    const double rate = static_cast<double>(acc) / (static_cast<double>(n) * options.moves_per_stage);
    if (rate < 0.15) scale *= 0.6;
    if (rate > 0.45) scale = std::min(scale * 1.3, 3.0);
    post.stages = stage + 1;
  }
  post.acceptance_rate = proposed_total > 0 ? static_cast<double>(accepted_total) / proposed_total : 0;

  // Posterior paths: observed months hold the actuals; the rest is drawn
  // again from each particle's parameters and the last observed level.
  ScenarioSet& out = post.scenarios;
  out.scenarios = n;
  out.horizon_months = prior.horizon_months;
  out.num_tiers = prior.num_tiers;
  out.seed = prior.seed;
  out.latents = theta;
  out.log_multiple.assign(prior.log_multiple.size(), 0.0);
  std::map<std::pair<int, int>, double> observed;  // (tier, month) -> log multiple
  for (const Actual& a : actuals.rows)
    observed[{a.tier, a.month}] =
        std::log(a.output_tokens / MonthlyOutputTokens(model, a.tier, a.month, 0.0));
  for (const auto& [key, y] : observed) {
    double* col = out.MutableColumn(key.first, key.second);
    std::fill(col, col + n, y);
  }
  const StepCoefficients coef(moved);
  const size_t stride_tier = static_cast<size_t>(n) * out.horizon_months;
  ParallelFor(n, threads, 64, [&](std::int64_t b, std::int64_t e) {
    PathScratch scratch;
    std::vector<double> g(model.tiers.size()), jl(num_launches), z, xi(lik.num_conditionals()),
        drawn(lik.num_conditionals());
    std::vector<TierStart> starts(model.tiers.size());
    for (std::int64_t i = b; i < e; ++i) {
      const double* t = theta.data() + i * dims;
      Rng rng(prior.seed, StreamPurpose::kPosteriorPath, static_cast<std::uint64_t>(i));
      if (lik.num_conditionals() > 0) {
        // The growth that has drifted by the last actual and the months
        // without actuals before it: drawn given this particle's residuals
        // (its first normals), then the months after as before.
        lik.LogLik(t, g, jl, z);
        for (auto& v : xi) v = rng.Normal();
        lik.DrawConditionals(z, xi.data(), drawn.data());
      }
      ParamsFromLatents(model, t, g.data(), jl.data());
      double* out_i = out.log_multiple.data() + i;
      for (size_t k = 0; k < lik.num_bridges(); ++k) {
        const size_t s = static_cast<size_t>(lik.bridge_tier(k));
        const int month = lik.bridge_month(k);
        out_i[s * stride_tier + static_cast<size_t>(month - 1) * n] =
            lik.BridgeLogMultiple(k, t, g.data(), drawn[drift_tiers.size() + k]);
      }
      for (size_t j = 0; j < drift_tiers.size(); ++j) {
        g[drift_tiers[j]] += drawn[j];
        current_growth[j * static_cast<size_t>(n) + static_cast<size_t>(i)] = g[drift_tiers[j]];
      }
      for (size_t s = 0; s < model.tiers.size(); ++s) {
        const int last = post.last_observed_month[s];
        if (last > 0) {
          const double y = observed.at({static_cast<int>(s), last});
          starts[s] = {last, y - lik.Jump(s, last, t) -
                                 model.tiers[s].elasticity * Likelihood::Price(model.tiers[s], last)};
        } else {
          starts[s] = {model.tiers[s].anchor_month, 0.0};
        }
      }
      SimulatePath(
          moved, coef, g.data(), jl.data(), starts.data(), scratch, [&rng] { return rng.Normal(); },
          [&](size_t s, int month, double v) {
            out_i[s * stride_tier + static_cast<size_t>(month - 1) * n] = v;
          });
    }
  });

  // Widening by the measured miss rate: the prior's P10-P90 against the
  // actuals, per tier; the future months' spread around their median scaled.
  for (size_t s = 0; s < model.tiers.size(); ++s) {
    if (post.last_observed_month[s] == 0) continue;
    TierWidening wd;
    wd.tier = model.tiers[s].id;
    if (model.tiers[s].has_ceiling()) {
      wd.ceiling_multiple_prior = model.tiers[s].ceiling_multiple;
      wd.ceiling_multiple = moved.tiers[s].ceiling_multiple;
    }
    for (const Actual& a : actuals.rows) {
      if (a.tier != static_cast<int>(s)) continue;
      static constexpr double kBand[] = {0.10, 0.90};
      const std::vector<double> q = TokenQuantiles(model, prior, a.tier, a.month, kBand);
      ++wd.observed;
      if (a.output_tokens < q[0] || a.output_tokens > q[1]) ++wd.outside_p10_p90;
      if (a.output_tokens > q[1]) ++wd.above_p90;
    }
    wd.miss_rate = (wd.outside_p10_p90 + 2.0) / (wd.observed + 10.0);
    if (options.widen_on_miss && wd.miss_rate > 0.2) {
      // z(0.9) / z(1 - r/2) by bisection on the normal CDF.
      const double target = 1.0 - wd.miss_rate / 2.0;
      double lo = 0.0, hi = 10.0;
      for (int it = 0; it < 100; ++it) {
        const double mid = 0.5 * (lo + hi);
        (0.5 * std::erfc(-mid / std::sqrt(2.0)) < target ? lo : hi) = mid;
      }
      wd.factor = std::min(4.0, 1.2815515655446004 / std::max(hi, 1e-9));
    }
    if (wd.factor > 1.0) {
      std::vector<double> tmp(static_cast<size_t>(n));
      for (int t = post.last_observed_month[s] + 1; t <= out.horizon_months; ++t) {
        double* col = out.MutableColumn(static_cast<int>(s), t);
        std::copy(col, col + n, tmp.begin());
        const auto mid = tmp.begin() + n / 2;
        std::nth_element(tmp.begin(), mid, tmp.end());
        const double median = *mid;
        for (int i = 0; i < n; ++i) col[i] = median + wd.factor * (col[i] - median);
      }
    }
    post.widening.push_back(wd);
  }

  // Growth: prior against posterior.
  for (size_t s = 0; s < model.tiers.size(); ++s) {
    GrowthPosterior gp;
    gp.tier = model.tiers[s].id;
    gp.prior_mean = model.tiers[s].growth_mean;
    gp.prior_sd = model.tiers[s].growth_sd;
    double m1 = 0, m2 = 0;
    const auto drifted = std::find(drift_tiers.begin(), drift_tiers.end(), s);
    const double* current = drifted == drift_tiers.end()
                                ? nullptr
                                : current_growth.data() + static_cast<size_t>(drifted - drift_tiers.begin()) *
                                                              static_cast<size_t>(n);
    for (int i = 0; i < n; ++i) {
      // With drift: the growth for the month after the last actual.
      const double g = current ? current[i] : ScenarioGrowth(model, out, static_cast<int>(s), i);
      m1 += g;
      m2 += g * g;
    }
    gp.posterior_mean = m1 / n;
    gp.posterior_sd = std::sqrt(std::max(0.0, m2 / n - gp.posterior_mean * gp.posterior_mean));
    post.growth.push_back(gp);
  }
  return post;
}

}  // namespace fungible
