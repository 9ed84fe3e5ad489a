// The data path: receiving (multishot into provided buffers, or one-shot
// where the receive must be paced or its buffer held), and sending (one
// send in flight per connection, write-combined from the shared stream
// buffer, or from a scratch chunk for messages expanded at send time).
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>

#include "engine/worker.h"

namespace tcpkali::engine {
const CompiledMessages& Worker::MessagesFor(const Connection& c) const {
  return c.Has(kIncoming) ? plan_.server_messages : plan_.client_messages;
}

StreamView Worker::StreamFor(const Connection& c, uint32_t slot) const {
  const auto& s = c.Has(kIncoming) ? plan_.server_stream : plan_.client_stream;
  if (s) return {s->data(), s->size(), s->cycle_bytes(), s->message_ends()};
  if (conn_streams_ == nullptr ||
      MessagesFor(c).repeated_scope() != MessageScope::kPerConnection) {
    return {};
  }
  const uint8_t* region = conn_streams_ + slot * conn_stream_region_;
  uint64_t header[2];  // bytes, cycle
  std::memcpy(header, region, sizeof header);
  const size_t k = MessagesFor(c).repeated.size();
  const auto* ends = reinterpret_cast<const uint64_t*>(region + sizeof header);
  return {region + sizeof header + k * sizeof(uint64_t), header[0], header[1],
          {ends, k}};
}

// Expands the connection's repeated messages once, when it starts: they
// depend on the connection only (\{connection.uid}, \{connection.re}).
void Worker::ExpandConnectionStream(Connection& c, uint32_t slot) {
  const CompiledMessages& m = MessagesFor(c);
  uint8_t* region = conn_streams_ + slot * conn_stream_region_;
  const size_t k = m.repeated.size();
  auto* ends = reinterpret_cast<uint64_t*>(region + 2 * sizeof(uint64_t));
  uint8_t* data = region + 2 * sizeof(uint64_t) + k * sizeof(uint64_t);
  const ExpandContext ctx{.connection_uid = c.uid, .run_seed = plan_.run_seed};
  const ConnectionStream stream = engine::ExpandConnectionStream(
      m.repeated, ctx, plan_.conn_stream_target_bytes, data, ends);
  const uint64_t header[2] = {stream.bytes, stream.cycle_bytes};
  std::memcpy(region, header, sizeof header);
}

const std::string* Worker::FirstStaticFor(const Connection& c) const {
  const auto& s =
      c.Has(kIncoming) ? plan_.server_first_static : plan_.client_first_static;
  return s ? &*s : nullptr;
}

bool Worker::HasMessages(const Connection& c) const {
  const CompiledMessages& m = MessagesFor(c);
  return !m.first.empty() || !m.repeated.empty();
}

bool Worker::Sends(const Connection& c) const {
  if (c.Has(kIncoming)) return config_.listen_mode == ListenMode::kActive;
  return true;
}

// --- Receiving -----------------------------------------------------------

bool Worker::OneShotRecv(const Connection& c) const {
  // Echo holds the buffer until its send completes, and a downstream limit
  // must be able to stop reading: both need one receive at a time.
  return downstream_ != nullptr ||
         (c.Has(kIncoming) && config_.listen_mode == ListenMode::kEcho);
}

void Worker::ArmRecv(Connection& c, uint32_t slot) {
  if (c.Has(kRecvArmed) || c.state != ConnState::kEstablished ||
      phase_ == Phase::kStop) {
    return;
  }
  io_uring_sqe* sqe = Sqe(Op::kRecv, slot, c.generation);
  if (OneShotRecv(c)) {
    io_uring_prep_recv(sqe, static_cast<int>(slot), nullptr, 0, 0);
  } else {
    io_uring_prep_recv_multishot(sqe, static_cast<int>(slot), nullptr, 0, 0);
  }
  sqe->flags |= IOSQE_FIXED_FILE | IOSQE_BUFFER_SELECT;
  sqe->buf_group = 0;
  c.Set(kRecvArmed);
  AddPending(c);
}

void Worker::OnRecv(Connection& c, uint32_t slot, const io_uring_cqe& cqe) {
  const bool more = (cqe.flags & IORING_CQE_F_MORE) != 0;
  if (!more) {
    c.Clear(kRecvArmed);
    DonePending(c);
  }
  const int res = cqe.res;
  bool held = false;
  if (res > 0) {
    const uint16_t id = static_cast<uint16_t>(cqe.flags >> IORING_CQE_BUFFER_SHIFT);
    uint8_t* data = buffers_->Data(id);
    stats::Add(counters_.bytes_received, static_cast<uint64_t>(res));
    stats::Add(counters_.recv_ops, 1);
    if (!c.Has(kFirstByteSeen)) {
      c.Set(kFirstByteSeen);
      stats_.RecordLatency(stats::LatencyKind::kFirstByte, now_ns_ - c.start_ns);
    }
    if (downstream_ != nullptr) Consume(downstream_[slot], static_cast<uint64_t>(res));
    if (ws_ != nullptr) {
      if (c.state == ConnState::kEstablished) {
        WsReceive(c, slot, data, static_cast<size_t>(res));
      }
    } else {
      OnPayload(c, slot, data, static_cast<size_t>(res));
    }
    if (ws_ == nullptr && c.Has(kIncoming) &&
        config_.listen_mode == ListenMode::kEcho &&
        c.state == ConnState::kEstablished && phase_ == Phase::kRun) {
      held = true;
      c.scratch = kEchoBufferBase + id;  // the buffer goes back after the send
      SubmitSend(c, slot, data, static_cast<uint32_t>(res));
    }
    if (!held) buffers_->Return(id);
  } else if (res == 0) {
    // The peer has sent all it will. A client with messages to send keeps
    // sending (the peer may only have shut its write side); a sink, an
    // echo, or a client with nothing to send has no more use for it.
    if (c.Has(kIncoming) || !Sends(c) || !HasMessages(c) || phase_ != Phase::kRun) {
      BeginClose(c, slot);
    }
  } else if (res == -ENOBUFS) {
    stats::Add(counters_.enobufs, 1);
  } else if (res != -ECANCELED) {
    if (res == -ECONNRESET && !c.Has(kIncoming)) {
      stats::Add(counters_.conn_failed_reset, 1);
    }
    BeginClose(c, slot);
  }
  if (more) return;
  if (c.state == ConnState::kEstablished && res != 0) {
    if (res == -ENOBUFS) {
      rearm_.push_back(slot);  // after this batch has returned its buffers
    } else if (!held && !WaitingForEcho(c) && !RecvPaused(slot)) {
      ArmRecv(c, slot);
    } else if (!held) {
      RearmConnectionTimer(c);  // wait for the downstream budget
    }
  } else if (c.pending_ops == 0 &&
             (c.state == ConnState::kClosing || c.state == ConnState::kConnecting)) {
    SubmitClose(c, slot);
  }
}

bool Worker::RecvPaused(uint32_t slot) const {
  if (downstream_ == nullptr) return false;
  if (phase_ == Phase::kDrain && SelfSink()) return false;  // reads to the FIN
  return Due(*plan_.downstream_rate, downstream_[slot], now_ns_) == 0;
}

void Worker::RearmDeferred() {
  for (uint32_t slot : rearm_) {
    Connection& c = slab_[slot];
    if (c.state == ConnState::kEstablished) ArmRecv(c, slot);
  }
  rearm_.clear();
}

// Received application bytes (TCP data, or WebSocket payload): dumped and
// scanned for markers.
void Worker::OnPayload(Connection& c, uint32_t slot, uint8_t* data, size_t len) {
  if (control_.dumps != nullptr) Dump(Direction::kReceive, c, data, len);
  if (plan_.message_stop || scan_ != nullptr) ScanReceived(c, slot, data, len);
}

bool Worker::WaitingForEcho(const Connection& c) {
  return c.scratch != 0 && c.scratch < kEchoBufferBase &&
         scratch_.chunk(c.scratch - 1).kind == ChunkKind::kWsEcho;
}

void Worker::Dump(Direction direction, const Connection& c, const uint8_t* data,
                  size_t len) {
  if (!control_.dumps->ShouldDump(direction, c.uid)) return;
  dump_text_.clear();
  AppendDump(dump_text_, direction, c.uid, data, len);
  (void)!write(STDERR_FILENO, dump_text_.data(), dump_text_.size());
}

// --- Sending -------------------------------------------------------------

void Worker::SubmitSend(Connection& c, uint32_t slot, const uint8_t* data,
                        uint32_t len) {
  io_uring_sqe* sqe = Sqe(Op::kSend, slot, c.generation);
  io_uring_prep_send(sqe, static_cast<int>(slot), data, len, MSG_NOSIGNAL);
  sqe->flags |= IOSQE_FIXED_FILE;
  // After a short send the socket is full: wait for room before trying,
  // rather than try, fail with EAGAIN inside the kernel, and then wait.
  if (c.Has(kSocketFull)) sqe->ioprio |= IORING_RECVSEND_POLL_FIRST;
  c.inflight_bytes = len;
  c.Set(kSendInFlight);
  if (scan_ != nullptr) scan_[slot].submit_ns = now_ns_;
  AddPending(c);
  ++sends_in_flight_;
  if (control_.dumps != nullptr) Dump(Direction::kSend, c, data, len);
}

// The connection's one timer stands for the earliest of: the end of its
// lifetime, the end of --delay-send, the next message or byte its upstream
// pacer allows, and the downstream budget that lets it read again.
int64_t Worker::NextWakeup(const Connection& c) const {
  const uint32_t slot = c.timer.owner;  // every slot's timer names its slot
  int64_t t = LifetimeEnd(c);
  if (c.state != ConnState::kEstablished) return t;
  const CompiledMessages& messages = MessagesFor(c);
  const bool has_messages = !messages.first.empty() || !messages.repeated.empty();
  if (Sends(c) && has_messages && !c.Has(kSendInFlight) &&
      !c.Has(kWaitingScratch) && phase_ == Phase::kRun) {
    if (now_ns_ < c.send_pacer.start_ns) {
      t = std::min(t, c.send_pacer.start_ns);
    } else {
      // When it may send next: its message pacer permitting (unless
      // messages it released are still to go), then its byte budget.
      int64_t send_ns = now_ns_;
      const bool repeated = c.first_bytes == kFirstDone || messages.first.empty();
      if (message_rate_ && repeated && !ReleasedUnsent(c, slot)) {
        send_ns = NextDueNs(*message_rate_, c.send_pacer);
      }
      if (upstream_ != nullptr) {
        send_ns = std::max(send_ns, NextDueNs(*plan_.upstream_rate, upstream_[slot]));
      }
      if (message_rate_ || upstream_ != nullptr) t = std::min(t, send_ns);
    }
  }
  if (downstream_ != nullptr && !c.Has(kRecvArmed) && c.scratch < kEchoBufferBase) {
    t = std::min(t, NextDueNs(*plan_.downstream_rate, downstream_[slot]));
  }
  return t;
}

// When --channel-lifetime ends the connection, or kNeverNs. It is the
// client's: our own sink keeps reading until the client closes, so that
// nothing it sent is lost to a reset.
int64_t Worker::LifetimeEnd(const Connection& c) const {
  if (!plan_.channel_lifetime_ns || c.Has(kIncoming)) return kNeverNs;
  // send_pacer starts --delay-send after the connection was established.
  const int64_t established = c.send_pacer.start_ns - config_.delay_send_ns;
  return established + *plan_.channel_lifetime_ns;
}

void Worker::RearmConnectionTimer(Connection& c) {
  const int64_t deadline = NextWakeup(c);
  if (deadline == kNeverNs) {
    wheel_->Cancel(&c.timer);
  } else {
    ScheduleAtOrAfter(&c.timer, deadline);
  }
}

// The wheel fires a timer anywhere in its deadline's tick, which may be
// before the deadline. Rounding the deadline up to a tick boundary makes
// timers fire never early and at most one tick late: a paced message never
// leaves before its intended time (so no latency can come out negative),
// and a timer never finds nothing due and spins until its time comes.
void Worker::ScheduleAtOrAfter(TimerNode* node, int64_t deadline_ns) {
  const int64_t base = wheel_->current_ns();
  const int64_t tick = wheel_->tick_ns();
  if (deadline_ns > base) {
    deadline_ns = base + (deadline_ns - base + tick - 1) / tick * tick;
  }
  wheel_->Schedule(node, deadline_ns);
}

void Worker::OnConnectionTimer(Connection& c, uint32_t slot) {
  if (c.state == ConnState::kConnecting && !c.Has(kIncoming)) {
    // --connect-timeout: the connect completes with -ECANCELED.
    CancelOp(Op::kConnect, slot, c.generation);
    return;
  }
  if (c.state != ConnState::kEstablished) return;
  if (now_ns_ >= LifetimeEnd(c)) {
    BeginClose(c, slot);
    return;
  }
  if (downstream_ != nullptr && !c.Has(kRecvArmed) && !RecvPaused(slot) &&
      c.scratch < kEchoBufferBase) {
    ArmRecv(c, slot);
  }
  TrySend(c, slot);
  RearmConnectionTimer(c);
}

void Worker::TrySend(Connection& c, uint32_t slot) {
  if (phase_ != Phase::kRun || c.state != ConnState::kEstablished ||
      c.Has(kSendInFlight) || c.Has(kWriteShut) || !Sends(c)) {
    return;
  }
  const CompiledMessages& messages = MessagesFor(c);
  if (messages.first.empty() && messages.repeated.empty()) return;
  if (now_ns_ < c.send_pacer.start_ns) {  // --delay-send
    RearmConnectionTimer(c);
    return;
  }
  // --channel-bandwidth-upstream limits every byte, whatever it belongs to.
  uint64_t max_bytes = UINT64_MAX;
  if (upstream_ != nullptr) {
    DropBacklog(*plan_.upstream_rate, upstream_[slot], now_ns_);
    max_bytes = Due(*plan_.upstream_rate, upstream_[slot], now_ns_);
    if (max_bytes == 0) {
      RearmConnectionTimer(c);
      return;
    }
  }
  // An unfinished scratch chunk goes first, whatever it holds.
  if (c.scratch != 0 && c.scratch < kEchoBufferBase) {
    const ScratchPool::Chunk& chunk = scratch_.chunk(c.scratch - 1);
    SubmitSend(c, slot, scratch_.Data(c.scratch - 1) + chunk.begin,
               Capped(chunk.end - chunk.begin, max_bytes));
    return;
  }
  if (ws_ != nullptr) {
    WsState& w = ws_[slot];
    if (w.control_pending) {
      WsSendControl(c, slot);
      return;
    }
    if (w.phase == WsPhase::kHandshake && !c.Has(kIncoming) && !w.request_sent &&
        !WsSendRequest(c, slot) && !c.Has(kWaitingScratch)) {
      c.Set(kWaitingScratch);
      waiting_scratch_.push_back(slot);
    }
    if (w.phase != WsPhase::kOpen) return;
  }
  if (c.first_bytes != kFirstDone && !messages.first.empty()) {
    if (const std::string* first = FirstStaticFor(c)) {
      SubmitSend(c, slot,
                 reinterpret_cast<const uint8_t*>(first->data()) + c.first_bytes,
                 Capped(first->size() - c.first_bytes, max_bytes));
    } else {
      SendFromScratch(c, slot, /*first=*/true, 0, max_bytes);
    }
    return;
  }
  if (messages.repeated.empty()) return;

  uint64_t max_messages = UINT64_MAX;
  if (message_rate_) {
    max_messages = ReleasePacedMessages(c, slot);
    if (max_messages == 0) return;
  }
  if (const StreamView stream = StreamFor(c, slot)) {
    SendFromStream(c, slot, stream, max_bytes);
  } else {
    SendFromScratch(c, slot, /*first=*/false,
                    message_rate_ ? max_messages : UINT64_MAX, max_bytes);
  }
}

// True when --message-rate released messages that are not all sent yet
// (the byte budget held them back, or a send was short).
bool Worker::ReleasedUnsent(const Connection& c, uint32_t slot) const {
  const StreamView stream = StreamFor(c, slot);
  return stream && c.stream_bytes < stream.OffsetAfterMessages(c.send_pacer.done);
}

uint32_t Worker::Capped(uint64_t bytes, uint64_t max_bytes) {
  return static_cast<uint32_t>(std::min(bytes, max_bytes));
}

// For --message-rate: how many messages may go now. With a static stream,
// released messages are tracked in send_pacer.done and the stream sends up
// to their end; otherwise the count is handed to the scratch expansion.
uint64_t Worker::ReleasePacedMessages(Connection& c, uint32_t slot) {
  const RateSpec& spec = *message_rate_;
  if (ReleasedUnsent(c, slot)) return UINT64_MAX;  // sent up to their end
  const uint64_t due = Due(spec, c.send_pacer, now_ns_);
  if (due == 0) {
    RearmConnectionTimer(c);
    return 0;
  }
  const int64_t lag_ns = LagNs(spec, c.send_pacer, now_ns_);
  stats_.RecordLatency(stats::LatencyKind::kPacingLag, lag_ns);
  if (due > 1) stats::Add(counters_.paced_messages_late, due - 1);
  stats::Add(counters_.msgs_due, due);
  Consume(c.send_pacer, due);
  return due;
}

void Worker::SendFromStream(Connection& c, uint32_t slot,
                            const StreamView& stream, uint64_t max_bytes) {
  uint64_t target = UINT64_MAX;
  if (message_rate_) {
    target = stream.OffsetAfterMessages(c.send_pacer.done);
  } else if (!config_.write_combine) {
    target = stream.OffsetAfterMessages(stream.MessagesCompletedAt(c.stream_bytes) + 1);
  }
  const uint64_t offset = c.stream_bytes % stream.size;
  uint64_t len = stream.size - offset;
  if (target != UINT64_MAX) len = std::min(len, target - c.stream_bytes);
  len = std::min<uint64_t>(len, max_bytes);
  if (len == 0) return;
  SubmitSend(c, slot, stream.data + offset, static_cast<uint32_t>(len));
}

// Expands messages into a scratch chunk and sends it: the first messages
// (all of them, once), or up to `max_messages` repeated ones, as many as
// fit (one under --write-combine off).
void Worker::SendFromScratch(Connection& c, uint32_t slot, bool first,
                             uint64_t max_messages, uint64_t max_bytes) {
  const uint32_t id = scratch_.Acquire();
  if (id == kNoScratch) {
    // Every chunk is in a send: wait for one to come back.
    if (!c.Has(kWaitingScratch)) {
      c.Set(kWaitingScratch);
      waiting_scratch_.push_back(slot);
    }
    return;
  }
  c.scratch = id + 1;
  ScratchPool::Chunk& chunk = scratch_.chunk(id);
  uint8_t* out = scratch_.Data(id);
  const CompiledMessages& messages = MessagesFor(c);
  ExpandContext ctx{.connection_uid = c.uid, .run_seed = plan_.run_seed,
                    .rng = &rng_, .send_time_us = RealtimeUs(now_ns_)};
  size_t used = 0;
  if (first) {
    for (const CompiledMessage& m : messages.first) {
      used += m.Expand(ctx, out + used);
    }
    chunk.messages = 0;
    chunk.kind = ChunkKind::kFirst;
  } else {
    const uint32_t k = static_cast<uint32_t>(messages.repeated.size());
    const uint64_t limit = config_.write_combine ? max_messages : 1;
    const size_t capacity = scratch_.bytes();
    uint32_t next = c.next_message;
    uint32_t n = 0;
    while (n < limit) {
      const CompiledMessage& m = messages.repeated[next];
      if (used + m.max_bytes() > capacity) break;
      if (message_rate_) {
        ctx.send_time_us = RealtimeUs(
            IntendedTimeNs(*message_rate_, c.send_pacer,
                           c.send_pacer.done - max_messages + n));
      }
      used += m.Expand(ctx, out + used);
      if (++next == k) next = 0;
      ++n;
    }
    c.next_message = next;
    chunk.messages = n;
    chunk.kind = ChunkKind::kMessages;
    if (message_rate_ && n < max_messages) {
      // Released but not expanded (the chunk is full): give them back.
      c.send_pacer.done -= max_messages - n;
    }
  }
  chunk.begin = 0;
  chunk.end = static_cast<uint32_t>(used);
  SubmitSend(c, slot, out, Capped(chunk.end, max_bytes));
}

void Worker::OnSendComplete(Connection& c, uint32_t slot, int res) {
  DonePending(c);
  --sends_in_flight_;
  c.Clear(kSendInFlight);
  if (res > 0) {
    const uint64_t sent = static_cast<uint64_t>(res);
    if (sent < c.inflight_bytes) {
      c.Set(kSocketFull);
    } else {
      c.Clear(kSocketFull);
    }
    stats::Add(counters_.bytes_sent, sent);
    stats::Add(counters_.send_ops, 1);
    if (ws_ == nullptr || !WsControlSent(c, slot)) AdvanceSent(c, slot, sent);
  } else if (ws_ != nullptr) {
    ws_[slot].control_in_flight = false;
  }
  if (c.scratch >= kEchoBufferBase) {
    // Echo: the received buffer goes back out as it is; a short send
    // continues from where it stopped, and only then is the buffer returned
    // and the next receive armed (back-pressure on the peer).
    const uint16_t id = static_cast<uint16_t>(c.scratch - kEchoBufferBase);
    if (res > 0 && static_cast<uint32_t>(res) < c.inflight_bytes &&
        c.state == ConnState::kEstablished) {
      c.first_bytes += static_cast<uint32_t>(res);
      SubmitSend(c, slot, buffers_->Data(id) + c.first_bytes,
                 c.inflight_bytes - static_cast<uint32_t>(res));
      return;
    }
    buffers_->Return(id);
    c.scratch = 0;
    c.first_bytes = 0;
    if (c.state == ConnState::kEstablished && phase_ != Phase::kStop) {
      ArmRecv(c, slot);
    }
  }
  if (res < 0 && c.state == ConnState::kEstablished) {
    if ((res == -ECONNRESET || res == -EPIPE) && !c.Has(kIncoming)) {
      stats::Add(counters_.conn_failed_reset, 1);
    }
    BeginClose(c, slot);
  }
  if (c.state != ConnState::kEstablished) {
    if (c.pending_ops == 0 && c.state == ConnState::kClosing) SubmitClose(c, slot);
    return;
  }
  if (phase_ == Phase::kDrain) {
    if (SelfSink() && !c.Has(kIncoming)) ShutWrite(c, slot);
    return;
  }
  TrySend(c, slot);
  WakeScratchWaiters();
}

void Worker::AdvanceSent(Connection& c, uint32_t slot, uint64_t sent) {
  if (c.scratch >= kEchoBufferBase) return;  // echoed bytes carry no messages
  if (c.scratch != 0) {
    ScratchPool::Chunk& chunk = scratch_.chunk(c.scratch - 1);
    chunk.begin += static_cast<uint32_t>(sent);
    if (chunk.begin < chunk.end) return;
    const ChunkKind kind = chunk.kind;
    if (kind == ChunkKind::kFirst) {
      c.first_bytes = kFirstDone;
    } else if (kind == ChunkKind::kMessages) {
      stats::Add(counters_.msgs_sent, chunk.messages);
      OnMessagesSent(slot, chunk.messages);
    }
    scratch_.Release(c.scratch - 1);
    c.scratch = 0;
    scratch_released_ = true;
    if (kind == ChunkKind::kWsEcho && c.state == ConnState::kEstablished) {
      ArmRecv(c, slot);  // the echo is out: read the next frames
    }
  } else if (c.first_bytes != kFirstDone && !MessagesFor(c).first.empty()) {
    c.first_bytes += static_cast<uint32_t>(sent);
    if (c.first_bytes == FirstStaticFor(c)->size()) c.first_bytes = kFirstDone;
  } else if (const StreamView stream = StreamFor(c, slot)) {
    const uint64_t before = stream.MessagesCompletedAt(c.stream_bytes);
    c.stream_bytes += sent;
    const uint64_t completed = stream.MessagesCompletedAt(c.stream_bytes) - before;
    stats::Add(counters_.msgs_sent, completed);
    OnMessagesSent(slot, completed);
  }
  if (upstream_ != nullptr) Consume(upstream_[slot], sent);
}

void Worker::WakeScratchWaiters() {
  if (!scratch_released_) return;
  scratch_released_ = false;
  while (!waiting_scratch_.empty() && scratch_.HasFree()) {
    const uint32_t slot = waiting_scratch_.back();
    waiting_scratch_.pop_back();
    Connection& c = slab_[slot];
    c.Clear(kWaitingScratch);
    TrySend(c, slot);
  }
}

}  // namespace tcpkali::engine
