#include "testing/peers/loopback.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <string>
#include <utility>

#include "absl/strings/str_cat.h"

namespace tcpkali::testing {
namespace {

absl::Status Errno(const char* what, int error) {
  const std::string message = absl::StrCat(what, ": ", strerror(error));
  switch (error) {
    case ECONNREFUSED:
    case ECONNRESET:
    case EPIPE:
      return absl::UnavailableError(message);
    default:
      return absl::InternalError(message);
  }
}

sockaddr_in LoopbackAddress(uint16_t port) {
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(port);
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  return addr;
}

// Waits until `fd` reports one of `events` or the deadline passes.
absl::Status WaitFor(int fd, short events, int64_t deadline_ns) {
  while (true) {
    const int64_t left_ns = deadline_ns - MonotonicNowNs();
    if (left_ns <= 0) return absl::DeadlineExceededError("timed out");
    pollfd p{fd, events, 0};
    const int n =
        poll(&p, 1, static_cast<int>((left_ns + 999'999) / 1'000'000));
    if (n > 0) return absl::OkStatus();
    if (n < 0 && errno != EINTR) return Errno("poll", errno);
  }
}

int64_t DeadlineAfterMs(int timeout_ms) {
  return MonotonicNowNs() + static_cast<int64_t>(timeout_ms) * 1'000'000;
}

}  // namespace

ScopedFd& ScopedFd::operator=(ScopedFd&& other) noexcept {
  if (this != &other) {
    Reset();
    fd_ = other.Release();
  }
  return *this;
}

int ScopedFd::Release() { return std::exchange(fd_, -1); }

void ScopedFd::Reset() {
  if (fd_ >= 0) close(fd_);
  fd_ = -1;
}

int64_t MonotonicNowNs() {
  timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return static_cast<int64_t>(ts.tv_sec) * 1'000'000'000 + ts.tv_nsec;
}

absl::Status ErrnoError(std::string_view what) {
  const int error = errno;
  return absl::InternalError(absl::StrCat(
      absl::string_view(what.data(), what.size()), ": ", strerror(error)));
}

absl::StatusOr<LoopbackListener> ListenOnLoopback(int backlog) {
  LoopbackListener listener;
  listener.fd = ScopedFd(socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0));
  if (!listener.fd.valid()) return Errno("socket", errno);
  sockaddr_in addr = LoopbackAddress(0);
  if (bind(listener.fd.get(), reinterpret_cast<sockaddr*>(&addr),
           sizeof addr) != 0) {
    return Errno("bind", errno);
  }
  if (listen(listener.fd.get(), backlog) != 0) return Errno("listen", errno);
  socklen_t len = sizeof addr;
  if (getsockname(listener.fd.get(), reinterpret_cast<sockaddr*>(&addr),
                  &len) != 0) {
    return Errno("getsockname", errno);
  }
  listener.port = ntohs(addr.sin_port);
  return listener;
}

absl::StatusOr<LoopbackListener> ListenOnLoopbackNonBlocking(int backlog) {
  absl::StatusOr<LoopbackListener> listener = ListenOnLoopback(backlog);
  if (!listener.ok()) return listener.status();
  const int flags = fcntl(listener->fd.get(), F_GETFL);
  if (flags < 0 ||
      fcntl(listener->fd.get(), F_SETFL, flags | O_NONBLOCK) != 0) {
    return Errno("fcntl", errno);
  }
  return listener;
}

absl::StatusOr<uint16_t> FindFreeLoopbackPort() {
  ScopedFd fd(socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0));
  if (!fd.valid()) return Errno("socket", errno);
  sockaddr_in addr = LoopbackAddress(0);
  if (bind(fd.get(), reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
    return Errno("bind", errno);
  }
  socklen_t len = sizeof addr;
  if (getsockname(fd.get(), reinterpret_cast<sockaddr*>(&addr), &len) != 0) {
    return Errno("getsockname", errno);
  }
  return ntohs(addr.sin_port);
}

absl::StatusOr<ScopedFd> ConnectToLoopback(uint16_t port, int timeout_ms) {
  const int64_t deadline_ns = DeadlineAfterMs(timeout_ms);
  ScopedFd fd(socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0));
  if (!fd.valid()) return Errno("socket", errno);
  sockaddr_in addr = LoopbackAddress(port);
  if (connect(fd.get(), reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0 &&
      errno != EINPROGRESS) {
    return Errno("connect", errno);
  }
  if (absl::Status s = WaitFor(fd.get(), POLLOUT, deadline_ns); !s.ok()) {
    return s;
  }
  int error = 0;
  socklen_t len = sizeof error;
  getsockopt(fd.get(), SOL_SOCKET, SO_ERROR, &error, &len);
  if (error != 0) return Errno("connect", error);
  fcntl(fd.get(), F_SETFL, fcntl(fd.get(), F_GETFL) & ~O_NONBLOCK);
  return fd;
}

absl::StatusOr<ScopedFd> AcceptWithin(int listen_fd, int timeout_ms) {
  if (absl::Status s = WaitFor(listen_fd, POLLIN, DeadlineAfterMs(timeout_ms));
      !s.ok()) {
    return s;
  }
  ScopedFd fd(accept4(listen_fd, nullptr, nullptr, SOCK_CLOEXEC));
  if (!fd.valid()) return Errno("accept", errno);
  return fd;
}

absl::Status SendAll(int fd, std::string_view data, int timeout_ms) {
  const int64_t deadline_ns = DeadlineAfterMs(timeout_ms);
  while (!data.empty()) {
    if (absl::Status s = WaitFor(fd, POLLOUT, deadline_ns); !s.ok()) return s;
    const ssize_t n =
        send(fd, data.data(), data.size(), MSG_NOSIGNAL | MSG_DONTWAIT);
    if (n > 0) {
      data.remove_prefix(static_cast<size_t>(n));
    } else if (n < 0 && errno != EINTR && errno != EAGAIN) {
      return Errno("send", errno);
    }
  }
  return absl::OkStatus();
}

absl::StatusOr<std::string> ReceiveExactly(int fd, size_t n, int timeout_ms) {
  const int64_t deadline_ns = DeadlineAfterMs(timeout_ms);
  std::string out(n, '\0');
  size_t got = 0;
  while (got < n) {
    if (absl::Status s = WaitFor(fd, POLLIN, deadline_ns); !s.ok()) {
      return absl::Status(s.code(), absl::StrCat(s.message(), " after ", got,
                                                 " of ", n, " bytes"));
    }
    const ssize_t r = recv(fd, out.data() + got, n - got, MSG_DONTWAIT);
    if (r > 0) {
      got += static_cast<size_t>(r);
    } else if (r == 0) {
      return absl::OutOfRangeError(
          absl::StrCat("peer closed after ", got, " of ", n, " bytes"));
    } else if (errno != EINTR && errno != EAGAIN) {
      return Errno("recv", errno);
    }
  }
  return out;
}

void CloseWithReset(ScopedFd& fd) {
  if (!fd.valid()) return;
  const linger hard{.l_onoff = 1, .l_linger = 0};
  setsockopt(fd.get(), SOL_SOCKET, SO_LINGER, &hard, sizeof hard);
  fd.Reset();
}

}  // namespace tcpkali::testing
