// WriteGarbage(): a client that floods a sink with random bytes, as fast as
// the sink's socket takes them, in bursts of up to 1 MiB per write, on
// several connections at once -- to check that a tcpkali sink counts every
// byte of a hostile stream and survives it. With `websocket`, each
// connection first completes a real WebSocket upgrade, and the garbage
// that follows begins with a frame header no server may accept (reserved
// bits set), so that the sink must close the connection whatever the seed.
//
// The bytes come from a seeded generator, so that a failing run can be
// replayed; every wait is bounded.
//
// Example:
//   absl::StatusOr<GarbageResult> flood = WriteGarbage(
//       {.port = sink.port(), .connections = 4,
//        .duration_ns = 2'000'000'000, .seed = seed});
//   ... stop the sink ...
//   CHECK(sink_bytes_received == flood->bytes_written);
#ifndef TCPKALI_TESTING_PEERS_GARBAGE_WRITER_H_
#define TCPKALI_TESTING_PEERS_GARBAGE_WRITER_H_

#include <cstdint>

#include "absl/status/statusor.h"

namespace tcpkali::testing {

struct GarbageOptions {
  uint16_t port = 0;  // on 127.0.0.1
  int connections = 1;
  int64_t duration_ns = 0;  // how long to keep writing
  uint64_t seed = 0;
  bool websocket = false;  // upgrade first (GET / with a random key)
};

struct GarbageResult {
  uint64_t bytes_written = 0;    // random bytes the kernel took, in total
  uint64_t handshake_bytes = 0;  // upgrade requests written, in total
  int closed_by_peer = 0;        // connections the peer closed or reset
};

// Connects `connections` times, (upgrades,) then writes random bytes to
// every connection for duration_ns (on the monotonic clock) and closes
// them with a FIN. A connection the peer closes (a FIN: the peer's answer,
// such as an HTTP 400, is left unread) or resets is counted and written to
// no more. Fails with Unavailable when a connection is refused,
// FailedPrecondition when an upgrade is not answered with 101,
// DeadlineExceeded when a connect or an upgrade takes over 10 s.
[[nodiscard]] absl::StatusOr<GarbageResult> WriteGarbage(
    const GarbageOptions& options);

}  // namespace tcpkali::testing

#endif  // TCPKALI_TESTING_PEERS_GARBAGE_WRITER_H_
