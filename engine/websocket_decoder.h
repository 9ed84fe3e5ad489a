// A streaming WebSocket (RFC 6455) frame decoder for both sides of a
// connection: the decoding half of the framing layer whose encoding half is
// engine/websocket_frame.h.
//
// Feed it whatever a receive returned, split anywhere (inside a header, an
// extended length or a mask key too). It unmasks payload in place in that
// buffer and reports frames, payload chunks and message boundaries to a
// visitor, without allocating or copying. Its state is 24 bytes per
// connection. Any protocol violation ends decoding with the close code the
// connection's close frame must carry; no input makes it crash.
//
// Control frame payloads (at most 125 bytes) arrive through OnPayload() like
// any other: a caller that answers pings gathers the ping's payload there and
// sends the pong after OnFrameEnd().
//
// Example (the server side of a connection):
//   class Counter : public FrameVisitor {
//     void OnFrameBegin(const FrameHeader& h) override { ... }
//     void OnPayload(std::span<uint8_t> p) override { bytes += p.size(); }
//     void OnFrameEnd(const FrameEnd& end) override {
//       if (end.message_end) ++messages;
//     }
//   };
//   FrameDecoder decoder(Role::kServer);
//   DecodeResult r = decoder.Feed(received, counter);
//   if (r.state == DecodeState::kFailed) SendCloseAndShutdown(r.close_code);
//   if (r.state == DecodeState::kClosed) ReplyClose(r.close_code);
#ifndef TCPKALI_ENGINE_WEBSOCKET_DECODER_H_
#define TCPKALI_ENGINE_WEBSOCKET_DECODER_H_

#include <cstddef>
#include <cstdint>
#include <span>

#include "engine/websocket_frame.h"

namespace tcpkali::engine::ws {

// Close status codes (RFC 6455 section 7.4.1) the decoder produces.
inline constexpr uint16_t kCloseNormal = 1000;
inline constexpr uint16_t kCloseProtocolError = 1002;
// Reported for a close frame without a status code; never sent on the wire.
inline constexpr uint16_t kCloseNoStatus = 1005;
inline constexpr uint16_t kCloseMessageTooBig = 1009;

// True for the codes a close frame may carry: 1000-1003, 1007-1014 and
// 3000-4999 (RFC 6455 section 7.4 and the IANA registry).
bool IsValidCloseCode(uint16_t code);

// Which end of the connection reads the frames. The server reads client
// frames, which must be masked; the client reads server frames, which must
// not be (RFC 6455 section 5.1).
enum class Role : uint8_t { kServer, kClient };

// What OnFrameEnd() learns about the frame that ended.
struct FrameEnd {
  Opcode opcode = Opcode::kContinuation;  // as received
  // The frame was the final frame of a text or binary message.
  bool message_end = false;
  // With message_end: the message's type (kText or kBinary), also when the
  // final frame was a continuation.
  Opcode message_opcode = Opcode::kContinuation;
  // Close frames: the status code, or kCloseNoStatus when there was none.
  uint16_t close_code = 0;
};

// Receives what FrameDecoder decodes, in stream order: OnFrameBegin(), then
// OnPayload() zero or more times, then OnFrameEnd(), for each frame.
// Implemented by the connection's owner; called on the thread that calls
// Feed(), and must not call Feed() itself.
class FrameVisitor {
 public:
  virtual ~FrameVisitor() = default;

  // A frame header passed validation. `header.payload_bytes` is the frame's
  // whole payload length (up to 2^63 - 1); `header.mask_key` is set for
  // masked frames.
  virtual void OnFrameBegin(const FrameHeader& header) = 0;

  // The next `payload.size()` (> 0) payload bytes of the current frame,
  // already unmasked, pointing into the buffer given to Feed().
  virtual void OnPayload(std::span<uint8_t> payload) = 0;

  // The current frame's payload is complete.
  virtual void OnFrameEnd(const FrameEnd& end) = 0;
};

enum class DecodeState : uint8_t {
  kOpen,    // decoding goes on; feed more
  kClosed,  // a valid close frame arrived; reply with a close frame
  kFailed,  // a protocol violation; close with the given code
};

struct DecodeResult {
  DecodeState state = DecodeState::kOpen;
  // kClosed: the peer's status code (kCloseNoStatus if it sent none).
  // kFailed: the code to send (kCloseProtocolError, kCloseMessageTooBig).
  uint16_t close_code = 0;
  // Bytes of this Feed()'s input that were decoded: all of them while
  // kOpen; up to the end of the close frame when kClosed (what follows is
  // ignored); up to where the violation was found when kFailed.
  size_t consumed = 0;
};

// Decodes the frames of one connection's receive stream. Owned by that
// connection and used from its worker thread.
class FrameDecoder {
 public:
  explicit FrameDecoder(Role role) : role_(role) {}

  // Decodes `bytes`, unmasking their payload parts in place, and reports to
  // `visitor`. Violations of RFC 6455 section 5 end decoding with
  // kCloseProtocolError: RSV bits (no extension is ever negotiated), a
  // reserved opcode, wrong masking for the role, a fragmented or longer than
  // 125 bytes control frame, a continuation with no message open, a new
  // data message while one is open, an extended length not in its minimal
  // form, a close frame with a 1-byte payload or an invalid status code. A
  // 64-bit length with its top bit set ends it with kCloseMessageTooBig.
  // Once kClosed or kFailed, further calls consume nothing and report the
  // same outcome.
  [[nodiscard]] DecodeResult Feed(std::span<uint8_t> bytes,
                                  FrameVisitor& visitor);

 private:
  bool StepHeader(uint8_t b);
  bool CheckFirstByte(uint8_t b);
  bool CheckSecondByte(uint8_t b);
  bool GatherCloseCode(std::span<const uint8_t> payload);
  void EndFrame(FrameVisitor& visitor);
  bool Fail(uint16_t close_code);
  FrameHeader Header() const;
  size_t HeaderBytes() const;

  // During the header: the extended length gathered so far. During the
  // payload: the payload bytes still to come.
  uint64_t remaining_ = 0;
  uint32_t mask_key_ = 0;  // network byte order, as MaskPayload() takes it
  // A close frame's status code while it is gathered, then the result's.
  uint16_t close_code_ = 0;
  uint8_t byte0_ = 0;           // FIN, RSV, opcode of the current frame
  uint8_t byte1_ = 0;           // MASK and the 7-bit length
  uint8_t header_pos_ = 0;      // header bytes seen, or kInPayload
  uint8_t mask_phase_ = 0;      // payload offset modulo 4
  uint8_t message_opcode_ = 0;  // opcode of the open fragmented message or 0
  Role role_;
  DecodeState state_ = DecodeState::kOpen;
};

// The state lives in every WebSocket connection slot.
static_assert(sizeof(FrameDecoder) <= 24);

}  // namespace tcpkali::engine::ws

#endif  // TCPKALI_ENGINE_WEBSOCKET_DECODER_H_
