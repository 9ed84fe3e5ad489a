// Fuzz target for ws::FrameDecoder (engine/websocket_decoder.h), in either
// role. The stream is fed in random pieces and what the visitor saw, the
// final state, close code and consumed count are compared with a reference
// decoder that reads the whole stream at once, written from RFC 6455
// section 5 and the header's contract. Once the decoder has closed or
// failed, more input must change nothing.
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <utility>
#include <vector>

#include "engine/websocket_decoder.h"
#include "engine/websocket_frame.h"
#include "testing/fuzz/fuzz_check.h"
#include "testing/fuzz/fuzz_input.h"

namespace tcpkali::testing {
namespace {

using engine::ws::DecodeResult;
using engine::ws::DecodeState;
using engine::ws::FrameEnd;
using engine::ws::FrameHeader;
using engine::ws::Opcode;
using engine::ws::Role;

struct Frame {
  FrameHeader header;
  std::string payload;  // unmasked
  bool ended = false;
  FrameEnd end;
};

struct Outcome {
  std::vector<Frame> frames;
  DecodeState state = DecodeState::kOpen;
  uint16_t close_code = 0;
  size_t consumed = 0;
  // The stream failed on a close frame's status code. The decoder checks it
  // when both code bytes have arrived, so a split between them delivers
  // the first byte, and counts it consumed, before the failure.
  bool failed_on_close_code = false;
};

// Records the visitor calls, checking their order and sizes as it goes.
class Recorder : public engine::ws::FrameVisitor {
 public:
  explicit Recorder(std::vector<Frame>& frames) : frames_(frames) {}

  void OnFrameBegin(const FrameHeader& header) override {
    TCPKALI_FUZZ_CHECK(!in_frame_, "OnFrameBegin inside a frame");
    in_frame_ = true;
    frames_.push_back({.header = header});
  }
  void OnPayload(std::span<uint8_t> payload) override {
    TCPKALI_FUZZ_CHECK(in_frame_, "OnPayload outside a frame");
    TCPKALI_FUZZ_CHECK(!payload.empty(), "empty OnPayload");
    Frame& f = frames_.back();
    f.payload.append(payload.begin(), payload.end());
    TCPKALI_FUZZ_CHECK(f.payload.size() <= f.header.payload_bytes);
  }
  void OnFrameEnd(const FrameEnd& end) override {
    TCPKALI_FUZZ_CHECK(in_frame_, "OnFrameEnd outside a frame");
    in_frame_ = false;
    Frame& f = frames_.back();
    TCPKALI_FUZZ_CHECK(f.payload.size() == f.header.payload_bytes);
    f.ended = true;
    f.end = end;
  }

 private:
  std::vector<Frame>& frames_;
  bool in_frame_ = false;
};

bool IsKnown(uint8_t op) { return op <= 2 || (op >= 8 && op <= 10); }

bool ValidCloseCode(uint16_t c) {
  return (c >= 1000 && c <= 1003) || (c >= 1007 && c <= 1014) ||
         (c >= 3000 && c <= 4999);
}

// Decodes a whole stream at once, straight from RFC 6455 section 5 and
// the header's contract; one instance per stream.
class ReferenceDecoder {
 public:
  ReferenceDecoder(const std::vector<uint8_t>& in, Role role)
      : in_(in), role_(role) {}

  Outcome Run() && {
    while (pos_ < in_.size() && out_.state == DecodeState::kOpen) {
      if (!Header() || !Payload()) break;
    }
    if (out_.state == DecodeState::kOpen) out_.consumed = in_.size();
    return std::move(out_);
  }

 private:
  // Reads the next header byte into *b; false at the end of the input.
  bool Next(uint8_t* b) {
    if (pos_ == in_.size()) return false;
    *b = in_[pos_++];
    return true;
  }

  bool Fail(uint16_t code) {
    out_.state = DecodeState::kFailed;
    out_.close_code = code;
    out_.consumed = pos_;
    return false;
  }

  // One frame header into frame_; false when the input ends or fails.
  bool Header() {
    uint8_t b0 = 0;
    uint8_t b1 = 0;
    if (!Next(&b0)) return false;
    const uint8_t op = b0 & 0x0F;
    const bool fin = (b0 & 0x80) != 0;
    const bool control = (op & 0x8) != 0;
    if ((b0 & 0x70) != 0 || !IsKnown(op)) return Fail(1002);
    if (control && !fin) return Fail(1002);
    if (!control && (op == 0) != (open_message_ != 0)) return Fail(1002);
    if (!Next(&b1)) return false;
    const bool masked = (b1 & 0x80) != 0;
    if (masked != (role_ == Role::kServer)) return Fail(1002);
    const uint8_t len7 = b1 & 0x7F;
    if ((control && len7 > 125) || (op == 0x8 && len7 == 1)) {
      return Fail(1002);
    }
    uint64_t len = len7;
    const int ext = len7 == 127 ? 8 : len7 == 126 ? 2 : 0;
    if (ext > 0) len = 0;
    for (int i = 0; i < ext; ++i) {
      uint8_t b = 0;
      if (!Next(&b)) return false;
      if (ext == 8 && i == 0 && (b & 0x80)) return Fail(1009);
      len = len << 8 | b;
    }
    if (ext > 0 && len < (ext == 2 ? 126u : 65536u)) return Fail(1002);
    for (uint8_t& k : key_) {
      k = 0;
      if (masked && !Next(&k)) return false;
    }
    frame_ = Frame();
    frame_.header.opcode = static_cast<Opcode>(op);
    frame_.header.fin = fin;
    frame_.header.payload_bytes = len;
    if (masked) {
      frame_.header.mask_key = uint32_t{key_[0]} << 24 |
                               uint32_t{key_[1]} << 16 |
                               uint32_t{key_[2]} << 8 | key_[3];
    }
    return true;
  }

  // The payload of frame_ as far as the input goes, and the frame's end.
  bool Payload() {
    const uint64_t len = frame_.header.payload_bytes;
    const uint8_t op = static_cast<uint8_t>(frame_.header.opcode);
    const size_t avail =
        static_cast<size_t>(std::min<uint64_t>(len, in_.size() - pos_));
    for (size_t i = 0; i < avail; ++i) {
      frame_.payload.push_back(static_cast<char>(in_[pos_ + i] ^ key_[i & 3]));
    }
    uint16_t code = engine::ws::kCloseNoStatus;
    if (op == 0x8 && avail >= 2) {
      code =
          static_cast<uint16_t>(static_cast<uint8_t>(frame_.payload[0]) << 8 |
                                static_cast<uint8_t>(frame_.payload[1]));
      if (!ValidCloseCode(code)) {
        frame_.payload.clear();
        out_.frames.push_back(frame_);
        out_.failed_on_close_code = true;
        return Fail(1002);
      }
    }
    pos_ += avail;
    if (avail < len) {
      out_.frames.push_back(frame_);
      return false;
    }
    frame_.ended = true;
    frame_.end.opcode = frame_.header.opcode;
    if ((op & 0x8) == 0) {
      const uint8_t message = op == 0 ? open_message_ : op;
      const bool fin = frame_.header.fin;
      open_message_ = fin ? 0 : message;
      frame_.end.message_end = fin;
      if (fin) frame_.end.message_opcode = static_cast<Opcode>(message);
    }
    out_.frames.push_back(frame_);
    if (op == 0x8) {
      out_.frames.back().end.close_code = code;
      out_.state = DecodeState::kClosed;
      out_.close_code = code;
      out_.consumed = pos_;
    }
    return true;
  }

  const std::vector<uint8_t>& in_;
  const Role role_;
  size_t pos_ = 0;
  uint8_t open_message_ = 0;  // opcode of the fragmented message, or 0
  uint8_t key_[4] = {0, 0, 0, 0};
  Frame frame_;
  Outcome out_;
};

bool SameHeader(const FrameHeader& a, const FrameHeader& b) {
  return a.opcode == b.opcode && a.fin == b.fin && a.rsv == b.rsv &&
         a.payload_bytes == b.payload_bytes && a.mask_key == b.mask_key;
}

bool SameEnd(const FrameEnd& a, const FrameEnd& b) {
  return a.opcode == b.opcode && a.message_end == b.message_end &&
         a.message_opcode == b.message_opcode && a.close_code == b.close_code;
}

// Feeds `stream` (a copy: the decoder unmasks in place) in the pieces
// `lengths` names, stopping at the first piece that ends decoding.
Outcome Decode(std::vector<uint8_t> stream, Role role,
               const std::vector<size_t>& lengths) {
  Outcome out;
  Recorder recorder(out.frames);
  engine::ws::FrameDecoder decoder(role);
  size_t at = 0;
  for (size_t len : lengths) {
    const DecodeResult r = decoder.Feed({stream.data() + at, len}, recorder);
    out.consumed += r.consumed;
    out.state = r.state;
    out.close_code = r.close_code;
    if (r.state == DecodeState::kOpen) {
      TCPKALI_FUZZ_CHECK(r.consumed == len && r.close_code == 0);
    } else {
      TCPKALI_FUZZ_CHECK(r.consumed <= len);
      // Finished: any further input is left alone, the outcome repeated.
      const size_t frames = out.frames.size();
      const DecodeResult again =
          decoder.Feed({stream.data() + at, stream.size() - at}, recorder);
      TCPKALI_FUZZ_CHECK(again.state == r.state && again.consumed == 0 &&
                         again.close_code == r.close_code &&
                         out.frames.size() == frames);
      break;
    }
    at += len;
  }
  return out;
}

void CheckSame(const Outcome& got, const Outcome& want) {
  TCPKALI_FUZZ_CHECK(got.state == want.state, "state ",
                     static_cast<int>(got.state), " reference ",
                     static_cast<int>(want.state));
  TCPKALI_FUZZ_CHECK(got.close_code == want.close_code, "close code ",
                     got.close_code, " reference ", want.close_code);
  const bool loose = want.failed_on_close_code;
  TCPKALI_FUZZ_CHECK(got.consumed == want.consumed ||
                         (loose && got.consumed == want.consumed + 1),
                     "consumed ", got.consumed, " reference ", want.consumed);
  TCPKALI_FUZZ_CHECK(got.frames.size() == want.frames.size(), "frames ",
                     got.frames.size(), " reference ", want.frames.size());
  for (size_t i = 0; i < got.frames.size(); ++i) {
    const Frame& g = got.frames[i];
    const Frame& w = want.frames[i];
    TCPKALI_FUZZ_CHECK(SameHeader(g.header, w.header), "frame ", i);
    TCPKALI_FUZZ_CHECK(g.ended == w.ended, "frame ", i);
    if (g.ended) TCPKALI_FUZZ_CHECK(SameEnd(g.end, w.end), "frame ", i);
    const bool last_failed = loose && i + 1 == got.frames.size();
    TCPKALI_FUZZ_CHECK(
        g.payload == w.payload || (last_failed && g.payload.size() == 1),
        "frame ", i, " payload differs");
  }
}

}  // namespace
}  // namespace tcpkali::testing

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  namespace t = tcpkali::testing;
  t::FuzzInput in(data, size);
  const auto role = in.TakeBool() ? tcpkali::engine::ws::Role::kServer
                                  : tcpkali::engine::ws::Role::kClient;
  const uint64_t split_seed = in.TakeU64();
  const std::string_view rest = in.Rest();
  const std::vector<uint8_t> stream(rest.begin(), rest.end());
  const t::Outcome want = t::ReferenceDecoder(stream, role).Run();
  t::CheckSame(t::Decode(stream, role, {stream.size()}), want);
  t::CheckSame(
      t::Decode(stream, role, t::SplitLengths(stream.size(), split_seed)),
      want);
  return 0;
}
