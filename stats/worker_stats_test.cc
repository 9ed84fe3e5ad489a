#include "stats/worker_stats.h"

#include <doctest/doctest.h>

#include <vector>

namespace tcpkali::stats {
namespace {

std::unique_ptr<WorkerStats> NewWorkerStats(LatencyKindSet kinds) {
  absl::StatusOr<std::unique_ptr<WorkerStats>> ws = WorkerStats::Create(kinds);
  REQUIRE(ws.ok());
  return *std::move(ws);
}

TEST_CASE("only enabled kinds get a histogram") {
  LatencyKindSet kinds;
  kinds.Add(LatencyKind::kConnect);
  kinds.Add(LatencyKind::kMessage);
  auto ws = NewWorkerStats(kinds);
  CHECK(ws->histogram(LatencyKind::kConnect) != nullptr);
  CHECK(ws->histogram(LatencyKind::kMessage) != nullptr);
  CHECK(ws->histogram(LatencyKind::kFirstByte) == nullptr);
  CHECK(ws->histogram(LatencyKind::kPacingLag) == nullptr);
  CHECK(ws->histogram(LatencyKind::kWsHandshake) == nullptr);
  // Recording a disabled kind is a no-op, not a crash.
  ws->RecordLatency(LatencyKind::kFirstByte, 1000);
  ws->RecordLatency(LatencyKind::kConnect, 1000);
  HistogramSnapshot s;
  ws->histogram(LatencyKind::kConnect)->AddTo(&s);
  CHECK(s.count() == 1);
}

TEST_CASE("counters and histograms of all workers add up") {
  LatencyKindSet kinds;
  kinds.Add(LatencyKind::kFirstByte);
  auto a = NewWorkerStats(kinds);
  auto b = NewWorkerStats(kinds);
  auto c = NewWorkerStats(LatencyKindSet{});  // no histograms at all
  Add(a->counters().bytes_sent, 5);
  Add(b->counters().bytes_sent, 7);
  Add(c->counters().accepted, 2);
  a->RecordLatency(LatencyKind::kFirstByte, 1'000);
  b->RecordLatency(LatencyKind::kFirstByte, 3'000);
  b->RecordLatency(LatencyKind::kFirstByte, 2'000);
  const std::vector<const WorkerStats*> workers = {a.get(), b.get(), c.get()};

  const CounterValues total = SumCounters(workers);
  CHECK(total.bytes_sent == 12);
  CHECK(total.accepted == 2);

  HistogramSnapshot merged;
  MergeHistograms(workers, LatencyKind::kFirstByte, &merged);
  CHECK(merged.count() == 3);
  CHECK(merged.min_ns() == 1'000);
  CHECK(merged.max_ns() == 3'000);
  HistogramSnapshot none;
  MergeHistograms(workers, LatencyKind::kConnect, &none);
  CHECK(none.count() == 0);
}

}  // namespace
}  // namespace tcpkali::stats
