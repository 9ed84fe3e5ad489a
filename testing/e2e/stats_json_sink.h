// StatsJsonSink: a tcpkali listening on 127.0.0.1 in the background, like
// TcpkaliSink (harness.h), that tells when it has read every connection to
// its end from its --stats-json lines rather than from its live line.
//
// TcpkaliSink::WaitAllClosed() reads the connection counts at the end of
// the live line; a sink that measures latency (--message-marker) shows
// latencies there instead, and one that counts messages (--ws,
// --message-marker) appends a message rate after them. The --stats-json
// line always has conns_in and conns_seen.
//
// Example:
//   StatsJsonSink sink;
//   REQUIRE(sink.Start({"--message-marker", "--json"}).ok());
//   ... run a client against sink.Destination() ...
//   REQUIRE(sink.WaitAllClosed(4, 10000).ok());
//   absl::StatusOr<ProcessResult> result = sink.Stop();
#ifndef TCPKALI_TESTING_E2E_STATS_JSON_SINK_H_
#define TCPKALI_TESTING_E2E_STATS_JSON_SINK_H_

#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "testing/e2e/harness.h"
#include "testing/subprocess.h"

namespace tcpkali::testing {

// Owned by one test thread.
class StatsJsonSink {
 public:
  // Starts "tcpkali -l 127.0.0.1:0 -T -1 --stats-json F <args>", F a new
  // file under $TEST_TMPDIR, and waits for it to say which port it listens
  // on. Fails when it cannot start or does not say.
  [[nodiscard]] absl::Status Start(const std::vector<std::string>& args);

  uint16_t port() const { return port_; }
  std::string Destination() const { return LoopbackDestination(port_); }

  // Waits until a --stats-json line shows at least `min_seen` connections
  // and no accepted one open: each was read to its end. The live line,
  // printed once a second like the --stats-json line, paces the look at
  // the file, so nothing sleeps. Fails with DeadlineExceeded (holding the
  // stderr so far) after timeout_ms.
  [[nodiscard]] absl::Status WaitAllClosed(uint64_t min_seen, int timeout_ms);

  // Sends SIGINT and waits for the summary and the exit.
  [[nodiscard]] absl::StatusOr<ProcessResult> Stop(
      int timeout_ms = kRunTimeoutMs);

 private:
  bool LastLineShowsAllClosed(uint64_t min_seen) const;

  Subprocess process_;
  std::string stats_path_;
  uint16_t port_ = 0;
};

}  // namespace tcpkali::testing

#endif  // TCPKALI_TESTING_E2E_STATS_JSON_SINK_H_
