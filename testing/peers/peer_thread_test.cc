#include "testing/peers/peer_thread.h"

#include <doctest/doctest.h>
#include <fcntl.h>
#include <poll.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <string>

#include "absl/status/status.h"

namespace tcpkali::testing {
namespace {

bool Readable(int fd) {
  pollfd p{fd, POLLIN, 0};
  return poll(&p, 1, 0) == 1 && (p.revents & POLLIN) != 0;
}

TEST_CASE("the thread runs until Stop(), which waits for it") {
  PeerThread thread;
  REQUIRE(thread.Init().ok());
  REQUIRE(thread.stop_fd() >= 0);
  CHECK_FALSE(Readable(thread.stop_fd()));
  std::atomic<bool> started{false};
  std::atomic<bool> returned{false};
  thread.Start([&] {
    started = true;
    pollfd p{thread.stop_fd(), POLLIN, 0};
    while (poll(&p, 1, -1) < 0 && errno == EINTR) {
    }
    returned = true;
  });
  thread.Stop();
  CHECK(started);
  CHECK(returned);
  CHECK(Readable(thread.stop_fd()));
  thread.Stop();  // again: nothing left to do
}

TEST_CASE("Stop() without a thread does nothing; the destructor stops one") {
  PeerThread idle;
  REQUIRE(idle.Init().ok());
  idle.Stop();
  CHECK_FALSE(Readable(idle.stop_fd()));

  std::atomic<bool> returned{false};
  {
    PeerThread running;
    REQUIRE(running.Init().ok());
    running.Start([&] {
      pollfd p{running.stop_fd(), POLLIN, 0};
      while (poll(&p, 1, -1) < 0 && errno == EINTR) {
      }
      returned = true;
    });
  }
  CHECK(returned);
}

TEST_CASE("EpollWatching reports each fd with its tag") {
  ScopedFd a(eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK));
  ScopedFd b(eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK));
  REQUIRE(a.valid());
  REQUIRE(b.valid());
  absl::StatusOr<ScopedFd> epoll_fd =
      EpollWatching({{a.get(), 7}, {b.get(), ~uint64_t{0}}});
  REQUIRE(epoll_fd.ok());
  epoll_event events[4];
  CHECK(epoll_wait(epoll_fd->get(), events, 4, 0) == 0);

  const uint64_t one = 1;
  REQUIRE(write(b.get(), &one, sizeof one) == sizeof one);
  REQUIRE(epoll_wait(epoll_fd->get(), events, 4, 0) == 1);
  CHECK(uint64_t{events[0].data.u64} == ~uint64_t{0});
  CHECK((events[0].events & EPOLLIN) != 0);

  uint64_t count = 0;
  REQUIRE(read(b.get(), &count, sizeof count) == sizeof count);
  REQUIRE(write(a.get(), &one, sizeof one) == sizeof one);
  REQUIRE(epoll_wait(epoll_fd->get(), events, 4, 0) == 1);
  CHECK(uint64_t{events[0].data.u64} == 7);
}

TEST_CASE("RunEpollLoop hands over events until the stop tag") {
  ScopedFd work(eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK));
  PeerThread thread;
  REQUIRE(work.valid());
  REQUIRE(thread.Init().ok());
  absl::StatusOr<ScopedFd> epoll_fd =
      EpollWatching({{work.get(), 1}, {thread.stop_fd(), 2}});
  REQUIRE(epoll_fd.ok());
  std::atomic<int> events{0};
  std::atomic<int> batches{0};
  std::atomic<bool> returned{false};
  thread.Start([&] {
    RunEpollLoop(
        epoll_fd->get(), 2,
        [&](const epoll_event& event) {
          uint64_t count = 0;
          if (event.data.u64 == 1) (void)!read(work.get(), &count, sizeof count);
          events += static_cast<int>(count);
        },
        [&] { ++batches; });
    returned = true;
  });
  const uint64_t three = 3;
  REQUIRE(write(work.get(), &three, sizeof three) == sizeof three);
  for (int i = 0; i < 1000 && batches == 0; ++i) usleep(1000);
  CHECK(events == 3);
  CHECK(batches >= 1);
  CHECK_FALSE(returned);
  thread.Stop();  // the stop tag ends the loop, so Stop() returns
  CHECK(returned);
}

TEST_CASE("EpollWatching fails with Internal on a bad fd") {
  const absl::StatusOr<ScopedFd> epoll_fd = EpollWatching({{-1, 1}});
  REQUIRE_FALSE(epoll_fd.ok());
  CHECK(epoll_fd.status().code() == absl::StatusCode::kInternal);
  CHECK(std::string(epoll_fd.status().message()).starts_with("epoll_ctl: "));
}

TEST_CASE("ListenOnLoopbackNonBlocking: accept() does not wait") {
  absl::StatusOr<LoopbackListener> listener = ListenOnLoopbackNonBlocking(4);
  REQUIRE(listener.ok());
  CHECK(listener->port != 0);
  CHECK((fcntl(listener->fd.get(), F_GETFL) & O_NONBLOCK) != 0);
  CHECK(accept4(listener->fd.get(), nullptr, nullptr, SOCK_CLOEXEC) < 0);
  CHECK(errno == EAGAIN);

  absl::StatusOr<ScopedFd> client = ConnectToLoopback(listener->port, 10'000);
  REQUIRE(client.ok());
  absl::StatusOr<ScopedFd> accepted = AcceptWithin(listener->fd.get(), 10'000);
  CHECK(accepted.ok());
}

TEST_CASE("ErrnoError names the call and errno") {
  errno = ENOENT;
  const absl::Status s = ErrnoError("open x");
  CHECK(s.code() == absl::StatusCode::kInternal);
  CHECK(s.message() == "open x: No such file or directory");
}

}  // namespace
}  // namespace tcpkali::testing
