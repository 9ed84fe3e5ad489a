#include "engine/send_stream.h"

#include <algorithm>
#include <cstring>

#include "absl/status/status.h"

namespace tcpkali::engine {
namespace {

uint64_t MaxCycleBytes(const std::vector<CompiledMessage>& repeated) {
  uint64_t bytes = 0;
  for (const CompiledMessage& m : repeated) bytes += m.max_bytes();
  return bytes;
}

}  // namespace

uint64_t MessagesCompletedAt(std::span<const uint64_t> message_ends,
                             uint64_t stream_bytes) {
  const uint64_t cycle = message_ends.back();
  const uint64_t whole_cycles = stream_bytes / cycle;
  const uint64_t rest = stream_bytes % cycle;
  // Messages of the current cycle that end at or before `rest`.
  const auto done =
      std::upper_bound(message_ends.begin(), message_ends.end(), rest) -
      message_ends.begin();
  return whole_cycles * message_ends.size() + static_cast<uint64_t>(done);
}

absl::StatusOr<StaticStream> StaticStream::Build(
    const std::vector<CompiledMessage>& repeated, size_t target_bytes) {
  if (repeated.empty()) {
    return absl::FailedPreconditionError("static stream without messages");
  }
  StaticStream stream;
  uint64_t end = 0;
  for (const CompiledMessage& m : repeated) {
    if (m.scope() != MessageScope::kStatic) {
      return absl::FailedPreconditionError(
          "static stream of a message that is not static");
    }
    end += m.static_bytes().size();
    stream.ends_.push_back(end);
  }
  const uint64_t cycles = CyclesFor(end, target_bytes);
  stream.bytes_.reserve(cycles * end);
  for (uint64_t c = 0; c < cycles; ++c) {
    for (const CompiledMessage& m : repeated) {
      const std::string_view bytes = m.static_bytes();
      stream.bytes_.insert(stream.bytes_.end(), bytes.begin(), bytes.end());
    }
  }
  return stream;
}

size_t StaticStreamTargetBytes(uint64_t connections) {
  constexpr size_t kMost = 4 << 20, kLeast = 256 << 10;
  if (connections == 0) return kLeast;
  return std::clamp<size_t>(kMost / std::min<uint64_t>(connections, kMost), kLeast, kMost);
}

size_t ConnectionStreamBytes(const std::vector<CompiledMessage>& repeated,
                             size_t target_bytes) {
  const uint64_t max_cycle = MaxCycleBytes(repeated);
  return CyclesFor(max_cycle, target_bytes) * max_cycle;
}

ConnectionStream ExpandConnectionStream(
    const std::vector<CompiledMessage>& repeated, const ExpandContext& ctx,
    size_t target_bytes, uint8_t* out, uint64_t* message_ends) {
  uint64_t end = 0;
  for (size_t i = 0; i < repeated.size(); ++i) {
    end += repeated[i].Expand(ctx, out + end);
    message_ends[i] = end;
  }
  // Sized by the longest expansion, so this connection's (possibly
  // shorter) cycle fits as many times.
  const uint64_t cycles = CyclesFor(MaxCycleBytes(repeated), target_bytes);
  for (uint64_t c = 1; c < cycles; ++c) {
    std::memcpy(out + c * end, out, end);
  }
  return {.bytes = static_cast<size_t>(cycles * end), .cycle_bytes = end};
}

}  // namespace tcpkali::engine
