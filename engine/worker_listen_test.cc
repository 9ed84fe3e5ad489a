// The worker as a listener, against a fake ring and a fake clock: the
// listener's setup chain, multishot accept, and the drain of a run that is
// its own clients' sink.
#include <doctest/doctest.h>
#include <liburing.h>
#include <sys/socket.h>

#include <cerrno>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "engine/tag.h"
#include "engine/uring_compat.h"
#include "engine/worker.h"
#include "testing/fake_ring.h"
#include "testing/worker_harness.h"

namespace tcpkali::engine {
namespace {

using testing::CountOp;
using testing::FakeRing;
using testing::WorkerHarness;

// A ring that completes the listener's setup chain, failing the step with
// opcode `fail_opcode` (if any) with `fail_res`.
testing::FakeRingOptions ListenerKernel(uint8_t fail_opcode = 0xFF,
                                        int fail_res = 0) {
  testing::FakeRingOptions options;
  options.on_submit = [=](FakeRing& ring, const io_uring_sqe& sqe) {
    if (FakeRing::TagOf(sqe).op != Op::kListen) return;
    ring.Complete(sqe.user_data, sqe.opcode == fail_opcode ? fail_res : 0);
  };
  return options;
}

void ConfigureListener(WorkerHarness& h, uint64_t clients) {
  h.plan.client_connections = clients;
  h.plan.listen = testing::Ipv4Endpoint("127.0.0.1", 0);
  h.plan.accept_slots = 2;
  h.config.listen = ListenAddress{.host = "127.0.0.1", .port = 0};
}

TEST_CASE("the listener is set up through the ring and accepts into its slots") {
  WorkerHarness h;
  ConfigureListener(h, 0);
  REQUIRE(h.Start(ListenerKernel()).ok());
  const uint32_t listener = 2;  // the table's last entry
  CHECK(h.ring().ring_options().alloc_range_begin == 0);
  CHECK(h.ring().ring_options().alloc_range_count == 2);
  const io_uring_sqe socket = *h.ring().FindLast(IORING_OP_SOCKET);
  CHECK(FakeRing::DirectIndex(socket) == listener);
  CHECK(h.ring().FindLast(compat::kOpListen).has_value());
  const io_uring_sqe accept = *h.ring().FindLast(IORING_OP_ACCEPT);
  CHECK(accept.fd == static_cast<int>(listener));
  CHECK((accept.ioprio & IORING_ACCEPT_MULTISHOT) != 0);

  h.ring().Complete(accept.user_data, 1, IORING_CQE_F_MORE);  // into slot 1
  h.Step();
  CHECK(h.counters().accepted == 1);
  CHECK(h.slot(1).state == ConnState::kEstablished);
  const io_uring_sqe recv = *h.ring().FindLast(IORING_OP_RECV);
  CHECK(FakeRing::TagOf(recv).slot == 1);
  CHECK(h.ring().FindAll(IORING_OP_ACCEPT).size() == 1);  // still armed

  // Without F_MORE the multishot accept has ended and is re-armed.
  h.ring().Complete(accept.user_data, 0);
  h.Step();
  CHECK(h.counters().accepted == 2);
  CHECK(h.ring().FindAll(IORING_OP_ACCEPT).size() == 2);
}

TEST_CASE("a listener that cannot listen fails setup, saying why") {
  WorkerHarness h;
  ConfigureListener(h, 0);
  const absl::Status status = h.Start(ListenerKernel(compat::kOpBind, -EADDRINUSE));
  CHECK(status.code() == absl::StatusCode::kUnavailable);
  CHECK(status.message().find("another process holds the port") !=
        std::string::npos);
}

TEST_CASE("a full accept table stops accepting until a connection closes") {
  WorkerHarness h;
  ConfigureListener(h, 0);
  REQUIRE(h.Start(ListenerKernel()).ok());
  const io_uring_sqe accept = *h.ring().FindLast(IORING_OP_ACCEPT);
  h.ring().Complete(accept.user_data, 0, IORING_CQE_F_MORE);
  h.ring().Complete(accept.user_data, -ENFILE);  // the multishot accept ends
  h.Step();
  CHECK(h.counters().accepted == 1);
  CHECK(h.ring().FindAll(IORING_OP_ACCEPT).size() == 1);  // not re-armed

  h.ring().Complete(h.ring().FindLastTagged(Op::kRecv, 0)->user_data, 0);
  h.Step();
  CHECK(h.ring().FindAll(IORING_OP_ACCEPT).size() == 1);
  REQUIRE(h.CompleteAndStep(Op::kClose, 0, 0));
  CHECK(h.counters().in_closed == 1);
  CHECK(h.ring().FindAll(IORING_OP_ACCEPT).size() == 2);  // room again
}

// A client and an accepted connection of this same worker, both
// established: slot 0 is the client, slot 1 the accepted one.
void StartSelfSink(WorkerHarness& h) {
  ConfigureListener(h, 1);  // this process is its clients' sink
  REQUIRE(h.Start(ListenerKernel()).ok());
  h.Step();
  REQUIRE(h.Establish(0));
  h.ring().Complete(h.ring().FindLast(IORING_OP_ACCEPT)->user_data, 1,
                    IORING_CQE_F_MORE);
  h.Step();
  REQUIRE(h.slot(1).state == ConnState::kEstablished);
}

// The accepted connection (slot 1) receives `text`, then its client's FIN.
void SinkReadsToFin(WorkerHarness& h, const char* text) {
  h.ring().CompleteRecv(h.ring().FindLastTagged(Op::kRecv, 1)->user_data, text, 3,
                        /*more=*/true);
  REQUIRE(h.ring().CompleteLastTagged(Op::kRecv, 1, 0));
}

TEST_CASE("drain as our own sink: clients send FIN, the sink reads to it") {
  WorkerHarness h;
  REQUIRE(h.SetMessages({"0123456789"}).ok());
  StartSelfSink(h);
  const io_uring_sqe send = *h.ring().FindLast(IORING_OP_SEND);
  REQUIRE(FakeRing::TagOf(send).slot == 0);
  (void)h.NewSqes();

  h.control.phase = Phase::kDrain;
  CHECK(h.Step());
  CHECK(h.NewSqes().empty());  // the FIN waits for the send

  h.ring().Complete(send.user_data, static_cast<int>(send.len));
  CHECK(h.Step());  // the sink has not seen the FIN yet
  std::vector<io_uring_sqe> sqes = h.NewSqes();
  REQUIRE(sqes.size() == 1);
  CHECK(sqes[0].opcode == IORING_OP_SHUTDOWN);
  CHECK(sqes[0].len == SHUT_WR);
  CHECK(FakeRing::TagOf(sqes[0]).slot == 0);

  // The FIN arrives: the accepted connection reads to it and closes.
  REQUIRE(h.ring().CompleteLastTagged(Op::kShutdown, 0, 0));
  SinkReadsToFin(h, "0123456789");
  CHECK(h.Step());
  CHECK(h.counters().bytes_received == 10);
  REQUIRE(h.ring().CompleteLastTagged(Op::kClose, 1, 0));
  CHECK(h.counters().in_closed == 0);
  // The client has not seen the sink's end yet. Closing it now could leave
  // bytes queued in an orphan socket, which the kernel may reset (under
  // another worker's sink, they need not have been read yet).
  CHECK(h.Step());
  CHECK(h.counters().in_closed == 1);
  CHECK(h.slot(0).state == ConnState::kEstablished);

  // The sink's FIN reaches the client, which closes: the drain is over.
  REQUIRE(h.ring().CompleteLastTagged(Op::kRecv, 0, 0));
  CHECK(h.Step());
  REQUIRE(h.ring().CompleteLastTagged(Op::kClose, 0, 0));
  CHECK_FALSE(h.Step());
  CHECK(h.counters().out_closed == 1);
}

TEST_CASE("drain as our own sink: a connection accepted late is read to its FIN") {
  // The client connected while running; its connection still waits in the
  // listener's queue when the drain begins. The drain is not over until it
  // has been accepted, and then it is read, not closed with its bytes.
  WorkerHarness h;
  ConfigureListener(h, 1);
  REQUIRE(h.Start(ListenerKernel()).ok());
  h.Step();
  REQUIRE(h.Establish(0));
  (void)h.NewSqes();

  h.control.phase = Phase::kDrain;
  CHECK(h.Step());
  CHECK(h.Step());  // nothing accepted yet: still draining

  h.ring().Complete(h.ring().FindLast(IORING_OP_ACCEPT)->user_data, 1,
                    IORING_CQE_F_MORE);
  CHECK(h.Step());
  CHECK(h.slot(1).state == ConnState::kEstablished);
  const std::vector<io_uring_sqe> sqes = h.NewSqes();
  CHECK(CountOp(sqes, Op::kRecv) == 1);
  CHECK(CountOp(sqes, Op::kCancel) == 0);

  SinkReadsToFin(h, "sent before the drain");
  CHECK(h.Step());
  CHECK(h.counters().bytes_received == 21);
  REQUIRE(h.ring().CompleteLastTagged(Op::kClose, 1, 0));
  REQUIRE(h.ring().CompleteLastTagged(Op::kShutdown, 0, 0));
  REQUIRE(h.ring().CompleteLastTagged(Op::kRecv, 0, 0));  // the sink's end
  CHECK(h.Step());
  REQUIRE(h.ring().CompleteLastTagged(Op::kClose, 0, 0));
  CHECK_FALSE(h.Step());
}

// An accepted connection that ran out of buffers must read again during
// the drain, or it never sees its peer's FIN: the drain would last until
// its timeout, what the clients sent would not all be counted as received,
// and the worker would poll without sleeping meanwhile.
TEST_CASE("during the drain a receive stopped by -ENOBUFS is re-armed") {
  WorkerHarness h;
  StartSelfSink(h);
  h.control.phase = Phase::kDrain;
  CHECK(h.Step());
  (void)h.NewSqes();

  REQUIRE(h.ring().CompleteLastTagged(Op::kRecv, 1, -ENOBUFS));
  h.Step();
  h.Step();
  CHECK(h.counters().enobufs == 1);
  CHECK(CountOp(h.NewSqes(), Op::kRecv) == 1);
  CHECK(h.ring().last_wait_timeout_ns() != 0);
}

// Lets a drain in which no byte moves run for `ns`, in 100 ms steps: true
// while the worker is still draining.
bool StillDrainingAfterStall(WorkerHarness& h, int64_t ns) {
  bool draining = true;
  for (int64_t t = 0; t < ns && draining; t += 100'000'000) {
    h.Advance(100'000'000);
    draining = h.Step();
  }
  return draining;
}

TEST_CASE("drain as our own sink: a stall is TCP retransmitting, not the end") {
  // Under memory pressure the kernel drops segments and retries them after
  // 200 ms, 400, 800...: no byte moves for a while, then the rest arrives.
  // Where every client reaches our own listener, the sink is known to read
  // it all, so only drain_max_ns ends such a drain early.
  WorkerHarness h;
  h.plan.clients_reach_own_listener = true;
  StartSelfSink(h);
  h.control.phase = Phase::kDrain;
  REQUIRE(h.Step());
  CHECK(StillDrainingAfterStall(h, 3 * h.plan.drain_idle_ns));
  CHECK_FALSE(h.control.drain_cut_short);
  CHECK_FALSE(StillDrainingAfterStall(h, h.plan.drain_max_ns));
  CHECK(h.control.drain_cut_short);  // the run warns that counts may differ
}

TEST_CASE("drain with a listener and clients elsewhere: a drain_idle_ns stall ends it") {
  WorkerHarness h;
  StartSelfSink(h);  // the clients' peer may be another host, which may not read
  h.control.phase = Phase::kDrain;
  REQUIRE(h.Step());
  CHECK_FALSE(StillDrainingAfterStall(h, h.plan.drain_idle_ns + 200'000'000));
}

TEST_CASE("drain as our own sink: a client kept from reading reads to the sink's FIN") {
  // --channel-bandwidth-downstream 0: neither end reads while running. The
  // sink must read to its client's FIN, and the client, which closes only
  // after the sink's FIN, must read to see it.
  WorkerHarness h;
  h.plan.downstream_rate = RateSpec{};  // 0 bytes/s: nothing is ever due
  h.plan.clients_reach_own_listener = true;
  StartSelfSink(h);
  CHECK_FALSE(h.slot(0).Has(kRecvArmed));
  CHECK_FALSE(h.slot(1).Has(kRecvArmed));
  (void)h.NewSqes();

  h.control.phase = Phase::kDrain;
  CHECK(h.Step());
  const std::vector<io_uring_sqe> sqes = h.NewSqes();
  CHECK(CountOp(sqes, Op::kShutdown) == 1);
  CHECK(CountOp(sqes, Op::kRecv) == 2);
  CHECK(h.slot(0).Has(kRecvArmed));
  CHECK(h.slot(1).Has(kRecvArmed));

  REQUIRE(h.ring().CompleteLastTagged(Op::kShutdown, 0, 0));
  SinkReadsToFin(h, "sent");
  CHECK(h.Step());
  REQUIRE(h.ring().CompleteLastTagged(Op::kClose, 1, 0));
  REQUIRE(h.ring().CompleteLastTagged(Op::kRecv, 0, 0));  // the sink's FIN
  CHECK(h.Step());
  REQUIRE(h.ring().CompleteLastTagged(Op::kClose, 0, 0));
  CHECK_FALSE(h.Step());
  CHECK(h.counters().out_closed == 1);
  CHECK_FALSE(h.control.drain_cut_short);  // complete, not cut short
}

}  // namespace
}  // namespace tcpkali::engine
