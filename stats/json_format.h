// The JSON form of the final report (--json): one object on stdout holding
// every figure of the text summary at full precision, plus connection
// outcomes by cause, per-worker counters, latency percentile arrays, process
// resource usage, the configuration and the kernel features used. The
// schema is documented in stats/json_schema.md; kReportSchemaVersion
// changes whenever a field changes meaning or goes away.
//
// Example:
//   std::string json = stats::FormatJson(report);
//   // {
//   //   "schema_version": 1,
//   //   "duration_s": 10.0038,
//   //   ...
#ifndef TCPKALI_STATS_JSON_FORMAT_H_
#define TCPKALI_STATS_JSON_FORMAT_H_

#include <string>

#include "stats/report.h"

namespace tcpkali::stats {

inline constexpr int kReportSchemaVersion = 1;

// The report as one pretty-printed JSON object, ending in "\n".
std::string FormatJson(const Report& report);

}  // namespace tcpkali::stats

#endif  // TCPKALI_STATS_JSON_FORMAT_H_
