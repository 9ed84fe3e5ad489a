#include "stats/worker_stats.h"

namespace tcpkali::stats {

absl::StatusOr<std::unique_ptr<WorkerStats>> WorkerStats::Create(
    LatencyKindSet kinds) {
  std::unique_ptr<WorkerStats> stats(new WorkerStats());
  for (LatencyKind kind : kAllLatencyKinds) {
    if (!kinds.Has(kind)) continue;
    absl::StatusOr<std::unique_ptr<LatencyHistogram>> histogram =
        LatencyHistogram::Create();
    if (!histogram.ok()) return histogram.status();
    stats->histograms_[LatencyKindIndex(kind)] = *std::move(histogram);
  }
  return stats;
}

CounterValues SumCounters(std::span<const WorkerStats* const> workers) {
  CounterValues total;
  for (const WorkerStats* worker : workers) {
    total += ReadCounters(worker->counters());
  }
  return total;
}

void MergeHistograms(std::span<const WorkerStats* const> workers,
                     LatencyKind kind, HistogramSnapshot* out) {
  for (const WorkerStats* worker : workers) {
    if (const LatencyHistogram* h = worker->histogram(kind)) h->AddTo(out);
  }
}

}  // namespace tcpkali::stats
