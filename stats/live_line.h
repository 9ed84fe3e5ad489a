// The live figures the stats thread shows once a second, and their two
// renderings: the stderr line of SPEC.md ("Live output") and one JSON line
// of --stats-json. LiveLineRenderer knows how to draw the line on a
// terminal (redrawn in place) or a pipe (one line each time).
//
// Example:
//   stats::LiveLineRenderer renderer(/*tty=*/false);
//   write(2, renderer.Show(stats::FormatLiveLine(figures)));
//   // Traffic 15.103↓, 15.101↑ Mbps (conns 1↓ 1↑ 0⇡; seen 2)\n
#ifndef TCPKALI_STATS_LIVE_LINE_H_
#define TCPKALI_STATS_LIVE_LINE_H_

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "stats/latency_kind.h"

namespace tcpkali::stats {

inline constexpr int kStatsJsonSchemaVersion = 1;

struct LiveFigures {
  double elapsed_s = 0;   // since the collector started
  double interval_s = 0;  // the period the rates below cover
  bool ramped_up = false;
  // Rates over the interval.
  double mbps_in = 0;
  double mbps_out = 0;
  double msgs_in_per_s = 0;
  double msgs_out_per_s = 0;
  bool messages_counted = false;  // show the message rates
  // Gauges, now.
  uint64_t conns_in = 0;           // accepted, still open
  uint64_t conns_out = 0;          // established outgoing, still open
  uint64_t conns_in_progress = 0;  // outgoing connects under way
  uint64_t conns_seen = 0;         // ever established, both directions
  // Totals since the start (ramp-up included).
  uint64_t bytes_sent = 0;
  uint64_t bytes_received = 0;
  uint64_t msgs_sent = 0;
  uint64_t msgs_received = 0;
  // 95th percentile in ms since the start, per kind; set for the measured
  // kinds among those the live line shows (connect, first byte, message).
  std::array<std::optional<double>, kLatencyKindCount> p95_ms;
};

// The live line, without line ending:
//   Traffic 15.103↓, 15.101↑ Mbps (conns 1↓ 1↑ 0⇡; seen 2)
// With latency kinds measured, the connection part becomes
//   (c=0.1 fb=0.2 m=0.3 ms⁹⁵ᵖ)
// listing the measured ones; with messages counted " (10055↓ 10041↑ mps)"
// follows.
std::string FormatLiveLine(const LiveFigures& figures);

// The same figures as one compact JSON object and "\n" (stats/json_schema.md,
// "--stats-json").
std::string FormatStatsJsonLine(const LiveFigures& figures);

// Terminal columns `utf8` takes: one per code point (the arrows and the
// superscripts are all single-width).
size_t DisplayColumns(std::string_view utf8);

// Owned by the stats thread. Tracks what is on the screen so that a
// redrawn line fully covers the previous one.
class LiveLineRenderer {
 public:
  explicit LiveLineRenderer(bool tty) : tty_(tty) {}

  // The bytes that show `line`: on a TTY "\r", the line and enough spaces
  // to cover a longer previous line; otherwise the line and "\n".
  std::string Show(std::string_view line);
  // The bytes that wipe the shown line before other text goes to stderr,
  // leaving the cursor at the start of the line; "" when nothing is shown.
  std::string Clear();
  // The bytes that keep the last line and move to a fresh one, so the
  // summary starts on its own line; "" when nothing is shown.
  std::string Finish();

 private:
  bool tty_;
  size_t shown_columns_ = 0;  // 0: no live line on the screen
};

}  // namespace tcpkali::stats

#endif  // TCPKALI_STATS_LIVE_LINE_H_
