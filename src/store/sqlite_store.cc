// SQLite store: WAL journal, synchronous=FULL (a committed transaction
// survives power loss), one connection owned by the store. Opening runs
// `PRAGMA quick_check` and the schema-version check; ownership is flock(2)
// on "<file>.lock".
#include <fcntl.h>
#include <sqlite3.h>
#include <sys/file.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdlib>
#include <cstring>

#include "store/sql.h"
#include "store/store.h"

namespace fungible::store {

namespace {

using orchestrate::Decision;
using orchestrate::Job;

class Stmt {
 public:
  Stmt(sqlite3* db, const char* text) { rc_ = sqlite3_prepare_v2(db, text, -1, &stmt_, nullptr); }
  ~Stmt() { sqlite3_finalize(stmt_); }
  Stmt(const Stmt&) = delete;
  Stmt& operator=(const Stmt&) = delete;
  bool ok() const { return rc_ == SQLITE_OK; }
  sqlite3_stmt* get() { return stmt_; }
  void Bind(int i, const std::string& v) {
    sqlite3_bind_text(stmt_, i, v.data(), static_cast<int>(v.size()), SQLITE_TRANSIENT);
  }
  void Bind(int i, std::int64_t v) { sqlite3_bind_int64(stmt_, i, v); }
  void Reset() {
    sqlite3_reset(stmt_);
    sqlite3_clear_bindings(stmt_);
  }
  std::string Text(int col) {
    const unsigned char* t = sqlite3_column_text(stmt_, col);
    return t ? reinterpret_cast<const char*>(t) : "";
  }

 private:
  sqlite3_stmt* stmt_ = nullptr;
  int rc_ = SQLITE_ERROR;
};

class SqliteStore final : public Store {
 public:
  SqliteStore(sqlite3* db, std::string path) : db_(db), path_(std::move(path)) {}
  ~SqliteStore() override {
    sqlite3_close(db_);
    if (lock_fd_ >= 0) close(lock_fd_);  // releases the flock
  }

  std::string Describe() const override { return "sqlite:" + path_; }

  Status Commit(const Batch& batch) override {
    if (batch.empty()) return Status::Ok();
    FUNGIBLE_RETURN_IF_ERROR(Exec("BEGIN IMMEDIATE"));
    Status st = WriteBatch(batch);
    if (!st.ok()) {
      (void)Exec("ROLLBACK");
      return st;
    }
    st = Exec("COMMIT");
    if (!st.ok()) (void)Exec("ROLLBACK");
    return st;
  }

  StatusOr<std::vector<Job>> LoadJobs() override {
    Stmt s(db_, sql::kLoadJobs);
    if (!s.ok()) return Error("prepare load jobs");
    std::vector<Job> out;
    int rc;
    while ((rc = sqlite3_step(s.get())) == SQLITE_ROW) {
      auto job = ParseJob(s.Text(0));
      if (!job.ok()) return job.status();
      out.push_back(std::move(job).value());
    }
    if (rc != SQLITE_DONE) return Error("load jobs");
    return out;
  }

  StatusOr<std::vector<Decision>> Decisions(const std::string& job_id) override {
    Stmt s(db_, sql::kDecisions);
    if (!s.ok()) return Error("prepare decisions");
    s.Bind(1, job_id);
    std::vector<Decision> out;
    int rc;
    while ((rc = sqlite3_step(s.get())) == SQLITE_ROW) {
      auto d = ParseDecision(s.Text(0));
      if (!d.ok()) return d.status();
      out.push_back(std::move(d).value());
    }
    if (rc != SQLITE_DONE) return Error("read decisions");
    return out;
  }

  StatusOr<std::int64_t> MaxDecisionSeq() override { return ScalarInt(sql::kMaxDecision); }
  StatusOr<std::int64_t> MaxAuditSeq() override { return ScalarInt(sql::kMaxAudit); }

  StatusOr<std::vector<AuditEntry>> Audit(int limit) override {
    Stmt s(db_, sql::kAudit);
    if (!s.ok()) return Error("prepare audit");
    s.Bind(1, static_cast<std::int64_t>(limit));
    std::vector<AuditEntry> out;
    int rc;
    while ((rc = sqlite3_step(s.get())) == SQLITE_ROW) {
      AuditEntry e;
      e.seq = sqlite3_column_int64(s.get(), 0);
      e.at = sqlite3_column_int64(s.get(), 1);
      e.principal = s.Text(2);
      e.role = s.Text(3);
      e.method = s.Text(4);
      e.path = s.Text(5);
      e.http_status = sqlite3_column_int(s.get(), 6);
      e.detail = s.Text(7);
      out.push_back(std::move(e));
    }
    if (rc != SQLITE_DONE) return Error("read audit");
    return out;
  }

  StatusOr<std::vector<TokenUsage>> LoadTokenUsage(UtcSeconds from, UtcSeconds to) override {
    Stmt s(db_, sql::kLoadUsage);
    if (!s.ok()) return Error("prepare load token usage");
    s.Bind(1, static_cast<std::int64_t>(from));
    s.Bind(2, static_cast<std::int64_t>(to));
    std::vector<TokenUsage> out;
    int rc;
    while ((rc = sqlite3_step(s.get())) == SQLITE_ROW) {
      TokenUsage u;
      u.team = s.Text(0);
      u.model = s.Text(1);
      u.pool = s.Text(2);
      u.from = sqlite3_column_int64(s.get(), 3);
      u.to = sqlite3_column_int64(s.get(), 4);
      u.input_tokens = sqlite3_column_int64(s.get(), 5);
      u.output_tokens = sqlite3_column_int64(s.get(), 6);
      u.cached_input_tokens = sqlite3_column_int64(s.get(), 7);
      u.reported_by = s.Text(8);
      u.reported_at = sqlite3_column_int64(s.get(), 9);
      out.push_back(std::move(u));
    }
    if (rc != SQLITE_DONE) return Error("load token usage");
    return out;
  }

  Status PutToken(const TokenRecord& r) override {
    Stmt s(db_, sql::kPutToken);
    if (!s.ok()) return Error("prepare put token");
    s.Bind(1, r.name);
    s.Bind(2, r.sha256_hex);
    s.Bind(3, r.role);
    s.Bind(4, r.team);
    s.Bind(5, r.created_at);
    s.Bind(6, r.expires_at);
    s.Bind(7, r.last_used_at);
    if (sqlite3_step(s.get()) != SQLITE_DONE) return Error("put token " + r.name);
    return Status::Ok();
  }

  StatusOr<bool> DeleteToken(const std::string& name) override {
    Stmt s(db_, sql::kDeleteToken);
    if (!s.ok()) return Error("prepare delete token");
    s.Bind(1, name);
    if (sqlite3_step(s.get()) != SQLITE_DONE) return Error("delete token " + name);
    return sqlite3_changes(db_) > 0;
  }

  StatusOr<bool> TryOwn() override {
    if (lock_fd_ >= 0) return true;
    const std::string lock_path = path_ + ".lock";
    int fd = open(lock_path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
    if (fd < 0)
      return Status(StatusCode::kUnavailable,
                    lock_path + ": cannot open the lock file: " + std::strerror(errno));
    if (flock(fd, LOCK_EX | LOCK_NB) != 0) {
      const int err = errno;
      char buf[32] = {0};
      ssize_t n = pread(fd, buf, sizeof buf - 1, 0);
      close(fd);
      if (err != EWOULDBLOCK)
        return Status(StatusCode::kUnavailable, lock_path + ": flock: " + std::strerror(err));
      std::string pid = n > 0 ? std::string(buf, static_cast<size_t>(n)) : "";
      while (!pid.empty() && (pid.back() == '\n' || pid.back() == ' ')) pid.pop_back();
      owner_ = pid.empty() ? "another process (lock file " + lock_path + ")"
                           : "process " + pid + " (lock file " + lock_path + ")";
      return false;
    }
    const std::string pid = std::to_string(getpid()) + "\n";
    if (ftruncate(fd, 0) != 0 || pwrite(fd, pid.data(), pid.size(), 0) != static_cast<ssize_t>(pid.size())) {
      close(fd);
      return Status(StatusCode::kUnavailable, lock_path + ": cannot write the owner's pid");
    }
    lock_fd_ = fd;
    return true;
  }
  std::string Owner() const override { return owner_; }

  // quick_check, then the schema (created or migrated) and its version.
  Status Check() {
    Stmt s(db_, "PRAGMA quick_check");
    std::string problems;
    int rc = s.ok() ? SQLITE_OK : sqlite3_errcode(db_);
    if (s.ok()) {
      while ((rc = sqlite3_step(s.get())) == SQLITE_ROW) {
        std::string line = s.Text(0);
        if (line == "ok") continue;
        std::replace(line.begin(), line.end(), '\n', ' ');  // one line for the log
        if (problems.size() < 400) problems += (problems.empty() ? "" : "; ") + line;
      }
    }
    if (problems.empty() && rc != SQLITE_DONE) problems = sqlite3_errmsg(db_);
    if (!problems.empty())
      return Status(
          StatusCode::kUnavailable,
          "sqlite:" + path_ + ": the store is damaged (PRAGMA quick_check: " + problems +
              "); refusing to use it. Restore the file from a backup, or move it aside (with its -wal "
              "and -shm files) to start with an empty store");
    FUNGIBLE_RETURN_IF_ERROR(Exec(kSchemaSql));
    FUNGIBLE_RETURN_IF_ERROR(Exec(sql::kMetaTable));
    FUNGIBLE_RETURN_IF_ERROR(Exec("BEGIN IMMEDIATE"));
    Status st = Migrate();
    if (!st.ok()) {
      (void)Exec("ROLLBACK");
      return st;
    }
    return Exec("COMMIT");
  }

  StatusOr<std::vector<TokenRecord>> LoadTokens() override {
    Stmt s(db_, sql::kLoadTokens);
    if (!s.ok()) return Error("prepare load tokens");
    std::vector<TokenRecord> out;
    int rc;
    while ((rc = sqlite3_step(s.get())) == SQLITE_ROW)
      out.push_back({s.Text(0), s.Text(1), s.Text(2), s.Text(3), sqlite3_column_int64(s.get(), 4),
                     sqlite3_column_int64(s.get(), 5), sqlite3_column_int64(s.get(), 6)});
    if (rc != SQLITE_DONE) return Error("load tokens");
    return out;
  }

  Status Exec(const char* text) {
    char* err = nullptr;
    int rc = sqlite3_exec(db_, text, nullptr, nullptr, &err);
    if (rc == SQLITE_OK) return Status::Ok();
    std::string msg = err ? err : sqlite3_errstr(rc);
    sqlite3_free(err);
    return Status(StatusCode::kUnavailable, Describe() + ": " + msg);
  }

 private:
  Status Error(const std::string& what) const {
    return Status(StatusCode::kUnavailable, Describe() + ": " + what + ": " + sqlite3_errmsg(db_));
  }

  static StatusOr<Job> ParseJob(const std::string& body) {
    auto j = nlohmann::json::parse(body, nullptr, /*allow_exceptions=*/false);
    if (j.is_discarded()) return Status::Internal("stored job is not JSON");
    return orchestrate::JobFromJson(j);
  }
  static StatusOr<Decision> ParseDecision(const std::string& body) {
    auto j = nlohmann::json::parse(body, nullptr, /*allow_exceptions=*/false);
    if (j.is_discarded()) return Status::Internal("stored decision is not JSON");
    return orchestrate::DecisionFromJson(j);
  }

  Status Migrate() {
    int version = 1;  // a store without a version row predates fungible_meta
    {
      Stmt s(db_, sql::kSchemaVersionGet);
      if (!s.ok()) return Error("read schema version");
      int rc = sqlite3_step(s.get());
      if (rc == SQLITE_ROW)
        version = std::atoi(s.Text(0).c_str());
      else if (rc != SQLITE_DONE)
        return Error("read schema version");
    }
    if (version > kSchemaVersion)
      return Status(StatusCode::kUnavailable, Describe() + ": schema version " + std::to_string(version) +
                                                  " is newer than this build of "
                                                  "fungible understands (" +
                                                  std::to_string(kSchemaVersion) + "); use a newer fungible");
    if (version < 2)
      for (const char* stmt : sql::kMigrateTo2) FUNGIBLE_RETURN_IF_ERROR(Exec(stmt));
    if (version == kSchemaVersion) return Status::Ok();
    Stmt s(db_, sql::kSchemaVersionSet);
    if (!s.ok()) return Error("prepare schema version");
    s.Bind(1, std::to_string(kSchemaVersion));
    if (sqlite3_step(s.get()) != SQLITE_DONE) return Error("write schema version");
    return Status::Ok();
  }

  StatusOr<std::int64_t> ScalarInt(const char* text) {
    Stmt s(db_, text);
    if (!s.ok() || sqlite3_step(s.get()) != SQLITE_ROW) return Error(text);
    return static_cast<std::int64_t>(sqlite3_column_int64(s.get(), 0));
  }

  Status WriteBatch(const Batch& batch) {
    if (!batch.jobs.empty()) {
      Stmt s(db_, sql::kUpsertJob);
      if (!s.ok()) return Error("prepare upsert job");
      for (const auto& job : batch.jobs) {
        s.Bind(1, job.id);
        s.Bind(2, job.spec.team);
        s.Bind(3, job.spec.idempotency_key);
        s.Bind(4, std::string(orchestrate::JobStateName(job.state)));
        s.Bind(5, job.submit_seq);
        s.Bind(6, orchestrate::JobToJson(job).dump());
        if (sqlite3_step(s.get()) != SQLITE_DONE) return Error("write job " + job.id);
        s.Reset();
      }
    }
    if (!batch.decisions.empty()) {
      Stmt s(db_, sql::kInsertDecision);
      if (!s.ok()) return Error("prepare insert decision");
      for (const auto& d : batch.decisions) {
        s.Bind(1, d.seq);
        s.Bind(2, d.at);
        s.Bind(3, d.job_id);
        s.Bind(4, d.action);
        s.Bind(5, orchestrate::DecisionToJson(d).dump());
        if (sqlite3_step(s.get()) != SQLITE_DONE) return Error("write decision");
        s.Reset();
      }
    }
    if (!batch.audit.empty()) {
      Stmt s(db_, sql::kInsertAudit);
      if (!s.ok()) return Error("prepare insert audit");
      for (const auto& a : batch.audit) {
        s.Bind(1, a.seq);
        s.Bind(2, a.at);
        s.Bind(3, a.principal);
        s.Bind(4, a.role);
        s.Bind(5, a.method);
        s.Bind(6, a.path);
        s.Bind(7, static_cast<std::int64_t>(a.http_status));
        s.Bind(8, a.detail);
        if (sqlite3_step(s.get()) != SQLITE_DONE) return Error("write audit");
        s.Reset();
      }
    }
    if (!batch.usage.empty()) {
      Stmt s(db_, sql::kUpsertUsage);
      if (!s.ok()) return Error("prepare upsert token usage");
      for (const auto& u : batch.usage) {
        s.Bind(1, u.team);
        s.Bind(2, u.model);
        s.Bind(3, u.pool);
        s.Bind(4, static_cast<std::int64_t>(u.from));
        s.Bind(5, static_cast<std::int64_t>(u.to));
        s.Bind(6, u.input_tokens);
        s.Bind(7, u.output_tokens);
        s.Bind(8, u.cached_input_tokens);
        s.Bind(9, u.reported_by);
        s.Bind(10, static_cast<std::int64_t>(u.reported_at));
        if (sqlite3_step(s.get()) != SQLITE_DONE) return Error("write token usage");
        s.Reset();
      }
    }
    if (!batch.token_uses.empty()) {
      Stmt s(db_, sql::kTouchToken);
      if (!s.ok()) return Error("prepare touch token");
      for (const auto& u : batch.token_uses) {
        s.Bind(1, u.at);
        s.Bind(2, u.name);
        if (sqlite3_step(s.get()) != SQLITE_DONE) return Error("write token use");
        s.Reset();
      }
    }
    return Status::Ok();
  }

  sqlite3* db_;
  std::string path_;
  int lock_fd_ = -1;
  std::string owner_ = "another process";
};

}  // namespace

StatusOr<std::unique_ptr<Store>> OpenSqliteStore(const std::string& path) {
  sqlite3* db = nullptr;
  int rc = sqlite3_open_v2(path.c_str(), &db,
                           SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_FULLMUTEX, nullptr);
  if (rc != SQLITE_OK) {
    std::string msg = db ? sqlite3_errmsg(db) : sqlite3_errstr(rc);
    sqlite3_close(db);
    return Status(StatusCode::kUnavailable, "sqlite:" + path + ": cannot open: " + msg);
  }
  auto store = std::make_unique<SqliteStore>(db, path);
  FUNGIBLE_RETURN_IF_ERROR(store->Exec("PRAGMA busy_timeout = 5000"));
  if (Status st = store->Exec("PRAGMA journal_mode = WAL"); !st.ok()) {
    const int rc = sqlite3_errcode(db);
    if (rc == SQLITE_NOTADB || rc == SQLITE_CORRUPT)
      return Status(
          StatusCode::kUnavailable,
          "sqlite:" + path + ": the store is damaged (" + sqlite3_errstr(rc) +
              "); refusing to use it. Restore the file from a backup, or move it aside (with its -wal "
              "and -shm files) to start with an empty store");
    return st;
  }
  FUNGIBLE_RETURN_IF_ERROR(store->Exec("PRAGMA synchronous = FULL"));
  FUNGIBLE_RETURN_IF_ERROR(store->Check());
  return std::unique_ptr<Store>(std::move(store));
}

}  // namespace fungible::store
