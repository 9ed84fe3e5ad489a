// ResetPeer: a listener on 127.0.0.1 that accepts every connection and at
// once closes it with SO_LINGER 0, so that the connecting side sees its
// established connection reset (ECONNRESET) rather than closed.
//
// It runs on its own thread from Start() until it is destroyed.
//
// Example:
//   absl::StatusOr<std::unique_ptr<ResetPeer>> peer = ResetPeer::Start();
//   ... run tcpkali -c 3 127.0.0.1:(*peer)->port() ...
//   CHECK((*peer)->Resets() > 0);
#ifndef TCPKALI_TESTING_PEERS_RESET_PEER_H_
#define TCPKALI_TESTING_PEERS_RESET_PEER_H_

#include <atomic>
#include <cstdint>
#include <memory>

#include "absl/status/statusor.h"
#include "testing/peers/loopback.h"
#include "testing/peers/peer_thread.h"

namespace tcpkali::testing {

// Owned by one test thread.
class ResetPeer {
 public:
  // Listens on 127.0.0.1 with a kernel-chosen port and starts the thread.
  // Fails with Internal when a socket or eventfd call fails.
  [[nodiscard]] static absl::StatusOr<std::unique_ptr<ResetPeer>> Start();

  // Stops the thread.
  ~ResetPeer();
  ResetPeer(const ResetPeer&) = delete;
  ResetPeer& operator=(const ResetPeer&) = delete;

  uint16_t port() const { return port_; }
  // Connections accepted and reset so far: each counted just before its
  // reset, so a connection whose reset the caller saw is in the count.
  uint64_t Resets() const { return resets_.load(std::memory_order_acquire); }

 private:
  ResetPeer() = default;
  void Run();

  ScopedFd listen_fd_;
  uint16_t port_ = 0;
  std::atomic<uint64_t> resets_{0};
  PeerThread thread_;
};

}  // namespace tcpkali::testing

#endif  // TCPKALI_TESTING_PEERS_RESET_PEER_H_
