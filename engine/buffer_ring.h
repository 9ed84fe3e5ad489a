// BufferRing: a worker's pool of receive buffers, handed to the kernel as a
// provided buffer ring (io_uring_register_buf_ring). Multishot receives pick
// a buffer when data arrives, so receive memory is per worker and never per
// connection: a million idle connections cost no receive buffers at all.
//
// Owned by one worker thread. Buffers go back with Return() as the worker
// finishes with them and become visible to the kernel in one step with
// Publish(), once per completion batch.
//
// Example:
//   absl::StatusOr<BufferRing> pool = BufferRing::Create(256, 16384);
//   pool->Register(ring.raw(), /*group_id=*/0);
//   ... cqe with IORING_CQE_F_BUFFER: id = cqe->flags >> IORING_CQE_BUFFER_SHIFT
//   Consume(pool->Data(id), cqe->res);
//   pool->Return(id);
//   pool->Publish();  // after the batch
#ifndef TCPKALI_ENGINE_BUFFER_RING_H_
#define TCPKALI_ENGINE_BUFFER_RING_H_

#include <liburing.h>

#include <cstddef>
#include <cstdint>

#include "absl/status/status.h"
#include "absl/status/statusor.h"

namespace tcpkali::engine {

class BufferRing {
 public:
  // `count` buffers (a power of two, at most 32768) of `buffer_bytes` each,
  // all initially available. Memory is mapped lazily: untouched buffers
  // cost no RSS.
  [[nodiscard]] static absl::StatusOr<BufferRing> Create(uint32_t count,
                                                         uint32_t buffer_bytes);
  BufferRing(BufferRing&& other) noexcept;
  BufferRing& operator=(BufferRing&& other) noexcept;
  ~BufferRing();

  // Registers the ring with the kernel as buffer group `group_id`.
  [[nodiscard]] absl::Status Register(io_uring* ring, uint16_t group_id);

  uint8_t* Data(uint16_t id) const {
    return buffers_ + static_cast<size_t>(id) * buffer_bytes_;
  }
  uint32_t buffer_bytes() const { return buffer_bytes_; }
  uint32_t count() const { return count_; }

  // Queues buffer `id` to be handed back to the kernel by Publish().
  void Return(uint16_t id) {
    io_uring_buf_ring_add(ring_, Data(id), buffer_bytes_, id, mask_,
                          pending_++);
  }
  // Makes every returned buffer visible to the kernel.
  void Publish() {
    if (pending_ == 0) return;
    io_uring_buf_ring_advance(ring_, pending_);
    pending_ = 0;
  }

  // For a fake kernel in tests: the id the kernel would pick next.
  uint16_t PeekNextForTest(unsigned consumed) const;

 private:
  BufferRing() = default;
  void Release();

  io_uring_buf_ring* ring_ = nullptr;
  size_t ring_bytes_ = 0;
  uint8_t* buffers_ = nullptr;
  size_t buffers_bytes_ = 0;
  uint32_t count_ = 0;
  uint32_t buffer_bytes_ = 0;
  int mask_ = 0;
  int pending_ = 0;
  io_uring* registered_with_ = nullptr;
  uint16_t group_id_ = 0;
};

}  // namespace tcpkali::engine

#endif  // TCPKALI_ENGINE_BUFFER_RING_H_
