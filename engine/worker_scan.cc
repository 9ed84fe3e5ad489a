// Receive-side scanning: --message-stop, --latency-marker and
// --message-marker, each finding its pattern in the stream as it arrives
// without copying it.
#include <cstdio>

#include "engine/worker.h"

namespace tcpkali::engine {

void Worker::ScanReceived(Connection& c, uint32_t slot, const uint8_t* data,
                          size_t len) {
  if (plan_.message_stop) {
    bool found = false;
    plan_.message_stop->Scan(c.match_state, data, len,
                             [&found](size_t) { found = true; });
    if (found) control_.message_stop_seen.store(true, std::memory_order_relaxed);
  }
  if (scan_ == nullptr) return;
  ScanState& s = scan_[slot];
  // A marker answers a message this connection sent: connections that do
  // not send (a sink, an echo) have nothing to time.
  if (plan_.latency_marker && Sends(c)) {
    plan_.latency_marker->Scan(s.marker_state, data, len,
                               [&](size_t) { OnMarkerSighting(c, s); });
  }
  if (config_.message_marker) {
    const int64_t now_us = RealtimeUs(now_ns_);
    // Received messages are counted once: by --latency-marker sightings
    // when it is given, else by message markers.
    const bool count = !plan_.latency_marker;
    ScanMarkers(s.message_marker, data, len, [&](uint64_t sent_us) {
      if (count) stats::Add(counters_.msgs_received, 1);
      const int64_t one_way_us = now_us - static_cast<int64_t>(sent_us);
      stats_.RecordLatency(stats::LatencyKind::kMessage, one_way_us * 1000);
    });
  }
}

// The marker answers the oldest message not yet answered: its latency runs
// from that message's intended send time (paced) or the submission of the
// send that carried it (unpaced) to now.
void Worker::OnMarkerSighting(Connection& c, ScanState& s) {
  if (s.skipped < config_.latency_marker_skip) {
    ++s.skipped;
    return;
  }
  if (s.sightings >= s.messages_sent) {
    control_.marker_overrun.store(true, std::memory_order_relaxed);
    return;
  }
  const uint64_t index = s.sightings++;
  stats::Add(counters_.msgs_received, 1);
  int64_t sent_ns;
  if (message_rate_) {
    sent_ns = IntendedTimeNs(*message_rate_, c.send_pacer, index);
  } else {
    ScanState::Batch& oldest = s.batches[s.batch_head];
    sent_ns = oldest.time_ns;
    if (--oldest.messages == 0) {
      s.batch_head = static_cast<uint8_t>((s.batch_head + 1) % kSendBatches);
      --s.batch_count;
    }
  }
  stats_.RecordLatency(stats::LatencyKind::kMessage, now_ns_ - sent_ns);
}

// `messages` repeated messages have gone out completely.
void Worker::OnMessagesSent(uint32_t slot, uint64_t messages) {
  if (scan_ == nullptr || !plan_.latency_marker || messages == 0) return;
  ScanState& s = scan_[slot];
  s.messages_sent += messages;
  if (message_rate_) return;  // intended times follow from the index
  if (s.batch_count == kSendBatches) {
    // Full: the newest batch takes these too, at its (earlier) time, so a
    // merged message's latency errs long, never short.
    const int newest = (s.batch_head + kSendBatches - 1) % kSendBatches;
    s.batches[newest].messages += messages;
    return;
  }
  const int tail = (s.batch_head + s.batch_count) % kSendBatches;
  s.batches[tail] = {s.submit_ns, messages};
  ++s.batch_count;
}

}  // namespace tcpkali::engine
