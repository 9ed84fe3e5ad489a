// The engine's clocks. Intervals use CLOCK_MONOTONIC (never the wall
// clock); \{message.marker} timestamps need wall-clock microseconds, which
// come from the monotonic time plus an offset taken once at start, so that a
// wall-clock step during a run cannot make latencies negative.
#ifndef TCPKALI_ENGINE_CLOCK_H_
#define TCPKALI_ENGINE_CLOCK_H_

#include <time.h>

#include <cstdint>

namespace tcpkali::engine {

// Nanoseconds of CLOCK_MONOTONIC (a vDSO call, no system call).
inline int64_t MonotonicNs() {
  timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return static_cast<int64_t>(ts.tv_sec) * 1'000'000'000 + ts.tv_nsec;
}

// CLOCK_REALTIME minus CLOCK_MONOTONIC, in nanoseconds, now.
inline int64_t RealtimeOffsetNs() {
  timespec rt;
  clock_gettime(CLOCK_REALTIME, &rt);
  const int64_t mono = MonotonicNs();
  return static_cast<int64_t>(rt.tv_sec) * 1'000'000'000 + rt.tv_nsec - mono;
}

}  // namespace tcpkali::engine

#endif  // TCPKALI_ENGINE_CLOCK_H_
