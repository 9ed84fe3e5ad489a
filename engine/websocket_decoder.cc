#include "engine/websocket_decoder.h"

#include <algorithm>

namespace tcpkali::engine::ws {
namespace {

// header_pos_ once the header is complete.
constexpr uint8_t kInPayload = 0xFF;

constexpr uint8_t kFinBit = 0x80;
constexpr uint8_t kRsvBits = 0x70;
constexpr uint8_t kOpcodeBits = 0x0F;
constexpr uint8_t kMaskBit = 0x80;
constexpr uint8_t kLengthBits = 0x7F;
constexpr uint8_t kMaxControlPayload = 125;

// Bytes of extended length that follow a 7-bit length (section 5.2).
size_t ExtendedLengthBytes(uint8_t length7) {
  if (length7 == 127) return 8;
  return length7 == 126 ? 2 : 0;
}

bool IsKnownOpcode(uint8_t opcode) {
  switch (static_cast<Opcode>(opcode)) {
    case Opcode::kContinuation:
    case Opcode::kText:
    case Opcode::kBinary:
    case Opcode::kClose:
    case Opcode::kPing:
    case Opcode::kPong:
      return true;
  }
  return false;
}

}  // namespace

bool IsValidCloseCode(uint16_t code) {
  // 1004 is reserved, 1005 and 1006 must never be sent, 1015 is TLS-only
  // and the rest of 1016-2999 is unassigned; 3000-4999 belong to libraries
  // and applications.
  return (code >= 1000 && code <= 1003) || (code >= 1007 && code <= 1014) ||
         (code >= 3000 && code <= 4999);
}

DecodeResult FrameDecoder::Feed(std::span<uint8_t> bytes,
                                FrameVisitor& visitor) {
  uint8_t* data = bytes.data();
  size_t left = bytes.size();
  while (left > 0 && state_ == DecodeState::kOpen) {
    if (header_pos_ != kInPayload) {
      --left;
      if (!StepHeader(*data++)) break;
      if (header_pos_ >= 2 && header_pos_ == HeaderBytes()) {
        header_pos_ = kInPayload;
        visitor.OnFrameBegin(Header());
        if (remaining_ == 0) EndFrame(visitor);
      }
      continue;
    }
    const size_t n = static_cast<size_t>(std::min<uint64_t>(remaining_, left));
    if (byte1_ & kMaskBit) MaskPayload(data, n, mask_key_, mask_phase_);
    if (static_cast<Opcode>(byte0_ & kOpcodeBits) == Opcode::kClose &&
        !GatherCloseCode({data, n})) {
      break;
    }
    visitor.OnPayload({data, n});
    data += n;
    left -= n;
    remaining_ -= n;
    mask_phase_ = static_cast<uint8_t>((mask_phase_ + n) & 3);
    if (remaining_ == 0) EndFrame(visitor);
  }
  DecodeResult result;
  result.state = state_;
  result.close_code = state_ == DecodeState::kOpen ? 0 : close_code_;
  result.consumed = static_cast<size_t>(data - bytes.data());
  return result;
}

// One header byte; false on a violation.
bool FrameDecoder::StepHeader(uint8_t b) {
  const uint8_t pos = header_pos_++;
  if (pos == 0) return CheckFirstByte(b);
  if (pos == 1) return CheckSecondByte(b);
  const uint8_t length7 = byte1_ & kLengthBits;
  const size_t length_end = 2 + ExtendedLengthBytes(length7);
  if (pos >= length_end) {
    mask_key_ = (mask_key_ << 8) | b;
    return true;
  }
  // RFC 6455 section 5.2: the most significant bit of a 64-bit length must
  // be 0. Such a length could only be a message too big to take.
  if (pos == 2 && length7 == 127 && (b & 0x80)) {
    return Fail(kCloseMessageTooBig);
  }
  remaining_ = (remaining_ << 8) | b;
  // Section 5.2 also demands the minimal number of length bytes.
  if (pos + 1 == length_end) {
    const uint64_t smallest = length7 == 126 ? 126 : 0x10000;
    if (remaining_ < smallest) return Fail(kCloseProtocolError);
  }
  return true;
}

bool FrameDecoder::CheckFirstByte(uint8_t b) {
  byte0_ = b;
  const uint8_t opcode = b & kOpcodeBits;
  // No extension is negotiated, so no RSV bit may be set (section 5.2).
  if ((b & kRsvBits) != 0 || !IsKnownOpcode(opcode)) {
    return Fail(kCloseProtocolError);
  }
  if (IsControl(static_cast<Opcode>(opcode))) {
    // Control frames must not be fragmented (section 5.5).
    return (b & kFinBit) ? true : Fail(kCloseProtocolError);
  }
  // Fragments of one message may not interleave with another (section 5.4).
  const bool continuation = opcode == 0;
  const bool message_open = message_opcode_ != 0;
  return continuation == message_open ? true : Fail(kCloseProtocolError);
}

bool FrameDecoder::CheckSecondByte(uint8_t b) {
  byte1_ = b;
  const bool masked = (b & kMaskBit) != 0;
  if (masked != (role_ == Role::kServer)) return Fail(kCloseProtocolError);
  const uint8_t length7 = b & kLengthBits;
  const Opcode opcode = static_cast<Opcode>(byte0_ & kOpcodeBits);
  if (IsControl(opcode)) {
    if (length7 > kMaxControlPayload) return Fail(kCloseProtocolError);
    // A close body is empty or starts with a 2-byte code (section 5.5.1).
    if (opcode == Opcode::kClose && length7 == 1) {
      return Fail(kCloseProtocolError);
    }
  }
  remaining_ = length7 < 126 ? length7 : 0;
  mask_key_ = 0;
  mask_phase_ = 0;
  close_code_ = 0;
  return true;
}

size_t FrameDecoder::HeaderBytes() const {
  const uint8_t length7 = byte1_ & kLengthBits;
  return 2 + ExtendedLengthBytes(length7) + ((byte1_ & kMaskBit) ? 4 : 0);
}

FrameHeader FrameDecoder::Header() const {
  FrameHeader header;
  header.opcode = static_cast<Opcode>(byte0_ & kOpcodeBits);
  header.fin = (byte0_ & kFinBit) != 0;
  header.rsv = static_cast<uint8_t>((byte0_ & kRsvBits) >> 4);
  header.payload_bytes = remaining_;
  if (byte1_ & kMaskBit) header.mask_key = mask_key_;
  return header;
}

// Takes the status code from the first two bytes of a close frame's
// (unmasked) payload as they pass, and checks it once complete.
bool FrameDecoder::GatherCloseCode(std::span<const uint8_t> payload) {
  // Control frames are short, so the 7-bit length is the whole length.
  const uint64_t offset = (byte1_ & kLengthBits) - remaining_;
  if (offset >= 2) return true;
  for (size_t i = 0; i < payload.size() && offset + i < 2; ++i) {
    close_code_ = static_cast<uint16_t>((close_code_ << 8) | payload[i]);
  }
  if (offset + payload.size() >= 2 && !IsValidCloseCode(close_code_)) {
    return Fail(kCloseProtocolError);
  }
  return true;
}

void FrameDecoder::EndFrame(FrameVisitor& visitor) {
  const Opcode opcode = static_cast<Opcode>(byte0_ & kOpcodeBits);
  FrameEnd end;
  end.opcode = opcode;
  if (!IsControl(opcode)) {
    const uint8_t message = opcode == Opcode::kContinuation
                                ? message_opcode_
                                : static_cast<uint8_t>(opcode);
    if (byte0_ & kFinBit) {
      end.message_end = true;
      end.message_opcode = static_cast<Opcode>(message);
      message_opcode_ = 0;
    } else {
      message_opcode_ = message;
    }
  } else if (opcode == Opcode::kClose) {
    if ((byte1_ & kLengthBits) == 0) close_code_ = kCloseNoStatus;
    end.close_code = close_code_;
    state_ = DecodeState::kClosed;
  }
  header_pos_ = 0;
  remaining_ = 0;
  visitor.OnFrameEnd(end);
}

bool FrameDecoder::Fail(uint16_t close_code) {
  close_code_ = close_code;
  state_ = DecodeState::kFailed;
  return false;
}

}  // namespace tcpkali::engine::ws
