#include "engine/websocket_frame.h"

#include <cstring>

namespace tcpkali::engine::ws {

size_t FrameHeaderBytes(const FrameHeader& header) {
  size_t bytes = 2;
  if (header.payload_bytes > 0xFFFF) {
    bytes += 8;
  } else if (header.payload_bytes > 125) {
    bytes += 2;
  }
  if (header.mask_key) bytes += 4;
  return bytes;
}

size_t EncodeFrameHeader(uint8_t* out, const FrameHeader& header) {
  size_t n = 0;
  out[n++] = static_cast<uint8_t>((header.fin ? 0x80 : 0) |
                                  ((header.rsv & 0x7) << 4) |
                                  static_cast<uint8_t>(header.opcode));
  const uint8_t mask_bit = header.mask_key ? 0x80 : 0;
  const uint64_t len = header.payload_bytes;
  if (len <= 125) {
    out[n++] = static_cast<uint8_t>(mask_bit | len);
  } else if (len <= 0xFFFF) {
    out[n++] = mask_bit | 126;
    out[n++] = static_cast<uint8_t>(len >> 8);
    out[n++] = static_cast<uint8_t>(len);
  } else {
    out[n++] = mask_bit | 127;
    for (int shift = 56; shift >= 0; shift -= 8) {
      out[n++] = static_cast<uint8_t>(len >> shift);
    }
  }
  if (header.mask_key) {
    PutMaskKey(out + n, *header.mask_key);
    n += 4;
  }
  return n;
}

void PutMaskKey(uint8_t* out, uint32_t mask_key) {
  out[0] = static_cast<uint8_t>(mask_key >> 24);
  out[1] = static_cast<uint8_t>(mask_key >> 16);
  out[2] = static_cast<uint8_t>(mask_key >> 8);
  out[3] = static_cast<uint8_t>(mask_key);
}

namespace {

// The masked copy in 64-byte blocks, then 16-byte ones, then bytes. Inlined
// into each of the variants below, which the compiler builds for their own
// instruction sets.
[[gnu::always_inline]] inline void CopyMaskedBlocks(uint8_t* dst, const uint8_t* src,
                                                    size_t bytes, uint32_t mask_key,
                                                    uint64_t offset) {
  // The key as it lies in memory from the key byte for `offset` on (the
  // first byte lowest: x86 is little-endian), repeated over a block.
  // Blocks advance by multiples of 4 bytes, so the same block fits them all.
  using Block = uint8_t __attribute__((vector_size(64)));
  using Small = uint8_t __attribute__((vector_size(16)));
  using Words = uint32_t __attribute__((vector_size(64)));
  const unsigned shift = 8 * static_cast<unsigned>(offset & 3);
  uint32_t word = __builtin_bswap32(mask_key);
  if (shift != 0) word = (word >> shift) | (word << (32 - shift));
  const Words words = Words{} + word;
  Block key;
  std::memcpy(&key, &words, sizeof key);
  Small small_key;
  std::memcpy(&small_key, &words, sizeof small_key);
  size_t i = 0;
  // Each block is loaded before it is stored: right in place (dst == src).
  for (; i + sizeof(Block) <= bytes; i += sizeof(Block)) {
    Block chunk;
    std::memcpy(&chunk, src + i, sizeof chunk);
    chunk ^= key;
    std::memcpy(dst + i, &chunk, sizeof chunk);
  }
  for (; i + sizeof(Small) <= bytes; i += sizeof(Small)) {
    Small chunk;
    std::memcpy(&chunk, src + i, sizeof chunk);
    chunk ^= small_key;
    std::memcpy(dst + i, &chunk, sizeof chunk);
  }
  for (; i < bytes; ++i) dst[i] = src[i] ^ static_cast<uint8_t>(word >> (8 * (i & 3)));
}

}  // namespace

void CopyMaskedBaseline(uint8_t* dst, const uint8_t* src, size_t bytes,
                        uint32_t mask_key, uint64_t offset) {
  CopyMaskedBlocks(dst, src, bytes, mask_key, offset);
}

[[gnu::target("avx2")]] void CopyMaskedAvx2(uint8_t* dst, const uint8_t* src,
                                            size_t bytes, uint32_t mask_key,
                                            uint64_t offset) {
  CopyMaskedBlocks(dst, src, bytes, mask_key, offset);
}

[[gnu::target("avx512f")]] void CopyMaskedAvx512(uint8_t* dst, const uint8_t* src,
                                                 size_t bytes, uint32_t mask_key,
                                                 uint64_t offset) {
  CopyMaskedBlocks(dst, src, bytes, mask_key, offset);
}

// Picked per call (a load and a test), not by an ifunc, whose resolver
// would run before the sanitizers' runtimes have started.
void CopyMasked(uint8_t* dst, const uint8_t* src, size_t bytes,
                uint32_t mask_key, uint64_t offset) {
  if (__builtin_cpu_supports("avx512f")) {
    CopyMaskedAvx512(dst, src, bytes, mask_key, offset);
  } else if (__builtin_cpu_supports("avx2")) {
    CopyMaskedAvx2(dst, src, bytes, mask_key, offset);
  } else {
    CopyMaskedBaseline(dst, src, bytes, mask_key, offset);
  }
}

void MaskPayload(uint8_t* data, size_t bytes, uint32_t mask_key,
                 uint64_t offset) {
  CopyMasked(data, data, bytes, mask_key, offset);
}

}  // namespace tcpkali::engine::ws
