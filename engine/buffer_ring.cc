#include "engine/buffer_ring.h"

#include <sys/mman.h>

#include <cerrno>
#include <cstring>
#include <utility>

#include "absl/strings/str_cat.h"

namespace tcpkali::engine {
namespace {

void* MapZeroed(size_t bytes) {
  void* p = mmap(nullptr, bytes, PROT_READ | PROT_WRITE,
                 MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  return p == MAP_FAILED ? nullptr : p;
}

}  // namespace

absl::StatusOr<BufferRing> BufferRing::Create(uint32_t count,
                                              uint32_t buffer_bytes) {
  if (count == 0 || count > 32768 || (count & (count - 1)) != 0) {
    return absl::InvalidArgumentError(
        absl::StrCat("buffer ring: ", count,
                     " buffers; need a power of two up to 32768"));
  }
  BufferRing pool;
  pool.count_ = count;
  pool.buffer_bytes_ = buffer_bytes;
  pool.mask_ = io_uring_buf_ring_mask(count);
  pool.ring_bytes_ = sizeof(io_uring_buf) * count;
  pool.ring_ = static_cast<io_uring_buf_ring*>(MapZeroed(pool.ring_bytes_));
  pool.buffers_bytes_ = static_cast<size_t>(count) * buffer_bytes;
  pool.buffers_ = static_cast<uint8_t*>(MapZeroed(pool.buffers_bytes_));
  if (pool.ring_ == nullptr || pool.buffers_ == nullptr) {
    return absl::ResourceExhaustedError(
        absl::StrCat("buffer ring: cannot map ", pool.buffers_bytes_,
                     " bytes of receive buffers: ", std::strerror(errno)));
  }
  io_uring_buf_ring_init(pool.ring_);
  for (uint32_t id = 0; id < count; ++id) pool.Return(static_cast<uint16_t>(id));
  pool.Publish();
  return pool;
}

BufferRing::BufferRing(BufferRing&& other) noexcept { *this = std::move(other); }

BufferRing& BufferRing::operator=(BufferRing&& other) noexcept {
  if (this != &other) {
    Release();
    ring_ = std::exchange(other.ring_, nullptr);
    ring_bytes_ = other.ring_bytes_;
    buffers_ = std::exchange(other.buffers_, nullptr);
    buffers_bytes_ = other.buffers_bytes_;
    count_ = other.count_;
    buffer_bytes_ = other.buffer_bytes_;
    mask_ = other.mask_;
    pending_ = other.pending_;
    registered_with_ = std::exchange(other.registered_with_, nullptr);
    group_id_ = other.group_id_;
  }
  return *this;
}

BufferRing::~BufferRing() { Release(); }

void BufferRing::Release() {
  if (registered_with_ != nullptr) {
    io_uring_unregister_buf_ring(registered_with_, group_id_);
    registered_with_ = nullptr;
  }
  if (ring_ != nullptr) munmap(ring_, ring_bytes_);
  if (buffers_ != nullptr) munmap(buffers_, buffers_bytes_);
  ring_ = nullptr;
  buffers_ = nullptr;
}

absl::Status BufferRing::Register(io_uring* ring, uint16_t group_id) {
  io_uring_buf_reg reg{};
  reg.ring_addr = reinterpret_cast<uint64_t>(ring_);
  reg.ring_entries = count_;
  reg.bgid = group_id;
  const int rc = io_uring_register_buf_ring(ring, &reg, 0);
  if (rc < 0) {
    return absl::FailedPreconditionError(
        absl::StrCat("io_uring: cannot register the receive buffer ring: ",
                     std::strerror(-rc)));
  }
  registered_with_ = ring;
  group_id_ = group_id;
  return absl::OkStatus();
}

uint16_t BufferRing::PeekNextForTest(unsigned consumed) const {
  const uint16_t head = static_cast<uint16_t>(consumed);
  return ring_->bufs[head & mask_].bid;
}

}  // namespace tcpkali::engine
