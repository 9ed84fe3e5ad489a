// StalledListener: a listener on 127.0.0.1 whose accept queue is full and
// is never drained, so that the SYN of every further connection attempt is
// dropped and the attempt times out. Traffic stays on loopback: no
// unrouted address, no firewall rule.
//
// Linux drops a SYN to a listener whose accept queue holds more than its
// backlog; with backlog 0 one completed connection fills it. Create() makes
// such connections itself (the "fillers") until one no longer completes.
//
// Example:
//   absl::StatusOr<std::unique_ptr<StalledListener>> l =
//       StalledListener::Create();
//   ... run tcpkali --connect-timeout 200ms 127.0.0.1:(*l)->port() ...
#ifndef TCPKALI_TESTING_PEERS_STALLED_LISTENER_H_
#define TCPKALI_TESTING_PEERS_STALLED_LISTENER_H_

#include <cstdint>
#include <memory>
#include <vector>

#include "absl/status/statusor.h"
#include "testing/peers/loopback.h"

namespace tcpkali::testing {

// Owned by one test thread; holds its sockets until destroyed.
class StalledListener {
 public:
  // Listens with backlog 0 and fills the accept queue. Fails with Internal
  // when a socket call fails, and with FailedPrecondition when the queue
  // will not fill within a few connections (a kernel that queues without
  // limit would make the time-out test meaningless).
  [[nodiscard]] static absl::StatusOr<std::unique_ptr<StalledListener>>
  Create();

  uint16_t port() const { return listener_.port; }

 private:
  StalledListener() = default;

  LoopbackListener listener_;
  std::vector<ScopedFd> fillers_;  // established, never accepted
};

}  // namespace tcpkali::testing

#endif  // TCPKALI_TESTING_PEERS_STALLED_LISTENER_H_
