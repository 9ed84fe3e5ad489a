// The process's own resource use (getrusage), for the JSON report: what the
// generator itself cost while it ran.
//
// Example:
//   stats::ProcessUsage usage = stats::ReadProcessUsage();
//   usage.max_rss_bytes;  // peak resident memory
#ifndef TCPKALI_STATS_PROCESS_USAGE_H_
#define TCPKALI_STATS_PROCESS_USAGE_H_

#include "stats/report.h"

namespace tcpkali::stats {

// CPU time, peak RSS and context switches of this process so far, all
// threads together. Cannot fail on Linux; all zero if getrusage() did.
ProcessUsage ReadProcessUsage();

}  // namespace tcpkali::stats

#endif  // TCPKALI_STATS_PROCESS_USAGE_H_
