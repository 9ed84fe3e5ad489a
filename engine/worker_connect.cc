// Connection lifecycles: opening outgoing connections under the connect
// pacer, accepting incoming ones, and tearing both down.
//
//   kFree --StartConnect--> kConnecting --connect ok--> kEstablished
//                               |  connect failed, timed out
//                               v
//   kFree <--close done-- kClosed <--no op left-- kClosing <--BeginClose--
//
// A slot is reused only once every operation submitted for it has
// completed (Connection::pending_ops), so a late completion can never be
// mistaken for the next connection's; the generation in each tag is a
// second line of defence.
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>

#include "engine/uring_compat.h"
#include "engine/worker.h"

namespace tcpkali::engine {
namespace {

// At most this many connections are started per loop iteration, so that a
// large connect budget cannot starve the reaping of completions.
constexpr size_t kMaxOpensPerIteration = 1024;
// The connect pacer's wake-ups are at least kMinOpenerBatchNs apart, so
// that a high --connect-rate opens connections in batches (one submit for
// many). Where a worker's share is small (many workers: -c 1m needs 51 of
// them here) the window widens, up to kMaxOpenerBatchNs, until a wake-up
// opens kOpensPerWakeup connections: a thousand wake-ups a second on each
// of 51 threads would cost more CPU than the connects.
constexpr int64_t kMinOpenerBatchNs = 1'000'000;
constexpr int64_t kMaxOpenerBatchNs = 10'000'000;
constexpr double kOpensPerWakeup = 8;

FailCause ClassifyConnectError(int err) {
  switch (err) {
    case ECONNREFUSED:
      return FailCause::kRefused;
    case ETIMEDOUT:
    case ETIME:
      return FailCause::kTimeout;
    case ECONNRESET:
    case ECONNABORTED:
    case EPIPE:
      return FailCause::kReset;
    case EADDRNOTAVAIL:
    case EADDRINUSE:
      return FailCause::kNoAddress;
    default:
      return FailCause::kOther;
  }
}

}  // namespace

int64_t OpenerBatchNs(double connects_per_s) {
  if (connects_per_s <= 0) return kMinOpenerBatchNs;
  const double ns = kOpensPerWakeup * 1e9 / connects_per_s;
  return static_cast<int64_t>(std::clamp(ns, double(kMinOpenerBatchNs),
                                         double(kMaxOpenerBatchNs)));
}

void Worker::AddPending(Connection& c) {
  ++c.pending_ops;
  ++ops_in_flight_;
}

void Worker::DonePending(Connection& c) {
  --c.pending_ops;
  --ops_in_flight_;
}

void Worker::OpenConnections() {
  if (free_clients_.empty()) return;
  // Connections due within this batch open now (see OpenerBatchNs()).
  const int64_t horizon_ns = now_ns_ + opener_batch_ns_;
  DropBacklog(connect_rate_, connect_pacer_, horizon_ns);
  uint64_t due = Due(connect_rate_, connect_pacer_, horizon_ns);
  due = std::min<uint64_t>({due, free_clients_.size(), kMaxOpensPerIteration});
  for (uint64_t i = 0; i < due; ++i) {
    const uint32_t slot = free_clients_.back();
    free_clients_.pop_back();
    StartConnect(slot);
  }
  Consume(connect_pacer_, due);
  if (!free_clients_.empty()) {
    // Wake for the next connection, but not more often than once per
    // batch window: at high rates each wake-up opens a batch.
    ScheduleAtOrAfter(&opener_timer_,
                      std::max(NextDueNs(connect_rate_, connect_pacer_) - opener_batch_ns_,
                               now_ns_ + opener_batch_ns_));
  }
}

uint32_t Worker::NextUid() {
  // Unique across workers without sharing a counter: worker w numbers its
  // connections w+1, w+1+W, w+1+2W, ...
  return static_cast<uint32_t>(opened_++ * plan_.workers + index_ + 1);
}

void Worker::ResetSlot(Connection& c, ConnState state, uint8_t flags) {
  ++c.generation;
  c.state = state;
  c.flags = flags;
  c.fail_cause = FailCause::kNone;
  c.uid = NextUid();
  c.first_bytes = 0;
  c.inflight_bytes = 0;
  c.start_ns = now_ns_;
  c.stream_bytes = 0;
  c.next_message = 0;
  c.send_pacer = PacerState{};
  c.match_state = 0;
  c.scratch = 0;
  if (scan_ != nullptr) scan_[&c - slab_] = ScanState{};
}

void Worker::StartConnect(uint32_t slot) {
  Connection& c = slab_[slot];
  ResetSlot(c, ConnState::kConnecting, 0);
  c.endpoint = next_endpoint_;
  next_endpoint_ = (next_endpoint_ + 1) % plan_.endpoints.size();
  stats::Add(counters_.connect_attempts, 1);

  const Endpoint& destination = plan_.endpoints[c.endpoint];
  // socket, [bind option, bind], options, connect, in one submission.
  ring_->ReserveSqes(4 + static_cast<unsigned>(socket_options_.list.size()));
  if (plan_.socket_setup_in_ring) {
    PrepSocketSteps(c, slot, destination);
  } else if (!PrepSocketFallback(c, slot, destination)) {
    return;  // counted as a failure; the slot is back on the free list
  }
  io_uring_sqe* sqe = Sqe(Op::kConnect, slot, c.generation);
  io_uring_prep_connect(sqe, static_cast<int>(slot), destination.sockaddr_ptr(),
                        destination.address_bytes);
  sqe->flags |= IOSQE_FIXED_FILE;
  AddPending(c);  // the connect
  // --connect-timeout is the slot's wheel timer, not a LINK_TIMEOUT: a
  // linked request costs an hrtimer and a task-work round trip per
  // connect. When it fires, the connect is cancelled (OnConnectionTimer).
  ScheduleAtOrAfter(&c.timer, now_ns_ + plan_.connect_timeout_ns);
}

const Endpoint* Worker::NextSource(uint32_t endpoint) {
  if (plan_.sources.empty()) return nullptr;
  const std::vector<Endpoint>& list = plan_.sources[endpoint];
  if (list.empty()) return nullptr;
  uint32_t& next = next_source_[endpoint];
  const Endpoint* source = &list[next];
  next = next + 1 == list.size() ? 0 : next + 1;
  return source;
}

// socket, [IP_BIND_ADDRESS_NO_PORT, bind], [options], ahead of the connect
// in the same submission, not linked. The kernel issues a submission's
// requests in order, and these complete inline (none of them waits), so
// each finds the socket the one before set up. A linked chain would run
// every request after the first from task work instead: measured on the
// churn scenario, 35 against 29 client CPU-ms per 1k connections.
// Successful steps post no completion (CQE_SKIP_SUCCESS); a failing one
// posts its error, and the steps after it fail too (-EBADF without a
// socket) or go on without it (a connect after a failed bind): the first
// error is the cause, and OnConnectStep() fails the connection whatever
// the connect's own result.
void Worker::PrepSocketSteps(Connection& c, uint32_t slot,
                             const Endpoint& destination) {
  const uint32_t gen = c.generation;
  const int fd = static_cast<int>(slot);
  io_uring_sqe* sqe = Sqe(Op::kSocket, slot, gen);
  io_uring_prep_socket_direct(sqe, destination.family(), SOCK_STREAM,
                              IPPROTO_TCP, slot, 0);
  sqe->flags |= IOSQE_CQE_SKIP_SUCCESS;
  const auto on_socket = [&](io_uring_sqe* step) {
    step->flags |= IOSQE_FIXED_FILE | IOSQE_CQE_SKIP_SUCCESS;
  };
  if (const Endpoint* source = NextSource(c.endpoint)) {
    sqe = Sqe(Op::kSetsockopt, slot, gen);
    compat::PrepSetsockopt(sqe, fd, SOL_IP, IP_BIND_ADDRESS_NO_PORT,
                           &socket_options_.one, sizeof(int));
    on_socket(sqe);
    sqe = Sqe(Op::kBind, slot, gen);
    compat::PrepBind(sqe, fd, source->sockaddr_ptr(), source->address_bytes);
    on_socket(sqe);
  }
  for (const SocketOption& opt : socket_options_.list) {
    sqe = Sqe(Op::kSetsockopt, slot, gen);
    compat::PrepSetsockopt(sqe, fd, opt.level, opt.name, &opt.value,
                           sizeof(int));
    on_socket(sqe);
  }
}

// For kernels without setsockopt/bind through the ring: a regular socket,
// set up with system calls, installed into the slot's fixed-table entry,
// then closed (the table keeps its own reference).
bool Worker::PrepSocketFallback(Connection& c, uint32_t slot,
                                const Endpoint& destination) {
  int fd = socket(destination.family(), SOCK_STREAM | SOCK_CLOEXEC, IPPROTO_TCP);
  int err = fd < 0 ? errno : 0;
  if (fd >= 0) {
    for (const SocketOption& opt : socket_options_.list) {
      setsockopt(fd, opt.level, opt.name, &opt.value, sizeof(int));
    }
    if (const Endpoint* source = NextSource(c.endpoint)) {
      setsockopt(fd, SOL_IP, IP_BIND_ADDRESS_NO_PORT, &socket_options_.one,
                 sizeof(int));
      if (bind(fd, source->sockaddr_ptr(), source->address_bytes) != 0) {
        err = errno;
      }
    }
    if (err == 0) {
      const int rc = ring_->InstallFixedFile(slot, fd);
      if (rc < 0) err = -rc;
    }
    close(fd);
  }
  if (err == 0) return true;
  CountConnectFailure(ClassifyConnectError(err), err, c.endpoint);
  c.state = ConnState::kFree;
  free_clients_.push_back(slot);
  return false;
}

// Completions of the connect's steps. Only the connect's own is counted
// as pending; the others post only on failure (CQE_SKIP_SUCCESS), before
// the connect's, and the first of them is the cause.
void Worker::OnConnectStep(Connection& c, uint32_t slot, Op op, int res) {
  if (op == Op::kConnect) {
    DonePending(c);
    wheel_->Cancel(&c.timer);  // the --connect-timeout
  }
  if (c.state == ConnState::kConnecting) {
    if (op == Op::kConnect && res == 0 && c.fail_cause == FailCause::kNone) {
      OnEstablished(c, slot);
    } else if (op == Op::kConnect && res == -ECANCELED &&
               c.fail_cause == FailCause::kNone) {
      // Nothing before it failed: the --connect-timeout cancelled it.
      c.fail_cause = FailCause::kTimeout;
      last_connect_errno_ = ETIMEDOUT;
    } else if (res < 0 && res != -ECANCELED && c.fail_cause == FailCause::kNone) {
      c.fail_cause = ClassifyConnectError(-res);
      last_connect_errno_ = -res;
    }
  }
  if (c.state == ConnState::kConnecting && c.pending_ops == 0) {
    if (phase_ != Phase::kStop) {
      FailCause cause = c.fail_cause;
      if (cause == FailCause::kNone) cause = FailCause::kOther;
      CountConnectFailure(cause, last_connect_errno_, c.endpoint);
    }
    SubmitClose(c, slot);
  } else if (c.state == ConnState::kClosing && c.pending_ops == 0) {
    SubmitClose(c, slot);
  }
}

void Worker::CountConnectFailure(FailCause cause, int err, uint32_t endpoint) {
  switch (cause) {
    case FailCause::kRefused:
      stats::Add(counters_.conn_failed_refused, 1);
      break;
    case FailCause::kTimeout:
      stats::Add(counters_.conn_failed_timeout, 1);
      break;
    case FailCause::kReset:
      stats::Add(counters_.conn_failed_reset, 1);
      break;
    case FailCause::kNoAddress:
      stats::Add(counters_.conn_failed_no_address, 1);
      break;
    default:
      stats::Add(counters_.conn_failed_other, 1);
      break;
  }
  if (cause == FailCause::kNoAddress && !control_.no_address_explained.exchange(true)) {
    std::fprintf(stderr, "tcpkali: %s\n", plan_.no_address_explanation.c_str());
  }
  if (config_.verbosity < 2) return;
  // At most ten lines per second per worker: a storm of refusals must not
  // flood the terminal (or slow the run down writing it).
  if (now_ns_ - failure_log_window_ns_ >= 1'000'000'000) {
    failure_log_window_ns_ = now_ns_;
    failures_logged_ = 0;
  }
  if (++failures_logged_ > 10) return;
  std::fprintf(stderr, "tcpkali: connect to %s: %s (%s)\n",
               FormatEndpoint(plan_.endpoints[endpoint].sockaddr_ptr()).c_str(),
               std::strerror(err), strerrorname_np(err) ? strerrorname_np(err) : "?");
}

void Worker::OnEstablished(Connection& c, uint32_t slot) {
  c.state = ConnState::kEstablished;
  if (c.Has(kIncoming)) {
    c.Set(kCounted);
    ++open_incoming_;
    stats::Add(counters_.accepted, 1);
    if (SelfSink()) control_.self_accepted.fetch_add(1);
  } else {
    stats_.RecordLatency(stats::LatencyKind::kConnect, now_ns_ - c.start_ns);
    // A WebSocket connection is up once its upgrade has been accepted.
    if (ws_ == nullptr) CountOutgoing(c);
    if (SelfSink() && phase_ == Phase::kRun) control_.self_connected.fetch_add(1);
  }
  if (phase_ != Phase::kRun) {
    if (c.Has(kIncoming) && SelfSink()) {
      // Accepted while draining: its client may have sent before the
      // drain, and those bytes are read to its FIN like everyone else's.
      ArmRecv(c, slot);
    } else {
      BeginClose(c, slot);
    }
    return;
  }
  c.send_pacer.start_ns = now_ns_ + config_.delay_send_ns;
  if (downstream_) downstream_[slot] = PacerState{.start_ns = now_ns_};
  if (upstream_) upstream_[slot] = PacerState{.start_ns = c.send_pacer.start_ns};
  if (ws_ != nullptr) WsStart(c, slot);
  if (conn_streams_ != nullptr && Sends(c) &&
      MessagesFor(c).repeated_scope() == MessageScope::kPerConnection) {
    ExpandConnectionStream(c, slot);
  }
  if (!RecvPaused(slot)) ArmRecv(c, slot);  // downstream 0 never reads
  TrySend(c, slot);
  if (!TimingWheel::IsArmed(c.timer)) RearmConnectionTimer(c);
}

void Worker::ArmAccept() {
  io_uring_sqe* sqe = Sqe(Op::kAccept, listener_slot_, 0);
  io_uring_prep_multishot_accept_direct(sqe, static_cast<int>(listener_slot_),
                                        nullptr, nullptr, 0);
  sqe->flags |= IOSQE_FIXED_FILE;
  accept_armed_ = true;
}

void Worker::OnAccept(const io_uring_cqe& cqe) {
  if (!(cqe.flags & IORING_CQE_F_MORE)) accept_armed_ = false;
  if (cqe.res >= 0) {
    const uint32_t slot = static_cast<uint32_t>(cqe.res);
    if (slot < accept_begin_ || slot >= accept_begin_ + accept_slots_) {
      std::fprintf(stderr, "tcpkali: internal error: accepted into slot %u\n", slot);
      std::abort();
    }
    Connection& c = slab_[slot];
    ResetSlot(c, ConnState::kConnecting, kIncoming);
    if (!socket_options_.list.empty()) {
      for (const SocketOption& opt : socket_options_.list) {
        io_uring_sqe* sqe = Sqe(Op::kSetsockopt, slot, c.generation);
        compat::PrepSetsockopt(sqe, static_cast<int>(slot), opt.level, opt.name,
                               &opt.value, sizeof(int));
        sqe->flags |= IOSQE_FIXED_FILE | IOSQE_CQE_SKIP_SUCCESS;
      }
    }
    OnEstablished(c, slot);
  } else if (cqe.res == -ENFILE || cqe.res == -EMFILE) {
    // The fixed table is full: the next close frees an entry and re-arms.
    accept_full_ = true;
    if (!accept_full_explained_) {
      accept_full_explained_ = true;
      std::fprintf(stderr,
                   "tcpkali: accept: worker %d holds %u connections, its "
                   "limit; more workers (-w) take more\n",
                   index_, accept_slots_);
    }
    return;
  }
  const bool accepting = phase_ == Phase::kRun || (phase_ == Phase::kDrain && SelfSink());
  if (!accept_armed_ && accepting && cqe.res != -ECANCELED) ArmAccept();
}

// Closing waits for the slot's operations to come back: a pending receive
// and a send still waiting for room are cancelled, by their tags (the
// kernel finds them by hash, inline; a shutdown instead would be handed to
// an io-wq thread, a context switch per connection). The close of the
// descriptor then sends the FIN.
void Worker::BeginClose(Connection& c, uint32_t slot) {
  if (c.state != ConnState::kEstablished) return;
  c.state = ConnState::kClosing;
  wheel_->Cancel(&c.timer);
  if (c.Has(kRecvArmed)) CancelOp(Op::kRecv, slot, c.generation);
  if (c.Has(kSendInFlight)) CancelOp(Op::kSend, slot, c.generation);
  if (c.pending_ops == 0) SubmitClose(c, slot);
}

void Worker::CancelOp(Op op, uint32_t slot, uint32_t generation) {
  io_uring_sqe* sqe = Sqe(Op::kCancel, slot, generation);
  io_uring_prep_cancel64(sqe, Tag{op, slot, generation}.Pack(), 0);
  // Success needs no answer; "not found" (it had just completed) is harmless.
  sqe->flags |= IOSQE_CQE_SKIP_SUCCESS;
}

void Worker::ShutWrite(Connection& c, uint32_t slot) {
  if (c.Has(kWriteShut)) return;
  c.Set(kWriteShut);
  io_uring_sqe* sqe = Sqe(Op::kShutdown, slot, c.generation);
  io_uring_prep_shutdown(sqe, static_cast<int>(slot), SHUT_WR);
  sqe->flags |= IOSQE_FIXED_FILE;
  AddPending(c);
}

void Worker::SubmitClose(Connection& c, uint32_t slot) {
  c.state = ConnState::kClosed;
  io_uring_sqe* sqe = Sqe(Op::kClose, slot, c.generation);
  io_uring_prep_close_direct(sqe, slot);
  AddPending(c);
}

void Worker::OnTeardownStep(Connection& c, uint32_t slot, Op op, int res) {
  (void)res;
  DonePending(c);
  if (op == Op::kClose) {
    OnClosed(c, slot);
  } else if (c.state == ConnState::kClosing && c.pending_ops == 0) {
    SubmitClose(c, slot);
  }
}

// An outgoing connection is up: counted as established (and so, when it
// ends, as closed).
void Worker::CountOutgoing(Connection& c) {
  c.Set(kCounted);
  stats::Add(counters_.connects_established, 1);
}

void Worker::OnClosed(Connection& c, uint32_t slot) {
  if (c.Has(kCounted)) {
    if (c.Has(kIncoming)) {
      --open_incoming_;
      stats::Add(counters_.in_closed, 1);
    } else {
      stats::Add(counters_.out_closed, 1);
    }
  }
  if (c.scratch != 0) {
    scratch_.Release(c.scratch - 1);
    c.scratch = 0;
  }
  if (control_.dumps != nullptr) control_.dumps->OnClose(c.uid);
  c.state = ConnState::kFree;
  c.flags = 0;
  ++c.generation;
  if (IsClientSlot(slot)) {
    free_clients_.push_back(slot);  // opened again only while running
  } else if (accept_full_ && phase_ == Phase::kRun) {
    accept_full_ = false;
    if (!accept_armed_) ArmAccept();
  }
}

}  // namespace tcpkali::engine
