// Internal: SQL text shared by the SQLite and PostgreSQL stores.
#pragma once

namespace fungible::store::sql {
extern const char* const kUpsertJob;
extern const char* const kInsertDecision;
extern const char* const kInsertAudit;
extern const char* const kPutToken;
extern const char* const kUpsertUsage;
extern const char* const kLoadUsage;
extern const char* const kLoadJobs;
extern const char* const kDecisions;
extern const char* const kMaxDecision;
extern const char* const kAudit;
extern const char* const kMaxAudit;
extern const char* const kLoadTokens;
extern const char* const kDeleteToken;
extern const char* const kTouchToken;
extern const char* const kMetaTable;
extern const char* const kSchemaVersionGet;
extern const char* const kSchemaVersionSet;
extern const char* const kMigrateTo2[3];
}  // namespace fungible::store::sql
