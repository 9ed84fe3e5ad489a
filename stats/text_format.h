// The text form of the final report (stdout), in tcpkali's words so that
// scripts written against tcpkali keep working, and the number formats the
// live line shares with it.
//
// Example:
//   std::string text = stats::FormatText(report);
//   // Total data sent:     8.7 KiB (8910 bytes)
//   // ...
//   // Test duration: 10.0038 s.
//   stats::FormatByteSize(8910);   // "8.7 KiB"
//   stats::FormatLatencyMs(0.045); // "0.045"
#ifndef TCPKALI_STATS_TEXT_FORMAT_H_
#define TCPKALI_STATS_TEXT_FORMAT_H_

#include <cstdint>
#include <string>

#include "stats/report.h"

namespace tcpkali::stats {

// The summary, one figure per line, each line ending in "\n":
//   Total data sent / received, Bandwidth per channel, Aggregate bandwidth,
//   Packet rate estimate, [Aggregate message rate], [one latency line per
//   measured kind], Test duration, Connections, [Message rate achieved],
//   [Pacing lag], [Generator health].
// Bracketed lines appear when their figures exist; the last two when any
// health figure is non-zero or report.verbosity >= 2.
std::string FormatText(const Report& report);

// "N bytes" below 2048, "X.Y KiB" below 512 KiB, else "X.Y MiB".
std::string FormatByteSize(uint64_t bytes);

// A latency in milliseconds as tcpkali printed it ("%.1f": "0.1", "12.3"),
// except that values "%.1f" would show as "0.0" get the digits they need
// to show as non-zero: "0.045" (microseconds), "0.0003" (below one
// microsecond). Exactly 0 prints "0.0".
std::string FormatLatencyMs(double ms);

}  // namespace tcpkali::stats

#endif  // TCPKALI_STATS_TEXT_FORMAT_H_
