// Tag: what a completion is about, packed into the 64-bit user_data of its
// submission so that a completion is decoded without dereferencing
// anything. A tag names an operation, a connection slot and the slot's
// generation at submit time; a completion whose generation no longer
// matches its slot belongs to a connection that has ended and the slot has
// since been reused, and is dropped (after returning any buffer it holds).
//
// Layout: | op: 8 bits | generation: 24 bits | slot: 32 bits |
//
// Example:
//   sqe->user_data = Tag{Op::kConnect, slot, conn.generation}.Pack();
//   ...
//   Tag tag = Tag::Unpack(cqe->user_data);
//   if (tag.generation != slab[tag.slot].generation) { /* stale */ }
#ifndef TCPKALI_ENGINE_TAG_H_
#define TCPKALI_ENGINE_TAG_H_

#include <cstdint>

namespace tcpkali::engine {

enum class Op : uint8_t {
  kNone = 0,      // user_data 0: never submitted by the engine
  kSocket,        // direct socket creation (failures only: CQE_SKIP_SUCCESS)
  kSetsockopt,    // setsockopt through URING_CMD (failures only)
  kBind,          // source address bind (failures only)
  kConnect,       // outgoing connect
  kRecv,          // multishot receive
  kSend,          // one send in flight per connection
  kShutdown,      // shutdown before close (failures only)
  kClose,         // close of the direct descriptor
  kAccept,        // multishot accept on a worker's listener
  kListen,        // listener setup
  kWake,          // read on the worker's wake-up eventfd
  kCancel,        // async cancel of a slot's operation (failures only)
};

inline constexpr uint32_t kGenerationBits = 24;
inline constexpr uint32_t kGenerationMask = (1u << kGenerationBits) - 1;

struct Tag {
  Op op = Op::kNone;
  uint32_t slot = 0;
  uint32_t generation = 0;  // only the low kGenerationBits are kept

  constexpr uint64_t Pack() const {
    return (static_cast<uint64_t>(op) << 56) |
           (static_cast<uint64_t>(generation & kGenerationMask) << 32) | slot;
  }

  static constexpr Tag Unpack(uint64_t user_data) {
    return Tag{static_cast<Op>(user_data >> 56),
               static_cast<uint32_t>(user_data),
               static_cast<uint32_t>(user_data >> 32) & kGenerationMask};
  }
};

}  // namespace tcpkali::engine

#endif  // TCPKALI_ENGINE_TAG_H_
