// Durable state of `fungible serve`: jobs, the decision log, the audit log
// and API tokens (hashed). One schema (kSchemaSql) for both implementations:
// SQLite in WAL mode with synchronous=FULL (the default, a file beside the
// spec) and PostgreSQL through libpqxx (a store shared by several instances;
// one writer at a time). Every Commit is one transaction, durable when it
// returns OK: the server acknowledges a request only after that.
// Implementations catch their library's exceptions and return Status
// (kUnavailable when the database cannot be reached, written, is damaged or
// has a newer schema than this build understands).
// Opening checks the store: SQLite runs `PRAGMA quick_check`; both check the
// schema version (table fungible_meta) and migrate older schemas.
// One owner: a serving process calls TryOwn(); see there.
// Not thread-safe: the owner serialises calls.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "orchestrate/job.h"
#include "util/status.h"
#include "util/time.h"

namespace fungible::store {

struct AuditEntry {
  std::int64_t seq = 0;
  UtcSeconds at = 0;
  std::string principal;  // token name, or "-" when unauthenticated
  std::string role;
  std::string method;
  std::string path;
  int http_status = 0;
  std::string detail;
};

struct TokenRecord {
  std::string name;        // unique
  std::string sha256_hex;  // hash of the bearer token; the token itself is never stored
  std::string role;        // viewer, team, admin
  std::string team;        // for role team
  UtcSeconds created_at = 0;
  UtcSeconds expires_at = 0;    // 0 = never expires
  UtcSeconds last_used_at = 0;  // 0 = never used (updated by the server, at most once a commit)
};

// When a token was last presented to a server.
struct TokenUse {
  std::string name;
  UtcSeconds at = 0;
};

// Tokens a serving job or gateway served for one model, team (and pool) in
// [from, to) (POST /v1/usage/tokens). A report for the same (team, model,
// pool, from, to) replaces the earlier one: a retried report counts once.
struct TokenUsage {
  std::string team;
  std::string model;
  std::string pool;  // "" = not said
  UtcSeconds from = 0;
  UtcSeconds to = 0;
  std::int64_t input_tokens = 0;
  std::int64_t output_tokens = 0;
  std::int64_t cached_input_tokens = 0;
  std::string reported_by;  // token name
  UtcSeconds reported_at = 0;
};

// What one transaction writes.
struct Batch {
  std::vector<orchestrate::Job> jobs;  // upserted by id
  std::vector<orchestrate::Decision> decisions;
  std::vector<AuditEntry> audit;
  std::vector<TokenUse> token_uses;  // tokens.last_used_at updates
  std::vector<TokenUsage> usage;     // upserted by (team, model, pool, from, to)
  bool empty() const {
    return jobs.empty() && decisions.empty() && audit.empty() && token_uses.empty() && usage.empty();
  }
};

class Store {
 public:
  virtual ~Store() = default;
  virtual std::string Describe() const = 0;  // "sqlite:/path" or "postgresql://host:port/db"
  // Writes the batch atomically and durably.
  virtual Status Commit(const Batch& batch) = 0;
  virtual StatusOr<std::vector<orchestrate::Job>> LoadJobs() = 0;
  // Decisions about `job_id` in order (all fleet-level ones when empty).
  virtual StatusOr<std::vector<orchestrate::Decision>> Decisions(const std::string& job_id) = 0;
  virtual StatusOr<std::int64_t> MaxDecisionSeq() = 0;  // 0 when none
  // The newest `limit` audit entries, newest first.
  virtual StatusOr<std::vector<AuditEntry>> Audit(int limit) = 0;
  virtual StatusOr<std::int64_t> MaxAuditSeq() = 0;
  // Token usage reports whose interval overlaps [from, to), by start.
  virtual StatusOr<std::vector<TokenUsage>> LoadTokenUsage(UtcSeconds from, UtcSeconds to) = 0;
  // Adds or replaces the token named record.name.
  virtual Status PutToken(const TokenRecord& record) = 0;
  virtual StatusOr<std::vector<TokenRecord>> LoadTokens() = 0;
  // Deletes the token named `name`; false when there was none.
  virtual StatusOr<bool> DeleteToken(const std::string& name) = 0;

  // Exclusive ownership for a serving process, held until the store is
  // destroyed or the process dies (the kernel or the database releases it):
  // SQLite takes flock(2) on "<file>.lock" (which holds the owner's pid);
  // PostgreSQL takes a session advisory lock keyed by database and schema on
  // the store's connection. Returns true when this store now owns, false
  // when another process does (`Owner()` then says who, when known).
  // PostgreSQL: once owned, a lost connection is never silently re-opened;
  // calls fail with kUnavailable, because the lock went with it.
  virtual StatusOr<bool> TryOwn() = 0;
  virtual std::string Owner() const { return "another process"; }
};

// The schema version this build writes (fungible_meta.schema_version).
constexpr int kSchemaVersion = 3;  // 3: token_usage

// The schema, valid SQL for both SQLite and PostgreSQL.
extern const char* const kSchemaSql;

// Opens (creating when missing) a SQLite store at `path`.
StatusOr<std::unique_ptr<Store>> OpenSqliteStore(const std::string& path);
// Connects to PostgreSQL at `url` (postgresql://user@host:port/db) and
// creates the schema when missing.
StatusOr<std::unique_ptr<Store>> OpenPostgresStore(const std::string& url);
// postgresql:// or postgres:// URLs open PostgreSQL; anything else is a
// SQLite file path (a "sqlite:" prefix is accepted).
StatusOr<std::unique_ptr<Store>> OpenStore(const std::string& url_or_path);

}  // namespace fungible::store
