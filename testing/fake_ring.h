// FakeRing: an engine::Ring with no kernel behind it, so that the worker's
// state machines (connect chains, receives, sends, pacing, teardown, drain)
// are driven and inspected by a test, one completion at a time.
//
// The fake plays the kernel's part only as far as a test scripts it:
//   - GetSqe() hands out zeroed SQEs from a submission queue of the size the
//     worker asked for; a full queue is flushed and counted, as UringRing
//     does (sq_full_retries()).
//   - Submitting copies the prepared SQEs into a log the test reads; it
//     never blocks and never completes anything by itself.
//   - The test queues completions (Complete(), CompleteLast(),
//     CompleteRecv()); PeekCqes()/AdvanceCq() hand them to the worker.
//   - RegisterBuffers() keeps the worker's BufferRing, so that a test writes
//     "received" bytes into a buffer before completing a receive with it,
//     and can see which buffers the worker handed back.
// It also checks one rule the kernel enforces silently: a linked chain must
// end within one submission (broken_links()).
//
// Owned by the worker that created it (through WorkerEnv::make_ring); the
// test keeps a raw pointer. Single-threaded, like the worker.
//
// Example:
//   FakeRing* ring = nullptr;
//   engine::WorkerEnv env{.make_ring = FakeRing::Factory(&ring),
//                         .clock = FakeNow};
//   engine::Worker worker(0, plan, *stats, control, env);
//   REQUIRE(worker.Setup().ok());
//   worker.Step();  // prepares socket, connect for slot 0
//   std::optional<io_uring_sqe> connect = ring->FindLast(IORING_OP_CONNECT);
//   REQUIRE(ring->CompleteLast(IORING_OP_CONNECT, 0));
//   worker.Step();  // established: a multishot receive is armed
#ifndef TCPKALI_TESTING_FAKE_RING_H_
#define TCPKALI_TESTING_FAKE_RING_H_

#include <liburing.h>

#include <cstddef>
#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <optional>
#include <string_view>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "engine/buffer_ring.h"
#include "engine/ring.h"
#include "engine/tag.h"

namespace tcpkali::testing {

class FakeRing;

struct FakeRingOptions {
  // Submission queue size; 0 takes the RingOptions' sq_entries, so that the
  // worker sees the queue it would get from the kernel.
  unsigned sq_entries = 0;
  // Fill fresh SQEs with 0xA5 bytes instead of zeros: UringRing (liburing
  // 2.3) does not clear reused SQEs, so code that relies on zeroed fields
  // works against a zeroing fake and breaks against the kernel.
  bool poison_sqes = false;
  // Called for each SQE as it is submitted, in order: a scripted kernel
  // (e.g. completing a listener's setup chain, which the worker waits for
  // inside Setup()). It may queue completions; it must not call GetSqe().
  std::function<void(FakeRing& ring, const io_uring_sqe& sqe)> on_submit;
};

class FakeRing final : public engine::Ring {
 public:
  // A ring as the worker would ask the kernel for with `ring_options`.
  explicit FakeRing(const engine::RingOptions& ring_options,
                    FakeRingOptions options = {});

  FakeRing(const FakeRing&) = delete;
  FakeRing& operator=(const FakeRing&) = delete;

  // A WorkerEnv::make_ring that creates a FakeRing with `options` and
  // stores its address in `*created` (which must outlive the worker's
  // Setup()); the worker owns the ring.
  static std::function<absl::StatusOr<std::unique_ptr<engine::Ring>>(
      const engine::RingOptions&)>
  Factory(FakeRing** created, FakeRingOptions options = {});

  // --- engine::Ring --------------------------------------------------------
  io_uring_sqe* GetSqe() override;
  void ReserveSqes(unsigned n) override;
  // Submits (logs) every prepared SQE and returns how many. Never waits.
  // Aborts the test, naming the cause, after 10000 consecutive calls that
  // would wait forever on a real ring (wait_nr > 0, no timeout, no
  // completion queued): a test that forgot a completion fails instead of
  // hanging.
  int SubmitAndWait(unsigned wait_nr, int64_t timeout_ns) override;
  unsigned PeekCqes(io_uring_cqe** cqes, unsigned max) override;
  // Aborts when `n` exceeds what the last PeekCqes() returned.
  void AdvanceCq(unsigned n) override;
  absl::Status RegisterBuffers(engine::BufferRing& buffers,
                               uint16_t group_id) override;
  // Records the call and returns set_install_result()'s value (0 default).
  int InstallFixedFile(unsigned index, int fd) override;
  uint64_t cq_overflows() const override { return cq_overflows_; }

  // --- Submissions, for the test ----------------------------------------
  // Every SQE submitted so far, in submission order. SQEs handed out but
  // not yet submitted are submitted first: between two Step() calls the
  // worker has finished preparing them, and its next Step() would submit
  // them before reaping anything, so completing them now is equivalent.
  const std::vector<io_uring_sqe>& submitted();
  // The SQEs submitted since the previous call (since construction, for
  // the first), after submitting the prepared ones as submitted() does.
  std::vector<io_uring_sqe> TakeSubmitted();
  // Copies of the submitted SQEs with `opcode`, in order; empty when none.
  std::vector<io_uring_sqe> FindAll(uint8_t opcode);
  // The last submitted SQE with `opcode`, or nullopt when there is none.
  std::optional<io_uring_sqe> FindLast(uint8_t opcode);
  // The last submitted SQE whose tag has `op` and `slot` (any generation),
  // or nullopt when there is none.
  std::optional<io_uring_sqe> FindLastTagged(engine::Op op, uint32_t slot);

  // --- Completions, for the test ----------------------------------------
  // Queues a completion; the worker sees it at its next PeekCqes().
  void Complete(uint64_t user_data, int32_t res, uint32_t flags = 0);
  // Completes the last submitted SQE with `opcode` (its user_data). False,
  // and nothing queued, when no such SQE was submitted.
  [[nodiscard]] bool CompleteLast(uint8_t opcode, int32_t res,
                                  uint32_t flags = 0);
  // Completes FindLastTagged(op, slot). False, and nothing queued, when
  // there is no such SQE.
  [[nodiscard]] bool CompleteLastTagged(engine::Op op, uint32_t slot,
                                        int32_t res, uint32_t flags = 0);
  // A receive that filled provided buffer `buffer_id` with `data` (at most
  // the buffer's size, and not empty): copies the bytes into the buffer and
  // queues res = data.size() with IORING_CQE_F_BUFFER, the id, and
  // IORING_CQE_F_MORE when `more` (the multishot receive stays armed).
  // Aborts when no buffers are registered or `data` does not fit.
  void CompleteRecv(uint64_t user_data, std::string_view data,
                    uint16_t buffer_id, bool more);
  size_t queued_completions() const { return cq_.size(); }

  // --- Provided buffers --------------------------------------------------
  // The worker's buffer ring, or null before RegisterBuffers().
  engine::BufferRing* buffers() const { return buffers_; }
  uint16_t buffer_group() const { return buffer_group_; }
  // The buffer id in ring entry `position` (taken modulo the ring size):
  // the ring starts as ids 0..count-1 and each buffer the worker returns is
  // written at the next position, count, count+1, ... So handing the
  // worker buffers in an order other than the ring's shows, entry by
  // entry, which it gave back and in which order.
  uint16_t BufferIdAt(unsigned position) const;

  // --- Fixed files, waits, health ----------------------------------------
  struct InstalledFile {
    unsigned index = 0;
    int fd = -1;  // closed by the caller after the call
  };
  const std::vector<InstalledFile>& installed_files() const {
    return installed_files_;
  }
  void set_install_result(int rc) { install_result_ = rc; }

  // SubmitAndWait() calls so far (one io_uring_enter each on a real ring).
  uint64_t enters() const { return enters_; }
  // The arguments of the last SubmitAndWait(): how long the worker would
  // have slept (-1: until a completion).
  int64_t last_wait_timeout_ns() const { return last_wait_timeout_ns_; }
  unsigned last_wait_nr() const { return last_wait_nr_; }
  void set_cq_overflows(uint64_t n) { cq_overflows_ = n; }
  // The options the worker created the ring with.
  const engine::RingOptions& ring_options() const { return ring_options_; }
  unsigned sq_capacity() const { return static_cast<unsigned>(sq_.size()); }

  // Submissions whose last SQE carried IOSQE_IO_LINK. The kernel ends a
  // linked chain at the end of each submission, so such a chain was cut in
  // two: the rest runs unlinked (a LINK_TIMEOUT first in a submission fails
  // with -EINVAL, and its connect runs without a timeout).
  uint64_t broken_links() const { return broken_links_; }

  // --- Decoding ----------------------------------------------------------
  static engine::Tag TagOf(const io_uring_sqe& sqe) {
    return engine::Tag::Unpack(sqe.user_data);
  }
  // The fixed-file index of a *_direct SQE (socket, close): liburing
  // stores it plus one, 0 meaning "not direct".
  static int64_t DirectIndex(const io_uring_sqe& sqe) {
    return static_cast<int64_t>(sqe.file_index) - 1;
  }

 private:
  // Moves the prepared SQEs to the log, as one submission.
  unsigned Flush();

  engine::RingOptions ring_options_;
  FakeRingOptions options_;
  std::vector<io_uring_sqe> sq_;  // the submission queue
  unsigned prepared_ = 0;         // SQEs handed out and not yet submitted
  std::vector<io_uring_sqe> log_;
  size_t taken_ = 0;  // log_ entries already returned by TakeSubmitted()
  std::deque<io_uring_cqe> cq_;  // deque: PeekCqes() pointers stay valid
  unsigned peeked_ = 0;
  engine::BufferRing* buffers_ = nullptr;
  uint16_t buffer_group_ = 0;
  std::vector<InstalledFile> installed_files_;
  int install_result_ = 0;
  uint64_t enters_ = 0;
  int64_t last_wait_timeout_ns_ = 0;
  unsigned last_wait_nr_ = 0;
  uint64_t waits_forever_ = 0;  // consecutive would-block-forever calls
  uint64_t cq_overflows_ = 0;
  uint64_t broken_links_ = 0;
};

}  // namespace tcpkali::testing

#endif  // TCPKALI_TESTING_FAKE_RING_H_
