#include "testing/peers/faulty_listener.h"

#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <utility>

#include "absl/status/status.h"

namespace tcpkali::testing {
namespace {

constexpr uint64_t kStopTag = ~uint64_t{0};
constexpr uint64_t kListenTag = kStopTag - 1;
constexpr uint64_t kStartTag = kStopTag - 2;
constexpr size_t kReadBytes = 256 * 1024;

}  // namespace

absl::StatusOr<std::unique_ptr<FaultyListener>> FaultyListener::Start(
    const FaultyListenerOptions& options) {
  std::unique_ptr<FaultyListener> peer(new FaultyListener(options));
  // Non-blocking, so that AcceptAll() stops when the queue is empty.
  absl::StatusOr<LoopbackListener> listener = ListenOnLoopbackNonBlocking(4096);
  if (!listener.ok()) return listener.status();
  peer->listen_fd_ = std::move(listener->fd);
  peer->port_ = listener->port;
  if (absl::Status s = peer->thread_.Init(); !s.ok()) return s;
  peer->start_fd_ = ScopedFd(eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK));
  if (!peer->start_fd_.valid()) return ErrnoError("eventfd");
  absl::StatusOr<ScopedFd> epoll_fd =
      EpollWatching({{peer->listen_fd_.get(), kListenTag},
                     {peer->thread_.stop_fd(), kStopTag},
                     {peer->start_fd_.get(), kStartTag}});
  if (!epoll_fd.ok()) return epoll_fd.status();
  peer->epoll_fd_ = std::move(*epoll_fd);
  peer->reading_ = options.behavior != PeerBehavior::kNeverRead;
  peer->buffer_.resize(kReadBytes);
  peer->thread_.Start([p = peer.get()] { p->Run(); });
  return peer;
}

FaultyListener::~FaultyListener() { thread_.Stop(); }

void FaultyListener::StartReading() {
  const uint64_t one = 1;
  if (write(start_fd_.get(), &one, sizeof one) < 0) {
    // An eventfd is full only after 2^64-2 writes; nothing else to do.
  }
}

void FaultyListener::Run() {
  RunEpollLoop(epoll_fd_.get(), kStopTag, [this](const epoll_event& event) {
    const uint64_t tag = event.data.u64;
    if (tag == kListenTag) {
      AcceptAll();
    } else if (tag == kStartTag) {
      uint64_t count = 0;
      (void)!read(start_fd_.get(), &count, sizeof count);
      if (!reading_) {
        reading_ = true;
        for (uint32_t c = 0; c < fds_.size(); ++c) Watch(c);
      }
    } else {
      Drain(static_cast<uint32_t>(tag));
    }
  });
}

void FaultyListener::Watch(uint32_t index) {
  epoll_event ev{.events = EPOLLIN | EPOLLRDHUP, .data = {.u64 = index}};
  epoll_ctl(epoll_fd_.get(), EPOLL_CTL_ADD, fds_[index].get(), &ev);
}

void FaultyListener::AcceptAll() {
  while (true) {
    ScopedFd fd(accept4(listen_fd_.get(), nullptr, nullptr,
                        SOCK_NONBLOCK | SOCK_CLOEXEC));
    if (!fd.valid()) return;  // EAGAIN: accepted everything queued
    if (options_.behavior == PeerBehavior::kHalfClose) {
      shutdown(fd.get(), SHUT_WR);
    }
    const uint32_t index = static_cast<uint32_t>(fds_.size());
    fds_.push_back(std::move(fd));
    {
      std::lock_guard<std::mutex> lock(mu_);
      connections_.emplace_back();
    }
    if (reading_) Watch(index);
  }
}

void FaultyListener::Drain(uint32_t index) {
  size_t want = buffer_.size();
  const bool closes = options_.behavior == PeerBehavior::kCloseAfterBytes &&
                      index < options_.close_first;
  if (closes) {
    std::lock_guard<std::mutex> lock(mu_);
    want = std::min<uint64_t>(
        want, options_.close_after_bytes - connections_[index].bytes);
  }
  if (want == 0) {  // close_after_bytes 0: closed at the first sign of data
    End(index, /*closed_by_us=*/true, /*reset=*/false);
    return;
  }
  const ssize_t n = recv(fds_[index].get(), buffer_.data(), want, 0);
  if (n < 0 && (errno == EAGAIN || errno == EINTR)) return;
  if (n > 0) {
    uint64_t bytes = 0;
    {
      std::lock_guard<std::mutex> lock(mu_);
      connections_[index].bytes += static_cast<uint64_t>(n);
      total_bytes_ += static_cast<uint64_t>(n);
      bytes = connections_[index].bytes;
    }
    if (closes && bytes == options_.close_after_bytes) {
      End(index, /*closed_by_us=*/true, /*reset=*/false);
    }
    return;
  }
  // EOF, or an error (a reset): this connection is over.
  End(index, /*closed_by_us=*/false, /*reset=*/n < 0);
}

void FaultyListener::End(uint32_t index, bool closed_by_us, bool reset) {
  epoll_ctl(epoll_fd_.get(), EPOLL_CTL_DEL, fds_[index].get(), nullptr);
  fds_[index].Reset();
  std::lock_guard<std::mutex> lock(mu_);
  PeerConnection& c = connections_[index];
  c.closed_by_us = closed_by_us;
  c.reset = reset;
  c.ended = true;
  ++ended_;
  ended_cv_.notify_all();
}

bool FaultyListener::WaitForEnded(uint64_t n, int timeout_ms) {
  std::unique_lock<std::mutex> lock(mu_);
  return ended_cv_.wait_for(lock, std::chrono::milliseconds(timeout_ms),
                            [&] { return ended_ >= n; });
}

uint64_t FaultyListener::TotalBytes() const {
  std::lock_guard<std::mutex> lock(mu_);
  return total_bytes_;
}

std::vector<PeerConnection> FaultyListener::Connections() const {
  std::lock_guard<std::mutex> lock(mu_);
  return connections_;
}

}  // namespace tcpkali::testing
