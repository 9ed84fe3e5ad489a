// The worker's data path against a fake ring and a fake clock: receiving
// into provided buffers, stale completions, short sends, message pacing
// and --delay-send. The connection lifecycles are in worker_test.cc.
#include <doctest/doctest.h>
#include <liburing.h>
#include <sys/socket.h>

#include <cerrno>
#include <cstdint>
#include <vector>

#include "engine/pacer.h"
#include "engine/tag.h"
#include "engine/worker.h"
#include "testing/fake_ring.h"
#include "testing/worker_harness.h"

namespace tcpkali::engine {
namespace {

using testing::FakeRing;
using testing::WorkerHarness;

constexpr int64_t kMsNs = 1'000'000;
constexpr int64_t kSecondNs = 1'000'000'000;

// Starts the harness and establishes slot 0 (whose first send, if any, is
// among the next NewSqes()).
void StartEstablished(WorkerHarness& h) {
  REQUIRE(h.Start().ok());
  h.Step();
  REQUIRE(h.Establish(0));
  REQUIRE(h.slot(0).state == ConnState::kEstablished);
}

// --- Receiving -------------------------------------------------------------

// The harness's ring holds buffers 0..7 in entries 0..7; the worker writes
// each buffer it returns to entries 8, 9, ... Handing it buffers from the
// top down makes every return visible.
TEST_CASE("received bytes are counted and each buffer goes back") {
  WorkerHarness h;
  StartEstablished(h);
  const io_uring_sqe recv = *h.ring().FindLast(IORING_OP_RECV);
  (void)h.NewSqes();
  REQUIRE(h.ring().BufferIdAt(8) == 0);

  h.ring().CompleteRecv(recv.user_data, "hello", 7, /*more=*/true);
  h.Step();
  CHECK(h.counters().bytes_received == 5);
  CHECK(h.counters().recv_ops == 1);
  CHECK(h.ring().BufferIdAt(8) == 7);
  CHECK(h.NewSqes().empty());  // the multishot receive is still armed

  // Without F_MORE the kernel has ended the multishot receive: re-arm it.
  h.ring().CompleteRecv(recv.user_data, "abc", 6, /*more=*/false);
  h.Step();
  CHECK(h.counters().bytes_received == 8);
  CHECK(h.ring().BufferIdAt(9) == 6);
  const std::vector<io_uring_sqe> sqes = h.NewSqes();
  REQUIRE(sqes.size() == 1);
  CHECK(sqes[0].opcode == IORING_OP_RECV);
  CHECK(sqes[0].user_data == recv.user_data);
  CHECK((sqes[0].ioprio & IORING_RECV_MULTISHOT) != 0);
  CHECK(sqes[0].flags == (IOSQE_FIXED_FILE | IOSQE_BUFFER_SELECT));
}

TEST_CASE("-ENOBUFS is back-pressure: counted, and the receive re-armed") {
  WorkerHarness h;
  StartEstablished(h);
  const io_uring_sqe recv = *h.ring().FindLast(IORING_OP_RECV);
  (void)h.NewSqes();
  h.ring().Complete(recv.user_data, -ENOBUFS);
  h.Step();
  CHECK(h.counters().enobufs == 1);
  CHECK(h.slot(0).state == ConnState::kEstablished);
  const std::vector<io_uring_sqe> sqes = h.NewSqes();
  REQUIRE(sqes.size() == 1);
  CHECK(sqes[0].user_data == recv.user_data);
  CHECK(h.ring().FindAll(IORING_OP_SHUTDOWN).empty());
}

TEST_CASE("a peer's FIN leaves a client with messages sending (half-close)") {
  WorkerHarness h;
  REQUIRE(h.SetMessages({"0123456789"}).ok());
  StartEstablished(h);
  (void)h.NewSqes();
  h.ring().Complete(h.ring().FindLast(IORING_OP_RECV)->user_data, 0);
  h.Step();
  CHECK(h.slot(0).state == ConnState::kEstablished);
  CHECK(h.ring().FindAll(IORING_OP_SHUTDOWN).empty());
  CHECK(testing::CountOp(h.NewSqes(), Op::kRecv) == 0);  // nothing more to read
  REQUIRE(h.CompleteAndStep(Op::kSend, 0, 10));
  CHECK(testing::CountOp(h.NewSqes(), Op::kSend) == 1);  // and it goes on sending
}

TEST_CASE("the peer's FIN closes a connection with nothing to send") {
  WorkerHarness h;
  StartEstablished(h);
  h.ring().Complete(h.ring().FindLast(IORING_OP_RECV)->user_data, 0);
  h.Step();
  // Nothing else is in flight: the close goes out at once, no shutdown.
  CHECK(h.ring().FindAll(IORING_OP_SHUTDOWN).empty());
  REQUIRE(h.ring().FindAll(IORING_OP_CLOSE).size() == 1);
  CHECK(h.counters().out_closed == 0);
  REQUIRE(h.CompleteAndStep(Op::kClose, 0, 0));
  CHECK(h.counters().out_closed == 1);
  CHECK(h.counters().connects_established == 1);
}

TEST_CASE("a completion for a previous connection of the slot is dropped") {
  WorkerHarness h;
  StartEstablished(h);
  const io_uring_sqe old_recv = *h.ring().FindLast(IORING_OP_RECV);
  const io_uring_sqe old_connect = *h.ring().FindLast(IORING_OP_CONNECT);
  // The first connection ends, the slot reconnects.
  h.ring().Complete(old_recv.user_data, 0);
  h.Step();
  REQUIRE(h.CompleteAndStep(Op::kClose, 0, 0));
  h.Step();
  REQUIRE(h.Establish(0));
  REQUIRE(FakeRing::TagOf(old_recv).generation != h.slot(0).generation);
  (void)h.NewSqes();
  const stats::CounterValues before = h.counters();

  h.ring().CompleteRecv(old_recv.user_data, "late", 5, /*more=*/false);
  h.ring().Complete(old_connect.user_data, -ECONNREFUSED);
  h.ring().Complete(old_recv.user_data, 0);
  h.Step();
  CHECK(h.counters() == before);
  CHECK(h.ring().BufferIdAt(8) == 5);  // its buffer still goes back
  CHECK(h.slot(0).state == ConnState::kEstablished);
  CHECK(h.NewSqes().empty());
}

// --- Sending ---------------------------------------------------------------

TEST_CASE("a short send resumes exactly where it stopped") {
  struct Send {
    uint64_t offset;  // expected, from the stream's start
    uint32_t len;     // expected
    int res;          // what the kernel sent
    uint64_t msgs;    // whole messages sent so far
  };
  struct Case {
    const char* name;
    std::vector<std::string> messages;
    size_t stream_bytes;
    bool write_combine;
    std::vector<Send> sends;
  };
  const Case cases[] = {
      {"write-combined", {"0123456789"}, 100, true,
       {{0, 100, 25, 2}, {25, 75, 75, 10}, {0, 100, 5, 10}, {5, 95, 95, 20}}},
      {"one message per send", {"0123456789"}, 100, false,
       {{0, 10, 4, 0}, {4, 6, 6, 1}, {10, 10, 10, 2}}},
      {"messages of two sizes", {"ab", "cdef"}, 12, false,
       {{0, 2, 2, 1}, {2, 4, 3, 1}, {5, 1, 1, 2}, {6, 2, 2, 3}}},
  };
  for (const Case& c : cases) {
    CAPTURE(c.name);
    WorkerHarness h;
    h.config.write_combine = c.write_combine;
    REQUIRE(h.SetMessages(c.messages, c.stream_bytes).ok());
    StartEstablished(h);
    const uint64_t base = reinterpret_cast<uint64_t>(h.plan.client_stream->data());
    uint64_t bytes = 0;
    for (size_t i = 0; i < c.sends.size(); ++i) {
      CAPTURE(i);
      std::vector<io_uring_sqe> sqes;
      for (const io_uring_sqe& sqe : h.NewSqes()) {
        if (sqe.opcode == IORING_OP_SEND) sqes.push_back(sqe);
      }
      REQUIRE(sqes.size() == 1);
      CHECK(sqes[0].addr - base == c.sends[i].offset);
      CHECK(sqes[0].len == c.sends[i].len);
      h.ring().Complete(sqes[0].user_data, c.sends[i].res);
      h.Step();
      bytes += static_cast<uint64_t>(c.sends[i].res);
      CHECK(h.counters().bytes_sent == bytes);
      CHECK(h.counters().msgs_sent == c.sends[i].msgs);
      CHECK(h.counters().send_ops == i + 1);
    }
  }
}

TEST_CASE("a failed send resets and closes the connection") {
  WorkerHarness h;
  REQUIRE(h.SetMessages({"0123456789"}).ok());
  StartEstablished(h);
  REQUIRE(h.CompleteAndStep(Op::kSend, 0, -ECONNRESET));
  CHECK(h.counters().bytes_sent == 0);
  CHECK(h.slot(0).state == ConnState::kClosing);
  // The receive is cancelled; the close follows once it is back.
  const std::optional<io_uring_sqe> cancel = h.ring().FindLast(IORING_OP_ASYNC_CANCEL);
  REQUIRE(cancel.has_value());
  CHECK(FakeRing::TagOf(*cancel).slot == 0);
  CHECK(h.ring().FindAll(IORING_OP_SEND).size() == 1);  // no retry
}

// Completes every send submitted since the last look, in full, and returns
// their lengths.
std::vector<uint32_t> CompleteSends(WorkerHarness& h) {
  std::vector<uint32_t> lens;
  for (const io_uring_sqe& sqe : h.NewSqes()) {
    if (sqe.opcode != IORING_OP_SEND) continue;
    lens.push_back(sqe.len);
    h.ring().Complete(sqe.user_data, static_cast<int>(sqe.len));
  }
  return lens;
}

TEST_CASE("--message-rate 10: one message per 100 ms, a stall's backlog at once") {
  WorkerHarness h;
  REQUIRE(h.SetMessages({"0123456789"}).ok());
  h.plan.message_rate = *MessageRateSpec(10);
  StartEstablished(h);

  // The first message is due when the connection is established.
  std::vector<uint32_t> sends = CompleteSends(h);
  REQUIRE(sends == std::vector<uint32_t>{10});
  h.Step();
  h.Step();
  CHECK(h.ring().last_wait_timeout_ns() == 100 * kMsNs);  // sleeps until due

  for (int ms = 1; ms <= 1000; ++ms) {
    h.Advance(kMsNs);
    h.Step();
    for (uint32_t len : CompleteSends(h)) sends.push_back(len);
  }
  h.Step();
  CHECK(sends.size() == 11);  // 10 per second, +1 at the start
  for (uint32_t len : sends) CHECK(len == 10);  // one message each
  CHECK(h.counters().msgs_sent == 11);
  CHECK(h.counters().msgs_due == 11);
  CHECK(h.counters().paced_messages_late == 0);

  // A second without the worker looking: the ten messages now due go out
  // in one send, nine of them late.
  h.Advance(kSecondNs);
  h.Step();
  sends = CompleteSends(h);
  REQUIRE(sends == std::vector<uint32_t>{100});
  h.Step();
  CHECK(h.counters().msgs_sent == 21);
  CHECK(h.counters().msgs_due == 21);
  CHECK(h.counters().paced_messages_late == 9);
}

TEST_CASE("--delay-send holds the first send back") {
  WorkerHarness h;
  REQUIRE(h.SetMessages({"0123456789"}).ok());
  h.config.delay_send_ns = 500 * kMsNs;
  StartEstablished(h);
  CHECK(CompleteSends(h).empty());
  h.Advance(499 * kMsNs);
  h.Step();
  CHECK(CompleteSends(h).empty());
  h.Advance(kMsNs);
  h.Step();
  CHECK(CompleteSends(h).size() == 1);
}

}  // namespace
}  // namespace tcpkali::engine
