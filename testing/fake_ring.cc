#include "testing/fake_ring.h"

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <utility>

namespace tcpkali::testing {
namespace {

// SubmitAndWait() calls in a row that would block forever on a real ring
// before the fake gives up on the test.
constexpr uint64_t kMaxWaitsForever = 10000;

[[noreturn]] void Fail(const char* what) {
  std::fprintf(stderr, "FakeRing: %s\n", what);
  std::abort();
}

}  // namespace

FakeRing::FakeRing(const engine::RingOptions& ring_options,
                   FakeRingOptions options)
    : ring_options_(ring_options), options_(std::move(options)) {
  const unsigned entries = options_.sq_entries != 0 ? options_.sq_entries
                                                    : ring_options.sq_entries;
  if (entries == 0) Fail("a submission queue needs at least one entry");
  sq_.resize(entries);
}

std::function<absl::StatusOr<std::unique_ptr<engine::Ring>>(
    const engine::RingOptions&)>
FakeRing::Factory(FakeRing** created, FakeRingOptions options) {
  return [created, options = std::move(options)](
             const engine::RingOptions& ring_options)
             -> absl::StatusOr<std::unique_ptr<engine::Ring>> {
    auto ring = std::make_unique<FakeRing>(ring_options, options);
    *created = ring.get();
    return std::unique_ptr<engine::Ring>(std::move(ring));
  };
}

io_uring_sqe* FakeRing::GetSqe() {
  if (prepared_ == sq_.size()) {
    // Full: the real ring submits what it holds and retries.
    ++sq_full_retries_;
    Flush();
  }
  io_uring_sqe* sqe = &sq_[prepared_++];
  std::memset(sqe, options_.poison_sqes ? 0xA5 : 0, sizeof *sqe);
  return sqe;
}

void FakeRing::ReserveSqes(unsigned n) {
  if (sq_.size() - prepared_ >= n) return;
  ++sq_full_retries_;
  Flush();
}

unsigned FakeRing::Flush() {
  const unsigned n = prepared_;
  prepared_ = 0;
  if (n == 0) return 0;
  if (sq_[n - 1].flags & IOSQE_IO_LINK) ++broken_links_;
  for (unsigned i = 0; i < n; ++i) {
    log_.push_back(sq_[i]);
    if (options_.on_submit) options_.on_submit(*this, sq_[i]);
  }
  return n;
}

int FakeRing::SubmitAndWait(unsigned wait_nr, int64_t timeout_ns) {
  ++enters_;
  last_wait_nr_ = wait_nr;
  last_wait_timeout_ns_ = timeout_ns;
  const unsigned n = Flush();
  if (wait_nr > 0 && timeout_ns < 0 && cq_.empty()) {
    if (++waits_forever_ >= kMaxWaitsForever) {
      Fail("the worker waits without a timeout for a completion the test "
           "never queues (it would hang on a real ring)");
    }
  } else {
    waits_forever_ = 0;
  }
  return static_cast<int>(n);
}

unsigned FakeRing::PeekCqes(io_uring_cqe** cqes, unsigned max) {
  unsigned n = 0;
  for (auto it = cq_.begin(); it != cq_.end() && n < max; ++it) {
    cqes[n++] = &*it;
  }
  peeked_ = n;
  return n;
}

void FakeRing::AdvanceCq(unsigned n) {
  if (n > peeked_) Fail("AdvanceCq() past the completions PeekCqes() returned");
  peeked_ -= n;
  for (unsigned i = 0; i < n; ++i) cq_.pop_front();
}

absl::Status FakeRing::RegisterBuffers(engine::BufferRing& buffers,
                                       uint16_t group_id) {
  buffers_ = &buffers;
  buffer_group_ = group_id;
  return absl::OkStatus();
}

int FakeRing::InstallFixedFile(unsigned index, int fd) {
  installed_files_.push_back({index, fd});
  return install_result_;
}

const std::vector<io_uring_sqe>& FakeRing::submitted() {
  Flush();
  return log_;
}

std::vector<io_uring_sqe> FakeRing::TakeSubmitted() {
  Flush();
  std::vector<io_uring_sqe> fresh(log_.begin() + static_cast<ptrdiff_t>(taken_),
                                  log_.end());
  taken_ = log_.size();
  return fresh;
}

std::vector<io_uring_sqe> FakeRing::FindAll(uint8_t opcode) {
  std::vector<io_uring_sqe> found;
  for (const io_uring_sqe& sqe : submitted()) {
    if (sqe.opcode == opcode) found.push_back(sqe);
  }
  return found;
}

std::optional<io_uring_sqe> FakeRing::FindLast(uint8_t opcode) {
  const std::vector<io_uring_sqe>& log = submitted();
  for (auto it = log.rbegin(); it != log.rend(); ++it) {
    if (it->opcode == opcode) return *it;
  }
  return std::nullopt;
}

std::optional<io_uring_sqe> FakeRing::FindLastTagged(engine::Op op,
                                                     uint32_t slot) {
  const std::vector<io_uring_sqe>& log = submitted();
  for (auto it = log.rbegin(); it != log.rend(); ++it) {
    const engine::Tag tag = TagOf(*it);
    if (tag.op == op && tag.slot == slot) return *it;
  }
  return std::nullopt;
}

void FakeRing::Complete(uint64_t user_data, int32_t res, uint32_t flags) {
  io_uring_cqe cqe{};
  cqe.user_data = user_data;
  cqe.res = res;
  cqe.flags = flags;
  cq_.push_back(cqe);
}

bool FakeRing::CompleteLast(uint8_t opcode, int32_t res, uint32_t flags) {
  const std::optional<io_uring_sqe> sqe = FindLast(opcode);
  if (!sqe) return false;
  Complete(sqe->user_data, res, flags);
  return true;
}

bool FakeRing::CompleteLastTagged(engine::Op op, uint32_t slot, int32_t res,
                                  uint32_t flags) {
  const std::optional<io_uring_sqe> sqe = FindLastTagged(op, slot);
  if (!sqe) return false;
  Complete(sqe->user_data, res, flags);
  return true;
}

void FakeRing::CompleteRecv(uint64_t user_data, std::string_view data,
                            uint16_t buffer_id, bool more) {
  if (buffers_ == nullptr) Fail("CompleteRecv() before RegisterBuffers()");
  if (buffer_id >= buffers_->count()) Fail("CompleteRecv(): no such buffer");
  if (data.empty() || data.size() > buffers_->buffer_bytes()) {
    Fail("CompleteRecv(): data must be non-empty and fit one buffer");
  }
  std::memcpy(buffers_->Data(buffer_id), data.data(), data.size());
  uint32_t flags = IORING_CQE_F_BUFFER |
                   (static_cast<uint32_t>(buffer_id) << IORING_CQE_BUFFER_SHIFT);
  if (more) flags |= IORING_CQE_F_MORE;
  Complete(user_data, static_cast<int32_t>(data.size()), flags);
}

uint16_t FakeRing::BufferIdAt(unsigned position) const {
  if (buffers_ == nullptr) Fail("BufferIdAt() before RegisterBuffers()");
  return buffers_->PeekNextForTest(position);
}

}  // namespace tcpkali::testing
