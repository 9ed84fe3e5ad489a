#include "stats/counters.h"

#include <doctest/doctest.h>

#include <thread>

namespace tcpkali::stats {
namespace {

TEST_CASE("Add accumulates and ReadCounters copies every field") {
  WorkerCounters c;
  Add(c.bytes_sent, 100);
  Add(c.bytes_sent, 23);
  Add(c.cq_overflows, 7);
  Add(c.accepted, 1);
  const CounterValues v = ReadCounters(c);
  CHECK(v.bytes_sent == 123);
  CHECK(v.cq_overflows == 7);
  CHECK(v.accepted == 1);
  CHECK(v.bytes_received == 0);
}

TEST_CASE("counter groups sit on their own cache lines") {
  CHECK(alignof(WorkerCounters) == 64);
  WorkerCounters c;
  const auto line = [&](const std::atomic<uint64_t>& field) {
    return (reinterpret_cast<uintptr_t>(&field) -
            reinterpret_cast<uintptr_t>(&c)) /
           64;
  };
  CHECK(line(c.bytes_sent) == 0);
  CHECK(line(c.paced_messages_late) == 0);
  CHECK(line(c.connect_attempts) == 1);
  CHECK(line(c.out_closed) == 1);
  CHECK(line(c.accepted) == 2);
  CHECK(line(c.cq_overflows) == 2);
}

TEST_CASE("sum and difference are field-wise; difference never wraps") {
  CounterValues a;
  a.bytes_sent = 10;
  a.msgs_due = 3;
  CounterValues b;
  b.bytes_sent = 4;
  b.msgs_due = 5;
  const CounterValues sum = a + b;
  CHECK(sum.bytes_sent == 14);
  CHECK(sum.msgs_due == 8);
  const CounterValues diff = a - b;
  CHECK(diff.bytes_sent == 6);
  CHECK(diff.msgs_due == 0);
  CHECK((sum - b) == a);
}

TEST_CASE("derived gauges") {
  CounterValues v;
  v.connect_attempts = 10;
  v.connects_established = 6;
  v.conn_failed_refused = 1;
  v.conn_failed_timeout = 1;
  v.out_closed = 2;
  v.accepted = 5;
  v.in_closed = 1;
  CHECK(v.ConnectFailures() == 2);
  CHECK(v.OutOpenNow() == 4);
  CHECK(v.OutInProgressNow() == 2);
  CHECK(v.InOpenNow() == 4);
  CHECK(v.Seen() == 11);

  // A read that caught a worker between two stores: clamp, do not wrap.
  CounterValues torn;
  torn.connect_attempts = 1;
  torn.connects_established = 1;
  torn.conn_failed_reset = 1;
  torn.out_closed = 2;
  CHECK(torn.OutInProgressNow() == 0);
  CHECK(torn.OutOpenNow() == 0);
}

TEST_CASE("a reader thread sees a single writer's counts without loss") {
  WorkerCounters c;
  constexpr uint64_t kAdds = 1'000'000;
  std::thread writer([&] {
    for (uint64_t i = 0; i < kAdds; ++i) Add(c.bytes_received, 3);
  });
  uint64_t last = 0;
  bool monotonic = true;
  for (int i = 0; i < 1000; ++i) {
    const uint64_t now = ReadCounters(c).bytes_received;
    monotonic = monotonic && now >= last && now % 3 == 0;
    last = now;
  }
  writer.join();
  CHECK(monotonic);
  CHECK(ReadCounters(c).bytes_received == 3 * kAdds);
}

}  // namespace
}  // namespace tcpkali::stats
