#include "testing/fake_ring.h"

#include <doctest/doctest.h>

#include <cerrno>
#include <cstring>
#include <string>

#include "engine/buffer_ring.h"
#include "engine/ring.h"
#include "engine/tag.h"

namespace tcpkali::testing {
namespace {

using engine::Op;
using engine::Tag;

io_uring_sqe* Nop(FakeRing& ring, Op op, uint32_t slot, uint8_t flags = 0) {
  io_uring_sqe* sqe = ring.GetSqe();
  io_uring_prep_nop(sqe);
  sqe->flags |= flags;
  sqe->user_data = Tag{op, slot, 1}.Pack();
  return sqe;
}

TEST_CASE("SQEs are zeroed, logged in order at submission, and taken once") {
  FakeRing ring({.sq_entries = 8});
  io_uring_sqe* sqe = ring.GetSqe();
  const io_uring_sqe zero{};
  CHECK(std::memcmp(sqe, &zero, sizeof zero) == 0);
  io_uring_prep_nop(sqe);
  sqe->user_data = Tag{Op::kWake, 0, 0}.Pack();
  Nop(ring, Op::kConnect, 1);
  CHECK(ring.SubmitAndWait(1, 5'000) == 2);
  CHECK(ring.enters() == 1);
  CHECK(ring.last_wait_nr() == 1);
  CHECK(ring.last_wait_timeout_ns() == 5'000);

  std::vector<io_uring_sqe> taken = ring.TakeSubmitted();
  REQUIRE(taken.size() == 2);
  CHECK(FakeRing::TagOf(taken[0]).op == Op::kWake);
  CHECK(FakeRing::TagOf(taken[1]).op == Op::kConnect);
  CHECK(FakeRing::TagOf(taken[1]).slot == 1);

  // Prepared but not submitted: looking submits them.
  Nop(ring, Op::kSend, 2);
  taken = ring.TakeSubmitted();
  REQUIRE(taken.size() == 1);
  CHECK(FakeRing::TagOf(taken[0]).op == Op::kSend);
  CHECK(ring.TakeSubmitted().empty());
  CHECK(ring.submitted().size() == 3);
}

TEST_CASE("a full submission queue is flushed into the log and counted") {
  FakeRing ring({.sq_entries = 4});
  for (uint32_t i = 0; i < 10; ++i) Nop(ring, Op::kSend, i);
  CHECK(ring.sq_full_retries() == 2);
  const std::vector<io_uring_sqe>& log = ring.submitted();
  REQUIRE(log.size() == 10);
  for (uint32_t i = 0; i < 10; ++i) CHECK(FakeRing::TagOf(log[i]).slot == i);
}

TEST_CASE("the submission queue size follows the worker's options unless set") {
  CHECK(FakeRing({.sq_entries = 32}).sq_capacity() == 32);
  CHECK(FakeRing({.sq_entries = 32}, {.sq_entries = 4}).sq_capacity() == 4);
}

TEST_CASE("poisoned SQEs expose fields a caller forgot to set") {
  FakeRing ring({.sq_entries = 4}, {.poison_sqes = true});
  const io_uring_sqe* sqe = ring.GetSqe();
  const auto* bytes = reinterpret_cast<const uint8_t*>(sqe);
  for (size_t i = 0; i < sizeof *sqe; ++i) {
    CAPTURE(i);
    CHECK(bytes[i] == 0xA5);
  }
}

TEST_CASE("completions are peeked in order and consumed by AdvanceCq") {
  FakeRing ring({.sq_entries = 4});
  ring.Complete(1, 10);
  ring.Complete(2, -ECONNREFUSED);
  ring.Complete(3, 0, IORING_CQE_F_MORE);
  io_uring_cqe* cqes[2];
  REQUIRE(ring.PeekCqes(cqes, 2) == 2);
  CHECK(cqes[0]->user_data == 1);
  CHECK(cqes[0]->res == 10);
  CHECK(cqes[1]->res == -ECONNREFUSED);
  ring.AdvanceCq(2);
  REQUIRE(ring.PeekCqes(cqes, 2) == 1);
  CHECK(cqes[0]->user_data == 3);
  CHECK(cqes[0]->flags == IORING_CQE_F_MORE);
  ring.AdvanceCq(1);
  CHECK(ring.queued_completions() == 0);
  CHECK(ring.PeekCqes(cqes, 2) == 0);
}

TEST_CASE("completing the last SQE of an opcode or a tag") {
  FakeRing ring({.sq_entries = 8});
  CHECK_FALSE(ring.CompleteLast(IORING_OP_NOP, 0));
  CHECK_FALSE(ring.CompleteLastTagged(Op::kSend, 0, 0));
  CHECK(ring.queued_completions() == 0);

  Nop(ring, Op::kSend, 0);
  Nop(ring, Op::kSend, 1);
  REQUIRE(ring.CompleteLast(IORING_OP_NOP, 7));
  REQUIRE(ring.CompleteLastTagged(Op::kSend, 0, 5));
  CHECK_FALSE(ring.CompleteLastTagged(Op::kSend, 2, 5));
  io_uring_cqe* cqes[4];
  REQUIRE(ring.PeekCqes(cqes, 4) == 2);
  CHECK(cqes[0]->user_data == Tag{Op::kSend, 1, 1}.Pack());
  CHECK(cqes[0]->res == 7);
  CHECK(cqes[1]->user_data == Tag{Op::kSend, 0, 1}.Pack());
  CHECK(cqes[1]->res == 5);
  REQUIRE(ring.FindAll(IORING_OP_NOP).size() == 2);
  CHECK(ring.FindAll(IORING_OP_SEND).empty());
}

TEST_CASE("a receive fills a provided buffer; returns show in the ring") {
  FakeRing ring({.sq_entries = 4});
  auto pool = engine::BufferRing::Create(4, 16);
  REQUIRE(pool.ok());
  REQUIRE(ring.RegisterBuffers(*pool, 3).ok());
  CHECK(ring.buffers() == &*pool);
  CHECK(ring.buffer_group() == 3);
  for (unsigned i = 0; i < 4; ++i) CHECK(ring.BufferIdAt(i) == i);

  ring.CompleteRecv(42, "hello", 2, /*more=*/true);
  io_uring_cqe* cqe = nullptr;
  REQUIRE(ring.PeekCqes(&cqe, 1) == 1);
  CHECK(cqe->user_data == 42);
  CHECK(cqe->res == 5);
  CHECK((cqe->flags & IORING_CQE_F_BUFFER) != 0);
  CHECK((cqe->flags & IORING_CQE_F_MORE) != 0);
  CHECK((cqe->flags >> IORING_CQE_BUFFER_SHIFT) == 2);
  CHECK(std::string(reinterpret_cast<char*>(pool->Data(2)), 5) == "hello");
  ring.AdvanceCq(1);

  pool->Return(2);
  pool->Publish();
  CHECK(ring.BufferIdAt(4) == 2);  // the first entry after the initial four

  ring.CompleteRecv(42, "x", 1, /*more=*/false);
  REQUIRE(ring.PeekCqes(&cqe, 1) == 1);
  CHECK((cqe->flags & IORING_CQE_F_MORE) == 0);
}

TEST_CASE("a linked chain cut by the end of a submission is counted") {
  struct Case {
    const char* name;
    unsigned sq_entries;
    int chain_length;
    uint64_t broken;
  };
  const Case cases[] = {
      {"chain ends inside the submission", 8, 3, 0},
      {"a full queue flushes mid-chain", 2, 3, 1},
      {"the queue fills exactly at the chain's end", 3, 3, 0},
  };
  for (const Case& c : cases) {
    CAPTURE(c.name);
    FakeRing ring({.sq_entries = c.sq_entries});
    for (int i = 0; i < c.chain_length; ++i) {
      Nop(ring, Op::kConnect, 0,
          i + 1 < c.chain_length ? IOSQE_IO_LINK : 0);
    }
    ring.SubmitAndWait(0, 0);
    CHECK(ring.broken_links() == c.broken);
  }
  FakeRing ring({.sq_entries = 8});
  Nop(ring, Op::kConnect, 0, IOSQE_IO_LINK);
  ring.SubmitAndWait(0, 0);  // the chain's end never came
  CHECK(ring.broken_links() == 1);
}

TEST_CASE("a scripted kernel sees each SQE as it is submitted") {
  std::vector<uint32_t> seen;
  FakeRingOptions options;
  options.on_submit = [&seen](FakeRing& ring, const io_uring_sqe& sqe) {
    seen.push_back(FakeRing::TagOf(sqe).slot);
    ring.Complete(sqe.user_data, 0);
  };
  FakeRing ring({.sq_entries = 2}, options);
  for (uint32_t i = 0; i < 3; ++i) Nop(ring, Op::kListen, i);
  CHECK(seen.size() == 2);  // the full queue was flushed once
  ring.SubmitAndWait(1, -1);
  CHECK(seen == std::vector<uint32_t>{0, 1, 2});
  CHECK(ring.queued_completions() == 3);
}

TEST_CASE("fixed-file installs are recorded and their result is scripted") {
  FakeRing ring({.sq_entries = 2});
  CHECK(ring.InstallFixedFile(3, 17) == 0);
  ring.set_install_result(-ENFILE);
  CHECK(ring.InstallFixedFile(4, 18) == -ENFILE);
  REQUIRE(ring.installed_files().size() == 2);
  CHECK(ring.installed_files()[1].index == 4);
  CHECK(ring.installed_files()[1].fd == 18);
}

TEST_CASE("the factory hands the worker a ring and the test its address") {
  FakeRing* created = nullptr;
  auto make_ring = FakeRing::Factory(&created, {.sq_entries = 16});
  auto ring = make_ring({.sq_entries = 4096, .fixed_files = 9});
  REQUIRE(ring.ok());
  REQUIRE(created != nullptr);
  CHECK(static_cast<engine::Ring*>(created) == ring->get());
  CHECK(created->sq_capacity() == 16);
  CHECK(created->ring_options().fixed_files == 9);
  created->set_cq_overflows(3);
  CHECK((*ring)->cq_overflows() == 3);
}

TEST_CASE("direct-descriptor indices decode from liburing's encoding") {
  FakeRing ring({.sq_entries = 2});
  io_uring_sqe* sqe = ring.GetSqe();
  io_uring_prep_close_direct(sqe, 5);
  CHECK(FakeRing::DirectIndex(*sqe) == 5);
  io_uring_prep_nop(sqe);
  CHECK(FakeRing::DirectIndex(*sqe) == -1);
}

}  // namespace
}  // namespace tcpkali::testing
