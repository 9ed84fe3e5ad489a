#include "testing/peers/peer_thread.h"

#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include <cerrno>

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

void RunEpollLoop(int epoll_fd, uint64_t stop_tag,
                  absl::FunctionRef<void(const epoll_event&)> on_event,
                  absl::FunctionRef<void()> after_batch) {
  epoll_event events[256];
  while (true) {
    const int n = epoll_wait(epoll_fd, events, 256, -1);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return;
    for (int i = 0; i < n; ++i) {
      if (events[i].data.u64 == stop_tag) return;
      on_event(events[i]);
    }
    after_batch();
  }
}

}  // namespace tcpkali::testing
