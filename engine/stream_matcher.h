// StreamMatcher: finds a fixed byte string (--message-stop, --latency-marker)
// in a received TCP stream that arrives in arbitrary pieces, without ever
// copying the stream. The matcher is compiled once per run and shared,
// read-only, by every worker; each connection keeps only a 4-byte state (how
// much of the pattern the stream currently ends with), so a marker split
// across receive buffers is still found.
//
// Occurrences are counted without overlap, leftmost first: after a match the
// search starts afresh after its last byte, so "aaa" is found once in
// "aaaaa" and twice in "aaaaaa". This is what a reply counter wants: each
// sighting stands for one reply, and no byte is counted in two of them.
//
// Cost: memmem()/memchr() over each buffer while no partial match is
// pending (the common case), a Knuth-Morris-Pratt step per byte otherwise;
// linear in the stream either way, no allocation.
//
// Example:
//   absl::StatusOr<StreamMatcher> stop = StreamMatcher::Create("QUIT");
//   uint32_t state = 0;                       // per connection, in its slot
//   stop->Scan(state, buf, len, [&](size_t end) { /* "QUIT" ends at end */ });
//   stop->Scan(state, next_buf, next_len, ...);  // continues the same stream
#ifndef TCPKALI_ENGINE_STREAM_MATCHER_H_
#define TCPKALI_ENGINE_STREAM_MATCHER_H_

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"

namespace tcpkali::engine {

// Immutable after Create(); safe to share between threads. Movable.
class StreamMatcher {
 public:
  // What FindNext() returns when the buffer holds no (end of a) match.
  static constexpr size_t kNoMatch = static_cast<size_t>(-1);

  // Compiles `pattern` (any bytes, NULs included).
  // Fails with InvalidArgument when the pattern is empty or longer than
  // 1 GiB.
  [[nodiscard]] static absl::StatusOr<StreamMatcher> Create(
      std::string_view pattern);

  std::string_view pattern() const { return pattern_; }

  // Continues the stream whose state is `state` (0 for a new stream) over
  // data[0, len): returns the offset just past the first match that ends in
  // this buffer, or kNoMatch. `state` is updated either way, so calling it
  // again on the rest of the buffer finds the next match.
  [[nodiscard]] size_t FindNext(uint32_t& state, const uint8_t* data,
                                size_t len) const;

  // Calls on_match(end) for every match that ends in data[0, len), in
  // order, where `end` is the offset just past the match's last byte in this
  // buffer (1..len). `on_match` must not touch `state`.
  template <typename Fn>
  void Scan(uint32_t& state, const uint8_t* data, size_t len,
            Fn&& on_match) const {
    size_t pos = 0;
    while (pos < len) {
      const size_t end = FindNext(state, data + pos, len - pos);
      if (end == kNoMatch) return;
      pos += end;
      on_match(pos);
    }
  }

 private:
  explicit StreamMatcher(std::string_view pattern);

  // One KMP transition from `state` (< pattern size) on byte `c`.
  uint32_t Step(uint32_t state, uint8_t c) const;

  std::string pattern_;
  // border_[s]: the length of the longest proper prefix of pattern_[0, s)
  // that is also its suffix (the KMP failure function), for s in [0, size].
  std::vector<uint32_t> border_;
};

}  // namespace tcpkali::engine

#endif  // TCPKALI_ENGINE_STREAM_MATCHER_H_
