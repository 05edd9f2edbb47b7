#include "server/ui.h"

#include <limits>
#include <map>

#include "orchestrate/job.h"
#include "report/page.h"
#include "util/time.h"

namespace fungible::server {

report::Json UiLiveFigures(const orchestrate::Scheduler& scheduler, const nlohmann::json& fleet,
                           UtcSeconds now) {
  using report::Json;
  Json pools = Json::array();
  for (const auto& p : scheduler.Pools())
    pools.push_back({{"id", p.id},
                     {"chip_type", p.chip_type},
                     {"capacity_chips", p.up ? p.chips : 0},
                     {"used_chips", p.used_chips},
                     {"up", p.up}});
  // Every job, counted by state and, running, by team.
  Json by_state = Json::object();
  for (auto s :
       {orchestrate::JobState::kQueued, orchestrate::JobState::kRunning, orchestrate::JobState::kSucceeded,
        orchestrate::JobState::kCancelled, orchestrate::JobState::kFailed})
    by_state[orchestrate::JobStateName(s)] = 0;
  std::map<std::string, int> running;
  orchestrate::JobFilter all;
  all.limit = std::numeric_limits<int>::max();
  for (const orchestrate::Job* j : scheduler.List(all)) {
    by_state[orchestrate::JobStateName(j->state)] =
        by_state[orchestrate::JobStateName(j->state)].get<int>() + 1;
    if (j->state == orchestrate::JobState::kRunning) ++running[j->spec.team];
  }
  const orchestrate::QuotaPlan& plan = scheduler.plan();
  const int period = scheduler.current_period();
  Json teams = Json::array();
  for (const auto& team : plan.Teams()) {
    int used = 0, quota = 0;
    for (const auto& chip : plan.ChipTypes()) {
      used += scheduler.Usage(team, chip);
      auto t = plan.quota_chips.find(team);
      if (t == plan.quota_chips.end()) continue;
      auto c = t->second.find(chip);
      if (c != t->second.end() && period >= 0 && period < static_cast<int>(c->second.size()))
        quota += c->second[period];
    }
    teams.push_back(
        {{"team", team}, {"used_chips", used}, {"quota_chips", quota}, {"running_jobs", running[team]}});
  }
  // The quota plan over its periods: chips per team (all chip types).
  Json periods = Json::array();
  for (UtcSeconds t : plan.period_starts) periods.push_back(FormatRfc3339(t));
  Json quota = Json::array();
  for (const auto& [team, chips] : plan.quota_chips) {
    std::vector<int> sum(plan.period_starts.size(), 0);
    for (const auto& [chip, v] : chips)
      for (size_t i = 0; i < v.size() && i < sum.size(); ++i) sum[i] += v[i];
    quota.push_back({{"team", team}, {"chips", sum}});
  }
  return {{"fungible_report", report::kFiguresFormat},
          {"fleet", fleet.is_object() ? fleet.value("name", std::string()) : std::string()},
          {"live",
           {{"now", FormatRfc3339(now)},
            {"pools", pools},
            {"jobs_by_state", by_state},
            {"teams", teams},
            {"periods", periods},
            {"current_period", period},
            {"quota", quota}}}};
}

void InstallUiRoutes(const UiRouter& route, std::function<report::Json()> live) {
  route("GET", "/ui", false, [](const HttpRequest&, HttpResponse& res) {
    static const std::string page = report::RenderDashboardHtml("/ui/data", kUiRefreshSeconds);
    res.status = 200;
    res.set_header("Cache-Control", "no-store");
    res.set_content(page, "text/html; charset=utf-8");
  });
  route("GET", "/ui/data", true, [live = std::move(live)](const HttpRequest&, HttpResponse& res) {
    res.status = 200;
    res.set_header("Cache-Control", "no-store");
    res.set_content(live().dump(), "application/json");
  });
}

}  // namespace fungible::server
