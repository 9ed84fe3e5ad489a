#include "stats/counters.h"

namespace tcpkali::stats {

CounterValues& CounterValues::operator+=(const CounterValues& other) {
#define TCPKALI_STATS_ADD_FIELD(name) name += other.name;
  TCPKALI_STATS_COUNTER_FIELDS(TCPKALI_STATS_ADD_FIELD)
#undef TCPKALI_STATS_ADD_FIELD
  return *this;
}

CounterValues operator+(CounterValues a, const CounterValues& b) {
  a += b;
  return a;
}

CounterValues operator-(const CounterValues& later,
                        const CounterValues& earlier) {
  CounterValues out;
#define TCPKALI_STATS_SUB_FIELD(name) \
  out.name = later.name > earlier.name ? later.name - earlier.name : 0;
  TCPKALI_STATS_COUNTER_FIELDS(TCPKALI_STATS_SUB_FIELD)
#undef TCPKALI_STATS_SUB_FIELD
  return out;
}

CounterValues ReadCounters(const WorkerCounters& counters) {
  CounterValues out;
#define TCPKALI_STATS_READ_FIELD(name) \
  out.name = counters.name.load(std::memory_order_relaxed);
  TCPKALI_STATS_COUNTER_FIELDS(TCPKALI_STATS_READ_FIELD)
#undef TCPKALI_STATS_READ_FIELD
  return out;
}

}  // namespace tcpkali::stats
