// RunPlan: everything the workers share, computed once at start from the
// Config (addresses resolved, messages compiled, rates turned into pacing
// specs, slot counts sized), then read-only for the whole run. Workers hold
// a const reference; nothing in it changes while they run.
//
// RunControl: the few things that do change, between the main thread and
// the workers: the phase of the run, the flag --message-stop raises, and
// the start barrier through which each worker reports its setup.
#ifndef TCPKALI_ENGINE_RUN_PLAN_H_
#define TCPKALI_ENGINE_RUN_PLAN_H_

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "engine/config.h"
#include "engine/dump.h"
#include "engine/features.h"
#include "engine/message_template.h"
#include "engine/pacer.h"
#include "engine/resolve.h"
#include "engine/send_stream.h"
#include "engine/stream_matcher.h"

namespace tcpkali::engine {

struct RunPlan {
  const Config* config = nullptr;
  KernelFeatures features;

  // --- Connections -------------------------------------------------------
  int workers = 1;
  std::vector<Endpoint> endpoints;  // destinations, connections round-robin
  // Source addresses to bind, per endpoint (parallel to `endpoints`); an
  // empty list leaves the choice to the kernel.
  std::vector<std::vector<Endpoint>> sources;
  std::optional<Endpoint> listen;   // with the port actually bound
  int listen_backlog = 4096;
  uint64_t client_connections = 0;  // -c when there are destinations
  uint32_t accept_slots = 0;        // per worker, 0 without -l
  double connect_rate_per_s = 100;
  int64_t connect_timeout_ns = 1'000'000'000;
  std::optional<int64_t> channel_lifetime_ns;
  // The drain ends when sends and our own sink have finished, when a
  // drain_idle_ns passes without a byte moving, or after drain_max_ns.
  int64_t drain_idle_ns = 1'000'000'000;
  int64_t drain_max_ns = 10'000'000'000;
  // Every destination is this process's own listener (-l P ... 127.0.0.1:P):
  // our sink reads whatever is on its way, so a drain without a byte moving
  // is TCP waiting to retransmit (under memory pressure the kernel drops
  // segments and retries them after 200 ms, then 400, 800...), not a peer
  // that has stopped reading. Such a drain ends when it is complete, or at
  // drain_max_ns, never on drain_idle_ns.
  bool clients_reach_own_listener = false;
  // Printed once if connect() runs out of local ports (EADDRNOTAVAIL): how
  // many connections the ports allow, and the fix.
  std::string no_address_explanation;
  // Sockets created, configured and bound through the ring; false: the
  // regular-descriptor fallback for kernels without URING_CMD setsockopt or
  // IORING_OP_BIND.
  bool socket_setup_in_ring = true;
  // Receive buffers per worker (a power of two) and their size.
  uint32_t recv_buffers = 256;
  uint32_t recv_buffer_bytes = 16 * 1024;

  // Connections of worker `w`: an even share, the first ones taking the
  // remainder.
  uint32_t ClientSlots(int w) const {
    const uint64_t share = client_connections / workers;
    const uint64_t extra = static_cast<uint64_t>(w) < client_connections % workers;
    return static_cast<uint32_t>(share + extra);
  }

  // --- What to send ------------------------------------------------------
  // Messages for client connections and, under --listen-mode active, for
  // accepted ones (compiled unmasked when --ws: servers do not mask).
  CompiledMessages client_messages;
  CompiledMessages server_messages;
  std::optional<StaticStream> client_stream;  // all repeated messages static
  std::optional<StaticStream> server_stream;
  // The first messages back to back, when they are all static.
  std::optional<std::string> client_first_static;
  std::optional<std::string> server_first_static;
  uint64_t run_seed = 0;
  // Scratch chunks per worker for messages expanded at send time (0: the
  // run has none), and their size: at least the largest expansion.
  uint32_t scratch_chunks = 0;
  // Messages that depend only on the connection are expanded once per
  // connection into a region of this many bytes per slot (0: none needs
  // it), holding about conn_stream_target_bytes of whole cycles.
  size_t conn_stream_region_bytes = 0;
  size_t conn_stream_target_bytes = 4096;
  size_t scratch_chunk_bytes = 64 * 1024;
  // CLOCK_REALTIME - CLOCK_MONOTONIC at start: marker timestamps.
  int64_t realtime_offset_ns = 0;

  std::optional<RateSpec> message_rate;    // --message-rate
  bool auto_rate = false;                  // --message-rate @L: it changes
  std::optional<RateSpec> upstream_rate;   // bytes, --channel-bandwidth-upstream
  std::optional<RateSpec> downstream_rate; // bytes, --channel-bandwidth-downstream

  // --- What to look for in received data --------------------------------
  std::optional<StreamMatcher> message_stop;
  std::optional<StreamMatcher> latency_marker;
};

// The phases the main thread moves the workers through.
enum class Phase : int {
  kRun,    // open connections, send, receive
  kDrain,  // stop opening and sending; finish sends; let sinks read to EOF
  kStop,   // cancel everything and leave the loop
};

// Shared between the main thread and the workers. Phase changes are rare
// (a handful per run); each is followed by a wake-up of every worker.
struct RunControl {
  std::atomic<Phase> phase{Phase::kRun};
  std::atomic<bool> message_stop_seen{false};
  std::atomic<bool> no_address_explained{false};
  // --message-rate @L: the rate the search wants now, in micro-messages
  // per second per connection; workers follow it.
  std::atomic<uint64_t> message_rate_micro{0};
  // A connection saw more --latency-marker sightings than messages sent.
  std::atomic<bool> marker_overrun{false};
  DumpSelector* dumps = nullptr;  // null without --dump-*

  // Where this process is also the sink of its own clients, the drain ends
  // only once the sink has accepted every connection its clients opened
  // while running: until then some client's bytes may still wait in a
  // listener's accept queue, and with SO_REUSEPORT only the worker that
  // owns that listener can read them. Counted only in that mode, once per
  // connection.
  std::atomic<uint64_t> self_connected{0};  // clients established while running
  std::atomic<uint64_t> self_accepted{0};   // incoming connections accepted
  std::atomic<int> workers_draining{0};     // workers past the running phase
  // Bytes moved while draining, summed over the workers (each adds its own
  // at its drain timer): one worker's clients may wait on another's reads.
  std::atomic<uint64_t> drain_progress{0};
  // A drain as our own sink reached drain_max_ns before every connection
  // had been read to its end: bytes sent may exceed bytes received.
  std::atomic<bool> drain_cut_short{false};

  // Start barrier: each worker reports its setup result once.
  std::mutex mu;
  std::condition_variable cv;
  int workers_ready = 0;
  absl::Status setup_status;  // the first failure, if any
};

}  // namespace tcpkali::engine

#endif  // TCPKALI_ENGINE_RUN_PLAN_H_
