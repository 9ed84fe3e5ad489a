// Connection: one slot of a worker's fixed connection slab. The slot index
// is also the connection's direct-descriptor index in the worker ring's
// fixed-file table, so a slot needs no descriptor field and no lookup.
//
// Owned by its worker thread; never shared. The slot holds only what every
// connection needs (state, generation, pacing, stream positions, the timer
// node); what only some options need lives in side tables indexed by slot.
// Its size is part of the memory budget per idle connection (see the
// static_assert below).
#ifndef TCPKALI_ENGINE_CONNECTION_H_
#define TCPKALI_ENGINE_CONNECTION_H_

#include <cstdint>

#include "engine/pacer.h"
#include "engine/timing_wheel.h"

namespace tcpkali::engine {

enum class ConnState : uint8_t {
  kFree,         // no socket; a client slot waits for the connect pacer
  kConnecting,   // socket/bind/connect chain in flight
  kEstablished,  // connected (or accepted): receiving, maybe sending
  kClosing,      // shutdown submitted; waiting for its operations to end
  kClosed,       // close_direct in flight; free when it completes
};

// Why an outgoing connection attempt failed (the summary counts each).
enum class FailCause : uint8_t {
  kNone,
  kRefused,
  kTimeout,
  kReset,
  kNoAddress,  // EADDRNOTAVAIL: the source/destination port space ran out
  kOther,
};

// Bits of Connection::flags.
enum ConnFlag : uint8_t {
  kIncoming = 1 << 0,       // accepted by our listener
  kRecvArmed = 1 << 1,      // a multishot receive is in flight
  kSendInFlight = 1 << 2,   // one send at a time
  kFirstByteSeen = 1 << 3,  // --latency-first-byte recorded
  kWriteShut = 1 << 4,      // our side has sent FIN (drain)
  kSocketFull = 1 << 5,     // the last send was short: the socket was full
  kWaitingScratch = 1 << 6, // queued for a free scratch chunk
  kCounted = 1 << 7,        // counted as established (so its end is counted)
};

// What the connection's one timer is currently for.
enum TimerKind : uint16_t {
  kTimerNone = 0,
  kTimerConnection,  // the connection's own: pacing, delay-send, lifetime,
                     // downstream budget (Worker::NextWakeup takes the min)
  kTimerOpener,      // the worker's connect pacer (owner unused)
  kTimerDrain,       // the worker's drain deadline (owner unused)
};

struct Connection {
  TimerNode timer;
  uint32_t generation = 0;
  ConnState state = ConnState::kFree;
  uint8_t flags = 0;
  uint8_t pending_ops = 0;  // completions still to come for this slot
  FailCause fail_cause = FailCause::kNone;
  uint32_t endpoint = 0;      // index into the plan's endpoints (client)
  uint32_t uid = 0;           // \{connection.uid}: 1, 2, 3, ... per process
  uint32_t first_bytes = 0;   // bytes of the first messages sent so far;
                              // in echo mode, of the held buffer echoed
  uint32_t inflight_bytes = 0;  // bytes of the send in flight
  int64_t start_ns = 0;       // connect submitted, or accepted
  uint64_t stream_bytes = 0;  // bytes of the repeated messages sent so far
  PacerState send_pacer;      // messages (--message-rate) or bytes (upstream)
  uint32_t match_state = 0;   // --latency-marker / --message-stop progress
  uint32_t next_message = 0;  // repeated message to expand next (scratch)
  // What the send in flight comes from, besides the shared buffers:
  //   0                    nothing of the worker's
  //   1 .. kEchoBufferBase a scratch chunk (its id + 1)
  //   kEchoBufferBase + id a receive buffer being echoed back (echo mode)
  uint32_t scratch = 0;

  bool Has(ConnFlag f) const { return (flags & f) != 0; }
  void Set(ConnFlag f) { flags |= f; }
  void Clear(ConnFlag f) { flags &= static_cast<uint8_t>(~f); }
};

inline constexpr uint32_t kNoScratch = ~0u;
inline constexpr uint32_t kEchoBufferBase = 1u << 31;
// Connection::first_bytes once every first message has been sent.
inline constexpr uint32_t kFirstDone = ~0u;

}  // namespace tcpkali::engine

#endif  // TCPKALI_ENGINE_CONNECTION_H_
