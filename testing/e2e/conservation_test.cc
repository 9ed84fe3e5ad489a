// Byte conservation: every byte tcpkali reports as sent arrives, and a sink
// reports exactly as many received. Checked against tcpkali's built-in sink
// (one process), a second tcpkali listening in the background, and a sink
// that is not tcpkali at all (testing/peers/counting_sink.h), for 1, 100 and
// 2000 connections, with and without --channel-lifetime churning them.
//
// The per-worker counters of --json cover the whole run, ramp-up included,
// so they are what must balance ("traffic" leaves the ramp-up out).
#include <doctest/doctest.h>

#include <iterator>
#include <memory>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "testing/e2e/harness.h"
#include "testing/peers/counting_sink.h"

namespace tcpkali::testing {
namespace {

// Long enough for a sink to read what is still buffered after the client
// is gone (gigabytes at loopback speed on a loaded machine).
constexpr int kSinkCatchUpMs = 30'000;

struct Row {
  uint64_t connections;
  std::string lifetime;   // --channel-lifetime; "" for unlimited
  std::string bandwidth;  // --channel-bandwidth-upstream; "" for unlimited
};

// Unlimited traffic fills every socket buffer, the hardest case for the
// end-of-run accounting. Short lifetimes close connections while their
// sends are in flight; those rows cap the bandwidth, because a connection
// closed with megabytes still queued becomes an orphan that the kernel
// resets under TCP memory pressure (TcpExtTCPAbortOnMemory), losing bytes
// that no user-space program could have saved. 2000 connections need a
// lifetime long enough for all of them to be open at once (the ramp-up).
const Row kKeptOpen[] = {
    {1, "", ""},
    {100, "", ""},
    {2000, "", ""},
};
const Row kChurned[] = {
    {1, "50ms", "800Mbps"},
    {100, "50ms", "8Mbps"},
    {2000, "500ms", "400kbps"},
};

std::vector<Row> AllRows() {
  std::vector<Row> rows(std::begin(kKeptOpen), std::end(kKeptOpen));
  rows.insert(rows.end(), std::begin(kChurned), std::end(kChurned));
  return rows;
}

std::vector<std::string> ClientArgs(const Row& row) {
  std::vector<std::string> args = {
      "-c",    absl::StrCat(row.connections), "-r", "50k",
      "-m",    "conservation of bytes\n",     "-T", "2",
      "--json"};
  if (!row.lifetime.empty()) {
    args.insert(args.end(), {"--channel-lifetime", row.lifetime});
  }
  if (!row.bandwidth.empty()) {
    args.insert(args.end(), {"--channel-bandwidth-upstream", row.bandwidth});
  }
  if (row.connections >= 2000) {
    // The ramp-up must end within -T. Connections that send as fast as
    // they can while the last ones are still opening starve the opening
    // on 2 CPUs; a short pause before sending keeps the ramp-up brief.
    args.insert(args.end(), {"--delay-send", "300ms"});
  }
  return args;
}

// Connections the sink may have accepted: at least every one the client
// saw established, at most every one it attempted (an attempt cancelled
// at the end of the run may already have completed in the kernel).
void CheckAccepted(uint64_t accepted, const JsonValue& client_report) {
  CHECK(accepted >= SumOverWorkers(client_report, "connects_established"));
  CHECK(accepted <= SumOverWorkers(client_report, "connect_attempts"));
}

// What every client run must show, whichever sink it ran against, beyond
// ExpectReport()'s exit 0 and report: it ended by itself, having opened
// connections and sent bytes, and (with a lifetime) having closed and
// replaced them.
void CheckClientRun(const Row& row, const ProcessResult& run,
                    const JsonValue& report) {
  CHECK_FALSE(run.timed_out);
  CHECK(run.term_signal == 0);
  CHECK(SumOverWorkers(report, "connects_established") >= row.connections);
  CHECK(SumOverWorkers(report, "bytes_sent") > 0);
  if (!row.lifetime.empty()) {
    CHECK(SumOverWorkers(report, "out_closed") > row.connections);
  }
}

// tcpkali as its own sink (-l P ... 127.0.0.1:P): the drain at the end
// reads every connection to its FIN, so one report balances.
void CheckBuiltInSink(const Row& row) {
  const std::vector<std::string> args = ClientArgs(row);
  CAPTURE(JoinArgs(args));
  const JsonRun run = ExpectReport(RunSelfConnect(args));
  CAPTURE(run.result.stderr_text);
  const JsonValue& report = run.report;
  CheckClientRun(row, run.result, report);
  CHECK(SumOverWorkers(report, "bytes_sent") ==
        SumOverWorkers(report, "bytes_received"));
  CheckAccepted(SumOverWorkers(report, "accepted"), report);
}

TEST_CASE(
    "built-in sink, 1 and 100 connections kept open: bytes sent equal bytes "
    "received") {
  CheckBuiltInSink(kKeptOpen[0]);
  CheckBuiltInSink(kKeptOpen[1]);
}

TEST_CASE(
    "built-in sink, 2000 connections kept open: bytes sent equal bytes "
    "received") {
  CheckBuiltInSink(kKeptOpen[2]);
}

TEST_CASE(
    "built-in sink, connections churned by --channel-lifetime: bytes "
    "sent equal bytes received") {
  for (const Row& row : kChurned) CheckBuiltInSink(row);
}

TEST_CASE("a second tcpkali as the sink receives every byte sent") {
  for (const Row& row : AllRows()) {
    const std::vector<std::string> args = ClientArgs(row);
    CAPTURE(JoinArgs(args));
    TcpkaliSink sink;
    REQUIRE(sink.Start({"--json"}).ok());
    std::vector<std::string> client_args = args;
    client_args.push_back(sink.Destination());
    const JsonRun run = ExpectReport(RunTcpkali(client_args));
    CAPTURE(run.result.stderr_text);
    const JsonValue& report = run.report;
    CheckClientRun(row, run.result, report);

    // The client is gone; the sink still reads what its sockets hold. Stop
    // it only once it has read every connection to the end.
    const uint64_t established = SumOverWorkers(report, "connects_established");
    const absl::Status caught_up =
        sink.WaitAllClosed(established, kSinkCatchUpMs);
    CHECK_MESSAGE(caught_up.ok(), caught_up.message());
    const JsonRun sink_run = ExpectReport(sink.Stop());
    CAPTURE(sink_run.result.stderr_text);
    const JsonValue& sink_report = sink_run.report;
    CheckAccepted(SumOverWorkers(sink_report, "accepted"), report);
    CHECK(SumOverWorkers(sink_report, "bytes_received") ==
          SumOverWorkers(report, "bytes_sent"));
  }
}

TEST_CASE("a sink that is not tcpkali receives every byte tcpkali sent") {
  for (const Row& row : AllRows()) {
    const std::vector<std::string> args = ClientArgs(row);
    CAPTURE(JoinArgs(args));
    absl::StatusOr<std::unique_ptr<CountingSink>> sink = CountingSink::Start();
    REQUIRE(sink.ok());
    std::vector<std::string> client_args = args;
    client_args.push_back(LoopbackDestination((*sink)->port()));
    const JsonRun run = ExpectReport(RunTcpkali(client_args));
    CAPTURE(run.result.stderr_text);
    const JsonValue& report = run.report;
    CheckClientRun(row, run.result, report);

    const uint64_t established = SumOverWorkers(report, "connects_established");
    CHECK((*sink)->WaitForClosed(established, kSinkCatchUpMs));
    // Closed, not just accepted: late arrivals must be read to the end too.
    CHECK((*sink)->WaitForClosed((*sink)->Accepted(), kSinkCatchUpMs));
    CheckAccepted((*sink)->Accepted(), report);
    CHECK((*sink)->TotalBytes() == SumOverWorkers(report, "bytes_sent"));
  }
}

}  // namespace
}  // namespace tcpkali::testing
