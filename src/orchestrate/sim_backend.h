// An in-process cluster on a virtual (or real) clock: a launched job runs for
// exactly its run_s and then finishes. Pool failures are injected by tests and
// by `simulate`. Not thread-safe; the scheduler's owner serialises calls.
#pragma once

#include <map>
#include <set>
#include <string>
#include <vector>

#include "orchestrate/backend.h"

namespace fungible::orchestrate {

class SimBackend final : public Backend {
 public:
  // REQUIRES: `clock` outlives the backend.
  explicit SimBackend(const Clock& clock) : clock_(clock) {}

  std::string Name() const override { return "sim"; }
  StatusOr<std::string> Launch(const LaunchRequest& request) override;
  Status Stop(const std::string& job_id, const std::string& backend_id) override;
  StatusOr<std::vector<BackendEvent>> Poll() override;
  StatusOr<std::vector<std::string>> ListRunning() override;

  // Fails every job on `pool` and reports the pool down at the next Poll.
  void InjectPoolFailure(const std::string& pool);
  void InjectPoolRecovery(const std::string& pool);

  // Introspection for tests: what runs where.
  const std::map<std::string, LaunchRequest>& running() const { return running_; }
  int launches() const { return launches_; }

 private:
  const Clock& clock_;
  std::map<std::string, LaunchRequest> running_;         // by job id
  std::map<std::string, UtcSeconds> ends_at_;            // by job id
  std::set<std::pair<UtcSeconds, std::string>> by_end_;  // (end, job id): Poll reads only what is due
  std::vector<BackendEvent> pending_;
  int launches_ = 0;
};

}  // namespace fungible::orchestrate
