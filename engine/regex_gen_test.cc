#include "engine/regex_gen.h"

#include <set>
#include <string>
#include <vector>

// libstdc++ 12's <regex> trips -Wmaybe-uninitialized in its own code under
// the sanitizer builds' -O1; the warning is about the library, not us.
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#include <regex>
#pragma GCC diagnostic pop

#include <doctest/doctest.h>

#include "testing/test_seed.h"

namespace tcpkali::engine {
namespace {

// Generates into a buffer with guard bytes after max_bytes() and checks
// that they are untouched.
std::string GenerateChecked(const RegexGenerator& re, FastRandom& rng) {
  std::vector<uint8_t> buf(re.max_bytes() + 8, 0xA5);
  const size_t n = re.Generate(rng, buf.data());
  for (size_t i = re.max_bytes(); i < buf.size(); ++i) {
    REQUIRE(buf[i] == 0xA5);
  }
  REQUIRE(n >= re.min_bytes());
  REQUIRE(n <= re.max_bytes());
  return std::string(buf.begin(), buf.begin() + n);
}

struct ValidCase {
  const char* pattern;
  size_t min_bytes;
  size_t max_bytes;
  bool constant;
};

// Each pattern is also valid ECMAScript with at least the meaning given in
// regex_gen.h, so std::regex can judge every generated string.
const ValidCase kValid[] = {
    {"abc", 3, 3, true},
    {"", 0, 0, true},
    {"a|b|c", 1, 1, false},
    {"[a-z0-9_]{5}", 5, 5, false},
    {"x(ab|cd)*y", 2, 2 + 2 * 8, false},
    {"\\d+\\.\\d{1,3}", 3, 9 + 1 + 3, false},
    {"[^a-z]{3}", 3, 3, false},
    {"(a(b(c)?)?)+", 1, 3 * 9, false},
    {"\\w\\W\\s\\S\\D", 5, 5, false},
    {".{0,5}", 0, 5, false},
    {"[-a]", 1, 1, false},
    {"[a-]", 1, 1, false},
    {"\\x41\\x42", 2, 2, true},
    {"colou?r", 5, 6, false},
    {"(|x)z", 1, 2, false},
    {"[\\]\\[]", 1, 1, false},
    {"a{2,}", 2, 10, false},
    {"a{3}", 3, 3, true},
    {"\\.\\*\\+\\?\\(\\)\\{\\}\\|\\\\", 10, 10, true},
    {"(ab){2}c", 5, 5, true},
    {"[a]", 1, 1, true},
    {"}", 1, 1, true},
    {"user-[0-9]{1,6}@(example|test)\\.com", 5 + 1 + 1 + 4 + 4,
     5 + 6 + 1 + 7 + 4, false},
};

TEST_CASE("generated strings match their regex and respect the bounds") {
  const uint64_t seed = testing::TestSeed();
  INFO(testing::SeedNote(seed));
  for (const ValidCase& c : kValid) {
    const std::string pattern = c.pattern;
    CAPTURE(pattern);
    absl::StatusOr<RegexGenerator> re = RegexGenerator::Compile(c.pattern);
    REQUIRE(re.ok());
    CHECK(re->min_bytes() == c.min_bytes);
    CHECK(re->max_bytes() == c.max_bytes);
    CHECK(re->IsConstant() == c.constant);
    const std::regex reference(c.pattern, std::regex::ECMAScript);
    FastRandom rng(seed);
    std::set<size_t> lengths;
    for (int i = 0; i < 2000; ++i) {
      const std::string s = GenerateChecked(*re, rng);
      CAPTURE(s);
      REQUIRE(std::regex_match(s, reference));
      lengths.insert(s.size());
    }
    // Both ends of the length range occur (2000 draws make a miss
    // astronomically unlikely for these small ranges, except long stars).
    if (c.max_bytes - c.min_bytes <= 5) {
      CHECK(*lengths.begin() == c.min_bytes);
      CHECK(*lengths.rbegin() == c.max_bytes);
    }
  }
}

TEST_CASE("choices are uniform enough to reach every option") {
  FastRandom rng(42);
  struct Coverage {
    const char* pattern;
    std::set<std::string> expected;
  };
  const Coverage cases[] = {
      {"[abc]", {"a", "b", "c"}},
      {"(x|yy|)", {"x", "yy", ""}},
      {"a{0,3}", {"", "a", "aa", "aaa"}},
      {"[0-1]{2}", {"00", "01", "10", "11"}},
  };
  for (const Coverage& c : cases) {
    const std::string pattern = c.pattern;
    CAPTURE(pattern);
    absl::StatusOr<RegexGenerator> re = RegexGenerator::Compile(c.pattern);
    REQUIRE(re.ok());
    std::set<std::string> seen;
    for (int i = 0; i < 1000; ++i) seen.insert(GenerateChecked(*re, rng));
    CHECK(seen == c.expected);
  }
}

TEST_CASE("dot and negated classes stay within printable ASCII") {
  absl::StatusOr<RegexGenerator> re = RegexGenerator::Compile(".[^x]\\D\\W");
  REQUIRE(re.ok());
  FastRandom rng(7);
  std::set<char> seen;
  for (int i = 0; i < 5000; ++i) {
    for (char ch : GenerateChecked(*re, rng)) {
      REQUIRE(ch >= 0x20);
      REQUIRE(ch <= 0x7E);
      seen.insert(ch);
    }
  }
  CHECK(seen.size() == 95);  // every printable character shows up
}

TEST_CASE("the same seed gives the same strings") {
  absl::StatusOr<RegexGenerator> re = RegexGenerator::Compile("[a-z]{4,12}");
  REQUIRE(re.ok());
  FastRandom a(99);
  FastRandom b(99);
  for (int i = 0; i < 100; ++i) {
    CHECK(GenerateChecked(*re, a) == GenerateChecked(*re, b));
  }
}

struct InvalidCase {
  const char* pattern;
  const char* message;
};

const InvalidCase kInvalid[] = {
    {"[a-", "unterminated character class [ at position 1"},
    {"x(ab", "unterminated group ( at position 2"},
    {"ab)", "unmatched ) at position 3"},
    {"*a", "nothing to repeat before * at position 1"},
    {"(|+)", "nothing to repeat before + at position 3"},
    {"a{2", "repetition must be {n}, {n,} or {n,m} at position 2"},
    {"a{x}", "repetition must be {n}, {n,} or {n,m} at position 2"},
    {"a{3,2}", "repetition {n,m} with m < n at position 2"},
    {"a**", "a quantifier cannot follow a quantifier at position 3"},
    {"a+?", "a quantifier cannot follow a quantifier at position 3"},
    {"[z-a]", "class range out of order at position 2"},
    {"[a-\\d]", "class range ends in a set at position 2"},
    {"\\q", "unknown escape \\q at position 1"},
    {"a\\", "trailing backslash at position 2"},
    {"^a", "anchors (^ $) are not supported at position 1"},
    {"a$", "anchors (^ $) are not supported at position 2"},
    {"\\xZ1", "\\x needs two hex digits at position 1"},
    {"a{10001}", "repetition count above 10000 at position 2"},
    {"(?:a)", "(? group forms are not supported at position 1"},
    {"[^\\x20-\\x7e]", "character class matches nothing at position 1"},
    {"(.{10000}){200}",
     "pattern may generate more than 1048576 bytes at "
     "position 11"},
};

TEST_CASE("bad patterns are rejected with the problem and its position") {
  for (const InvalidCase& c : kInvalid) {
    const std::string pattern = c.pattern;
    CAPTURE(pattern);
    absl::StatusOr<RegexGenerator> re = RegexGenerator::Compile(c.pattern);
    REQUIRE_FALSE(re.ok());
    CHECK(re.status().code() == absl::StatusCode::kInvalidArgument);
    CHECK(re.status().message() == c.message);
  }
}

TEST_CASE("error positions are relative to the caller's base") {
  absl::StatusOr<RegexGenerator> re = RegexGenerator::Compile("ab)", 20);
  REQUIRE_FALSE(re.ok());
  CHECK(re.status().message() == "unmatched ) at position 22");
}

TEST_CASE("groups nest 32 deep, not 33") {
  const std::string too_deep =
      std::string(33, '(') + "a" + std::string(33, ')');
  absl::StatusOr<RegexGenerator> bad = RegexGenerator::Compile(too_deep);
  REQUIRE_FALSE(bad.ok());
  CHECK(bad.status().message() ==
        "groups nested deeper than 32 at position 33");

  const std::string pattern = std::string(32, '(') + "a" + std::string(32, ')');
  absl::StatusOr<RegexGenerator> re = RegexGenerator::Compile(pattern);
  REQUIRE(re.ok());
  FastRandom rng(1);
  CHECK(GenerateChecked(*re, rng) == "a");
}

}  // namespace
}  // namespace tcpkali::engine
