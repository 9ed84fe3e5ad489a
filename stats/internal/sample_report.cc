#include "stats/internal/sample_report.h"

#include <iterator>

namespace tcpkali::stats::internal {
namespace {

LatencySummary Latency(LatencyKind kind, double p95, double p99, double p995) {
  LatencySummary s;
  s.kind = kind;
  s.count = 1000;
  s.min_ms = p95 / 2;
  s.mean_ms = p95 * 0.75;
  s.max_ms = p995 * 2;
  s.percentiles = {{95, "95", p95}, {99, "99", p99}, {99.5, "99.5", p995}};
  // A ladder from min to max in equal steps (plain arithmetic, so the
  // golden file does not depend on the math library).
  const size_t steps = std::size(kDistributionPercentiles);
  for (size_t i = 0; i < steps; ++i) {
    const double t = static_cast<double>(i) / static_cast<double>(steps - 1);
    s.distribution.push_back({kDistributionPercentiles[i], "",
                              s.min_ms + (s.max_ms - s.min_ms) * t});
  }
  return s;
}

}  // namespace

Report SampleFullReport() {
  Report r;
  r.verbosity = 1;
  r.duration_s = 10.0038;
  r.channels = 1;
  r.mss_bytes = 1460;
  r.messages_counted = true;
  // SPEC.md's example: 8.7 KiB out, 2.0 MiB in over 10.0038 s; 830
  // receives of ~2559 bytes are 2 MSS each, 495 sends of 18 bytes one.
  r.traffic = {.bytes_sent = 8910,
               .bytes_received = 2124045,
               .send_ops = 495,
               .recv_ops = 830,
               .msgs_sent = 495,
               .msgs_received = 1494};
  r.rates = ComputeRates(r.traffic, r.duration_s, r.channels, r.mss_bytes);
  r.connections = {.target = 1,
                   .attempts = 7,
                   .opened_out = 2,
                   .accepted = 0,
                   .failed_refused = 1,
                   .failed_timeout = 2,
                   .failed_reset = 0,
                   .failed_no_address = 1,
                   .failed_other = 1,
                   .closed_out = 1,
                   .closed_in = 0,
                   .ws_handshake_failures = 1,
                   .peak_open_out = 1,
                   .peak_open_in = 0};
  r.percentiles = DefaultPercentiles();
  r.latencies = {
      Latency(LatencyKind::kConnect, 0.087, 0.098, 0.11),
      Latency(LatencyKind::kFirstByte, 0.045, 0.2, 12.34),
      Latency(LatencyKind::kMessage, 0.0003, 0.0125, 1.05),
      Latency(LatencyKind::kPacingLag, 0.012, 0.045, 0.1),
      Latency(LatencyKind::kWsHandshake, 0.5, 0.75, 1.0),
  };
  r.latencies[1].clamped = 2;
  r.pacing = PacingSummary{.requested_per_conn_per_s = 50,
                           .achieved_per_conn_per_s = 49.5,
                           .msgs_due = 500,
                           .msgs_sent = 495,
                           .lag_msgs = 12,
                           .late_sends = 5};
  r.health = {.cq_overflows = 0,
              .enobufs = 2,
              .sq_full_retries = 1,
              .paced_messages_late = 5,
              .statsd_send_errors = 3,
              .stats_json_write_errors = 0};
  CounterValues w0;
  w0.bytes_sent = 8000;
  w0.bytes_received = 2000000;
  w0.connects_established = 2;
  CounterValues w1;
  w1.bytes_sent = 910;
  w1.bytes_received = 124045;
  w1.enobufs = 2;
  r.workers = {w0, w1};
  r.usage = {.user_cpu_s = 0.25,
             .system_cpu_s = 1.5,
             .max_rss_bytes = 12 << 20,
             .voluntary_context_switches = 40,
             .involuntary_context_switches = 3};
  r.config = {Setting::Integer("connections", 1),
              Setting::Number("duration_s", 10),
              Setting::String("message", "ping\n\"quoted\""),
              Setting::Bool("websocket", true)};
  r.kernel = {Setting::String("release", "6.18.0"),
              Setting::Bool("defer_taskrun", true),
              Setting::Bool("recvsend_bundle", false)};
  return r;
}

Report SampleMinimalReport() {
  Report r;
  r.duration_s = 5;
  r.traffic = {.bytes_sent = 1000,
               .bytes_received = 2047,
               .send_ops = 10,
               .recv_ops = 3,
               .msgs_sent = 0,
               .msgs_received = 0};
  r.rates = ComputeRates(r.traffic, r.duration_s, r.channels, r.mss_bytes);
  r.connections = {
      .target = 1, .attempts = 1, .opened_out = 1, .peak_open_out = 1};
  r.percentiles = DefaultPercentiles();
  r.workers = {CounterValues{}};
  return r;
}

}  // namespace tcpkali::stats::internal
