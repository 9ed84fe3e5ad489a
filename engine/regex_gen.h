// RegexGenerator: random strings that match a small regular expression, for
// the `\{re ...}`, `\{connection.re ...}` and `\{global.re ...}` message
// expressions.
//
// The pattern is parsed once, at start, into a compact program; Generate()
// then writes one random matching string into a caller buffer without
// allocating, so it can run per message on the send path.
//
// The subset understood:
//   abc         literal bytes; any byte that is not a metacharacter
//   \. \* \\    an escaped non-alphanumeric character is itself
//   \n \r \t    newline, carriage return, tab; \xHH a byte in hex
//   \d \w \s    [0-9], [A-Za-z0-9_], [ \t]; \D \W \S their complements
//   .           any printable ASCII character (0x20..0x7E)
//   [a-z0-9_]   a class: bytes and ranges; a leading ^ negates it within
//               printable ASCII; ] first and - first or last are literal
//   (a|bc|)     a group with alternatives (an alternative may be empty)
//   x? x* x+    0..1, 0..kUnboundedExtra, 1..1+kUnboundedExtra repetitions
//   x{n} x{n,m} exactly n, n..m repetitions (n, m <= kMaxRepeat)
//   x{n,}       n..n+kUnboundedExtra repetitions
// Choices are uniform: each alternative, each class member and each
// repetition count in its range are equally likely. Anchors (^ $),
// backreferences and lazy quantifiers are rejected.
//
// Example:
//   absl::StatusOr<RegexGenerator> re = RegexGenerator::Compile("[a-f]{2,4}");
//   if (!re.ok()) return re.status();  // "... at position N"
//   uint8_t buf[16];                    // room for re->max_bytes() == 4
//   FastRandom rng(seed);
//   size_t n = re->Generate(rng, buf);  // e.g. "cafe", n == 4
#ifndef TCPKALI_ENGINE_REGEX_GEN_H_
#define TCPKALI_ENGINE_REGEX_GEN_H_

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "engine/fast_random.h"

namespace tcpkali::engine {

// Immutable after Compile(); Generate() may be called from any number of
// threads at once, each with its own FastRandom.
class RegexGenerator {
 public:
  // How many repetitions beyond the minimum `*`, `+` and `{n,}` may produce.
  // Small on purpose, like the original tcpkali: generated strings are
  // message content, and an unbounded star should not make one message
  // kilobytes long.
  static constexpr uint32_t kUnboundedExtra = 8;
  // The largest n or m accepted in {n} and {n,m}.
  static constexpr uint32_t kMaxRepeat = 10000;
  // The longest string a pattern may generate; larger is a usage error
  // because it would be scratch memory in every worker.
  static constexpr size_t kMaxOutputBytes = 1 << 20;
  // How deeply groups may nest; bounds Generate()'s recursion.
  static constexpr int kMaxNesting = 32;

  // Parses `pattern`. On failure returns InvalidArgument with a message
  // like `unterminated character class at position 7`, where the position
  // is `position_base` plus the 0-based offset into `pattern` (callers pass
  // the pattern's position in the text the user wrote, so the number points
  // at the right character there).
  [[nodiscard]] static absl::StatusOr<RegexGenerator> Compile(
      std::string_view pattern, size_t position_base = 1);

  // The shortest and longest strings Generate() can write.
  size_t min_bytes() const { return min_bytes_; }
  size_t max_bytes() const { return max_bytes_; }

  // True when every generated string is the same (no choices at all): the
  // caller can then treat the expression as a literal.
  bool IsConstant() const { return min_bytes_ == max_bytes_ && constant_; }

  // Writes a random matching string to `out`, which has room for
  // max_bytes(), and returns its length. Consumes randomness from `rng`
  // only; never allocates, never fails.
  size_t Generate(FastRandom& rng, uint8_t* out) const;

  // The pattern as given to Compile().
  const std::string& pattern() const { return pattern_; }

 private:
  friend class RegexParser;

  enum class Op : uint8_t {
    kLiteral,
    kClass,
    kSequence,
    kAlternation,
    kRepeat
  };
  // kLiteral: bytes_[a, a+b). kClass: uniform pick of one of bytes_[a, a+b).
  // kSequence, kAlternation: child indices children_[a, a+b).
  // kRepeat: node a repeated min..max times.
  struct Node {
    Op op;
    uint32_t a = 0;
    uint32_t b = 0;
    uint32_t min = 0;
    uint32_t max = 0;
  };

  RegexGenerator() = default;
  uint8_t* Emit(uint32_t node, FastRandom& rng, uint8_t* out) const;

  std::string pattern_;
  std::vector<Node> nodes_;
  std::vector<uint32_t> children_;
  std::string bytes_;  // literal runs and class members
  uint32_t root_ = 0;
  size_t min_bytes_ = 0;
  size_t max_bytes_ = 0;
  bool constant_ = false;
};

}  // namespace tcpkali::engine

#endif  // TCPKALI_ENGINE_REGEX_GEN_H_
