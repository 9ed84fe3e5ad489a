// The WebSocket transport (--ws): the upgrade handshake on both sides, frame
// decoding of everything received after it, and the control frames a peer
// is owed (pong for ping, close for close). Messages themselves are framed
// by the message compiler, so the send path is the same as for TCP.
#include <cstdio>
#include <cstring>

#include "engine/worker.h"

namespace tcpkali::engine {

namespace {

// The Host header of a destination: host:port as written, IPv6 bracketed.
std::string HostHeader(const Destination& d) {
  if (d.host.find(':') != std::string::npos) return "[" + d.host + "]:" + d.port;
  return d.host + ":" + d.port;
}

}  // namespace

// Receives one decoded frame stream on behalf of a connection.
class Worker::WsVisitor final : public ws::FrameVisitor {
 public:
  WsVisitor(Worker& worker, Connection& c, uint32_t slot, WsState& w)
      : worker_(worker), c_(c), slot_(slot), w_(w) {}

  void OnFrameBegin(const ws::FrameHeader& header) override {
    opcode_ = header.opcode;
    w_.gathering_ping = header.opcode == ws::Opcode::kPing;
    if (w_.gathering_ping) w_.control_bytes = 0;
    if (echo_ != nullptr && !ws::IsControl(header.opcode)) {
      // Echo the frame back as a server frame: same type and length, no
      // mask. The output never outgrows the input (the mask key goes).
      ws::FrameHeader out{.opcode = header.opcode, .fin = header.fin,
                          .payload_bytes = header.payload_bytes};
      echo_used_ += ws::EncodeFrameHeader(echo_ + echo_used_, out);
    }
  }

  void OnPayload(std::span<uint8_t> payload) override {
    if (w_.gathering_ping) {
      const size_t room = sizeof w_.control - w_.control_bytes;
      const size_t n = std::min(room, payload.size());
      std::memcpy(w_.control + w_.control_bytes, payload.data(), n);
      w_.control_bytes = static_cast<uint8_t>(w_.control_bytes + n);
      return;
    }
    if (ws::IsControl(opcode_)) return;
    worker_.OnPayload(c_, slot_, payload.data(), payload.size());
    if (echo_ != nullptr) {
      std::memcpy(echo_ + echo_used_, payload.data(), payload.size());
      echo_used_ += payload.size();
    }
  }

  void OnFrameEnd(const ws::FrameEnd& end) override {
    if (end.opcode == ws::Opcode::kPing) {
      w_.gathering_ping = false;
      worker_.QueueControl(c_, slot_, ws::Opcode::kPong, w_.control,
                           w_.control_bytes, /*close_after=*/false);
    }
    if (end.message_end && !worker_.CountsMarkers()) {
      stats::Add(worker_.counters_.msgs_received, 1);
    }
  }

  void SetEcho(uint8_t* out) { echo_ = out; }
  size_t echo_used() const { return echo_used_; }

 private:
  Worker& worker_;
  Connection& c_;
  const uint32_t slot_;
  WsState& w_;
  ws::Opcode opcode_ = ws::Opcode::kContinuation;
  uint8_t* echo_ = nullptr;
  size_t echo_used_ = 0;
};

bool Worker::CountsMarkers() const {
  return plan_.latency_marker.has_value() || config_.message_marker;
}

void Worker::WsStart(Connection& c, uint32_t slot) {
  WsState& w = ws_[slot];
  w.~WsState();
  new (&w) WsState();
  w.handshake_start_ns = now_ns_;
  if (c.Has(kIncoming)) {
    w.handshake.emplace<ws::UpgradeRequestParser>();
    w.decoder = ws::FrameDecoder(ws::Role::kServer);
  } else {
    w.decoder = ws::FrameDecoder(ws::Role::kClient);
  }
}

// The client's upgrade request, built into a scratch chunk when the
// connection may first send. The key is random per connection.
bool Worker::WsSendRequest(Connection& c, uint32_t slot) {
  const uint32_t id = scratch_.Acquire();
  if (id == kNoScratch) return false;
  ws_[slot].request_sent = true;
  uint8_t nonce[ws::kKeyBytes];
  for (size_t i = 0; i < sizeof nonce; i += 8) {
    const uint64_t r = rng_.Next();
    std::memcpy(nonce + i, &r, 8);
  }
  const ws::KeyText key = ws::EncodeKey(nonce);
  WsState& w = ws_[slot];
  w.handshake.emplace<ws::UpgradeResponseParser>(
      ws::AcceptFor(std::string_view(key.data(), key.size())));
  const Destination& d =
      config_.destinations[plan_.endpoints[c.endpoint].destination_index];
  const std::string host = HostHeader(d);
  const ws::UpgradeRequest request{.host = host,
                                   .path = d.path,
                                   .key = std::string_view(key.data(), key.size()),
                                   .headers = config_.ws_headers};
  char* out = reinterpret_cast<char*>(scratch_.Data(id));
  const size_t n = ws::BuildUpgradeRequest(request, {out, scratch_.bytes()});
  c.scratch = id + 1;
  scratch_.chunk(id) = {.begin = 0, .end = static_cast<uint32_t>(n),
                        .messages = 0, .kind = ChunkKind::kWsHandshake};
  w.handshake_start_ns = now_ns_;
  SubmitSend(c, slot, scratch_.Data(id), static_cast<uint32_t>(n));
  return true;
}

// Everything received on a WebSocket connection comes here: the rest of
// the handshake, then frames.
void Worker::WsReceive(Connection& c, uint32_t slot, uint8_t* data, size_t len) {
  WsState& w = ws_[slot];
  size_t offset = 0;
  if (w.phase == WsPhase::kHandshake) {
    ws::HandshakeResult r;
    if (auto* p = std::get_if<ws::UpgradeResponseParser>(&w.handshake)) {
      r = p->Feed({data, len});
    } else if (auto* q = std::get_if<ws::UpgradeRequestParser>(&w.handshake)) {
      r = q->Feed({data, len});
    } else {
      r.state = ws::HandshakeState::kFailed;  // data before our request
      r.error = ws::HandshakeError::kMalformed;
    }
    if (r.state == ws::HandshakeState::kNeedMore) return;
    if (r.state == ws::HandshakeState::kFailed) {
      WsHandshakeFailed(c, slot, r);
      return;
    }
    offset = r.consumed;
    w.phase = WsPhase::kOpen;
    if (c.Has(kIncoming)) {
      WsSendAccept(c, slot);
    } else {
      stats_.RecordLatency(stats::LatencyKind::kWsHandshake,
                           now_ns_ - w.handshake_start_ns);
      CountOutgoing(c);
      TrySend(c, slot);
    }
  }
  if (offset == len || w.phase != WsPhase::kOpen) return;

  WsVisitor visitor(*this, c, slot, w);
  uint32_t echo_chunk = kNoScratch;
  if (c.Has(kIncoming) && config_.listen_mode == ListenMode::kEcho &&
      c.scratch == 0) {
    echo_chunk = scratch_.Acquire();
    if (echo_chunk != kNoScratch) visitor.SetEcho(scratch_.Data(echo_chunk));
  }
  const ws::DecodeResult r =
      w.decoder.Feed({data + offset, len - offset}, visitor);
  if (echo_chunk != kNoScratch) {
    if (visitor.echo_used() == 0) {
      scratch_.Release(echo_chunk);
    } else {
      c.scratch = echo_chunk + 1;
      scratch_.chunk(echo_chunk) = {.begin = 0,
                                    .end = static_cast<uint32_t>(visitor.echo_used()),
                                    .messages = 0, .kind = ChunkKind::kWsEcho};
      if (!c.Has(kSendInFlight)) {
        SubmitSend(c, slot, scratch_.Data(echo_chunk),
                   static_cast<uint32_t>(visitor.echo_used()));
      }
    }
  }
  if (r.state != ws::DecodeState::kOpen) {
    // A close from the peer is answered with its code; a protocol error
    // closes with ours. Either way the connection ends after it is sent.
    const uint16_t code =
        r.close_code == ws::kCloseNoStatus ? ws::kCloseNormal : r.close_code;
    const uint8_t payload[2] = {static_cast<uint8_t>(code >> 8),
                                static_cast<uint8_t>(code)};
    QueueControl(c, slot, ws::Opcode::kClose, payload, 2, /*close_after=*/true);
  }
}

void Worker::WsHandshakeFailed(Connection& c, uint32_t slot,
                               const ws::HandshakeResult& r) {
  stats::Add(counters_.ws_handshake_failures, 1);
  if (config_.verbosity >= 2) {
    const std::string_view why = ws::HandshakeErrorName(r.error);
    std::fprintf(stderr, "tcpkali: WebSocket handshake failed (HTTP %u, %.*s)\n",
                 r.http_status, static_cast<int>(why.size()), why.data());
  }
  WsState& w = ws_[slot];
  w.phase = WsPhase::kClosing;
  if (!c.Has(kIncoming) || c.Has(kSendInFlight)) {
    BeginClose(c, slot);
    return;
  }
  // The answer is static text: sent from where it is, then the close.
  const std::string_view answer = ws::RejectResponse(r.error);
  w.control_in_flight = true;
  w.close_after_send = true;
  SubmitSend(c, slot, reinterpret_cast<const uint8_t*>(answer.data()),
             static_cast<uint32_t>(answer.size()));
}

void Worker::WsSendAccept(Connection& c, uint32_t slot) {
  const uint32_t id = scratch_.Acquire();
  if (id == kNoScratch) {
    BeginClose(c, slot);  // cannot answer now; the client will see EOF
    return;
  }
  const std::string_view key = std::get<ws::UpgradeRequestParser>(ws_[slot].handshake).key();
  const size_t n = ws::BuildAcceptResponse(key, reinterpret_cast<char*>(scratch_.Data(id)));
  c.scratch = id + 1;
  scratch_.chunk(id) = {.begin = 0, .end = static_cast<uint32_t>(n),
                        .messages = 0, .kind = ChunkKind::kWsHandshake};
  SubmitSend(c, slot, scratch_.Data(id), static_cast<uint32_t>(n));
}

// Builds a control frame into the connection's WsState and sends it as
// soon as no other send is in flight. Client frames are masked.
void Worker::QueueControl(Connection& c, uint32_t slot, ws::Opcode opcode,
                          const uint8_t* payload, size_t len, bool close_after) {
  WsState& w = ws_[slot];
  if (w.phase == WsPhase::kClosing) return;  // a close is already on its way
  ws::FrameHeader header{.opcode = opcode, .payload_bytes = len};
  if (!c.Has(kIncoming)) header.mask_key = static_cast<uint32_t>(rng_.Next());
  const size_t h = ws::EncodeFrameHeader(w.control_frame, header);
  std::memmove(w.control_frame + h, payload, len);
  if (header.mask_key) ws::MaskPayload(w.control_frame + h, len, *header.mask_key, 0);
  w.control_frame_bytes = static_cast<uint8_t>(h + len);
  w.control_pending = true;
  w.close_after_send = close_after;
  if (opcode == ws::Opcode::kClose) w.phase = WsPhase::kClosing;
  if (!c.Has(kSendInFlight)) WsSendControl(c, slot);
}

void Worker::WsSendControl(Connection& c, uint32_t slot) {
  WsState& w = ws_[slot];
  w.control_pending = false;
  w.control_in_flight = true;
  SubmitSend(c, slot, w.control_frame, w.control_frame_bytes);
}

// A send of this connection completed; true when it was the control frame
// (which carries no messages and may end the connection).
bool Worker::WsControlSent(Connection& c, uint32_t slot) {
  WsState& w = ws_[slot];
  if (!w.control_in_flight) return false;
  w.control_in_flight = false;
  if (w.close_after_send && c.state == ConnState::kEstablished) {
    BeginClose(c, slot);
  }
  return true;
}

}  // namespace tcpkali::engine
