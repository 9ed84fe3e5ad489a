// The worker's connection lifecycles against a fake ring and a fake clock:
// the connect steps it submits, how each way a connect ends is counted,
// reconnects, lifetimes, the wake-up read, the submission queue, and the
// drain and stop phases. The data path is in worker_io_test.cc, the
// listener in worker_listen_test.cc.
#include "engine/worker.h"

#include <doctest/doctest.h>
#include <liburing.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>

#include <cerrno>
#include <cstring>
#include <optional>
#include <vector>

#include "engine/tag.h"
#include "engine/uring_compat.h"
#include "testing/fake_ring.h"
#include "testing/worker_harness.h"

namespace tcpkali::engine {
namespace {

using testing::CountOp;
using testing::FakeRing;
using testing::WorkerHarness;

constexpr int64_t kMsNs = 1'000'000;
constexpr int64_t kSecondNs = 1'000'000'000;

bool SameAddress(uint64_t addr, const Endpoint& e) {
  return std::memcmp(reinterpret_cast<const void*>(addr), e.sockaddr_ptr(),
                     e.address_bytes) == 0;
}

// --- The connect steps ---------------------------------------------------

struct OptionSqe {
  int level;
  int name;
  int value;
};

void CheckSetsockopt(const io_uring_sqe& sqe, const OptionSqe& want) {
  CHECK(sqe.opcode == IORING_OP_URING_CMD);
  CHECK(FakeRing::TagOf(sqe).op == Op::kSetsockopt);
  CHECK(sqe.cmd_op == compat::kSocketOpSetsockopt);
  CHECK(sqe.fd == 0);
  CHECK(sqe.flags == (IOSQE_FIXED_FILE | IOSQE_CQE_SKIP_SUCCESS));
  CHECK(static_cast<uint32_t>(sqe.addr) == static_cast<uint32_t>(want.level));
  CHECK((sqe.addr >> 32) == static_cast<uint32_t>(want.name));
  CHECK(sqe.splice_fd_in == static_cast<int>(sizeof(int)));
  CHECK(*reinterpret_cast<const int*>(sqe.addr3) == want.value);
}

TEST_CASE("a connect is one submission: socket, options, bind, connect") {
  struct Case {
    const char* name;
    std::optional<bool> nagle;
    std::optional<uint64_t> rcvbuf_bytes;
    std::optional<uint64_t> sndbuf_bytes;
    bool source;
    std::vector<OptionSqe> options;  // after the socket (and the bind)
  };
  const Case cases[] = {
      {"no options", {}, {}, {}, false, {}},
      {"--nagle off --rcvbuf", false, 65536, {}, false,
       {{IPPROTO_TCP, TCP_NODELAY, 1}, {SOL_SOCKET, SO_RCVBUF, 65536}}},
      {"--nagle on --sndbuf", true, {}, 4096, false,
       {{IPPROTO_TCP, TCP_NODELAY, 0}, {SOL_SOCKET, SO_SNDBUF, 4096}}},
      {"--source-ip", {}, {}, {}, true, {}},
      {"--source-ip --nagle off", false, {}, {}, true,
       {{IPPROTO_TCP, TCP_NODELAY, 1}}},
  };
  for (const Case& c : cases) {
    // Poisoned SQEs: the kernel ring does not clear reused SQEs either.
    for (const bool poison : {false, true}) {
      CAPTURE(c.name);
      CAPTURE(poison);
      WorkerHarness h;
      h.config.nagle = c.nagle;
      h.config.rcvbuf_bytes = c.rcvbuf_bytes;
      h.config.sndbuf_bytes = c.sndbuf_bytes;
      h.plan.connect_timeout_ns = 2'500'000'000;
      if (c.source) h.plan.sources = {{testing::Ipv4Endpoint("127.0.0.2", 0)}};
      REQUIRE(h.Start({.poison_sqes = poison}).ok());
      CHECK(h.Step());

      // In order, unlinked: the kernel issues them in order and each
      // completes inline.
      const std::vector<io_uring_sqe> chain = h.NewSqes();
      const size_t binds = c.source ? 2 : 0;
      REQUIRE(chain.size() == 1 + binds + c.options.size() + 1);
      const uint32_t gen = h.slot(0).generation;
      for (size_t i = 0; i < chain.size(); ++i) {
        CAPTURE(i);
        CHECK(FakeRing::TagOf(chain[i]).slot == 0);
        CHECK(FakeRing::TagOf(chain[i]).generation == gen);
        CHECK((chain[i].flags & (IOSQE_IO_LINK | IOSQE_IO_HARDLINK)) == 0);
      }
      const io_uring_sqe& socket = chain[0];
      CHECK(socket.opcode == IORING_OP_SOCKET);
      CHECK(FakeRing::TagOf(socket).op == Op::kSocket);
      CHECK(FakeRing::DirectIndex(socket) == 0);  // the slot's table entry
      CHECK(socket.fd == AF_INET);
      CHECK(socket.flags == IOSQE_CQE_SKIP_SUCCESS);
      if (c.source) {
        CheckSetsockopt(chain[1], {SOL_IP, IP_BIND_ADDRESS_NO_PORT, 1});
        const io_uring_sqe& bind = chain[2];
        CHECK(bind.opcode == compat::kOpBind);
        CHECK(FakeRing::TagOf(bind).op == Op::kBind);
        CHECK(bind.fd == 0);
        CHECK(bind.flags == (IOSQE_FIXED_FILE | IOSQE_CQE_SKIP_SUCCESS));
        CHECK(SameAddress(bind.addr, h.plan.sources[0][0]));
        CHECK(bind.off == sizeof(sockaddr_in));
      }
      for (size_t i = 0; i < c.options.size(); ++i) {
        CheckSetsockopt(chain[1 + binds + i], c.options[i]);
      }
      const io_uring_sqe& connect = chain.back();
      CHECK(connect.opcode == IORING_OP_CONNECT);
      CHECK(FakeRing::TagOf(connect).op == Op::kConnect);
      CHECK(connect.fd == 0);
      CHECK(connect.flags == IOSQE_FIXED_FILE);
      CHECK(SameAddress(connect.addr, h.plan.endpoints[0]));
      CHECK(connect.off == sizeof(sockaddr_in));
      CHECK(h.counters().connect_attempts == 1);
      // --connect-timeout is the slot's timer: the worker sleeps until it.
      h.Step();
      CHECK(h.ring().last_wait_timeout_ns() == 2'500'000'000);
    }
  }
}

// A slot's timer at work: nothing is submitted until `deadline_ns` from
// now, then, at it, the cancel of the slot-0 operation `op` of generation
// `gen`, and nothing else. Returns that cancel.
io_uring_sqe CancelAtDeadline(WorkerHarness& h, int64_t deadline_ns, Op op,
                              uint32_t gen) {
  h.Advance(deadline_ns - kMsNs);
  h.Step();
  CHECK(h.NewSqes().empty());
  h.Advance(kMsNs);
  h.Step();
  const std::vector<io_uring_sqe> sqes = h.NewSqes();
  REQUIRE(sqes.size() == 1);
  CHECK(sqes[0].opcode == IORING_OP_ASYNC_CANCEL);
  CHECK(sqes[0].addr == Tag{op, 0, gen}.Pack());
  return sqes[0];
}

TEST_CASE("--connect-timeout cancels the connect, counted as a timeout") {
  WorkerHarness h;
  h.plan.connect_timeout_ns = 250 * kMsNs;
  REQUIRE(h.Start().ok());
  h.Step();
  const uint32_t gen = h.slot(0).generation;
  (void)h.NewSqes();
  (void)CancelAtDeadline(h, 250 * kMsNs, Op::kConnect, gen);
  CHECK(h.counters().ConnectFailures() == 0);  // until the connect says so
  REQUIRE(h.CompleteAndStep(Op::kConnect, 0, -ECANCELED));
  CHECK(h.counters().conn_failed_timeout == 1);
  CHECK(h.counters().ConnectFailures() == 1);
  const std::vector<io_uring_sqe> sqes = h.NewSqes();
  REQUIRE(sqes.size() == 1);
  CHECK(sqes[0].opcode == IORING_OP_CLOSE);
}

TEST_CASE("a connect that completes in time cancels its --connect-timeout") {
  WorkerHarness h;
  h.plan.connect_timeout_ns = 250 * kMsNs;
  REQUIRE(h.Start().ok());
  h.Step();
  REQUIRE(h.Establish(0));
  (void)h.NewSqes();
  h.Advance(kSecondNs);
  h.Step();
  CHECK(h.ring().FindAll(IORING_OP_ASYNC_CANCEL).empty());
  CHECK(h.slot(0).state == ConnState::kEstablished);
  CHECK(h.counters().ConnectFailures() == 0);
}

TEST_CASE("a worker's connect batches widen when its share of the rate is small") {
  CHECK(OpenerBatchNs(100'000) == 1'000'000);  // 100 per 1 ms batch
  CHECK(OpenerBatchNs(8'000) == 1'000'000);    // 8 per 1 ms batch
  CHECK(OpenerBatchNs(2'000) == 4'000'000);    // 8 per 4 ms batch
  CHECK(OpenerBatchNs(784) == 10'000'000);     // -c 1m -r 40k on 51 workers
  CHECK(OpenerBatchNs(10) == 10'000'000);      // never wider than 10 ms
  CHECK(OpenerBatchNs(0) == 1'000'000);
}

TEST_CASE("-c 3 opens every slot at once when the connect rate allows") {
  WorkerHarness h;
  h.plan.client_connections = 3;
  REQUIRE(h.Start().ok());
  CHECK(h.ring().ring_options().fixed_files >= 3);
  h.Step();
  const std::vector<io_uring_sqe> connects = h.ring().FindAll(IORING_OP_CONNECT);
  REQUIRE(connects.size() == 3);
  for (uint32_t slot = 0; slot < 3; ++slot) {
    CAPTURE(slot);
    CHECK(connects[slot].fd == static_cast<int>(slot));
    CHECK(FakeRing::TagOf(connects[slot]).slot == slot);
    CHECK(h.slot(slot).state == ConnState::kConnecting);
    CHECK(h.slot(slot).uid == slot + 1);
  }
  CHECK(h.counters().connect_attempts == 3);
}

TEST_CASE("a connect that succeeds arms a multishot receive and sends") {
  for (const bool messages : {false, true}) {
    CAPTURE(messages);
    WorkerHarness h;
    if (messages) REQUIRE(h.SetMessages({"0123456789"}).ok());
    REQUIRE(h.Start().ok());
    h.Step();
    const uint32_t gen = h.slot(0).generation;
    (void)h.NewSqes();
    REQUIRE(h.ring().CompleteLast(IORING_OP_CONNECT, 0));
    CHECK(h.Step());
    CHECK(h.slot(0).state == ConnState::kEstablished);
    CHECK(h.counters().connects_established == 1);
    CHECK(h.counters().ConnectFailures() == 0);

    const std::vector<io_uring_sqe> sqes = h.NewSqes();
    REQUIRE(CountOp(sqes, Op::kRecv) == 1);
    const io_uring_sqe recv = *h.ring().FindLast(IORING_OP_RECV);
    CHECK(recv.fd == 0);
    CHECK(recv.flags == (IOSQE_FIXED_FILE | IOSQE_BUFFER_SELECT));
    CHECK((recv.ioprio & IORING_RECV_MULTISHOT) != 0);
    CHECK(recv.buf_group == h.ring().buffer_group());
    CHECK(FakeRing::TagOf(recv).generation == gen);
    CHECK(CountOp(sqes, Op::kSend) == (messages ? 1u : 0u));
    if (messages) {
      const io_uring_sqe send = *h.ring().FindLast(IORING_OP_SEND);
      CHECK(send.fd == 0);
      CHECK(send.flags == IOSQE_FIXED_FILE);
      CHECK(send.msg_flags == MSG_NOSIGNAL);
      CHECK(send.addr == reinterpret_cast<uint64_t>(h.plan.client_stream->data()));
      CHECK(send.len == h.plan.client_stream->size());
      CHECK(FakeRing::TagOf(send).generation == gen);
    }
  }
}

TEST_CASE("a failed connect is counted once, by cause, and closes the slot") {
  struct Case {
    int connect_res;
    uint64_t stats::CounterValues::*counter;
  };
  using V = stats::CounterValues;
  const Case cases[] = {
      {-ECONNREFUSED, &V::conn_failed_refused},
      {-ECANCELED, &V::conn_failed_timeout},  // cancelled by --connect-timeout
      {-ETIMEDOUT, &V::conn_failed_timeout},
      {-ECONNRESET, &V::conn_failed_reset},
      {-EADDRNOTAVAIL, &V::conn_failed_no_address},
      {-ENETUNREACH, &V::conn_failed_other},
  };
  for (const Case& c : cases) {
    CAPTURE(c.connect_res);
    WorkerHarness h;
    REQUIRE(h.Start().ok());
    h.Step();
    const uint32_t gen = h.slot(0).generation;
    (void)h.NewSqes();
    REQUIRE(h.ring().CompleteLast(IORING_OP_CONNECT, c.connect_res));
    h.Step();
    const stats::CounterValues counters = h.counters();
    CHECK(counters.*c.counter == 1);
    CHECK(counters.ConnectFailures() == 1);
    CHECK(counters.connects_established == 0);
    // Running out of ports is explained once per run, on stderr.
    CHECK(h.control.no_address_explained.load() ==
          (c.counter == &V::conn_failed_no_address));
    const std::vector<io_uring_sqe> sqes = h.NewSqes();
    REQUIRE(sqes.size() == 1);
    CHECK(sqes[0].opcode == IORING_OP_CLOSE);
    CHECK(FakeRing::DirectIndex(sqes[0]) == 0);
    CHECK(FakeRing::TagOf(sqes[0]).generation == gen);
    CHECK(h.slot(0).state == ConnState::kClosed);
  }
}

TEST_CASE("a failed step before the connect fails it, counted once by its cause") {
  // Only a failing step posts (CQE_SKIP_SUCCESS). Without a socket the
  // steps after it fail with -EBADF; after a failed bind or option the
  // connect may still succeed, from the wrong address or without the
  // option: the connection is failed and closed all the same.
  struct Case {
    const char* name;
    Op failing;
    int res;
    bool socket_made;  // the steps after it find a socket
    uint64_t stats::CounterValues::*counter;
  };
  using V = stats::CounterValues;
  const Case cases[] = {
      {"socket", Op::kSocket, -EMFILE, false, &V::conn_failed_other},
      {"option", Op::kSetsockopt, -EINVAL, true, &V::conn_failed_other},
      {"bind", Op::kBind, -EADDRNOTAVAIL, true, &V::conn_failed_no_address},
  };
  for (const Case& c : cases) {
    CAPTURE(c.name);
    WorkerHarness h;
    h.config.nagle = false;
    h.config.rcvbuf_bytes = 8192;
    h.plan.sources = {{testing::Ipv4Endpoint("127.0.0.2", 0)}};
    REQUIRE(h.Start().ok());
    h.Step();
    const std::vector<io_uring_sqe> steps = h.NewSqes();
    bool failed = false;
    for (const io_uring_sqe& sqe : steps) {
      const Op op = FakeRing::TagOf(sqe).op;
      if (op == c.failing && !failed) {
        h.ring().Complete(sqe.user_data, c.res);
        failed = true;
      } else if (op == Op::kConnect) {
        h.ring().Complete(sqe.user_data, c.socket_made ? 0 : -EBADF);
      } else if (failed && !c.socket_made) {
        h.ring().Complete(sqe.user_data, -EBADF);
      }
    }
    REQUIRE(failed);
    h.Step();
    CHECK(h.counters().*c.counter == 1);
    CHECK(h.counters().ConnectFailures() == 1);
    CHECK(h.counters().connects_established == 0);
    CHECK(h.ring().FindAll(IORING_OP_RECV).empty());
    CHECK(h.ring().FindAll(IORING_OP_CLOSE).size() == 1);
  }
}

TEST_CASE("a closed slot reconnects with a new generation when the pacer allows") {
  WorkerHarness h;
  h.plan.connect_rate_per_s = 1;  // the first connect is due at once
  REQUIRE(h.Start().ok());
  h.Step();
  const uint32_t first_gen = h.slot(0).generation;
  REQUIRE(h.ring().CompleteLast(IORING_OP_CONNECT, -ECONNREFUSED));
  h.Step();
  REQUIRE(h.CompleteAndStep(Op::kClose, 0, 0));
  CHECK(h.slot(0).state == ConnState::kFree);
  CHECK(h.counters().out_closed == 0);  // it was never established
  CHECK(h.ring().FindAll(IORING_OP_SOCKET).size() == 1);

  // Not yet: the next connect is due a second after the first; connects
  // open in batches (10 ms wide at this rate), so the worker sleeps until
  // the batch that holds it.
  const int64_t batch_ns = OpenerBatchNs(1);
  REQUIRE(batch_ns == 10 * kMsNs);
  h.Step();
  CHECK(h.ring().last_wait_timeout_ns() == kSecondNs - batch_ns);
  h.Advance(kSecondNs - batch_ns - kMsNs);
  h.Step();
  CHECK(h.ring().FindAll(IORING_OP_SOCKET).size() == 1);
  h.Advance(kMsNs);
  h.Step();
  REQUIRE(h.ring().FindAll(IORING_OP_SOCKET).size() == 2);
  const io_uring_sqe socket = *h.ring().FindLast(IORING_OP_SOCKET);
  CHECK(FakeRing::TagOf(socket).slot == 0);
  CHECK(FakeRing::TagOf(socket).generation == h.slot(0).generation);
  CHECK(h.slot(0).generation != first_gen);
  CHECK(h.counters().connect_attempts == 2);
  CHECK(h.counters().conn_failed_refused == 1);
}

TEST_CASE("--channel-lifetime: the receive is cancelled, then close, then a reconnect") {
  WorkerHarness h;
  h.plan.channel_lifetime_ns = kSecondNs;
  REQUIRE(h.Start().ok());
  h.Step();
  REQUIRE(h.Establish(0));
  const uint32_t gen = h.slot(0).generation;
  (void)h.NewSqes();

  // The pending receive is cancelled by its tag (found by hash, inline).
  const io_uring_sqe cancel = CancelAtDeadline(h, kSecondNs, Op::kRecv, gen);
  CHECK((cancel.flags & IOSQE_CQE_SKIP_SUCCESS) != 0);
  CHECK(h.slot(0).state == ConnState::kClosing);

  // The close waits for the receive to come back.
  CHECK(h.ring().FindAll(IORING_OP_CLOSE).empty());
  REQUIRE(h.CompleteAndStep(Op::kRecv, 0, -ECANCELED));
  const std::vector<io_uring_sqe> sqes = h.NewSqes();
  REQUIRE(sqes.size() == 1);
  CHECK(sqes[0].opcode == IORING_OP_CLOSE);
  CHECK(FakeRing::TagOf(sqes[0]).generation == gen);
  CHECK(h.counters().out_closed == 0);

  REQUIRE(h.CompleteAndStep(Op::kClose, 0, 0));
  CHECK(h.counters().out_closed == 1);
  h.Step();
  const io_uring_sqe socket = *h.ring().FindLast(IORING_OP_SOCKET);
  CHECK(FakeRing::TagOf(socket).generation == h.slot(0).generation);
  CHECK(h.slot(0).generation != gen);
  CHECK(h.counters().connect_attempts == 2);
}

TEST_CASE("the wake-up read is armed at setup and re-armed after each wake") {
  WorkerHarness h;
  REQUIRE(h.Start().ok());
  const std::optional<io_uring_sqe> read = h.ring().FindLast(IORING_OP_READ);
  REQUIRE(read.has_value());
  CHECK(FakeRing::TagOf(*read).op == Op::kWake);
  CHECK(read->len == sizeof(uint64_t));
  h.ring().Complete(read->user_data, sizeof(uint64_t));
  h.Step();
  CHECK(h.ring().FindAll(IORING_OP_READ).size() == 2);
}

// --- Drain and stop --------------------------------------------------------

TEST_CASE("drain: the in-flight send finishes and no new one starts") {
  WorkerHarness h;
  REQUIRE(h.SetMessages({"0123456789"}).ok());
  REQUIRE(h.Start().ok());
  h.Step();
  REQUIRE(h.Establish(0));
  const io_uring_sqe send = *h.ring().FindLast(IORING_OP_SEND);
  (void)h.NewSqes();

  h.control.phase = Phase::kDrain;
  CHECK(h.Step());
  CHECK(h.NewSqes().empty());  // no cancel: the send may finish

  h.ring().Complete(send.user_data, static_cast<int>(send.len));
  CHECK_FALSE(h.Step());  // nothing left in flight: the worker stops
  // No new send; and no FIN for a sink elsewhere: it can wait for the exit.
  CHECK(h.NewSqes().empty());
  CHECK(h.counters().bytes_sent == send.len);
  CHECK(h.counters().msgs_sent == send.len / 10);
}

TEST_CASE("drain with nothing in flight stops at once") {
  WorkerHarness h;
  REQUIRE(h.Start().ok());
  h.Step();
  REQUIRE(h.Establish(0));
  (void)h.NewSqes();
  h.control.phase = Phase::kDrain;
  CHECK_FALSE(h.Step());
  CHECK(h.NewSqes().empty());
}

TEST_CASE("stop cancels in-flight sends by tag and ends when they are back") {
  WorkerHarness h;
  REQUIRE(h.SetMessages({"0123456789"}).ok());
  REQUIRE(h.Start().ok());
  h.Step();
  REQUIRE(h.Establish(0));
  const io_uring_sqe send = *h.ring().FindLast(IORING_OP_SEND);

  h.control.phase = Phase::kStop;
  CHECK(h.Step());
  const std::optional<io_uring_sqe> cancel = h.ring().FindLast(IORING_OP_ASYNC_CANCEL);
  REQUIRE(cancel.has_value());
  CHECK(cancel->addr == send.user_data);  // that send, not "all"
  CHECK(FakeRing::TagOf(*cancel).op == Op::kCancel);

  SUBCASE("the cancelled send completes") {
    h.ring().Complete(cancel->user_data, 0);
    h.ring().Complete(send.user_data, -ECANCELED);
    CHECK_FALSE(h.Step());
  }
  SUBCASE("a send that never completes holds the stop for 1 s at most") {
    h.Advance(kSecondNs - kMsNs);
    CHECK(h.Step());
    h.Advance(kMsNs);
    CHECK_FALSE(h.Step());
  }
}

// --- Submission queue ------------------------------------------------------

TEST_CASE("a full submission queue is flushed, counted and published") {
  WorkerHarness h;
  h.plan.client_connections = 40;
  REQUIRE(h.Start({.sq_entries = 16}).ok());
  h.Step();
  h.Step();  // the health counters are published after each batch
  CHECK(h.ring().sq_full_retries() > 0);
  CHECK(h.counters().sq_full_retries == h.ring().sq_full_retries());
  CHECK(h.ring().FindAll(IORING_OP_CONNECT).size() == 40);
  h.ring().set_cq_overflows(5);
  h.Step();
  CHECK(h.counters().cq_overflows == 5);
}

// Ramp-up with -c 2048 and a high --connect-rate: 1024 connects per Step,
// then, in the Step that sees them established, 1024 receives and 1024
// sends ahead of the next 1024 chains of 3: 5120 SQEs for a 4096-entry
// submission queue.
void RampUp(WorkerHarness& h) {
  h.plan.client_connections = 2048;
  h.plan.connect_rate_per_s = 1e9;
  REQUIRE(h.SetMessages({"0123456789"}).ok());
  REQUIRE(h.Start().ok());
  REQUIRE(h.ring().sq_capacity() == 4096);  // the worker's own ring size
  h.Step();
  REQUIRE(h.ring().FindAll(IORING_OP_CONNECT).size() == 1024);
  for (uint32_t slot = 0; slot < 1024; ++slot) {
    REQUIRE(h.ring().CompleteLastTagged(Op::kConnect, slot, 0));
  }
  h.Step();
  (void)h.ring().submitted();
}

TEST_CASE("ramp-up opens at most 1024 connections per Step") {
  WorkerHarness h;
  RampUp(h);
  CHECK(h.counters().connects_established == 1024);
  CHECK(h.counters().connect_attempts == 2048);
  CHECK(h.ring().FindAll(IORING_OP_CONNECT).size() == 2048);
  CHECK(h.ring().FindAll(IORING_OP_SEND).size() == 1024);
  CHECK(h.ring().sq_full_retries() > 0);
}

}  // namespace
}  // namespace tcpkali::engine
