#include "engine/ring.h"

#include <sys/socket.h>
#include <unistd.h>

#include <doctest/doctest.h>

#include <cstring>
#include <string>

#include "engine/buffer_ring.h"
#include "engine/tag.h"
#include "testing/io_uring_available.h"

namespace tcpkali::engine {
namespace {

// Waits for and returns exactly one completion.
io_uring_cqe WaitOne(Ring& ring) {
  io_uring_cqe* cqe = nullptr;
  for (int i = 0; i < 1000; ++i) {
    if (ring.PeekCqes(&cqe, 1) == 1) break;
    ring.SubmitAndWait(1, 1'000'000'000);
  }
  REQUIRE(cqe != nullptr);
  io_uring_cqe copy = *cqe;
  ring.AdvanceCq(1);
  return copy;
}

TEST_CASE("tags survive packing with every field at its limit") {
  const Tag tags[] = {{Op::kRecv, 0, 0},
                      {Op::kCancel, 0xFFFFFFFF, kGenerationMask},
                      {Op::kConnect, 12345, 678}};
  for (const Tag& t : tags) {
    const Tag u = Tag::Unpack(t.Pack());
    CHECK(u.op == t.op);
    CHECK(u.slot == t.slot);
    CHECK(u.generation == t.generation);
  }
  // Generations wrap within their field instead of spilling into the op.
  CHECK(Tag::Unpack(Tag{Op::kSend, 1, kGenerationMask + 2}.Pack()).op == Op::kSend);
}

TEST_CASE("a full submission queue is flushed, not an error" *
          doctest::skip(testing::SkipWithoutIoUring())) {
  auto ring = UringRing::Create({.sq_entries = 4, .cq_entries = 64});
  REQUIRE(ring.ok());
  for (int i = 0; i < 10; ++i) {
    io_uring_sqe* sqe = (*ring)->GetSqe();
    REQUIRE(sqe != nullptr);
    io_uring_prep_nop(sqe);
    sqe->user_data = Tag{Op::kWake, static_cast<uint32_t>(i), 0}.Pack();
  }
  CHECK((*ring)->sq_full_retries() >= 1);
  (*ring)->SubmitAndWait(0, 0);
  int seen = 0;
  while (seen < 10) {
    io_uring_cqe cqe = WaitOne(**ring);
    CHECK(Tag::Unpack(cqe.user_data).op == Op::kWake);
    ++seen;
  }
  CHECK((*ring)->cq_overflows() == 0);
}

TEST_CASE("a timed wait returns when nothing completes" *
          doctest::skip(testing::SkipWithoutIoUring())) {
  auto ring = UringRing::Create({.sq_entries = 8, .cq_entries = 16});
  REQUIRE(ring.ok());
  CHECK((*ring)->SubmitAndWait(1, 1'000'000) == 0);  // 1 ms, no work
  io_uring_cqe* cqe = nullptr;
  CHECK((*ring)->PeekCqes(&cqe, 1) == 0);
}

TEST_CASE("multishot receive on a fixed file picks provided buffers" *
          doctest::skip(testing::SkipWithoutIoUring())) {
  auto ring = UringRing::Create({.sq_entries = 8, .cq_entries = 64,
                                 .fixed_files = 4});
  REQUIRE(ring.ok());
  auto pool = BufferRing::Create(8, 64);
  REQUIRE(pool.ok());
  REQUIRE(pool->Register((*ring)->raw(), 0).ok());

  int fds[2];
  REQUIRE(socketpair(AF_UNIX, SOCK_STREAM, 0, fds) == 0);
  REQUIRE(io_uring_register_files_update((*ring)->raw(), 1, &fds[0], 1) == 1);
  close(fds[0]);  // the fixed table keeps its own reference

  io_uring_sqe* sqe = (*ring)->GetSqe();
  io_uring_prep_recv_multishot(sqe, 1, nullptr, 0, 0);
  sqe->flags |= IOSQE_FIXED_FILE | IOSQE_BUFFER_SELECT;
  sqe->buf_group = 0;
  sqe->user_data = Tag{Op::kRecv, 1, 7}.Pack();
  (*ring)->SubmitAndWait(0, 0);

  std::string received;
  for (const char* part : {"hello ", "ring"}) {
    REQUIRE(write(fds[1], part, std::strlen(part)) ==
            static_cast<ssize_t>(std::strlen(part)));
    io_uring_cqe cqe = WaitOne(**ring);
    REQUIRE(cqe.res > 0);
    CHECK((cqe.flags & IORING_CQE_F_MORE) != 0);
    REQUIRE((cqe.flags & IORING_CQE_F_BUFFER) != 0);
    const uint16_t id = cqe.flags >> IORING_CQE_BUFFER_SHIFT;
    received.append(reinterpret_cast<char*>(pool->Data(id)), cqe.res);
    pool->Return(id);
    pool->Publish();
    CHECK(Tag::Unpack(cqe.user_data).generation == 7);
  }
  CHECK(received == "hello ring");

  close(fds[1]);  // end of stream ends the multishot
  io_uring_cqe cqe = WaitOne(**ring);
  CHECK(cqe.res == 0);
  CHECK((cqe.flags & IORING_CQE_F_MORE) == 0);
}

TEST_CASE("buffer ring sizes must be powers of two") {
  CHECK(!BufferRing::Create(3, 64).ok());
  CHECK(!BufferRing::Create(0, 64).ok());
  CHECK(BufferRing::Create(16, 64).ok());
}

}  // namespace
}  // namespace tcpkali::engine
