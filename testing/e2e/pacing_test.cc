// Pacing, measured where it matters, at the receiving end: a sink that is
// not tcpkali (testing/peers/counting_sink.h) counts what arrives.
//
// - --message-rate 10 on 20 connections for 3 s: 600 messages after the
//   ramp-up (+/- 2), and the sink's count of every message equals the
//   client's, ramp-up included.
// - --channel-bandwidth-upstream 80kbps: 10 kB/s +/- 2% on every
//   connection, from the kernel's arrival times of its first and last data;
//   with --message-rate too, the lower of the two limits.
// - --channel-bandwidth-downstream 0: tcpkali reads nothing, so a peer
//   writing to it fills the socket buffers and then cannot write any more.
#include <doctest/doctest.h>
#include <fcntl.h>
#include <poll.h>
#include <sys/socket.h>

#include <cerrno>
#include <cmath>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "testing/e2e/harness.h"
#include "testing/peers/counting_sink.h"
#include "testing/peers/loopback.h"

namespace tcpkali::testing {
namespace {

constexpr int kCloseTimeoutMs = 10'000;

// The rate between a connection's first arrival and its last: the bytes
// that came after the first read, over the time they took. Exact for
// periodic traffic whatever the size of each piece.
double ArrivalRate(const SinkConnection& c) {
  const double seconds = (c.last_arrival_ns - c.first_arrival_ns) / 1e9;
  return seconds > 0 ? (c.bytes - c.first_read_bytes) / seconds : 0;
}

TEST_CASE("--message-rate 10 on 20 connections for 3 s delivers 600") {
  const std::string message = "0123456789";  // 10 bytes, no expression
  absl::StatusOr<std::unique_ptr<CountingSink>> sink = CountingSink::Start();
  REQUIRE(sink.ok());
  const JsonRun run = ExpectReport(RunTcpkali(
      {"-c", "20", "-r", "1000", "-m", message, "--message-rate", "10", "-T",
       "3", "--json", LoopbackDestination((*sink)->port())}));
  CAPTURE(run.result.stderr_text);
  const JsonValue& report = run.report;
  REQUIRE((*sink)->WaitForClosed(20, kCloseTimeoutMs));

  // Every message arrived whole, and the sink counts what the client sent
  // over the whole run (ramp-up included).
  const uint64_t sink_bytes = (*sink)->TotalBytes();
  CHECK(sink_bytes % message.size() == 0);
  const uint64_t sink_messages = sink_bytes / message.size();
  const uint64_t client_messages = SumOverWorkers(report, "msgs_sent");
  CHECK(sink_messages == client_messages);
  CHECK(sink_bytes == SumOverWorkers(report, "bytes_sent"));

  // After the ramp-up: 20 connections x 10/s x 3 s.
  const int64_t after_ramp_up = IntAt(report, {"traffic", "msgs_sent"});
  CHECK(std::abs(after_ramp_up - 600) <= 2);
  CHECK(IntAt(report, {"pacing", "msgs_sent"}) == after_ramp_up);
  CHECK(std::abs(IntAt(report, {"pacing", "msgs_due"}) - 600) <= 2);
  CHECK(NumberAt(report, {"pacing", "requested_per_conn_per_s"}) == 10);
  CHECK(std::abs(NumberAt(report, {"pacing", "achieved_per_conn_per_s"}) -
                 10) <= 0.1);
  // What the ramp-up sent is the rest: each connection's first message is
  // due the moment it opens, and one more every 100 ms until the last
  // connection is up (tens of ms when the machine is idle; allow 400 ms).
  CHECK(client_messages >= static_cast<uint64_t>(after_ramp_up));
  CHECK(client_messages - after_ramp_up <= 20 * 5);
}

TEST_CASE(
    "--channel-bandwidth-upstream 80kbps delivers 10 kB/s per "
    "connection") {
  absl::StatusOr<std::unique_ptr<CountingSink>> sink = CountingSink::Start();
  REQUIRE(sink.ok());
  const JsonRun run = ExpectReport(
      RunTcpkali({"-c", "5", "-r", "1000", "-m", std::string(100, 'b'),
                  "--channel-bandwidth-upstream", "80kbps", "-T", "3", "--json",
                  LoopbackDestination((*sink)->port())}));
  CAPTURE(run.result.stderr_text);
  const JsonValue& report = run.report;
  REQUIRE((*sink)->WaitForClosed(5, kCloseTimeoutMs));
  CHECK((*sink)->TotalBytes() == SumOverWorkers(report, "bytes_sent"));

  const std::vector<SinkConnection> conns = (*sink)->Connections();
  REQUIRE(conns.size() == 5);
  for (const SinkConnection& c : conns) {
    CAPTURE(c.bytes);
    CAPTURE(c.first_read_bytes);
    CHECK(c.last_arrival_ns - c.first_arrival_ns > 2'000'000'000);
    const double bytes_per_s = ArrivalRate(c);
    CAPTURE(bytes_per_s);
    CHECK(std::abs(bytes_per_s - 10'000) <= 10'000 * 0.02);
  }
}

TEST_CASE("--message-rate with a bandwidth limit: the lower limit applies") {
  struct Row {
    std::string message_rate;
    std::string bandwidth;
    double bytes_per_s;  // per connection, with 100-byte messages
    bool whole_messages;  // a byte budget may end the run mid-message
    double tolerance;
  };
  // Where the bandwidth binds, the byte pacer's first grant (one MSS, 1460
  // bytes, due at the start) goes out as the first 100-byte messages fall
  // due, so over 2 s the rate reads up to 7% high.
  const Row rows[] = {
      {"10", "80kbps", 1'000, true, 0.02},       // the message rate binds
      {"1000", "80kbps", 10'000, false, 0.08},   // the bandwidth binds
  };
  for (const Row& row : rows) {
    CAPTURE(row.message_rate);
    CAPTURE(row.bandwidth);
    absl::StatusOr<std::unique_ptr<CountingSink>> sink = CountingSink::Start();
    REQUIRE(sink.ok());
    absl::StatusOr<ProcessResult> run = RunTcpkali(
        {"-c", "5", "-r", "1000", "-m", std::string(100, 'r'), "--message-rate",
         row.message_rate, "--channel-bandwidth-upstream", row.bandwidth, "-T",
         "2", "--json", LoopbackDestination((*sink)->port())});
    REQUIRE(run.ok());
    CAPTURE(run->stderr_text);
    CHECK(run->exit_code == 0);
    REQUIRE((*sink)->WaitForClosed(5, kCloseTimeoutMs));
    for (const SinkConnection& c : (*sink)->Connections()) {
      CAPTURE(c.bytes);
      if (row.whole_messages) CHECK(c.bytes % 100 == 0);
      CHECK(std::abs(ArrivalRate(c) - row.bytes_per_s) <=
            row.bytes_per_s * row.tolerance);
    }
  }
}

// Writes to `fd` (non-blocking) until the kernel takes no more. Returns the
// bytes written.
uint64_t WriteUntilFull(int fd) {
  static const std::string chunk(64 * 1024, 'd');
  uint64_t written = 0;
  while (true) {
    const ssize_t n = send(fd, chunk.data(), chunk.size(), MSG_DONTWAIT);
    if (n > 0) {
      written += static_cast<uint64_t>(n);
    } else if (n < 0 && errno == EINTR) {
      continue;
    } else {
      return written;
    }
  }
}

// What a peer saw while writing to a tcpkali client that runs with
// --channel-bandwidth-downstream 0, and that client's report.
struct StalledWriter {
  uint64_t written = 0;  // bytes the peer could write
  bool stalled = false;  // and then no room came back
  std::optional<JsonValue> report;
};

StalledWriter WriteToNonReader() {
  StalledWriter out;
  absl::StatusOr<LoopbackListener> listener = ListenOnLoopback(16);
  REQUIRE(listener.ok());
  Subprocess client;
  REQUIRE(client
              .Start({TcpkaliPath(), "-c", "1", "-T", "3",
                      "--channel-bandwidth-downstream", "0", "--json",
                      LoopbackDestination(listener->port)})
              .ok());
  absl::StatusOr<ScopedFd> peer = AcceptWithin(listener->fd.get(), 10'000);
  REQUIRE(peer.ok());

  // Write until blocked; a reader would make room again within a few
  // milliseconds, so room that does not come back in half a second means
  // nobody reads. Data still in flight when the buffer first filled may
  // be acknowledged later and make a little room: allow a few rounds.
  for (int round = 0; round < 4 && !out.stalled; ++round) {
    out.written += WriteUntilFull(peer->get());
    pollfd p{peer->get(), POLLOUT, 0};
    out.stalled = poll(&p, 1, 500) == 0;
  }
  absl::StatusOr<ProcessResult> run = client.Wait(kRunTimeoutMs);
  REQUIRE(run.ok());
  CAPTURE(run->stderr_text);
  CHECK(run->exit_code == 0);
  out.report = ParseReport(run->stdout_text);
  REQUIRE(out.report.has_value());
  return out;
}

TEST_CASE("--channel-bandwidth-downstream 0: a writing peer stalls") {
  const StalledWriter w = WriteToNonReader();
  CAPTURE(w.written);
  CHECK(w.stalled);
  // Bounded by the socket buffers (a few MiB here), not by the run: a
  // reading client would have taken gigabytes.
  CHECK(w.written < 64u * 1024 * 1024);
}

TEST_CASE("--channel-bandwidth-downstream 0: nothing is read") {
  const StalledWriter w = WriteToNonReader();
  CHECK(SumOverWorkers(*w.report, "bytes_received") == 0);
  CHECK(SumOverWorkers(*w.report, "recv_ops") == 0);
}

}  // namespace
}  // namespace tcpkali::testing
