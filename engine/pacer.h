// Pacer: how many units (messages, or bytes) a connection may move now,
// computed from the time elapsed since the connection started, never by
// counting ticks, so that nothing drifts however late or often the worker
// looks. One shared, immutable RateSpec per run and direction; one 16-byte
// PacerState in every connection slot.
//
// The schedule is exact: with rate R units/s and grant G (1 for messages),
// unit #k is due at
//     start_ns + ceil(max(0, k + 1 - G) * 1e9 / R)
// so the first G units are due at the connection's start, and
//     allowed(now) = floor((now - start_ns) * R / 1e9) + G.
// Rates are held in micro-units per second and multiplied in 128 bits, so a
// rate written with up to six decimals ("0.1", "1.5m") is exact and a run of
// years at 1e13 units/s neither overflows nor loses a unit.
//
// Open loop: a connection that falls behind keeps its schedule. The units it
// missed are due together (the caller sends them in one go) and the lateness
// is measurable (LagNs), while latency timestamps use each message's
// intended time (IntendedTimeNs), not the time it went out, so slow sends do
// not hide latency (no coordinated omission).
//
// Phasing: each connection's schedule starts at its own start_ns (when it
// was established). Connections open under --connect-rate at different
// times, so 10k connections at 1 msg/s fire spread over the second instead
// of in one tick; no extra per-connection offset is needed.
//
// Byte pacing (--channel-bandwidth-upstream/-downstream) hands out whole
// grants: Due() stays 0 until at least `grant_units` bytes are due, so a send
// is never cut into silly small pieces by a timer that fires a little early;
// see ByteRateSpec() for how the grant and the backlog limit are chosen.
//
// Example: a paced sender (worker code, per connection).
//   RateSpec spec = *MessageRateSpec(100);       // once per run
//   PacerState pacer{.start_ns = established_ns};
//   ...on its timer, at now_ns:
//   uint64_t n = Due(spec, pacer, now_ns);
//   for (uint64_t i = 0; i < n; ++i)
//     StampMessage(i, IntendedTimeNs(spec, pacer, pacer.done + i));
//   if (n > 1) counters.lag_ns += LagNs(spec, pacer, now_ns);
//   Consume(pacer, n);                            // after queueing the send
//   wheel.Schedule(timer, NextDueNs(spec, pacer));
#ifndef TCPKALI_ENGINE_PACER_H_
#define TCPKALI_ENGINE_PACER_H_

#include <cstdint>
#include <limits>

#include "absl/status/statusor.h"

namespace tcpkali::engine {

// A time that never comes: what NextDueNs() returns for a rate of 0.
inline constexpr int64_t kNeverNs = std::numeric_limits<int64_t>::max();

// The largest rate a RateSpec holds, in units per second (1.8e13: 144 Tbps
// of bytes, far beyond any single connection).
inline constexpr double kMaxRatePerS = 1.8e13;

// A rate and how it is handed out. Built once per run by MessageRateSpec()
// or ByteRateSpec(); immutable afterwards and shared by every worker.
struct RateSpec {
  // The rate in units per 1e6 seconds (micro-units per second). 0: nothing
  // is ever due (--channel-bandwidth-downstream 0 stops reading).
  uint64_t micro_units_per_s = 0;
  // The least Due() hands out (>= 1); also the units due at start.
  uint64_t grant_units = 1;
  // DropBacklog() keeps at most this many due units. 0: never drop (open
  // loop: message pacing).
  uint64_t max_backlog_units = 0;
};

// Per-connection pacing state: 16 bytes, owned by the connection's worker.
struct PacerState {
  // When the schedule starts: the connection's establishment, a
  // CLOCK_MONOTONIC reading (so never negative).
  int64_t start_ns = 0;
  uint64_t done = 0;  // units sent (or received) since start_ns
};
static_assert(sizeof(PacerState) == 16);

// --message-rate: grant 1, never drops backlog (open loop). Rates below
// 1e-6/s that are not 0 round up to 1e-6/s.
// Fails with InvalidArgument for a negative, NaN or infinite rate or one
// above kMaxRatePerS.
[[nodiscard]] absl::StatusOr<RateSpec> MessageRateSpec(double messages_per_s);

// --channel-bandwidth-*: bytes per second (the CLI has already turned bits
// into bytes: 1 bps is 0.125 B/s, which is exact here).
//   grant   = what accrues in 10 ms, but at least 1460 bytes (one Ethernet
//             MSS) or what accrues in 1 s if that is less, at most 64 KiB
//             and at least 1 byte: few, well-filled sends at any rate;
//   backlog = at most 2 grants or 100 ms worth, whichever is more: a
//             connection that stalled (peer not reading) bursts that much
//             and then keeps the rate, rather than sending at line rate
//             until it has "caught up".
// Fails like MessageRateSpec().
[[nodiscard]] absl::StatusOr<RateSpec> ByteRateSpec(double bytes_per_s);

// Units due at now_ns and not yet done: allowed(now) - done when that is at
// least spec.grant_units, else 0. 0 before the start and for a rate of 0;
// saturates at UINT64_MAX. The caller may move fewer (Consume what it
// moved); the rest stays due.
[[nodiscard]] uint64_t Due(const RateSpec& spec, const PacerState& state,
                           int64_t now_ns);

// Records that `units` were sent or received. More than Due() is allowed
// (a receive delivers what the peer sent): the state is then over budget and
// Due() is 0 until the schedule catches up.
inline void Consume(PacerState& state, uint64_t units) { state.done += units; }

// The earliest time at which Due() is non-zero: where the worker sets its
// timer. At or before now when units are already due; kNeverNs for a rate
// of 0 or beyond the int64 range.
[[nodiscard]] int64_t NextDueNs(const RateSpec& spec, const PacerState& state);

// The intended time of unit #index (0-based since start): the timestamp for
// latency of message #index, whenever it actually goes out. kNeverNs for a
// rate of 0 or beyond the int64 range.
[[nodiscard]] int64_t IntendedTimeNs(const RateSpec& spec,
                                     const PacerState& state, uint64_t index);

// How late the oldest unit not yet done is at now_ns: now_ns minus its
// intended time, or 0 when the connection is on schedule.
[[nodiscard]] int64_t LagNs(const RateSpec& spec, const PacerState& state,
                            int64_t now_ns);

// Moves `state` onto `new_spec` at now_ns without renumbering its units:
// the next unit (#done) becomes due at now_ns and the ones after it follow
// at the new rate. Units already due under the old rate are not carried
// over (a rate change starts a fresh schedule). For --message-rate @L,
// whose search changes the rate of running connections.
void Rebase(const RateSpec& new_spec, PacerState& state, int64_t now_ns);

// Forgets due units beyond spec.max_backlog_units (by counting them as
// done) and returns how many were forgotten; 0 when max_backlog_units is 0.
// Call it before Due() on byte pacers; the schedule (phase) is unchanged.
uint64_t DropBacklog(const RateSpec& spec, PacerState& state, int64_t now_ns);

}  // namespace tcpkali::engine

#endif  // TCPKALI_ENGINE_PACER_H_
