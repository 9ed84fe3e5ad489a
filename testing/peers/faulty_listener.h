// FaultyListener: a listener on 127.0.0.1 that misbehaves the way real
// servers do, and counts exactly what it read, so that a test can hold the
// client's report against what crossed the wire:
//
// - kCloseAfterBytes: reads exactly `close_after_bytes` from each of the
//   first `close_first` connections and closes it (with data still
//   arriving, so the kernel answers with a reset); later connections are
//   read to their end.
// - kHalfClose: shuts its write side down as soon as it accepts (the client
//   sees end-of-stream) and goes on reading to the end.
// - kNeverRead: accepts and reads nothing, so the client's sends stall on a
//   zero window, until StartReading(); from then on reads to the end.
//
// It runs on its own thread (epoll) from Start() until it is destroyed.
//
// Example:
//   absl::StatusOr<std::unique_ptr<FaultyListener>> peer =
//       FaultyListener::Start({.behavior = PeerBehavior::kNeverRead});
//   ... run tcpkali -c 2 127.0.0.1:(*peer)->port() to its end ...
//   (*peer)->StartReading();
//   REQUIRE((*peer)->WaitForEnded(2, 10000));
//   CHECK((*peer)->TotalBytes() == bytes_tcpkali_sent);
#ifndef TCPKALI_TESTING_PEERS_FAULTY_LISTENER_H_
#define TCPKALI_TESTING_PEERS_FAULTY_LISTENER_H_

#include <condition_variable>
#include <cstdint>
#include <memory>
#include <mutex>
#include <vector>

#include "absl/status/statusor.h"
#include "testing/peers/loopback.h"
#include "testing/peers/peer_thread.h"

namespace tcpkali::testing {

enum class PeerBehavior { kCloseAfterBytes, kHalfClose, kNeverRead };

struct FaultyListenerOptions {
  PeerBehavior behavior = PeerBehavior::kHalfClose;
  uint64_t close_after_bytes = 0;  // kCloseAfterBytes
  uint64_t close_first = 0;        // kCloseAfterBytes: connections it closes
};

// What the listener saw on one connection.
struct PeerConnection {
  uint64_t bytes = 0;         // everything read
  bool closed_by_us = false;  // kCloseAfterBytes closed it
  bool ended = false;         // read to its end (FIN or reset), or closed_by_us
  bool reset = false;         // the client reset it
};

// Owned by one test thread; its methods may be called from that thread
// while the listener's own thread runs.
class FaultyListener {
 public:
  // Listens on 127.0.0.1 with a kernel-chosen port and starts the thread.
  // Fails with Internal when a socket, epoll or eventfd call fails.
  [[nodiscard]] static absl::StatusOr<std::unique_ptr<FaultyListener>> Start(
      const FaultyListenerOptions& options);

  // Stops the thread and closes every socket.
  ~FaultyListener();
  FaultyListener(const FaultyListener&) = delete;
  FaultyListener& operator=(const FaultyListener&) = delete;

  uint16_t port() const { return port_; }

  // kNeverRead: start reading every connection, and those accepted later.
  void StartReading();

  // Waits until at least `n` connections have ended. False when timeout_ms
  // pass first.
  [[nodiscard]] bool WaitForEnded(uint64_t n, int timeout_ms);

  // Totals so far.
  uint64_t TotalBytes() const;
  // Every connection accepted so far, in the order accepted.
  std::vector<PeerConnection> Connections() const;

 private:
  explicit FaultyListener(const FaultyListenerOptions& options)
      : options_(options) {}
  void Run();
  void AcceptAll();
  // Reads what `index` has, as its behaviour allows.
  void Drain(uint32_t index);
  void Watch(uint32_t index);
  void End(uint32_t index, bool closed_by_us, bool reset);

  const FaultyListenerOptions options_;
  ScopedFd listen_fd_;
  ScopedFd epoll_fd_;
  ScopedFd start_fd_;  // eventfd: StartReading() writes it
  uint16_t port_ = 0;
  PeerThread thread_;
  bool reading_ = false;       // listener thread only
  std::vector<char> buffer_;   // one read, reused; listener thread only
  std::vector<ScopedFd> fds_;  // per connection; listener thread only

  mutable std::mutex mu_;
  std::condition_variable ended_cv_;
  std::vector<PeerConnection> connections_;  // guarded by mu_
  uint64_t total_bytes_ = 0;                 // guarded by mu_
  uint64_t ended_ = 0;                       // guarded by mu_
};

}  // namespace tcpkali::testing

#endif  // TCPKALI_TESTING_PEERS_FAULTY_LISTENER_H_
