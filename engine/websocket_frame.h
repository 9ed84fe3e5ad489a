// WebSocket (RFC 6455) frame headers and masking: the encoding half of the
// framing layer, shared by the message compiler (frames pre-built or built
// per message) and the frame decoder's tests.
//
// Example: a masked client text frame of 5 bytes.
//   uint8_t header[kMaxFrameHeaderBytes];
//   size_t n = EncodeFrameHeader(header, {.opcode = Opcode::kText,
//                                         .payload_bytes = 5,
//                                         .mask_key = 0x11223344});
//   // header[0..n) then MaskPayload(payload, 5, 0x11223344, 0).
#ifndef TCPKALI_ENGINE_WEBSOCKET_FRAME_H_
#define TCPKALI_ENGINE_WEBSOCKET_FRAME_H_

#include <cstddef>
#include <cstdint>
#include <optional>

namespace tcpkali::engine::ws {

enum class Opcode : uint8_t {
  kContinuation = 0x0,
  kText = 0x1,
  kBinary = 0x2,
  kClose = 0x8,
  kPing = 0x9,
  kPong = 0xA,
};

// True for close, ping and pong (opcodes 0x8..0xF).
constexpr bool IsControl(Opcode opcode) {
  return (static_cast<uint8_t>(opcode) & 0x8) != 0;
}

// 2 bytes of base header, 8 of extended length, 4 of mask key.
inline constexpr size_t kMaxFrameHeaderBytes = 14;

struct FrameHeader {
  Opcode opcode = Opcode::kText;
  bool fin = true;
  uint8_t rsv = 0;  // RSV1..3 as bits 0x4, 0x2, 0x1 (rsv1 = 0x4)
  uint64_t payload_bytes = 0;
  std::optional<uint32_t> mask_key;  // set on every client-to-server frame
};

// The number of bytes EncodeFrameHeader() writes for `header`.
size_t FrameHeaderBytes(const FrameHeader& header);

// Writes the frame header to `out` (which has room for kMaxFrameHeaderBytes)
// and returns its length. The mask key is written in network byte order, as
// the masking in MaskPayload() expects.
size_t EncodeFrameHeader(uint8_t* out, const FrameHeader& header);

// Writes `mask_key` to out[0..4) in network byte order, as a frame header
// carries it.
void PutMaskKey(uint8_t* out, uint32_t mask_key);

// XORs `bytes` of `data` in place with `mask_key`, as RFC 6455 section 5.3
// describes, starting at payload offset `offset` (so that a payload can be
// masked in pieces). Applying it twice restores the data.
void MaskPayload(uint8_t* data, size_t bytes, uint32_t mask_key,
                 uint64_t offset);

// dst[i] = src[i] masked as MaskPayload() would at payload offset
// offset + i: the copy and the masking in one pass over the bytes. `dst`
// and `src` are the same buffer or do not overlap. 64 bytes per step, with
// the widest vectors the CPU has, so masking costs little next to the
// kernel's own copy of the payload.
void CopyMasked(uint8_t* dst, const uint8_t* src, size_t bytes,
                uint32_t mask_key, uint64_t offset);

// The builds CopyMasked() picks from, one per instruction set, so that a
// test can check each where the CPU runs it. Each requires its own
// instructions (__builtin_cpu_supports).
void CopyMaskedBaseline(uint8_t* dst, const uint8_t* src, size_t bytes,
                        uint32_t mask_key, uint64_t offset);
void CopyMaskedAvx2(uint8_t* dst, const uint8_t* src, size_t bytes,
                    uint32_t mask_key, uint64_t offset);
void CopyMaskedAvx512(uint8_t* dst, const uint8_t* src, size_t bytes,
                      uint32_t mask_key, uint64_t offset);

}  // namespace tcpkali::engine::ws

#endif  // TCPKALI_ENGINE_WEBSOCKET_FRAME_H_
