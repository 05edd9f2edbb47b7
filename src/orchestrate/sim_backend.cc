#include "orchestrate/sim_backend.h"

#include <algorithm>
#include <chrono>

namespace fungible::orchestrate {

UtcSeconds SystemClock::Now() const {
  return std::chrono::duration_cast<std::chrono::seconds>(std::chrono::system_clock::now().time_since_epoch())
      .count();
}

StatusOr<std::string> SimBackend::Launch(const LaunchRequest& request) {
  if (running_.count(request.job_id))
    return Status::Internal("sim: job " + request.job_id + " already running");
  running_[request.job_id] = request;
  ends_at_[request.job_id] = clock_.Now() + request.run_s;
  by_end_.insert({clock_.Now() + request.run_s, request.job_id});
  ++launches_;
  return "sim-" + std::to_string(launches_);
}

Status SimBackend::Stop(const std::string& job_id, const std::string& /*backend_id*/) {
  running_.erase(job_id);
  if (auto it = ends_at_.find(job_id); it != ends_at_.end()) {
    by_end_.erase({it->second, job_id});
    ends_at_.erase(it);
  }
  return Status::Ok();
}

StatusOr<std::vector<BackendEvent>> SimBackend::Poll() {
  std::vector<BackendEvent> events = std::move(pending_);
  pending_.clear();
  const UtcSeconds now = clock_.Now();
  while (!by_end_.empty() && by_end_.begin()->first <= now) {
    auto [end, id] = *by_end_.begin();
    by_end_.erase(by_end_.begin());
    events.push_back(BackendEvent::Of(BackendEvent::Kind::kJobFinished, id, "", end, "ran to completion"));
    running_.erase(id);
    ends_at_.erase(id);
  }
  return events;
}

StatusOr<std::vector<std::string>> SimBackend::ListRunning() {
  std::vector<std::string> ids;
  for (const auto& [id, _] : running_) ids.push_back(id);
  return ids;
}

void SimBackend::InjectPoolFailure(const std::string& pool) {
  const UtcSeconds now = clock_.Now();
  pending_.push_back(BackendEvent::Of(BackendEvent::Kind::kPoolDown, "", pool, now, "injected failure"));
  for (auto it = running_.begin(); it != running_.end();) {
    if (it->second.pool == pool) {
      pending_.push_back(
          BackendEvent::Of(BackendEvent::Kind::kJobFailed, it->first, pool, now, "pool " + pool + " failed"));
      by_end_.erase({ends_at_[it->first], it->first});
      ends_at_.erase(it->first);
      it = running_.erase(it);
    } else {
      ++it;
    }
  }
}

void SimBackend::InjectPoolRecovery(const std::string& pool) {
  pending_.push_back(BackendEvent::Of(BackendEvent::Kind::kPoolUp, "", pool, clock_.Now(), "recovered"));
}

}  // namespace fungible::orchestrate
