#include "engine/base64.h"

namespace tcpkali::engine {
namespace {

constexpr char kAlphabet[] =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

// The 6-bit value of an alphabet character, or -1.
constexpr int SextetOf(char c) {
  if (c >= 'A' && c <= 'Z') return c - 'A';
  if (c >= 'a' && c <= 'z') return c - 'a' + 26;
  if (c >= '0' && c <= '9') return c - '0' + 52;
  if (c == '+') return 62;
  if (c == '/') return 63;
  return -1;
}

}  // namespace

size_t Base64Encode(std::span<const uint8_t> bytes, char* out) {
  const uint8_t* in = bytes.data();
  size_t left = bytes.size();
  char* const start = out;
  for (; left >= 3; in += 3, left -= 3) {
    const uint32_t group =
        (uint32_t{in[0]} << 16) | (uint32_t{in[1]} << 8) | uint32_t{in[2]};
    *out++ = kAlphabet[(group >> 18) & 63];
    *out++ = kAlphabet[(group >> 12) & 63];
    *out++ = kAlphabet[(group >> 6) & 63];
    *out++ = kAlphabet[group & 63];
  }
  if (left > 0) {
    const uint32_t group =
        (uint32_t{in[0]} << 16) | (left == 2 ? uint32_t{in[1]} << 8 : 0);
    *out++ = kAlphabet[(group >> 18) & 63];
    *out++ = kAlphabet[(group >> 12) & 63];
    *out++ = left == 2 ? kAlphabet[(group >> 6) & 63] : '=';
    *out++ = '=';
  }
  return static_cast<size_t>(out - start);
}

std::optional<size_t> Base64Decode(std::string_view text, uint8_t* out) {
  if (text.size() % 4 != 0) return std::nullopt;
  uint8_t* const start = out;
  for (size_t at = 0; at < text.size(); at += 4) {
    const bool last = at + 4 == text.size();
    // Padding may only end the final group: "xx==" or "xxx=".
    size_t pad = 0;
    if (last && text[at + 3] == '=') pad = text[at + 2] == '=' ? 2 : 1;
    uint32_t group = 0;
    for (size_t i = 0; i < 4 - pad; ++i) {
      const int sextet = SextetOf(text[at + i]);
      if (sextet < 0) return std::nullopt;
      group = (group << 6) | static_cast<uint32_t>(sextet);
    }
    group <<= 6 * pad;
    // Canonical form: the bits the padding cuts off must be zero.
    if ((pad == 1 && (group & 0xFF) != 0) ||
        (pad == 2 && (group & 0xFFFF) != 0)) {
      return std::nullopt;
    }
    *out++ = static_cast<uint8_t>(group >> 16);
    if (pad < 2) *out++ = static_cast<uint8_t>(group >> 8);
    if (pad < 1) *out++ = static_cast<uint8_t>(group);
  }
  return static_cast<size_t>(out - start);
}

}  // namespace tcpkali::engine
