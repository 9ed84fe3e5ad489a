// The peers themselves: each must do what the end-to-end tests rely on, or
// those tests would blame tcpkali for a fault of the peer.
#include <doctest/doctest.h>
#include <sys/socket.h>

#include <cerrno>
#include <memory>
#include <string>

#include "testing/peers/counting_sink.h"
#include "testing/peers/loopback.h"
#include "testing/peers/reset_peer.h"
#include "testing/peers/stalled_listener.h"

namespace tcpkali::testing {
namespace {

constexpr int kTimeoutMs = 5000;

TEST_CASE("CountingSink counts every byte of every connection") {
  absl::StatusOr<std::unique_ptr<CountingSink>> sink = CountingSink::Start();
  REQUIRE(sink.ok());
  const size_t sizes[] = {1, 1000, 3'000'000};
  for (size_t size : sizes) {
    absl::StatusOr<ScopedFd> c = ConnectToLoopback((*sink)->port(), kTimeoutMs);
    REQUIRE(c.ok());
    REQUIRE(SendAll(c->get(), std::string(size, 'x'), kTimeoutMs).ok());
  }  // each connection closes here, after its data
  REQUIRE((*sink)->WaitForClosed(3, kTimeoutMs));
  CHECK((*sink)->Accepted() == 3);
  CHECK((*sink)->TotalBytes() == 3'001'001);
  const std::vector<SinkConnection> conns = (*sink)->Connections();
  REQUIRE(conns.size() == 3);
  for (size_t i = 0; i < 3; ++i) {
    CAPTURE(i);
    CHECK(conns[i].closed);
    CHECK(conns[i].bytes == sizes[i]);
    CHECK(conns[i].first_read_bytes > 0);
    CHECK(conns[i].first_arrival_ns > 0);
    CHECK(conns[i].last_arrival_ns >= conns[i].first_arrival_ns);
  }
}

TEST_CASE("CountingSink::WaitForClosed gives up while a connection is open") {
  absl::StatusOr<std::unique_ptr<CountingSink>> sink = CountingSink::Start();
  REQUIRE(sink.ok());
  absl::StatusOr<ScopedFd> c = ConnectToLoopback((*sink)->port(), kTimeoutMs);
  REQUIRE(c.ok());
  CHECK_FALSE((*sink)->WaitForClosed(1, 50));
}

TEST_CASE("ResetPeer resets what it accepts") {
  absl::StatusOr<std::unique_ptr<ResetPeer>> peer = ResetPeer::Start();
  REQUIRE(peer.ok());
  absl::StatusOr<ScopedFd> c = ConnectToLoopback((*peer)->port(), kTimeoutMs);
  REQUIRE(c.ok());
  absl::StatusOr<std::string> got = ReceiveExactly(c->get(), 1, kTimeoutMs);
  CHECK(absl::IsUnavailable(got.status()));  // ECONNRESET, not EOF
  CHECK((*peer)->Resets() == 1);
}

TEST_CASE("StalledListener makes further connection attempts time out") {
  absl::StatusOr<std::unique_ptr<StalledListener>> stalled =
      StalledListener::Create();
  REQUIRE(stalled.ok());
  absl::StatusOr<ScopedFd> c = ConnectToLoopback((*stalled)->port(), 300);
  CHECK(absl::IsDeadlineExceeded(c.status()));
}

TEST_CASE("loopback helpers report an early close and a refusal") {
  absl::StatusOr<LoopbackListener> listener = ListenOnLoopback(4);
  REQUIRE(listener.ok());
  absl::StatusOr<ScopedFd> c = ConnectToLoopback(listener->port, kTimeoutMs);
  REQUIRE(c.ok());
  absl::StatusOr<ScopedFd> a = AcceptWithin(listener->fd.get(), kTimeoutMs);
  REQUIRE(a.ok());
  REQUIRE(SendAll(a->get(), "abc", kTimeoutMs).ok());
  a->Reset();
  absl::StatusOr<std::string> got = ReceiveExactly(c->get(), 4, kTimeoutMs);
  CHECK(absl::IsOutOfRange(got.status()));
  CHECK(got.status().message().find("after 3 of 4") != std::string::npos);

  const uint16_t port = listener->port;
  listener->fd.Reset();
  CHECK(absl::IsUnavailable(ConnectToLoopback(port, kTimeoutMs).status()));
  absl::StatusOr<uint16_t> free_port = FindFreeLoopbackPort();
  REQUIRE(free_port.ok());
  CHECK(*free_port != 0);
}

}  // namespace
}  // namespace tcpkali::testing
