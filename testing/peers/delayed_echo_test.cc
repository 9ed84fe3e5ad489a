// DelayedEcho gives back exactly what it got, in order, never before its
// delay, and later still while its load is over the knee. (Only lower
// bounds on time are checked: they hold by construction, however loaded
// the machine.)
#include "testing/peers/delayed_echo.h"

#include <doctest/doctest.h>

#include <memory>
#include <string>

#include "testing/peers/loopback.h"

namespace tcpkali::testing {
namespace {

constexpr int kIoTimeoutMs = 10'000;

TEST_CASE("DelayedEcho returns each chunk in order after its delay") {
  constexpr int64_t kDelayNs = 30'000'000;
  absl::StatusOr<std::unique_ptr<DelayedEcho>> echo =
      DelayedEcho::Start({.delay_ns = kDelayNs});
  REQUIRE(echo.ok());
  absl::StatusOr<ScopedFd> conn =
      ConnectToLoopback((*echo)->port(), kIoTimeoutMs);
  REQUIRE(conn.ok());
  for (const std::string chunk : {"first", "second chunk", "3"}) {
    CAPTURE(chunk);
    const int64_t sent_ns = MonotonicNowNs();
    REQUIRE(SendAll(conn->get(), chunk, kIoTimeoutMs).ok());
    absl::StatusOr<std::string> back =
        ReceiveExactly(conn->get(), chunk.size(), kIoTimeoutMs);
    REQUIRE(back.ok());
    CHECK(*back == chunk);
    CHECK(MonotonicNowNs() - sent_ns >= kDelayNs);
  }
  CHECK((*echo)->Accepted() == 1);
  CHECK((*echo)->BytesReceived() == 18);
  CHECK((*echo)->BytesEchoed() == 18);
}

TEST_CASE("DelayedEcho waits longer while the load is over its knee") {
  constexpr int64_t kOverKneeNs = 200'000'000;
  // 1000 B/s over 250 ms: more than 250 bytes in the window.
  absl::StatusOr<std::unique_ptr<DelayedEcho>> echo = DelayedEcho::Start(
      {.knee_bytes_per_s = 1000, .over_knee_delay_ns = kOverKneeNs});
  REQUIRE(echo.ok());
  absl::StatusOr<ScopedFd> conn =
      ConnectToLoopback((*echo)->port(), kIoTimeoutMs);
  REQUIRE(conn.ok());
  const std::string small(10, 's');
  REQUIRE(SendAll(conn->get(), small, kIoTimeoutMs).ok());
  absl::StatusOr<std::string> back =
      ReceiveExactly(conn->get(), small.size(), kIoTimeoutMs);
  REQUIRE(back.ok());
  CHECK(*back == small);

  const std::string large(500, 'L');
  const int64_t sent_ns = MonotonicNowNs();
  REQUIRE(SendAll(conn->get(), large, kIoTimeoutMs).ok());
  back = ReceiveExactly(conn->get(), large.size(), kIoTimeoutMs);
  REQUIRE(back.ok());
  CHECK(*back == large);
  CHECK(MonotonicNowNs() - sent_ns >= kOverKneeNs);
}

}  // namespace
}  // namespace tcpkali::testing
