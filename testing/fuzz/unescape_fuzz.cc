// Fuzz target for engine::Unescape (-e on message literals, markers and -H
// headers), checked against a reference written from the header's contract
// alone, one byte at a time.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "engine/unescape.h"
#include "testing/fuzz/fuzz_check.h"

namespace tcpkali::testing {
namespace {

int Hex(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

// The contract of engine/unescape.h, restated as directly as possible.
std::string ReferenceUnescape(std::string_view text) {
  std::string out;
  size_t i = 0;
  while (i < text.size()) {
    const char c = text[i];
    const char next = i + 1 < text.size() ? text[i + 1] : '\0';
    const bool has_next = i + 1 < text.size();
    if (c != '\\' || !has_next) {
      out += c;
      ++i;
      continue;
    }
    if (next == 'n' || next == 'r' || next == 't' || next == '\\') {
      out += next == 'n'   ? '\n'
             : next == 'r' ? '\r'
             : next == 't' ? '\t'
                           : '\\';
      i += 2;
    } else if (next == 'x' && i + 2 < text.size() && Hex(text[i + 2]) >= 0) {
      int value = Hex(text[i + 2]);
      size_t used = 3;
      if (i + 3 < text.size() && Hex(text[i + 3]) >= 0) {
        value = value * 16 + Hex(text[i + 3]);
        used = 4;
      }
      out += static_cast<char>(value);
      i += used;
    } else if (next >= '0' && next <= '7') {
      // As many octal digits (up to three) as keep the value within a byte.
      int value = 0;
      size_t digits = 0;
      while (digits < 3 && i + 1 + digits < text.size()) {
        const char d = text[i + 1 + digits];
        if (d < '0' || d > '7' || value * 8 + (d - '0') > 255) break;
        value = value * 8 + (d - '0');
        ++digits;
      }
      out += static_cast<char>(value);
      i += 1 + digits;
    } else {
      out += c;  // kept as written; the next byte is looked at on its own
      ++i;
    }
  }
  return out;
}

}  // namespace
}  // namespace tcpkali::testing

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using tcpkali::testing::ReferenceUnescape;
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  const std::string got = tcpkali::engine::Unescape(text);
  TCPKALI_FUZZ_CHECK(got == ReferenceUnescape(text), "input of ", size,
                     " bytes unescaped differently from the reference");
  // Every escape is at least as long as the byte it names.
  TCPKALI_FUZZ_CHECK(got.size() <= text.size());
  if (text.find('\\') == std::string_view::npos) {
    TCPKALI_FUZZ_CHECK(got == text, "text without a backslash changed");
  }
  return 0;
}
