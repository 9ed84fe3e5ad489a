// Harness of the end-to-end tests: runs the real tcpkali binary (a data
// dependency, //cli:tcpkali) on loopback and reads what it reports.
//
// - RunTcpkali() runs one client or sink to completion.
// - RunSelfConnect() runs tcpkali against its own built-in sink
//   ("-l 127.0.0.1:P ... 127.0.0.1:P") on a free port.
// - TcpkaliSink keeps a second tcpkali listening in the background
//   ("-l 127.0.0.1:0 -T -1"), learns its port from "Listening on", tells
//   from its --stats-json lines when it has read every connection to its
//   end, and stops it with SIGINT.
// - ParseReport(), IntAt() and SumOverWorkers() read the --json report;
//   ExpectReport() is the doctest checks of a run that should succeed.
//
// Every wait is bounded; a test never sleeps to synchronise.
//
// Example:
//   TcpkaliSink sink;
//   REQUIRE(sink.Start({}).ok());
//   const std::vector<std::string> args =
//       SplitArgs("-c 10 -m x -T 1 --json", {sink.Destination()});
//   const JsonRun client = ExpectReport(RunTcpkali(args));
//   CAPTURE(client.result.stderr_text);
//   uint64_t sent = SumOverWorkers(client.report, "bytes_sent");
#ifndef TCPKALI_TESTING_E2E_HARNESS_H_
#define TCPKALI_TESTING_E2E_HARNESS_H_

#include <cstdint>
#include <initializer_list>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "stats/internal/mini_json.h"
#include "testing/subprocess.h"

namespace tcpkali::testing {

using stats::internal::JsonValue;

// Long enough for any run of these tests on a loaded machine; a run that
// takes longer hangs, and is killed and reported as timed out.
inline constexpr int kRunTimeoutMs = 60'000;

// How long a sink may take to say where it listens.
inline constexpr int kStartTimeoutMs = 15'000;

// The tcpkali binary in the test's runfiles.
std::string TcpkaliPath();

// Runs tcpkali with `args` to completion (at most timeout_ms). Fails only
// when the binary cannot be started.
[[nodiscard]] absl::StatusOr<ProcessResult> RunTcpkali(
    const std::vector<std::string>& args, int timeout_ms = kRunTimeoutMs);

// Runs "tcpkali -l 127.0.0.1:P <args> 127.0.0.1:P" on a free port P. When
// another process took P first (exit 69), retries with a new port, up to
// three times. Fails when no free port can be found or tcpkali cannot run.
[[nodiscard]] absl::StatusOr<ProcessResult> RunSelfConnect(
    const std::vector<std::string>& args, int timeout_ms = kRunTimeoutMs);

// "127.0.0.1:<port>".
std::string LoopbackDestination(uint16_t port);

// Where and how a TcpkaliSink runs.
struct SinkOptions {
  // The address it listens on, at a port the kernel picks.
  std::string host = "127.0.0.1";
  // A command that runs tcpkali ("ip netns exec <name>": see
  // NetworkNamespace::Wrap()), or none.
  std::vector<std::string> wrap;
};

// A tcpkali listening in the background until Stop(). Owned by one test
// thread.
//
// It watches its connections through --stats-json rather than its live
// line, which shows latencies instead of connection counts with
// --message-marker, and a message rate after them with --ws.
class TcpkaliSink {
 public:
  // Starts `options.wrap` + "tcpkali -l <host>:0 -T -1 --stats-json F
  // <args>", F a new file under $TEST_TMPDIR, and waits for it to say which
  // port it listens on. Fails when it cannot start or does not say.
  [[nodiscard]] absl::Status Start(const std::vector<std::string>& args,
                                   const SinkOptions& options = {});

  uint16_t port() const { return port_; }
  // "<host>:<port>".
  std::string Destination() const;

  // Waits until a --stats-json line shows at least `min_seen` connections
  // and no accepted one open: each was read to its end. The live line,
  // written once a second just before the --stats-json line, paces the look
  // at the file, so nothing sleeps. Fails with DeadlineExceeded (holding
  // the last line and the stderr so far) after timeout_ms.
  [[nodiscard]] absl::Status WaitAllClosed(uint64_t min_seen, int timeout_ms);

  // Sends SIGINT and waits for the summary and the exit.
  [[nodiscard]] absl::StatusOr<ProcessResult> Stop(
      int timeout_ms = kRunTimeoutMs);

 private:
  // The last whole line of the --stats-json file; empty before the first.
  std::string LastStatsLine() const;

  Subprocess process_;
  std::string host_;
  std::string stats_path_;
  uint16_t port_ = 0;
};

// Parses the --json report (tcpkali's whole stdout); nullopt when it is not
// one JSON object.
std::optional<JsonValue> ParseReport(std::string_view stdout_text);

// A finished run of tcpkali and its --json report.
struct JsonRun {
  ProcessResult result;
  JsonValue report;
};

// The report of a run (RunTcpkali(), RunSelfConnect(), TcpkaliSink::Stop())
// that should have succeeded. Within a doctest test case: REQUIREs that the
// run happened and printed a report, and CHECKs that it exited 0, showing
// tcpkali's stderr and stdout with a failure of either. The caller CAPTUREs
// result.stderr_text again for the checks that follow.
JsonRun ExpectReport(absl::StatusOr<ProcessResult> run);

// The integer at `path` in `report`, or -1 when it is missing or not a
// number (so that a CHECK against an expected count fails visibly).
int64_t IntAt(const JsonValue& report,
              std::initializer_list<std::string_view> path);

// The number at `path`, or NaN when it is missing or not a number.
double NumberAt(const JsonValue& report,
                std::initializer_list<std::string_view> path);

// Sum of one per-worker counter ("bytes_sent") over report["workers"]: the
// whole run, ramp-up included. 0 when there are no workers.
uint64_t SumOverWorkers(const JsonValue& report, std::string_view counter);

// `text` split at '\n' (a trailing newline adds no empty line).
std::vector<std::string> Lines(std::string_view text);

// The lines of `stderr_text` that are tcpkali's own messages ("tcpkali: ..."),
// as opposed to the live line, dumps and "Ramped up".
std::vector<std::string> MessageLines(std::string_view stderr_text);

// `args` joined with spaces, for CAPTURE().
std::string JoinArgs(const std::vector<std::string>& args);

// `words` split at single spaces, then `more`: the arguments that hold a
// space or are computed.
std::vector<std::string> SplitArgs(std::string_view words,
                                   std::vector<std::string> more = {});

}  // namespace tcpkali::testing

#endif  // TCPKALI_TESTING_E2E_HARNESS_H_
