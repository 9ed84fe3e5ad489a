// Fuzz target for the message-marker scanner (engine/marker_scanner.h):
// the stream is fed in random pieces through FindNextMarker() and
// ScanMarkers(), and the timestamps compared with a naive reference that
// tries every offset of the whole stream for a well-formed 30-byte marker.
// Markers cannot overlap, so the reference needs no rule for that.
#include <cstddef>
#include <cstdint>
#include <string_view>
#include <vector>

#include "engine/marker_scanner.h"
#include "testing/fuzz/fuzz_check.h"
#include "testing/fuzz/fuzz_input.h"

namespace tcpkali::testing {
namespace {

using engine::kMarkerBytes;
using engine::kMarkerPrefix;

int Hex(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

struct Found {
  uint64_t timestamp_us;
  size_t end;  // stream offset just past the marker
  bool operator==(const Found&) const = default;
};

std::vector<Found> NaiveMarkers(std::string_view s) {
  std::vector<Found> found;
  for (size_t i = 0; i + kMarkerBytes <= s.size(); ++i) {
    if (s.compare(i, kMarkerPrefix.size(), kMarkerPrefix) != 0) continue;
    uint64_t value = 0;
    bool ok = s[i + kMarkerBytes - 1] == '.';
    for (size_t d = 0; d < engine::kMarkerHexDigits && ok; ++d) {
      const int h = Hex(s[i + kMarkerPrefix.size() + d]);
      ok = h >= 0;
      value = value << 4 | static_cast<uint64_t>(h < 0 ? 0 : h);
    }
    if (ok) found.push_back({value, i + kMarkerBytes});
  }
  return found;
}

const uint8_t* Bytes(std::string_view s) {
  return reinterpret_cast<const uint8_t*>(s.data());
}

std::vector<Found> FindNextMarkers(std::string_view stream,
                                   const std::vector<size_t>& lengths) {
  std::vector<Found> found;
  engine::MarkerScanState state;
  size_t base = 0;
  for (size_t len : lengths) {
    size_t pos = 0;
    while (pos < len) {
      uint64_t ts = 0xDEAD;
      const size_t end = engine::FindNextMarker(
          state, Bytes(stream) + base + pos, len - pos, ts);
      if (end == engine::kNoMarker) {
        TCPKALI_FUZZ_CHECK(ts == 0xDEAD, "timestamp touched without marker");
        break;
      }
      TCPKALI_FUZZ_CHECK(end >= 1 && end <= len - pos, "end ", end);
      pos += end;
      found.push_back({ts, base + pos});
    }
    TCPKALI_FUZZ_CHECK(state.progress < kMarkerBytes);
    base += len;
  }
  return found;
}

std::vector<uint64_t> ScanAll(std::string_view stream,
                              const std::vector<size_t>& lengths) {
  std::vector<uint64_t> found;
  engine::MarkerScanState state;
  size_t base = 0;
  for (size_t len : lengths) {
    engine::ScanMarkers(state, Bytes(stream) + base, len,
                        [&](uint64_t ts) { found.push_back(ts); });
    base += len;
  }
  return found;
}

}  // namespace
}  // namespace tcpkali::testing

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  namespace t = tcpkali::testing;
  t::FuzzInput in(data, size);
  const uint64_t split_seed = in.TakeU64();
  const std::string_view stream = in.Rest();
  const std::vector<t::Found> want = t::NaiveMarkers(stream);
  std::vector<uint64_t> want_ts;
  for (const t::Found& f : want) want_ts.push_back(f.timestamp_us);
  const std::vector<size_t> pieces = t::SplitLengths(stream.size(), split_seed);
  TCPKALI_FUZZ_CHECK(t::FindNextMarkers(stream, pieces) == want,
                     "FindNextMarker disagrees with the naive scan");
  TCPKALI_FUZZ_CHECK(t::ScanAll(stream, pieces) == want_ts,
                     "ScanMarkers disagrees with the naive scan");
  TCPKALI_FUZZ_CHECK(t::ScanAll(stream, {stream.size()}) == want_ts,
                     "ScanMarkers over the whole stream disagrees");
  // WriteMarker's output is found again.
  using tcpkali::engine::kMarkerBytes;
  char marker[kMarkerBytes];
  tcpkali::engine::WriteMarker(split_seed, marker);
  const std::vector<t::Found> written = {{split_seed, kMarkerBytes}};
  TCPKALI_FUZZ_CHECK(t::NaiveMarkers({marker, kMarkerBytes}) == written);
  return 0;
}
