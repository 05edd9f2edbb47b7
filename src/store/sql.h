// Internal: SQL text shared by the SQLite and PostgreSQL stores.
#pragma once

namespace fungible::store::sql {
extern const char* const kUpsertJob;
extern const char* const kInsertDecision;
extern const char* const kInsertAudit;
extern const char* const kPutToken;
extern const char* const kLoadJobs;
extern const char* const kDecisions;
extern const char* const kMaxDecision;
extern const char* const kAudit;
extern const char* const kMaxAudit;
extern const char* const kLoadTokens;
}  // namespace fungible::store::sql
