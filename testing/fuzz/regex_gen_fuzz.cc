// Fuzz target for engine::RegexGenerator. A pattern that compiles must
// generate strings whose length lies within [min_bytes(), max_bytes()]
// (written into a heap buffer of exactly max_bytes(), so the sanitizers
// catch a write past it), always the same string when IsConstant(), and --
// for short patterns -- strings that the same pattern, translated to a
// POSIX extended regex, matches (glibc's matcher does not backtrack, so a
// hostile pattern cannot stall the check). A pattern that does not compile
// must fail with InvalidArgument and a position inside the pattern.
#include <regex.h>

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "absl/status/statusor.h"
#include "absl/strings/numbers.h"
#include "engine/fast_random.h"
#include "engine/regex_gen.h"
#include "testing/fuzz/fuzz_check.h"
#include "testing/fuzz/fuzz_input.h"

namespace tcpkali::testing {
namespace {

using engine::RegexGenerator;

// Generated strings are checked against a POSIX regex only below these
// sizes, and only for repetition counts up to kMaxCheckedCount: glibc's
// regcomp unrolls counted repetitions.
constexpr size_t kMaxCheckedPattern = 64;
constexpr size_t kMaxCheckedOutput = 256;
constexpr int kMaxCheckedCount = 32;

void CheckError(const absl::Status& s, std::string_view pattern, size_t base) {
  TCPKALI_FUZZ_CHECK(s.code() == absl::StatusCode::kInvalidArgument,
                     s.ToString());
  const absl::string_view m = s.message();
  const size_t at = m.rfind(" at position ");
  TCPKALI_FUZZ_CHECK(at != absl::string_view::npos, s.ToString());
  uint64_t position = 0;
  TCPKALI_FUZZ_CHECK(absl::SimpleAtoi(m.substr(at + 13), &position),
                     s.ToString());
  TCPKALI_FUZZ_CHECK(position >= base && position <= base + pattern.size(),
                     "position ", position,
                     " outside the pattern: ", s.ToString());
}

bool IsAlnum(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
         (c >= '0' && c <= '9');
}

int Hex(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

// One byte as an ERE atom that matches exactly it.
void AppendByte(std::string& out, char c) {
  if (c == ']') {
    out += "[]]";
  } else if (std::string_view("\\^$.[()*+?{}|").find(c) !=
             std::string_view::npos) {
    out += '\\';
    out += c;
  } else {
    out += c;
  }
}

// At p[i] == '[': the index of the class's closing ']', or npos for a
// class this translation leaves alone (unterminated, or holding an escape,
// '[' or NUL). The class is then copied as is: plain bytes, ranges, a
// leading ^, and ']' first or '-' first or last mean the same in POSIX.
size_t ClassEnd(std::string_view p, size_t i) {
  size_t j = i + 1;
  if (j < p.size() && p[j] == '^') ++j;
  if (j < p.size() && p[j] == ']') ++j;
  for (; j < p.size() && p[j] != ']'; ++j) {
    if (p[j] == '\\' || p[j] == '[' || p[j] == '\0') {
      return std::string_view::npos;
    }
  }
  return j < p.size() ? j : std::string_view::npos;
}

// At p[i] == '{': whether the counts up to '}' are at most
// kMaxCheckedCount.
bool SmallCounts(std::string_view p, size_t i) {
  int count = 0;
  for (size_t j = i + 1; j < p.size() && p[j] != '}'; ++j) {
    if (p[j] < '0' || p[j] > '9') {
      count = 0;
      continue;
    }
    count = std::min(count * 10 + (p[j] - '0'), 1000);
    if (count > kMaxCheckedCount) return false;
  }
  return true;
}

// The escapes of regex_gen.h that stand for a class or a control byte,
// in ERE.
struct EscapeForm {
  char escape;
  std::string_view ere;
};
constexpr EscapeForm kEscapeForms[] = {{'d', "[0-9]"},
                                       {'D', "[^0-9]"},
                                       {'w', "[A-Za-z0-9_]"},
                                       {'W', "[^A-Za-z0-9_]"},
                                       {'s', "[ \t]"},
                                       {'S', "[^ \t]"},
                                       {'n', "\n"},
                                       {'r', "\r"},
                                       {'t', "\t"}};

// At p[*i] == '\\': appends the escape's ERE form and moves *i to its last
// character; false when there is none.
bool AppendEscape(std::string_view p, size_t* i, std::string& out) {
  if (++*i >= p.size()) return false;
  const char e = p[*i];
  for (const EscapeForm& form : kEscapeForms) {
    if (form.escape == e) {
      out += form.ere;
      return true;
    }
  }
  if (e != 'x') {
    if (IsAlnum(e)) return false;
    AppendByte(out, e);  // an escaped punctuation character is itself
    return true;
  }
  if (*i + 2 >= p.size() || Hex(p[*i + 1]) < 0 || Hex(p[*i + 2]) < 0) {
    return false;
  }
  const int byte = Hex(p[*i + 1]) * 16 + Hex(p[*i + 2]);
  if (byte == 0) return false;
  AppendByte(out, static_cast<char>(byte));
  *i += 2;
  return true;
}

// A regex_gen.h pattern as a POSIX extended regular expression whose
// language is the same or larger (ERE's `.` and [^...] cover all bytes,
// regex_gen.h's only printable ones), anchored at both ends; nullopt where
// this translation does not reach: escapes or '[' inside classes, NUL
// bytes, counts above kMaxCheckedCount.
std::optional<std::string> ToPosixEre(std::string_view p) {
  std::string out = "^(";
  for (size_t i = 0; i < p.size(); ++i) {
    const char c = p[i];
    if (c == '\0' || (c == '{' && !SmallCounts(p, i))) return std::nullopt;
    if (c == '[') {
      const size_t end = ClassEnd(p, i);
      if (end == std::string_view::npos) return std::nullopt;
      out.append(p.substr(i, end - i + 1));
      i = end;
    } else if (c == '\\') {
      if (!AppendEscape(p, &i, out)) return std::nullopt;
    } else {
      out += c;
    }
  }
  return out + ")$";
}

// Compiled once per input; regexec() then checks each generated string.
class PosixRegex {
 public:
  explicit PosixRegex(const std::string& ere)
      : ok_(regcomp(&re_, ere.c_str(), REG_EXTENDED | REG_NOSUB) == 0) {}
  ~PosixRegex() {
    if (ok_) regfree(&re_);
  }
  PosixRegex(const PosixRegex&) = delete;
  PosixRegex& operator=(const PosixRegex&) = delete;

  // False when glibc refused the translation: then nothing is checked.
  bool ok() const { return ok_; }
  bool Matches(std::string_view text) {
    // NUL-terminated as well as bounded: ASan's regexec interceptor reads
    // the subject as a C string even with REG_STARTEND.
    const std::string subject(text);
    regmatch_t range[1];
    range[0].rm_so = 0;
    range[0].rm_eo = static_cast<regoff_t>(subject.size());
    return regexec(&re_, subject.c_str(), 0, range, REG_STARTEND) == 0;
  }

 private:
  regex_t re_;
  bool ok_;
};

}  // namespace
}  // namespace tcpkali::testing

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  namespace t = tcpkali::testing;
  using tcpkali::engine::RegexGenerator;
  t::FuzzInput in(data, size);
  const uint64_t seed = in.TakeU64();
  const size_t base = 1 + in.TakeBelow(100);
  const std::string_view pattern = in.Rest();
  const absl::StatusOr<RegexGenerator> re =
      RegexGenerator::Compile(pattern, base);
  if (!re.ok()) {
    t::CheckError(re.status(), pattern, base);
    return 0;
  }
  TCPKALI_FUZZ_CHECK(re->pattern() == pattern);
  TCPKALI_FUZZ_CHECK(re->min_bytes() <= re->max_bytes() &&
                     re->max_bytes() <= RegexGenerator::kMaxOutputBytes);
  const size_t max = re->max_bytes();
  // Exactly max bytes (new[0] for an empty pattern is still a valid
  // allocation, so writing even one byte would be caught).
  std::unique_ptr<uint8_t[]> out(new uint8_t[max]);
  std::string first;
  tcpkali::engine::FastRandom rng(seed);
  std::optional<t::PosixRegex> posix;
  if (pattern.size() <= t::kMaxCheckedPattern && max <= t::kMaxCheckedOutput) {
    if (std::optional<std::string> ere = t::ToPosixEre(pattern)) {
      posix.emplace(*ere);
    }
  }
  for (int round = 0; round < 4; ++round) {
    const size_t n = re->Generate(rng, out.get());
    TCPKALI_FUZZ_CHECK(n >= re->min_bytes() && n <= max, "generated ", n,
                       " bytes, bounds ", re->min_bytes(), "..", max);
    const std::string_view got(reinterpret_cast<const char*>(out.get()), n);
    if (round == 0) first = got;
    if (re->IsConstant()) {
      TCPKALI_FUZZ_CHECK(got == first, "a constant pattern varied");
    }
    if (posix && posix->ok()) {
      TCPKALI_FUZZ_CHECK(posix->Matches(got), "\"", got, "\" does not match /",
                         pattern, "/ (POSIX: ", *t::ToPosixEre(pattern), ")");
    }
  }
  return 0;
}
