// The final report of a run: one plain struct holding every figure the
// text summary and the JSON report print. The Collector fills it at the end
// of the run; FormatText() and FormatJson() render it; tests build one by
// hand.
//
// Example:
//   stats::Report report = collector->Finish(now_ns);
//   std::fputs(stats::FormatText(report).c_str(), stdout);
//
// Which counts cover what:
//   - traffic (bytes, operations, messages) and the rates derived from it
//     exclude the ramp-up, and duration_s starts when the ramp-up ended;
//   - connection outcomes, health and latency histograms cover the whole
//     run, ramp-up included (connect latency is mostly measured there).
#ifndef TCPKALI_STATS_REPORT_H_
#define TCPKALI_STATS_REPORT_H_

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "stats/counters.h"
#include "stats/histogram.h"
#include "stats/latency_kind.h"

namespace tcpkali::stats {

// A percentile as the user wrote it: 99.5 and "99.5".
struct Percentile {
  double value = 0;
  std::string name;
};

// {95, 99, 99.5}, tcpkali's default --latency-percentiles.
std::vector<Percentile> DefaultPercentiles();

// One entry of the configuration or kernel-feature echo in the JSON report.
// The value is kept as JSON text; build entries with the factories.
struct Setting {
  std::string key;
  std::string json_value;

  static Setting String(std::string key, std::string_view value);
  static Setting Number(std::string key, double value);
  static Setting Integer(std::string key, int64_t value);
  static Setting Bool(std::string key, bool value);
};

struct TrafficTotals {
  uint64_t bytes_sent = 0;
  uint64_t bytes_received = 0;
  uint64_t send_ops = 0;
  uint64_t recv_ops = 0;
  uint64_t msgs_sent = 0;
  uint64_t msgs_received = 0;
};

// Rates derived from TrafficTotals by ComputeRates(); Mbps are 10^6 bit/s.
struct TrafficRates {
  double mbps_in = 0;
  double mbps_out = 0;
  double per_channel_mbps = 0;  // (in + out) / channels
  double per_channel_kBps = 0;  // the same in 10^3 bytes/s
  double packets_in_per_s = 0;
  double packets_out_per_s = 0;
  uint64_t mss_per_op_in = 0;
  uint64_t mss_per_op_out = 0;
  double msgs_in_per_s = 0;
  double msgs_out_per_s = 0;
};

// Rates over `duration_s` (0 when it is not positive). Packet rates follow
// tcpkali's estimate: a send or receive of B bytes is ceil(B / mss_bytes)
// segments, so packets/s = ops/s * ceil(bytes per op / mss_bytes), the
// factor printed as "TCP MSS/op" (0 when there were no operations).
// `channels` below 1 counts as 1.
TrafficRates ComputeRates(const TrafficTotals& traffic, double duration_s,
                          uint64_t channels, uint64_t mss_bytes);

struct ConnectionOutcomes {
  uint64_t target = 0;      // -c
  uint64_t attempts = 0;    // outgoing connect attempts
  uint64_t opened_out = 0;  // outgoing connections established
  uint64_t accepted = 0;    // incoming connections accepted
  uint64_t failed_refused = 0;
  uint64_t failed_timeout = 0;
  uint64_t failed_reset = 0;
  uint64_t failed_no_address = 0;
  uint64_t failed_other = 0;
  uint64_t closed_out = 0;
  uint64_t closed_in = 0;
  uint64_t ws_handshake_failures = 0;
  uint64_t peak_open_out = 0;  // as seen by the stats thread's reads
  uint64_t peak_open_in = 0;

  uint64_t Opened() const { return opened_out + accepted; }
  uint64_t Failed() const {
    return failed_refused + failed_timeout + failed_reset + failed_no_address +
           failed_other;
  }
  uint64_t Closed() const { return closed_out + closed_in; }
};

// The outcome figures of a run's counters (whole run) and peaks.
ConnectionOutcomes OutcomesFrom(const CounterValues& total, uint64_t target,
                                uint64_t peak_open_out, uint64_t peak_open_in);

struct PercentileValue {
  double percentile = 0;
  std::string name;  // as written ("99.5"); empty in the fixed ladder
  double ms = 0;
};

struct LatencySummary {
  LatencyKind kind = LatencyKind::kConnect;
  uint64_t count = 0;
  uint64_t clamped = 0;
  double min_ms = 0;
  double mean_ms = 0;
  double max_ms = 0;
  std::vector<PercentileValue> percentiles;   // the requested ones, in order
  std::vector<PercentileValue> distribution;  // kDistributionPercentiles
};

// The fixed percentile ladder every LatencySummary also carries, for
// plotting: 50, 75, 90, 95, 99, 99.9, 99.99, 100.
inline constexpr double kDistributionPercentiles[] = {50, 75,   90,    95,
                                                      99, 99.9, 99.99, 100};

// Summarises a snapshot in milliseconds.
LatencySummary SummarizeLatency(LatencyKind kind,
                                const HistogramSnapshot& snapshot,
                                const std::vector<Percentile>& percentiles);

// --message-rate: how much of the schedule was kept.
struct PacingSummary {
  double requested_per_conn_per_s = 0;
  // requested * sent / due over the measured part of the run.
  double achieved_per_conn_per_s = 0;
  uint64_t msgs_due = 0;    // after ramp-up
  uint64_t msgs_sent = 0;   // after ramp-up
  uint64_t lag_msgs = 0;    // due - sent at the end, whole run
  uint64_t late_sends = 0;  // paced sends behind schedule, whole run
};

struct HealthFigures {
  uint64_t cq_overflows = 0;
  uint64_t enobufs = 0;
  uint64_t sq_full_retries = 0;
  uint64_t paced_messages_late = 0;
  uint64_t statsd_send_errors = 0;
  uint64_t stats_json_write_errors = 0;

  bool AnyNonZero() const {
    return cq_overflows != 0 || enobufs != 0 || sq_full_retries != 0 ||
           paced_messages_late != 0 || statsd_send_errors != 0 ||
           stats_json_write_errors != 0;
  }
};

struct ProcessUsage {
  double user_cpu_s = 0;
  double system_cpu_s = 0;
  uint64_t max_rss_bytes = 0;
  uint64_t voluntary_context_switches = 0;
  uint64_t involuntary_context_switches = 0;
};

struct Report {
  int verbosity = 1;  // health lines print at >= 2 even when all zero
  double duration_s = 0;
  uint64_t channels = 1;  // the divisor of the per-channel bandwidth
  uint64_t mss_bytes = 1460;
  bool messages_counted = false;  // received messages are counted (markers)

  TrafficTotals traffic;
  TrafficRates rates;
  ConnectionOutcomes connections;
  std::vector<Percentile> percentiles;
  std::vector<LatencySummary> latencies;  // enabled kinds, LatencyKind order
  std::optional<PacingSummary> pacing;    // with --message-rate
  HealthFigures health;
  std::vector<CounterValues> workers;  // whole-run counters, per worker
  ProcessUsage usage;
  std::vector<Setting> config;  // as passed in by the engine
  std::vector<Setting> kernel;  // kernel release and features

  // The summary of `kind`, or nullptr when it was not measured.
  const LatencySummary* Latency(LatencyKind kind) const;
};

}  // namespace tcpkali::stats

#endif  // TCPKALI_STATS_REPORT_H_
