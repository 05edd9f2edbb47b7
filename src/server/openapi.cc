// The OpenAPI 3.0 description of the API, served at /openapi.json. Kept next
// to the routes in service.cc; service_test checks every route is listed.
#include <tuple>

#include "server/service.h"

namespace fungible::server {

using nlohmann::json;

namespace {

json Ref(const std::string& name) { return {{"$ref", "#/components/schemas/" + name}}; }

json Responses(std::initializer_list<std::pair<const char*, const char*>> codes, const json& ok_schema) {
  json r = json::object();
  for (const auto& [code, text] : codes) {
    json entry = {{"description", text}};
    if (std::string(code)[0] == '2' && !ok_schema.is_null())
      entry["content"]["application/json"]["schema"] = ok_schema;
    else if (std::string(code)[0] != '2')
      entry["content"]["application/json"]["schema"] = Ref("Error");
    r[code] = entry;
  }
  return r;
}

json Op(const std::string& summary, const json& responses, bool secured = true) {
  json o = {{"summary", summary}, {"responses", responses}};
  if (!secured) o["security"] = json::array();
  return o;
}

json IdParam(const std::string& what) {
  return json::array({{{"name", "id"},
                       {"in", "path"},
                       {"required", true},
                       {"description", what},
                       {"schema", {{"type", "string"}}}}});
}

}  // namespace

json OpenApiDocument() {
  const auto common = {std::pair<const char*, const char*>{"401", "missing or invalid bearer token"},
                       {"403", "role not allowed"},
                       {"405", "method not allowed on this path (Allow lists the methods)"},
                       {"413", "body larger than --max-body-bytes (any transfer encoding)"},
                       {"415", "a request body that is not application/json"},
                       {"429", "rate limited"},
                       {"503", "not serving yet (solving, standby, recovering): retry after Retry-After"}};
  auto with_common = [&](json r) {
    for (const auto& [c, t] : common)
      r[c] = {{"description", t}, {"content", {{"application/json", {{"schema", Ref("Error")}}}}}};
    return r;
  };
  json spec_props = {
      {"idempotency_key",
       {{"type", "string"},
        {"maxLength", 200},
        {"description", "unique per team; a retry returns the first job"}}},
      {"name", {{"type", "string"}}},
      {"team", {{"type", "string"}}},
      {"workload", {{"type", "string"}, {"description", "workload class id from the fleet spec"}}},
      {"chip_types",
       {{"type", "array"},
        {"items", {{"type", "string"}}},
        {"description", "acceptable chip types, preferred first"}}},
      {"platform", {{"type", "string"}}},
      {"generation", {{"type", "string"}}},
      {"gang_size_chips",
       {{"type", "integer"},
        {"minimum", 0},
        {"description",
         "> 0: all-or-nothing gang in one interconnect domain (or whole domains of one pool)"}}},
      {"min_chips", {{"type", "integer"}, {"minimum", 1}}},
      {"max_chips", {{"type", "integer"}, {"minimum", 1}}},
      {"priority", {{"type", "integer"}}},
      {"preemptible", {{"type", "boolean"}, {"default", true}}},
      {"checkpoint_interval_s", {{"type", "integer"}, {"minimum", 0}}},
      {"expected_duration_s", {{"type", "integer"}, {"minimum", 1}}},
      {"run", Ref("RunSpec")}};
  json doc = {
      {"openapi", "3.0.3"},
      {"info",
       {{"title", "fungible serve"},
        {"version", "0.1.0"},
        {"description",
         "Admits and places jobs by the allocation plan: team quotas per chip type per period."}}},
      {"servers", json::array({{{"url", "http://127.0.0.1:8080"}}})},
      {"security", json::array({{{"bearer", json::array()}}})},
      {"components",
       {{"securitySchemes", {{"bearer", {{"type", "http"}, {"scheme", "bearer"}}}}},
        {"schemas",
         {{"Error",
           {{"type", "object"},
            {"required", {"error"}},
            {"properties",
             {{"error",
               {{"type", "object"},
                {"required", {"status", "message"}},
                {"properties", {{"status", {{"type", "string"}}}, {"message", {{"type", "string"}}}}}}}}}}},
          {"RunSpec",
           {{"type", "object"},
            {"description", "what the job runs: exactly one of command or script"},
            {"additionalProperties", false},
            {"properties",
             {{"command", {{"type", "array"}, {"items", {{"type", "string"}}}, {"description", "argv"}}},
              {"script", {{"type", "string"}, {"description", "batch script text, starting #!"}}},
              {"env", {{"type", "object"}, {"additionalProperties", {{"type", "string"}}}}},
              {"workdir", {{"type", "string"}}},
              {"image", {{"type", "string"}}},
              {"time_limit_s", {{"type", "integer"}, {"minimum", 1}}},
              {"preempt_signal", {{"type", "string"}, {"default", "TERM"}}},
              {"grace_s", {{"type", "integer"}, {"minimum", 0}, {"default", 60}}},
              {"stdout", {{"type", "string"}}},
              {"stderr", {{"type", "string"}}}}}}},
          {"Outcome",
           {{"type", "object"},
            {"properties",
             {{"result",
               {{"type", "string"},
                {"enum", {"completed", "failed", "timeout", "node_fail", "cancelled", "preempted"}}}},
              {"exit_code", {{"type", "integer"}}},
              {"started_at", {{"type", "string"}, {"format", "date-time"}}},
              {"ended_at", {{"type", "string"}, {"format", "date-time"}}},
              {"chip_hours", {{"type", "number"}}},
              {"backend_id", {{"type", "string"}}}}}}},
          {"TokenUsage",
           {{"type", "object"},
            {"required", {"model", "team", "from", "to"}},
            {"additionalProperties", false},
            {"properties",
             {{"model", {{"type", "string"}}},
              {"team", {{"type", "string"}}},
              {"pool", {{"type", "string"}}},
              {"from", {{"type", "string"}, {"format", "date-time"}}},
              {"to", {{"type", "string"}, {"format", "date-time"}}},
              {"input_tokens", {{"type", "integer"}, {"minimum", 0}}},
              {"output_tokens", {{"type", "integer"}, {"minimum", 0}}},
              {"cached_input_tokens", {{"type", "integer"}, {"minimum", 0}}}}}}},
          {"JobSpec",
           {{"type", "object"},
            {"required", {"team"}},
            {"additionalProperties", false},
            {"properties", spec_props}}},
          {"Job",
           {{"type", "object"},
            {"properties",
             {{"id", {{"type", "string"}}},
              {"spec", Ref("JobSpec")},
              {"state",
               {{"type", "string"}, {"enum", {"queued", "running", "succeeded", "cancelled", "failed"}}}},
              {"pool", {{"type", "string"}}},
              {"chip_type", {{"type", "string"}}},
              {"chips", {{"type", "integer"}}},
              {"borrowed_chips", {{"type", "integer"}}},
              {"slices", {{"type", "array"}, {"items", {{"type", "object"}}}}},
              {"done_s", {{"type", "integer"}}},
              {"restarts", {{"type", "integer"}}},
              {"lost_chip_hours", {{"type", "number"}}},
              {"wait_reason", {{"type", "string"}}},
              {"used_chip_hours", {{"type", "number"}}},
              {"outcome", Ref("Outcome")}}}}},
          {"Decision",
           {{"type", "object"},
            {"properties",
             {{"seq", {{"type", "integer"}}},
              {"at_utc", {{"type", "string"}}},
              {"job_id", {{"type", "string"}}},
              {"action", {{"type", "string"}}},
              {"reason", {{"type", "string"}}},
              {"pool", {{"type", "string"}}},
              {"chips", {{"type", "integer"}}},
              {"lost_chip_hours", {{"type", "number"}}}}}}}}}}},
      {"paths", json::object()}};
  json& p = doc["paths"];
  p["/healthz"]["get"] =
      Op("health: {\"status\": \"ok\"} while serving; 503 with \"solving\", \"standby\", \"recovering\" or "
         "\"failed\" otherwise",
         Responses({{"200", "ok: serving"}, {"503", "not serving (yet)"}}, {{"type", "object"}}), false);
  p["/openapi.json"]["get"] =
      Op("this document", Responses({{"200", "OpenAPI document"}}, {{"type", "object"}}), false);
  p["/metrics"]["get"] =
      Op("Prometheus metrics (text format)", with_common(Responses({{"200", "metrics"}}, json())));
  p["/v1/fleet"]["get"] =
      Op("the fleet and its pools", with_common(Responses({{"200", "fleet"}}, {{"type", "object"}})));
  p["/v1/pools"]["get"] =
      Op("pools with used chips and state", with_common(Responses({{"200", "pools"}}, {{"type", "object"}})));
  p["/v1/quotas"]["get"] = Op("the quota plan: quotas per team, chip type and period; usage",
                              with_common(Responses({{"200", "plan"}}, {{"type", "object"}})));
  p["/v1/quotas/resolve"]["post"] =
      Op("re-solve the allocation now (admin)",
         with_common(
             Responses({{"200", "new plan"},
                        {"400", "no plan source"},
                        {"409", "the allocation is infeasible: the current plan stays; reason says why"}},
                       {{"type", "object"}})));
  auto query = [](const char* name, const char* type, const std::string& what) {
    return json{{"name", name},
                {"in", "query"},
                {"required", false},
                {"description", what},
                {"schema", {{"type", type}}}};
  };
  json filters = json::array({query("team", "string", "only this team's jobs"),
                              query("state", "string", "queued, running, succeeded, cancelled or failed"),
                              query("pool", "string", "only jobs placed on this pool")});
  json watch_params = filters;
  watch_params.push_back(query("resource_version", "string",
                               "the events after this version (from a list or the previous poll); "
                               "default: from now"));
  watch_params.push_back(
      query("timeout_s", "integer", "answer with no events after this long (default 30, at most 300)"));
  json list_params = filters;
  list_params.push_back(query("limit", "integer", "jobs per page (default 1000, at most 100000)"));
  list_params.push_back(query("continue", "string", "the previous page's continue token (opaque)"));
  list_params.push_back(query("watch", "string",
                              "1: a long poll for changes of the matching jobs instead of a list (answers as "
                              "GET /v1/watch, job events only; takes resource_version and timeout_s)"));
  list_params.push_back(watch_params[3]);
  list_params.push_back(watch_params[4]);
  json event = {{"type", "object"},
                {"required", {"type", "resource_version"}},
                {"properties",
                 {{"type", {{"type", "string"}, {"enum", {"job", "fleet"}}}},
                  {"resource_version", {{"type", "string"}}},
                  {"job", Ref("Job")},
                  {"decision", Ref("Decision")}}}};
  json events = {
      {"type", "object"},
      {"required", {"events", "resource_version"}},
      {"properties",
       {{"events", {{"type", "array"}, {"items", event}}}, {"resource_version", {{"type", "string"}}}}}};
  p["/v1/jobs"]["get"] = Op(
      "list jobs, a page at a time in job id order (submission order); or, with watch=1, wait for their "
      "changes",
      with_common(Responses({{"200", "jobs (or events with watch=1)"},
                             {"400", "bad filter, limit or continue token"},
                             {"410", "resource_version too old or from an earlier server: list again"}},
                            {{"type", "object"},
                             {"properties",
                              {{"jobs", {{"type", "array"}, {"items", Ref("Job")}}},
                               {"count", {{"type", "integer"}}},
                               {"resource_version",
                                {{"type", "string"}, {"description", "where a watch from this list starts"}}},
                               {"continue", {{"type", "string"}, {"description", "absent on the last page"}}},
                               {"events", events["properties"]["events"]}}}})));
  p["/v1/jobs"]["get"]["parameters"] = list_params;
  p["/v1/watch"]["get"] =
      Op("long poll: the changes of jobs (type job) and of the fleet and plan (type fleet: plan updated, "
         "period change, pool down or up) after resource_version, as soon as there is one",
         with_common(Responses({{"200", "events (empty after timeout_s)"},
                                {"400", "bad parameter"},
                                {"410", "resource_version too old or from an earlier server: list again"}},
                               events)));
  p["/v1/watch"]["get"]["parameters"] = watch_params;
  p["/v1/jobs"]["post"] =
      Op("submit a job (team: own team only)",
         with_common(Responses({{"201", "created"},
                                {"200", "idempotent replay"},
                                {"400", "invalid job"},
                                {"409", "idempotency key reused with a different request"},
                                {"413", "body too large"}},
                               Ref("Job"))));
  p["/v1/jobs"]["post"]["requestBody"] = {{"required", true},
                                          {"content", {{"application/json", {{"schema", Ref("JobSpec")}}}}}};
  p["/v1/jobs"]["post"]["parameters"] = json::array({{{"name", "Idempotency-Key"},
                                                      {"in", "header"},
                                                      {"required", false},
                                                      {"schema", {{"type", "string"}}}}});
  p["/v1/jobs/{id}"]["get"] =
      Op("one job", with_common(Responses({{"200", "job"}, {"404", "unknown job"}}, Ref("Job"))));
  p["/v1/jobs/{id}"]["get"]["parameters"] = IdParam("job id");
  p["/v1/jobs/{id}"]["delete"] =
      Op("cancel the job (team: own team only); POST /v1/jobs/{id}/cancel is an alias",
         with_common(Responses({{"200", "cancelled"}, {"404", "unknown job"}, {"409", "already ended"}},
                               Ref("Job"))));
  p["/v1/jobs/{id}"]["delete"]["parameters"] = IdParam("job id");
  p["/v1/jobs/{id}/decisions"]["get"] =
      Op("every decision about the job, with reasons (fungible explain)",
         with_common(Responses({{"200", "decisions"}, {"404", "unknown job"}}, {{"type", "object"}})));
  p["/v1/jobs/{id}/decisions"]["get"]["parameters"] = IdParam("job id");
  p["/v1/jobs/{id}/cancel"]["post"] =
      Op("cancel (team: own team only); alias of DELETE /v1/jobs/{id}",
         with_common(Responses({{"200", "cancelled"}, {"404", "unknown job"}, {"409", "already ended"}},
                               Ref("Job"))));
  p["/v1/jobs/{id}/cancel"]["post"]["parameters"] = IdParam("job id");
  for (const char* a : {"down", "up"}) {
    std::string path = std::string("/v1/pools/{id}/") + a;
    p[path]["post"] =
        Op(std::string("mark the pool ") + a + " (admin); down requeues its jobs from their checkpoints",
           with_common(Responses({{"200", "pools"}, {"404", "unknown pool"}}, {{"type", "object"}})));
    p[path]["post"]["parameters"] = IdParam("pool id");
  }
  p["/v1/schedule"]["post"] = Op("run a scheduling pass now (admin)",
                                 with_common(Responses({{"200", "done"}}, {{"type", "object"}})));
  p["/v1/clock/advance"]["post"] =
      Op("advance the virtual clock (admin; --clock virtual only)",
         with_common(Responses({{"200", "new time"}, {"409", "system clock"}}, {{"type", "object"}})));
  p["/ui"]["get"] = Op("the live dashboard (HTML page; its data comes from /ui/data with a token)",
                       Responses({{"200", "HTML page"}}, json()), false);
  p["/ui"]["get"]["responses"]["200"]["content"]["text/html"]["schema"] = {{"type", "string"}};
  p["/ui/data"]["get"] =
      Op("the dashboard's live figures", with_common(Responses({{"200", "figures"}}, {{"type", "object"}})));
  for (const auto& [old_path, method, now] : {std::tuple{"/v1/plan", "get", "GET /v1/quotas"},
                                              {"/v1/plan/resolve", "post", "POST /v1/quotas/resolve"}}) {
    p[old_path][method] =
        Op(std::string("renamed: answers 404 naming ") + now, Responses({{"404", "renamed"}}, json()), false);
    p[old_path][method]["deprecated"] = true;
  }
  p["/v1/audit"]["get"] = Op("audit log, newest first (admin)",
                             with_common(Responses({{"200", "audit entries"}}, {{"type", "object"}})));
  p["/v1/usage/tokens"]["post"] =
      Op("report tokens served per model per interval (team: own team only); a report for the same team, "
         "model, pool and interval replaces the earlier one",
         with_common(Responses({{"201", "stored"}, {"400", "invalid report"}}, Ref("TokenUsage"))));
  p["/v1/usage/tokens"]["post"]["requestBody"] = {
      {"required", true}, {"content", {{"application/json", {{"schema", Ref("TokenUsage")}}}}}};
  return doc;
}

}  // namespace fungible::server
