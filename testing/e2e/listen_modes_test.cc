// What tcpkali does with the bytes of a connection, seen from a peer that
// is not tcpkali: --listen-mode echo returns every byte, --listen-mode
// active sends the -m messages, --message-stop ends the run when its
// marker arrives split over two reads, and --dump-all prints both
// directions with the bytes escaped.
#include <doctest/doctest.h>

#include <random>
#include <regex>
#include <string>
#include <vector>

#include "testing/e2e/harness.h"
#include "testing/peers/loopback.h"
#include "testing/test_seed.h"

namespace tcpkali::testing {
namespace {

constexpr int kIoTimeoutMs = 10'000;

TEST_CASE("--listen-mode echo returns exactly the bytes sent") {
  TcpkaliSink echo;
  REQUIRE(echo.Start({"--listen-mode", "echo", "--json"}).ok());
  absl::StatusOr<ScopedFd> conn = ConnectToLoopback(echo.port(), kIoTimeoutMs);
  REQUIRE(conn.ok());

  // Random bytes (every value, NULs included) in chunks of random size:
  // each chunk is sent and must come back before the next, so neither
  // side's buffers can fill up and deadlock the exchange.
  std::mt19937_64 random(TestSeed());
  std::uniform_int_distribution<int> byte(0, 255);
  std::uniform_int_distribution<size_t> size(1, 200'000);
  uint64_t total = 0;
  for (int i = 0; i < 20; ++i) {
    std::string chunk(size(random), '\0');
    for (char& c : chunk) c = static_cast<char>(byte(random));
    CAPTURE(i);
    REQUIRE(SendAll(conn->get(), chunk, kIoTimeoutMs).ok());
    absl::StatusOr<std::string> back =
        ReceiveExactly(conn->get(), chunk.size(), kIoTimeoutMs);
    REQUIRE_MESSAGE(back.ok(), back.status().message());
    REQUIRE(*back == chunk);
    total += chunk.size();
  }
  conn->Reset();

  REQUIRE(echo.WaitAllClosed(1, kIoTimeoutMs).ok());
  const JsonRun run = ExpectReport(echo.Stop());
  CAPTURE(run.result.stderr_text);
  const JsonValue& report = run.report;
  CHECK(SumOverWorkers(report, "bytes_received") == total);
  CHECK(SumOverWorkers(report, "bytes_sent") == total);
}

TEST_CASE("--listen-mode active sends the -m message to accepted clients") {
  TcpkaliSink active;
  REQUIRE(
      active.Start({"--listen-mode", "active", "-m", "HELLO\\n", "-e"}).ok());
  absl::StatusOr<ScopedFd> conn =
      ConnectToLoopback(active.port(), kIoTimeoutMs);
  REQUIRE(conn.ok());
  absl::StatusOr<std::string> got =
      ReceiveExactly(conn->get(), 6 * 1000, kIoTimeoutMs);
  REQUIRE_MESSAGE(got.ok(), got.status().message());
  std::string expected;
  for (int i = 0; i < 1000; ++i) expected += "HELLO\n";
  CHECK(*got == expected);
  conn->Reset();
  absl::StatusOr<ProcessResult> run = active.Stop();
  REQUIRE(run.ok());
  CHECK(run->exit_code == 0);
}

TEST_CASE("--message-stop found across two reads ends the run with exit 2") {
  absl::StatusOr<LoopbackListener> listener = ListenOnLoopback(4);
  REQUIRE(listener.ok());
  Subprocess client;
  // --dump-all-in shows when tcpkali has read the first part, so the
  // second is sent only then: the marker is split across two reads for
  // certain, not by the luck of timing.
  REQUIRE(
      client
          .Start({TcpkaliPath(), "-c", "1", "-T", "20", "--message-stop",
                  "STOP", "--dump-all-in", LoopbackDestination(listener->port)})
          .ok());
  absl::StatusOr<ScopedFd> peer =
      AcceptWithin(listener->fd.get(), kIoTimeoutMs);
  REQUIRE(peer.ok());
  REQUIRE(SendAll(peer->get(), "abcSTO", kIoTimeoutMs).ok());
  absl::StatusOr<std::string> err =
      client.WaitForStderr(", 6): [abcSTO]", kIoTimeoutMs);
  REQUIRE_MESSAGE(err.ok(), err.status().message());
  REQUIRE(SendAll(peer->get(), "Pxyz", kIoTimeoutMs).ok());

  // Well before -T 20 would end it.
  absl::StatusOr<ProcessResult> run = client.Wait(kIoTimeoutMs);
  REQUIRE(run.ok());
  CAPTURE(run->stderr_text);
  CHECK_FALSE(run->timed_out);
  CHECK(run->exit_code == 2);
  CHECK(run->stderr_text.find(", 4): [Pxyz]") != std::string::npos);
  CHECK(run->stderr_text.find("Found --message-stop=STOP, aborting.\n") !=
        std::string::npos);
  CHECK(run->stdout_text.find("Total data received:") != std::string::npos);
}

TEST_CASE("--dump-all prints Snd( and Rcv( with the bytes escaped") {
  // a, b, 0x01, backslash, CR, LF: printable, hex, the two escapes and
  // the newline that the dump follows with a real newline and a tab.
  absl::StatusOr<ProcessResult> run =
      RunSelfConnect({"-c", "1", "-e", "-m", "ab\\x01\\\\\\r\\n",
                      "--message-rate", "2", "-T", "1", "--dump-all"});
  REQUIRE(run.ok());
  CAPTURE(run->stderr_text);
  CHECK(run->exit_code == 0);
  const std::string escaped = R"(\[ab\\x01\\\\\\r\\n)"
                              "\n\t"
                              R"(\])";
  const std::regex sent("(^|\n)Snd\\([0-9]+, 6\\): " + escaped + "\n");
  const std::regex received("(^|\n)Rcv\\([0-9]+, 6\\): " + escaped + "\n");
  CHECK(std::regex_search(run->stderr_text, sent));
  CHECK(std::regex_search(run->stderr_text, received));
}

TEST_CASE("--dump-all-out prints only what was sent") {
  absl::StatusOr<ProcessResult> run =
      RunSelfConnect({"-c", "1", "-m", "xy", "--message-rate", "2", "-T", "1",
                      "--dump-all-out"});
  REQUIRE(run.ok());
  CAPTURE(run->stderr_text);
  CHECK(run->exit_code == 0);
  CHECK(std::regex_search(run->stderr_text,
                          std::regex("(^|\n)Snd\\([0-9]+, 2\\): \\[xy\\]\n")));
  CHECK(run->stderr_text.find("Rcv(") == std::string::npos);
}

}  // namespace
}  // namespace tcpkali::testing
