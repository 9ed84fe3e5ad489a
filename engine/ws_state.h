// WsState: what a WebSocket connection (--ws) keeps beyond the plain TCP
// connection slot: the handshake parser, the frame decoder, and room for
// one control frame (pong or close) waiting to go out.
//
// Lives in a per-worker side table indexed by slot, allocated only under
// --ws. Owned by the worker thread.
#ifndef TCPKALI_ENGINE_WS_STATE_H_
#define TCPKALI_ENGINE_WS_STATE_H_

#include <cstdint>
#include <variant>

#include "engine/websocket_decoder.h"
#include "engine/websocket_frame.h"
#include "engine/websocket_handshake.h"

namespace tcpkali::engine {

enum class WsPhase : uint8_t {
  kHandshake,  // upgrade request or response still being read
  kOpen,       // frames both ways
  kClosing,    // a close frame is queued or sent; nothing else goes out
};

struct WsState {
  WsPhase phase = WsPhase::kHandshake;
  // The frame being received is a ping whose payload is gathered in
  // `control` for the pong.
  bool gathering_ping = false;
  // `control_frame[0, control_frame_bytes)` waits to be sent (a pong or a
  // close); close_after_send: the connection closes once it has gone.
  bool control_pending = false;
  bool close_after_send = false;
  bool control_in_flight = false;  // the send in flight is the control frame
  bool request_sent = false;       // client: the upgrade request went out
  uint8_t control_bytes = 0;  // ping payload gathered so far
  uint8_t control_frame_bytes = 0;
  int64_t handshake_start_ns = 0;
  std::variant<std::monostate, ws::UpgradeResponseParser,
               ws::UpgradeRequestParser>
      handshake;
  ws::FrameDecoder decoder{ws::Role::kServer};
  uint8_t control[125];
  uint8_t control_frame[ws::kMaxFrameHeaderBytes + 125];
};

}  // namespace tcpkali::engine

#endif  // TCPKALI_ENGINE_WS_STATE_H_
