// Loopback sockets for end-to-end tests: a listener on 127.0.0.1 with a
// port the kernel chooses, a free port for a self-connect run, and bounded
// blocking helpers (accept, connect, send, receive) that give up after a
// timeout instead of hanging a test.
//
// Every wait is a poll() with a deadline on the monotonic clock; nothing
// here sleeps.
//
// Example:
//   absl::StatusOr<LoopbackListener> listener = ListenOnLoopback(16);
//   ... start tcpkali against 127.0.0.1:listener->port ...
//   absl::StatusOr<ScopedFd> conn = AcceptWithin(listener->fd.get(), 5000);
//   REQUIRE(SendAll(conn->get(), "hello", 5000).ok());
#ifndef TCPKALI_TESTING_PEERS_LOOPBACK_H_
#define TCPKALI_TESTING_PEERS_LOOPBACK_H_

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "absl/status/status.h"
#include "absl/status/statusor.h"

namespace tcpkali::testing {

// Owns one file descriptor and closes it when destroyed. Move-only; any
// thread, one at a time.
class ScopedFd {
 public:
  ScopedFd() = default;
  explicit ScopedFd(int fd) : fd_(fd) {}
  ~ScopedFd() { Reset(); }
  ScopedFd(ScopedFd&& other) noexcept : fd_(other.Release()) {}
  ScopedFd& operator=(ScopedFd&& other) noexcept;
  ScopedFd(const ScopedFd&) = delete;
  ScopedFd& operator=(const ScopedFd&) = delete;

  int get() const { return fd_; }
  bool valid() const { return fd_ >= 0; }
  // Gives up ownership without closing.
  int Release();
  // Closes the descriptor now (if any).
  void Reset();

 private:
  int fd_ = -1;
};

struct LoopbackListener {
  ScopedFd fd;        // listening, close-on-exec
  uint16_t port = 0;  // chosen by the kernel
};

// Listens on 127.0.0.1, port 0, with `backlog`, on a blocking socket.
// Fails with Internal when a socket call fails.
[[nodiscard]] absl::StatusOr<LoopbackListener> ListenOnLoopback(int backlog);

// ListenOnLoopback() on a non-blocking socket: for a peer's thread, which
// accepts until the queue is empty (EAGAIN). Fails as ListenOnLoopback()
// does.
[[nodiscard]] absl::StatusOr<LoopbackListener> ListenOnLoopbackNonBlocking(
    int backlog);

// A 127.0.0.1 port that was free a moment ago: bound to port 0, then
// released. Another process may take it before the caller does, so callers
// retry with a new port when their listen fails (tcpkali exit 69).
[[nodiscard]] absl::StatusOr<uint16_t> FindFreeLoopbackPort();

// Connects to 127.0.0.1:port, waiting at most timeout_ms for the handshake.
// Returns a blocking socket. Fails with Unavailable when the connection is
// refused or reset, DeadlineExceeded when it does not complete in time.
[[nodiscard]] absl::StatusOr<ScopedFd> ConnectToLoopback(uint16_t port,
                                                         int timeout_ms);

// Accepts one connection on `listen_fd`, waiting at most timeout_ms.
// Returns a blocking socket, or DeadlineExceeded.
[[nodiscard]] absl::StatusOr<ScopedFd> AcceptWithin(int listen_fd,
                                                    int timeout_ms);

// Writes all of `data` to `fd`, waiting at most timeout_ms in total.
// Fails with Unavailable when the peer closed or reset, DeadlineExceeded on
// time-out.
[[nodiscard]] absl::Status SendAll(int fd, std::string_view data,
                                   int timeout_ms);

// Reads exactly `n` bytes from `fd`, waiting at most timeout_ms in total.
// Fails with OutOfRange (message holding the count read so far) when the
// peer closes first, Unavailable on a reset, DeadlineExceeded on time-out.
[[nodiscard]] absl::StatusOr<std::string> ReceiveExactly(int fd, size_t n,
                                                         int timeout_ms);

// Closes `fd` with SO_LINGER 0, so that the peer gets a RST instead of a
// FIN.
void CloseWithReset(ScopedFd& fd);

// A CLOCK_MONOTONIC reading in nanoseconds.
int64_t MonotonicNowNs();

// Internal, "<what>: <strerror(errno)>": the status of the system call
// `what` that just failed.
absl::Status ErrnoError(std::string_view what);

}  // namespace tcpkali::testing

#endif  // TCPKALI_TESTING_PEERS_LOOPBACK_H_
