#include "engine/marker_scanner.h"

#include <array>
#include <cstring>  // memmem, a GNU extension (g++ defines _GNU_SOURCE)

namespace tcpkali::engine {
namespace {

constexpr uint8_t kPrefixBytes = kMarkerPrefix.size();
constexpr uint8_t kDotExpected = kPrefixBytes + kMarkerHexDigits;

// The KMP failure function of kMarkerPrefix: kBorder[s] is the longest proper
// border of its first s bytes ("TCPKaliMsgT" falls back to "T").
constexpr std::array<uint8_t, kPrefixBytes + 1> ComputeBorders() {
  std::array<uint8_t, kPrefixBytes + 1> border{};
  uint8_t k = 0;
  for (uint8_t s = 1; s < kPrefixBytes; ++s) {
    while (k > 0 && kMarkerPrefix[s] != kMarkerPrefix[k]) k = border[k];
    if (kMarkerPrefix[s] == kMarkerPrefix[k]) ++k;
    border[s + 1] = k;
  }
  return border;
}
constexpr std::array<uint8_t, kPrefixBytes + 1> kBorder = ComputeBorders();
static_assert(kBorder[11] == 1 && kBorder[12] == 0);

// 0..15 for a hex digit, -1 for anything else.
int HexValue(uint8_t c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

// One KMP transition over the prefix from `progress` (< kPrefixBytes).
uint8_t StepPrefix(uint8_t progress, uint8_t c) {
  while (progress > 0 && static_cast<uint8_t>(kMarkerPrefix[progress]) != c) {
    progress = kBorder[progress];
  }
  return static_cast<uint8_t>(kMarkerPrefix[progress]) == c ? progress + 1 : 0;
}

// With nothing pending at data[i]: jumps to just past the next whole prefix,
// or leaves the state at the prefix bytes the buffer ends with. Returns the
// offset to continue from (len when the buffer is used up).
size_t SkipToPrefix(MarkerScanState& state, const uint8_t* data, size_t i,
                    size_t len) {
  if (const void* hit =
          memmem(data + i, len - i, kMarkerPrefix.data(), kPrefixBytes)) {
    state.progress = kPrefixBytes;
    state.value_us = 0;
    return static_cast<size_t>(static_cast<const uint8_t*>(hit) - data) +
           kPrefixBytes;
  }
  // No whole prefix: only its last kPrefixBytes - 1 bytes can start one.
  size_t tail = len - i < kPrefixBytes ? i : len - (kPrefixBytes - 1);
  for (; tail < len; ++tail) {
    state.progress = StepPrefix(state.progress, data[tail]);
  }
  return len;
}

}  // namespace

size_t FindNextMarker(MarkerScanState& state, const uint8_t* data, size_t len,
                      uint64_t& timestamp_us) {
  size_t i = 0;
  while (i < len) {
    const uint8_t progress = state.progress;
    if (progress == 0) {
      i = SkipToPrefix(state, data, i, len);
      continue;
    }
    const uint8_t c = data[i];
    if (progress < kPrefixBytes) {
      state.progress = StepPrefix(progress, c);
      if (state.progress == kPrefixBytes) state.value_us = 0;
      ++i;
    } else if (progress < kDotExpected) {
      const int digit = HexValue(c);
      if (digit < 0) {
        state.progress = 0;  // malformed; `c` may start the next marker
        continue;
      }
      state.value_us = state.value_us << 4 | static_cast<uint64_t>(digit);
      state.progress = progress + 1;
      ++i;
    } else {
      state.progress = 0;
      if (c == '.') {
        timestamp_us = state.value_us;
        return i + 1;
      }
      // Malformed (a 17th digit, or anything else): rescan `c`.
    }
  }
  return kNoMarker;
}

void WriteMarker(uint64_t timestamp_us, char* out) {
  static constexpr char kHex[] = "0123456789abcdef";
  std::memcpy(out, kMarkerPrefix.data(), kPrefixBytes);
  for (size_t d = 0; d < kMarkerHexDigits; ++d) {
    const int shift = 4 * static_cast<int>(kMarkerHexDigits - 1 - d);
    out[kPrefixBytes + d] = kHex[(timestamp_us >> shift) & 0xF];
  }
  out[kMarkerBytes - 1] = '.';
}

}  // namespace tcpkali::engine
