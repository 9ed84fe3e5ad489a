// The limits preflight: before connecting, weigh the planned run against
// the machine (descriptor limits, ephemeral ports, TIME-WAIT reuse, listen
// backlog, conntrack, kernel and our memory) and say, once each, what falls
// short and the exact line that fixes it. The seed README's sysctl table,
// made executable. `tcpkali --check-limits` prints the whole table and
// exits; a normal run prints the shortfalls and stops with exit 70 when
// one is fatal (the run could not start, or would fail halfway).
//
// How the engine is modelled. Sockets are io_uring direct descriptors in
// each worker ring's fixed-file table, so they do not use process
// descriptors; but a fixed table holds at most RLIMIT_NOFILE entries (the
// soft limit, which the engine first raises to the hard one). Each worker
// keeps kFixedFileReserve slots back (its listener, closes in flight while
// reconnecting). A self-connect run (-l plus destinations that reach that
// listener) holds both ends of every connection: two descriptors each.
// Outgoing connections bind their source with IP_BIND_ADDRESS_NO_PORT, so
// every (source, destination) pair has the whole ephemeral port range, and
// connections are spread round-robin over the usable destinations.
//
// Example:
//   PlannedRun run = PlanRun(config, destinations, *sources);
//   absl::StatusOr<SystemFacts> facts = ReadSystemFacts(ProcSysctlReader());
//   PreflightReport report = Preflight(run, *facts);
//   if (config.check_limits_only) { std::cout << FormatPreflight(report); }
//   std::cerr << FormatShortfalls(report);
//   if (absl::Status s = PreflightStatus(report); !s.ok()) return s;  // 70
#ifndef TCPKALI_ENGINE_LIMITS_H_
#define TCPKALI_ENGINE_LIMITS_H_

#include <sys/socket.h>

#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "engine/config.h"
#include "engine/source_addresses.h"
#include "engine/sysctl.h"

namespace tcpkali::engine {

// Fixed-table slots each worker keeps back from connections: its listener
// and sockets whose close is still in flight when a slot is refilled.
inline constexpr uint64_t kFixedFileReserve = 64;
// The kernel's cap on one ring's fixed-file table (IORING_MAX_FIXED_FILES).
inline constexpr uint64_t kMaxFixedFiles = uint64_t{1} << 20;
// The most workers -w accepts (SPEC.md, -w).
inline constexpr int kMaxWorkers = 1024;
// Process descriptors besides the rings: stdio, message files, the StatsD
// socket, --stats-json, the feature probe.
inline constexpr uint64_t kProcessFileReserve = 32;
// What the engine passes to listen() for each worker's listener.
inline constexpr uint64_t kDefaultListenBacklog = 4096;
// Kernel memory per TCP socket with empty queues, x86-64, Linux 6.x slab
// sizes: tcp_sock ~2.4 KiB (TCPv6 ~2.5), socket inode ~0.8 KiB, struct
// file 0.25 KiB, dentry 0.2 KiB, bind buckets and hash entries ~0.1 KiB.
inline constexpr uint64_t kKernelBytesPerSocket = 4096;
// Ours per connection: the slot, its timer node, per-connection pacing and
// parser state. The engine may pass its exact figure in PlannedRun.
inline constexpr uint64_t kEngineBytesPerConnection = 320;

// One resolved destination, as the preflight needs to know it.
struct DestinationPlan {
  std::string name;            // "127.0.0.1:80", "[::1]:80"
  uint64_t source_count = 0;   // source addresses usable for it
  bool ipv4_loopback = false;  // in 127/8: all of it is routable on lo
  bool loopback = false;
};

// Connections one worker's io_uring can hold: its fixed-file table is
// capped at RLIMIT_NOFILE, less a reserve for the listener and closes in
// flight (half of a very small table).
uint64_t SlotsPerRing(const SystemFacts& facts);

// The run as planned: what Preflight() checks. Plain data; PlanRun()
// fills it from the Config, tests fill it by hand.
struct PlannedRun {
  uint64_t connections = 0;           // outgoing (-c); 0 without destinations
  uint64_t accepted_connections = 0;  // incoming ones this process also opens
                                      // (self-connect); others are unknown
  int workers = 1;                    // -w, as it will run
  bool listener = false;              // -l
  uint64_t listen_backlog = kDefaultListenBacklog;
  double connect_rate_per_s = 100;  // -r
  bool reconnects = false;          // --channel-lifetime: ports churn
  bool carries_data = false;        // messages sent or a sink receiving
  uint64_t engine_bytes_per_connection = kEngineBytesPerConnection;
  std::vector<DestinationPlan> destinations;
  uint64_t source_count = 0;  // distinct source addresses

  bool self_connect() const { return accepted_connections > 0; }
  // Sockets this process holds at full strength: both ends when
  // self-connecting.
  uint64_t sockets() const { return connections + accepted_connections; }
};

// Builds the plan for `config` (already validated) whose destinations
// resolved to `destinations` (address:port pairs, in order) with `sources`
// from ResolveSourceAddresses(). A destination counts as this process's
// own listener when its port is the -l port and it is loopback or one of
// its own source addresses (a local address).
PlannedRun PlanRun(const Config& config,
                   const std::vector<sockaddr_storage>& destinations,
                   const SourceAddresses& sources);

enum class Severity {
  kOk,       // fits
  kNote,     // worth knowing, shown by --check-limits only
  kWarning,  // a shortfall the run survives, worse; printed at start
  kFatal,    // the run cannot start or would fail halfway: exit 70
};

// One check's outcome. Every check yields one Finding, OK ones included.
struct Finding {
  std::string check;   // "net.ipv4.ip_local_port_range"
  std::string found;   // on this machine: "32768 60999"
  std::string needed;  // by this run: "1000000 connections"
  Severity severity = Severity::kOk;
  std::string text;  // one line saying what falls short; empty when kOk
  std::string fix;   // the flag, ulimit or sysctl line; may be empty
};

struct PreflightReport {
  std::string run;                     // "1000000 connections, 2 workers, ..."
  std::vector<Finding> findings;       // one per check, in a fixed order
  uint64_t reachable_connections = 0;  // by the ports estimate; 0 for a sink
  int workers_needed = 1;              // for the descriptors, given the limit
  uint64_t est_memory_bytes = 0;       // kernel + ours at full strength
  uint64_t mem_available_bytes = 0;

  bool HasFatal() const;
};

// Checks `run` against `facts`. Pure: no system calls, no output.
PreflightReport Preflight(const PlannedRun& run, const SystemFacts& facts);

// The --check-limits report: a header naming the run, one table row per
// check (check, found, needed, status) with the text and fix below each
// row that is not OK, then the estimates and the verdict.
std::string FormatPreflight(const PreflightReport& report);

// For a normal run's stderr: one "tcpkali: <text>; <fix>" line per warning
// and per fatal finding after the first (the first fatal one travels in
// PreflightStatus(), so each shortfall is printed once). Empty when the
// run fits.
std::string FormatShortfalls(const PreflightReport& report);

// OK, or ResourceExhausted (exit 70) carrying the first fatal finding's
// "<text>; <fix>".
[[nodiscard]] absl::Status PreflightStatus(const PreflightReport& report);

// The one-time explanation for EADDRNOTAVAIL from connect() during a run:
// the ephemeral ports of some source/destination pair are used up, how
// many connections the ports allow, and the fix.
std::string ExplainAddressNotAvailable(const PlannedRun& run,
                                       const SystemFacts& facts);

}  // namespace tcpkali::engine

#endif  // TCPKALI_ENGINE_LIMITS_H_
