#include "engine/stream_matcher.h"

#include <cstring>  // memmem, a GNU extension (g++ defines _GNU_SOURCE)

#include "absl/status/status.h"

namespace tcpkali::engine {

namespace {
constexpr size_t kMaxPatternBytes = size_t{1} << 30;
}  // namespace

absl::StatusOr<StreamMatcher> StreamMatcher::Create(std::string_view pattern) {
  if (pattern.empty()) {
    return absl::InvalidArgumentError("the string to look for is empty");
  }
  if (pattern.size() > kMaxPatternBytes) {
    return absl::InvalidArgumentError(
        "the string to look for is longer than 1 GiB");
  }
  return StreamMatcher(pattern);
}

StreamMatcher::StreamMatcher(std::string_view pattern)
    : pattern_(pattern), border_(pattern.size() + 1, 0) {
  // Classic KMP preprocessing: border_[s + 1] extends the border of s.
  uint32_t k = 0;
  for (uint32_t s = 1; s < pattern_.size(); ++s) {
    while (k > 0 && pattern_[s] != pattern_[k]) k = border_[k];
    if (pattern_[s] == pattern_[k]) ++k;
    border_[s + 1] = k;
  }
}

uint32_t StreamMatcher::Step(uint32_t state, uint8_t c) const {
  const auto* p = reinterpret_cast<const uint8_t*>(pattern_.data());
  while (state > 0 && p[state] != c) state = border_[state];
  return p[state] == c ? state + 1 : 0;
}

size_t StreamMatcher::FindNext(uint32_t& state, const uint8_t* data,
                               size_t len) const {
  const size_t m = pattern_.size();
  size_t i = 0;
  // A pending partial match: step byte by byte until it completes or dies.
  while (state != 0) {
    if (i == len) return kNoMatch;
    state = Step(state, data[i++]);
    if (state == m) {
      state = 0;  // no overlap: the next match starts after this one
      return i;
    }
  }
  if (i == len) return kNoMatch;
  // No partial match pending: a match lies wholly in data[i, len) or
  // starts in its last m - 1 bytes.
  if (const void* hit = memmem(data + i, len - i, pattern_.data(), m)) {
    return static_cast<size_t>(static_cast<const uint8_t*>(hit) - data) + m;
  }
  // No whole match here, so the state at the end is the longest tail of the
  // buffer that is a pattern prefix; it starts within the last m - 1 bytes.
  size_t tail = len - i < m ? i : len - (m - 1);
  for (; tail < len; ++tail) state = Step(state, data[tail]);
  return kNoMatch;
}

}  // namespace tcpkali::engine
