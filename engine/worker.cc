// Worker setup, the loop, completion dispatch, timers and phases. The
// connection state machines are in worker_connect.cc, the data path in
// worker_io.cc.
#include "engine/worker.h"

#include <netinet/in.h>
#include <netinet/tcp.h>
#include <pthread.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <sys/mman.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <new>

#include "absl/strings/str_cat.h"
#include "engine/clock.h"
#include "engine/resolve.h"
#include "engine/uring_compat.h"

namespace tcpkali::engine {
namespace {

// Completions reaped per PeekCqes() call; the CQ is advanced once per batch.
constexpr unsigned kCqeBatch = 256;
// Timers expired per loop iteration at most, so that a burst of due timers
// cannot delay reaping completions for long.
constexpr size_t kMaxExpiriesPerIteration = 4096;
// The wheel's resolution: pacing and timeouts are exact to this.
constexpr int64_t kWheelTickNs = 50'000;
// How long the stop phase waits for cancelled operations to complete.
constexpr int64_t kStopGraceNs = 1'000'000'000;

// True on a worker thread while it runs its loop (see worker.h).
thread_local bool in_worker_loop = false;

}  // namespace

bool InWorkerLoopOnThisThread() { return in_worker_loop; }

// A per-slot table of `entry_bytes` per slot, zeroed, mapped so that
// untouched entries cost no memory. The table and its size go to `table`
// and `bytes` (for the destructor's munmap).
template <typename T>
absl::Status MapSlotTable(uint32_t slots, size_t entry_bytes, const char* what,
                          T*& table, size_t& bytes) {
  bytes = entry_bytes * std::max<uint32_t>(slots, 1);
  void* p = mmap(nullptr, bytes, PROT_READ | PROT_WRITE,
                 MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
  if (p == MAP_FAILED) {
    return absl::ResourceExhaustedError(
        absl::StrCat("cannot map ", bytes, " bytes of ", what));
  }
  table = static_cast<T*>(p);
  return absl::OkStatus();
}

// --- ScratchPool -------------------------------------------------------------

size_t ScratchChunkBytes(size_t at_least, uint32_t chunks) {
  constexpr size_t kBudget = size_t{16} << 20;
  constexpr size_t kSmallest = size_t{64} << 10;
  constexpr size_t kLargest = size_t{256} << 10;
  const size_t share = std::clamp(kBudget / std::max<uint32_t>(chunks, 1), kSmallest, kLargest);
  return std::max(at_least, share & ~size_t{4095});
}

absl::Status ScratchPool::Init(uint32_t count, size_t bytes) {
  bytes_ = bytes;
  mapped_ = static_cast<size_t>(count) * bytes;
  void* p = mmap(nullptr, mapped_, PROT_READ | PROT_WRITE,
                 MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
  if (p == MAP_FAILED) {
    return absl::ResourceExhaustedError(absl::StrCat(
        "cannot map ", mapped_, " bytes of message scratch space"));
  }
  base_ = static_cast<uint8_t*>(p);
  chunks_.resize(count);
  free_.reserve(count);
  for (uint32_t i = count; i > 0; --i) free_.push_back(i - 1);
  return absl::OkStatus();
}

ScratchPool::~ScratchPool() {
  if (base_ != nullptr) munmap(base_, mapped_);
}

uint32_t ScratchPool::Acquire() {
  if (free_.empty()) return kNoScratch;
  const uint32_t id = free_.back();
  free_.pop_back();
  chunks_[id] = Chunk{};
  return id;
}

void ScratchPool::Release(uint32_t id) { free_.push_back(id); }

// --- Worker ------------------------------------------------------------------

Worker::Worker(int index, const RunPlan& plan, stats::WorkerStats& stats,
               RunControl& control, WorkerEnv env)
    : env_(std::move(env)),
      index_(index),
      plan_(plan),
      config_(*plan.config),
      stats_(stats),
      counters_(stats.counters()),
      control_(control),
      rng_(MixSeed(plan.run_seed, 0x776f726b, static_cast<uint64_t>(index))) {}

Worker::~Worker() {
  if (slab_ != nullptr) munmap(slab_, slab_bytes_);
  if (downstream_ != nullptr) munmap(downstream_, downstream_bytes_);
  if (upstream_ != nullptr) munmap(upstream_, upstream_bytes_);
  if (scan_ != nullptr) munmap(scan_, scan_bytes_);
  if (ws_ != nullptr) munmap(ws_, ws_bytes_);
  if (conn_streams_ != nullptr) munmap(conn_streams_, conn_streams_bytes_);
  if (wake_fd_ >= 0) close(wake_fd_);
}

void Worker::Run() {
  char name[16];
  std::snprintf(name, sizeof name, "tcpkali-w%d", index_);
  pthread_setname_np(pthread_self(), name);
  absl::Status status = Setup();
  ReportReady(status);
  if (!status.ok()) return;
  in_worker_loop = true;
  while (Step()) {
  }
  // What the last step prepared (the FIN of a client whose last send just
  // completed) goes out now, not when the ring is torn down at exit: the
  // sink on another worker is waiting for it.
  ring_->SubmitAndWait(0, 0);
  in_worker_loop = false;
}

void Worker::ReportReady(const absl::Status& status) {
  std::lock_guard<std::mutex> lock(control_.mu);
  if (!status.ok() && control_.setup_status.ok()) {
    control_.setup_status = status;
  }
  ++control_.workers_ready;
  control_.cv.notify_all();
}

void Worker::Wake() {
  const uint64_t one = 1;
  if (wake_fd_ >= 0) (void)!write(wake_fd_, &one, sizeof one);
}

absl::Status Worker::Setup() {
  client_slots_ = plan_.ClientSlots(index_);
  accept_begin_ = client_slots_;
  accept_slots_ = plan_.listen ? plan_.accept_slots : 0;
  table_slots_ = client_slots_ + accept_slots_ + (plan_.listen ? 1 : 0);
  listener_slot_ = table_slots_ - 1;

  wake_fd_ = eventfd(0, EFD_CLOEXEC);
  if (wake_fd_ < 0) {
    return absl::ResourceExhaustedError(
        absl::StrCat("eventfd: ", std::strerror(errno)));
  }

  RingOptions options;
  options.fixed_files = table_slots_ > 0 ? table_slots_ : 1;
  options.alloc_range_begin = accept_begin_;
  options.alloc_range_count = accept_slots_;
  // Room for every connection's completions at once (a ramp-up burst, a
  // mass reset); the kernel clamps this to its maximum.
  options.cq_entries = std::max<unsigned>(8192, 4 * table_slots_);
  auto ring = env_.make_ring ? env_.make_ring(options) : UringRing::Create(options);
  if (!ring.ok()) return ring.status();
  ring_ = std::move(*ring);

  auto buffers = BufferRing::Create(plan_.recv_buffers, plan_.recv_buffer_bytes);
  if (!buffers.ok()) return buffers.status();
  buffers_.emplace(std::move(*buffers));
  if (absl::Status s = ring_->RegisterBuffers(*buffers_, 0); !s.ok()) return s;

  if (absl::Status s = MapSlotTable(table_slots_, sizeof(Connection), "connection slots",
                                    slab_, slab_bytes_);
      !s.ok()) {
    return s;
  }
  for (uint32_t i = 0; i < table_slots_; ++i) {
    new (&slab_[i]) Connection();
    slab_[i].timer.owner = i;
    slab_[i].timer.kind = kTimerConnection;
  }
  next_source_.assign(plan_.endpoints.size(),
                      static_cast<uint32_t>(index_));  // spread the workers
  for (size_t e = 0; e < next_source_.size(); ++e) {
    if (e < plan_.sources.size() && !plan_.sources[e].empty()) {
      next_source_[e] %= plan_.sources[e].size();
    }
  }
  next_endpoint_ = static_cast<uint32_t>(index_ % std::max<size_t>(plan_.endpoints.size(), 1));
  free_clients_.reserve(client_slots_);
  for (uint32_t i = client_slots_; i > 0; --i) free_clients_.push_back(i - 1);
  waiting_scratch_.reserve(table_slots_);

  if (plan_.scratch_chunks > 0) {
    const uint32_t chunks = std::min<uint32_t>(plan_.scratch_chunks,
                                               std::max<uint32_t>(table_slots_, 1));
    if (absl::Status s = scratch_.Init(chunks, ScratchChunkBytes(plan_.scratch_chunk_bytes, chunks));
        !s.ok()) {
      return s;
    }
  }

  message_rate_ = plan_.message_rate;
  now_ns_ = env_.clock();
  wheel_.emplace(kWheelTickNs, now_ns_);
  opener_timer_.kind = kTimerOpener;
  drain_timer_.kind = kTimerDrain;

  if (client_slots_ > 0) {
    // This worker's share of --connect-rate, in proportion to its slots.
    const double share = plan_.connect_rate_per_s * client_slots_ /
                         static_cast<double>(plan_.client_connections);
    auto spec = MessageRateSpec(share);
    if (!spec.ok()) return spec.status();
    connect_rate_ = *spec;
    // A worker that had nothing to open for a while must not then open a
    // burst at line rate: keep at most 100 ms (or one) of backlog.
    connect_rate_.max_backlog_units =
        std::max<uint64_t>(1, static_cast<uint64_t>(share / 10));
    connect_pacer_.start_ns = now_ns_;
    opener_batch_ns_ = OpenerBatchNs(share);
  }

  if (config_.nagle.has_value()) {
    socket_options_.list.push_back(
        {IPPROTO_TCP, TCP_NODELAY, *config_.nagle ? 0 : 1});
  }
  if (config_.rcvbuf_bytes) {
    socket_options_.list.push_back(
        {SOL_SOCKET, SO_RCVBUF, static_cast<int>(*config_.rcvbuf_bytes)});
  }
  if (config_.sndbuf_bytes) {
    socket_options_.list.push_back(
        {SOL_SOCKET, SO_SNDBUF, static_cast<int>(*config_.sndbuf_bytes)});
  }
  // Side tables, only for the options that need them.
  absl::Status mapped = absl::OkStatus();
  if (plan_.downstream_rate) {
    mapped.Update(MapSlotTable(table_slots_, sizeof(PacerState), "downstream pacers",
                               downstream_, downstream_bytes_));
  }
  if (plan_.upstream_rate) {
    mapped.Update(MapSlotTable(table_slots_, sizeof(PacerState), "upstream pacers",
                               upstream_, upstream_bytes_));
  }
  if (plan_.conn_stream_region_bytes > 0) {
    conn_stream_region_ = plan_.conn_stream_region_bytes;
    mapped.Update(MapSlotTable(table_slots_, conn_stream_region_, "per-connection streams",
                               conn_streams_, conn_streams_bytes_));
  }
  if (config_.websocket) {
    mapped.Update(MapSlotTable(table_slots_, sizeof(WsState), "WebSocket state", ws_,
                               ws_bytes_));
    if (mapped.ok()) {
      for (uint32_t i = 0; i < table_slots_; ++i) new (&ws_[i]) WsState();
    }
  }
  if (plan_.latency_marker || config_.message_marker) {
    mapped.Update(MapSlotTable(table_slots_, sizeof(ScanState), "marker scan state", scan_,
                               scan_bytes_));
  }
  if (!mapped.ok()) return mapped;
  rearm_.reserve(table_slots_);

  if (plan_.listen) {
    if (absl::Status s = SetupListener(); !s.ok()) return s;
    ArmAccept();
  }
  ArmWake();
  if (config_.verbosity >= 3) {
    std::fprintf(stderr,
                 "tcpkali: worker %d: %u client + %u accept slots, %u x %u B "
                 "receive buffers, %u scratch chunks, wheel tick %lld us\n",
                 index_, client_slots_, accept_slots_, plan_.recv_buffers,
                 plan_.recv_buffer_bytes, plan_.scratch_chunks,
                 static_cast<long long>(kWheelTickNs / 1000));
  }
  return absl::OkStatus();
}

// The listener: a direct socket with SO_REUSEPORT, so that every worker has
// its own and the kernel spreads incoming connections over them.
absl::Status Worker::SetupListener() {
  const Endpoint& address = *plan_.listen;
  const int fd = static_cast<int>(listener_slot_);
  static constexpr int kOne = 1;
  static constexpr int kZero = 0;
  if (!plan_.socket_setup_in_ring) {
    int sock = socket(address.family(), SOCK_STREAM | SOCK_CLOEXEC, IPPROTO_TCP);
    if (sock < 0) return ListenError(errno);
    setsockopt(sock, SOL_SOCKET, SO_REUSEADDR, &kOne, sizeof kOne);
    setsockopt(sock, SOL_SOCKET, SO_REUSEPORT, &kOne, sizeof kOne);
    if (address.family() == AF_INET6) {
      setsockopt(sock, IPPROTO_IPV6, IPV6_V6ONLY, &kZero, sizeof kZero);
    }
    int err = 0;
    if (bind(sock, address.sockaddr_ptr(), address.address_bytes) != 0 ||
        listen(sock, plan_.listen_backlog) != 0) {
      err = errno;
    } else {
      const int rc = ring_->InstallFixedFile(listener_slot_, sock);
      if (rc < 0) err = -rc;
    }
    close(sock);
    return err == 0 ? absl::OkStatus() : ListenError(err);
  }
  int steps = 0;
  ring_->ReserveSqes(8);  // the whole chain in one submission
  auto step = [&](io_uring_sqe* sqe, bool last) {
    sqe->user_data = Tag{Op::kListen, static_cast<uint32_t>(steps++), 0}.Pack();
    if (!last) sqe->flags |= IOSQE_IO_LINK;
    return sqe;
  };
  io_uring_prep_socket_direct(step(ring_->GetSqe(), false), address.family(),
                              SOCK_STREAM, IPPROTO_TCP, listener_slot_, 0);
  for (int name : {SO_REUSEADDR, SO_REUSEPORT}) {
    io_uring_sqe* sqe = step(ring_->GetSqe(), false);
    compat::PrepSetsockopt(sqe, fd, SOL_SOCKET, name, &kOne, sizeof kOne);
    sqe->flags |= IOSQE_FIXED_FILE;
  }
  if (address.family() == AF_INET6) {
    io_uring_sqe* sqe = step(ring_->GetSqe(), false);
    compat::PrepSetsockopt(sqe, fd, IPPROTO_IPV6, IPV6_V6ONLY, &kZero, sizeof kZero);
    sqe->flags |= IOSQE_FIXED_FILE;
  }
  io_uring_sqe* sqe = step(ring_->GetSqe(), false);
  compat::PrepBind(sqe, fd, address.sockaddr_ptr(), address.address_bytes);
  sqe->flags |= IOSQE_FIXED_FILE;
  sqe = step(ring_->GetSqe(), true);
  compat::PrepListen(sqe, fd, plan_.listen_backlog);
  sqe->flags |= IOSQE_FIXED_FILE;
  return RunSetupChain(steps);
}

// Submits the chain just prepared and waits for all of its `sqes`
// completions; the first real error (not a cancellation of a later link)
// is the result.
absl::Status Worker::RunSetupChain(int sqes) {
  int err = 0;
  io_uring_cqe* cqes[16];
  while (sqes > 0) {
    ring_->SubmitAndWait(1, -1);
    const unsigned n = ring_->PeekCqes(cqes, 16);
    for (unsigned i = 0; i < n; ++i) {
      const int res = cqes[i]->res;
      if (res < 0 && res != -ECANCELED && err == 0) err = -res;
    }
    ring_->AdvanceCq(n);
    sqes -= static_cast<int>(n);
  }
  return err == 0 ? absl::OkStatus() : ListenError(err);
}

absl::Status Worker::ListenError(int err) const {
  return absl::UnavailableError(absl::StrCat(
      "--listen-port: cannot listen on ",
      FormatEndpoint(plan_.listen->sockaddr_ptr()), ": ", std::strerror(err),
      err == EADDRINUSE ? "; another process holds the port: pick another"
                        : ""));
}

io_uring_sqe* Worker::Sqe(Op op, uint32_t slot, uint32_t generation) {
  io_uring_sqe* sqe = ring_->GetSqe();
  sqe->user_data = Tag{op, slot, generation}.Pack();
  return sqe;
}

void Worker::ArmWake() {
  io_uring_sqe* sqe = Sqe(Op::kWake, 0, 0);
  io_uring_prep_read(sqe, wake_fd_, &wake_value_, sizeof wake_value_, 0);
  wake_armed_ = true;
}

void Worker::OnWake(int res) {
  wake_armed_ = false;
  if (res < 0 && res != -ECANCELED && res != -EINTR && res != -EAGAIN) return;
  if (phase_ != Phase::kStop) ArmWake();
}

bool Worker::Step() {
  ring_->SubmitAndWait(1, timeout_ns_);
  now_ns_ = env_.clock();

  io_uring_cqe* cqes[kCqeBatch];
  unsigned n;
  while ((n = ring_->PeekCqes(cqes, kCqeBatch)) > 0) {
    for (unsigned i = 0; i < n; ++i) Dispatch(*cqes[i]);
    ring_->AdvanceCq(n);
  }
  buffers_->Publish();
  PublishHealth();

  const Phase wanted = control_.phase.load(std::memory_order_acquire);
  if (wanted != phase_) {
    if (phase_ == Phase::kRun) EnterDrain();
    if (wanted == Phase::kStop && phase_ != Phase::kStop) EnterStop();
  }
  wheel_->Advance(now_ns_, kMaxExpiriesPerIteration,
                  [this](TimerNode* node) { OnTimer(node); });
  if (phase_ == Phase::kRun) {
    if (plan_.auto_rate) FollowRateChange();
    OpenConnections();
    RearmDeferred();
  } else if (phase_ == Phase::kDrain) {
    RearmDeferred();  // a sink that ran out of buffers still reads to EOF
    if (DrainComplete()) EnterStop();
  }
  if (phase_ == Phase::kStop &&
      (sends_in_flight_ == 0 || now_ns_ >= stop_deadline_ns_)) {
    return false;
  }
  const std::optional<int64_t> next = wheel_->NextDeadline();
  timeout_ns_ = next ? std::max<int64_t>(*next - now_ns_, 0) : -1;
  if (!rearm_.empty()) timeout_ns_ = 0;
  return true;
}

// --message-rate @L: a new rate applies to every connection from now on,
// without renumbering the messages already sent.
void Worker::FollowRateChange() {
  const uint64_t wanted = control_.message_rate_micro.load(std::memory_order_relaxed);
  if (wanted == 0 || wanted == message_rate_->micro_units_per_s) return;
  message_rate_->micro_units_per_s = wanted;
  for (uint32_t slot = 0; slot < table_slots_; ++slot) {
    Connection& c = slab_[slot];
    if (c.state != ConnState::kEstablished) continue;
    Rebase(*message_rate_, c.send_pacer, now_ns_);
    TrySend(c, slot);
    RearmConnectionTimer(c);
  }
}

void Worker::PublishHealth() {
  counters_.sq_full_retries.store(ring_->sq_full_retries(),
                                  std::memory_order_relaxed);
  counters_.cq_overflows.store(ring_->cq_overflows(), std::memory_order_relaxed);
}

void Worker::Dispatch(const io_uring_cqe& cqe) {
  const Tag tag = Tag::Unpack(cqe.user_data);
  switch (tag.op) {
    case Op::kWake:
      OnWake(cqe.res);
      return;
    case Op::kAccept:
      OnAccept(cqe);
      return;
    case Op::kCancel:
    case Op::kNone:
    case Op::kListen:
      return;
    default:
      break;
  }
  if (tag.slot >= table_slots_) {
    std::fprintf(stderr, "tcpkali: internal error: completion for slot %u of %u\n",
                 tag.slot, table_slots_);
    std::abort();
  }
  Connection& c = slab_[tag.slot];
  if ((c.generation & kGenerationMask) != tag.generation) {
    // A connection that has ended; only its buffer matters now.
    if (cqe.flags & IORING_CQE_F_BUFFER) {
      buffers_->Return(static_cast<uint16_t>(cqe.flags >> IORING_CQE_BUFFER_SHIFT));
    }
    return;
  }
  switch (tag.op) {
    case Op::kSocket:
    case Op::kSetsockopt:
    case Op::kBind:
    case Op::kConnect:
      OnConnectStep(c, tag.slot, tag.op, cqe.res);
      return;
    case Op::kRecv:
      OnRecv(c, tag.slot, cqe);
      return;
    case Op::kSend:
      OnSendComplete(c, tag.slot, cqe.res);
      return;
    case Op::kShutdown:
    case Op::kClose:
      OnTeardownStep(c, tag.slot, tag.op, cqe.res);
      return;
    default:
      return;
  }
}

void Worker::OnTimer(TimerNode* node) {
  switch (node->kind) {
    case kTimerConnection:
      OnConnectionTimer(slab_[node->owner], node->owner);
      return;
    case kTimerOpener:
      return;  // OpenConnections() runs after every Advance()
    case kTimerDrain:
      OnDrainTimer();
      return;
    default:
      return;
  }
}

void Worker::EnterDrain() {
  phase_ = Phase::kDrain;
  control_.workers_draining.fetch_add(1);
  if (config_.verbosity >= 3) {
    std::fprintf(stderr, "tcpkali: worker %d: draining, %u sends in flight, "
                 "%u incoming connections open\n", index_, sends_in_flight_,
                 open_incoming_);
  }
  wheel_->Cancel(&opener_timer_);
  if (SelfSink()) {
    // Our own sink reads until each client's FIN, so that what the clients
    // sent is also counted as received. Elsewhere the FIN can wait for the
    // process to exit: a FIN per connection costs as much as a connect.
    // A connection that --channel-bandwidth-downstream keeps from reading
    // reads now: the sink to its client's FIN, the client to the sink's.
    for (uint32_t slot = 0; slot < table_slots_; ++slot) {
      Connection& c = slab_[slot];
      if (c.state != ConnState::kEstablished) continue;
      if (!c.Has(kIncoming) && !c.Has(kSendInFlight)) ShutWrite(c, slot);
      if (downstream_ != nullptr && !WaitingForEcho(c) &&
          c.scratch < kEchoBufferBase) {
        ArmRecv(c, slot);
      }
    }
  }
  drain_end_ns_ = now_ns_ + plan_.drain_max_ns;
  drain_bytes_seen_ = DrainProgress();
  wheel_->Schedule(&drain_timer_, now_ns_ + plan_.drain_idle_ns);
}

// Bytes moved so far, both ways: while they keep moving, the drain is
// doing its job (a sink reading what was queued for it). Where this process
// is its own sink, the bytes of every worker count: our clients wait for
// the sink's reads, which another worker may be doing.
uint64_t Worker::DrainProgress() {
  const uint64_t mine = counters_.bytes_sent.load(std::memory_order_relaxed) +
                        counters_.bytes_received.load(std::memory_order_relaxed);
  if (!SelfSink()) return mine;
  control_.drain_progress.fetch_add(mine - drain_bytes_published_);
  drain_bytes_published_ = mine;
  return control_.drain_progress.load();
}

void Worker::OnDrainTimer() {
  const uint64_t bytes = DrainProgress();
  if (now_ns_ >= drain_end_ns_) {
    // Our own sink's drain ends only here or complete (DrainComplete()).
    if (plan_.clients_reach_own_listener) control_.drain_cut_short.store(true);
    EnterStop();
    return;
  }
  if (bytes == drain_bytes_seen_ && !plan_.clients_reach_own_listener) {
    EnterStop();  // a peer that has stopped reading
    return;
  }
  drain_bytes_seen_ = bytes;
  wheel_->Schedule(&drain_timer_, now_ns_ + plan_.drain_idle_ns);
}

bool Worker::SelfSink() const {
  return plan_.listen && plan_.client_connections > 0;
}

bool Worker::DrainComplete() const {
  // Sends still in flight are bytes not yet counted. Where this process is
  // also the sink of its own clients, accepted connections read until
  // their peer's FIN, so that what was sent is also counted as received.
  if (sends_in_flight_ > 0) return false;
  if (!SelfSink()) return true;
  // Every worker has stopped opening connections (so self_connected is
  // final), each of them has been accepted, ours are read to the end, and
  // our clients have seen the sink's end of their connections: closing a
  // client with bytes still queued would leave them to an orphan socket,
  // which the kernel resets under memory pressure (TcpExtTCPAbortOnMemory).
  return open_incoming_ == 0 && free_clients_.size() == client_slots_ &&
         control_.workers_draining.load() == plan_.workers &&
         control_.self_accepted.load() >= control_.self_connected.load();
}

// Cancels the sends still in flight (a peer that does not read) so that
// their partial byte counts come back; everything else is left to the
// ring's teardown. Each cancel names its send, which the kernel finds by
// hash: cancelling "all" instead scans every request per match, which is
// quadratic at a million connections.
void Worker::EnterStop() {
  if (phase_ == Phase::kStop) return;
  phase_ = Phase::kStop;
  if (config_.verbosity >= 3) {
    std::fprintf(stderr, "tcpkali: worker %d: stopping, %u sends in flight, "
                 "%u incoming still open\n", index_, sends_in_flight_, open_incoming_);
  }
  wheel_->Cancel(&drain_timer_);
  if (sends_in_flight_ > 0) {
    for (uint32_t slot = 0; slot < table_slots_; ++slot) {
      const Connection& c = slab_[slot];
      if (!c.Has(kSendInFlight)) continue;
      CancelOp(Op::kSend, slot, c.generation);
    }
  }
  stop_deadline_ns_ = now_ns_ + kStopGraceNs;
}

}  // namespace tcpkali::engine
