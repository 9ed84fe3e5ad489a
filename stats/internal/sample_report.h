// Reports for the formatter golden tests, built by hand so that every
// figure is known exactly.
//
// Example:
//   CHECK(MatchesGolden(FormatText(SampleFullReport()), kFullGoldenPath));
#ifndef TCPKALI_STATS_INTERNAL_SAMPLE_REPORT_H_
#define TCPKALI_STATS_INTERNAL_SAMPLE_REPORT_H_

#include "stats/report.h"

namespace tcpkali::stats::internal {

// Every optional part present: the traffic of SPEC.md's example summary,
// message counts, all five latency kinds, pacing, non-zero health,
// connection failures of every cause, two workers, config and kernel echo.
Report SampleFullReport();

// Nothing optional: a short run with no latency options, no message rate
// and clean health.
Report SampleMinimalReport();

}  // namespace tcpkali::stats::internal

#endif  // TCPKALI_STATS_INTERNAL_SAMPLE_REPORT_H_
