#include "stats/statsd_metrics.h"

#include <string>

#include "absl/strings/str_cat.h"

namespace tcpkali::stats {

void SendTrafficMetrics(StatsdSender& statsd, const CounterValues& delta,
                        const CounterValues& total, double interval_s) {
  statsd.Count("connections.opened",
               delta.connects_established + delta.accepted);
  statsd.Gauge("connections.total",
               static_cast<double>(total.InOpenNow() + total.OutOpenNow()));
  statsd.Gauge("connections.total.in", static_cast<double>(total.InOpenNow()));
  statsd.Gauge("connections.total.out",
               static_cast<double>(total.OutOpenNow()));
  if (interval_s > 0) {
    const double in_bps =
        8.0 * static_cast<double>(delta.bytes_received) / interval_s;
    const double out_bps =
        8.0 * static_cast<double>(delta.bytes_sent) / interval_s;
    statsd.Gauge("traffic.bitrate", in_bps + out_bps);
    statsd.Gauge("traffic.bitrate.in", in_bps);
    statsd.Gauge("traffic.bitrate.out", out_bps);
  }
  statsd.Count("traffic.data", delta.bytes_received + delta.bytes_sent);
  statsd.Count("traffic.data.rcvd", delta.bytes_received);
  statsd.Count("traffic.data.sent", delta.bytes_sent);
  statsd.Count("traffic.data.reads", delta.recv_ops);
  statsd.Count("traffic.data.writes", delta.send_ops);
  statsd.Count("traffic.msgs.rcvd", delta.msgs_received);
  statsd.Count("traffic.msgs.sent", delta.msgs_sent);
}

void SendLatencyMetrics(StatsdSender& statsd, LatencyKind kind,
                        const HistogramSnapshot& snapshot,
                        const std::vector<Percentile>& percentiles) {
  if (snapshot.count() == 0) return;
  constexpr double kMsPerNs = 1e-6;
  const std::string base =
      absl::StrCat("latency.", std::string(LatencyKindStatsdName(kind)), ".");
  statsd.Gauge(base + "min", static_cast<double>(snapshot.min_ns()) * kMsPerNs);
  statsd.Gauge(base + "mean", snapshot.mean_ns() * kMsPerNs);
  statsd.Gauge(base + "max", static_cast<double>(snapshot.max_ns()) * kMsPerNs);
  for (const Percentile& p : percentiles) {
    statsd.Gauge(
        base + p.name,
        static_cast<double>(snapshot.ValueAtPercentile(p.value)) * kMsPerNs);
  }
}

}  // namespace tcpkali::stats
