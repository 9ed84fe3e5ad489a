// Scale and descriptor limits: 50,000 connections in one process, with
// both ends of each in it -- five times RLIMIT_NOFILE on these machines,
// possible because sockets are io_uring direct descriptors and every
// worker's ring has a fixed-file table of its own -- and the limits
// preflight (engine/limits.h) on runs the descriptor limit does not fit:
// its --check-limits table, its one-line refusal, and the extra workers it
// picks when -w is not given.
//
// The expected worker counts follow the model of engine/limits.h: a ring
// holds min(RLIMIT_NOFILE hard, 2^20) fixed files, less a reserve of 64
// (or half the table when it is tiny).
#include <doctest/doctest.h>
#include <sys/resource.h>

#include <algorithm>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "testing/e2e/harness.h"
#include "testing/subprocess.h"

namespace tcpkali::testing {
namespace {

constexpr uint64_t kFixedFileReserve = 64;  // engine/limits.h
constexpr uint64_t kMaxFixedFiles = uint64_t{1} << 20;
constexpr int kDrainTimeoutMs = 30'000;

uint64_t HardNofile() {
  rlimit limit{};
  REQUIRE(getrlimit(RLIMIT_NOFILE, &limit) == 0);
  return limit.rlim_max;
}

// Connections one worker's ring holds when the hard limit is `nofile`.
uint64_t SlotsPerRing(uint64_t nofile) {
  const uint64_t table = std::min(nofile, kMaxFixedFiles);
  return table > 2 * kFixedFileReserve ? table - kFixedFileReserve
                                       : std::max<uint64_t>(1, table / 2);
}

uint64_t WorkersFor(uint64_t descriptors, uint64_t nofile) {
  const uint64_t slots = SlotsPerRing(nofile);
  return std::max<uint64_t>(1, (descriptors + slots - 1) / slots);
}

// The line of `text` that starts with `prefix`, or "".
std::string LineStartingWith(const std::string& text,
                             const std::string& prefix) {
  for (const std::string& line : Lines(text)) {
    if (line.starts_with(prefix)) return line;
  }
  return "";
}

// `argv` run under "ulimit -n <nofile>" (soft and hard).
std::vector<std::string> WithNofile(int nofile,
                                    const std::vector<std::string>& argv) {
  std::vector<std::string> out = {
      "/bin/sh", "-c", absl::StrCat("ulimit -n ", nofile, " && exec \"$@\""),
      "sh"};
  out.insert(out.end(), argv.begin(), argv.end());
  return out;
}

// "tcpkali: note: using W workers: each io_uring holds at most K
// connections ..." -> {W, K}.
std::optional<std::pair<uint64_t, uint64_t>> WorkersNote(
    const std::string& stderr_text) {
  const std::string line =
      LineStartingWith(stderr_text, "tcpkali: note: using ");
  const std::string mid = " workers: each io_uring holds at most ";
  const size_t w_at = std::string("tcpkali: note: using ").size();
  const size_t mid_at = line.find(mid);
  if (mid_at == std::string::npos) return std::nullopt;
  const size_t k_at = mid_at + mid.size();
  const size_t k_end = line.find(' ', k_at);
  uint64_t workers = 0, per_ring = 0;
  if (!absl::SimpleAtoi(line.substr(w_at, mid_at - w_at), &workers) ||
      !absl::SimpleAtoi(line.substr(k_at, k_end - k_at), &per_ring)) {
    return std::nullopt;
  }
  return std::pair{workers, per_ring};
}

TEST_CASE("50,000 connections with both ends in one process: all "
          "established, held and counted exactly on both sides") {
  constexpr int64_t kConnections = 50'000;
  const uint64_t nofile = HardNofile();
  MESSAGE("RLIMIT_NOFILE hard " << nofile << "; " << 2 * kConnections
                                << " descriptors needed");
  // Sixteen 127.0.1.x sources x 28k ephemeral ports each: the ports are
  // not what limits this run. On a loaded machine (sanitizers, 2 CPUs)
  // the accept queues overflow for a moment and the kernel drops SYNs; the
  // client retries one after 1 s, which is also --connect-timeout's
  // default: 5 s lets the retry land instead of counting a timeout.
  const std::vector<std::string> args = {
      "-c", std::to_string(kConnections), "-r", "50k", "--source-ip",
      "127.0.1.0/28", "--connect-timeout", "5s", "-T", "8", "--json"};
  absl::StatusOr<ProcessResult> run = RunSelfConnect(args);
  REQUIRE(run.ok());
  CAPTURE(run->stderr_text);
  CHECK_FALSE(run->timed_out);
  CHECK(run->term_signal == 0);
  CHECK(run->exit_code == 0);
  std::optional<JsonValue> report = ParseReport(run->stdout_text);
  REQUIRE(report.has_value());
  CHECK(SumOverWorkers(*report, "connects_established") == kConnections);
  CHECK(IntAt(*report, {"connections", "attempts"}) == kConnections);
  CHECK(IntAt(*report, {"connections", "opened_out"}) == kConnections);
  CHECK(IntAt(*report, {"connections", "accepted"}) == kConnections);
  CHECK(IntAt(*report, {"connections", "failed"}) == 0);
  // Held, all at once, on both sides.
  CHECK(IntAt(*report, {"connections", "peak_open_out"}) == kConnections);
  CHECK(IntAt(*report, {"connections", "peak_open_in"}) == kConnections);
  // The engine chose enough workers for both ends by itself.
  CHECK(IntAt(*report, {"config", "workers"}) >=
        static_cast<int64_t>(WorkersFor(2 * kConnections, nofile)));
}

TEST_CASE("--check-limits on a run the descriptor limit does not fit: "
          "FATAL on the descriptors row, exit 70") {
  const uint64_t nofile = HardNofile();
  const uint64_t needed = WorkersFor(1'000'000, nofile);
  if (needed <= 2) {
    MESSAGE("skipped: RLIMIT_NOFILE " << nofile << " fits 1m connections");
    return;
  }
  absl::StatusOr<ProcessResult> run = RunTcpkali(
      {"--check-limits", "-c", "1m", "-w", "2", LoopbackDestination(9)});
  REQUIRE(run.ok());
  CAPTURE(run->stdout_text);
  CAPTURE(run->stderr_text);
  CHECK(run->exit_code == 70);
  const std::string& out = run->stdout_text;
  CHECK(out.starts_with("Limits check for 1000000 connections, 2 workers"));
  const std::string row = LineStartingWith(out, "descriptors per io_uring ");
  CAPTURE(row);
  CHECK(row.find(absl::StrCat("2 workers x ", SlotsPerRing(nofile))) !=
        std::string::npos);
  CHECK(row.find(absl::StrCat("1000000 descriptors: ", needed, " workers")) !=
        std::string::npos);
  CHECK(row.ends_with("FATAL"));
  // The fix names the worker count that fits.
  CHECK(out.find(absl::StrCat("fix: use -w ", needed, " or more")) !=
        std::string::npos);
  CHECK(LineStartingWith(out, "Workers needed: ") ==
        absl::StrCat("Workers needed: ", needed));
  CHECK(LineStartingWith(out, "Verdict: ") ==
        "Verdict: the run cannot go ahead (exit 70).");
}

TEST_CASE("--check-limits without -w: the preflight picks the workers the "
          "descriptor limit needs") {
  const uint64_t nofile = HardNofile();
  const uint64_t needed = WorkersFor(1'000'000, nofile);
  absl::StatusOr<ProcessResult> run =
      RunTcpkali({"--check-limits", "-c", "1m", "--source-ip",
                  "127.0.0.0/24", LoopbackDestination(9)});
  REQUIRE(run.ok());
  CAPTURE(run->stdout_text);
  CAPTURE(run->stderr_text);
  // Other rows (memory) depend on the machine; this one must pass.
  CHECK((run->exit_code == 0 || run->exit_code == 70));
  const std::string row =
      LineStartingWith(run->stdout_text, "descriptors per io_uring ");
  CAPTURE(row);
  CHECK(row.ends_with("OK"));
  CHECK(LineStartingWith(run->stdout_text, "Workers needed: ") ==
        absl::StrCat("Workers needed: ", needed));
  if (needed > 2) {
    CHECK(row.find(absl::StrCat(needed, " workers x ")) != std::string::npos);
    std::optional<std::pair<uint64_t, uint64_t>> note =
        WorkersNote(run->stderr_text);
    REQUIRE(note.has_value());
    CHECK(note->first == needed);
    CHECK(note->first * note->second >= 1'000'000);
  }
}

TEST_CASE("RLIMIT_NOFILE 40 with -w 1 -c 100: the preflight refuses in one "
          "line, exit 70") {
  absl::StatusOr<ProcessResult> run = RunProcess(
      WithNofile(40, {TcpkaliPath(), "-w", "1", "-c", "100", "-T", "1",
                      LoopbackDestination(9)}),
      {.timeout_ms = kRunTimeoutMs});
  REQUIRE(run.ok());
  CAPTURE(run->stderr_text);
  CHECK(run->exit_code == 70);
  const std::vector<std::string> messages = MessageLines(run->stderr_text);
  REQUIRE(messages.size() == 1);
  CHECK(messages[0].find("RLIMIT_NOFILE") != std::string::npos);
  CHECK(messages[0].find(absl::StrCat("use -w ", WorkersFor(100, 40),
                                      " or more")) != std::string::npos);
  CHECK(run->stdout_text.empty());
}

TEST_CASE("RLIMIT_NOFILE 40 without -w: more workers, and -c 100 works") {
  constexpr int kConnections = 100;
  TcpkaliSink sink;
  REQUIRE(sink.Start({"--json"}).ok());
  absl::StatusOr<ProcessResult> run = RunProcess(
      WithNofile(40, {TcpkaliPath(), "-c", std::to_string(kConnections), "-r",
                      "1k", "-m", "x", "-T", "1", "--json",
                      sink.Destination()}),
      {.timeout_ms = kRunTimeoutMs});
  REQUIRE(run.ok());
  CAPTURE(run->stderr_text);
  CHECK(run->exit_code == 0);
  std::optional<JsonValue> report = ParseReport(run->stdout_text);
  REQUIRE(report.has_value());
  CHECK(IntAt(*report, {"config", "workers"}) ==
        static_cast<int64_t>(WorkersFor(kConnections, 40)));
  CHECK(IntAt(*report, {"connections", "opened_out"}) == kConnections);
  CHECK(IntAt(*report, {"connections", "peak_open_out"}) == kConnections);
  CHECK(IntAt(*report, {"connections", "failed"}) == 0);

  REQUIRE(sink.WaitAllClosed(kConnections, kDrainTimeoutMs).ok());
  absl::StatusOr<ProcessResult> stopped = sink.Stop();
  REQUIRE(stopped.ok());
  std::optional<JsonValue> sink_report = ParseReport(stopped->stdout_text);
  REQUIRE(sink_report.has_value());
  CHECK(IntAt(*sink_report, {"connections", "accepted"}) == kConnections);
  CHECK(SumOverWorkers(*sink_report, "bytes_received") ==
        SumOverWorkers(*report, "bytes_sent"));
}

// The note must describe the workers it chose: W rings of K connections
// hold the run.
TEST_CASE("RLIMIT_NOFILE 40 without -w: the note says how many connections "
          "each ring holds") {
  absl::StatusOr<ProcessResult> run = RunProcess(
      WithNofile(40, {TcpkaliPath(), "--check-limits", "-c", "100",
                      LoopbackDestination(9)}),
      {.timeout_ms = kRunTimeoutMs});
  REQUIRE(run.ok());
  CAPTURE(run->stderr_text);
  std::optional<std::pair<uint64_t, uint64_t>> note =
      WorkersNote(run->stderr_text);
  REQUIRE(note.has_value());
  CHECK(note->first == WorkersFor(100, 40));
  CHECK(note->second == SlotsPerRing(40));
  CHECK(note->first * note->second >= 100);
}

}  // namespace
}  // namespace tcpkali::testing
