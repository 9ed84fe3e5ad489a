// CountingSink: a TCP sink on 127.0.0.1 that is not tcpkali, to check what
// tcpkali really put on the wire. It accepts every connection, reads and
// discards, and counts the bytes of each connection together with the
// kernel's receive timestamps of its first and last read (SO_TIMESTAMPNS:
// when the data arrived, not when this thread got round to reading it, so
// rates measured from them do not depend on scheduling).
//
// The sink runs on its own thread (epoll) from Start() until it is
// destroyed. A test waits for the connections to end with WaitForClosed()
// before it reads the totals, so nothing still in a socket buffer is
// missed.
//
// Example:
//   absl::StatusOr<std::unique_ptr<CountingSink>> sink = CountingSink::Start();
//   ... run tcpkali -c 10 ... 127.0.0.1:(*sink)->port() ...
//   REQUIRE((*sink)->WaitForClosed(10, 10000));
//   CHECK((*sink)->TotalBytes() == bytes_tcpkali_sent);
#ifndef TCPKALI_TESTING_PEERS_COUNTING_SINK_H_
#define TCPKALI_TESTING_PEERS_COUNTING_SINK_H_

#include <condition_variable>
#include <cstdint>
#include <memory>
#include <mutex>
#include <vector>

#include "absl/status/statusor.h"
#include "testing/peers/loopback.h"
#include "testing/peers/peer_thread.h"

namespace tcpkali::testing {

// What the sink saw on one connection.
struct SinkConnection {
  uint64_t bytes = 0;             // everything read
  uint64_t first_read_bytes = 0;  // the bytes of the first read
  // Kernel receive timestamps (CLOCK_REALTIME, ns) of the data returned by
  // the first and by the last read; 0 before the first read.
  int64_t first_arrival_ns = 0;
  int64_t last_arrival_ns = 0;
  bool closed = false;  // the peer closed (FIN or RST)
};

// Owned by one test thread; its methods may be called from that thread
// while the sink's own thread runs.
class CountingSink {
 public:
  // Listens on 127.0.0.1 with a kernel-chosen port and starts the thread.
  // Fails with Internal when a socket, epoll or eventfd call fails.
  [[nodiscard]] static absl::StatusOr<std::unique_ptr<CountingSink>> Start();

  // Stops the thread and closes every socket.
  ~CountingSink();
  CountingSink(const CountingSink&) = delete;
  CountingSink& operator=(const CountingSink&) = delete;

  uint16_t port() const { return port_; }

  // Waits until at least `n` connections have been closed by their peers
  // and read to the end. False when timeout_ms pass first.
  [[nodiscard]] bool WaitForClosed(uint64_t n, int timeout_ms);

  // Totals so far.
  uint64_t TotalBytes() const;
  uint64_t Accepted() const;
  uint64_t Closed() const;
  // Every connection accepted so far, in the order accepted.
  std::vector<SinkConnection> Connections() const;

 private:
  CountingSink() = default;
  void Run();
  void AcceptAll();
  // Reads what `index` has; marks it closed on EOF or error.
  void Drain(uint32_t index);

  ScopedFd listen_fd_;
  ScopedFd epoll_fd_;
  uint16_t port_ = 0;
  PeerThread thread_;
  std::vector<char> buffer_;   // one read, reused; sink thread only
  std::vector<ScopedFd> fds_;  // per connection; sink thread only

  mutable std::mutex mu_;
  std::condition_variable closed_cv_;
  std::vector<SinkConnection> connections_;  // guarded by mu_
  uint64_t total_bytes_ = 0;                 // guarded by mu_
  uint64_t closed_ = 0;                      // guarded by mu_
};

}  // namespace tcpkali::testing

#endif  // TCPKALI_TESTING_PEERS_COUNTING_SINK_H_
