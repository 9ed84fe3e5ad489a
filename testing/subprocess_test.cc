#include "testing/subprocess.h"

#include <doctest/doctest.h>
#include <signal.h>

#include <string>

namespace tcpkali::testing {
namespace {

absl::StatusOr<ProcessResult> Sh(const std::string& script,
                                 const RunOptions& options = {}) {
  return RunProcess({"/bin/sh", "-c", script}, options);
}

TEST_CASE("RunProcess returns exit code, stdout and stderr separately") {
  struct Row {
    std::string script;
    int exit_code;
    std::string out, err;
  };
  const Row rows[] = {
      {"true", 0, "", ""},
      {"echo out; echo err >&2", 0, "out\n", "err\n"},
      {"printf a; printf b >&2; printf c; exit 3", 3, "ac", "b"},
      {"exit 64", 64, "", ""},
      {"printf '%s' \"$0\"", 0, "/bin/sh", ""},
  };
  for (const Row& row : rows) {
    CAPTURE(row.script);
    absl::StatusOr<ProcessResult> r = Sh(row.script);
    REQUIRE(r.ok());
    CHECK(r->exit_code == row.exit_code);
    CHECK(r->term_signal == 0);
    CHECK_FALSE(r->timed_out);
    CHECK(r->stdout_text == row.out);
    CHECK(r->stderr_text == row.err);
  }
}

TEST_CASE("a signal that ends the child is reported") {
  absl::StatusOr<ProcessResult> r = Sh("kill -TERM $$");
  REQUIRE(r.ok());
  CHECK(r->exit_code == -1);
  CHECK(r->term_signal == SIGTERM);
}

TEST_CASE("stdin text reaches the child, then end of file") {
  absl::StatusOr<ProcessResult> r =
      Sh("cat; echo done", {.stdin_text = "line 1\nline 2\n"});
  REQUIRE(r.ok());
  CHECK(r->stdout_text == "line 1\nline 2\ndone\n");
  // With no stdin text the child reads end of file at once.
  r = Sh("cat; echo eof");
  REQUIRE(r.ok());
  CHECK(r->stdout_text == "eof\n");
}

TEST_CASE("megabytes both ways do not deadlock") {
  const std::string big(3 << 20, 'x');
  absl::StatusOr<ProcessResult> r =
      Sh("cat; head -c 2000000 /dev/zero >&2", {.stdin_text = big});
  REQUIRE(r.ok());
  CHECK(r->exit_code == 0);
  CHECK(r->stdout_text == big);
  CHECK(r->stderr_text.size() == 2000000);
}

TEST_CASE("a child that ignores its stdin does not hurt the parent") {
  absl::StatusOr<ProcessResult> r =
      Sh("exec 0<&-; echo closed", {.stdin_text = std::string(1 << 22, 'y')});
  REQUIRE(r.ok());
  CHECK(r->exit_code == 0);
  CHECK(r->stdout_text == "closed\n");
}

TEST_CASE("extra environment variables are added and override") {
  absl::StatusOr<ProcessResult> r =
      Sh("printf '%s/%s' \"$TCPKALI_A\" \"$HOME\"",
         {.env = {"TCPKALI_A=1", "HOME=/elsewhere"}});
  REQUIRE(r.ok());
  CHECK(r->stdout_text == "1//elsewhere");
}

TEST_CASE("a child past its timeout is killed") {
  absl::StatusOr<ProcessResult> r = Sh("exec sleep 1000", {.timeout_ms = 100});
  REQUIRE(r.ok());
  CHECK(r->timed_out);
  CHECK(r->exit_code == -1);
  CHECK(r->term_signal == SIGKILL);
}

TEST_CASE("a timeout kills the child's own children too") {
  // The background sleep holds stdout open: unless the kill reaches the
  // whole process group, the wait could not see the output close.
  Subprocess child;
  REQUIRE(child.Start({"/bin/sh", "-c", "sleep 1000 & echo started >&2; wait"})
              .ok());
  REQUIRE(child.WaitForStderr("started", 10000).ok());
  absl::StatusOr<ProcessResult> r = child.Wait(100);
  REQUIRE(r.ok());
  CHECK(r->timed_out);
  CHECK(r->term_signal == SIGKILL);
  CHECK(r->stderr_text == "started\n");
}

TEST_CASE("a program that does not exist is NotFound") {
  absl::StatusOr<ProcessResult> r = RunProcess({"/nonexistent/program"});
  CHECK(r.status().code() == absl::StatusCode::kNotFound);
  r = RunProcess({});
  CHECK(r.status().code() == absl::StatusCode::kInvalidArgument);
}

TEST_CASE("Subprocess: wait for a stderr line, signal, collect") {
  // A busy loop of builtins, not `sleep`: the shell runs its trap between
  // two builtins at once, and no grandchild holds the pipes open.
  Subprocess child;
  REQUIRE(child
              .Start({"/bin/sh", "-c",
                      "trap 'echo bye >&2; exit 7' TERM; "
                      "echo noise; echo 'listening on 4242' >&2; "
                      "while :; do :; done"})
              .ok());
  CHECK(child.pid() > 0);
  absl::StatusOr<std::string> err = child.WaitForStderr("listening on", 10000);
  REQUIRE(err.ok());
  CHECK(*err == "listening on 4242\n");
  REQUIRE(child.Signal(SIGTERM).ok());
  absl::StatusOr<ProcessResult> r = child.Wait(10000);
  REQUIRE(r.ok());
  CHECK(r->exit_code == 7);
  CHECK_FALSE(r->timed_out);
  CHECK(r->stdout_text == "noise\n");
  CHECK(r->stderr_text == "listening on 4242\nbye\n");
  // Once waited for, the process is gone.
  CHECK(child.Signal(SIGTERM).code() == absl::StatusCode::kFailedPrecondition);
  CHECK(child.Wait(10).status().code() ==
        absl::StatusCode::kFailedPrecondition);
}

TEST_CASE("Subprocess: a needle that never comes") {
  Subprocess exits;
  REQUIRE(exits.Start({"/bin/sh", "-c", "echo other >&2; exit 1"}).ok());
  absl::StatusOr<std::string> err = exits.WaitForStderr("ready", 10000);
  CHECK(err.status().code() == absl::StatusCode::kFailedPrecondition);
  CHECK(std::string(err.status().message()).find("other") != std::string::npos);

  Subprocess silent;
  REQUIRE(silent.Start({"/bin/sh", "-c", "exec sleep 1000"}).ok());
  err = silent.WaitForStderr("ready", 50);
  CHECK(err.status().code() == absl::StatusCode::kDeadlineExceeded);
  absl::StatusOr<ProcessResult> r = silent.Wait(50);
  REQUIRE(r.ok());
  CHECK(r->timed_out);
  CHECK(r->term_signal == SIGKILL);
}

TEST_CASE("Subprocess: the destructor kills a running child") {
  pid_t pid = -1;
  {
    Subprocess child;
    REQUIRE(child.Start({"/bin/sh", "-c", "exec sleep 1000"}).ok());
    pid = child.pid();
    CHECK(kill(pid, 0) == 0);
  }
  CHECK(kill(pid, 0) != 0);  // reaped, so the pid no longer exists
  Subprocess twice;
  REQUIRE(twice.Start({"/bin/sh", "-c", "exit 0"}).ok());
  CHECK(twice.Start({"/bin/sh", "-c", "exit 0"}).code() ==
        absl::StatusCode::kFailedPrecondition);
}

TEST_CASE("BinaryPath resolves inside the test's runfiles") {
  const std::string path = BinaryPath("testing/subprocess_test");
  CHECK(path.ends_with("/tcpkali/testing/subprocess_test"));
  CHECK(BinaryPath("//testing:subprocess_test") == path);
  absl::StatusOr<ProcessResult> r =
      RunProcess({"/bin/sh", "-c", "test -x \"$0\"", path});
  REQUIRE(r.ok());
  CHECK(r->exit_code == 0);
}

}  // namespace
}  // namespace tcpkali::testing
