#include "testing/peers/delayed_echo.h"

#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/timerfd.h>
#include <time.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <utility>

#include "absl/status/status.h"

namespace tcpkali::testing {
namespace {

constexpr uint64_t kStopTag = ~uint64_t{0};
constexpr uint64_t kListenTag = kStopTag - 1;
constexpr uint64_t kTimerTag = kStopTag - 2;
constexpr size_t kReadBytes = 64 * 1024;
// The load is measured over this window: long enough to smooth a paced
// sender's jitter, short enough to follow a change of rate within the
// half-second a rate search lets each step settle.
constexpr int64_t kLoadWindowNs = 250'000'000;

// The kernel's receive timestamp (SO_TIMESTAMPNS, CLOCK_REALTIME) of the
// data of `msg`, on the monotonic clock; `now_ns` when there is none.
int64_t ArrivalMonotonicNs(msghdr& msg, int64_t now_ns) {
  for (cmsghdr* c = CMSG_FIRSTHDR(&msg); c != nullptr;
       c = CMSG_NXTHDR(&msg, c)) {
    if (c->cmsg_level != SOL_SOCKET || c->cmsg_type != SCM_TIMESTAMPNS) {
      continue;
    }
    timespec arrival, realtime;
    std::memcpy(&arrival, CMSG_DATA(c), sizeof arrival);
    clock_gettime(CLOCK_REALTIME, &realtime);
    const int64_t age_ns =
        (static_cast<int64_t>(realtime.tv_sec) - arrival.tv_sec) *
            1'000'000'000 +
        (realtime.tv_nsec - arrival.tv_nsec);
    return MonotonicNowNs() - age_ns;
  }
  return now_ns;
}

}  // namespace

absl::StatusOr<std::unique_ptr<DelayedEcho>> DelayedEcho::Start(
    const Options& options) {
  if (options.delay_ns < 0 || options.over_knee_delay_ns < 0) {
    return absl::InvalidArgumentError("DelayedEcho: negative delay");
  }
  std::unique_ptr<DelayedEcho> echo(new DelayedEcho(options));
  // Non-blocking, so that AcceptAll() stops when the queue is empty.
  absl::StatusOr<LoopbackListener> listener = ListenOnLoopbackNonBlocking(4096);
  if (!listener.ok()) return listener.status();
  echo->listen_fd_ = std::move(listener->fd);
  echo->port_ = listener->port;
  echo->timer_fd_ =
      ScopedFd(timerfd_create(CLOCK_MONOTONIC, TFD_CLOEXEC | TFD_NONBLOCK));
  if (!echo->timer_fd_.valid()) return ErrnoError("timerfd_create");
  if (absl::Status s = echo->thread_.Init(); !s.ok()) return s;
  absl::StatusOr<ScopedFd> epoll_fd =
      EpollWatching({{echo->listen_fd_.get(), kListenTag},
                     {echo->timer_fd_.get(), kTimerTag},
                     {echo->thread_.stop_fd(), kStopTag}});
  if (!epoll_fd.ok()) return epoll_fd.status();
  echo->epoll_fd_ = std::move(*epoll_fd);
  echo->thread_.Start([e = echo.get()] { e->Run(); });
  return echo;
}

DelayedEcho::~DelayedEcho() { thread_.Stop(); }

void DelayedEcho::Run() {
  RunEpollLoop(
      epoll_fd_.get(), kStopTag,
      [this](const epoll_event& event) {
        const uint64_t tag = event.data.u64;
        if (tag == kListenTag) {
          AcceptAll();
        } else if (tag == kTimerTag) {
          uint64_t expirations;
          if (read(timer_fd_.get(), &expirations, sizeof expirations) < 0) {
            // EAGAIN: re-armed since it fired; the flush below runs anyway.
          }
        } else {
          Conn& c = conns_[tag];
          if ((event.events & EPOLLOUT) != 0 && c.blocked) {
            // Writable again: back to reading only, or EPOLLOUT would spin.
            c.blocked = false;
            epoll_event ev{.events = EPOLLIN | EPOLLRDHUP, .data = {.u64 = tag}};
            epoll_ctl(epoll_fd_.get(), EPOLL_CTL_MOD, c.fd.get(), &ev);
          }
          if ((event.events & ~uint32_t{EPOLLOUT}) != 0) Read(tag, MonotonicNowNs());
        }
      },
      [this] { ArmTimer(FlushAll(MonotonicNowNs())); });
}

void DelayedEcho::AcceptAll() {
  while (true) {
    ScopedFd fd(accept4(listen_fd_.get(), nullptr, nullptr,
                        SOCK_NONBLOCK | SOCK_CLOEXEC));
    if (!fd.valid()) return;  // EAGAIN: accepted everything queued
    const int on = 1;
    setsockopt(fd.get(), SOL_SOCKET, SO_TIMESTAMPNS, &on, sizeof on);
    // Each echo leaves when due: Nagle's algorithm would hold a small one
    // back until the previous is acknowledged, which with a paced client
    // can take one of its intervals -- latency the test did not ask for.
    setsockopt(fd.get(), IPPROTO_TCP, TCP_NODELAY, &on, sizeof on);
    const uint64_t index = conns_.size();
    epoll_event ev{.events = EPOLLIN | EPOLLRDHUP, .data = {.u64 = index}};
    if (epoll_ctl(epoll_fd_.get(), EPOLL_CTL_ADD, fd.get(), &ev) != 0) return;
    conns_.emplace_back();
    conns_.back().fd = std::move(fd);
    accepted_.fetch_add(1, std::memory_order_relaxed);
  }
}

void DelayedEcho::Read(size_t index, int64_t now_ns) {
  Conn& c = conns_[index];
  if (!c.fd.valid() || c.peer_closed) return;
  char buffer[kReadBytes];
  while (true) {
    iovec iov{buffer, sizeof buffer};
    alignas(cmsghdr) char control[CMSG_SPACE(sizeof(timespec))];
    msghdr msg{};
    msg.msg_iov = &iov;
    msg.msg_iovlen = 1;
    msg.msg_control = control;
    msg.msg_controllen = sizeof control;
    const ssize_t n = recvmsg(c.fd.get(), &msg, MSG_DONTWAIT);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0 && errno == EAGAIN) return;
    if (n <= 0) {
      // EOF or reset: what was read is still echoed (a half-closed peer
      // may wait for it); reading stops.
      c.peer_closed = true;
      epoll_ctl(epoll_fd_.get(), EPOLL_CTL_DEL, c.fd.get(), nullptr);
      if (n < 0) c.chunks.clear();
      CloseIfDone(index);
      return;
    }
    // The delay runs from the data's arrival, so that this thread's own
    // lateness in reading it does not add to the latency asked for.
    const int64_t arrival_ns =
        std::min(now_ns, ArrivalMonotonicNs(msg, now_ns));
    c.data.append(buffer, static_cast<size_t>(n));
    c.chunks.push_back(
        {static_cast<size_t>(n),
         arrival_ns + DelayFor(static_cast<size_t>(n), arrival_ns)});
    bytes_received_.fetch_add(static_cast<uint64_t>(n),
                              std::memory_order_relaxed);
  }
}

int64_t DelayedEcho::DelayFor(size_t bytes, int64_t now_ns) {
  if (options_.knee_bytes_per_s == 0) return options_.delay_ns;
  recent_reads_.emplace_back(now_ns, bytes);
  recent_bytes_ += bytes;
  while (recent_reads_.front().first <= now_ns - kLoadWindowNs) {
    recent_bytes_ -= recent_reads_.front().second;
    recent_reads_.pop_front();
  }
  const double load_bytes_per_s = recent_bytes_ * 1e9 / kLoadWindowNs;
  return load_bytes_per_s > static_cast<double>(options_.knee_bytes_per_s)
             ? options_.over_knee_delay_ns
             : options_.delay_ns;
}

int64_t DelayedEcho::FlushAll(int64_t now_ns) {
  int64_t next_ns = 0;
  for (size_t i = 0; i < conns_.size(); ++i) {
    Conn& c = conns_[i];
    if (!c.fd.valid()) continue;
    Flush(c, now_ns);
    CloseIfDone(i);
    if (!c.fd.valid() || c.chunks.empty() || c.blocked) continue;
    // The head is not due yet (Flush() sends every chunk that is).
    const int64_t due_ns = c.chunks.front().release_ns;
    if (next_ns == 0 || due_ns < next_ns) next_ns = due_ns;
  }
  return next_ns;
}

void DelayedEcho::Flush(Conn& c, int64_t now_ns) {
  while (!c.chunks.empty() && !c.blocked) {
    Chunk& head = c.chunks.front();
    if (head.release_ns > now_ns) break;
    const size_t n = head.bytes_left;
    if (!head.started) {
      head.started = true;
      chunks_echoed_.fetch_add(1, std::memory_order_relaxed);
      if (now_ns - head.release_ns > kLateNs) {
        late_chunks_.fetch_add(1, std::memory_order_relaxed);
      }
    }
    // Counted before the send, corrected after it: whoever has received
    // the echo finds it counted.
    bytes_echoed_.fetch_add(n, std::memory_order_relaxed);
    const ssize_t w = send(c.fd.get(), c.data.data() + c.echoed, n,
                           MSG_DONTWAIT | MSG_NOSIGNAL);
    const size_t sent = w < 0 ? 0 : static_cast<size_t>(w);
    bytes_echoed_.fetch_sub(n - sent, std::memory_order_relaxed);
    if (w < 0 && errno == EINTR) continue;
    if (w < 0 && errno != EAGAIN) {
      c.chunks.clear();  // the peer is gone; nothing more can be echoed
      break;
    }
    c.echoed += sent;
    head.bytes_left -= sent;
    if (head.bytes_left == 0) c.chunks.pop_front();
    if (sent < n && !c.peer_closed) {
      c.blocked = true;
      epoll_event ev{
          .events = EPOLLIN | EPOLLRDHUP | EPOLLOUT,
          .data = {.u64 = static_cast<uint64_t>(&c - conns_.data())}};
      epoll_ctl(epoll_fd_.get(), EPOLL_CTL_MOD, c.fd.get(), &ev);
    } else if (sent < n) {
      c.chunks.clear();  // no EPOLLOUT for a closed peer: give up on it
    }
  }
  if (c.echoed == c.data.size()) {
    c.data.clear();
    c.echoed = 0;
  } else if (c.echoed >= kReadBytes) {
    c.data.erase(0, c.echoed);
    c.echoed = 0;
  }
}

void DelayedEcho::CloseIfDone(size_t index) {
  Conn& c = conns_[index];
  if (c.peer_closed && c.chunks.empty()) c.fd.Reset();
}

void DelayedEcho::ArmTimer(int64_t deadline_ns) {
  itimerspec spec{};
  if (deadline_ns > 0) {
    spec.it_value.tv_sec = deadline_ns / 1'000'000'000;
    spec.it_value.tv_nsec = deadline_ns % 1'000'000'000;
  }
  timerfd_settime(timer_fd_.get(), TFD_TIMER_ABSTIME, &spec, nullptr);
}

}  // namespace tcpkali::testing
