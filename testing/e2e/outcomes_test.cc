// Connection outcomes: each way a connection can fail is counted under its
// own cause in --json's connections.failed_by_cause (and so in the text's
// "Connections:" line), and a run whose connections never stay up ends
// with exit 1 and one "Could not create" line.
//
// - refused: a loopback port nobody listens on;
// - timeout: a listener whose full accept queue drops every SYN
//   (testing/peers/stalled_listener.h), with --connect-timeout 200ms;
// - reset: a peer that accepts and closes with SO_LINGER 0
//   (testing/peers/reset_peer.h).
#include <doctest/doctest.h>

#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "absl/strings/str_cat.h"
#include "testing/e2e/harness.h"
#include "testing/peers/loopback.h"
#include "testing/peers/reset_peer.h"
#include "testing/peers/stalled_listener.h"

namespace tcpkali::testing {
namespace {

// The counts of connections.failed_by_cause, in the order of the text.
struct Failures {
  int64_t refused = -1;
  int64_t timeout = -1;
  int64_t reset = -1;
  int64_t no_address = -1;
  int64_t other = -1;
  int64_t total = -1;  // connections.failed
};

Failures FailuresOf(const JsonValue& report) {
  Failures f;
  f.refused = IntAt(report, {"connections", "failed_by_cause", "refused"});
  f.timeout = IntAt(report, {"connections", "failed_by_cause", "timeout"});
  f.reset = IntAt(report, {"connections", "failed_by_cause", "reset"});
  f.no_address =
      IntAt(report, {"connections", "failed_by_cause", "no_address"});
  f.other = IntAt(report, {"connections", "failed_by_cause", "other"});
  f.total = IntAt(report, {"connections", "failed"});
  return f;
}

// A run that cannot keep its connections: exit 1, and exactly one message
// line, the one explaining the ramp-up failure.
void CheckRampUpFailed(const ProcessResult& run, int connections) {
  CAPTURE(run.stderr_text);
  CHECK_FALSE(run.timed_out);
  CHECK(run.term_signal == 0);
  CHECK(run.exit_code == 1);
  const std::vector<std::string> messages = MessageLines(run.stderr_text);
  REQUIRE(messages.size() == 1);
  CHECK(messages[0].starts_with("tcpkali: Could not create " +
                                std::to_string(connections) + " connection"));
}

TEST_CASE("a port with no listener: every attempt is counted as refused") {
  absl::StatusOr<uint16_t> port = FindFreeLoopbackPort();
  REQUIRE(port.ok());
  absl::StatusOr<ProcessResult> run =
      RunTcpkali({"-c", "3", "-T", "1", "--json", LoopbackDestination(*port)});
  REQUIRE(run.ok());
  CheckRampUpFailed(*run, 3);
  std::optional<JsonValue> report = ParseReport(run->stdout_text);
  REQUIRE(report.has_value());
  const Failures f = FailuresOf(*report);
  const int64_t attempts = IntAt(*report, {"connections", "attempts"});
  CHECK(attempts >= 3);
  CHECK(f.refused == attempts);
  CHECK(f.total == attempts);
  CHECK(f.timeout == 0);
  CHECK(f.reset == 0);
  CHECK(f.no_address == 0);
  CHECK(f.other == 0);
  CHECK(IntAt(*report, {"connections", "opened"}) == 0);
}

TEST_CASE("a listener that never answers: attempts are counted as timeouts") {
  absl::StatusOr<std::unique_ptr<StalledListener>> stalled =
      StalledListener::Create();
  REQUIRE(stalled.ok());
  absl::StatusOr<ProcessResult> run =
      RunTcpkali({"-c", "3", "-T", "1", "--connect-timeout", "200ms", "--json",
                  LoopbackDestination((*stalled)->port())});
  REQUIRE(run.ok());
  CheckRampUpFailed(*run, 3);
  std::optional<JsonValue> report = ParseReport(run->stdout_text);
  REQUIRE(report.has_value());
  const Failures f = FailuresOf(*report);
  // Three slots, each timing out after 200 ms and trying again, for 1 s.
  CHECK(f.timeout >= 3);
  CHECK(f.total == f.timeout);
  CHECK(f.refused == 0);
  CHECK(f.reset == 0);
  CHECK(IntAt(*report, {"connections", "opened"}) == 0);
  // Attempts still under way when the run ended are neither.
  CHECK(IntAt(*report, {"connections", "attempts"}) >= f.timeout);
}

TEST_CASE("a peer that resets what it accepts: counted as reset") {
  absl::StatusOr<std::unique_ptr<ResetPeer>> peer = ResetPeer::Start();
  REQUIRE(peer.ok());
  absl::StatusOr<ProcessResult> run =
      RunTcpkali({"-c", "3", "-T", "1", "-m", "hello", "--json",
                  LoopbackDestination((*peer)->port())});
  REQUIRE(run.ok());
  CAPTURE(run->stderr_text);
  CHECK_FALSE(run->timed_out);
  CHECK(run->term_signal == 0);
  // Whether three connections were ever open at the same instant (the
  // ramp-up) depends on when the resets arrive: 0 and 1 are both right.
  CHECK((run->exit_code == 0 || run->exit_code == 1));
  std::optional<JsonValue> report = ParseReport(run->stdout_text);
  REQUIRE(report.has_value());
  const Failures f = FailuresOf(*report);
  CHECK(f.reset >= 3);
  CHECK(f.total == f.reset);
  CHECK(f.refused == 0);
  CHECK(f.timeout == 0);
  // Every reset counted was one the peer made.
  CHECK(static_cast<uint64_t>(f.reset) <= (*peer)->Resets());
  CHECK(SumOverWorkers(*report, "conn_failed_reset") ==
        static_cast<uint64_t>(f.reset));
}

TEST_CASE("the text summary counts the same outcomes") {
  absl::StatusOr<uint16_t> port = FindFreeLoopbackPort();
  REQUIRE(port.ok());
  absl::StatusOr<ProcessResult> run =
      RunTcpkali({"-c", "2", "-T", "1", LoopbackDestination(*port)});
  REQUIRE(run.ok());
  CheckRampUpFailed(*run, 2);
  // "Connections: 0 opened, N failed (refused N, timeout 0, reset 0,
  // no-address 0), 0 closed" with the same N twice.
  const std::string prefix = "Connections: 0 opened, ";
  const std::string& out = run->stdout_text;
  const size_t at = out.find(prefix);
  REQUIRE(at != std::string::npos);
  const std::string line = out.substr(at, out.find('\n', at) - at);
  CAPTURE(line);
  const size_t failed_at = line.find(" failed (refused ");
  REQUIRE(failed_at != std::string::npos);
  const std::string failed =
      line.substr(prefix.size(), failed_at - prefix.size());
  CHECK(line == absl::StrCat(prefix, failed, " failed (refused ", failed,
                             ", timeout 0, reset 0, no-address 0), 0 closed"));
  CHECK(failed != "0");
}

TEST_CASE("churned connections ramp up once each has opened, never all at once") {
  // 20 connections opened at 100/s that live 5 ms each: at most one or
  // two are ever open together, yet every slot opens: ramped up, exit 0.
  absl::StatusOr<ProcessResult> run = RunSelfConnect(
      {"-c", "20", "-r", "100", "--channel-lifetime", "5ms", "-T", "1"});
  REQUIRE(run.ok());
  CAPTURE(run->stderr_text);
  CHECK(run->exit_code == 0);
  CHECK(run->stderr_text.find("Ramped up to 20 connections.") != std::string::npos);
  CHECK(run->stderr_text.find("Could not create") == std::string::npos);
}

}  // namespace
}  // namespace tcpkali::testing
