#include "testing/peers/reset_peer.h"

#include <fcntl.h>
#include <poll.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <utility>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"

namespace tcpkali::testing {

absl::StatusOr<std::unique_ptr<ResetPeer>> ResetPeer::Start() {
  std::unique_ptr<ResetPeer> peer(new ResetPeer());
  absl::StatusOr<LoopbackListener> listener = ListenOnLoopback(4096);
  if (!listener.ok()) return listener.status();
  peer->listen_fd_ = std::move(listener->fd);
  peer->port_ = listener->port;
  fcntl(peer->listen_fd_.get(), F_SETFL,
        fcntl(peer->listen_fd_.get(), F_GETFL) | O_NONBLOCK);
  peer->stop_fd_ = ScopedFd(eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK));
  if (!peer->stop_fd_.valid()) {
    return absl::InternalError(absl::StrCat("eventfd: ", strerror(errno)));
  }
  peer->thread_ = std::thread([p = peer.get()] { p->Run(); });
  return peer;
}

ResetPeer::~ResetPeer() {
  if (thread_.joinable()) {
    const uint64_t one = 1;
    if (write(stop_fd_.get(), &one, sizeof one) < 0) {
      // The eventfd cannot be full with one write; nothing else to do.
    }
    thread_.join();
  }
}

void ResetPeer::Run() {
  while (true) {
    pollfd fds[2] = {{listen_fd_.get(), POLLIN, 0},
                     {stop_fd_.get(), POLLIN, 0}};
    if (poll(fds, 2, -1) < 0 && errno != EINTR) return;
    if (fds[1].revents != 0) return;
    while (true) {
      ScopedFd fd(accept4(listen_fd_.get(), nullptr, nullptr, SOCK_CLOEXEC));
      if (!fd.valid()) break;  // EAGAIN: nothing more queued
      CloseWithReset(fd);
      resets_.fetch_add(1, std::memory_order_relaxed);
    }
  }
}

}  // namespace tcpkali::testing
