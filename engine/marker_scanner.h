// MarkerScanner: finds the timestamps that `\{message.marker}` put into
// messages, in a received stream that arrives in arbitrary pieces
// (--message-marker: message rate and one-way latency). A marker is
//     TCPKaliMsgTS-<16 hex digits>.
// 30 bytes, the digits being microseconds since the Unix epoch (either
// case is accepted; WriteMarker() writes lower case). A marker may be split
// anywhere across receive buffers; each connection keeps a 16-byte
// MarkerScanState and nothing of the stream itself. Anything that starts
// like a marker but is not one (too few or too many digits, a non-hex byte,
// no final '.') is skipped, and scanning resumes at the byte that broke it,
// so a marker right after a broken one is still found. Markers cannot
// overlap, so every well-formed one is reported, in stream order.
//
// Example:
//   MarkerScanState state;                    // per connection, in its slot
//   ScanMarkers(state, buf, len, [&](uint64_t sent_us) {
//     histogram.Record(now_us - sent_us);
//   });
#ifndef TCPKALI_ENGINE_MARKER_SCANNER_H_
#define TCPKALI_ENGINE_MARKER_SCANNER_H_

#include <cstddef>
#include <cstdint>
#include <string_view>

namespace tcpkali::engine {

inline constexpr std::string_view kMarkerPrefix = "TCPKaliMsgTS-";
inline constexpr size_t kMarkerHexDigits = 16;
inline constexpr size_t kMarkerBytes =
    kMarkerPrefix.size() + kMarkerHexDigits + 1;  // 30

// How far into a marker the stream currently is. Zero-initialise for a new
// stream. Owned by the connection's worker.
struct MarkerScanState {
  uint64_t value_us = 0;  // the hex digits read so far
  // 0..13: bytes of kMarkerPrefix matched; 13 + n: n hex digits read;
  // 29: all digits read, '.' expected.
  uint8_t progress = 0;
};
static_assert(sizeof(MarkerScanState) <= 16);

// What FindNextMarker() returns when no marker ends in the buffer.
inline constexpr size_t kNoMarker = static_cast<size_t>(-1);

// Continues the stream whose state is `state` over data[0, len): returns the
// offset just past the first marker that ends in this buffer and stores its
// timestamp in `timestamp_us`, or returns kNoMarker (`timestamp_us`
// untouched). `state` is updated either way, so calling it again on the rest
// of the buffer finds the next marker.
[[nodiscard]] size_t FindNextMarker(MarkerScanState& state, const uint8_t* data,
                                    size_t len, uint64_t& timestamp_us);

// Calls on_marker(timestamp_us) for every marker that ends in data[0, len),
// in stream order. `on_marker` must not touch `state`.
template <typename Fn>
void ScanMarkers(MarkerScanState& state, const uint8_t* data, size_t len,
                 Fn&& on_marker) {
  size_t pos = 0;
  while (pos < len) {
    uint64_t timestamp_us = 0;
    const size_t end =
        FindNextMarker(state, data + pos, len - pos, timestamp_us);
    if (end == kNoMarker) return;
    pos += end;
    on_marker(timestamp_us);
  }
}

// Writes the kMarkerBytes-byte marker for `timestamp_us` to `out` (no NUL):
// the one definition of the format, for the message compiler and tests.
void WriteMarker(uint64_t timestamp_us, char* out);

}  // namespace tcpkali::engine

#endif  // TCPKALI_ENGINE_MARKER_SCANNER_H_
