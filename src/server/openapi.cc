// The OpenAPI 3.0 description of the API, served at /openapi.json. Kept next
// to the routes in service.cc; service_test checks every route is listed.
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
  json list_params = json::array();
  for (const char* q : {"team", "state", "pool", "limit"})
    list_params.push_back({{"name", q},
                           {"in", "query"},
                           {"required", false},
                           {"schema", {{"type", std::string(q) == "limit" ? "integer" : "string"}}}});
  p["/v1/jobs"]["get"] =
      Op("list jobs", with_common(Responses({{"200", "jobs"}, {"400", "bad filter"}}, {{"type", "object"}})));
  p["/v1/jobs"]["get"]["parameters"] = list_params;
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
  p["/v1/jobs/{id}/decisions"]["get"] =
      Op("every decision about the job, with reasons (fungible explain)",
         with_common(Responses({{"200", "decisions"}, {"404", "unknown job"}}, {{"type", "object"}})));
  p["/v1/jobs/{id}/decisions"]["get"]["parameters"] = IdParam("job id");
  p["/v1/jobs/{id}/cancel"]["post"] =
      Op("cancel (team: own team only)",
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
