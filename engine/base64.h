// Base64 (RFC 4648 section 4, the standard alphabet with '=' padding), for the
// WebSocket handshake's Sec-WebSocket-Key and Sec-WebSocket-Accept values.
// Both directions write into caller buffers and never allocate.
//
// Example:
//   const uint8_t nonce[16] = {...};
//   char key[Base64EncodedBytes(16)];          // 24 characters
//   size_t n = Base64Encode(nonce, key);       // n == 24
//
//   uint8_t raw[Base64DecodedMaxBytes(24)];
//   std::optional<size_t> m = Base64Decode({key, n}, raw);  // m == 16
#ifndef TCPKALI_ENGINE_BASE64_H_
#define TCPKALI_ENGINE_BASE64_H_

#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string_view>

namespace tcpkali::engine {

// The exact length Base64Encode() produces for `bytes` input bytes.
constexpr size_t Base64EncodedBytes(size_t bytes) {
  return (bytes + 2) / 3 * 4;
}

// An upper bound on what Base64Decode() writes for `chars` input characters.
constexpr size_t Base64DecodedMaxBytes(size_t chars) { return chars / 4 * 3; }

// Writes the padded base64 encoding of `bytes` to `out`, which has room for
// Base64EncodedBytes(bytes.size()) characters, and returns that count. No
// terminating NUL is written.
size_t Base64Encode(std::span<const uint8_t> bytes, char* out);

// Decodes the padded base64 text `text` into `out`, which has room for
// Base64DecodedMaxBytes(text.size()) bytes, and returns the number of bytes
// written. Only the canonical encoding is accepted (RFC 4648 section 3.5):
// returns nullopt -- with `out` partly written -- when the length is not a
// multiple of 4, a character is outside the alphabet, padding appears
// anywhere but the last one or two positions, or the bits that padding
// discards are not zero. Whitespace is not skipped.
[[nodiscard]] std::optional<size_t> Base64Decode(std::string_view text,
                                                 uint8_t* out);

}  // namespace tcpkali::engine

#endif  // TCPKALI_ENGINE_BASE64_H_
