#include "stats/report.h"

#include <algorithm>
#include <cmath>
#include <utility>

#include "stats/json_writer.h"

namespace tcpkali::stats {

std::vector<Percentile> DefaultPercentiles() {
  return {{95, "95"}, {99, "99"}, {99.5, "99.5"}};
}

Setting Setting::String(std::string key, std::string_view value) {
  return {std::move(key), JsonQuote(value)};
}
Setting Setting::Number(std::string key, double value) {
  return {std::move(key), JsonNumber(value)};
}
Setting Setting::Integer(std::string key, int64_t value) {
  return {std::move(key), std::to_string(value)};
}
Setting Setting::Bool(std::string key, bool value) {
  return {std::move(key), value ? "true" : "false"};
}

namespace {

uint64_t MssPerOp(uint64_t bytes, uint64_t ops, uint64_t mss_bytes) {
  if (ops == 0) return 0;
  const double per_op = static_cast<double>(bytes) / static_cast<double>(ops);
  return std::max<uint64_t>(1, static_cast<uint64_t>(std::ceil(
                                   per_op / std::max<uint64_t>(mss_bytes, 1))));
}

}  // namespace

TrafficRates ComputeRates(const TrafficTotals& traffic, double duration_s,
                          uint64_t channels, uint64_t mss_bytes) {
  TrafficRates r;
  r.mss_per_op_in =
      MssPerOp(traffic.bytes_received, traffic.recv_ops, mss_bytes);
  r.mss_per_op_out = MssPerOp(traffic.bytes_sent, traffic.send_ops, mss_bytes);
  if (!(duration_s > 0)) return r;
  const double bits_in = 8.0 * static_cast<double>(traffic.bytes_received);
  const double bits_out = 8.0 * static_cast<double>(traffic.bytes_sent);
  r.mbps_in = bits_in / duration_s / 1e6;
  r.mbps_out = bits_out / duration_s / 1e6;
  const double per_channel_bytes_per_s =
      static_cast<double>(traffic.bytes_received + traffic.bytes_sent) /
      static_cast<double>(std::max<uint64_t>(channels, 1)) / duration_s;
  r.per_channel_mbps = 8 * per_channel_bytes_per_s / 1e6;
  r.per_channel_kBps = per_channel_bytes_per_s / 1e3;
  r.packets_in_per_s =
      static_cast<double>(traffic.recv_ops * r.mss_per_op_in) / duration_s;
  r.packets_out_per_s =
      static_cast<double>(traffic.send_ops * r.mss_per_op_out) / duration_s;
  r.msgs_in_per_s = static_cast<double>(traffic.msgs_received) / duration_s;
  r.msgs_out_per_s = static_cast<double>(traffic.msgs_sent) / duration_s;
  return r;
}

ConnectionOutcomes OutcomesFrom(const CounterValues& total, uint64_t target,
                                uint64_t peak_open_out, uint64_t peak_open_in) {
  ConnectionOutcomes c;
  c.target = target;
  c.attempts = total.connect_attempts;
  c.opened_out = total.connects_established;
  c.accepted = total.accepted;
  c.failed_refused = total.conn_failed_refused;
  c.failed_timeout = total.conn_failed_timeout;
  c.failed_reset = total.conn_failed_reset;
  c.failed_no_address = total.conn_failed_no_address;
  c.failed_other = total.conn_failed_other;
  c.closed_out = total.out_closed;
  c.closed_in = total.in_closed;
  c.ws_handshake_failures = total.ws_handshake_failures;
  c.peak_open_out = peak_open_out;
  c.peak_open_in = peak_open_in;
  return c;
}

LatencySummary SummarizeLatency(LatencyKind kind,
                                const HistogramSnapshot& snapshot,
                                const std::vector<Percentile>& percentiles) {
  constexpr double kMsPerNs = 1e-6;
  LatencySummary s;
  s.kind = kind;
  s.count = snapshot.count();
  s.clamped = snapshot.clamped();
  s.min_ms = static_cast<double>(snapshot.min_ns()) * kMsPerNs;
  s.mean_ms = snapshot.mean_ns() * kMsPerNs;
  s.max_ms = static_cast<double>(snapshot.max_ns()) * kMsPerNs;
  for (const Percentile& p : percentiles) {
    s.percentiles.push_back(
        {p.value, p.name,
         static_cast<double>(snapshot.ValueAtPercentile(p.value)) * kMsPerNs});
  }
  for (double p : kDistributionPercentiles) {
    s.distribution.push_back(
        {p, "", static_cast<double>(snapshot.ValueAtPercentile(p)) * kMsPerNs});
  }
  return s;
}

const LatencySummary* Report::Latency(LatencyKind kind) const {
  for (const LatencySummary& s : latencies) {
    if (s.kind == kind) return &s;
  }
  return nullptr;
}

}  // namespace tcpkali::stats
