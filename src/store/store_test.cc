// The same tests against every store: SQLite always, PostgreSQL when
// FUNGIBLE_PG_URL names a server (scripts/postgres-ci.sh start prints one).
#include "store/store.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <pqxx/pqxx>

#include "store/pg_testing.h"

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

TEST_P(StoreTest, UpsertUpdatesStateInPlace) {
  Job j = MakeJob("j-1", 1, "k1");
  ASSERT_TRUE(store_->Commit({{j}, {}, {}}).ok());
  j.state = JobState::kRunning;
  j.pool = "h100-a";
  ASSERT_TRUE(store_->Commit({{j}, {}, {}}).ok());
  auto jobs = store_->LoadJobs();
  ASSERT_TRUE(jobs.ok());
  ASSERT_EQ(jobs->size(), 1u);
  EXPECT_EQ((*jobs)[0].state, JobState::kRunning);
  EXPECT_EQ((*jobs)[0].pool, "h100-a");
}

TEST_P(StoreTest, IdempotencyKeyIsUniquePerTeamAndTheBatchIsAtomic) {
  ASSERT_TRUE(store_->Commit({{MakeJob("j-1", 1, "k1")}, {}, {}}).ok());
  // Same (team, key) under another id: the whole batch fails and nothing of it is written.
  Batch bad;
  bad.jobs = {MakeJob("j-2", 2, "other"), MakeJob("j-3", 3, "k1")};
  bad.decisions = {{7, 1, "j-2", "submitted", "x", "", 0, 0}};
  Status st = store_->Commit(bad);
  EXPECT_FALSE(st.ok());
  auto jobs = store_->LoadJobs();
  ASSERT_TRUE(jobs.ok());
  EXPECT_EQ(jobs->size(), 1u);
  EXPECT_EQ(*store_->MaxDecisionSeq(), 0);
  // Empty keys never collide; another team may reuse a key.
  Job other_team = MakeJob("j-4", 4, "k1");
  other_team.spec.team = "product";
  EXPECT_TRUE(store_->Commit({{MakeJob("j-5", 5, ""), MakeJob("j-6", 6, ""), other_team}, {}, {}}).ok());
}

TEST_P(StoreTest, TokensAreStoredByHash) {
  ASSERT_TRUE(store_->PutToken({"alice", "ab12", "team", "research"}).ok());
  ASSERT_TRUE(store_->PutToken({"root", "cd34", "admin", ""}).ok());
  ASSERT_TRUE(store_->PutToken({"alice", "ef56", "viewer", ""}).ok());  // replaced
  auto tokens = store_->LoadTokens();
  ASSERT_TRUE(tokens.ok());
  ASSERT_EQ(tokens->size(), 2u);
  EXPECT_EQ((*tokens)[0].name, "alice");
  EXPECT_EQ((*tokens)[0].sha256_hex, "ef56");
  EXPECT_EQ((*tokens)[0].role, "viewer");
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
  ASSERT_TRUE((*s)->Commit({{MakeJob("j-1", 1, "")}, {}, {}}).ok());
  EXPECT_TRUE(std::filesystem::exists(path + "-wal"));
}

TEST(PostgresStore, UnreachableServerIsUnavailable) {
  auto s = OpenPostgresStore("postgresql://nobody@127.0.0.1:1/none?connect_timeout=2");
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.status().code(), StatusCode::kUnavailable);
}

}  // namespace
}  // namespace fungible::store
