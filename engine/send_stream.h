// Send streams: the repeated messages laid out back to back, so that an
// unpaced connection sends many messages per send (write combining) from
// one buffer, and message counts follow exactly from bytes sent.
//
// The stream a connection sends is the infinite repetition of one cycle:
// repeated[0], repeated[1], ..., repeated[k-1], repeated[0], ... A buffer
// holds a whole number of cycles, so a sender that wraps from its end back
// to its start stays on message boundaries, and
// MessagesCompletedAt(message_ends, n) says how many whole messages the
// first n bytes of the stream contain.
//
//   StaticStream    every repeated message is kStatic: one read-only buffer
//                   (256 KiB to 4 MiB, StaticStreamTargetBytes()) shared
//                   by every connection of the run.
//   per connection  no message is kPerMessage but some are kPerConnection:
//                   the engine sizes a buffer with ConnectionStreamBytes()
//                   and fills it with ExpandConnectionStream() when the
//                   connection starts.
// With kPerMessage messages there is no stream: each message is expanded
// at send time (CompiledMessage::Expand).
//
// Example:
//   absl::StatusOr<StaticStream> stream = StaticStream::Build(m.repeated);
//   // send from stream->data() + sent % stream->size() ...
//   uint64_t messages = stream->MessagesCompletedAt(bytes_sent);
#ifndef TCPKALI_ENGINE_SEND_STREAM_H_
#define TCPKALI_ENGINE_SEND_STREAM_H_

#include <cstddef>
#include <cstdint>
#include <span>
#include <vector>

#include "absl/status/statusor.h"
#include "engine/message_template.h"

namespace tcpkali::engine {

// The default size a stream buffer grows to by whole cycles.
inline constexpr size_t kDefaultStreamTargetBytes = 64 * 1024;

// The size a run's static stream grows to, by how many connections send
// from it (0: not known, as for a listener's). An unpaced send takes at
// most the stream's end, and the kernel takes up to a send buffer's worth
// (4 MiB by default) at once: one connection sending 4 MiB per send moves
// 1.6x the bytes per CPU-second it does at 256 KiB (bench/RESULTS.md).
// Among many connections each send buffer holds less and the gain is gone,
// while a small stream stays in the cache: 4 MiB for one connection,
// halving as connections double, down to 256 KiB from 16 on.
size_t StaticStreamTargetBytes(uint64_t connections);

// How many whole messages the first `stream_bytes` bytes of the repeated
// cycle contain. `message_ends` holds the end offset of each message in one
// cycle, strictly increasing, the last being the cycle length (so it is
// never empty). O(log k), no allocation.
uint64_t MessagesCompletedAt(std::span<const uint64_t> message_ends,
                             uint64_t stream_bytes);

// How many cycles of `cycle_bytes` fill `target_bytes`: at least one.
inline uint64_t CyclesFor(uint64_t cycle_bytes, uint64_t target_bytes) {
  const uint64_t cycles = cycle_bytes ? target_bytes / cycle_bytes : 1;
  return cycles ? cycles : 1;
}

// The shared buffer for an all-static message cycle. Built once at start,
// then read-only: any thread may read it.
class StaticStream {
 public:
  // Lays out `repeated` (non-empty, every message kStatic) as many whole
  // cycles as fit in `target_bytes`, at least one. Fails with
  // FailedPrecondition when a message is not static or there is none.
  [[nodiscard]] static absl::StatusOr<StaticStream> Build(
      const std::vector<CompiledMessage>& repeated,
      size_t target_bytes = kDefaultStreamTargetBytes);

  const uint8_t* data() const { return bytes_.data(); }
  size_t size() const { return bytes_.size(); }  // a multiple of cycle_bytes
  uint64_t cycle_bytes() const { return ends_.back(); }
  size_t messages_per_cycle() const { return ends_.size(); }
  std::span<const uint64_t> message_ends() const { return ends_; }

  // See the free function: whole messages in the first `stream_bytes`.
  uint64_t MessagesCompletedAt(uint64_t stream_bytes) const {
    return engine::MessagesCompletedAt(ends_, stream_bytes);
  }

 private:
  StaticStream() = default;
  std::vector<uint8_t> bytes_;
  std::vector<uint64_t> ends_;
};

// The buffer size ExpandConnectionStream() needs for any connection:
// whole cycles of the longest possible expansion, about `target_bytes`.
// `repeated` must be non-empty.
size_t ConnectionStreamBytes(const std::vector<CompiledMessage>& repeated,
                             size_t target_bytes = kDefaultStreamTargetBytes);

struct ConnectionStream {
  size_t bytes = 0;  // written to the buffer: whole cycles
  uint64_t cycle_bytes = 0;
};

// Expands one cycle of `repeated` (no kPerMessage message; ctx.rng may be
// null) for the connection in `ctx` into `out`, which has room for
// ConnectionStreamBytes(repeated, target_bytes), repeats it to whole
// cycles as that size allows, and writes the end offset of each message of
// the cycle to `message_ends` (room for repeated.size() entries). No
// allocation, no failure.
ConnectionStream ExpandConnectionStream(
    const std::vector<CompiledMessage>& repeated, const ExpandContext& ctx,
    size_t target_bytes, uint8_t* out, uint64_t* message_ends);

}  // namespace tcpkali::engine

#endif  // TCPKALI_ENGINE_SEND_STREAM_H_
