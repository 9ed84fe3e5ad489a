// WriteGarbage against the other peers: every byte it reports written
// reaches a sink, and a peer that hangs up is noticed.
#include "testing/peers/garbage_writer.h"

#include <doctest/doctest.h>

#include <memory>

#include "testing/peers/counting_sink.h"
#include "testing/peers/faulty_listener.h"

namespace tcpkali::testing {
namespace {

constexpr int kWaitMs = 10'000;

TEST_CASE("every byte written reaches the sink") {
  absl::StatusOr<std::unique_ptr<CountingSink>> sink = CountingSink::Start();
  REQUIRE(sink.ok());
  absl::StatusOr<GarbageResult> flood =
      WriteGarbage({.port = (*sink)->port(),
                    .connections = 3,
                    .duration_ns = 200'000'000,
                    .seed = 1});
  REQUIRE(flood.ok());
  CHECK(flood->bytes_written > 0);
  CHECK(flood->handshake_bytes == 0);
  CHECK(flood->closed_by_peer == 0);
  REQUIRE((*sink)->WaitForClosed(3, kWaitMs));
  CHECK((*sink)->Accepted() == 3);
  CHECK((*sink)->TotalBytes() == flood->bytes_written);
}

TEST_CASE("a peer that hangs up on every connection is counted, and the "
          "flood ends early") {
  // Closes each connection as soon as data arrives.
  absl::StatusOr<std::unique_ptr<FaultyListener>> peer =
      FaultyListener::Start({.behavior = PeerBehavior::kCloseAfterBytes,
                             .close_after_bytes = 0,
                             .close_first = 2});
  REQUIRE(peer.ok());
  const int64_t start_ns = MonotonicNowNs();
  absl::StatusOr<GarbageResult> flood =
      WriteGarbage({.port = (*peer)->port(),
                    .connections = 2,
                    .duration_ns = 60'000'000'000,
                    .seed = 2});
  REQUIRE(flood.ok());
  CHECK(flood->closed_by_peer == 2);
  // Nothing left to write to: it did not wait out the minute.
  CHECK(MonotonicNowNs() - start_ns < 30'000'000'000);
}

TEST_CASE("a refused connection is an error") {
  absl::StatusOr<uint16_t> port = FindFreeLoopbackPort();
  REQUIRE(port.ok());
  absl::StatusOr<GarbageResult> flood =
      WriteGarbage({.port = *port, .connections = 1, .duration_ns = 1});
  CHECK(flood.status().code() == absl::StatusCode::kUnavailable);
}

}  // namespace
}  // namespace tcpkali::testing
