#include "engine/unescape.h"

#include <string>
#include <string_view>

namespace tcpkali::engine {
namespace {

int HexValue(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

bool IsOctal(char c) { return c >= '0' && c <= '7'; }

// Decodes the escape whose backslash is at text[i] into `out`. Returns how
// many input bytes it consumed, or 0 when the sequence is not one we decode.
size_t DecodeEscape(std::string_view text, size_t i, std::string& out) {
  if (i + 1 >= text.size()) return 0;
  const char c = text[i + 1];
  switch (c) {
    case 'n':
      out.push_back('\n');
      return 2;
    case 'r':
      out.push_back('\r');
      return 2;
    case 't':
      out.push_back('\t');
      return 2;
    case '\\':
      out.push_back('\\');
      return 2;
    case 'x': {
      size_t n = 0;
      int value = 0;
      while (n < 2 && i + 2 + n < text.size() &&
             HexValue(text[i + 2 + n]) >= 0) {
        value = value * 16 + HexValue(text[i + 2 + n]);
        ++n;
      }
      if (n == 0) return 0;
      out.push_back(static_cast<char>(value));
      return 2 + n;
    }
    default:
      break;
  }
  if (!IsOctal(c)) return 0;
  size_t n = 0;
  int value = 0;
  while (n < 3 && i + 1 + n < text.size() && IsOctal(text[i + 1 + n]) &&
         value * 8 + (text[i + 1 + n] - '0') <= 0xFF) {
    value = value * 8 + (text[i + 1 + n] - '0');
    ++n;
  }
  out.push_back(static_cast<char>(value));
  return 1 + n;
}

}  // namespace

std::string Unescape(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  size_t i = 0;
  while (i < text.size()) {
    if (text[i] == '\\') {
      if (size_t used = DecodeEscape(text, i, out); used > 0) {
        i += used;
        continue;
      }
    }
    out.push_back(text[i]);
    ++i;
  }
  return out;
}

}  // namespace tcpkali::engine
