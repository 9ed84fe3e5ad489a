#include "engine/sha1.h"

#include <algorithm>
#include <bit>
#include <cstring>

namespace tcpkali::engine {
namespace {

uint32_t LoadBigEndian32(const uint8_t* p) {
  return (uint32_t{p[0]} << 24) | (uint32_t{p[1]} << 16) |
         (uint32_t{p[2]} << 8) | uint32_t{p[3]};
}

}  // namespace

Sha1::Sha1()
    : state_{0x67452301, 0xEFCDAB89, 0x98BADCFE, 0x10325476, 0xC3D2E1F0} {}

void Sha1::Update(std::span<const uint8_t> bytes) {
  const uint8_t* data = bytes.data();
  size_t left = bytes.size();
  message_bytes_ += left;
  if (block_bytes_ > 0) {
    const size_t take = std::min(left, sizeof block_ - block_bytes_);
    std::memcpy(block_ + block_bytes_, data, take);
    block_bytes_ += take;
    data += take;
    left -= take;
    if (block_bytes_ < sizeof block_) return;
    Compress(block_);
    block_bytes_ = 0;
  }
  // Whole blocks straight from the input, without copying them.
  for (; left >= sizeof block_; data += sizeof block_, left -= sizeof block_) {
    Compress(data);
  }
  if (left > 0) std::memcpy(block_, data, left);
  block_bytes_ = left;
}

void Sha1::Update(std::string_view text) {
  Update(std::span<const uint8_t>(reinterpret_cast<const uint8_t*>(text.data()),
                                  text.size()));
}

Sha1Digest Sha1::Finish() {
  // RFC 3174 section 4: a 1 bit, zeros up to 56 mod 64 bytes, then the
  // message length in bits as a 64-bit big-endian number.
  const uint64_t message_bits = message_bytes_ * 8;
  uint8_t padding[64 + 8] = {0x80};
  const size_t pad_bytes =
      (block_bytes_ < 56 ? 56 - block_bytes_ : 120 - block_bytes_);
  for (int i = 0; i < 8; ++i) {
    padding[pad_bytes + i] = static_cast<uint8_t>(message_bits >> (56 - 8 * i));
  }
  Update(std::span<const uint8_t>(padding, pad_bytes + 8));
  Sha1Digest digest;
  for (int i = 0; i < 5; ++i) {
    digest[4 * i] = static_cast<uint8_t>(state_[i] >> 24);
    digest[4 * i + 1] = static_cast<uint8_t>(state_[i] >> 16);
    digest[4 * i + 2] = static_cast<uint8_t>(state_[i] >> 8);
    digest[4 * i + 3] = static_cast<uint8_t>(state_[i]);
  }
  return digest;
}

void Sha1::Compress(const uint8_t* block) {
  uint32_t w[80];
  for (int t = 0; t < 16; ++t) w[t] = LoadBigEndian32(block + 4 * t);
  for (int t = 16; t < 80; ++t) {
    w[t] = std::rotl(w[t - 3] ^ w[t - 8] ^ w[t - 14] ^ w[t - 16], 1);
  }
  uint32_t a = state_[0], b = state_[1], c = state_[2], d = state_[3],
           e = state_[4];
  for (int t = 0; t < 80; ++t) {
    uint32_t f, k;
    if (t < 20) {
      f = (b & c) | (~b & d);
      k = 0x5A827999;
    } else if (t < 40) {
      f = b ^ c ^ d;
      k = 0x6ED9EBA1;
    } else if (t < 60) {
      f = (b & c) | (b & d) | (c & d);
      k = 0x8F1BBCDC;
    } else {
      f = b ^ c ^ d;
      k = 0xCA62C1D6;
    }
    const uint32_t temp = std::rotl(a, 5) + f + e + w[t] + k;
    e = d;
    d = c;
    c = std::rotl(b, 30);
    b = a;
    a = temp;
  }
  state_[0] += a;
  state_[1] += b;
  state_[2] += c;
  state_[3] += d;
  state_[4] += e;
}

Sha1Digest Sha1Of(std::initializer_list<std::string_view> parts) {
  Sha1 hasher;
  for (std::string_view part : parts) hasher.Update(part);
  return hasher.Finish();
}

}  // namespace tcpkali::engine
