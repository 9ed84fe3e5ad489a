// Ring: a thin wrapper over one io_uring instance, with no policy. The
// worker decides what to submit and when; the ring only hands out SQEs,
// submits, and exposes completions in batches.
//
// Ring is an interface so that the worker's state machines run against a
// fake in tests (testing/fake_ring.h) as well as against the kernel
// (UringRing, below). The virtual calls cost a few nanoseconds per SQE and
// one per batch of completions.
//
// Owned by one worker thread; every method must be called from the thread
// that created the ring (IORING_SETUP_SINGLE_ISSUER).
//
// Example:
//   absl::StatusOr<std::unique_ptr<UringRing>> ring = UringRing::Create(opts);
//   io_uring_sqe* sqe = (*ring)->GetSqe();
//   io_uring_prep_nop(sqe);
//   (*ring)->SubmitAndWait(1, /*timeout_ns=*/-1);
//   io_uring_cqe* cqes[64];
//   unsigned n = (*ring)->PeekCqes(cqes, 64);
//   ... handle cqes[0..n) ...
//   (*ring)->AdvanceCq(n);
#ifndef TCPKALI_ENGINE_RING_H_
#define TCPKALI_ENGINE_RING_H_

#include <liburing.h>

#include <cstdint>
#include <memory>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "engine/buffer_ring.h"

namespace tcpkali::engine {

class Ring {
 public:
  virtual ~Ring() = default;

  // An SQE, never null, to be filled completely by an io_uring_prep_*
  // call (it is not cleared): when the submission queue is full the ring
  // submits what it holds and retries (counted in sq_full_retries()).
  virtual io_uring_sqe* GetSqe() = 0;

  // Makes room for `n` SQEs in a row, submitting what is queued if the
  // queue has less: a linked chain must reach the kernel in one submission,
  // since each submission ends any chain left open in it.
  virtual void ReserveSqes(unsigned n) = 0;

  // Submits queued SQEs and waits until at least `wait_nr` completions are
  // ready or `timeout_ns` (relative; < 0 waits without limit; 0 does not
  // wait) has passed. Returns the number of SQEs submitted, or -errno for an
  // error other than the timeout or an interrupted wait (both are normal).
  virtual int SubmitAndWait(unsigned wait_nr, int64_t timeout_ns) = 0;

  // Fills `cqes` with up to `max` ready completions without consuming them.
  virtual unsigned PeekCqes(io_uring_cqe** cqes, unsigned max) = 0;

  // Marks `n` completions returned by PeekCqes() as consumed.
  virtual void AdvanceCq(unsigned n) = 0;

  // Setup-time registrations (not the data path).
  // Hands `buffers` to the kernel as provided-buffer group `group_id`.
  [[nodiscard]] virtual absl::Status RegisterBuffers(BufferRing& buffers,
                                                     uint16_t group_id) = 0;
  // Installs the regular descriptor `fd` at fixed-table `index` (the
  // fallback path for kernels without socket setup through the ring); the
  // caller may close `fd` afterwards. Returns 0 or -errno.
  virtual int InstallFixedFile(unsigned index, int fd) = 0;

  // Counters for the health report.
  uint64_t sq_full_retries() const { return sq_full_retries_; }
  virtual uint64_t cq_overflows() const = 0;

 protected:
  uint64_t sq_full_retries_ = 0;
};

struct RingOptions {
  unsigned sq_entries = 4096;
  unsigned cq_entries = 65536;      // rounded up to a power of two by the kernel
  unsigned fixed_files = 0;         // sparse fixed-file table size, 0: none
  // [alloc_range_begin, alloc_range_begin + alloc_range_count) is where the
  // kernel picks indices for accept-direct with IORING_FILE_INDEX_ALLOC.
  unsigned alloc_range_begin = 0;
  unsigned alloc_range_count = 0;
};

// The kernel ring. Create it on the thread that will use it.
class UringRing final : public Ring {
 public:
  // Sets the ring up (see ring.cc for why each flag is set), registers the
  // ring fd and a sparse fixed-file table. Fails with a message naming the
  // missing feature or limit.
  [[nodiscard]] static absl::StatusOr<std::unique_ptr<UringRing>> Create(
      const RingOptions& options);
  ~UringRing() override;

  UringRing(const UringRing&) = delete;
  UringRing& operator=(const UringRing&) = delete;

  io_uring_sqe* GetSqe() override;
  void ReserveSqes(unsigned n) override;
  int SubmitAndWait(unsigned wait_nr, int64_t timeout_ns) override;
  unsigned PeekCqes(io_uring_cqe** cqes, unsigned max) override;
  void AdvanceCq(unsigned n) override;
  uint64_t cq_overflows() const override;
  absl::Status RegisterBuffers(BufferRing& buffers, uint16_t group_id) override;
  int InstallFixedFile(unsigned index, int fd) override;

  io_uring* raw() { return &ring_; }
  unsigned sq_entries() const { return ring_.sq.ring_entries; }
  unsigned cq_entries() const { return ring_.cq.ring_entries; }

 private:
  UringRing() = default;
  io_uring ring_{};
  bool initialised_ = false;
};

}  // namespace tcpkali::engine

#endif  // TCPKALI_ENGINE_RING_H_
