#include "testing/peers/peer_thread.h"

#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <unistd.h>

namespace tcpkali::testing {

absl::Status PeerThread::Init() {
  stop_fd_ = ScopedFd(eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK));
  return stop_fd_.valid() ? absl::OkStatus() : ErrnoError("eventfd");
}

void PeerThread::Start(std::function<void()> body) {
  thread_ = std::thread(std::move(body));
}

void PeerThread::Stop() {
  if (!thread_.joinable()) return;
  const uint64_t one = 1;
  if (write(stop_fd_.get(), &one, sizeof one) < 0) {
    // An eventfd is full only after 2^64-2 writes; nothing else to do.
  }
  thread_.join();
}

absl::StatusOr<ScopedFd> EpollWatching(
    std::initializer_list<std::pair<int, uint64_t>> watched) {
  ScopedFd epoll_fd(epoll_create1(EPOLL_CLOEXEC));
  if (!epoll_fd.valid()) return ErrnoError("epoll_create1");
  for (const auto& [fd, tag] : watched) {
    epoll_event ev{.events = EPOLLIN, .data = {.u64 = tag}};
    if (epoll_ctl(epoll_fd.get(), EPOLL_CTL_ADD, fd, &ev) != 0) {
      return ErrnoError("epoll_ctl");
    }
  }
  return epoll_fd;
}

}  // namespace tcpkali::testing
