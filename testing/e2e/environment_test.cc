// A hostile environment: a port already taken, a name that does not
// resolve, a message file that cannot be read, a descriptor limit too low,
// a destination that refuses. Each must end the run with its own exit code
// (SPEC.md, "Exit codes") and one clear line on stderr, never a crash, a
// hang or a cascade of messages.
#include <doctest/doctest.h>

#include <string>
#include <vector>

#include "testing/e2e/harness.h"
#include "testing/peers/loopback.h"

namespace tcpkali::testing {
namespace {

struct Row {
  std::string what;
  std::vector<std::string> argv;  // the whole command line, argv[0] included
  int exit_code;
  std::string needle;  // must appear in the one message line
};

// argv that runs tcpkali with `args` under `ulimit -n <limit>`: the shell
// lowers RLIMIT_NOFILE for itself, then execs tcpkali, which inherits it.
std::vector<std::string> UnderFileLimit(int limit,
                                        const std::vector<std::string>& args) {
  std::vector<std::string> argv = {
      "/bin/sh", "-c",
      "ulimit -n " + std::to_string(limit) + " && exec \"$0\" \"$@\"",
      TcpkaliPath()};
  argv.insert(argv.end(), args.begin(), args.end());
  return argv;
}

// Every stderr line is either one of tcpkali's messages or the live line:
// nothing else (a stack trace, an abort message) may appear.
void CheckOnlyMessagesAndLiveLines(const std::string& err) {
  for (const std::string& line : Lines(err)) {
    CAPTURE(line);
    CHECK((line.starts_with("tcpkali: ") || line.starts_with("Traffic ") ||
           line.starts_with("Ramped up")));
  }
}

TEST_CASE("environment failures: own exit code, one line, no crash") {
  absl::StatusOr<LoopbackListener> taken = ListenOnLoopback(16);
  REQUIRE(taken.ok());
  const std::string taken_address = LoopbackDestination(taken->port);
  absl::StatusOr<uint16_t> closed_port = FindFreeLoopbackPort();
  REQUIRE(closed_port.ok());
  const std::string refusing = LoopbackDestination(*closed_port);
  const std::string tcpkali = TcpkaliPath();

  const Row rows[] = {
      {"port in use",
       {tcpkali, "-l", taken_address, "-T", "1"},
       69,
       taken_address},
      {"port in use, with a destination too",
       {tcpkali, "-l", taken_address, "-T", "1", taken_address},
       69,
       taken_address},
      {"unresolvable host",
       {tcpkali, "-c", "1", "-T", "1", "no-such-host.invalid:80"},
       68,
       "no-such-host.invalid"},
      {"message file missing",
       {tcpkali, "-f", "/nonexistent/message", "-T", "1", refusing},
       65,
       "--message-file"},
      {"message file is a directory",
       {tcpkali, "-f", "/", "-T", "1", refusing},
       65,
       "--message-file"},
      {"first message file missing",
       {tcpkali, "--first-message-file", "/nonexistent/first", "-T", "1",
        refusing},
       65,
       "--first-message-file"},
      {"descriptor limit too low for -c with -w 1",
       UnderFileLimit(
           64, {"-w", "1", "-c", "5000", "-r", "100k", "-T", "1", refusing}),
       70, "ulimit -n"},
      {"descriptor limit too low for a self-connect run with -w 1",
       UnderFileLimit(64, {"-w", "1", "-c", "5000", "-r", "100k", "-T", "1",
                           "-l", refusing, refusing}),
       70, "ulimit -n"},
      {"a destination that refuses",
       {tcpkali, "-c", "2", "-T", "1", refusing},
       1,
       "Could not create"},
  };
  for (const Row& row : rows) {
    CAPTURE(row.what);
    CAPTURE(JoinArgs(row.argv));
    absl::StatusOr<ProcessResult> run =
        RunProcess(row.argv, {.timeout_ms = kRunTimeoutMs});
    REQUIRE(run.ok());
    CAPTURE(run->stderr_text);
    CHECK_FALSE(run->timed_out);
    CHECK(run->term_signal == 0);
    CHECK(run->exit_code == row.exit_code);
    const std::vector<std::string> messages = MessageLines(run->stderr_text);
    CHECK(messages.size() == 1);
    if (!messages.empty()) {
      CHECK(messages[0].find(row.needle) != std::string::npos);
    }
    CheckOnlyMessagesAndLiveLines(run->stderr_text);
    // Setup failures print no summary; a run that ran prints one.
    CHECK(run->stdout_text.empty() == (row.exit_code != 1));
  }
}

}  // namespace
}  // namespace tcpkali::testing
