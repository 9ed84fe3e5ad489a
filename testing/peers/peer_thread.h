// PeerThread: the background thread a peer of //testing/peers runs on, and
// the eventfd that tells it to stop.
//
// The thread watches stop_fd() beside its sockets (poll or epoll) and
// returns once it is readable. The peer calls Stop() first thing in its
// destructor, so that the thread is gone before the members it reads are
// destroyed.
//
// Example:
//   absl::StatusOr<std::unique_ptr<Echo>> Echo::Start() {
//     std::unique_ptr<Echo> echo(new Echo());
//     if (absl::Status s = echo->thread_.Init(); !s.ok()) return s;
//     ... listen ...
//     echo->thread_.Start([e = echo.get()] { e->Run(); });
//     return echo;
//   }
//   Echo::~Echo() { thread_.Stop(); }
//   void Echo::Run() {  // polls listen_fd_ and thread_.stop_fd()
//     ...
//   }
#ifndef TCPKALI_TESTING_PEERS_PEER_THREAD_H_
#define TCPKALI_TESTING_PEERS_PEER_THREAD_H_

#include <sys/epoll.h>

#include <cstdint>
#include <functional>
#include <initializer_list>
#include <thread>
#include <utility>

#include "absl/functional/function_ref.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "testing/peers/loopback.h"

namespace tcpkali::testing {

// Owned by one peer; all of it is called from the thread that owns the
// peer, except stop_fd(), which the peer's thread polls.
class PeerThread {
 public:
  PeerThread() = default;
  // Stops the thread, when the owner has not.
  ~PeerThread() { Stop(); }
  PeerThread(const PeerThread&) = delete;
  PeerThread& operator=(const PeerThread&) = delete;

  // Creates the stop eventfd (non-blocking, close-on-exec). Fails with
  // Internal when eventfd() fails.
  [[nodiscard]] absl::Status Init();

  // Readable once Stop() has been called.
  int stop_fd() const { return stop_fd_.get(); }

  // Runs `body` on a new thread; once, after Init().
  void Start(std::function<void()> body);

  // Makes stop_fd() readable and waits for the thread to return. Nothing
  // when no thread runs.
  void Stop();

 private:
  ScopedFd stop_fd_;
  std::thread thread_;
};

// A new epoll instance (close-on-exec) watching each fd of `watched` for
// EPOLLIN, its events tagged with the paired value. Fails with Internal
// when an epoll call fails.
[[nodiscard]] absl::StatusOr<ScopedFd> EpollWatching(
    std::initializer_list<std::pair<int, uint64_t>> watched);

// A peer thread's loop: waits on `epoll_fd` (again after EINTR) and hands
// each event to `on_event`, then calls `after_batch` once per wake-up, until
// the event tagged `stop_tag` (PeerThread::stop_fd()) arrives or epoll
// fails. Events after the stop in the same batch are dropped.
void RunEpollLoop(int epoll_fd, uint64_t stop_tag,
                  absl::FunctionRef<void(const epoll_event&)> on_event,
                  absl::FunctionRef<void()> after_batch = [] {});

}  // namespace tcpkali::testing

#endif  // TCPKALI_TESTING_PEERS_PEER_THREAD_H_
