#include "testing/peers/reset_peer.h"

#include <poll.h>
#include <sys/socket.h>

#include <cerrno>
#include <utility>

#include "absl/status/status.h"

namespace tcpkali::testing {

absl::StatusOr<std::unique_ptr<ResetPeer>> ResetPeer::Start() {
  std::unique_ptr<ResetPeer> peer(new ResetPeer());
  absl::StatusOr<LoopbackListener> listener = ListenOnLoopbackNonBlocking(4096);
  if (!listener.ok()) return listener.status();
  peer->listen_fd_ = std::move(listener->fd);
  peer->port_ = listener->port;
  if (absl::Status s = peer->thread_.Init(); !s.ok()) return s;
  peer->thread_.Start([p = peer.get()] { p->Run(); });
  return peer;
}

ResetPeer::~ResetPeer() { thread_.Stop(); }

void ResetPeer::Run() {
  while (true) {
    pollfd fds[2] = {{listen_fd_.get(), POLLIN, 0},
                     {thread_.stop_fd(), POLLIN, 0}};
    if (poll(fds, 2, -1) < 0 && errno != EINTR) return;
    if (fds[1].revents != 0) return;
    while (true) {
      ScopedFd fd(accept4(listen_fd_.get(), nullptr, nullptr, SOCK_CLOEXEC));
      if (!fd.valid()) break;  // EAGAIN: nothing more queued
      // Counted first: a client that has seen the reset finds it counted.
      resets_.fetch_add(1, std::memory_order_release);
      CloseWithReset(fd);
    }
  }
}

}  // namespace tcpkali::testing
