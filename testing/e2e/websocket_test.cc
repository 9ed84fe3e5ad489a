// WebSocket end to end.
//
// - Against WsServer (testing/peers/ws_server.h), a server written from
//   RFC 6455 without tcpkali's codec: the upgrade request is correct, with
//   the -H headers and the destination's path as the request target, and
//   each -m message arrives as one masked text frame with a fresh mask.
//   A wrong Sec-WebSocket-Accept or a 404 fails the handshake: counted,
//   shown with -v, and no frame is sent.
// - tcpkali against itself (-l --ws in the same process): every byte and
//   every message sent is received.
// - --ws --latency-marker against a second tcpkali (-l --ws --listen-mode
//   echo) times every answered frame.
#include <doctest/doctest.h>

#include <memory>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "testing/e2e/harness.h"
#include "testing/peers/ws_server.h"

namespace tcpkali::testing {
namespace {

constexpr int kCloseTimeoutMs = 10'000;
constexpr uint8_t kText = 1;

TEST_CASE("--ws upgrades as RFC 6455 says and sends -m as masked frames") {
  absl::StatusOr<std::unique_ptr<WsServer>> ws =
      WsServer::Start(WsServer::Answer::kAccept);
  REQUIRE(ws.ok());
  const std::string host = LoopbackDestination((*ws)->port());
  const std::vector<std::string> args =
      SplitArgs("--ws -c 2 -m hello --message-rate 20 -T 1 --json",
                {"-H", "X-Test: yes", "-H", "Authorization: Bearer abc",
                 host + "/chat?x=1"});
  CAPTURE(JoinArgs(args));
  const JsonRun run = ExpectReport(RunTcpkali(args));
  CAPTURE(run.result.stderr_text);
  const JsonValue& report = run.report;
  CHECK(IntAt(report, {"connections", "ws_handshake_failures"}) == 0);
  REQUIRE((*ws)->WaitForClosed(2, kCloseTimeoutMs));

  uint64_t messages = 0;
  std::set<uint32_t> masks;
  uint64_t data_frames = 0;
  const std::vector<WsServer::Session> sessions = (*ws)->Sessions();
  REQUIRE(sessions.size() == 2);
  for (const WsServer::Session& s : sessions) {
    CAPTURE(s.target);
    CHECK(s.problems == std::vector<std::string>{});
    CHECK(s.method == "GET");
    CHECK(s.target == "/chat?x=1");
    CHECK(s.Header("host") == host);
    CHECK(s.Header("x-test") == "yes");
    CHECK(s.Header("authorization") == "Bearer abc");
    for (const WsServer::Frame& f : s.frames) {
      if (f.opcode >= 8) continue;  // a close at the end is allowed
      CHECK(f.opcode == kText);
      CHECK(f.fin);
      CHECK(f.payload == "hello");
      masks.insert(f.mask_key);
      ++data_frames;
    }
    CHECK(s.data_frames == s.messages);
    CHECK(s.payload_bytes == 5 * s.messages);
    messages += s.messages;
  }
  // 2 connections x 20/s x 1 s, and what the ramp-up sent.
  CHECK(messages >= 40);
  CHECK(messages == SumOverWorkers(report, "msgs_sent"));
  CHECK(data_frames == messages);
  // A fresh random mask per frame: 32-bit keys, so no two alike.
  CHECK(masks.size() == data_frames);
}

TEST_CASE("a failed upgrade is counted, shown with -v, and sends nothing") {
  struct Case {
    WsServer::Answer answer;
    std::string shown;  // in the -v line
  };
  const Case cases[] = {{WsServer::Answer::kWrongAccept, "(HTTP 101, "},
                        {WsServer::Answer::kNotFound, "(HTTP 404, "}};
  for (const Case& c : cases) {
    CAPTURE(c.shown);
    absl::StatusOr<std::unique_ptr<WsServer>> ws = WsServer::Start(c.answer);
    REQUIRE(ws.ok());
    const std::vector<std::string> args =
        SplitArgs("--ws -c 1 -m hello --message-rate 20 -T 1 -v --json",
                  {LoopbackDestination((*ws)->port())});
    CAPTURE(JoinArgs(args));
    absl::StatusOr<ProcessResult> run = RunTcpkali(args);
    REQUIRE(run.ok());
    CAPTURE(run->stderr_text);
    std::optional<JsonValue> report = ParseReport(run->stdout_text);
    REQUIRE(report.has_value());
    const int64_t failures =
        IntAt(*report, {"connections", "ws_handshake_failures"});
    CHECK(failures >= 1);
    CHECK(SumOverWorkers(*report, "msgs_sent") == 0);
    CHECK(run->stderr_text.find("tcpkali: WebSocket handshake failed " +
                                c.shown) != std::string::npos);

    // Every connection the server saw ended without a byte after the
    // request: no frame, not even a close.
    const std::vector<WsServer::Session> sessions = (*ws)->Sessions();
    REQUIRE((*ws)->WaitForClosed(sessions.size(), kCloseTimeoutMs));
    CHECK(static_cast<int64_t>(sessions.size()) >= failures);
    for (const WsServer::Session& s : (*ws)->Sessions()) {
      CHECK(s.problems == std::vector<std::string>{});
      CHECK(s.bytes_after_head == 0);
    }
  }
}

TEST_CASE("--ws against its own -l --ws: all bytes and messages arrive") {
  const std::vector<std::string> args =
      SplitArgs("--ws -c 2 -m hello --message-rate 100 -T 2 --json");
  CAPTURE(JoinArgs(args));
  const JsonRun run = ExpectReport(RunSelfConnect(args));
  CAPTURE(run.result.stderr_text);
  const JsonValue& report = run.report;
  CHECK(IntAt(report, {"connections", "ws_handshake_failures"}) == 0);
  CHECK(IntAt(report, {"connections", "accepted"}) == 2);
  // Both ends of every connection are this process: what one side put on
  // the wire (handshakes and frames, headers included), the other read.
  const uint64_t bytes_sent = SumOverWorkers(report, "bytes_sent");
  CHECK(bytes_sent > 0);
  CHECK(bytes_sent == SumOverWorkers(report, "bytes_received"));
  // Only the clients send messages; without markers, the server counts
  // each data message it receives.
  const uint64_t sent = SumOverWorkers(report, "msgs_sent");
  CHECK(sent >= 2 * 100 * 2);
  CHECK(SumOverWorkers(report, "msgs_received") == sent);
  // Each message is a masked frame of 5 payload bytes (2 + 4 + 5 bytes):
  // that is most of what was sent, the handshakes the rest.
  CHECK(bytes_sent >= sent * 11);
  CHECK(bytes_sent - sent * 11 < 2 * 1024);
}

TEST_CASE("--ws --latency-marker against -l --ws --listen-mode echo") {
  TcpkaliSink echo;
  REQUIRE(echo.Start({"--ws", "--listen-mode", "echo", "--json"}).ok());
  constexpr uint64_t kConnections = 2;
  const std::vector<std::string> args =
      SplitArgs(absl::StrCat("--ws -c ", kConnections,
                             " -m PING --latency-marker PING --message-rate 50"
                             " --latency-connect -T 2 --json"),
                {echo.Destination()});
  CAPTURE(JoinArgs(args));
  const JsonRun run = ExpectReport(RunTcpkali(args));
  CAPTURE(run.result.stderr_text);
  const JsonValue& report = run.report;
  CHECK(IntAt(report, {"connections", "ws_handshake_failures"}) == 0);

  const uint64_t sent = SumOverWorkers(report, "msgs_sent");
  const uint64_t received = SumOverWorkers(report, "msgs_received");
  CHECK(sent >= kConnections * 50 * 2);
  CHECK(received <= sent);
  // The answers still on their way when the run ended: a few at most.
  CHECK(sent - received <= kConnections * 3);
  CHECK(IntAt(report, {"latency", "message", "count"}) ==
        static_cast<int64_t>(received));
  CHECK(IntAt(report, {"latency", "message", "clamped"}) == 0);
  CHECK(NumberAt(report, {"latency", "message", "min_ms"}) > 0);
  CHECK(NumberAt(report, {"latency", "message", "max_ms"}) < 1000);
  // --latency-connect under --ws also times each upgrade.
  CHECK(IntAt(report, {"latency", "ws_handshake", "count"}) ==
        static_cast<int64_t>(kConnections));

  REQUIRE(echo.WaitAllClosed(kConnections, kCloseTimeoutMs).ok());
  const JsonRun sink = ExpectReport(echo.Stop());
  const JsonValue& sink_report = sink.report;
  CHECK(IntAt(sink_report, {"connections", "ws_handshake_failures"}) == 0);
  // The echo sent back every frame it got, as server frames (unmasked:
  // 4 bytes fewer each), and the client read all of it.
  CHECK(SumOverWorkers(sink_report, "bytes_sent") ==
        SumOverWorkers(report, "bytes_received"));
}

}  // namespace
}  // namespace tcpkali::testing
