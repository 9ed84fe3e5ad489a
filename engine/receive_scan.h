// Receive-side scanning state: what a connection remembers between
// receive buffers so that markers split across them are still found, and
// what it needs to turn a --latency-marker sighting into a latency.
//
// Lives in a per-worker side table indexed by slot, allocated only when
// --latency-marker or --message-marker is given, so a run without them
// pays nothing per connection.
#ifndef TCPKALI_ENGINE_RECEIVE_SCAN_H_
#define TCPKALI_ENGINE_RECEIVE_SCAN_H_

#include <cstdint>

#include "engine/marker_scanner.h"

namespace tcpkali::engine {

// Messages whose send times are remembered for --latency-marker on an
// unpaced connection: sends in flight or awaiting their replies, oldest
// first. When more are outstanding, the newest entry takes the extra
// messages at its own (earlier) time, which keeps the memory fixed.
inline constexpr int kSendBatches = 6;

struct ScanState {
  // --latency-marker.
  uint32_t marker_state = 0;  // StreamMatcher progress
  uint32_t skipped = 0;       // sightings ignored so far (--latency-marker-skip)
  uint64_t sightings = 0;     // sightings matched to messages
  uint64_t messages_sent = 0; // repeated messages fully sent
  int64_t submit_ns = 0;      // when the send in flight was submitted
  // Unpaced connections: send batches {time, messages}, a ring.
  struct Batch {
    int64_t time_ns;
    uint64_t messages;
  };
  Batch batches[kSendBatches];
  uint8_t batch_head = 0;
  uint8_t batch_count = 0;
  // --message-marker.
  MarkerScanState message_marker;
};

}  // namespace tcpkali::engine

#endif  // TCPKALI_ENGINE_RECEIVE_SCAN_H_
