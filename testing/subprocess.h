// Running programs from tests: the real tcpkali binary in end-to-end tests,
// /bin/sh in this library's own tests.
//
// RunProcess() runs a command to completion and returns its exit status and
// everything it printed. Subprocess keeps a program running in the
// background so a test can wait for a line on its stderr (the port a sink
// listens on, "Ramped up"), signal it and collect its result. Both read the
// child's stdout and stderr concurrently with poll() and watch its exit
// through a pidfd, so a chatty child never blocks and a test never sleeps to
// synchronise. Every wait has a bound: past it the child's process group is
// killed with SIGKILL.
//
// Example:
//   absl::StatusOr<ProcessResult> r = testing::RunProcess(
//       {testing::BinaryPath("cli/tcpkali"), "--version"}, {});
//   CHECK(r->exit_code == 0);
//
//   testing::Subprocess sink;
//   REQUIRE(sink.Start({tcpkali, "-l", "0", "-T", "-1"}).ok());
//   absl::StatusOr<std::string> err = sink.WaitForStderr("Listening", 5000);
//   REQUIRE(sink.Signal(SIGINT).ok());
//   absl::StatusOr<ProcessResult> result = sink.Wait(5000);
#ifndef TCPKALI_TESTING_SUBPROCESS_H_
#define TCPKALI_TESTING_SUBPROCESS_H_

#include <sys/types.h>

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"

namespace tcpkali::testing {

struct ProcessResult {
  int exit_code = -1;   // the exit status, or -1 when a signal ended it
  int term_signal = 0;  // the signal that ended it, or 0
  std::string stdout_text;
  std::string stderr_text;
  bool timed_out = false;  // it outlived the timeout and was SIGKILLed
};

struct RunOptions {
  int timeout_ms = 30000;  // RunProcess only; Subprocess::Wait takes its own
  std::string stdin_text;  // written to the child's stdin, which then closes
  // "NAME=value" entries added to this process's environment for the child
  // (replacing a variable of the same name).
  std::vector<std::string> env;
};

// Runs argv (argv[0] is looked up in PATH when it has no '/') to completion
// or until options.timeout_ms have passed, then SIGKILLs its process group.
// Fails only when the program cannot be started (NotFound when it does not
// exist); a nonzero exit, a signal or a timeout are results, not errors.
[[nodiscard]] absl::StatusOr<ProcessResult> RunProcess(
    const std::vector<std::string>& argv, const RunOptions& options = {});

// One background child, in its own process group. Owned by one test thread.
// The destructor SIGKILLs the group and reaps the child if it still runs.
class Subprocess {
 public:
  Subprocess() = default;
  ~Subprocess();
  Subprocess(const Subprocess&) = delete;
  Subprocess& operator=(const Subprocess&) = delete;

  // Starts argv as RunProcess does (options.timeout_ms is not used). Fails
  // when it cannot be started, or when this object already started one.
  [[nodiscard]] absl::Status Start(const std::vector<std::string>& argv,
                                   const RunOptions& options = {});

  // Reads the child's output until its stderr contains `needle`, then
  // returns all the stderr read so far. Fails with DeadlineExceeded after
  // timeout_ms, and with FailedPrecondition when the child exits and closes
  // its output without printing it; both messages include the stderr.
  [[nodiscard]] absl::StatusOr<std::string> WaitForStderr(
      std::string_view needle, int timeout_ms);

  // Sends `signal` to the child (not to its process group). Fails when the
  // child was never started or has already been waited for.
  [[nodiscard]] absl::Status Signal(int signal);

  // Waits for the child to exit and close its output, at most timeout_ms;
  // then SIGKILLs its process group and reports timed_out. The result holds
  // all the output, including what WaitForStderr already returned. Fails
  // when nothing was started or the child was already waited for.
  [[nodiscard]] absl::StatusOr<ProcessResult> Wait(int timeout_ms);

  pid_t pid() const { return pid_; }

 private:
  // Moves data between the pipes and the buffers until done() or the
  // monotonic deadline. Returns done()'s final value.
  template <typename Done>
  bool Pump(int64_t deadline_ns, Done done);
  void PollOnce(int timeout_ms);
  void ReadFrom(int& fd, std::string& into);
  void WriteStdin();
  void Reap(bool block);
  void KillGroup();
  void CloseAll();
  bool OutputClosed() const { return stdout_fd_ < 0 && stderr_fd_ < 0; }

  pid_t pid_ = -1;
  int pidfd_ = -1;
  int stdin_fd_ = -1;
  int stdout_fd_ = -1;
  int stderr_fd_ = -1;
  std::string stdin_text_;
  size_t stdin_written_ = 0;
  std::string stdout_;
  std::string stderr_;
  bool exited_ = false;
  bool waited_ = false;
  int wait_status_ = 0;
};

// The path of a program the test depends on (a data dependency) in its
// runfiles: "cli/tcpkali" (or "//cli:tcpkali") ->
// "$TEST_SRCDIR/tcpkali/cli/tcpkali". RunfilePath() (testing/testdata.h)
// under the name that says what it is for; outside a test, the path as
// given.
std::string BinaryPath(std::string_view workspace_relative);

}  // namespace tcpkali::testing

#endif  // TCPKALI_TESTING_SUBPROCESS_H_
