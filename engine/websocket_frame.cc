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
    const uint32_t key = *header.mask_key;
    out[n++] = static_cast<uint8_t>(key >> 24);
    out[n++] = static_cast<uint8_t>(key >> 16);
    out[n++] = static_cast<uint8_t>(key >> 8);
    out[n++] = static_cast<uint8_t>(key);
  }
  return n;
}

void MaskPayload(uint8_t* data, size_t bytes, uint32_t mask_key,
                 uint64_t offset) {
  uint8_t key[4] = {static_cast<uint8_t>(mask_key >> 24),
                    static_cast<uint8_t>(mask_key >> 16),
                    static_cast<uint8_t>(mask_key >> 8),
                    static_cast<uint8_t>(mask_key)};
  size_t i = 0;
  // Align to the key so that the bulk can go eight bytes at a time.
  for (; i < bytes && ((offset + i) & 3) != 0; ++i) {
    data[i] ^= key[(offset + i) & 3];
  }
  uint64_t wide;
  uint8_t rep[8] = {key[0], key[1], key[2], key[3],
                    key[0], key[1], key[2], key[3]};
  std::memcpy(&wide, rep, sizeof wide);
  for (; i + 8 <= bytes; i += 8) {
    uint64_t chunk;
    std::memcpy(&chunk, data + i, sizeof chunk);
    chunk ^= wide;
    std::memcpy(data + i, &chunk, sizeof chunk);
  }
  for (; i < bytes; ++i) data[i] ^= key[(offset + i) & 3];
}

}  // namespace tcpkali::engine::ws
