#include "engine/ring.h"

#include <cerrno>
#include <cstring>

#include "absl/strings/str_cat.h"

namespace tcpkali::engine {
namespace {

absl::Status RingError(const char* what, int err) {
  std::string message =
      absl::StrCat("io_uring: ", what, ": ", std::strerror(err));
  if (err == ENOMEM) {
    absl::StrAppend(&message,
                    "; the kernel could not allocate the ring: use fewer "
                    "workers (-w) or raise `ulimit -l`");
  } else if (err == EMFILE || err == ENFILE) {
    absl::StrAppend(&message,
                    "; out of file descriptors: raise `ulimit -n` or "
                    "fs.file-max");
  }
  return absl::ResourceExhaustedError(message);
}

}  // namespace

absl::StatusOr<std::unique_ptr<UringRing>> UringRing::Create(
    const RingOptions& options) {
  std::unique_ptr<UringRing> ring(new UringRing());
  io_uring_params params{};
  // SINGLE_ISSUER: only the worker thread submits, which lets the kernel
  // skip submission locking.
  // DEFER_TASKRUN: completion work runs when the worker enters the kernel to
  // wait, in one batch, instead of interrupting it whenever a packet lands.
  // CQSIZE: a burst of completions (a ramp-up, a storm of resets) must fit
  // without overflowing; CLAMP caps it at the kernel's maximum.
  // SUBMIT_ALL: one failing SQE must not stop the rest of the batch.
  params.flags = IORING_SETUP_SINGLE_ISSUER | IORING_SETUP_DEFER_TASKRUN |
                 IORING_SETUP_CQSIZE | IORING_SETUP_CLAMP |
                 IORING_SETUP_SUBMIT_ALL;
  params.cq_entries = options.cq_entries;
  int rc = io_uring_queue_init_params(options.sq_entries, &ring->ring_, &params);
  if (rc < 0) return RingError("setup", -rc);
  ring->initialised_ = true;

  // A registered ring fd saves an fd lookup on every io_uring_enter.
  (void)io_uring_register_ring_fd(&ring->ring_);

  if (options.fixed_files > 0) {
    rc = io_uring_register_files_sparse(&ring->ring_, options.fixed_files);
    if (rc < 0) return RingError("fixed-file table", -rc);
    if (options.alloc_range_count > 0) {
      rc = io_uring_register_file_alloc_range(
          &ring->ring_, options.alloc_range_begin, options.alloc_range_count);
      if (rc < 0) return RingError("fixed-file allocation range", -rc);
    }
  }
  return ring;
}

UringRing::~UringRing() {
  if (initialised_) io_uring_queue_exit(&ring_);
}

io_uring_sqe* UringRing::GetSqe() {
  io_uring_sqe* sqe = io_uring_get_sqe(&ring_);
  while (sqe == nullptr) {
    // Full: hand what is queued to the kernel and take a fresh slot.
    ++sq_full_retries_;
    io_uring_submit(&ring_);
    sqe = io_uring_get_sqe(&ring_);
  }
  return sqe;
}

void UringRing::ReserveSqes(unsigned n) {
  if (io_uring_sq_space_left(&ring_) >= n) return;
  ++sq_full_retries_;
  io_uring_submit(&ring_);
}

int UringRing::SubmitAndWait(unsigned wait_nr, int64_t timeout_ns) {
  int rc;
  if (timeout_ns < 0) {
    rc = io_uring_submit_and_wait(&ring_, wait_nr);
  } else if (timeout_ns == 0 || wait_nr == 0) {
    // Under DEFER_TASKRUN completions are only posted when the kernel is
    // asked for events, so even a non-waiting pass asks for them.
    rc = io_uring_submit_and_get_events(&ring_);
  } else {
    __kernel_timespec ts{.tv_sec = timeout_ns / 1'000'000'000,
                         .tv_nsec = timeout_ns % 1'000'000'000};
    io_uring_cqe* cqe = nullptr;
    rc = io_uring_submit_and_wait_timeout(&ring_, &cqe, wait_nr, &ts, nullptr);
  }
  if (rc == -ETIME || rc == -EINTR || rc == -EAGAIN || rc == -EBUSY) return 0;
  return rc;
}

unsigned UringRing::PeekCqes(io_uring_cqe** cqes, unsigned max) {
  return io_uring_peek_batch_cqe(&ring_, cqes, max);
}

void UringRing::AdvanceCq(unsigned n) { io_uring_cq_advance(&ring_, n); }

absl::Status UringRing::RegisterBuffers(BufferRing& buffers, uint16_t group_id) {
  return buffers.Register(&ring_, group_id);
}

int UringRing::InstallFixedFile(unsigned index, int fd) {
  const int rc = io_uring_register_files_update(&ring_, index, &fd, 1);
  return rc < 0 ? rc : 0;
}

uint64_t UringRing::cq_overflows() const {
  return ring_.cq.koverflow ? *ring_.cq.koverflow : 0;
}

}  // namespace tcpkali::engine
