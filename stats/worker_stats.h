// Everything one worker measures: its counters and one latency histogram
// per enabled kind. The engine creates one WorkerStats per worker before
// the workers start and hands const pointers to the stats::Collector.
//
// Example (setup):
//   absl::StatusOr<std::unique_ptr<stats::WorkerStats>> ws =
//       stats::WorkerStats::Create(kinds);
// Example (worker thread, hot path):
//   stats::Add(ws->counters().bytes_received, n);
//   ws->RecordLatency(stats::LatencyKind::kConnect, now_ns - started_ns);
// Example (stats thread):
//   stats::CounterValues total = stats::SumCounters(workers);
#ifndef TCPKALI_STATS_WORKER_STATS_H_
#define TCPKALI_STATS_WORKER_STATS_H_

#include <array>
#include <cstdint>
#include <memory>
#include <span>

#include "absl/status/statusor.h"
#include "stats/counters.h"
#include "stats/histogram.h"
#include "stats/latency_kind.h"

namespace tcpkali::stats {

// Owned by the engine, one per worker; written only from that worker's
// thread, read from the stats thread. Must outlive the Collector reading it.
class WorkerStats {
 public:
  // Allocates a histogram for each kind in `kinds` and none for the rest.
  // Fails (ResourceExhausted) only when memory cannot be mapped.
  [[nodiscard]] static absl::StatusOr<std::unique_ptr<WorkerStats>> Create(
      LatencyKindSet kinds);
  WorkerStats(const WorkerStats&) = delete;
  WorkerStats& operator=(const WorkerStats&) = delete;

  WorkerCounters& counters() { return counters_; }
  const WorkerCounters& counters() const { return counters_; }

  // The histogram of `kind`, or nullptr when that kind is not enabled.
  LatencyHistogram* histogram(LatencyKind kind) {
    return histograms_[LatencyKindIndex(kind)].get();
  }
  const LatencyHistogram* histogram(LatencyKind kind) const {
    return histograms_[LatencyKindIndex(kind)].get();
  }

  // Records into the histogram of `kind`; does nothing when that kind is
  // not enabled, so callers need not check. Worker thread only.
  void RecordLatency(LatencyKind kind, int64_t value_ns) {
    if (LatencyHistogram* h = histogram(kind)) h->Record(value_ns);
  }

 private:
  WorkerStats() = default;

  WorkerCounters counters_;
  std::array<std::unique_ptr<LatencyHistogram>, kLatencyKindCount> histograms_;
};

// The sum of every worker's counters. Any thread.
CounterValues SumCounters(std::span<const WorkerStats* const> workers);

// Adds every worker's histogram of `kind` to `out` (which is not cleared
// first). Workers without that kind contribute nothing. Any thread.
void MergeHistograms(std::span<const WorkerStats* const> workers,
                     LatencyKind kind, HistogramSnapshot* out);

}  // namespace tcpkali::stats

#endif  // TCPKALI_STATS_WORKER_STATS_H_
