#include "testing/peers/counting_sink.h"

#include <sys/epoll.h>
#include <sys/socket.h>
#include <time.h>

#include <cerrno>
#include <chrono>
#include <cstring>
#include <utility>

#include "absl/status/status.h"

namespace tcpkali::testing {
namespace {

constexpr uint64_t kStopTag = ~uint64_t{0};
constexpr uint64_t kListenTag = kStopTag - 1;
constexpr size_t kReadBytes = 256 * 1024;

int64_t RealtimeNowNs() {
  timespec ts;
  clock_gettime(CLOCK_REALTIME, &ts);
  return static_cast<int64_t>(ts.tv_sec) * 1'000'000'000 + ts.tv_nsec;
}

// The SCM_TIMESTAMPNS of a recvmsg(), or the time now when there is none.
int64_t ArrivalNs(msghdr& msg) {
  for (cmsghdr* c = CMSG_FIRSTHDR(&msg); c != nullptr;
       c = CMSG_NXTHDR(&msg, c)) {
    if (c->cmsg_level == SOL_SOCKET && c->cmsg_type == SCM_TIMESTAMPNS) {
      timespec ts;
      std::memcpy(&ts, CMSG_DATA(c), sizeof ts);
      return static_cast<int64_t>(ts.tv_sec) * 1'000'000'000 + ts.tv_nsec;
    }
  }
  return RealtimeNowNs();
}

}  // namespace

absl::StatusOr<std::unique_ptr<CountingSink>> CountingSink::Start() {
  std::unique_ptr<CountingSink> sink(new CountingSink());
  // Non-blocking, so that AcceptAll() stops when the queue is empty.
  absl::StatusOr<LoopbackListener> listener = ListenOnLoopbackNonBlocking(4096);
  if (!listener.ok()) return listener.status();
  sink->listen_fd_ = std::move(listener->fd);
  sink->port_ = listener->port;
  if (absl::Status s = sink->thread_.Init(); !s.ok()) return s;
  absl::StatusOr<ScopedFd> epoll_fd =
      EpollWatching({{sink->listen_fd_.get(), kListenTag},
                     {sink->thread_.stop_fd(), kStopTag}});
  if (!epoll_fd.ok()) return epoll_fd.status();
  sink->epoll_fd_ = std::move(*epoll_fd);
  sink->buffer_.resize(kReadBytes);
  sink->thread_.Start([s = sink.get()] { s->Run(); });
  return sink;
}

CountingSink::~CountingSink() { thread_.Stop(); }

void CountingSink::Run() {
  RunEpollLoop(epoll_fd_.get(), kStopTag, [this](const epoll_event& event) {
    const uint64_t tag = event.data.u64;
    if (tag == kListenTag) {
      AcceptAll();
    } else {
      Drain(static_cast<uint32_t>(tag));
    }
  });
}

void CountingSink::AcceptAll() {
  while (true) {
    ScopedFd fd(accept4(listen_fd_.get(), nullptr, nullptr,
                        SOCK_NONBLOCK | SOCK_CLOEXEC));
    if (!fd.valid()) return;  // EAGAIN: accepted everything queued
    const int on = 1;
    setsockopt(fd.get(), SOL_SOCKET, SO_TIMESTAMPNS, &on, sizeof on);
    const uint32_t index = static_cast<uint32_t>(fds_.size());
    epoll_event ev{.events = EPOLLIN | EPOLLRDHUP, .data = {.u64 = index}};
    if (epoll_ctl(epoll_fd_.get(), EPOLL_CTL_ADD, fd.get(), &ev) != 0) return;
    fds_.push_back(std::move(fd));
    std::lock_guard<std::mutex> lock(mu_);
    connections_.emplace_back();
  }
}

void CountingSink::Drain(uint32_t index) {
  iovec iov{buffer_.data(), buffer_.size()};
  alignas(cmsghdr) char control[CMSG_SPACE(sizeof(timespec))];
  msghdr msg{};
  msg.msg_iov = &iov;
  msg.msg_iovlen = 1;
  msg.msg_control = control;
  msg.msg_controllen = sizeof control;
  const ssize_t n = recvmsg(fds_[index].get(), &msg, MSG_DONTWAIT);
  if (n < 0 && (errno == EAGAIN || errno == EINTR)) return;
  std::lock_guard<std::mutex> lock(mu_);
  SinkConnection& c = connections_[index];
  if (n > 0) {
    const int64_t arrival_ns = ArrivalNs(msg);
    if (c.bytes == 0) {
      c.first_read_bytes = static_cast<uint64_t>(n);
      c.first_arrival_ns = arrival_ns;
    }
    c.bytes += static_cast<uint64_t>(n);
    c.last_arrival_ns = arrival_ns;
    total_bytes_ += static_cast<uint64_t>(n);
    return;
  }
  // EOF or an error (a reset): this connection is over.
  epoll_ctl(epoll_fd_.get(), EPOLL_CTL_DEL, fds_[index].get(), nullptr);
  fds_[index].Reset();
  c.closed = true;
  ++closed_;
  closed_cv_.notify_all();
}

bool CountingSink::WaitForClosed(uint64_t n, int timeout_ms) {
  std::unique_lock<std::mutex> lock(mu_);
  return closed_cv_.wait_for(lock, std::chrono::milliseconds(timeout_ms),
                             [&] { return closed_ >= n; });
}

uint64_t CountingSink::TotalBytes() const {
  std::lock_guard<std::mutex> lock(mu_);
  return total_bytes_;
}

uint64_t CountingSink::Accepted() const {
  std::lock_guard<std::mutex> lock(mu_);
  return connections_.size();
}

uint64_t CountingSink::Closed() const {
  std::lock_guard<std::mutex> lock(mu_);
  return closed_;
}

std::vector<SinkConnection> CountingSink::Connections() const {
  std::lock_guard<std::mutex> lock(mu_);
  return connections_;
}

}  // namespace tcpkali::testing
