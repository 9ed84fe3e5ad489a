// Per-worker event counters: written by exactly one worker thread, read by
// the stats thread, with no read-modify-write atomics and no locks.
//
// A worker adds with Add(), which is a relaxed load and a relaxed store:
// correct because the worker is the only writer, and cheap because the
// cache line stays in the worker's core (no lock prefix, no contention).
// The collector takes a plain copy with ReadCounters() and does all of its
// arithmetic on CounterValues.
//
// Example (worker thread):
//   stats::Add(counters.bytes_sent, n);
// Example (stats thread):
//   stats::CounterValues now = stats::ReadCounters(counters);
//   stats::CounterValues last_second = now - previous;
#ifndef TCPKALI_STATS_COUNTERS_H_
#define TCPKALI_STATS_COUNTERS_H_

#include <atomic>
#include <cstdint>

namespace tcpkali::stats {

// Every counter, in declaration order. Used to generate CounterValues and
// the functions that walk all fields (read, add, subtract, JSON).
#define TCPKALI_STATS_COUNTER_FIELDS(X) \
  X(bytes_sent)                         \
  X(bytes_received)                     \
  X(send_ops)                           \
  X(recv_ops)                           \
  X(msgs_sent)                          \
  X(msgs_received)                      \
  X(msgs_due)                           \
  X(paced_messages_late)                \
  X(connect_attempts)                   \
  X(connects_established)               \
  X(conn_failed_refused)                \
  X(conn_failed_timeout)                \
  X(conn_failed_reset)                  \
  X(conn_failed_no_address)             \
  X(conn_failed_other)                  \
  X(out_closed)                         \
  X(accepted)                           \
  X(in_closed)                          \
  X(ws_handshake_failures)              \
  X(enobufs)                            \
  X(sq_full_retries)                    \
  X(cq_overflows)

// Owned by one worker (it lives inside that worker's WorkerStats); written
// only from that worker's thread, read from the stats thread. Fields are
// grouped by how often they are written, each group on its own cache line.
struct alignas(64) WorkerCounters {
  // Data path: written on every send and receive completion.
  std::atomic<uint64_t> bytes_sent{0};
  std::atomic<uint64_t> bytes_received{0};
  std::atomic<uint64_t> send_ops{0};
  std::atomic<uint64_t> recv_ops{0};
  std::atomic<uint64_t> msgs_sent{0};      // every message the engine sent
  std::atomic<uint64_t> msgs_received{0};  // marker sightings
  std::atomic<uint64_t> msgs_due{0};  // messages the pacing schedule asked for
  std::atomic<uint64_t> paced_messages_late{0};  // paced sends behind schedule

  // Outgoing connection lifecycle: written once or twice per connection.
  alignas(64) std::atomic<uint64_t> connect_attempts{0};
  std::atomic<uint64_t> connects_established{0};
  std::atomic<uint64_t> conn_failed_refused{0};  // ECONNREFUSED
  std::atomic<uint64_t> conn_failed_timeout{0};  // --connect-timeout
  // ECONNRESET/EPIPE on an outgoing connection, while connecting or after.
  std::atomic<uint64_t> conn_failed_reset{0};
  std::atomic<uint64_t> conn_failed_no_address{0};  // EADDRNOTAVAIL
  std::atomic<uint64_t> conn_failed_other{0};
  std::atomic<uint64_t> out_closed{
      0};  // established outgoing that ended, any cause

  // Incoming connections and the generator's own health: rare events.
  alignas(64) std::atomic<uint64_t> accepted{0};
  std::atomic<uint64_t> in_closed{0};
  std::atomic<uint64_t> ws_handshake_failures{0};
  std::atomic<uint64_t> enobufs{0};  // -ENOBUFS: provided buffers ran out
  std::atomic<uint64_t> sq_full_retries{0};  // SQ full: flushed and retried
  std::atomic<uint64_t> cq_overflows{0};     // CQ overflow events seen
};

static_assert(sizeof(WorkerCounters) == 3 * 64,
              "one cache line per group of eight counters");

// Adds `n` to a counter this thread is the only writer of. Not safe with two
// writers: that would lose updates, which is why each worker has its own.
inline void Add(std::atomic<uint64_t>& counter, uint64_t n) {
  counter.store(counter.load(std::memory_order_relaxed) + n,
                std::memory_order_relaxed);
}

// A plain copy of a WorkerCounters (or a sum or difference of copies).
struct CounterValues {
#define TCPKALI_STATS_DECLARE_FIELD(name) uint64_t name = 0;
  TCPKALI_STATS_COUNTER_FIELDS(TCPKALI_STATS_DECLARE_FIELD)
#undef TCPKALI_STATS_DECLARE_FIELD

  // Connection attempts that failed, every cause.
  uint64_t ConnectFailures() const {
    return conn_failed_refused + conn_failed_timeout + conn_failed_reset +
           conn_failed_no_address + conn_failed_other;
  }
  // Gauges derived from the counters. Counters of one worker are read one
  // by one, so a read can catch a worker between two stores; the gauges
  // clamp at zero rather than wrap.
  uint64_t OutOpenNow() const {
    return Minus(connects_established, out_closed);
  }
  uint64_t InOpenNow() const { return Minus(accepted, in_closed); }
  uint64_t OutInProgressNow() const {
    return Minus(connect_attempts, connects_established + ConnectFailures());
  }
  // Connections ever established, both directions (the live line's "seen").
  uint64_t Seen() const { return connects_established + accepted; }

  CounterValues& operator+=(const CounterValues& other);
  bool operator==(const CounterValues&) const = default;

 private:
  static uint64_t Minus(uint64_t a, uint64_t b) { return a > b ? a - b : 0; }
};

// WorkerCounters has 22 atomics; a field added there and not to the list
// above (or the reverse) is caught here or by ReadCounters() not compiling.
static_assert(sizeof(CounterValues) == 22 * sizeof(uint64_t));

// Field-wise difference. Counters only grow, so `later - earlier` of two
// reads of the same counters never wraps; a field that did (a misuse)
// yields 0 rather than a huge number.
CounterValues operator-(const CounterValues& later,
                        const CounterValues& earlier);
CounterValues operator+(CounterValues a, const CounterValues& b);

// A relaxed read of every counter. Safe from any thread at any time.
CounterValues ReadCounters(const WorkerCounters& counters);

}  // namespace tcpkali::stats

#endif  // TCPKALI_STATS_COUNTERS_H_
