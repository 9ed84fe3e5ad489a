// Fuzz target for engine::StreamMatcher: a pattern and a stream from the
// input, the stream fed in random pieces through FindNext() and Scan(), the
// match positions compared with a naive search of the whole stream
// (leftmost first, without overlap, as the header defines).
#include <cstddef>
#include <cstdint>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "engine/stream_matcher.h"
#include "testing/fuzz/fuzz_check.h"
#include "testing/fuzz/fuzz_input.h"

namespace tcpkali::testing {
namespace {

using engine::StreamMatcher;

// End offsets (one past the last byte) of the matches in the whole stream.
std::vector<size_t> NaiveMatches(std::string_view pattern,
                                 std::string_view stream) {
  std::vector<size_t> ends;
  size_t i = 0;
  while (i + pattern.size() <= stream.size()) {
    if (stream.compare(i, pattern.size(), pattern) == 0) {
      i += pattern.size();
      ends.push_back(i);
    } else {
      ++i;
    }
  }
  return ends;
}

const uint8_t* Bytes(std::string_view s) {
  return reinterpret_cast<const uint8_t*>(s.data());
}

// Matches found by FindNext() over the pieces, as stream offsets.
std::vector<size_t> FindNextMatches(const StreamMatcher& m,
                                    std::string_view stream,
                                    const std::vector<size_t>& lengths) {
  std::vector<size_t> ends;
  uint32_t state = 0;
  size_t base = 0;
  for (size_t len : lengths) {
    size_t pos = 0;
    while (true) {
      const size_t end =
          m.FindNext(state, Bytes(stream) + base + pos, len - pos);
      if (end == StreamMatcher::kNoMatch) break;
      TCPKALI_FUZZ_CHECK(end >= 1 && end <= len - pos, "end ", end);
      pos += end;
      ends.push_back(base + pos);
      if (pos == len) break;
    }
    TCPKALI_FUZZ_CHECK(state < m.pattern().size(), "state ", state);
    base += len;
  }
  return ends;
}

std::vector<size_t> ScanMatches(const StreamMatcher& m, std::string_view stream,
                                const std::vector<size_t>& lengths) {
  std::vector<size_t> ends;
  uint32_t state = 0;
  size_t base = 0;
  for (size_t len : lengths) {
    m.Scan(state, Bytes(stream) + base, len, [&](size_t end) {
      TCPKALI_FUZZ_CHECK(end >= 1 && end <= len);
      ends.push_back(base + end);
    });
    base += len;
  }
  return ends;
}

}  // namespace
}  // namespace tcpkali::testing

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  namespace t = tcpkali::testing;
  t::FuzzInput in(data, size);
  const size_t pattern_bytes = in.TakeBelow(64);
  const uint64_t split_seed = in.TakeU64();
  const std::string_view rest = in.Rest();
  const std::string_view pattern = rest.substr(0, pattern_bytes);
  const std::string_view stream = rest.substr(pattern.size());
  const absl::StatusOr<tcpkali::engine::StreamMatcher> m =
      tcpkali::engine::StreamMatcher::Create(pattern);
  if (pattern.empty()) {
    TCPKALI_FUZZ_CHECK(!m.ok() &&
                       m.status().code() == absl::StatusCode::kInvalidArgument);
    return 0;
  }
  TCPKALI_FUZZ_CHECK(m.ok() && m->pattern() == pattern);
  const std::vector<size_t> want = t::NaiveMatches(pattern, stream);
  const std::vector<size_t> pieces = t::SplitLengths(stream.size(), split_seed);
  TCPKALI_FUZZ_CHECK(t::FindNextMatches(*m, stream, pieces) == want,
                     "FindNext disagrees with the naive search");
  TCPKALI_FUZZ_CHECK(t::ScanMatches(*m, stream, pieces) == want,
                     "Scan disagrees with the naive search");
  TCPKALI_FUZZ_CHECK(t::ScanMatches(*m, stream, {stream.size()}) == want,
                     "Scan of the whole stream disagrees");
  return 0;
}
