// End to end: the built tcpkali binary, its exit codes and its one-line
// usage errors.
#include <doctest/doctest.h>

#include <string>
#include <vector>

#include "testing/subprocess.h"

namespace tcpkali::cli {
namespace {

using tcpkali::testing::BinaryPath;
using tcpkali::testing::ProcessResult;
using tcpkali::testing::RunProcess;

constexpr int kTimeoutMs = 30000;

absl::StatusOr<ProcessResult> Tcpkali(const std::vector<std::string>& args) {
  std::vector<std::string> argv = {BinaryPath("cli/tcpkali")};
  argv.insert(argv.end(), args.begin(), args.end());
  return RunProcess(argv, {.timeout_ms = kTimeoutMs});
}

TEST_CASE("bad command lines: exit 64 or 65 and one line naming the option") {
  struct Row {
    std::vector<std::string> args;
    int exit_code;
    std::string option;  // must appear in the message
  };
  const Row rows[] = {
      // Wrong units and malformed numbers.
      {{"-c", "10x", "localhost:80"}, 64, "--connections"},
      {{"-c", "1.5", "localhost:80"}, 64, "--connections"},
      {{"-c", "99999999999999999999", "x:1"}, 64, "--connections"},
      {{"-r", "-5", "localhost:80"}, 64, "--connect-rate"},
      {{"-T", "10sec", "x:1"}, 64, "--duration"},
      {{"-T", "99999999999d", "x:1"}, 64, "--duration"},
      {{"--connect-timeout", "", "x:1"}, 64, "--connect-timeout"},
      {{"--channel-bandwidth", "10mbit", "x:1"}, 64, "--channel-bandwidth"},
      {{"--rcvbuf", "1g", "x:1"}, 64, "--rcvbuf"},
      {{"--debug", "5", "x:1"}, 64, "--debug"},
      {{"--nagle", "maybe", "x:1"}, 64, "--nagle"},
      {{"--ws=on", "x:1"}, 64, "--ws"},
      // Missing values and unknown options.
      {{"-T"}, 64, "--duration"},
      {{"x:1", "-m"}, 64, "--message"},
      {{"--foo", "x:1"}, 64, "--foo"},
      {{"-q", "x:1"}, 64, "-q"},
      // Bad addresses.
      {{}, 64, "--listen-port"},
      {{"localhost"}, 64, "destination"},
      {{"::1:80"}, 64, "destination"},
      {{"-l", "70000"}, 64, "--listen-port"},
      {{"--source-ip", "1.2.3.4/33", "x:1"}, 64, "--source-ip"},
      // TEST-NET-1: no address of this host (unless ip_nonlocal_bind).
      {{"--source-ip", "192.0.2.1", "127.0.0.1:1"}, 64, "--source-ip"},
      // Bad percentiles.
      {{"--latency-percentiles", "0", "x:1"}, 64, "--latency-percentiles"},
      {{"--latency-percentiles", "99/101", "x:1"}, 64, "--latency-percentiles"},
      {{"--latency-percentiles", "95,,99", "x:1"}, 64, "--latency-percentiles"},
      // Contradictions.
      {{"-w", "2000", "x:1"}, 64, "--workers"},
      {{"-c", "0", "x:1"}, 64, "--connections"},
      {{"x:1", "--message-rate", "10"}, 64, "--message-rate"},
      {{"--message-rate", "@5ms", "-m", "x", "x:1"}, 64, "--message-rate"},
      {{"-H", "X-Y: z", "x:1"}, 64, "--header"},
      {{"--latency-marker-skip", "2", "-m", "x", "x:1"},
       64,
       "--latency-marker-skip"},
      {{"--listen-mode", "echo", "x:1"}, 64, "--listen-mode"},
      {{"-l", "0", "--listen-mode", "active"}, 64, "--listen-mode"},
      {{"--statsd-port", "0", "x:1"}, 64, "--statsd-port"},
      {{"--channel-bandwidth", "1Mbps", "--channel-bandwidth-upstream", "2Mbps",
        "x:1"},
       64,
       "--channel-bandwidth-upstream"},
      // Unreadable message files.
      {{"-f", "/nonexistent/message", "x:1"}, 65, "--message-file"},
      {{"--first-message-file", "/nonexistent/first", "x:1"},
       65,
       "--first-message-file"},
  };
  for (const Row& row : rows) {
    std::string joined;
    for (const std::string& arg : row.args) joined += arg + " ";
    CAPTURE(joined);
    absl::StatusOr<ProcessResult> r = Tcpkali(row.args);
    REQUIRE(r.ok());
    CAPTURE(r->stderr_text);
    CHECK_FALSE(r->timed_out);
    CHECK(r->term_signal == 0);
    CHECK(r->exit_code == row.exit_code);
    CHECK(r->stdout_text.empty());
    CHECK(r->stderr_text.starts_with("tcpkali: "));
    CHECK(r->stderr_text.ends_with("\n"));
    CHECK(r->stderr_text.find('\n') == r->stderr_text.size() - 1);
    CHECK(r->stderr_text.find(row.option) != std::string::npos);
  }
}

TEST_CASE("--help exits 0 and names every option of SPEC.md") {
  absl::StatusOr<ProcessResult> r = Tcpkali({"--help"});
  REQUIRE(r.ok());
  CHECK(r->exit_code == 0);
  CHECK(r->stderr_text.empty());
  const std::string& help = r->stdout_text;
  // SPEC.md's option table, written out here so that the help cannot drop
  // one without this test noticing.
  // clang-format off
  const char* spec_options[] = {
      "--help", "--version", "--debug", "--verbose", "--connections",
      "--connect-rate", "--connect-timeout", "--channel-lifetime",
      "--channel-bandwidth", "--channel-bandwidth-upstream",
      "--channel-bandwidth-downstream", "--first-message",
      "--first-message-file", "--message", "--message-file",
      "--message-rate", "--listen-port", "--workers", "--duration",
      "--statsd", "--statsd-host", "--statsd-port", "--statsd-namespace",
      "--statsd-latency-window", "--unescape-message-args", "--message-stop",
      "--delay-send", "--listen-mode", "--ws", "--websocket", "--header",
      "--latency-connect", "--latency-first-byte", "--latency-marker",
      "--latency-marker-skip", "--latency-percentiles", "--message-marker",
      "--nagle", "--rcvbuf", "--sndbuf", "--write-combine", "--source-ip",
      "--dump-one", "--dump-one-in", "--dump-one-out", "--dump-all",
      "--dump-all-in", "--dump-all-out", "--json", "--stats-json",
      "--check-limits", "-h,", "-c,", "-r,", "-m,", "-f,", "-l,", "-w,",
      "-T,", "-e,", "-1,", "-d,", "-H,", "-v "};
  // clang-format on
  for (const char* option : spec_options) {
    CAPTURE(option);
    CHECK(help.find(std::string(" ") + option) != std::string::npos);
  }
  // -h is the same.
  absl::StatusOr<ProcessResult> h = Tcpkali({"-h"});
  REQUIRE(h.ok());
  CHECK(h->exit_code == 0);
  CHECK(h->stdout_text == help);
}

TEST_CASE("--version exits 0 and prints the version line first") {
  absl::StatusOr<ProcessResult> r = Tcpkali({"--version"});
  REQUIRE(r.ok());
  CHECK(r->exit_code == 0);
  CHECK(r->stdout_text.starts_with("tcpkali version 1.0.0 (io_uring)\n"));
  CHECK(r->stdout_text.size() > 33);  // the features, or why there are none
}

}  // namespace
}  // namespace tcpkali::cli
