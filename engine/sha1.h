// SHA-1 (RFC 3174), for the one place the project needs it: the WebSocket
// handshake's Sec-WebSocket-Accept value (RFC 6455 section 4.2.2). SHA-1 is
// broken for collision resistance; it is here because the protocol says so,
// not as a general-purpose hash.
//
// Nothing allocates: the hasher is a plain value of about 100 bytes and the
// digest comes back by value.
//
// Example:
//   Sha1Digest d = Sha1Of({key, "258EAFA5-E914-47DA-95CA-C5AB0DC85B11"});
//
//   Sha1 hasher;                      // or incrementally
//   hasher.Update(part1);
//   hasher.Update(part2);
//   Sha1Digest same = hasher.Finish();
#ifndef TCPKALI_ENGINE_SHA1_H_
#define TCPKALI_ENGINE_SHA1_H_

#include <array>
#include <cstddef>
#include <cstdint>
#include <initializer_list>
#include <span>
#include <string_view>

namespace tcpkali::engine {

inline constexpr size_t kSha1DigestBytes = 20;
using Sha1Digest = std::array<uint8_t, kSha1DigestBytes>;

// An incremental SHA-1 computation. Owned by its caller, used from one thread
// at a time. Feeding the same bytes in any split gives the same digest.
class Sha1 {
 public:
  Sha1();

  // Appends `bytes` to the message. Must not be called after Finish().
  void Update(std::span<const uint8_t> bytes);
  void Update(std::string_view text);

  // Pads the message and returns its digest. The hasher is spent afterwards:
  // construct a new one to hash another message.
  [[nodiscard]] Sha1Digest Finish();

 private:
  void Compress(const uint8_t* block);

  uint32_t state_[5];
  uint64_t message_bytes_ = 0;
  uint8_t block_[64];
  size_t block_bytes_ = 0;
};

// The digest of the concatenation of `parts`.
[[nodiscard]] Sha1Digest Sha1Of(std::initializer_list<std::string_view> parts);

}  // namespace tcpkali::engine

#endif  // TCPKALI_ENGINE_SHA1_H_
