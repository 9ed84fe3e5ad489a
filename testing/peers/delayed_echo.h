// DelayedEcho: an echo server on 127.0.0.1 that is not tcpkali and that
// answers late on purpose, so that a test knows the latency tcpkali should
// measure.
//
// Every chunk read from a connection goes back on that connection, in
// order, `delay_ns` after it arrived (the kernel's receive timestamp, so
// that this server's own lateness in reading does not add to the delay),
// and without Nagle's algorithm holding it back. With a knee, the delay
// depends on the load: while all connections together have sent more than
// `knee_bytes_per_s` over the last 250 ms, a chunk waits
// `over_knee_delay_ns` instead -- a server whose latency jumps when it is
// offered more than it can take, and recovers as soon as the load drops
// (no backlog carries over, so a rate search can probe it step by step).
//
// The server runs on its own thread (epoll, with a timerfd armed at the
// exact next release) from Start() until it is destroyed.
//
// Example:
//   absl::StatusOr<std::unique_ptr<DelayedEcho>> echo =
//       DelayedEcho::Start({.delay_ns = 20'000'000});
//   ... run tcpkali --latency-marker ... 127.0.0.1:(*echo)->port() ...
//   CHECK((*echo)->BytesEchoed() == (*echo)->BytesReceived());
#ifndef TCPKALI_TESTING_PEERS_DELAYED_ECHO_H_
#define TCPKALI_TESTING_PEERS_DELAYED_ECHO_H_

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"
#include "testing/peers/loopback.h"
#include "testing/peers/peer_thread.h"

namespace tcpkali::testing {

// Owned by one test thread; the counters may be read from it while the
// server's own thread runs.
class DelayedEcho {
 public:
  struct Options {
    int64_t delay_ns = 0;  // from a chunk's arrival to its echo
    // Above this load (all connections), chunks wait over_knee_delay_ns
    // instead; 0: no knee.
    uint64_t knee_bytes_per_s = 0;
    int64_t over_knee_delay_ns = 0;
  };

  // Listens on 127.0.0.1 with a kernel-chosen port and starts the thread.
  // Fails with InvalidArgument for a negative delay, and with Internal when
  // a socket, epoll, timerfd or eventfd call fails.
  [[nodiscard]] static absl::StatusOr<std::unique_ptr<DelayedEcho>> Start(
      const Options& options);

  // Stops the thread and closes every socket.
  ~DelayedEcho();
  DelayedEcho(const DelayedEcho&) = delete;
  DelayedEcho& operator=(const DelayedEcho&) = delete;

  uint16_t port() const { return port_; }

  // Totals so far, all connections.
  uint64_t Accepted() const {
    return accepted_.load(std::memory_order_relaxed);
  }
  uint64_t BytesReceived() const {
    return bytes_received_.load(std::memory_order_relaxed);
  }
  // Counted as they are handed to the kernel, so a client that has
  // received an echo finds it counted.
  uint64_t BytesEchoed() const {
    return bytes_echoed_.load(std::memory_order_relaxed);
  }
  // Chunks so far, and how many of them this server echoed more than
  // kLateNs after their release time: its own lateness (a starved thread),
  // which a test can tell apart from the latency it asked for.
  uint64_t ChunksEchoed() const {
    return chunks_echoed_.load(std::memory_order_relaxed);
  }
  uint64_t LateChunks() const {
    return late_chunks_.load(std::memory_order_relaxed);
  }
  static constexpr int64_t kLateNs = 1'000'000;

 private:
  // One read's bytes, waiting for their release time.
  struct Chunk {
    size_t bytes_left = 0;
    int64_t release_ns = 0;
    bool started = false;  // some of it has been sent
  };
  // Server thread only.
  struct Conn {
    ScopedFd fd;
    std::string data;  // read and not yet echoed, from `echoed`
    size_t echoed = 0;
    std::deque<Chunk> chunks;
    bool blocked = false;  // the socket buffer is full: wait for EPOLLOUT
    bool peer_closed = false;
  };

  explicit DelayedEcho(const Options& options) : options_(options) {}
  void Run();
  void AcceptAll();
  void Read(size_t index, int64_t now_ns);
  // The delay for a chunk of `bytes` read now, after counting it in the
  // load.
  int64_t DelayFor(size_t bytes, int64_t now_ns);
  // Echoes what is due on every connection; returns the next deadline
  // (monotonic ns), or 0 when nothing waits for time.
  int64_t FlushAll(int64_t now_ns);
  // Echoes what is due on one connection.
  void Flush(Conn& c, int64_t now_ns);
  void ArmTimer(int64_t deadline_ns);
  void CloseIfDone(size_t index);

  const Options options_;
  ScopedFd listen_fd_;
  ScopedFd epoll_fd_;
  ScopedFd timer_fd_;
  uint16_t port_ = 0;
  PeerThread thread_;

  // Server thread only.
  std::vector<Conn> conns_;
  // Reads of the last 250 ms, all connections: (time, bytes), oldest
  // first, and their sum.
  std::deque<std::pair<int64_t, size_t>> recent_reads_;
  uint64_t recent_bytes_ = 0;

  std::atomic<uint64_t> accepted_{0};
  std::atomic<uint64_t> bytes_received_{0};
  std::atomic<uint64_t> bytes_echoed_{0};
  std::atomic<uint64_t> chunks_echoed_{0};
  std::atomic<uint64_t> late_chunks_{0};
};

}  // namespace tcpkali::testing

#endif  // TCPKALI_TESTING_PEERS_DELAYED_ECHO_H_
