// The job's "run" object (what it runs) and its outcome: strict parsing with
// errors naming the field, and the JSON round trip the store relies on.
#include "orchestrate/job.h"

#include <gtest/gtest.h>

namespace fungible::orchestrate {
namespace {

using nlohmann::json;

json WithRun(json run) { return {{"team", "t"}, {"gang_size_chips", 8}, {"run", std::move(run)}}; }

std::string Error(json run) {
  auto s = JobSpecFromJson(WithRun(std::move(run)));
  EXPECT_FALSE(s.ok());
  if (s.ok()) return "";
  EXPECT_EQ(s.status().code(), StatusCode::kInvalidArgument);
  return s.status().message();
}

TEST(RunSpec, ParsesEveryFieldAndRoundTrips) {
  json run = {{"command", {"python3", "train.py", "--lr", "3e-4"}},
              {"env", {{"KEY", "VALUE"}, {"B_2", "x,y"}}},
              {"workdir", "/srv/run"},
              {"image", "registry/repo:tag"},
              {"time_limit_s", 7200},
              {"preempt_signal", "SIGUSR1"},
              {"grace_s", 30},
              {"stdout", "/srv/out-%j.log"},
              {"stderr", "/srv/err-%j.log"}};
  auto s = JobSpecFromJson(WithRun(run));
  ASSERT_TRUE(s.ok()) << s.status().ToString();
  EXPECT_EQ(s->run.command.size(), 4u);
  EXPECT_EQ(s->run.preempt_signal, "USR1");  // Slurm spells it without SIG
  EXPECT_EQ(s->run.env.size(), 2u);
  EXPECT_EQ(s->time_limit_s(), 7200);
  auto back = JobSpecFromJson(JobSpecToJson(*s));
  ASSERT_TRUE(back.ok()) << back.status().ToString();
  EXPECT_TRUE(SameRequest(*s, *back));
  EXPECT_EQ(back->run.stderr_path, "/srv/err-%j.log");

  auto script = JobSpecFromJson(WithRun({{"script", "#!/bin/bash\necho hi\n"}}));
  ASSERT_TRUE(script.ok());
  EXPECT_EQ(script->run.preempt_signal, "TERM");
  EXPECT_EQ(script->run.grace_s, 60);
  EXPECT_EQ(script->time_limit_s(), 2 * script->expected_duration_s);  // default: twice the expected duration
  // No run: a placeholder, and its JSON has no "run".
  auto none = JobSpecFromJson({{"team", "t"}});
  ASSERT_TRUE(none.ok());
  EXPECT_FALSE(none->run.present());
  EXPECT_FALSE(JobSpecToJson(*none).contains("run"));
}

TEST(RunSpec, BadRunsAreRefusedNamingTheField) {
  EXPECT_EQ(Error({{"env", {{"A", "b"}}}}), "run: give a command (an argv array) or a script");
  EXPECT_EQ(Error({{"command", {"ls"}}, {"script", "#!/bin/sh\n"}}), "run: give command or script, not both");
  EXPECT_EQ(Error({{"command", "ls -l"}}), "run.command: expected an array of strings");
  EXPECT_EQ(Error({{"command", {""}}}), "run.command: the program (first element) must not be empty");
  EXPECT_EQ(Error({{"script", "echo hi"}}),
            "run.script: must begin with an interpreter line such as #!/bin/bash (sbatch needs it)");
  EXPECT_EQ(Error({{"command", {"ls"}}, {"env", {{"1X", "b"}}}}),
            "run.env: \"1X\" is not a variable name ([A-Za-z_][A-Za-z0-9_]*)");
  EXPECT_EQ(Error({{"command", {"ls"}}, {"env", {{"X", 1}}}}), "run.env.X: expected a string");
  EXPECT_EQ(Error({{"command", {"ls"}}, {"workdir", "rel/dir"}}),
            "run.workdir: expected an absolute path, got \"rel/dir\"");
  EXPECT_EQ(Error({{"command", {"ls"}}, {"time_limit_s", 0}}),
            "run.time_limit_s: expected an integer in [1, 316224000], got 0");
  EXPECT_EQ(Error({{"command", {"ls"}}, {"preempt_signal", "NOPE"}}),
            "run.preempt_signal: unknown signal \"NOPE\" (expected e.g. TERM, USR1, USR2, INT)");
  EXPECT_EQ(Error({{"command", {"ls"}}, {"grace_s", -1}}),
            "run.grace_s: expected an integer in [0, 86400], got -1");
  EXPECT_EQ(Error({{"command", {"ls"}}, {"colour", "red"}}), "run.colour: unknown field");
  EXPECT_EQ(Error({{"command", {"ls"}}, {"image", ""}}), "run.image: must not be empty");
  EXPECT_EQ(Error("ls"), "run: expected a JSON object");
}

TEST(JobOutcome, IsInTheJobsJsonOnceTerminalAndRoundTrips) {
  Job job;
  job.id = "j-1";
  job.spec.team = "t";
  job.state = JobState::kFailed;
  EXPECT_FALSE(JobToJson(job).contains("outcome"));
  job.outcome = {"failed", 7, 1800000000, 1800000060, 0.5, "42"};
  job.used_chip_hours = 0.5;
  json j = JobToJson(job);
  EXPECT_EQ(j["outcome"]["result"], "failed");
  EXPECT_EQ(j["outcome"]["exit_code"], 7);
  EXPECT_EQ(j["outcome"]["started_at"], "2027-01-15T08:00:00Z");
  EXPECT_EQ(j["outcome"]["backend_id"], "42");
  auto back = JobFromJson(j);
  ASSERT_TRUE(back.ok()) << back.status().ToString();
  EXPECT_EQ(back->outcome.ended_at, 1800000060);
  EXPECT_EQ(back->outcome.chip_hours, 0.5);
  EXPECT_EQ(back->used_chip_hours, 0.5);
}

}  // namespace
}  // namespace fungible::orchestrate
