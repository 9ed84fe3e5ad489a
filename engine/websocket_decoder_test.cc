#include "engine/websocket_decoder.h"

#include <doctest/doctest.h>

#include <algorithm>
#include <random>
#include <string>
#include <vector>

#include "engine/websocket_frame.h"
#include "testing/test_seed.h"

namespace tcpkali::engine::ws {
namespace {

using Bytes = std::vector<uint8_t>;

struct Frame {
  FrameHeader header;
  Bytes payload;
  FrameEnd end;
};

// Records what the decoder reports and checks the order of the calls.
class Recorder : public FrameVisitor {
 public:
  void OnFrameBegin(const FrameHeader& header) override {
    CHECK_FALSE(in_frame_);
    in_frame_ = true;
    frames.push_back({.header = header});
  }
  void OnPayload(std::span<uint8_t> payload) override {
    REQUIRE(in_frame_);
    CHECK(!payload.empty());
    Bytes& got = frames.back().payload;
    got.insert(got.end(), payload.begin(), payload.end());
    CHECK(got.size() <= frames.back().header.payload_bytes);
  }
  void OnFrameEnd(const FrameEnd& end) override {
    REQUIRE(in_frame_);
    in_frame_ = false;
    CHECK(frames.back().payload.size() == frames.back().header.payload_bytes);
    frames.back().end = end;
  }

  std::vector<Frame> frames;

 private:
  bool in_frame_ = false;
};

// One frame on the wire, masked when `header.mask_key` is set.
Bytes Encode(const FrameHeader& header, const Bytes& payload) {
  Bytes out(kMaxFrameHeaderBytes);
  out.resize(EncodeFrameHeader(out.data(), header));
  const size_t at = out.size();
  out.insert(out.end(), payload.begin(), payload.end());
  if (header.mask_key) {
    MaskPayload(out.data() + at, payload.size(), *header.mask_key, 0);
  }
  return out;
}

Bytes Payload(size_t bytes, uint8_t salt) {
  Bytes out(bytes);
  for (size_t i = 0; i < bytes; ++i)
    out[i] = static_cast<uint8_t>(i * 31 + salt);
  return out;
}

Bytes CloseBody(uint16_t code, std::string_view reason) {
  Bytes out(2 + reason.size());
  out[0] = static_cast<uint8_t>(code >> 8);
  out[1] = static_cast<uint8_t>(code);
  std::copy(reason.begin(), reason.end(), out.begin() + 2);
  return out;
}

enum class Split { kWhole, kByteByByte, kRandom };

// Feeds a copy of `stream` in pieces; returns the last result and the
// total consumed.
DecodeResult FeedAll(FrameDecoder& decoder, Bytes stream, Split split,
                     std::mt19937_64& rng, Recorder& recorder) {
  DecodeResult last;
  size_t consumed = 0;
  size_t at = 0;
  while (at < stream.size()) {
    size_t take = stream.size() - at;
    if (split == Split::kByteByByte) take = 1;
    if (split == Split::kRandom) take = std::min<size_t>(take, 1 + rng() % 300);
    last = decoder.Feed({stream.data() + at, take}, recorder);
    consumed += last.consumed;
    at += take;
  }
  last.consumed = consumed;
  return last;
}

// A frame header as a peer in `role`'s opposite would send it.
FrameHeader Header(Role reader, Opcode opcode, bool fin, uint64_t bytes,
                   uint32_t mask_key) {
  FrameHeader h{.opcode = opcode, .fin = fin, .payload_bytes = bytes};
  if (reader == Role::kServer) h.mask_key = mask_key;
  return h;
}

void CheckSameFrames(const std::vector<Frame>& got,
                     const std::vector<Frame>& want) {
  REQUIRE(got.size() == want.size());
  for (size_t i = 0; i < got.size(); ++i) {
    CAPTURE(i);
    CHECK(got[i].header.opcode == want[i].header.opcode);
    CHECK(got[i].header.fin == want[i].header.fin);
    CHECK(got[i].header.rsv == 0);
    CHECK(got[i].header.payload_bytes == want[i].header.payload_bytes);
    CHECK(got[i].header.mask_key == want[i].header.mask_key);
    CHECK(got[i].payload == want[i].payload);
    CHECK(got[i].end.opcode == want[i].end.opcode);
    CHECK(got[i].end.message_end == want[i].end.message_end);
    CHECK(got[i].end.message_opcode == want[i].end.message_opcode);
    CHECK(got[i].end.close_code == want[i].end.close_code);
  }
}

// A sequence of frames encoded back to back, and what decoding must report.
struct Script {
  Bytes stream;
  std::vector<Frame> frames;

  void Add(const FrameHeader& header, const Bytes& payload, FrameEnd end) {
    const Bytes wire = Encode(header, payload);
    stream.insert(stream.end(), wire.begin(), wire.end());
    frames.push_back({header, payload, end});
  }
};

TEST_CASE("every opcode and length round-trips in any split, both roles") {
  const uint64_t seed = testing::TestSeed();
  INFO(testing::SeedNote(seed));
  std::mt19937_64 rng(seed);
  const size_t data_lengths[] = {0, 125, 126, 65535, 65536, 1 << 20};
  const size_t control_lengths[] = {0, 1, 2, 125};
  for (Role role : {Role::kServer, Role::kClient}) {
    for (Split split : {Split::kWhole, Split::kByteByByte, Split::kRandom}) {
      CAPTURE(static_cast<int>(role));
      CAPTURE(static_cast<int>(split));
      Script script;
      uint32_t key = 0x01020304;
      for (size_t bytes : data_lengths) {
        for (Opcode op : {Opcode::kText, Opcode::kBinary}) {
          script.Add(Header(role, op, true, bytes, key += 0x11111111),
                     Payload(bytes, static_cast<uint8_t>(bytes)),
                     {.opcode = op, .message_end = true, .message_opcode = op});
        }
        // The same length as the tail of a two-frame message.
        script.Add(Header(role, Opcode::kBinary, false, 3, key += 7),
                   Payload(3, 9), {.opcode = Opcode::kBinary});
        script.Add(Header(role, Opcode::kContinuation, true, bytes, key += 7),
                   Payload(bytes, 1),
                   {.opcode = Opcode::kContinuation,
                    .message_end = true,
                    .message_opcode = Opcode::kBinary});
      }
      for (size_t bytes : control_lengths) {
        for (Opcode op : {Opcode::kPing, Opcode::kPong}) {
          script.Add(Header(role, op, true, bytes, key += 5), Payload(bytes, 3),
                     {.opcode = op});
        }
      }
      const Bytes close = CloseBody(1001, std::string(123, 'r'));
      script.Add(Header(role, Opcode::kClose, true, close.size(), key), close,
                 {.opcode = Opcode::kClose, .close_code = 1001});

      FrameDecoder decoder(role);
      Recorder recorder;
      const DecodeResult r =
          FeedAll(decoder, script.stream, split, rng, recorder);
      CHECK(r.state == DecodeState::kClosed);
      CHECK(r.close_code == 1001);
      CHECK(r.consumed == script.stream.size());
      CheckSameFrames(recorder.frames, script.frames);
    }
  }
}

TEST_CASE("payload is unmasked in place in the caller's buffer") {
  const Bytes plain = Payload(1000, 42);
  Bytes wire = Encode(
      Header(Role::kServer, Opcode::kBinary, true, plain.size(), 0xCAFEBABE),
      plain);
  const size_t header = wire.size() - plain.size();
  CHECK(!std::equal(plain.begin(), plain.end(), wire.begin() + header));
  FrameDecoder decoder(Role::kServer);
  Recorder recorder;
  // Split off-key: 7 bytes, so mask phases 3, 2, 1 are all exercised.
  for (size_t at = 0; at < wire.size(); at += 7) {
    const size_t take = std::min<size_t>(7, wire.size() - at);
    CHECK(decoder.Feed({wire.data() + at, take}, recorder).state ==
          DecodeState::kOpen);
  }
  CHECK(std::equal(plain.begin(), plain.end(), wire.begin() + header));
}

TEST_CASE("a fragmented message with pings in between is one message") {
  for (Role role : {Role::kServer, Role::kClient}) {
    CAPTURE(static_cast<int>(role));
    Script s;
    s.Add(Header(role, Opcode::kText, false, 3, 1), Payload(3, 1),
          {.opcode = Opcode::kText});
    s.Add(Header(role, Opcode::kPing, true, 2, 2), Payload(2, 2),
          {.opcode = Opcode::kPing});
    s.Add(Header(role, Opcode::kContinuation, false, 0, 3), {},
          {.opcode = Opcode::kContinuation});
    s.Add(Header(role, Opcode::kPong, true, 0, 4), {},
          {.opcode = Opcode::kPong});
    s.Add(Header(role, Opcode::kPing, true, 125, 5), Payload(125, 5),
          {.opcode = Opcode::kPing});
    s.Add(Header(role, Opcode::kContinuation, true, 300, 6), Payload(300, 6),
          {.opcode = Opcode::kContinuation,
           .message_end = true,
           .message_opcode = Opcode::kText});
    // After the message ends, a new one may start.
    s.Add(Header(role, Opcode::kBinary, true, 1, 7), Payload(1, 7),
          {.opcode = Opcode::kBinary,
           .message_end = true,
           .message_opcode = Opcode::kBinary});
    std::mt19937_64 rng(1);
    for (Split split : {Split::kWhole, Split::kByteByByte}) {
      FrameDecoder decoder(role);
      Recorder recorder;
      const DecodeResult r = FeedAll(decoder, s.stream, split, rng, recorder);
      CHECK(r.state == DecodeState::kOpen);
      CHECK(r.consumed == s.stream.size());
      CheckSameFrames(recorder.frames, s.frames);
    }
  }
}

TEST_CASE("a close frame ends decoding; what follows is not consumed") {
  Script s;
  s.Add(Header(Role::kClient, Opcode::kText, true, 1, 0), {'a'},
        {.opcode = Opcode::kText,
         .message_end = true,
         .message_opcode = Opcode::kText});
  s.Add(Header(Role::kClient, Opcode::kClose, true, 0, 0), {},
        {.opcode = Opcode::kClose, .close_code = kCloseNoStatus});
  const size_t close_end = s.stream.size();
  s.stream.insert(s.stream.end(), {0x81, 0x01, 'b'});
  FrameDecoder decoder(Role::kClient);
  Recorder recorder;
  const DecodeResult r = decoder.Feed(s.stream, recorder);
  CHECK(r.state == DecodeState::kClosed);
  CHECK(r.close_code == kCloseNoStatus);
  CHECK(r.consumed == close_end);
  CheckSameFrames(recorder.frames, s.frames);
  Bytes more = {0x81, 0x00};
  const DecodeResult again = decoder.Feed(more, recorder);
  CHECK(again.state == DecodeState::kClosed);
  CHECK(again.consumed == 0);
  CHECK(recorder.frames.size() == 2);
}

TEST_CASE("close codes: the valid ones close, the others are violations") {
  struct Row {
    uint16_t code;
    bool valid;
  };
  const Row rows[] = {
      {1000, true},  {1001, true},  {1002, true},  {1003, true},  {1007, true},
      {1011, true},  {1014, true},  {3000, true},  {4999, true},  {0, false},
      {999, false},  {1004, false}, {1005, false}, {1006, false}, {1015, false},
      {1016, false}, {2999, false}, {5000, false}, {65535, false}};
  for (const Row& row : rows) {
    CAPTURE(row.code);
    CHECK(IsValidCloseCode(row.code) == row.valid);
    for (Split split : {Split::kWhole, Split::kByteByByte}) {
      const Bytes body = CloseBody(row.code, "x");
      std::mt19937_64 rng(1);
      FrameDecoder decoder(Role::kServer);
      Recorder recorder;
      const DecodeResult r =
          FeedAll(decoder,
                  Encode(Header(Role::kServer, Opcode::kClose, true,
                                body.size(), 0x55AA55AA),
                         body),
                  split, rng, recorder);
      CHECK(r.state ==
            (row.valid ? DecodeState::kClosed : DecodeState::kFailed));
      CHECK(r.close_code == (row.valid ? row.code : kCloseProtocolError));
    }
  }
}

TEST_CASE("malformed frames fail with the right close code") {
  struct Row {
    std::string_view what;
    Role role;
    Bytes bytes;
    uint16_t code;
  };
  const uint16_t kPE = kCloseProtocolError;
  // Each row ends with the byte that gives the violation away.
  std::vector<Row> rows = {
      {"RSV1", Role::kServer, {0xC1}, kPE},
      {"RSV2", Role::kServer, {0xA1}, kPE},
      {"RSV3", Role::kClient, {0x91}, kPE},
      {"unmasked to server", Role::kServer, {0x81, 0x00}, kPE},
      {"masked to client", Role::kClient, {0x82, 0x80}, kPE},
      {"fragmented ping", Role::kServer, {0x09}, kPE},
      {"fragmented close", Role::kClient, {0x08}, kPE},
      {"ping of 126", Role::kClient, {0x89, 0x7E}, kPE},
      {"pong of 64-bit length", Role::kClient, {0x8A, 0x7F}, kPE},
      {"close of 1 byte", Role::kServer, {0x88, 0x81}, kPE},
      {"continuation first", Role::kServer, {0x80}, kPE},
      {"text inside a message", Role::kClient, {0x01, 0x01, 'a', 0x81}, kPE},
      {"binary inside a message",
       Role::kClient,
       {0x02, 0x00, 0x89, 0x00, 0x82},
       kPE},
      {"continuation after the end",
       Role::kClient,
       {0x01, 0x00, 0x80, 0x00, 0x80},
       kPE},
      {"16-bit length under 126", Role::kClient, {0x82, 0x7E, 0x00, 0x7D}, kPE},
      {"64-bit length under 65536",
       Role::kClient,
       {0x82, 0x7F, 0, 0, 0, 0, 0, 0, 0xFF, 0xFF},
       kPE},
      {"64-bit length top bit",
       Role::kClient,
       {0x82, 0x7F, 0x80},
       kCloseMessageTooBig},
      {"64-bit length top bit, masked",
       Role::kServer,
       {0x82, 0xFF, 0xFF},
       kCloseMessageTooBig},
  };
  for (uint8_t op : {3, 4, 5, 6, 7, 0xB, 0xC, 0xD, 0xE, 0xF}) {
    rows.push_back({"reserved opcode",
                    Role::kClient,
                    {static_cast<uint8_t>(0x80 | op)},
                    kPE});
  }
  for (const Row& row : rows) {
    CAPTURE(row.what);
    for (Split split : {Split::kWhole, Split::kByteByByte}) {
      std::mt19937_64 rng(1);
      FrameDecoder decoder(row.role);
      Recorder recorder;
      const DecodeResult r = FeedAll(decoder, row.bytes, split, rng, recorder);
      CHECK(r.state == DecodeState::kFailed);
      CHECK(r.close_code == row.code);
      // The violation is found at the last byte of each row, not before.
      CHECK(r.consumed == row.bytes.size());
      Bytes more = {0x81, 0x00};
      CHECK(decoder.Feed(more, recorder).state == DecodeState::kFailed);
    }
  }
}

TEST_CASE("the largest legal length is taken") {
  Bytes wire = {0x82, 0x7F, 0x7F, 0xFF, 0xFF, 0xFF,
                0xFF, 0xFF, 0xFF, 0xFF, 'a',  'b'};
  FrameDecoder decoder(Role::kClient);
  Recorder recorder;
  const DecodeResult r = decoder.Feed(wire, recorder);
  CHECK(r.state == DecodeState::kOpen);
  CHECK(r.consumed == wire.size());
  REQUIRE(recorder.frames.size() == 1);
  CHECK(recorder.frames[0].header.payload_bytes == 0x7FFF'FFFF'FFFF'FFFFull);
  CHECK(recorder.frames[0].payload == Bytes{'a', 'b'});
}

TEST_CASE("random and mutated input never breaks the decoder's contract") {
  const uint64_t seed = testing::TestSeed();
  INFO(testing::SeedNote(seed));
  std::mt19937_64 rng(seed);
  for (int round = 0; round < 3000; ++round) {
    const Role role = (round & 1) ? Role::kServer : Role::kClient;
    Bytes input;
    if (round % 3 == 0) {
      input.resize(rng() % 200);
      for (uint8_t& b : input) b = static_cast<uint8_t>(rng());
    } else {
      // A valid stream with a few bytes flipped.
      for (int f = 0; f < 4; ++f) {
        const Opcode ops[] = {Opcode::kText, Opcode::kPing, Opcode::kClose};
        const Opcode op = ops[rng() % 3];
        const Bytes payload = op == Opcode::kClose ? CloseBody(1000, "ok")
                                                   : Payload(rng() % 130, 0);
        const Bytes wire =
            Encode(Header(role, op, true, payload.size(), 0x9E3779B9), payload);
        input.insert(input.end(), wire.begin(), wire.end());
      }
      for (int flips = 1 + rng() % 3; flips > 0; --flips) {
        input[rng() % input.size()] ^= static_cast<uint8_t>(1 << (rng() % 8));
      }
    }
    FrameDecoder decoder(role);
    Recorder recorder;
    const DecodeResult r =
        FeedAll(decoder, input, Split::kRandom, rng, recorder);
    CHECK(r.consumed <= input.size());
    if (r.state == DecodeState::kOpen) CHECK(r.consumed == input.size());
    if (r.state == DecodeState::kFailed) {
      CHECK((r.close_code == kCloseProtocolError ||
             r.close_code == kCloseMessageTooBig));
    }
  }
}

}  // namespace
}  // namespace tcpkali::engine::ws
