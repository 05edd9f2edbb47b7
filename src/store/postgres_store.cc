// PostgreSQL store through libpqxx: the same schema and statements as
// SQLite. Every libpqxx exception is caught here and returned as a Status;
// a broken connection is re-opened on the next call, unless this store owns
// (TryOwn) - the advisory lock died with the connection, so it fails instead.
#include <cstdlib>
#include <pqxx/pqxx>

#include "store/sql.h"
#include "store/store.h"

namespace fungible::store {

namespace {

using orchestrate::Decision;
using orchestrate::Job;

class PostgresStore final : public Store {
 public:
  explicit PostgresStore(std::string url) : url_(std::move(url)) {}

  std::string Describe() const override {
    // Hide a password if the URL carries one.
    std::string shown = url_;
    auto at = shown.find('@');
    auto colon = shown.find(':', shown.find("//") + 2);
    if (at != std::string::npos && colon != std::string::npos && colon < at)
      shown.replace(colon, at - colon, ":***");
    return shown;
  }

  Status Connect() {
    return Guard("connect", [&] {
      conn_ = std::make_unique<pqxx::connection>(url_);
      {
        pqxx::work w(*conn_);
        w.exec("SET client_min_messages TO WARNING");
        // One migrator at a time (a transaction-scoped lock).
        w.exec("SELECT pg_advisory_xact_lock(hashtext('fungible-migrate:' || current_schema()))");
        w.exec(kSchemaSql);
        w.exec(sql::kMetaTable);
        int version = 1;  // a store without a version row predates fungible_meta
        auto rows = w.exec(sql::kSchemaVersionGet);
        if (!rows.empty()) version = std::atoi(rows[0][0].c_str());
        if (version > kSchemaVersion) {
          schema_error_ = Describe() + ": schema version " + std::to_string(version) +
                          " is newer than this build of fungible understands (" +
                          std::to_string(kSchemaVersion) + "); use a newer fungible";
          return;
        }
        if (version < 2)
          for (const char* stmt : sql::kMigrateTo2) w.exec(stmt);
        if (version != kSchemaVersion) w.exec_params(sql::kSchemaVersionSet, std::to_string(kSchemaVersion));
        w.commit();
      }
      conn_->prepare("upsert_job", sql::kUpsertJob);
      conn_->prepare("insert_decision", sql::kInsertDecision);
      conn_->prepare("insert_audit", sql::kInsertAudit);
      conn_->prepare("put_token", sql::kPutToken);
      conn_->prepare("decisions", sql::kDecisions);
      conn_->prepare("audit", sql::kAudit);
      conn_->prepare("touch_token", sql::kTouchToken);
      conn_->prepare("upsert_usage", sql::kUpsertUsage);
      conn_->prepare("load_usage", sql::kLoadUsage);
    });
  }

  // Connect(), with a too-new schema reported as an error.
  Status Open() {
    FUNGIBLE_RETURN_IF_ERROR(Connect());
    if (!schema_error_.empty()) return Status(StatusCode::kUnavailable, schema_error_);
    return Status::Ok();
  }

  StatusOr<bool> TryOwn() override {
    if (owner_) return true;
    bool got = false;
    Status st = WithConnection("take the store lock", [&] {
      pqxx::nontransaction n(*conn_);
      got = n.exec("SELECT pg_try_advisory_lock(hashtext('fungible-serve:' || current_schema()))")[0][0]
                .as<bool>();
    });
    if (!st.ok()) return st;
    owner_ = got;
    return got;
  }
  std::string Owner() const override { return "another fungible serve (PostgreSQL advisory lock)"; }

  StatusOr<bool> DeleteToken(const std::string& name) override {
    bool deleted = false;
    Status st = WithConnection("delete token", [&] {
      pqxx::work w(*conn_);
      deleted = w.exec_params(sql::kDeleteToken, name).affected_rows() > 0;
      w.commit();
    });
    if (!st.ok()) return st;
    return deleted;
  }

  Status Commit(const Batch& batch) override {
    if (batch.empty()) return Status::Ok();
    return WithConnection("commit", [&] {
      pqxx::work w(*conn_);
      for (const auto& job : batch.jobs)
        w.exec_prepared("upsert_job", job.id, job.spec.team, job.spec.idempotency_key,
                        std::string(orchestrate::JobStateName(job.state)), job.submit_seq,
                        orchestrate::JobToJson(job).dump());
      for (const auto& d : batch.decisions)
        w.exec_prepared("insert_decision", d.seq, d.at, d.job_id, d.action,
                        orchestrate::DecisionToJson(d).dump());
      for (const auto& a : batch.audit)
        w.exec_prepared("insert_audit", a.seq, a.at, a.principal, a.role, a.method, a.path, a.http_status,
                        a.detail);
      for (const auto& u : batch.token_uses) w.exec_prepared("touch_token", u.at, u.name);
      for (const auto& u : batch.usage)
        w.exec_prepared("upsert_usage", u.team, u.model, u.pool, u.from, u.to, u.input_tokens,
                        u.output_tokens, u.cached_input_tokens, u.reported_by, u.reported_at);
      w.commit();
    });
  }

  StatusOr<std::vector<Job>> LoadJobs() override {
    std::vector<Job> out;
    Status parse_error;
    Status st = WithConnection("load jobs", [&] {
      pqxx::read_transaction r(*conn_);
      for (const auto& row : r.exec(sql::kLoadJobs)) {
        auto j = nlohmann::json::parse(row[0].as<std::string>(), nullptr, false);
        auto job = orchestrate::JobFromJson(j);
        if (!job.ok()) {
          parse_error = job.status();
          return;
        }
        out.push_back(std::move(job).value());
      }
    });
    if (!st.ok()) return st;
    if (!parse_error.ok()) return parse_error;
    return out;
  }

  StatusOr<std::vector<Decision>> Decisions(const std::string& job_id) override {
    std::vector<Decision> out;
    Status parse_error;
    Status st = WithConnection("read decisions", [&] {
      pqxx::read_transaction r(*conn_);
      for (const auto& row : r.exec_prepared("decisions", job_id)) {
        auto d =
            orchestrate::DecisionFromJson(nlohmann::json::parse(row[0].as<std::string>(), nullptr, false));
        if (!d.ok()) {
          parse_error = d.status();
          return;
        }
        out.push_back(std::move(d).value());
      }
    });
    if (!st.ok()) return st;
    if (!parse_error.ok()) return parse_error;
    return out;
  }

  StatusOr<std::int64_t> MaxDecisionSeq() override { return Scalar(sql::kMaxDecision); }
  StatusOr<std::int64_t> MaxAuditSeq() override { return Scalar(sql::kMaxAudit); }

  StatusOr<std::vector<AuditEntry>> Audit(int limit) override {
    std::vector<AuditEntry> out;
    Status st = WithConnection("read audit", [&] {
      pqxx::read_transaction r(*conn_);
      for (const auto& row : r.exec_prepared("audit", limit)) {
        AuditEntry e;
        e.seq = row[0].as<std::int64_t>();
        e.at = row[1].as<std::int64_t>();
        e.principal = row[2].as<std::string>();
        e.role = row[3].as<std::string>();
        e.method = row[4].as<std::string>();
        e.path = row[5].as<std::string>();
        e.http_status = row[6].as<int>();
        e.detail = row[7].as<std::string>();
        out.push_back(std::move(e));
      }
    });
    if (!st.ok()) return st;
    return out;
  }

  Status PutToken(const TokenRecord& t) override {
    return WithConnection("put token", [&] {
      pqxx::work w(*conn_);
      w.exec_prepared("put_token", t.name, t.sha256_hex, t.role, t.team, t.created_at, t.expires_at,
                      t.last_used_at);
      w.commit();
    });
  }

  StatusOr<std::vector<TokenUsage>> LoadTokenUsage(UtcSeconds from, UtcSeconds to) override {
    std::vector<TokenUsage> out;
    Status st = WithConnection("load token usage", [&] {
      pqxx::read_transaction r(*conn_);
      for (const auto& row : r.exec_prepared("load_usage", from, to)) {
        TokenUsage u;
        u.team = row[0].as<std::string>();
        u.model = row[1].as<std::string>();
        u.pool = row[2].as<std::string>();
        u.from = row[3].as<std::int64_t>();
        u.to = row[4].as<std::int64_t>();
        u.input_tokens = row[5].as<std::int64_t>();
        u.output_tokens = row[6].as<std::int64_t>();
        u.cached_input_tokens = row[7].as<std::int64_t>();
        u.reported_by = row[8].as<std::string>();
        u.reported_at = row[9].as<std::int64_t>();
        out.push_back(std::move(u));
      }
    });
    if (!st.ok()) return st;
    return out;
  }

  StatusOr<std::vector<TokenRecord>> LoadTokens() override {
    std::vector<TokenRecord> out;
    Status st = WithConnection("load tokens", [&] {
      pqxx::read_transaction r(*conn_);
      for (const auto& row : r.exec(sql::kLoadTokens))
        out.push_back({row[0].as<std::string>(), row[1].as<std::string>(), row[2].as<std::string>(),
                       row[3].as<std::string>(), row[4].as<std::int64_t>(), row[5].as<std::int64_t>(),
                       row[6].as<std::int64_t>()});
    });
    if (!st.ok()) return st;
    return out;
  }

 private:
  template <typename F>
  Status Guard(const std::string& what, F&& f) {
    try {
      f();
      return Status::Ok();
    } catch (const pqxx::broken_connection& e) {
      conn_.reset();
      return Status(StatusCode::kUnavailable, Describe() + ": " + what + ": connection lost: " + e.what());
    } catch (const std::exception& e) {
      return Status(StatusCode::kUnavailable, Describe() + ": " + what + ": " + e.what());
    }
  }
  template <typename F>
  Status WithConnection(const std::string& what, F&& f) {
    if (owner_ && (!conn_ || !conn_->is_open()))
      return Status(StatusCode::kUnavailable, Describe() + ": " + what +
                                                  ": the connection holding the store lock was lost; another "
                                                  "server may own the store now");
    if (!conn_ || !conn_->is_open()) FUNGIBLE_RETURN_IF_ERROR(Connect());
    return Guard(what, std::forward<F>(f));
  }
  StatusOr<std::int64_t> Scalar(const char* text) {
    std::int64_t v = 0;
    Status st = WithConnection(text, [&] {
      pqxx::read_transaction r(*conn_);
      v = r.exec(text)[0][0].as<std::int64_t>();
    });
    if (!st.ok()) return st;
    return v;
  }

  std::string url_;
  std::unique_ptr<pqxx::connection> conn_;
  std::string schema_error_;
  bool owner_ = false;
};

}  // namespace

StatusOr<std::unique_ptr<Store>> OpenPostgresStore(const std::string& url) {
  auto store = std::make_unique<PostgresStore>(url);
  FUNGIBLE_RETURN_IF_ERROR(store->Open());
  return std::unique_ptr<Store>(std::move(store));
}

}  // namespace fungible::store
