// The text summary, end to end: the lines of SPEC.md's "Final summary" in
// their order and shapes (scripts grep them), the optional lines exactly
// when their options are given, and figures that agree with each other and
// with --json for the same kind of run.
#include <doctest/doctest.h>

#include <cmath>
#include <cstdio>
#include <regex>
#include <string>
#include <vector>

#include "absl/strings/numbers.h"
#include "absl/strings/str_format.h"
#include "testing/e2e/harness.h"

namespace tcpkali::testing {
namespace {

// One line of the summary: its name (for messages) and its shape.
struct Shape {
  std::string name;
  std::string pattern;
};

const std::string kNum = "([0-9]+\\.[0-9]+)";
const std::string kInt = "([0-9]+)";
const std::string kSize =
    "([0-9]+ bytes|[0-9]+\\.[0-9] KiB|[0-9]+\\.[0-9] MiB)";
const std::string kLatencies =
    " at percentiles: [0-9.]+/[0-9.]+/[0-9.]+ ms \\(95/99/99\\.5%\\)";

const Shape kSent = {
    "sent", "Total data sent:     " + kSize + " \\(" + kInt + " bytes\\)"};
const Shape kReceived = {
    "received", "Total data received: " + kSize + " \\(" + kInt + " bytes\\)"};
const Shape kPerChannel = {"per channel", "Bandwidth per channel: " + kNum +
                                              "⇅ Mbps \\(" + kNum + " kBps\\)"};
const Shape kAggregate = {
    "aggregate", "Aggregate bandwidth: " + kNum + "↓, " + kNum + "↑ Mbps"};
const Shape kPackets = {"packets", "Packet rate estimate: " + kNum + "↓, " +
                                       kNum + "↑ \\(" + kInt + "↓, " + kInt +
                                       "↑ TCP MSS/op\\)"};
const Shape kMessageRate = {
    "message rate", "Aggregate message rate: " + kNum + "↓, " + kNum + "↑ mps"};
const Shape kConnectLatency = {"connect latency",
                               "TCP connect latency" + kLatencies};
const Shape kFirstByteLatency = {"first byte latency",
                                 "First byte latency" + kLatencies};
const Shape kMessageLatency = {"message latency",
                               "Message latency" + kLatencies};
const Shape kDuration = {"duration",
                         "Test duration: ([0-9.]+(e[-+][0-9]+)?) s\\."};
const Shape kConnections = {
    "connections", "Connections: " + kInt + " opened, " + kInt +
                       " failed \\(refused " + kInt + ", timeout " + kInt +
                       ", reset " + kInt + ", no-address " + kInt +
                       "(, other [0-9]+)?\\), " + kInt + " closed"};
const Shape kPacing = {"pacing",
                       "Message rate achieved: ([0-9.]+) of "
                       "([0-9.]+) requested per connection, lag " +
                           kInt};
// Lines the engine may add after SPEC.md's: the pacing lag histogram and
// the generator's own trouble counters.
const std::regex kExtra("(Pacing lag" + kLatencies + "|Generator health: .*)");

// Matches the summary line by line against `shapes`, in order, then allows
// only the known extra lines. Returns the submatches of each shape.
std::vector<std::smatch> MatchSummary(const std::string& text,
                                      const std::vector<Shape>& shapes,
                                      std::vector<std::string>& lines) {
  lines = Lines(text);
  std::vector<std::smatch> matches;
  REQUIRE(lines.size() >= shapes.size());
  for (size_t i = 0; i < shapes.size(); ++i) {
    CAPTURE(shapes[i].name);
    CAPTURE(lines[i]);
    std::smatch m;
    REQUIRE(std::regex_match(lines[i], m, std::regex(shapes[i].pattern)));
    matches.push_back(std::move(m));
  }
  for (size_t i = shapes.size(); i < lines.size(); ++i) {
    CAPTURE(lines[i]);
    CHECK(std::regex_match(lines[i], kExtra));
  }
  return matches;
}

// SPEC.md: "N bytes" below 2048, "X.Y KiB" below 512 KiB, else "X.Y MiB".
std::string HumanSize(uint64_t bytes) {
  if (bytes < 2048) return absl::StrFormat("%d bytes", bytes);
  if (bytes < 512 * 1024) return absl::StrFormat("%.1f KiB", bytes / 1024.0);
  return absl::StrFormat("%.1f MiB", bytes / (1024.0 * 1024.0));
}

uint64_t ToInt(const std::ssub_match& m) {
  uint64_t n = 0;
  CHECK(absl::SimpleAtoi(m.str(), &n));
  return n;
}

double ToDouble(const std::ssub_match& m) {
  double d = 0;
  CHECK(absl::SimpleAtod(m.str(), &d));
  return d;
}

// A paced self-connect run through an echo sink with every option that
// adds a line. Its byte counts are fixed by the schedule: 2 connections x
// 20 messages/s x 1 s of 36 bytes ("abc", a 30-byte marker, "xyz"), each
// sent twice (by the client, then echoed by the sink) and so also
// received twice.
const std::vector<std::string> kPacedArgs = {"-c",
                                             "2",
                                             "--listen-mode",
                                             "echo",
                                             "-m",
                                             "abc\\{message.marker}xyz",
                                             "--message-marker",
                                             "--latency-marker",
                                             "xyz",
                                             "--latency-connect",
                                             "--latency-first-byte",
                                             "--message-rate",
                                             "20",
                                             "-T",
                                             "1"};
constexpr uint64_t kMessageBytes = 36;
constexpr uint64_t kScheduledMessages = 40;

// A byte count of the paced run: whole messages, twice as many as
// scheduled (+/- 2 each way for where the ramp-up and the end fall).
void CheckPacedBytes(uint64_t bytes) {
  CAPTURE(bytes);
  CHECK(bytes % kMessageBytes == 0);
  CHECK(std::abs(static_cast<double>(bytes / kMessageBytes) -
                 2.0 * kScheduledMessages) <= 4);
}

TEST_CASE("every optional line, in SPEC.md's order and shapes") {
  absl::StatusOr<ProcessResult> run = RunSelfConnect(kPacedArgs);
  REQUIRE(run.ok());
  CAPTURE(run->stdout_text);
  CAPTURE(run->stderr_text);
  REQUIRE(run->exit_code == 0);
  std::vector<std::string> lines;
  const std::vector<std::smatch> m =
      MatchSummary(run->stdout_text,
                   {kSent, kReceived, kPerChannel, kAggregate, kPackets,
                    kMessageRate, kConnectLatency, kFirstByteLatency,
                    kMessageLatency, kDuration, kConnections, kPacing},
                   lines);

  const uint64_t sent = ToInt(m[0][2]);
  const uint64_t received = ToInt(m[1][2]);
  CHECK(m[0][1].str() == HumanSize(sent));
  CHECK(m[1][1].str() == HumanSize(received));
  CheckPacedBytes(sent);
  CheckPacedBytes(received);

  const double duration_s = ToDouble(m[9][1]);
  CHECK(duration_s >= 1);
  CHECK(duration_s < 2);
  // Aggregate bandwidth is the byte counts over the duration, in Mbit/s.
  CHECK(std::abs(ToDouble(m[3][2]) - sent * 8 / duration_s / 1e6) <= 0.0006);
  CHECK(std::abs(ToDouble(m[3][1]) - received * 8 / duration_s / 1e6) <=
        0.0006);

  // 2 outgoing + 2 accepted, nothing failed.
  CHECK(ToInt(m[10][1]) == 4);
  CHECK(ToInt(m[10][2]) == 0);
  CHECK(m[11][2].str() == "20.0");
  CHECK(std::abs(ToDouble(m[11][1]) - 20) <= 1);
  CHECK(ToInt(m[11][3]) <= 2);
}

TEST_CASE("--json counts the same bytes for the same kind of run") {
  std::vector<std::string> args = kPacedArgs;
  args.push_back("--json");
  absl::StatusOr<ProcessResult> run = RunSelfConnect(args);
  REQUIRE(run.ok());
  CAPTURE(run->stderr_text);
  REQUIRE(run->exit_code == 0);
  std::optional<JsonValue> report = ParseReport(run->stdout_text);
  REQUIRE(report.has_value());
  const int64_t sent = IntAt(*report, {"traffic", "bytes_sent"});
  CheckPacedBytes(static_cast<uint64_t>(sent));
  CheckPacedBytes(
      static_cast<uint64_t>(IntAt(*report, {"traffic", "bytes_received"})));
  CHECK(IntAt(*report, {"connections", "opened"}) == 4);
  CHECK(IntAt(*report, {"connections", "failed"}) == 0);
  CHECK(NumberAt(*report, {"pacing", "requested_per_conn_per_s"}) == 20);
  CHECK(NumberAt(*report, {"duration_s"}) >= 1);
  // The whole run (workers) holds at least what the text calls traffic.
  CHECK(SumOverWorkers(*report, "bytes_sent") >= static_cast<uint64_t>(sent));
}

TEST_CASE("a plain run prints SPEC.md's lines and no optional one") {
  absl::StatusOr<ProcessResult> run =
      RunSelfConnect({"-c", "2", "-m", "bulk", "-T", "1"});
  REQUIRE(run.ok());
  CAPTURE(run->stdout_text);
  CAPTURE(run->stderr_text);
  REQUIRE(run->exit_code == 0);
  std::vector<std::string> lines;
  const std::vector<std::smatch> m =
      MatchSummary(run->stdout_text,
                   {kSent, kReceived, kPerChannel, kAggregate, kPackets,
                    kDuration, kConnections},
                   lines);
  // Unpaced loopback traffic runs to megabytes: the MiB form.
  const uint64_t sent = ToInt(m[0][2]);
  CHECK(sent > 512 * 1024);
  CHECK(m[0][1].str() == HumanSize(sent));
  CHECK(m[1][1].str() == HumanSize(ToInt(m[1][2])));
  CHECK(ToInt(m[6][1]) == 4);
}

}  // namespace
}  // namespace tcpkali::testing
