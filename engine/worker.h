// Worker: one thread, one io_uring, one fixed slab of connections.
//
// A worker owns everything it touches on the data path: its ring, its
// receive buffers, its timing wheel, its connection slots and its stats
// counters. It shares only the read-only RunPlan and the RunControl through
// which the main thread moves it from phase to phase. Nothing is allocated
// after Setup(): the slab, the buffer pool, the scratch chunks and the work
// lists are sized there.
//
// Slot layout, which is also the fixed-file table layout of its ring:
//   [0, client_slots)                         outgoing connections
//   [client_slots, client_slots + accept)     accepted connections, indices
//                                             chosen by the kernel
//   [table - 1]                               the listener (with -l)
//
// The loop (Loop()): read the clock once; expire due timers; open the
// connections the connect pacer allows; submit everything prepared and wait
// for a completion or the wheel's next deadline in one io_uring_enter; reap
// the completions in a batch and advance the CQ once per batch.
//
// Example (engine.cc):
//   Worker worker(index, plan, stats, control);
//   std::thread t([&] { worker.Run(); });
//   ... control.phase = Phase::kDrain; worker.Wake(); ... t.join();
#ifndef TCPKALI_ENGINE_WORKER_H_
#define TCPKALI_ENGINE_WORKER_H_

#include <liburing.h>

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "engine/buffer_ring.h"
#include "engine/clock.h"
#include "engine/connection.h"
#include "engine/ring.h"
#include "engine/run_plan.h"
#include "engine/tag.h"
#include "engine/fast_random.h"
#include "engine/receive_scan.h"
#include "engine/ws_state.h"
#include "engine/timing_wheel.h"
#include "stats/worker_stats.h"

namespace tcpkali::engine {

// Per-worker scratch space for messages expanded at send time: a fixed pool
// of chunks, each held by one connection while its send is in flight.
// What a scratch chunk holds, which decides what its completion means.
enum class ChunkKind : uint8_t {
  kFirst,        // the first messages, expanded once
  kMessages,     // repeated messages expanded at send time
  kWsHandshake,  // an upgrade request or its 101 answer
  kWsEcho,       // frames echoed back (--ws --listen-mode echo)
};

class ScratchPool {
 public:
  struct Chunk {
    uint32_t begin = 0;      // unsent bytes are [begin, end)
    uint32_t end = 0;
    uint32_t messages = 0;   // whole messages in the chunk, counted when sent
    ChunkKind kind = ChunkKind::kMessages;
  };
  // `count` chunks of `bytes` each, mapped lazily. Fails when unmappable.
  [[nodiscard]] absl::Status Init(uint32_t count, size_t bytes);
  ~ScratchPool();

  // A free chunk, or kNoScratch when all are in use.
  uint32_t Acquire();
  void Release(uint32_t id);
  bool HasFree() const { return !free_.empty(); }
  uint8_t* Data(uint32_t id) { return base_ + static_cast<size_t>(id) * bytes_; }
  Chunk& chunk(uint32_t id) { return chunks_[id]; }
  size_t bytes() const { return bytes_; }

 private:
  uint8_t* base_ = nullptr;
  size_t mapped_ = 0;
  size_t bytes_ = 0;
  std::vector<Chunk> chunks_;
  std::vector<uint32_t> free_;
};

// The size of a worker's scratch chunks, `chunks` of them: a send carries
// at most one chunk, so a worker with few connections sends in large
// pieces (up to 256 KiB, as a static stream does) while many share 16 MiB
// (down to 64 KiB each); never below `at_least`, the largest expansion.
size_t ScratchChunkBytes(size_t at_least, uint32_t chunks);

// How far ahead a worker opening `connects_per_s` connections per second
// opens them on each wake-up: 1 ms, or wider (up to 10 ms) where that would
// open fewer than 8 per wake-up.
int64_t OpenerBatchNs(double connects_per_s);

// True on a worker thread between the end of its setup and the end of its
// loop: the span in which it must not allocate. For the allocation test.
bool InWorkerLoopOnThisThread();

// The worker's seams to the outside world, replaced in tests: where its
// ring comes from (testing/fake_ring.h records submissions and injects
// completions) and what time it is.
struct WorkerEnv {
  // Empty: a kernel ring, UringRing::Create().
  std::function<absl::StatusOr<std::unique_ptr<Ring>>(const RingOptions&)>
      make_ring;
  int64_t (*clock)() = MonotonicNs;
};

// The repeated-message stream a connection sends from: the run's shared
// static stream, or the connection's own expansion (per-connection
// expressions) in the worker's side table. Empty when the messages are
// expanded at send time instead.
struct StreamView {
  const uint8_t* data = nullptr;
  uint64_t size = 0;  // whole cycles
  uint64_t cycle_bytes = 0;
  std::span<const uint64_t> ends;  // end offset of each message in a cycle

  explicit operator bool() const { return data != nullptr; }
  uint64_t MessagesCompletedAt(uint64_t stream_bytes) const {
    return engine::MessagesCompletedAt(ends, stream_bytes);
  }
  // The offset in the endless stream just after message #k (0-based count).
  uint64_t OffsetAfterMessages(uint64_t k) const {
    const uint64_t full = k / ends.size();
    const uint64_t rem = k % ends.size();
    return full * cycle_bytes + (rem ? ends[rem - 1] : 0);
  }
};

class Worker {
 public:
  Worker(int index, const RunPlan& plan, stats::WorkerStats& stats,
         RunControl& control, WorkerEnv env = {});
  ~Worker();
  Worker(const Worker&) = delete;
  Worker& operator=(const Worker&) = delete;

  // The thread body: Setup(), report it at the start barrier, then Step()
  // until the run is stopped.
  void Run();

  // Sizes and allocates everything, creates the ring, sets up the
  // listener. Run() calls it; tests call it, then Step(), directly.
  [[nodiscard]] absl::Status Setup();

  // One loop iteration: submit what is prepared and wait for a completion
  // or the next timer (one io_uring_enter), read the clock, reap the
  // completions in a batch, expire timers, open connections. False once
  // the worker has stopped.
  bool Step();

  // For tests: slot state and the counters the worker writes.
  const Connection& slot(uint32_t index) const { return slab_[index]; }
  uint32_t client_slots() const { return client_slots_; }

  // Interrupts the worker's wait so that it sees a phase change. Any thread.
  void Wake();

 private:
  // A setsockopt applied to every connection (TCP_NODELAY, SO_RCVBUF,
  // SO_SNDBUF): the value lives here so that the kernel can read it when
  // the linked SQE runs.
  struct SocketOption {
    int level = 0;
    int name = 0;
    int value = 0;
  };
  struct SocketOptions {
    int one = 1;
    std::vector<SocketOption> list;
  };

  // --- Setup and the loop (worker.cc) --------------------------------------
  absl::Status SetupListener();
  absl::Status RunSetupChain(int sqes);
  absl::Status ListenError(int err) const;
  void ReportReady(const absl::Status& status);
  void Dispatch(const io_uring_cqe& cqe);
  void OnTimer(TimerNode* node);
  void ArmWake();
  void OnWake(int res);
  void EnterDrain();
  void EnterStop();
  bool DrainComplete() const;
  bool SelfSink() const;
  uint64_t DrainProgress();
  void OnDrainTimer();
  void PublishHealth();
  void FollowRateChange();
  io_uring_sqe* Sqe(Op op, uint32_t slot, uint32_t generation);
  int64_t RealtimeUs(int64_t monotonic_ns) const {
    return (monotonic_ns + plan_.realtime_offset_ns) / 1000;
  }

  // --- Connection lifecycles (worker_connect.cc) ---------------------------
  void AddPending(Connection& c);
  void DonePending(Connection& c);
  uint32_t NextUid();
  void ResetSlot(Connection& c, ConnState state, uint8_t flags);
  void OpenConnections();
  void StartConnect(uint32_t slot);
  const Endpoint* NextSource(uint32_t endpoint);
  void PrepSocketSteps(Connection& c, uint32_t slot, const Endpoint& destination);
  bool PrepSocketFallback(Connection& c, uint32_t slot,
                          const Endpoint& destination);
  void OnConnectStep(Connection& c, uint32_t slot, Op op, int res);
  void CountConnectFailure(FailCause cause, int err, uint32_t endpoint);
  void OnEstablished(Connection& c, uint32_t slot);
  void CountOutgoing(Connection& c);
  void ArmAccept();
  void OnAccept(const io_uring_cqe& cqe);
  void BeginClose(Connection& c, uint32_t slot);
  void CancelOp(Op op, uint32_t slot, uint32_t generation);
  void ShutWrite(Connection& c, uint32_t slot);
  void SubmitClose(Connection& c, uint32_t slot);
  void OnTeardownStep(Connection& c, uint32_t slot, Op op, int res);
  void OnClosed(Connection& c, uint32_t slot);
  bool IsClientSlot(uint32_t slot) const { return slot < client_slots_; }

  // --- Data (worker_io.cc) -------------------------------------------------
  const CompiledMessages& MessagesFor(const Connection& c) const;
  StreamView StreamFor(const Connection& c, uint32_t slot) const;
  void ExpandConnectionStream(Connection& c, uint32_t slot);
  const std::string* FirstStaticFor(const Connection& c) const;
  bool Sends(const Connection& c) const;
  bool HasMessages(const Connection& c) const;
  bool OneShotRecv(const Connection& c) const;
  void ArmRecv(Connection& c, uint32_t slot);
  void OnRecv(Connection& c, uint32_t slot, const io_uring_cqe& cqe);
  bool RecvPaused(uint32_t slot) const;
  void RearmDeferred();
  void ScanReceived(Connection& c, uint32_t slot, const uint8_t* data,
                    size_t len);
  void OnMarkerSighting(Connection& c, ScanState& s);
  void OnPayload(Connection& c, uint32_t slot, uint8_t* data, size_t len);
  bool WaitingForEcho(const Connection& c);
  void OnMessagesSent(uint32_t slot, uint64_t messages);
  void Dump(Direction direction, const Connection& c, const uint8_t* data,
            size_t len);
  void TrySend(Connection& c, uint32_t slot);
  uint64_t ReleasePacedMessages(Connection& c, uint32_t slot);
  void SendFromStream(Connection& c, uint32_t slot, const StreamView& stream,
                      uint64_t max_bytes);
  void SendFromScratch(Connection& c, uint32_t slot, bool first,
                       uint64_t max_messages, uint64_t max_bytes);
  bool ReleasedUnsent(const Connection& c, uint32_t slot) const;
  static uint32_t Capped(uint64_t bytes, uint64_t max_bytes);
  void SubmitSend(Connection& c, uint32_t slot, const uint8_t* data,
                  uint32_t len);
  void OnSendComplete(Connection& c, uint32_t slot, int res);
  void AdvanceSent(Connection& c, uint32_t slot, uint64_t sent);
  void WakeScratchWaiters();
  int64_t NextWakeup(const Connection& c) const;
  int64_t LifetimeEnd(const Connection& c) const;

  // --- WebSocket (worker_ws.cc) --------------------------------------------
  class WsVisitor;
  bool CountsMarkers() const;
  void WsStart(Connection& c, uint32_t slot);
  bool WsSendRequest(Connection& c, uint32_t slot);
  void WsReceive(Connection& c, uint32_t slot, uint8_t* data, size_t len);
  void WsHandshakeFailed(Connection& c, uint32_t slot,
                         const ws::HandshakeResult& r);
  void WsSendAccept(Connection& c, uint32_t slot);
  void QueueControl(Connection& c, uint32_t slot, ws::Opcode opcode,
                    const uint8_t* payload, size_t len, bool close_after);
  void WsSendControl(Connection& c, uint32_t slot);
  bool WsControlSent(Connection& c, uint32_t slot);
  void RearmConnectionTimer(Connection& c);
  void ScheduleAtOrAfter(TimerNode* node, int64_t deadline_ns);
  void OnConnectionTimer(Connection& c, uint32_t slot);

  WorkerEnv env_;
  const int index_;
  const RunPlan& plan_;
  const Config& config_;
  stats::WorkerStats& stats_;
  stats::WorkerCounters& counters_;
  RunControl& control_;

  std::unique_ptr<Ring> ring_;
  std::optional<BufferRing> buffers_;
  std::optional<TimingWheel> wheel_;
  ScratchPool scratch_;
  FastRandom rng_;
  SocketOptions socket_options_;

  // Slots: mmap'd, so that untouched ones cost no memory.
  Connection* slab_ = nullptr;
  size_t slab_bytes_ = 0;
  PacerState* downstream_ = nullptr;  // side table, with a downstream limit
  size_t downstream_bytes_ = 0;
  PacerState* upstream_ = nullptr;    // side table, with an upstream limit
  size_t upstream_bytes_ = 0;
  ScanState* scan_ = nullptr;  // side table, with latency/message markers
  size_t scan_bytes_ = 0;
  WsState* ws_ = nullptr;  // side table, with --ws
  size_t ws_bytes_ = 0;
  // Side table of per-connection streams (messages with \{connection.uid}
  // and the like), conn_stream_region_ bytes per slot: {bytes, cycle},
  // the message ends, then the expanded stream.
  uint8_t* conn_streams_ = nullptr;
  size_t conn_streams_bytes_ = 0;
  size_t conn_stream_region_ = 0;
  uint32_t client_slots_ = 0;
  uint32_t accept_begin_ = 0;
  uint32_t accept_slots_ = 0;
  uint32_t table_slots_ = 0;
  uint32_t listener_slot_ = 0;

  // Work lists, sized at setup.
  std::vector<uint32_t> free_clients_;     // client slots that are free
  std::vector<uint32_t> waiting_scratch_;  // connections waiting for a chunk
  std::vector<uint32_t> rearm_;            // receives to re-arm after ENOBUFS

  TimerNode opener_timer_;
  TimerNode drain_timer_;
  RateSpec connect_rate_{};
  // --message-rate, this worker's copy: --message-rate @L changes it while
  // the run goes on (RunControl::message_rate_micro).
  std::optional<RateSpec> message_rate_;
  PacerState connect_pacer_{};
  int64_t opener_batch_ns_ = 0;  // see OpenerBatchNs()
  uint64_t opened_ = 0;  // connections this worker has started (for uids)
  uint32_t next_endpoint_ = 0;
  std::vector<uint32_t> next_source_;  // per endpoint, round-robin

  int wake_fd_ = -1;
  uint64_t wake_value_ = 0;
  bool wake_armed_ = false;
  bool accept_armed_ = false;
  bool accept_full_ = false;
  bool accept_full_explained_ = false;
  bool scratch_released_ = false;
  Phase phase_ = Phase::kRun;
  int64_t now_ns_ = 0;  // the clock, read once per loop iteration
  int64_t stop_deadline_ns_ = 0;
  int64_t drain_end_ns_ = 0;
  uint64_t drain_bytes_seen_ = 0;
  uint64_t drain_bytes_published_ = 0;  // RunControl::drain_progress, self-sink
  int64_t timeout_ns_ = 0;  // the next Step()'s wait
  uint32_t sends_in_flight_ = 0;
  uint32_t open_incoming_ = 0;
  uint64_t ops_in_flight_ = 0;     // every counted pending op, all slots
  int last_connect_errno_ = 0;
  std::string dump_text_;
  uint64_t failures_logged_ = 0;
  int64_t failure_log_window_ns_ = 0;
};

}  // namespace tcpkali::engine

#endif  // TCPKALI_ENGINE_WORKER_H_
