// The StatsD metrics of SPEC.md ("StatsD metrics") computed from the
// counters and histograms the stats thread reads. Names are relative to
// the namespace the StatsdSender adds.
//
//   connections.opened                       count  established out + accepted
//   connections.total{,.in,.out}             gauge  open now
//   traffic.bitrate{,.in,.out}               gauge  bit/s over the interval
//   traffic.data{,.rcvd,.sent}               count  bytes
//   traffic.data.reads, traffic.data.writes  count  receive / send operations
//   traffic.msgs.rcvd, traffic.msgs.sent     count  messages
//   latency.<kind>.{min,mean,max,<pct>}      gauge  ms; <pct> as written
//
// Example:
//   stats::SendTrafficMetrics(*statsd, total - last, total, 0.25);
//   stats::SendLatencyMetrics(*statsd, LatencyKind::kMessage, snapshot,
//                             percentiles);
//   statsd->Flush();
#ifndef TCPKALI_STATS_STATSD_METRICS_H_
#define TCPKALI_STATS_STATSD_METRICS_H_

#include <vector>

#include "stats/counters.h"
#include "stats/histogram.h"
#include "stats/latency_kind.h"
#include "stats/report.h"
#include "stats/statsd.h"

namespace tcpkali::stats {

// Queues the connection and traffic metrics: counts from `delta` (what
// happened during the interval), gauges from `total` (now), bit rates from
// `delta` over `interval_s` (not sent when interval_s is not positive).
void SendTrafficMetrics(StatsdSender& statsd, const CounterValues& delta,
                        const CounterValues& total, double interval_s);

// Queues latency.<kind>.{min,mean,max,<percentile names>} in ms; nothing
// when `snapshot` is empty, as a gauge of 0 would read as a measurement.
void SendLatencyMetrics(StatsdSender& statsd, LatencyKind kind,
                        const HistogramSnapshot& snapshot,
                        const std::vector<Percentile>& percentiles);

}  // namespace tcpkali::stats

#endif  // TCPKALI_STATS_STATSD_METRICS_H_
