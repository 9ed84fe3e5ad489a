#include "engine/stream_matcher.h"

#include <doctest/doctest.h>

#include <cstdint>
#include <random>
#include <string>
#include <string_view>
#include <vector>

#include "testing/test_seed.h"

namespace tcpkali::engine {
namespace {

using Ends = std::vector<size_t>;

// The reference: non-overlapping, leftmost-first matches over the whole
// stream, as offsets just past each match.
Ends NaiveEnds(std::string_view stream, std::string_view pattern) {
  Ends ends;
  size_t from = 0;
  for (size_t at; (at = stream.find(pattern, from)) != std::string_view::npos;
       from = at + pattern.size()) {
    ends.push_back(at + pattern.size());
  }
  return ends;
}

// Feeds `stream` to the matcher in pieces cut at `cuts` (ascending offsets)
// and returns the match ends as stream offsets.
Ends StreamedEnds(const StreamMatcher& matcher, std::string_view stream,
                  const std::vector<size_t>& cuts) {
  Ends ends;
  uint32_t state = 0;
  size_t begin = 0;
  auto feed = [&](size_t end) {
    matcher.Scan(state, reinterpret_cast<const uint8_t*>(stream.data()) + begin,
                 end - begin, [&](size_t at) { ends.push_back(begin + at); });
    begin = end;
  };
  for (size_t cut : cuts) feed(cut);
  feed(stream.size());
  return ends;
}

struct Row {
  std::string_view pattern;
  std::string_view stream;
  Ends ends;
};
const Row kRows[] = {
    {"a", "aaa", {1, 2, 3}},
    {"aaa", "aaaaa", {3}},
    {"aaa", "aaaaaa", {3, 6}},
    {"abab", "ababab", {4}},
    {"abab", "abababab", {4, 8}},
    {"aab", "aaab", {4}},
    {"abcabd", "abcabcabd", {9}},
    {"abc", "xxabcxabcabc", {5, 9, 12}},
    {"abc", "ababab", {}},
    {"abc", "ab", {}},
    {std::string_view("a\0b", 3), std::string_view("a\0a\0b\0", 6), {5}},
    {"\r\n\r\n", "HTTP/1.1 200 OK\r\n\r\n\r\n\r\n", {19, 23}},
    {"QUIT", "QUI", {}},
};

TEST_CASE("matches in one buffer: non-overlapping, leftmost first") {
  for (const Row& row : kRows) {
    CAPTURE(row.pattern);
    CAPTURE(row.stream);
    const StreamMatcher matcher = *StreamMatcher::Create(row.pattern);
    CHECK(NaiveEnds(row.stream, row.pattern) == row.ends);
    CHECK(StreamedEnds(matcher, row.stream, {}) == row.ends);
  }
}

TEST_CASE("matches split at every one and two places are still found") {
  for (const Row& row : kRows) {
    CAPTURE(row.pattern);
    CAPTURE(row.stream);
    const StreamMatcher matcher = *StreamMatcher::Create(row.pattern);
    const size_t n = row.stream.size();
    for (size_t a = 0; a <= n; ++a) {
      for (size_t b = a; b <= n; ++b) {
        CAPTURE(a);
        CAPTURE(b);
        REQUIRE(StreamedEnds(matcher, row.stream, {a, b}) == row.ends);
      }
    }
  }
}

TEST_CASE("one byte per buffer") {
  const std::string stream = "xxTCPKaTCPKaliTCPKaliTCPKali!";
  const StreamMatcher matcher = *StreamMatcher::Create("TCPKali");
  std::vector<size_t> cuts;
  for (size_t i = 1; i < stream.size(); ++i) cuts.push_back(i);
  CHECK(StreamedEnds(matcher, stream, cuts) == Ends{14, 21, 28});
}

TEST_CASE("the state is the partial match the stream ends with") {
  const StreamMatcher matcher = *StreamMatcher::Create("abcab");
  uint32_t state = 0;
  const auto* bytes = reinterpret_cast<const uint8_t*>("xxabcxab");
  CHECK(matcher.FindNext(state, bytes, 8) == StreamMatcher::kNoMatch);
  CHECK(state == 2);
  CHECK(matcher.FindNext(state, bytes + 2, 3) == StreamMatcher::kNoMatch);
  CHECK(state == 3);  // "ab" + "abc": the tail "abc" is pending
  CHECK(matcher.FindNext(state, bytes + 6, 2) == 2);
  CHECK(state == 0);
  CHECK(matcher.FindNext(state, bytes, 0) == StreamMatcher::kNoMatch);
  CHECK(state == 0);
}

TEST_CASE("an empty pattern is refused") {
  CHECK(StreamMatcher::Create("").status().code() ==
        absl::StatusCode::kInvalidArgument);
  CHECK(StreamMatcher::Create("x")->pattern() == "x");
}

TEST_CASE("randomised: split streams match a naive scan of the whole") {
  const uint64_t seed = testing::TestSeed();
  INFO(testing::SeedNote(seed));
  std::mt19937_64 rng(seed);
  const std::string alphabet("ab\0\xff", 4);
  for (int round = 0; round < 3000; ++round) {
    // Small alphabets make overlaps and near misses common.
    const size_t letters = 1 + rng() % alphabet.size();
    auto letter = [&] { return alphabet[rng() % letters]; };
    std::string stream(rng() % 2000, '\0');
    for (char& c : stream) c = letter();
    const size_t pattern_len = 1 + rng() % 64;
    std::string pattern;
    if (rng() % 2 == 0 && stream.size() >= pattern_len) {
      pattern =
          stream.substr(rng() % (stream.size() - pattern_len + 1), pattern_len);
    } else {
      for (size_t i = 0; i < pattern_len; ++i) pattern += letter();
    }
    std::vector<size_t> cuts;
    for (size_t at = 0; at < stream.size(); at += rng() % 100) {
      cuts.push_back(at);  // steps of 0 give empty buffers too
    }
    CAPTURE(round);
    CAPTURE(pattern.size());
    const StreamMatcher matcher = *StreamMatcher::Create(pattern);
    REQUIRE(StreamedEnds(matcher, stream, cuts) == NaiveEnds(stream, pattern));
  }
}

}  // namespace
}  // namespace tcpkali::engine
