// The same tests against every store: SQLite always, PostgreSQL when
// FUNGIBLE_PG_URL names a server (scripts/postgres-ci.sh start prints one).
#include "store/store.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <sqlite3.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <pqxx/pqxx>
#include <thread>

#include "store/pg_testing.h"
#include "util/status_matchers.h"

namespace fungible::store {
namespace {

using orchestrate::Decision;
using orchestrate::Job;
using orchestrate::JobState;

std::string TempPath(const std::string& name) {
  auto dir = std::filesystem::temp_directory_path() / ("fungible-store-" + std::to_string(getpid()));
  std::filesystem::create_directories(dir);
  return (dir / name).string();
}

class StoreTest : public ::testing::TestWithParam<std::string> {
 protected:
  void SetUp() override {
    if (GetParam() == "postgresql") {
      const char* url = std::getenv("FUNGIBLE_PG_URL");
      if (!url || !*url)
        GTEST_SKIP() << "FUNGIBLE_PG_URL unset: run `eval $(bash scripts/postgres-ci.sh start)`";
      // A fresh schema of this test's own: empty, and apart from parallel tests.
      target_ = IsolatedPostgresUrl(url, ::testing::UnitTest::GetInstance()->current_test_info()->name());
    } else {
      std::string name = ::testing::UnitTest::GetInstance()->current_test_info()->name();
      std::replace(name.begin(), name.end(), '/', '_');
      target_ = TempPath(name + ".db");
      std::filesystem::remove(target_);
    }
    auto s = OpenStore(target_);
    ASSERT_TRUE(s.ok()) << s.status().ToString();
    store_ = std::move(s).value();
  }
  std::unique_ptr<Store> Reopen() {
    store_.reset();
    auto s = OpenStore(target_);
    EXPECT_TRUE(s.ok()) << s.status().ToString();
    return s.ok() ? std::move(s).value() : nullptr;
  }

  std::string target_;
  std::unique_ptr<Store> store_;
};

Job MakeJob(const std::string& id, int seq, const std::string& key) {
  Job j;
  j.id = id;
  j.submit_seq = seq;
  j.spec.team = "research";
  j.spec.idempotency_key = key;
  j.spec.gang_size_chips = 8;
  j.spec.min_chips = j.spec.max_chips = 8;
  return j;
}

Batch JobsBatch(std::vector<Job> jobs) {
  Batch b;
  b.jobs = std::move(jobs);
  return b;
}

Batch TokenUseBatch(TokenUse use) {
  Batch b;
  b.token_uses = {std::move(use)};
  return b;
}

TEST_P(StoreTest, CommitIsDurableAcrossReopen) {
  Batch b;
  b.jobs = {MakeJob("j-1", 1, "k1"), MakeJob("j-2", 2, "")};
  b.decisions = {{1, 100, "j-1", "submitted", "asked", "", 0, 0},
                 {2, 101, "j-1", "admitted", "fits", "p", 8, 0}};
  b.audit = {{1, 100, "alice", "team", "POST", "/v1/jobs", 201, "j-1"}};
  ASSERT_TRUE(store_->Commit(b).ok());
  store_ = Reopen();
  ASSERT_TRUE(store_);
  auto jobs = store_->LoadJobs();
  ASSERT_TRUE(jobs.ok()) << jobs.status().ToString();
  ASSERT_EQ(jobs->size(), 2u);
  EXPECT_EQ((*jobs)[0].id, "j-1");
  EXPECT_EQ((*jobs)[0].spec.idempotency_key, "k1");
  auto ds = store_->Decisions("j-1");
  ASSERT_TRUE(ds.ok());
  ASSERT_EQ(ds->size(), 2u);
  EXPECT_EQ((*ds)[1].reason, "fits");
  EXPECT_EQ(*store_->MaxDecisionSeq(), 2);
  auto audit = store_->Audit(10);
  ASSERT_TRUE(audit.ok());
  ASSERT_EQ(audit->size(), 1u);
  EXPECT_EQ((*audit)[0].path, "/v1/jobs");
  EXPECT_EQ(*store_->MaxAuditSeq(), 1);
}

TEST_P(StoreTest, TokenUsageIsDurableAndAReportForTheSameIntervalReplacesIt) {
  Batch b;
  b.usage = {{"research", "llama-70b", "h100", 3600, 7200, 1000, 500, 200, "gw", 7300},
             {"research", "llama-70b", "", 7200, 10800, 10, 5, 0, "gw", 10900},
             {"product", "mixtral", "h100", 0, 3600, 7, 3, 1, "gw", 3700}};
  ASSERT_TRUE(store_->Commit(b).ok());
  b.usage = {{"research", "llama-70b", "h100", 3600, 7200, 2000, 900, 300, "gw2", 7400}};  // a correction
  ASSERT_TRUE(store_->Commit(b).ok());
  store_ = Reopen();
  ASSERT_TRUE(store_);
  auto all = store_->LoadTokenUsage(0, 100000);
  ASSERT_TRUE(all.ok()) << all.status().ToString();
  ASSERT_EQ(all->size(), 3u);
  EXPECT_EQ((*all)[0].model, "mixtral");  // by start
  EXPECT_EQ((*all)[1].output_tokens, 900);
  EXPECT_EQ((*all)[1].cached_input_tokens, 300);
  EXPECT_EQ((*all)[1].reported_by, "gw2");
  EXPECT_EQ((*all)[2].pool, "");
  auto window = store_->LoadTokenUsage(3600, 7200);  // overlaps only [3600, 7200)
  ASSERT_TRUE(window.ok());
  ASSERT_EQ(window->size(), 1u);
  EXPECT_EQ((*window)[0].input_tokens, 2000);
}

TEST_P(StoreTest, UpsertUpdatesStateInPlace) {
  Job j = MakeJob("j-1", 1, "k1");
  ASSERT_TRUE(store_->Commit(JobsBatch({j})).ok());
  j.state = JobState::kRunning;
  j.pool = "h100-a";
  ASSERT_TRUE(store_->Commit(JobsBatch({j})).ok());
  auto jobs = store_->LoadJobs();
  ASSERT_TRUE(jobs.ok());
  ASSERT_EQ(jobs->size(), 1u);
  EXPECT_EQ((*jobs)[0].state, JobState::kRunning);
  EXPECT_EQ((*jobs)[0].pool, "h100-a");
}

TEST_P(StoreTest, IdempotencyKeyIsUniquePerTeamAndTheBatchIsAtomic) {
  ASSERT_TRUE(store_->Commit(JobsBatch({MakeJob("j-1", 1, "k1")})).ok());
  // Same (team, key) under another id: the whole batch fails and nothing of it is written.
  Batch bad;
  bad.jobs = {MakeJob("j-2", 2, "other"), MakeJob("j-3", 3, "k1")};
  bad.decisions = {{7, 1, "j-2", "submitted", "x", "", 0, 0}};
  // SQLite says "UNIQUE constraint failed", PostgreSQL "violates unique constraint".
  EXPECT_THAT(store_->Commit(bad),
              StatusIs(StatusCode::kUnavailable, ::testing::ContainsRegex("UNIQUE|unique")));
  auto jobs = store_->LoadJobs();
  ASSERT_TRUE(jobs.ok());
  EXPECT_EQ(jobs->size(), 1u);
  EXPECT_EQ(*store_->MaxDecisionSeq(), 0);
  // Empty keys never collide; another team may reuse a key.
  Job other_team = MakeJob("j-4", 4, "k1");
  other_team.spec.team = "product";
  EXPECT_TRUE(store_->Commit(JobsBatch({MakeJob("j-5", 5, ""), MakeJob("j-6", 6, ""), other_team})).ok());
}

TEST_P(StoreTest, TokensAreStoredByHash) {
  ASSERT_TRUE(store_->PutToken({"alice", "ab12", "team", "research", 0, 0, 0}).ok());
  ASSERT_TRUE(store_->PutToken({"root", "cd34", "admin", "", 100, 900, 0}).ok());
  ASSERT_TRUE(store_->PutToken({"alice", "ef56", "viewer", "", 0, 0, 0}).ok());  // replaced
  auto tokens = store_->LoadTokens();
  ASSERT_TRUE(tokens.ok());
  ASSERT_EQ(tokens->size(), 2u);
  EXPECT_EQ((*tokens)[0].name, "alice");
  EXPECT_EQ((*tokens)[0].sha256_hex, "ef56");
  EXPECT_EQ((*tokens)[0].role, "viewer");
  EXPECT_EQ((*tokens)[1].created_at, 100);
  EXPECT_EQ((*tokens)[1].expires_at, 900);
  // Last use comes with a commit and never moves back.
  ASSERT_TRUE(store_->Commit(TokenUseBatch({"root", 500})).ok());
  ASSERT_TRUE(store_->Commit(TokenUseBatch({"root", 400})).ok());
  tokens = store_->LoadTokens();
  EXPECT_EQ((*tokens)[1].last_used_at, 500);
  auto deleted = store_->DeleteToken("root");
  ASSERT_TRUE(deleted.ok());
  EXPECT_TRUE(*deleted);
  deleted = store_->DeleteToken("root");
  ASSERT_TRUE(deleted.ok());
  EXPECT_FALSE(*deleted);
  EXPECT_EQ(store_->LoadTokens()->size(), 1u);
}

TEST_P(StoreTest, OneOwnerAtATime) {
  auto first = store_->TryOwn();
  ASSERT_TRUE(first.ok()) << first.status().ToString();
  EXPECT_TRUE(*first);
  auto other = OpenStore(target_);
  ASSERT_TRUE(other.ok()) << other.status().ToString();
  auto second = (*other)->TryOwn();
  ASSERT_TRUE(second.ok()) << second.status().ToString();
  EXPECT_FALSE(*second);
  if (GetParam() == "sqlite") {  // names the owner
    EXPECT_NE((*other)->Owner().find("process " + std::to_string(getpid())), std::string::npos)
        << (*other)->Owner();
  }
  store_.reset();  // the owner goes: its lock with it (PostgreSQL: once its session has ended)
  for (int i = 0; i < 100; ++i) {
    second = (*other)->TryOwn();
    ASSERT_TRUE(second.ok());
    if (*second) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  EXPECT_TRUE(*second);
}

TEST_P(StoreTest, NewerSchemaIsRefused) {
  store_.reset();
  const char* kBump = "UPDATE fungible_meta SET value = '99' WHERE key = 'schema_version'";
  if (GetParam() == "sqlite") {
    sqlite3* db = nullptr;
    ASSERT_EQ(sqlite3_open(target_.c_str(), &db), SQLITE_OK);
    ASSERT_EQ(sqlite3_exec(db, kBump, nullptr, nullptr, nullptr), SQLITE_OK);
    sqlite3_close(db);
  } else {
    pqxx::connection c(target_);
    pqxx::work w(c);
    w.exec(kBump);
    w.commit();
  }
  auto s = OpenStore(target_);
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.status().code(), StatusCode::kUnavailable);
  EXPECT_NE(s.status().message().find("schema version 99 is newer than this build of fungible understands (" +
                                      std::to_string(kSchemaVersion) + ")"),
            std::string::npos)
      << s.status().message();
}

INSTANTIATE_TEST_SUITE_P(Backends, StoreTest, ::testing::Values("sqlite", "postgresql"),
                         [](const auto& info) { return info.param; });

TEST(SqliteStore, UnwritablePathIsUnavailable) {
  auto s = OpenSqliteStore("/nonexistent-dir/x/state.db");
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.status().code(), StatusCode::kUnavailable);
  EXPECT_NE(s.status().message().find("/nonexistent-dir/x/state.db"), std::string::npos);
}

TEST(SqliteStore, UsesWalAndFullSync) {
  std::string path = TempPath("wal.db");
  std::filesystem::remove(path);
  auto s = OpenSqliteStore(path);
  ASSERT_TRUE(s.ok());
  ASSERT_TRUE((*s)->Commit(JobsBatch({MakeJob("j-1", 1, "")})).ok());
  EXPECT_TRUE(std::filesystem::exists(path + "-wal"));
}

// A store written by a build before fungible_meta: tokens gain their times.
TEST(SqliteStore, VersionOneStoreIsMigrated) {
  std::string path = TempPath("v1.db");
  std::filesystem::remove(path);
  {
    sqlite3* db = nullptr;
    ASSERT_EQ(sqlite3_open(path.c_str(), &db), SQLITE_OK);
    ASSERT_EQ(sqlite3_exec(db,
                           "CREATE TABLE tokens (name TEXT PRIMARY KEY, sha256_hex TEXT NOT NULL UNIQUE, "
                           "role TEXT NOT NULL, team TEXT NOT NULL);"
                           "INSERT INTO tokens VALUES ('old', 'aa', 'admin', '')",
                           nullptr, nullptr, nullptr),
              SQLITE_OK);
    sqlite3_close(db);
  }
  auto s = OpenSqliteStore(path);
  ASSERT_TRUE(s.ok()) << s.status().ToString();
  auto tokens = (*s)->LoadTokens();
  ASSERT_TRUE(tokens.ok()) << tokens.status().ToString();
  ASSERT_EQ(tokens->size(), 1u);
  EXPECT_EQ((*tokens)[0].expires_at, 0);
  EXPECT_TRUE((*s)->LoadTokenUsage(0, 1 << 30).ok());  // version 3 added the table
  s = OpenSqliteStore(path);                           // and again: already at the current version
  ASSERT_TRUE(s.ok()) << s.status().ToString();
}

// A file damaged in the middle (a page overwritten) is refused at open,
// naming the file, the problem and what to do.
TEST(SqliteStore, DamagedFileIsRefusedAtOpen) {
  std::string path = TempPath("damaged.db");
  std::filesystem::remove(path);
  {
    auto s = OpenSqliteStore(path);
    ASSERT_TRUE(s.ok());
    Batch b;
    for (int i = 0; i < 400; ++i)
      b.jobs.push_back(MakeJob("j-" + std::to_string(i), i, "k" + std::to_string(i)));
    ASSERT_TRUE((*s)->Commit(b).ok());
  }  // closed: the WAL is checkpointed into the file
  const auto size = std::filesystem::file_size(path);
  ASSERT_GT(size, 16u * 4096u);
  {
    std::fstream f(path, std::ios::in | std::ios::out | std::ios::binary);
    f.seekp(static_cast<std::streamoff>(size / 2 / 4096 * 4096));
    std::string junk(3 * 4096, '\x5a');
    f.write(junk.data(), static_cast<std::streamsize>(junk.size()));
  }
  auto s = OpenSqliteStore(path);
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.status().code(), StatusCode::kUnavailable);
  const std::string& m = s.status().message();
  EXPECT_NE(m.find(path), std::string::npos) << m;
  EXPECT_NE(m.find("the store is damaged"), std::string::npos) << m;
  EXPECT_NE(m.find("Restore the file from a backup"), std::string::npos) << m;
}

TEST(PostgresStore, UnreachableServerIsUnavailable) {
  EXPECT_THAT(OpenPostgresStore("postgresql://nobody@127.0.0.1:1/none?connect_timeout=2"),
              StatusIs(StatusCode::kUnavailable,
                       ::testing::HasSubstr("127.0.0.1:1/none?connect_timeout=2: connect: ")));
}

}  // namespace
}  // namespace fungible::store
