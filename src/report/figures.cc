#include "report/figures.h"

#include <algorithm>
#include <cmath>
#include <map>
#include <set>
#include <stdexcept>

namespace fungible::report {
namespace {

// A field a view needs is absent or of the wrong type: named by its path.
struct MissingField : std::runtime_error {
  using std::runtime_error::runtime_error;
};

const Json& At(const Json& j, const std::string& key, const std::string& path) {
  if (!j.is_object() || !j.contains(key)) throw MissingField(path + (path.empty() ? "" : ".") + key);
  return j[key];
}

const Json& Arr(const Json& j, const std::string& key, const std::string& path) {
  const Json& a = At(j, key, path);
  if (!a.is_array()) throw MissingField(path + (path.empty() ? "" : ".") + key + " (an array)");
  return a;
}

double Num(const Json& j, const std::string& key, const std::string& path) {
  const Json& v = At(j, key, path);
  if (v.is_null()) return std::nan("");
  if (!v.is_number()) throw MissingField(path + (path.empty() ? "" : ".") + key + " (a number)");
  return v.get<double>();
}

std::string Str(const Json& j, const std::string& key, const std::string& path) {
  const Json& v = At(j, key, path);
  if (!v.is_string()) throw MissingField(path + (path.empty() ? "" : ".") + key + " (a string)");
  return v.get<std::string>();
}

std::string Index(const std::string& path, const std::string& key, size_t i) {
  return path + (path.empty() ? "" : ".") + key + "[" + std::to_string(i) + "]";
}

template <typename F>
StatusOr<Json> Guard(const char* input, F&& build) {
  try {
    return build();
  } catch (const MissingField& e) {
    return Status::Invalid(std::string(input) + ": field " + e.what() + " is missing or not of its type");
  } catch (const nlohmann::json::exception& e) {
    return Status::Invalid(std::string(input) + ": " + e.what());
  }
}

// Column `q` (index into the cone's quantiles) of rows of quantiles.
Json Column(const Json& rows, size_t q, const std::string& path) {
  Json out = Json::array();
  for (size_t i = 0; i < rows.size(); ++i) {
    if (!rows[i].is_array() || rows[i].size() <= q) throw MissingField(path + "[" + std::to_string(i) + "]");
    out.push_back(rows[i][q]);
  }
  return out;
}

// The quantile rows as named bands: p5, p10, p25, p50, p75, p90, p95.
Json Bands(const Json& rows, const std::string& path) {
  static const char* kNames[] = {"p5", "p10", "p25", "p50", "p75", "p90", "p95"};
  Json b;
  for (size_t q = 0; q < 7; ++q) b[kNames[q]] = Column(rows, q, path);
  return b;
}

double Landed(const std::vector<RampStep>& ramp, UtcSeconds t) {
  if (ramp.empty()) return 1.0;
  double f = 0;
  for (const auto& s : ramp)
    if (s.at <= t) f = s.fraction;
  return f;
}

}  // namespace

StatusOr<Json> ConeFigures(const Json& forecast) {
  return Guard("forecast", [&]() {
    Json out;
    out["start_month"] = Str(forecast, "start_month", "");
    out["months"] = Arr(forecast, "months", "");
    out["seed"] = At(forecast, "seed", "");
    out["scenarios"] = At(forecast, "scenarios", "");
    const Json* post = nullptr;
    Json last_observed = Json::object();
    Json bridged = Json::object();  // per tier: months without an actual before its last
    if (forecast.contains("update")) {
      const Json& u = forecast["update"];
      post = &Arr(At(u, "posterior", "update"), "tiers", "update.posterior");
      last_observed = At(u, "last_observed_month", "update");
      if (u.contains("bridged_months")) bridged = u["bridged_months"];
      out["actuals_file"] = At(u, "actuals", "update");
    }
    Json tiers = Json::array();
    const Json& in = Arr(forecast, "tiers", "");
    for (size_t i = 0; i < in.size(); ++i) {
      const std::string p = Index("", "tiers", i);
      const Json& t = in[i];
      Json o;
      o["id"] = Str(t, "id", p);
      o["kind"] = Str(t, "kind", p);
      const bool serving = o["kind"] == "serving";
      const std::string qty = serving ? "output_tokens" : "demand_multiple";
      o["quantity"] = qty;
      o["unit"] = serving ? "output tokens / month" : "multiple of today's demand";
      o["now"] = serving ? At(t, "output_tokens_now", p) : Json(1.0);
      o["prior"] = Bands(Arr(t, qty, p), p + "." + qty);
      if (serving) o["prior_revenue_usd"] = Bands(Arr(t, "revenue_usd", p), p + ".revenue_usd");
      if (post != nullptr) {
        if (post->size() != in.size()) throw MissingField("update.posterior.tiers (one per tier)");
        const std::string pp = Index("update.posterior", "tiers", i);
        o["posterior"] = Bands(Arr((*post)[i], qty, pp), pp + "." + qty);
        if (serving)
          o["posterior_revenue_usd"] = Bands(Arr((*post)[i], "revenue_usd", pp), pp + ".revenue_usd");
        // Observed months hold the actuals in every posterior path, so the
        // posterior's median there is the observation (not in a gap's
        // bridged months, drawn given the actuals around them).
        const std::string id = o["id"].get<std::string>();
        if (last_observed.contains(id)) {
          o["last_observed_month"] = last_observed[id];
          const Json gaps = bridged.contains(id) ? bridged[id] : Json::array();
          Json actuals = Json::array();
          const Json& months = out["months"];
          for (size_t m = 0; m < months.size(); ++m) {  // "YYYY-MM" orders as text
            const bool observed = months[m].get<std::string>() <= last_observed[id].get<std::string>() &&
                                  std::find(gaps.begin(), gaps.end(), months[m]) == gaps.end();
            actuals.push_back(observed ? o["posterior"]["p50"][m] : Json(nullptr));
          }
          o["actuals"] = actuals;
        }
      }
      tiers.push_back(std::move(o));
    }
    out["tiers"] = tiers;
    return out;
  });
}

StatusOr<Json> LayerCakeFigures(const Fleet& fleet, const Json& cone, const Json* plan) {
  return Guard("layer cake", [&]() {
    const Json& months = Arr(cone, "months", "cone");
    std::vector<UtcSeconds> starts;
    for (const auto& m : months) {
      auto t = ParseUtc(m.get<std::string>() + "-01T00:00Z");
      if (!t.ok()) throw MissingField("cone.months (YYYY-MM)");
      starts.push_back(*t);
    }
    auto chip_label = [&](const std::string& id) {
      const ChipType* c = fleet.FindChip(id);
      return c ? std::string(PlatformName(c->platform)) + " " + (c->generation.empty() ? id : c->generation) +
                     " (" + id + ")"
               : id;
    };
    Json layers = Json::array();
    // Committed: one layer per contract x chip type, chips landed (before
    // availability) at each month's start.
    std::map<std::pair<std::string, std::string>, std::vector<double>> committed;
    for (const Pool& pool : fleet.pools) {
      auto& v = committed[{pool.contract, pool.chip_type}];
      v.resize(starts.size(), 0.0);
      const Contract* c = fleet.FindContract(pool.contract);
      for (size_t m = 0; m < starts.size(); ++m) {
        if (c != nullptr && (starts[m] < c->start || starts[m] >= c->end)) continue;
        v[m] += pool.chips * Landed(pool.landing_ramp, starts[m]);
      }
    }
    for (const auto& [key, v] : committed)
      layers.push_back({{"name", key.first + " · " + chip_label(key.second)},
                        {"contract", key.first},
                        {"chip_type", key.second},
                        {"platform", chip_label(key.second)},
                        {"signed_offer", false},
                        {"chips", v}});
    if (plan != nullptr) {
      const Json& offers = Arr(*plan, "offers", "plan");
      for (size_t i = 0; i < offers.size(); ++i) {
        const std::string p = Index("plan", "offers", i);
        const std::string id = Str(offers[i], "id", p);
        const double chips = Num(offers[i], "chips", p);
        if (!(chips > 0) || At(offers[i], "on_demand", p).get<bool>()) continue;
        const Offer* o = fleet.FindOffer(id);
        if (o == nullptr) throw MissingField(p + " names offer \"" + id + "\" that the spec does not have");
        std::vector<double> v(starts.size(), 0.0);
        for (size_t m = 0; m < starts.size(); ++m)
          if (starts[m] + 86400 * 31 > o->start && starts[m] < o->End())
            v[m] = chips * Landed(o->landing_ramp, std::max(starts[m], o->start));
        layers.push_back({{"name", "signed: " + id + " · " + chip_label(o->chip_type)},
                          {"contract", id},
                          {"chip_type", o->chip_type},
                          {"platform", chip_label(o->chip_type)},
                          {"signed_offer", true},
                          {"offer_start", FormatMonth(o->start)},
                          {"signed_chips", chips},
                          {"chips", v}});
      }
    }
    // Serving demand over it: each quantile summed over the serving tiers.
    Json demand;
    for (const char* q : {"p10", "p50", "p90"}) {
      std::vector<double> sum(starts.size(), 0.0);
      for (const auto& t : Arr(cone, "tiers", "cone")) {
        if (t["kind"] != "serving") continue;
        const Json& src = t.contains("posterior") ? t["posterior"] : t["prior"];
        for (size_t m = 0; m < starts.size() && m < src[q].size(); ++m) sum[m] += src[q][m].get<double>();
      }
      demand[q] = sum;
    }
    return Json{{"months", months}, {"layers", layers}, {"demand_output_tokens", demand}};
  });
}

StatusOr<Json> PlanFigures(const Json& plan) {
  return Guard("plan", [&]() {
    Json out;
    out["objective_usd"] = Num(plan, "objective_usd", "");
    out["vss_usd"] = At(plan, "vss_usd", "");
    out["evpi_usd"] = At(plan, "evpi_usd", "");
    out["return_on_compute"] = Num(plan, "return_on_compute", "");
    out["cash_floor_usd"] = At(plan, "cash_floor_usd", "");
    out["probability_cash_breach"] = Num(plan, "probability_cash_breach", "");
    out["cash_return_on_compute"] = Num(plan, "cash_return_on_compute", "");
    // The money words (docs/economics.md): value = cash profit + imputed
    // value; each a spread over the scenarios (mean, p10, p50, p90).
    for (const char* k : {"value_usd", "revenue_usd", "compute_cost_usd", "cash_profit_usd",
                          "imputed_value_usd", "min_cash_usd"})
      out[k] = At(plan, k, "");
    // Whole-term valuation (docs/plan.md): value also carries the terminal
    // value less the payments of contract months after the planned ones.
    // Outputs written before it have no terminal_value: their rule is none.
    if (plan.contains("terminal_value")) {
      const Json& t = plan["terminal_value"];
      out["terminal_value"] = {{"rule", Str(t, "rule", "terminal_value")},
                               {"value_usd", At(t, "value_usd", "terminal_value")},
                               {"payments_usd", At(t, "payments_usd", "terminal_value")}};
    } else {
      out["terminal_value"] = {{"rule", "none"}};
    }
    out["operating_cost_usd"] = Num(plan, "operating_cost_usd", "");
    out["financing_usd"] = Num(plan, "financing_usd", "");
    // The cash path: end-of-month cash across the scenarios, per planned month.
    Json cash = Json::array();
    const Json& cbm = Arr(plan, "cash_by_month_usd", "");
    for (size_t i = 0; i < cbm.size(); ++i) {
      const std::string p = Index("", "cash_by_month_usd", i);
      cash.push_back({{"month", Str(cbm[i], "month", p)},
                      {"mean", Num(cbm[i], "mean", p)},
                      {"p10", Num(cbm[i], "p10", p)},
                      {"p50", Num(cbm[i], "p50", p)},
                      {"p90", Num(cbm[i], "p90", p)}});
    }
    out["cash_by_month_usd"] = cash;
    // The capital to raise to keep cash above the floor at a quantile, and by when.
    Json raise = Json::array();
    const Json& ctr = Arr(plan, "capital_to_raise", "");
    for (size_t i = 0; i < ctr.size(); ++i) {
      const std::string p = Index("", "capital_to_raise", i);
      raise.push_back({{"quantile", Num(ctr[i], "quantile", p)},
                       {"usd", Num(ctr[i], "usd", p)},
                       {"by_month", At(ctr[i], "by_month", p)}});
    }
    out["capital_to_raise"] = raise;
    Json offers = Json::array();
    for (const auto& o : Arr(plan, "offers", ""))
      offers.push_back({{"id", o["id"]},
                        {"chip_type", o["chip_type"]},
                        {"sign", o["sign"]},
                        {"chips", o["chips"]},
                        {"max_chips", o["max_chips"]},
                        {"why", o["why"]}});
    out["offers"] = offers;
    if (plan.contains("mismatch")) {
      const Json& m = plan["mismatch"];
      out["mismatch"] = {{"points", Arr(m, "points", "mismatch")},
                         {"value_usd", Arr(m, "value_usd", "mismatch")},
                         {"cash_profit_usd", Arr(m, "cash_profit_usd", "mismatch")},
                         {"unserved_share", Arr(m, "unserved_share", "mismatch")}};
    }
    // Scenarios, lowest value first, with their cash profit, imputed value and
    // lowest cash.
    Json scen = Arr(plan, "scenario_outcomes", "");
    std::vector<Json> rows(scen.begin(), scen.end());
    for (size_t i = 0; i < rows.size(); ++i) {
      const std::string p = Index("", "scenario_outcomes", i);
      for (const char* k : {"min_cash_usd", "value_usd", "cash_profit_usd", "imputed_value_usd",
                            "revenue_usd", "cost_usd", "probability"})
        Num(rows[i], k, p);
    }
    std::stable_sort(rows.begin(), rows.end(),
                     [](const Json& a, const Json& b) { return a["value_usd"] < b["value_usd"]; });
    Json s = Json::array();
    double cum = 0;
    for (const auto& r : rows) {
      cum += r["probability"].get<double>();
      s.push_back(
          {{"name", r["name"]},
           {"probability", r["probability"]},
           {"cumulative_probability", cum},
           {"value_usd", r["value_usd"]},
           {"cash_profit_usd", r["cash_profit_usd"]},
           {"imputed_value_usd", r["imputed_value_usd"]},
           {"terminal_net_usd", r.value("terminal_value_usd", 0.0) - r.value("terminal_payments_usd", 0.0)},
           {"revenue_usd", r["revenue_usd"]},
           {"cost_usd", r["cost_usd"]},
           {"min_cash_usd", r["min_cash_usd"]},
           {"unserved_share", r["unserved_share"]},
           {"cash_breach_months", r["cash_breach_months"]}});
    }
    out["scenarios"] = s;
    return out;
  });
}

StatusOr<Json> EvaluateFigures(const Json& evaluate) {
  return Guard("evaluate", [&]() {
    Json out;
    for (const char* k :
         {"offer", "provider", "chip_type", "unit", "quantity", "chips", "usd_per_chip_hour", "cost_usd",
          "objective_change_usd", "expected_value_change_usd", "expected_revenue_change_usd",
          "expected_cost_change_usd", "expected_cash_profit_change_usd", "expected_imputed_value_change_usd",
          "probability_value_falls"})
      out[k] = At(evaluate, k, "");
    // Whole-term valuation (absent from outputs written before it: rule none).
    out["terminal_value_rule"] = evaluate.value("terminal_value_rule", std::string("none"));
    for (const char* k : {"terminal_months", "terminal_value_usd", "terminal_payments_usd"})
      out[k] = evaluate.value(k, 0.0);
    Json months = Json::array();
    for (const auto& m : Arr(evaluate, "months", ""))
      months.push_back({{"month", m["month"]},
                        {"landed_chips", m["landed_chips"]},
                        {"expected_used_share", m["expected_used_share"]}});
    out["months"] = months;
    Json scen = Json::array();
    for (const auto& s : Arr(evaluate, "scenarios", ""))
      scen.push_back({{"name", s["name"]},
                      {"probability", s["probability"]},
                      {"value_change_usd", s["value_change_usd"]},
                      {"used_share", s["used_share"]}});
    out["scenarios"] = scen;
    return out;
  });
}

StatusOr<Json> AllocationFigures(const Json& allocate, const Fleet* fleet) {
  return Guard("allocate", [&]() {
    const Json& periods = Arr(allocate, "periods", "");
    const size_t n = periods.size();
    Json out;
    out["periods"] = periods;
    out["utilization"] = Num(allocate, "utilization", "");
    out["objective_usd"] = Num(allocate, "objective_usd", "");
    // Chips by workload (summed over pools) per period.
    std::map<std::string, std::string> kind;
    for (const auto& w : Arr(allocate, "workloads", ""))
      kind[w["id"].get<std::string>()] = w.value("kind", "");
    std::vector<std::string> order;
    std::map<std::string, std::vector<double>> by_workload;
    std::map<std::string, std::vector<double>> allocated;
    const Json& chips = Arr(allocate, "chips", "");
    for (size_t i = 0; i < chips.size(); ++i) {
      const std::string p = Index("", "chips", i);
      const std::string w = Str(chips[i], "workload", p), pool = Str(chips[i], "pool", p);
      const Json& series = Arr(chips[i], "chips", p);
      if (series.size() != n) throw MissingField(p + ".chips (one per period)");
      if (!by_workload.count(w)) order.push_back(w);
      auto& v = by_workload[w];
      auto& a = allocated[pool];
      v.resize(n, 0.0);
      a.resize(n, 0.0);
      for (size_t t = 0; t < n; ++t) v[t] += series[t].get<double>(), a[t] += series[t].get<double>();
    }
    // Serving first, then the rest as the spec lists them.
    std::stable_sort(order.begin(), order.end(), [&](const std::string& a, const std::string& b) {
      return (kind[a] == "serve") > (kind[b] == "serve");
    });
    Json workloads = Json::array();
    for (const auto& w : order) {
      std::string team;
      if (fleet != nullptr)
        if (const WorkloadClass* wc = fleet->FindWorkload(w)) team = wc->team;
      workloads.push_back({{"id", w}, {"kind", kind[w]}, {"team", team}, {"chips", by_workload[w]}});
    }
    out["workloads"] = workloads;
    // Pool x period utilization and the price per chip type.
    Json pools = Json::array();
    std::vector<std::string> chip_order;
    std::map<std::string, std::vector<double>> price;
    const Json& in = Arr(allocate, "pools", "");
    for (size_t i = 0; i < in.size(); ++i) {
      const std::string p = Index("", "pools", i);
      const std::string id = Str(in[i], "id", p);
      const Json& cap = Arr(in[i], "capacity_chips", p);
      const Json& shadow = Arr(in[i], "shadow_usd_per_chip_hour", p);
      if (cap.size() != n || shadow.size() != n)
        throw MissingField(p + " (one capacity and price per period)");
      std::string chip = id;
      if (fleet != nullptr)
        for (const Pool& pl : fleet->pools)
          if (pl.id == id) chip = pl.chip_type;
      Json util = Json::array();
      const auto& a = allocated[id];
      for (size_t t = 0; t < n; ++t) {
        const double c = cap[t].get<double>();
        util.push_back(c > 0 ? (t < a.size() ? a[t] : 0.0) / c : 0.0);
      }
      pools.push_back({{"id", id}, {"chip_type", chip}, {"utilization", util}});
      if (!price.count(chip)) chip_order.push_back(chip), price[chip].assign(n, 0.0);
      for (size_t t = 0; t < n; ++t) price[chip][t] = std::max(price[chip][t], shadow[t].get<double>());
    }
    out["pools"] = pools;
    Json prices = Json::array();
    for (const auto& c : chip_order) prices.push_back({{"chip_type", c}, {"usd_per_chip_hour", price[c]}});
    out["prices"] = prices;
    return out;
  });
}

StatusOr<Json> RunFigures(const Json& run) {
  return Guard("run", [&]() {
    Json out;
    for (const char* k : {"fleet", "scenario", "seed", "start", "hours"}) out[k] = At(run, k, "");
    Json policies = Json::array();
    const Json& in = Arr(run, "policies", "");
    for (size_t i = 0; i < in.size(); ++i) {
      const std::string p = Index("", "policies", i);
      const Json& pol = in[i];
      const Json& roc = At(pol, "return_on_compute", p);
      Json o;
      o["policy"] = Str(pol, "policy", p);
      const Json& s = At(pol, "summary", p);
      o["summary"] = s;
      auto rows = [&](const char* key) {
        Json r = Json::array();
        const Json& a = Arr(roc, key, p + ".return_on_compute");
        for (size_t k = 0; k < a.size(); ++k) {
          const std::string pk = Index(p + ".return_on_compute", key, k);
          r.push_back({{"key", Str(a[k], "key", pk)},
                       {"chip_hours", Num(a[k], "chip_hours", pk)},
                       {"cost_usd", Num(a[k], "cost_usd", pk)},
                       {"value_all_up_usd", Num(a[k], "value_all_up_usd", pk)},
                       {"roc_now", Num(a[k], "roc_now", pk)},
                       {"roc_within", Num(a[k], "roc_within", pk)},
                       {"roc_all_up", Num(a[k], "roc_all_up", pk)}});
        }
        return r;
      };
      const Json& total = At(roc, "total", p + ".return_on_compute");
      o["roc_total"] = {{"roc_now", Num(total, "roc_now", p)},
                        {"roc_within", Num(total, "roc_within", p)},
                        {"roc_all_up", Num(total, "roc_all_up", p)}};
      o["by_team"] = rows("by_team");
      o["by_chip_type"] = rows("by_chip_type");
      o["by_workload"] = rows("by_workload");
      Json days = Json::array();
      for (const auto& d : Arr(pol, "days", p))
        days.push_back({{"date", d["date"]},
                        {"revenue_usd", d["revenue_usd"]},
                        {"allocated_chip_hours", d["allocated_chip_hours"]},
                        {"idle_chip_hours", d["idle_chip_hours"]},
                        {"down_chip_hours", d["down_chip_hours"]},
                        {"served_output_tokens", d["served_output_tokens"]},
                        {"demand_output_tokens", d["demand_output_tokens"]}});
      o["days"] = days;
      Json months = Json::array();
      for (const auto& m : Arr(pol, "months", p))
        months.push_back({{"month", m["month"]}, {"models", m["models"]}, {"workloads", m["workloads"]}});
      o["months"] = months;
      policies.push_back(std::move(o));
    }
    out["policies"] = policies;
    if (run.contains("value_of_fungibility")) out["value_of_fungibility"] = run["value_of_fungibility"];
    return out;
  });
}

StatusOr<Json> ReviewFigures(const Json& review) {
  return Guard("review", [&]() {
    Json out;
    out["month"] = Str(review, "month", "");
    out["previous_month"] = Str(review, "previous_month", "");
    out["policy"] = Str(review, "policy", "");
    out["kpis"] = Arr(review, "kpis", "");
    Json bridges = Json::array();
    for (const auto& [name, b] : At(review, "bridges", "").items()) {
      const std::string p = "bridges." + name;
      Json parts = Json::array();
      for (const auto& [part, amount] : At(b, "parts", p).items())
        parts.push_back({{"name", part}, {"amount", amount}});
      bridges.push_back({{"name", name},
                         {"unit", Str(b, "unit", p)},
                         {"from", Num(b, "from", p)},
                         {"to", Num(b, "to", p)},
                         {"parts", parts}});
    }
    out["bridges"] = bridges;
    // Compute cost by contract: paid chip-hours (volume) and rate effects.
    Json contracts = Json::array();
    const Json& cs = Arr(review, "contracts", "");
    for (size_t i = 0; i < cs.size(); ++i) {
      const std::string p = Index("", "contracts", i);
      contracts.push_back({{"contract", Str(cs[i], "contract", p)},
                           {"cost_usd", Num(cs[i], "cost_usd", p)},
                           {"previous_cost_usd", Num(cs[i], "previous_cost_usd", p)},
                           {"paid_chip_hours", Num(cs[i], "paid_chip_hours", p)},
                           {"previous_paid_chip_hours", Num(cs[i], "previous_paid_chip_hours", p)},
                           {"volume_effect_usd", Num(cs[i], "volume_effect_usd", p)},
                           {"rate_effect_usd", Num(cs[i], "rate_effect_usd", p)}});
    }
    out["contracts"] = contracts;
    out["narrative"] = At(review, "narrative", "");
    return out;
  });
}

}  // namespace fungible::report
