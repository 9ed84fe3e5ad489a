// The fault matrix: for each way a peer, the network or the system can
// misbehave, the run finishes on time, exits with the documented code, and
// the report's connection outcomes and byte counts match what the peer saw.
//
// Refused connections, a full accept queue and resets are in
// outcomes_test.cc. Here:
// - peers (testing/peers/faulty_listener.h): one that closes after N bytes,
//   one that half-closes, one that never reads (zero window);
// - a flood of random bytes into a sink, plain and --ws
//   (testing/peers/garbage_writer.h);
// - two destinations of which one refuses;
// - a StatsD host that is not listening;
// - io_uring forbidden by seccomp (testing/tools/no_io_uring.cc);
// - in network namespaces (root only; skipped otherwise): 10% loss and
//   50 ms delay each way (a user-space netem, testing/peers/packet_relay.h,
//   since the kernel here lacks sch_netem), and ephemeral ports running out
//   (EADDRNOTAVAIL).
//
// Whole-run byte counts come from the per-worker counters (SumOverWorkers):
// "traffic.*" leaves the ramp-up out.
#include <doctest/doctest.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "testing/e2e/harness.h"
#include "testing/e2e/netns.h"
#include "testing/peers/faulty_listener.h"
#include "testing/peers/garbage_writer.h"
#include "testing/peers/loopback.h"
#include "testing/peers/packet_relay.h"
#include "testing/subprocess.h"
#include "testing/test_seed.h"

namespace tcpkali::testing {
namespace {

constexpr int kDrainTimeoutMs = 30'000;
// How long after -T a run may take to end: teardown, the summary, and a
// stalled send given up.
constexpr int64_t kEndSlackNs = 3'000'000'000;

bool SkipWithoutNamespaces() {
  const std::optional<std::string> why = NamespacesUnavailableReason();
  if (why.has_value()) MESSAGE("skipped: " << *why);
  return why.has_value();
}

// A run that ended by itself, normally or not, but not by a signal or the
// harness's timeout.
void CheckEndedByItself(const ProcessResult& run) {
  CHECK_FALSE(run.timed_out);
  CHECK(run.term_signal == 0);
}

// RunTcpkali, and how long it took.
struct TimedRun {
  ProcessResult result;
  int64_t wall_ns = 0;
};

TimedRun RunTimed(const std::vector<std::string>& args) {
  CAPTURE(JoinArgs(args));
  const int64_t start_ns = MonotonicNowNs();
  absl::StatusOr<ProcessResult> run = RunTcpkali(args);
  REQUIRE(run.ok());
  return {std::move(*run), MonotonicNowNs() - start_ns};
}

JsonValue ReportOf(const ProcessResult& run) {
  std::optional<JsonValue> report = ParseReport(run.stdout_text);
  REQUIRE(report.has_value());
  return std::move(*report);
}

// Stops a sink, which must end by itself with exit 0 and its report.
JsonValue StopSink(TcpkaliSink& sink) {
  absl::StatusOr<ProcessResult> stopped = sink.Stop();
  REQUIRE(stopped.ok());
  CAPTURE(stopped->stderr_text);
  CheckEndedByItself(*stopped);
  CHECK(stopped->exit_code == 0);
  return ReportOf(*stopped);
}

uint64_t Sum(const std::vector<PeerConnection>& connections, size_t from) {
  uint64_t bytes = 0;
  for (size_t i = from; i < connections.size(); ++i) {
    bytes += connections[i].bytes;
  }
  return bytes;
}

TEST_CASE("a peer that closes after N bytes: the close is counted, the slot "
          "refilled, and no byte is missing") {
  constexpr uint64_t kCloseAfter = 100'000;
  constexpr int kConnections = 2;
  absl::StatusOr<std::unique_ptr<FaultyListener>> peer = FaultyListener::Start(
      {.behavior = PeerBehavior::kCloseAfterBytes,
       .close_after_bytes = kCloseAfter,
       .close_first = kConnections});
  REQUIRE(peer.ok());
  const TimedRun run =
      RunTimed({"-c", std::to_string(kConnections), "-m", "hello", "-T", "1",
                "--json", LoopbackDestination((*peer)->port())});
  CAPTURE(run.result.stderr_text);
  CheckEndedByItself(run.result);
  CHECK(run.result.exit_code == 0);
  const JsonValue report = ReportOf(run.result);
  // Each closed connection was replaced once; the replacements lasted.
  CHECK(IntAt(report, {"connections", "opened_out"}) == 2 * kConnections);
  CHECK(IntAt(report, {"connections", "closed_out"}) == kConnections);
  // Data still arriving when the peer closed makes its kernel reset.
  CHECK(IntAt(report, {"connections", "failed_by_cause", "reset"}) <=
        kConnections);

  REQUIRE((*peer)->WaitForEnded(2 * kConnections, kDrainTimeoutMs));
  const std::vector<PeerConnection> seen = (*peer)->Connections();
  REQUIRE(seen.size() == 2 * kConnections);
  for (int i = 0; i < kConnections; ++i) {
    CHECK(seen[i].closed_by_us);
    CHECK(seen[i].bytes == kCloseAfter);
  }
  for (size_t i = kConnections; i < seen.size(); ++i) {
    CHECK_FALSE(seen[i].reset);  // the client ended them with a FIN
  }
  // What the client sent on the replacements arrived whole; on the closed
  // ones it sent at least what the peer read before closing.
  const uint64_t sent = SumOverWorkers(report, "bytes_sent");
  const uint64_t replacements = Sum(seen, kConnections);
  REQUIRE(sent >= replacements);
  CHECK(sent - replacements >= kConnections * kCloseAfter);
}

TEST_CASE("a peer that half-closes: it reads every byte the client sent") {
  absl::StatusOr<std::unique_ptr<FaultyListener>> peer =
      FaultyListener::Start({.behavior = PeerBehavior::kHalfClose});
  REQUIRE(peer.ok());
  const TimedRun run = RunTimed({"-c", "2", "-m", "hello", "-T", "1", "--json",
                                 LoopbackDestination((*peer)->port())});
  CAPTURE(run.result.stderr_text);
  CheckEndedByItself(run.result);
  const JsonValue report = ReportOf(run.result);
  const int64_t opened = IntAt(report, {"connections", "opened_out"});
  REQUIRE(opened >= 2);
  REQUIRE((*peer)->WaitForEnded(opened, kDrainTimeoutMs));
  CHECK((*peer)->Connections().size() == static_cast<size_t>(opened));
  CHECK((*peer)->TotalBytes() == SumOverWorkers(report, "bytes_sent"));
}

// Half-closing is the peer saying it has nothing more to send, not that it
// stopped listening: the client must go on sending on the same connection.
TEST_CASE("a peer that half-closes: the client keeps its connections and "
          "goes on sending") {
  absl::StatusOr<std::unique_ptr<FaultyListener>> peer =
      FaultyListener::Start({.behavior = PeerBehavior::kHalfClose});
  REQUIRE(peer.ok());
  const TimedRun run = RunTimed({"-c", "2", "-m", "hello", "-T", "1", "--json",
                                 LoopbackDestination((*peer)->port())});
  CAPTURE(run.result.stderr_text);
  CheckEndedByItself(run.result);
  CHECK(run.result.exit_code == 0);
  const JsonValue report = ReportOf(run.result);
  CHECK(IntAt(report, {"connections", "opened_out"}) == 2);
  CHECK(IntAt(report, {"connections", "closed_out"}) == 0);
  REQUIRE((*peer)->WaitForEnded(2, kDrainTimeoutMs));
  const std::vector<PeerConnection> seen = (*peer)->Connections();
  REQUIRE(seen.size() == 2);
  CHECK((*peer)->TotalBytes() == SumOverWorkers(report, "bytes_sent"));
  // It went on sending after the FIN: a megabyte in a second is little.
  CHECK(seen[0].bytes > 1'000'000);
  CHECK(seen[1].bytes > 1'000'000);
}

TEST_CASE("a peer that never reads: the run ends on time, and bytes_sent is "
          "what the peer's socket took") {
  constexpr int kDurationS = 1;
  absl::StatusOr<std::unique_ptr<FaultyListener>> peer =
      FaultyListener::Start({.behavior = PeerBehavior::kNeverRead});
  REQUIRE(peer.ok());
  const TimedRun run =
      RunTimed({"-c", "2", "-m", "hello", "-T", std::to_string(kDurationS),
                "--json", LoopbackDestination((*peer)->port())});
  CAPTURE(run.result.stderr_text);
  CheckEndedByItself(run.result);
  CHECK(run.result.exit_code == 0);
  // Sends stall on a zero window; that must not hold the end of the run.
  CHECK(run.wall_ns <= kDurationS * 1'000'000'000LL + kEndSlackNs);
  const JsonValue report = ReportOf(run.result);
  CHECK(IntAt(report, {"connections", "opened_out"}) == 2);
  CHECK(IntAt(report, {"connections", "failed"}) == 0);

  // Everything the client counted as sent is in the peer's receive buffer
  // or still in the client's send buffer, which the kernel delivers after
  // the close: read it all.
  (*peer)->StartReading();
  REQUIRE((*peer)->WaitForEnded(2, kDrainTimeoutMs));
  const uint64_t sent = SumOverWorkers(report, "bytes_sent");
  CHECK(sent > 0);
  CHECK((*peer)->TotalBytes() == sent);
}

TEST_CASE("random bytes flooded into a sink are all counted") {
  constexpr int kConnections = 4;
  TcpkaliSink sink;
  REQUIRE(sink.Start({"--json"}).ok());
  absl::StatusOr<GarbageResult> flood =
      WriteGarbage({.port = sink.port(),
                    .connections = kConnections,
                    .duration_ns = 2'000'000'000,
                    .seed = TestSeed()});
  REQUIRE(flood.ok());
  CHECK(flood->closed_by_peer == 0);
  CHECK(flood->bytes_written > 0);
  REQUIRE(sink.WaitAllClosed(kConnections, kDrainTimeoutMs).ok());
  const JsonValue report = StopSink(sink);
  CHECK(SumOverWorkers(report, "bytes_received") == flood->bytes_written);
  CHECK(IntAt(report, {"connections", "accepted"}) == kConnections);
  CHECK(IntAt(report, {"connections", "closed_in"}) == kConnections);
}

TEST_CASE("a --ws sink closes and counts connections that send garbage") {
  constexpr int kConnections = 3;
  struct Case {
    std::string name;
    bool upgrade;  // garbage after a good upgrade, or instead of one
    int64_t handshake_failures;
  };
  for (const Case& c : {Case{"instead of the upgrade", false, kConnections},
                        Case{"after the upgrade", true, 0}}) {
    CAPTURE(c.name);
    TcpkaliSink sink;
    REQUIRE(sink.Start({"--json", "--ws"}).ok());
    absl::StatusOr<GarbageResult> flood =
        WriteGarbage({.port = sink.port(),
                      .connections = kConnections,
                      .duration_ns = 2'000'000'000,
                      .seed = TestSeed(),
                      .websocket = c.upgrade});
    REQUIRE(flood.ok());
    // The sink gave up on every connection well within the flood.
    CHECK(flood->closed_by_peer == kConnections);
    REQUIRE(sink.WaitAllClosed(kConnections, kDrainTimeoutMs).ok());
    const JsonValue report = StopSink(sink);
    CHECK(IntAt(report, {"connections", "accepted"}) == kConnections);
    CHECK(IntAt(report, {"connections", "closed_in"}) == kConnections);
    CHECK(IntAt(report, {"connections", "ws_handshake_failures"}) ==
          c.handshake_failures);
  }
}

TEST_CASE("two destinations, one refusing: refusals are counted and the "
          "other carries the run") {
  TcpkaliSink sink;
  REQUIRE(sink.Start({"--json"}).ok());
  absl::StatusOr<uint16_t> closed_port = FindFreeLoopbackPort();
  REQUIRE(closed_port.ok());
  // localhost resolves to 127.0.0.1 only on these machines, so the second
  // address is a second destination.
  const TimedRun run =
      RunTimed({"-c", "4", "-m", "x", "-T", "1", "--json", sink.Destination(),
                LoopbackDestination(*closed_port)});
  CAPTURE(run.result.stderr_text);
  CheckEndedByItself(run.result);
  CHECK(run.result.exit_code == 0);
  const JsonValue report = ReportOf(run.result);
  CHECK(IntAt(report, {"connections", "opened_out"}) == 4);
  const int64_t refused =
      IntAt(report, {"connections", "failed_by_cause", "refused"});
  CHECK(refused >= 1);
  CHECK(IntAt(report, {"connections", "failed"}) == refused);
  CHECK(IntAt(report, {"connections", "attempts"}) == 4 + refused);

  REQUIRE(sink.WaitAllClosed(4, kDrainTimeoutMs).ok());
  absl::StatusOr<ProcessResult> stopped = sink.Stop();
  REQUIRE(stopped.ok());
  const JsonValue sink_report = ReportOf(*stopped);
  CHECK(IntAt(sink_report, {"connections", "accepted"}) == 4);
  CHECK(SumOverWorkers(sink_report, "bytes_received") ==
        SumOverWorkers(report, "bytes_sent"));
}

TEST_CASE("a StatsD host that is not listening does not disturb the run") {
  constexpr int kDurationS = 2;
  // A UDP port nobody has: bound, then released.
  ScopedFd udp(socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0));
  REQUIRE(udp.valid());
  sockaddr_in addr{.sin_family = AF_INET,
                   .sin_port = 0,
                   .sin_addr = {.s_addr = htonl(INADDR_LOOPBACK)}};
  REQUIRE(bind(udp.get(), reinterpret_cast<sockaddr*>(&addr), sizeof addr) ==
          0);
  socklen_t len = sizeof addr;
  REQUIRE(getsockname(udp.get(), reinterpret_cast<sockaddr*>(&addr), &len) ==
          0);
  udp.Reset();
  const std::vector<std::string> args = {
      "-c", "2", "-m", "x", "-T", std::to_string(kDurationS), "--statsd",
      "--statsd-host", "127.0.0.1", "--statsd-port",
      std::to_string(ntohs(addr.sin_port)), "--json"};
  const int64_t start_ns = MonotonicNowNs();
  absl::StatusOr<ProcessResult> run = RunSelfConnect(args);
  const int64_t wall_ns = MonotonicNowNs() - start_ns;
  REQUIRE(run.ok());
  CAPTURE(run->stderr_text);
  CheckEndedByItself(*run);
  CHECK(run->exit_code == 0);
  CHECK(wall_ns <= kDurationS * 1'000'000'000LL + kEndSlackNs);
  const JsonValue report = ReportOf(*run);
  CHECK(IntAt(report, {"connections", "opened_out"}) == 2);
  CHECK(IntAt(report, {"connections", "failed"}) == 0);
  // The port-unreachable answers come back as send errors: counted, not
  // fatal.
  CHECK(IntAt(report, {"health", "statsd_send_errors"}) >= 1);
}

TEST_CASE("io_uring forbidden: one line saying so, and exit 1") {
  absl::StatusOr<ProcessResult> run =
      RunProcess({BinaryPath("testing/tools/no_io_uring"), TcpkaliPath(), "-c",
                  "1", "-T", "1", "127.0.0.1:9"},
                 {.timeout_ms = kRunTimeoutMs});
  REQUIRE(run.ok());
  CAPTURE(run->stderr_text);
  CheckEndedByItself(*run);
  CHECK(run->exit_code == 1);
  CHECK(run->stdout_text.empty());
  const std::vector<std::string> lines = Lines(run->stderr_text);
  REQUIRE(lines.size() == 1);
  CHECK(lines[0].starts_with("tcpkali: "));
  CHECK(lines[0].find("io_uring") != std::string::npos);
}

// --- In network namespaces ------------------------------------------------

TEST_CASE("10% loss and 50 ms delay each way: every byte sent arrives" *
          doctest::skip(SkipWithoutNamespaces())) {
  constexpr int kDurationS = 4;
  absl::StatusOr<std::unique_ptr<NetworkNamespace>> sink_ns =
      NetworkNamespace::Create();
  REQUIRE(sink_ns.ok());
  absl::StatusOr<std::unique_ptr<NetworkNamespace>> client_ns =
      NetworkNamespace::Create();
  REQUIRE(client_ns.ok());
  absl::StatusOr<std::unique_ptr<PacketRelay>> link =
      LinkNamespaces(**sink_ns, "10.213.0.1", **client_ns, "10.213.0.2",
                     {.delay_ns = 50'000'000, .loss = 0.1, .seed = TestSeed()});
  REQUIRE(link.ok());

  TcpkaliSink sink;
  REQUIRE(sink.Start({"--json"},
                     {.host = "10.213.0.1", .wrap = (*sink_ns)->Wrap({})})
              .ok());
  const std::string destination = sink.Destination();
  // A lost SYN is sent again after 1 s, 3 s, 7 s: the connect timeout
  // leaves room for that.
  const std::vector<std::string> args = {
      TcpkaliPath(), "-c", "2", "-m", "hello", "-T",
      std::to_string(kDurationS), "--connect-timeout", "10s",
      "--latency-connect", "--json", destination};
  absl::StatusOr<ProcessResult> client =
      RunProcess((*client_ns)->Wrap(args), {.timeout_ms = kRunTimeoutMs});
  REQUIRE(client.ok());
  CAPTURE(client->stderr_text);
  CheckEndedByItself(*client);
  // Losing a SYN three times over (p = 0.2^3 per connection) leaves the
  // ramp-up unfinished within -T: exit 1, as documented, with its line.
  if (client->exit_code != 0) {
    CHECK(client->exit_code == 1);
    const std::vector<std::string> messages =
        MessageLines(client->stderr_text);
    REQUIRE(messages.size() == 1);
    CHECK(messages[0].starts_with("tcpkali: Could not create 2 connections"));
  }
  const JsonValue report = ReportOf(*client);
  const int64_t opened = IntAt(report, {"connections", "opened_out"});
  CHECK(opened >= 1);
  // Every handshake crossed the link twice.
  CHECK(NumberAt(report, {"latency", "connect", "min_ms"}) >= 100);

  REQUIRE(
      sink.WaitAllClosed(static_cast<uint64_t>(opened), kDrainTimeoutMs).ok());
  const JsonValue sink_report = StopSink(sink);
  CHECK(IntAt(sink_report, {"connections", "accepted"}) == opened);
  const uint64_t sent = SumOverWorkers(report, "bytes_sent");
  CHECK(sent > 0);
  CHECK(SumOverWorkers(sink_report, "bytes_received") == sent);
  CHECK((*link)->Dropped() > 0);  // the loss was real
}

// A namespace whose ephemeral port range has 10 ports, with a listener on
// 127.0.0.1:5000 inside it.
constexpr char kTinyPortRange[] = "40000 40009";
constexpr char kListenAddress[] = "127.0.0.1:5000";

TEST_CASE("too few ephemeral ports for -c: the preflight refuses, naming "
          "ip_local_port_range" *
          doctest::skip(SkipWithoutNamespaces())) {
  absl::StatusOr<std::unique_ptr<NetworkNamespace>> ns =
      NetworkNamespace::Create();
  REQUIRE(ns.ok());
  REQUIRE((*ns)->SetSysctl("net.ipv4.ip_local_port_range", kTinyPortRange)
              .ok());
  absl::StatusOr<ProcessResult> run = RunProcess(
      (*ns)->Wrap({TcpkaliPath(), "-l", kListenAddress, "--source-ip",
                   "127.0.0.1", "-c", "20", "-T", "1", kListenAddress}),
      {.timeout_ms = kRunTimeoutMs});
  REQUIRE(run.ok());
  CAPTURE(run->stderr_text);
  CheckEndedByItself(*run);
  CHECK(run->exit_code == 70);
  const std::vector<std::string> messages = MessageLines(run->stderr_text);
  REQUIRE(messages.size() == 1);
  CHECK(messages[0].find("at most 10 connections") != std::string::npos);
  CHECK(messages[0].find("net.ipv4.ip_local_port_range") != std::string::npos);
}

TEST_CASE("ephemeral ports taken by another process: connects fail with "
          "no-address, counted and explained once" *
          doctest::skip(SkipWithoutNamespaces())) {
  constexpr int kTaken = 4;
  constexpr int kConnections = 10;  // the whole range: fits the preflight
  absl::StatusOr<std::unique_ptr<NetworkNamespace>> ns =
      NetworkNamespace::Create();
  REQUIRE(ns.ok());
  REQUIRE((*ns)->SetSysctl("net.ipv4.ip_local_port_range", kTinyPortRange)
              .ok());
  // The listener, and kTaken connections to it from the same source that
  // hold their ports, in another process: the preflight cannot know.
  Subprocess holder;
  REQUIRE(holder
              .Start((*ns)->Wrap({TcpkaliPath(), "-l", kListenAddress,
                                  "--source-ip", "127.0.0.1", "-c",
                                  std::to_string(kTaken), "-T", "-1",
                                  kListenAddress}))
              .ok());
  REQUIRE(holder.WaitForStderr("Ramped up", kStartTimeoutMs).ok());

  absl::StatusOr<ProcessResult> run = RunProcess(
      (*ns)->Wrap({TcpkaliPath(), "--source-ip", "127.0.0.1", "-c",
                   std::to_string(kConnections), "-T", "1", "--json",
                   kListenAddress}),
      {.timeout_ms = kRunTimeoutMs});
  REQUIRE(run.ok());
  CAPTURE(run->stderr_text);
  CheckEndedByItself(*run);
  CHECK(run->exit_code == 1);  // the ramp-up cannot finish
  const JsonValue report = ReportOf(*run);
  CHECK(IntAt(report, {"connections", "opened_out"}) ==
        kConnections - kTaken);
  const int64_t no_address =
      IntAt(report, {"connections", "failed_by_cause", "no_address"});
  CHECK(no_address >= kTaken);
  CHECK(IntAt(report, {"connections", "failed"}) == no_address);
  // One line explains EADDRNOTAVAIL however often it happened, one says
  // the ramp-up failed.
  int explained = 0;
  for (const std::string& line : MessageLines(run->stderr_text)) {
    if (line.find("Cannot assign requested address") != std::string::npos ||
        line.find("EADDRNOTAVAIL") != std::string::npos) {
      ++explained;
      CHECK(line.find("ip_local_port_range") != std::string::npos);
    }
  }
  CHECK(explained == 1);
  CHECK(run->stderr_text.find("tcpkali: Could not create 10 connections") !=
        std::string::npos);
}

}  // namespace
}  // namespace tcpkali::testing
