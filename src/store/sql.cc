// The SQL text of both stores: the schema (kSchemaSql, store.h) and the
// statements they share (sql.h).
#include "store/sql.h"

#include "store/store.h"

namespace fungible::store {

// Types chosen to mean the same in SQLite and PostgreSQL. Jobs keep their
// queryable fields as columns and the whole record as JSON in `body`. An
// empty idempotency key is stored as NULL so it never collides.
const char* const kSchemaSql = R"sql(
CREATE TABLE IF NOT EXISTS jobs (
  id TEXT PRIMARY KEY,
  team TEXT NOT NULL,
  idempotency_key TEXT,
  state TEXT NOT NULL,
  submit_seq BIGINT NOT NULL,
  body TEXT NOT NULL,
  UNIQUE (team, idempotency_key)
);
CREATE TABLE IF NOT EXISTS decisions (
  seq BIGINT PRIMARY KEY,
  at BIGINT NOT NULL,
  job_id TEXT NOT NULL,
  action TEXT NOT NULL,
  body TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS decisions_job ON decisions (job_id, seq);
CREATE TABLE IF NOT EXISTS audit (
  seq BIGINT PRIMARY KEY,
  at BIGINT NOT NULL,
  principal TEXT NOT NULL,
  role TEXT NOT NULL,
  method TEXT NOT NULL,
  path TEXT NOT NULL,
  http_status INTEGER NOT NULL,
  detail TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS tokens (
  name TEXT PRIMARY KEY,
  sha256_hex TEXT NOT NULL UNIQUE,
  role TEXT NOT NULL,
  team TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS token_usage (
  team TEXT NOT NULL,
  model TEXT NOT NULL,
  pool TEXT NOT NULL,
  from_s BIGINT NOT NULL,
  to_s BIGINT NOT NULL,
  input_tokens BIGINT NOT NULL,
  output_tokens BIGINT NOT NULL,
  cached_input_tokens BIGINT NOT NULL,
  reported_by TEXT NOT NULL,
  reported_at BIGINT NOT NULL,
  PRIMARY KEY (team, model, pool, from_s, to_s)
);
CREATE INDEX IF NOT EXISTS token_usage_from ON token_usage (from_s);
)sql";

// Statements shared by both stores ($n placeholders: SQLite binds them by
// position of first appearance, PostgreSQL by number).
namespace sql {
const char* const kUpsertJob =
    "INSERT INTO jobs (id, team, idempotency_key, state, submit_seq, body) VALUES ($1, $2, NULLIF($3, ''), "
    "$4, $5, $6) "
    "ON CONFLICT (id) DO UPDATE SET state = excluded.state, body = excluded.body";
const char* const kInsertDecision =
    "INSERT INTO decisions (seq, at, job_id, action, body) VALUES ($1, $2, $3, $4, $5) ON CONFLICT (seq) DO "
    "NOTHING";
const char* const kInsertAudit =
    "INSERT INTO audit (seq, at, principal, role, method, path, http_status, detail) "
    "VALUES ($1, $2, $3, $4, $5, $6, $7, $8) ON CONFLICT (seq) DO NOTHING";
const char* const kPutToken =
    "INSERT INTO tokens (name, sha256_hex, role, team, created_at, expires_at, last_used_at) "
    "VALUES ($1, $2, $3, $4, $5, $6, $7) "
    "ON CONFLICT (name) DO UPDATE SET sha256_hex = excluded.sha256_hex, role = excluded.role, team = "
    "excluded.team, created_at = excluded.created_at, expires_at = excluded.expires_at, last_used_at = "
    "excluded.last_used_at";
const char* const kUpsertUsage =
    "INSERT INTO token_usage (team, model, pool, from_s, to_s, input_tokens, output_tokens, "
    "cached_input_tokens, reported_by, reported_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) "
    "ON CONFLICT (team, model, pool, from_s, to_s) DO UPDATE SET input_tokens = excluded.input_tokens, "
    "output_tokens = excluded.output_tokens, cached_input_tokens = excluded.cached_input_tokens, "
    "reported_by = excluded.reported_by, reported_at = excluded.reported_at";
const char* const kLoadUsage =
    "SELECT team, model, pool, from_s, to_s, input_tokens, output_tokens, cached_input_tokens, reported_by, "
    "reported_at FROM token_usage WHERE to_s > $1 AND from_s < $2 ORDER BY from_s, team, model, pool";
const char* const kLoadJobs = "SELECT body FROM jobs ORDER BY submit_seq";
const char* const kDecisions = "SELECT body FROM decisions WHERE job_id = $1 ORDER BY seq";
const char* const kMaxDecision = "SELECT COALESCE(MAX(seq), 0) FROM decisions";
const char* const kAudit =
    "SELECT seq, at, principal, role, method, path, http_status, detail FROM audit ORDER BY seq DESC LIMIT "
    "$1";
const char* const kMaxAudit = "SELECT COALESCE(MAX(seq), 0) FROM audit";
const char* const kLoadTokens =
    "SELECT name, sha256_hex, role, team, created_at, expires_at, last_used_at FROM tokens ORDER BY name";
const char* const kDeleteToken = "DELETE FROM tokens WHERE name = $1";
const char* const kTouchToken = "UPDATE tokens SET last_used_at = $1 WHERE name = $2 AND last_used_at < $1";
// Version 1 (no fungible_meta table) had tokens without times. Version 3
// added token_usage, which kSchemaSql creates (IF NOT EXISTS) on opening.
const char* const kMetaTable =
    "CREATE TABLE IF NOT EXISTS fungible_meta (key TEXT PRIMARY KEY, value TEXT NOT NULL)";
const char* const kSchemaVersionGet = "SELECT value FROM fungible_meta WHERE key = 'schema_version'";
const char* const kSchemaVersionSet =
    "INSERT INTO fungible_meta (key, value) VALUES ('schema_version', $1) "
    "ON CONFLICT (key) DO UPDATE SET value = excluded.value";
const char* const kMigrateTo2[3] = {"ALTER TABLE tokens ADD COLUMN created_at BIGINT NOT NULL DEFAULT 0",
                                    "ALTER TABLE tokens ADD COLUMN expires_at BIGINT NOT NULL DEFAULT 0",
                                    "ALTER TABLE tokens ADD COLUMN last_used_at BIGINT NOT NULL DEFAULT 0"};
}  // namespace sql

}  // namespace fungible::store
