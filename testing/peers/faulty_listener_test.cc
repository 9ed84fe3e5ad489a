// FaultyListener from the client's side: what each behaviour does to a
// plain blocking socket, and that it counts exactly what it read.
#include "testing/peers/faulty_listener.h"

#include <doctest/doctest.h>
#include <sys/socket.h>

#include <memory>
#include <string>
#include <vector>

#include "testing/peers/loopback.h"

namespace tcpkali::testing {
namespace {

constexpr int kWaitMs = 10'000;

std::unique_ptr<FaultyListener> StartPeer(
    const FaultyListenerOptions& options) {
  absl::StatusOr<std::unique_ptr<FaultyListener>> peer =
      FaultyListener::Start(options);
  REQUIRE(peer.ok());
  return std::move(*peer);
}

ScopedFd Connect(const FaultyListener& peer) {
  absl::StatusOr<ScopedFd> fd = ConnectToLoopback(peer.port(), kWaitMs);
  REQUIRE(fd.ok());
  return std::move(*fd);
}

TEST_CASE("kCloseAfterBytes closes the first connections after exactly N "
          "bytes and reads the later ones to their end") {
  std::unique_ptr<FaultyListener> peer =
      StartPeer({.behavior = PeerBehavior::kCloseAfterBytes,
                 .close_after_bytes = 1000,
                 .close_first = 1});
  ScopedFd first = Connect(*peer);
  REQUIRE(SendAll(first.get(), std::string(5000, 'a'), kWaitMs).ok());
  REQUIRE(peer->WaitForEnded(1, kWaitMs));
  // The client sees the close: a reset (data was left unread) or EOF.
  absl::StatusOr<std::string> got = ReceiveExactly(first.get(), 1, kWaitMs);
  CHECK((got.status().code() == absl::StatusCode::kUnavailable ||
         got.status().code() == absl::StatusCode::kOutOfRange));

  ScopedFd second = Connect(*peer);
  REQUIRE(SendAll(second.get(), std::string(3000, 'b'), kWaitMs).ok());
  second.Reset();
  REQUIRE(peer->WaitForEnded(2, kWaitMs));
  const std::vector<PeerConnection> seen = peer->Connections();
  REQUIRE(seen.size() == 2);
  CHECK(seen[0].bytes == 1000);
  CHECK(seen[0].closed_by_us);
  CHECK(seen[1].bytes == 3000);
  CHECK_FALSE(seen[1].closed_by_us);
  CHECK_FALSE(seen[1].reset);
  CHECK(peer->TotalBytes() == 4000);
}

TEST_CASE("kHalfClose sends end-of-stream at once and keeps reading") {
  std::unique_ptr<FaultyListener> peer =
      StartPeer({.behavior = PeerBehavior::kHalfClose});
  ScopedFd fd = Connect(*peer);
  absl::StatusOr<std::string> got = ReceiveExactly(fd.get(), 1, kWaitMs);
  CHECK(got.status().code() == absl::StatusCode::kOutOfRange);  // EOF
  REQUIRE(SendAll(fd.get(), "hello", kWaitMs).ok());
  REQUIRE(SendAll(fd.get(), "world", kWaitMs).ok());
  fd.Reset();
  REQUIRE(peer->WaitForEnded(1, kWaitMs));
  CHECK(peer->TotalBytes() == 10);
  CHECK_FALSE(peer->Connections()[0].reset);
}

TEST_CASE("kNeverRead takes nothing until StartReading, then everything") {
  std::unique_ptr<FaultyListener> peer =
      StartPeer({.behavior = PeerBehavior::kNeverRead});
  ScopedFd fd = Connect(*peer);
  // Fill both socket buffers: sends stop when the window is shut.
  const std::string chunk(64 * 1024, 'x');
  uint64_t written = 0;
  for (int i = 0; i < 100'000; ++i) {
    const ssize_t n = send(fd.get(), chunk.data(), chunk.size(),
                           MSG_DONTWAIT | MSG_NOSIGNAL);
    if (n <= 0) break;
    written += static_cast<uint64_t>(n);
  }
  REQUIRE(written > 0);
  CHECK(peer->TotalBytes() == 0);
  peer->StartReading();
  fd.Reset();  // the kernel still delivers what is queued, then the FIN
  REQUIRE(peer->WaitForEnded(1, kWaitMs));
  CHECK(peer->TotalBytes() == written);
}

}  // namespace
}  // namespace tcpkali::testing
