#include "simulate/output.h"

#include <algorithm>
#include <nlohmann/json.hpp>

#include "util/csv.h"
#include "util/text.h"

namespace fungible {
namespace {

using Json = nlohmann::ordered_json;

constexpr int kRunFormat = 1;  // run.json layout version

// A CSV figure: never "-0.00".
std::string CsvNumber(double v, int decimals) { return Fixed(v, decimals, NegativeZero::kDrop); }

// Hour index range of a ledger period.
std::pair<int, int> HoursOf(const SimulationResult& sim, const LedgerPeriod& p) {
  const int a = static_cast<int>((p.start - sim.start) / kSecondsPerHour);
  return {a, a + p.hours};
}

bool SharedEvent(const SimEvent& e) { return e.kind != "resolve" && e.kind != "infeasible"; }

struct DayFigures {
  std::string date;
  double demand = 0, served = 0, revenue = 0;
  double paid = 0, allocated = 0, idle = 0, down = 0, effective = 0, cost = 0;
  double value_now = 0, value_all_up = 0, switched = 0;
};

std::vector<DayFigures> DailyFigures(const SimulationResult& sim, const PolicyRun& run) {
  std::vector<DayFigures> out;
  for (const auto& d : run.ledger.days) {
    DayFigures f;
    f.date = FormatDate(d.start);
    auto [a, b] = HoursOf(sim, d);
    for (size_t m = 0; m < run.revenue_usd.size(); ++m)
      for (int h = a; h < b; ++h) {
        f.demand += run.demand_output_tokens[m][h];
        f.served += run.served_output_tokens[m][h];
        f.revenue += run.revenue_usd[m][h];
      }
    for (int h = a; h < b; ++h) {
      const auto& t = run.ledger.hours[h];
      f.paid += t.paid_chips;
      f.allocated += t.allocated_chips;
      f.idle += t.idle_chips;
      f.down += t.down_chips;
      f.effective += t.effective_chips;
      f.cost += t.cost_usd;
      f.switched += run.chips_switched[h];
    }
    for (const auto& c : d.cells) {
      f.value_now += c.value_now_usd();
      f.value_all_up += c.value_all_up_usd();
    }
    out.push_back(f);
  }
  return out;
}

Json RocJson(const RocLine& r) {
  Json j;
  j["key"] = r.key;
  j["chip_hours"] = r.chip_hours;
  j["cost_usd"] = r.cost_usd;
  j["value_now_usd"] = r.value_now_usd;
  j["value_within_usd"] = r.value_within_usd;
  j["value_all_up_usd"] = r.value_all_up_usd;
  j["roc_now"] = r.roc_now();
  j["roc_within"] = r.roc_within();
  j["roc_all_up"] = r.roc_all_up();
  return j;
}

Json SummaryJson(const PolicySummary& s) {
  Json j;
  j["revenue_usd"] = s.revenue_usd;
  j["demand_output_tokens"] = s.demand_output_tokens;
  j["served_output_tokens"] = s.served_output_tokens;
  j["unserved_share"] = s.unserved_share;
  j["floor_windows"] = s.floor_windows;
  j["floor_windows_met"] = s.floor_windows_met;
  j["floor_attainment"] = s.floor_attainment;
  j["paid_chip_hours"] = s.paid_chip_hours;
  j["allocated_chip_hours"] = s.allocated_chip_hours;
  j["utilization"] = s.utilization;
  j["chips_switched"] = s.chips_switched;
  j["switch_cost_usd"] = s.switch_cost_usd;
  j["lost_effective_chip_hours"] = s.lost_effective_chip_hours;
  j["contract_cost_usd"] = s.contract_cost_usd;
  j["value_now_usd"] = s.value_now_usd;
  j["value_within_usd"] = s.value_within_usd;
  j["value_all_up_usd"] = s.value_all_up_usd;
  j["roc_now"] = s.roc_now;
  j["roc_within"] = s.roc_within;
  j["roc_all_up"] = s.roc_all_up;
  j["resolves"] = s.resolves;
  j["event_resolves"] = s.event_resolves;
  j["infeasible_resolves"] = s.infeasible_resolves;
  j["failures"] = s.failures;
  return j;
}

Json MonthJson(const MonthFigures& m) {
  Json j;
  j["month"] = m.month;
  j["hours"] = m.hours;
  j["revenue_usd"] = m.revenue_usd;
  j["demand_output_tokens"] = m.demand_output_tokens;
  j["served_output_tokens"] = m.served_output_tokens;
  j["paid_chip_hours"] = m.paid_chip_hours;
  j["up_chip_hours"] = m.up_chip_hours;
  j["allocated_chip_hours"] = m.allocated_chip_hours;
  j["idle_chip_hours"] = m.idle_chip_hours;
  j["down_chip_hours"] = m.down_chip_hours;
  j["effective_chip_hours"] = m.effective_chip_hours;
  j["lost_effective_chip_hours"] = m.lost_effective_chip_hours;
  j["contract_cost_usd"] = m.contract_cost_usd;
  j["value_now_usd"] = m.value_now_usd;
  j["value_within_usd"] = m.value_within_usd;
  j["value_all_up_usd"] = m.value_all_up_usd;
  j["chips_switched"] = m.chips_switched;
  j["floor_windows"] = m.floor_windows;
  j["floor_windows_met"] = m.floor_windows_met;
  j["models"] = Json::array();
  for (const auto& x : m.models)
    j["models"].push_back({{"id", x.id},
                           {"demand_output_tokens", x.demand_output_tokens},
                           {"served_output_tokens", x.served_output_tokens},
                           {"revenue_usd", x.revenue_usd},
                           {"serving_chip_hours", x.serving_chip_hours},
                           {"capacity_output_tokens", x.capacity_output_tokens}});
  j["pools"] = Json::array();
  for (const auto& x : m.pools)
    j["pools"].push_back({{"id", x.id},
                          {"chip_type", x.chip_type},
                          {"contract", x.contract},
                          {"paid_chip_hours", x.paid_chip_hours},
                          {"allocated_chip_hours", x.allocated_chip_hours},
                          {"effective_chip_hours", x.effective_chip_hours},
                          {"cost_usd", x.cost_usd}});
  j["workloads"] = Json::array();
  for (const auto& x : m.workloads)
    j["workloads"].push_back({{"id", x.id},
                              {"team", x.team},
                              {"chip_hours", x.chip_hours},
                              {"effective_chip_hours", x.effective_chip_hours},
                              {"cost_usd", x.cost_usd},
                              {"value_all_up_usd", x.value_all_up_usd}});
  j["serving"] = Json::array();
  for (const auto& x : m.serving)
    j["serving"].push_back({{"model", x.model},
                            {"chip_type", x.chip_type},
                            {"chip_hours", x.chip_hours},
                            {"served_output_tokens", x.served_output_tokens},
                            {"capacity_output_tokens", x.capacity_output_tokens}});
  j["events"] = Json::array();
  for (const auto& e : m.events)
    j["events"].push_back(
        Json{{"at", FormatRfc3339(e.at)}, {"kind", e.kind}, {"subject", e.subject}, {"detail", e.detail}});
  return j;
}

std::string MonthlyCsv(const std::vector<MonthFigures>& months) {
  std::string s =
      "month,hours,demand_output_tokens,served_output_tokens,unserved_share,revenue_usd,paid_chip_hours,"
      "allocated_chip_hours,idle_chip_hours,down_chip_hours,effective_chip_hours,utilization,contract_cost_"
      "usd,"
      "value_now_usd,value_within_usd,value_all_up_usd,roc_now,roc_all_up,chips_switched,"
      "lost_effective_chip_hours,floor_windows,floor_windows_met\n";
  for (const auto& m : months) {
    s += m.month + "," + std::to_string(m.hours) + "," + CsvNumber(m.demand_output_tokens, 0) + "," +
         CsvNumber(m.served_output_tokens, 0) + "," + CsvNumber(m.unserved_share(), 6) + "," +
         CsvNumber(m.revenue_usd, 2) + "," + CsvNumber(m.paid_chip_hours, 3) + "," +
         CsvNumber(m.allocated_chip_hours, 3) + "," + CsvNumber(m.idle_chip_hours, 3) + "," +
         CsvNumber(m.down_chip_hours, 3) + "," + CsvNumber(m.effective_chip_hours, 3) + "," +
         CsvNumber(m.utilization(), 6) + "," + CsvNumber(m.contract_cost_usd, 2) + "," +
         CsvNumber(m.value_now_usd, 2) + "," + CsvNumber(m.value_within_usd, 2) + "," +
         CsvNumber(m.value_all_up_usd, 2) + "," + CsvNumber(m.roc_now(), 6) + "," +
         CsvNumber(m.roc_all_up(), 6) + "," + CsvNumber(m.chips_switched, 0) + "," +
         CsvNumber(m.lost_effective_chip_hours, 3) + "," + std::to_string(m.floor_windows) + "," +
         std::to_string(m.floor_windows_met) + "\n";
  }
  return s;
}

std::string DailyCsv(const std::vector<DayFigures>& days) {
  std::string s =
      "date,demand_output_tokens,served_output_tokens,revenue_usd,paid_chip_hours,allocated_chip_hours,"
      "idle_chip_hours,down_chip_hours,effective_chip_hours,utilization,contract_cost_usd,value_now_usd,"
      "value_all_up_usd,chips_switched\n";
  for (const auto& d : days)
    s += d.date + "," + CsvNumber(d.demand, 0) + "," + CsvNumber(d.served, 0) + "," +
         CsvNumber(d.revenue, 2) + "," + CsvNumber(d.paid, 3) + "," + CsvNumber(d.allocated, 3) + "," +
         CsvNumber(d.idle, 3) + "," + CsvNumber(d.down, 3) + "," + CsvNumber(d.effective, 3) + "," +
         CsvNumber(d.paid > 0 ? d.allocated / d.paid : 0, 6) + "," + CsvNumber(d.cost, 2) + "," +
         CsvNumber(d.value_now, 2) + "," + CsvNumber(d.value_all_up, 2) + "," + CsvNumber(d.switched, 0) +
         "\n";
  return s;
}

std::string LedgerCsv(const LedgerReport& L) {
  std::string s =
      "month,pool,chip_type,workload,team,chip_hours,effective_chip_hours,lost_effective_chip_hours,cost_usd,"
      "revenue_usd,bid_value_usd,launch_credit_within_usd,launch_credit_beyond_usd,model_development_bid_usd,"
      "value_now_usd,value_within_usd,value_all_up_usd\n";
  const int R = L.layout.num_rows();
  for (const auto& m : L.months)
    for (int p = 0; p < L.layout.num_pools(); ++p)
      for (int r = 0; r < R; ++r) {
        const LedgerCell& c = m.cells[static_cast<size_t>(p * R + r)];
        s += FormatMonth(m.start) + "," + CsvField(L.layout.pools[p].id) + "," +
             CsvField(L.layout.pools[p].chip_type) + "," + CsvField(L.layout.RowName(r)) + "," +
             CsvField(L.layout.RowTeam(r)) + "," + CsvNumber(c.chip_hours, 3) + "," +
             CsvNumber(c.effective_chip_hours, 3) + "," + CsvNumber(c.lost_effective_chip_hours, 3) + "," +
             CsvNumber(c.cost_usd, 2) + "," + CsvNumber(c.revenue_usd, 2) + "," +
             CsvNumber(c.bid_value_usd, 2) + "," + CsvNumber(c.launch_credit_within_usd, 2) + "," +
             CsvNumber(c.launch_credit_beyond_usd, 2) + "," + CsvNumber(c.model_development_bid_usd, 2) +
             "," + CsvNumber(c.value_now_usd(), 2) + "," + CsvNumber(c.value_within_usd(), 2) + "," +
             CsvNumber(c.value_all_up_usd(), 2) + "\n";
      }
  return s;
}

std::string EventsLog(const PolicyRun& run) {
  std::string s;
  for (const auto& e : run.events)
    s += FormatUtc(e.at) + " " + e.kind + " " + e.subject + ": " + e.detail + "\n";
  return s;
}

std::string CompareCsv(const SimulationResult& sim) {
  std::string s =
      "policy,revenue_usd,unserved_share,floor_attainment,floor_windows_met,floor_windows,utilization,"
      "chips_switched,switch_cost_usd,contract_cost_usd,value_now_usd,value_all_up_usd,roc_now,roc_within,"
      "roc_all_up,revenue_vs_static_usd,revenue_vs_static_pct\n";
  const PolicyRun* fixed = nullptr;
  for (const auto& r : sim.runs)
    if (r.policy == Policy::kStatic) fixed = &r;
  for (const auto& r : sim.runs) {
    const auto& x = r.summary;
    std::string vs_usd, vs_pct;
    if (fixed != nullptr) {
      const double d = x.revenue_usd - fixed->summary.revenue_usd;
      vs_usd = CsvNumber(d, 2);
      vs_pct = CsvNumber(fixed->summary.revenue_usd > 0 ? 100 * d / fixed->summary.revenue_usd : 0, 4);
    }
    s += std::string(PolicyName(r.policy)) + "," + CsvNumber(x.revenue_usd, 2) + "," +
         CsvNumber(x.unserved_share, 6) + "," + CsvNumber(x.floor_attainment, 6) + "," +
         std::to_string(x.floor_windows_met) + "," + std::to_string(x.floor_windows) + "," +
         CsvNumber(x.utilization, 6) + "," + CsvNumber(x.chips_switched, 0) + "," +
         CsvNumber(x.switch_cost_usd, 2) + "," + CsvNumber(x.contract_cost_usd, 2) + "," +
         CsvNumber(x.value_now_usd, 2) + "," + CsvNumber(x.value_all_up_usd, 2) + "," +
         CsvNumber(x.roc_now, 6) + "," + CsvNumber(x.roc_within, 6) + "," + CsvNumber(x.roc_all_up, 6) + "," +
         vs_usd + "," + vs_pct + "\n";
  }
  return s;
}

// Reads a number member, naming it when absent.
bool Get(const Json& j, const char* key, double& out, std::string& missing) {
  auto it = j.find(key);
  if (it == j.end() || !it->is_number()) {
    if (missing.empty()) missing = key;
    return false;
  }
  out = it->get<double>();
  return true;
}

}  // namespace

std::vector<MonthFigures> MonthlyFigures(const SimulationResult& sim, const PolicyRun& run) {
  std::vector<MonthFigures> out;
  const LedgerReport& L = run.ledger;
  const int R = L.layout.num_rows(), P = L.layout.num_pools(), W = L.layout.num_workloads();
  for (size_t i = 0; i < L.months.size(); ++i) {
    const LedgerPeriod& per = L.months[i];
    MonthFigures f;
    f.month = FormatMonth(per.start);
    f.hours = per.hours;
    auto [a, b] = HoursOf(sim, per);
    for (size_t m = 0; m < sim.model_ids.size(); ++m) {
      MonthFigures::Model x;
      x.id = sim.model_ids[m];
      for (int h = a; h < b; ++h) {
        x.demand_output_tokens += run.demand_output_tokens[m][h];
        x.served_output_tokens += run.served_output_tokens[m][h];
        x.revenue_usd += run.revenue_usd[m][h];
      }
      f.revenue_usd += x.revenue_usd;
      f.demand_output_tokens += x.demand_output_tokens;
      f.served_output_tokens += x.served_output_tokens;
      f.models.push_back(x);
    }
    for (int h = a; h < b; ++h) {
      const auto& t = L.hours[h];
      f.paid_chip_hours += t.paid_chips;
      f.up_chip_hours += t.up_chips;
      f.allocated_chip_hours += t.allocated_chips;
      f.idle_chip_hours += t.idle_chips;
      f.down_chip_hours += t.down_chips;
      f.effective_chip_hours += t.effective_chips;
      f.chips_switched += run.chips_switched[h];
    }
    for (int p = 0; p < P; ++p) {
      MonthFigures::Pool x;
      x.id = L.layout.pools[p].id;
      x.chip_type = L.layout.pools[p].chip_type;
      x.contract = L.layout.pools[p].contract;
      for (int r = 0; r < R; ++r) {
        const LedgerCell& c = per.cells[static_cast<size_t>(p * R + r)];
        x.paid_chip_hours += c.chip_hours;
        x.cost_usd += c.cost_usd;
        if (r < W) {
          x.allocated_chip_hours += c.chip_hours;
          x.effective_chip_hours += c.effective_chip_hours;
        }
      }
      f.pools.push_back(x);
    }
    // Serving by model and chip type, from the serving cells.
    for (int p = 0; p < P; ++p)
      for (int w = 0; w < W; ++w) {
        const std::string& model = L.layout.workloads[static_cast<size_t>(w)].model;
        if (model.empty()) continue;
        const LedgerCell& c = per.cells[static_cast<size_t>(p * R + w)];
        const std::string& chip = L.layout.pools[static_cast<size_t>(p)].chip_type;
        auto it = std::find_if(f.serving.begin(), f.serving.end(),
                               [&](const auto& s) { return s.model == model && s.chip_type == chip; });
        if (it == f.serving.end()) it = f.serving.insert(f.serving.end(), {model, chip});
        it->chip_hours += c.chip_hours;
        it->served_output_tokens += c.served_output_tokens;
        it->capacity_output_tokens += c.capacity_output_tokens;
        for (auto& x : f.models)
          if (x.id == model) {
            x.serving_chip_hours += c.chip_hours;
            x.capacity_output_tokens += c.capacity_output_tokens;
          }
      }
    const auto rows = L.MonthByRow(i);
    for (int r = 0; r < R; ++r) {
      const LedgerCell& c = rows[static_cast<size_t>(r)];
      f.contract_cost_usd += c.cost_usd;
      f.value_now_usd += c.value_now_usd();
      f.value_within_usd += c.value_within_usd();
      f.value_all_up_usd += c.value_all_up_usd();
      f.lost_effective_chip_hours += c.lost_effective_chip_hours;
      if (r >= W) continue;
      MonthFigures::Workload x;
      x.id = L.layout.RowName(r);
      x.team = L.layout.RowTeam(r);
      x.chip_hours = c.chip_hours;
      x.effective_chip_hours = c.effective_chip_hours;
      x.cost_usd = c.cost_usd;
      x.value_all_up_usd = c.value_all_up_usd();
      f.workloads.push_back(x);
    }
    const UtcSeconds t0 = per.start, t1 = per.start + static_cast<UtcSeconds>(per.hours) * kSecondsPerHour;
    for (const auto& fl : run.floors)
      if (fl.start >= t0 && fl.start < t1) {
        ++f.floor_windows;
        if (fl.met()) ++f.floor_windows_met;
      }
    for (const auto& e : run.events)
      if (SharedEvent(e) && e.at >= t0 && e.at < t1) f.events.push_back({e.at, e.kind, e.subject, e.detail});
    out.push_back(std::move(f));
  }
  return out;
}

std::string RunJson(const SimulationResult& sim) {
  Json j;
  j["fungible_run"] = kRunFormat;
  j["fleet"] = sim.fleet_name;
  j["spec"] = sim.spec_file;
  j["scenario"] = sim.scenario;
  j["seed"] = sim.seed;
  j["start"] = FormatRfc3339(sim.start);
  j["hours"] = sim.hours;
  const auto& st = sim.settings;
  j["settings"] = {{"resolve_every_hours", st.resolve_every_hours},
                   {"horizon_hours", st.horizon_hours},
                   {"period_hours", st.period_hours},
                   {"checkpoint_interval_hours", st.checkpoint_interval_hours},
                   {"integer_gangs", st.integer_gangs},
                   {"model_development_value_share", st.model_development_value_share},
                   {"model_development_lag_months", st.model_development_lag_months},
                   {"model_development_uplift_months", st.model_development_uplift_months},
                   {"value_horizon_months", st.value_horizon_months},
                   {"serving_quantile", st.serving_quantile}};
  j["hourly_recalibration"] = Json::array();
  for (const auto& r : sim.hourly_recalibration)
    j["hourly_recalibration"].push_back({{"model", r.model},
                                         {"band_factors", r.band_factors},
                                         {"source", r.source},
                                         {"planning_quantile", r.planning_quantile},
                                         {"planning_band_factor", r.planning_band_factor}});
  j["launches"] = Json::array();
  for (const auto& l : sim.launches)
    j["launches"].push_back({{"model", l.model},
                             {"date", FormatRfc3339(l.date)},
                             {"demand_multiplier", l.demand_multiplier},
                             {"multiplier_median", l.multiplier_median},
                             {"throughput_multiplier", l.throughput_multiplier},
                             {"month_revenue_usd", l.month_revenue_usd}});
  if (!sim.trace.file.empty()) {
    Json t;
    t["file"] = sim.trace.file;
    t["token_mix_file"] = sim.trace.token_mix_file;
    t["models"] = Json::array();
    for (const auto& m : sim.trace.models)
      t["models"].push_back({{"model", m.model},
                             {"trace", m.trace},
                             {"trace_hours", m.trace_hours},
                             {"trace_requests", m.trace_requests},
                             {"output_tokens_per_request", m.output_tokens_per_request},
                             {"input_tokens_per_output_token", m.input_tokens_per_output_token},
                             {"trace_output_tokens", m.trace_output_tokens},
                             {"scale", m.scale},
                             {"gap_windows_imputed", m.gap_windows_imputed}});
    j["trace"] = t;
  }
  j["policies"] = Json::array();
  for (const auto& run : sim.runs) {
    Json p;
    p["policy"] = PolicyName(run.policy);
    p["summary"] = SummaryJson(run.summary);
    // Every window a floor missed, with its shortfall and cause (all windows,
    // met or not, are in <policy>/floors.csv).
    p["floors_short"] = Json::array();
    for (const auto& f : run.floors)
      if (!f.met())
        p["floors_short"].push_back({{"workload", f.workload},
                                     {"from", FormatRfc3339(f.start)},
                                     {"hours", f.hours},
                                     {"required_effective_chip_hours", f.required_effective_chip_hours},
                                     {"achieved_effective_chip_hours", f.achieved_effective_chip_hours},
                                     {"shortfall_effective_chip_hours", f.shortfall()},
                                     {"lost_effective_chip_hours", f.lost_effective_chip_hours},
                                     {"up_capacity_effective_chip_hours", f.up_capacity_effective_chip_hours},
                                     {"cause", f.cause()},
                                     {"message", f.Explain()}});
    Json roc;
    roc["total"] = RocJson(run.ledger.total);
    for (const char* k : {"by_team", "by_chip_type", "by_workload"}) roc[k] = Json::array();
    for (const auto& r : run.ledger.by_team) roc["by_team"].push_back(RocJson(r));
    for (const auto& r : run.ledger.by_chip_type) roc["by_chip_type"].push_back(RocJson(r));
    for (const auto& r : run.ledger.by_workload) roc["by_workload"].push_back(RocJson(r));
    p["return_on_compute"] = roc;
    p["launch_credits"] = Json::array();
    for (const auto& c : run.ledger.launch_credits)
      p["launch_credits"].push_back({{"launch", c.launch.model},
                                     {"date", FormatRfc3339(c.launch.date)},
                                     {"credit_usd", c.launch.credit_usd},
                                     {"window_start", FormatRfc3339(c.window_start)},
                                     {"window_end", FormatRfc3339(c.window_end)},
                                     {"observed_hours", c.observed_hours},
                                     {"observed_effective_chip_hours", c.observed_effective_chip_hours},
                                     {"usd_per_effective_chip_hour", c.usd_per_effective_chip_hour},
                                     {"credited_usd", c.credited_usd}});
    p["months"] = Json::array();
    for (const auto& m : MonthlyFigures(sim, run)) p["months"].push_back(MonthJson(m));
    p["days"] = Json::array();
    for (const auto& d : DailyFigures(sim, run))
      p["days"].push_back({{"date", d.date},
                           {"demand_output_tokens", d.demand},
                           {"served_output_tokens", d.served},
                           {"revenue_usd", d.revenue},
                           {"paid_chip_hours", d.paid},
                           {"allocated_chip_hours", d.allocated},
                           {"idle_chip_hours", d.idle},
                           {"down_chip_hours", d.down},
                           {"effective_chip_hours", d.effective},
                           {"contract_cost_usd", d.cost},
                           {"value_now_usd", d.value_now},
                           {"value_all_up_usd", d.value_all_up},
                           {"chips_switched", d.switched}});
    j["policies"].push_back(p);
  }
  if (sim.fungibility) {
    const auto& v = *sim.fungibility;
    j["value_of_fungibility"] = {{"revenue_usd", v.revenue_usd},
                                 {"revenue_pct", v.revenue_pct},
                                 {"value_all_up_usd", v.value_all_up_usd},
                                 {"value_all_up_pct", v.value_all_up_pct},
                                 {"roc_all_up_points", v.roc_all_up_points},
                                 {"switch_cost_usd", v.switch_cost_usd},
                                 {"net_revenue_usd", v.net_revenue_usd}};
  }
  return j.dump(1) + "\n";
}

// One row per floor window: attainment, and for a short one its cause.
std::string FloorsCsv(const PolicyRun& run) {
  std::string s =
      "workload,from,hours,required_effective_chip_hours,achieved_effective_chip_hours,attainment,"
      "lost_effective_chip_hours,up_capacity_effective_chip_hours,cause\n";
  for (const auto& f : run.floors)
    s += f.workload + "," + FormatRfc3339(f.start) + "," + std::to_string(f.hours) + "," +
         CsvNumber(f.required_effective_chip_hours, 3) + "," + CsvNumber(f.achieved_effective_chip_hours, 3) +
         "," + CsvNumber(f.attainment(), 6) + "," + CsvNumber(f.lost_effective_chip_hours, 3) + "," +
         CsvNumber(f.up_capacity_effective_chip_hours, 3) + "," + f.cause() + "\n";
  return s;
}

std::vector<std::pair<std::string, std::string>> RenderRunFiles(const SimulationResult& sim) {
  std::vector<std::pair<std::string, std::string>> files;
  files.emplace_back("run.json", RunJson(sim));
  files.emplace_back("compare.csv", CompareCsv(sim));
  for (const auto& run : sim.runs) {
    const std::string dir = std::string(PolicyName(run.policy)) + "/";
    files.emplace_back(dir + "monthly.csv", MonthlyCsv(MonthlyFigures(sim, run)));
    files.emplace_back(dir + "daily.csv", DailyCsv(DailyFigures(sim, run)));
    files.emplace_back(dir + "ledger.csv", LedgerCsv(run.ledger));
    files.emplace_back(dir + "events.log", EventsLog(run));
    files.emplace_back(dir + "floors.csv", FloorsCsv(run));
  }
  return files;
}

StatusOr<RunRecord> ParseRunJson(const std::string& text, const std::string& name) {
  Json j;
  try {
    j = Json::parse(text);
  } catch (const Json::parse_error& e) {
    return Status::Invalid(name + ": not a run.json (invalid JSON: " + e.what() + ")");
  }
  if (!j.is_object() || !j.contains("fungible_run"))
    return Status::Invalid(name +
                           ": not a fungible run (no \"fungible_run\" field); give the directory "
                           "`fungible simulate --out DIR` wrote");
  RunRecord rec;
  rec.fleet_name = j.value("fleet", "");
  rec.scenario = j.value("scenario", "");
  rec.seed = j.value("seed", std::uint64_t{0});
  if (!j.contains("policies") || !j["policies"].is_array())
    return Status::Invalid(name + ": run.json has no \"policies\" list");
  for (const auto& p : j["policies"]) {
    rec.policies.push_back(p.value("policy", "?"));
    std::vector<MonthFigures> months;
    if (!p.contains("months") || !p["months"].is_array())
      return Status::Invalid(name + ": policy " + rec.policies.back() + " has no \"months\"");
    for (const auto& m : p["months"]) {
      MonthFigures f;
      std::string missing;
      f.month = m.value("month", "");
      f.hours = m.value("hours", 0);
      Get(m, "revenue_usd", f.revenue_usd, missing);
      Get(m, "demand_output_tokens", f.demand_output_tokens, missing);
      Get(m, "served_output_tokens", f.served_output_tokens, missing);
      Get(m, "paid_chip_hours", f.paid_chip_hours, missing);
      Get(m, "up_chip_hours", f.up_chip_hours, missing);
      Get(m, "allocated_chip_hours", f.allocated_chip_hours, missing);
      Get(m, "idle_chip_hours", f.idle_chip_hours, missing);
      Get(m, "down_chip_hours", f.down_chip_hours, missing);
      Get(m, "effective_chip_hours", f.effective_chip_hours, missing);
      Get(m, "lost_effective_chip_hours", f.lost_effective_chip_hours, missing);
      Get(m, "contract_cost_usd", f.contract_cost_usd, missing);
      Get(m, "value_now_usd", f.value_now_usd, missing);
      Get(m, "value_within_usd", f.value_within_usd, missing);
      Get(m, "value_all_up_usd", f.value_all_up_usd, missing);
      Get(m, "chips_switched", f.chips_switched, missing);
      f.floor_windows = m.value("floor_windows", 0);
      f.floor_windows_met = m.value("floor_windows_met", 0);
      for (const auto& x : m.value("models", Json::array())) {
        MonthFigures::Model mm;
        mm.id = x.value("id", "");
        Get(x, "demand_output_tokens", mm.demand_output_tokens, missing);
        Get(x, "served_output_tokens", mm.served_output_tokens, missing);
        Get(x, "revenue_usd", mm.revenue_usd, missing);
        // Recorded since the review splits revenue by efficiency; older runs have none.
        mm.serving_chip_hours = x.value("serving_chip_hours", 0.0);
        mm.capacity_output_tokens = x.value("capacity_output_tokens", 0.0);
        f.models.push_back(mm);
      }
      for (const auto& x : m.value("pools", Json::array())) {
        MonthFigures::Pool pp;
        pp.id = x.value("id", "");
        pp.chip_type = x.value("chip_type", "");
        pp.contract = x.value("contract", "");
        Get(x, "paid_chip_hours", pp.paid_chip_hours, missing);
        Get(x, "allocated_chip_hours", pp.allocated_chip_hours, missing);
        Get(x, "effective_chip_hours", pp.effective_chip_hours, missing);
        Get(x, "cost_usd", pp.cost_usd, missing);
        f.pools.push_back(pp);
      }
      for (const auto& x : m.value("workloads", Json::array())) {
        MonthFigures::Workload ww;
        ww.id = x.value("id", "");
        ww.team = x.value("team", "");
        Get(x, "chip_hours", ww.chip_hours, missing);
        Get(x, "effective_chip_hours", ww.effective_chip_hours, missing);
        Get(x, "cost_usd", ww.cost_usd, missing);
        Get(x, "value_all_up_usd", ww.value_all_up_usd, missing);
        f.workloads.push_back(ww);
      }
      for (const auto& x : m.value("serving", Json::array())) {
        MonthFigures::Serving sv;
        sv.model = x.value("model", "");
        sv.chip_type = x.value("chip_type", "");
        Get(x, "chip_hours", sv.chip_hours, missing);
        Get(x, "served_output_tokens", sv.served_output_tokens, missing);
        Get(x, "capacity_output_tokens", sv.capacity_output_tokens, missing);
        f.serving.push_back(sv);
      }
      for (const auto& x : m.value("events", Json::array())) {
        MonthFigures::Event e;
        auto at = ParseUtc(x.value("at", ""));
        e.at = at.ok() ? *at : 0;
        e.kind = x.value("kind", "");
        e.subject = x.value("subject", "");
        e.detail = x.value("detail", "");
        f.events.push_back(e);
      }
      if (!missing.empty() || f.month.empty())
        return Status::Invalid(name + ": month " + (f.month.empty() ? "?" : f.month) + " of policy " +
                               rec.policies.back() + " lacks \"" + (missing.empty() ? "month" : missing) +
                               "\"");
      months.push_back(std::move(f));
    }
    rec.months.push_back(std::move(months));
  }
  return rec;
}

}  // namespace fungible
