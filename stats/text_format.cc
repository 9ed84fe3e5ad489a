#include "stats/text_format.h"

#include <cmath>
#include <string_view>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"

namespace tcpkali::stats {
namespace {

// Drops trailing zeros after the decimal point, keeping one digit after it.
std::string TrimZeros(std::string s) {
  const size_t dot = s.find('.');
  if (dot == std::string::npos) return s;
  size_t end = s.size();
  while (end > dot + 2 && s[end - 1] == '0') --end;
  s.resize(end);
  return s;
}

// A per-connection message rate: "%.1f", with more digits below 1/s so
// that 0.25 does not print as "0.2".
std::string FormatRate(double per_s) {
  if (per_s == 0 || per_s >= 1) return absl::StrFormat("%.1f", per_s);
  return TrimZeros(absl::StrFormat("%.4f", per_s));
}

std::string LatencyLine(const LatencySummary& s) {
  std::vector<std::string> values;
  std::vector<std::string> names;
  for (const PercentileValue& p : s.percentiles) {
    values.push_back(FormatLatencyMs(p.ms));
    names.push_back(p.name);
  }
  return absl::StrCat(std::string(LatencyKindTitle(s.kind)),
                      " at percentiles: ", absl::StrJoin(values, "/"), " ms (",
                      absl::StrJoin(names, "/"), "%)\n");
}

std::string ConnectionsLine(const ConnectionOutcomes& c) {
  std::string line = absl::StrFormat(
      "Connections: %d opened, %d failed (refused %d, timeout %d, reset %d, "
      "no-address %d",
      c.Opened(), c.Failed(), c.failed_refused, c.failed_timeout,
      c.failed_reset, c.failed_no_address);
  if (c.failed_other != 0) absl::StrAppend(&line, ", other ", c.failed_other);
  absl::StrAppend(&line, "), ", c.Closed(), " closed");
  if (c.ws_handshake_failures != 0) {
    absl::StrAppend(&line, ", ", c.ws_handshake_failures,
                    " WebSocket handshake failures");
  }
  return line + "\n";
}

std::string HealthLine(const HealthFigures& h) {
  std::string line = absl::StrFormat(
      "Generator health: %d late sends, %d CQ overflows, %d ENOBUFS, "
      "%d SQ-full retries",
      h.paced_messages_late, h.cq_overflows, h.enobufs, h.sq_full_retries);
  if (h.statsd_send_errors != 0) {
    absl::StrAppend(&line, ", ", h.statsd_send_errors, " StatsD send errors");
  }
  if (h.stats_json_write_errors != 0) {
    absl::StrAppend(&line, ", ", h.stats_json_write_errors,
                    " --stats-json write errors");
  }
  return line + "\n";
}

}  // namespace

std::string FormatByteSize(uint64_t bytes) {
  if (bytes < 2048) return absl::StrCat(bytes, " bytes");
  if (bytes < 512 * 1024) {
    return absl::StrFormat("%.1f KiB", static_cast<double>(bytes) / 1024);
  }
  return absl::StrFormat("%.1f MiB",
                         static_cast<double>(bytes) / (1024 * 1024));
}

std::string FormatLatencyMs(double ms) {
  if (!(ms > 0)) return "0.0";
  if (std::round(ms * 10) >= 1) return absl::StrFormat("%.1f", ms);
  if (std::round(ms * 1e3) >= 1) return TrimZeros(absl::StrFormat("%.3f", ms));
  if (std::round(ms * 1e6) >= 1) return TrimZeros(absl::StrFormat("%.6f", ms));
  return "0.0";
}

std::string FormatText(const Report& r) {
  std::string out;
  const TrafficTotals& t = r.traffic;
  const TrafficRates& rate = r.rates;
  absl::StrAppendFormat(&out, "Total data sent:     %s (%d bytes)\n",
                        FormatByteSize(t.bytes_sent), t.bytes_sent);
  absl::StrAppendFormat(&out, "Total data received: %s (%d bytes)\n",
                        FormatByteSize(t.bytes_received), t.bytes_received);
  absl::StrAppendFormat(&out, "Bandwidth per channel: %.3f⇅ Mbps (%.1f kBps)\n",
                        rate.per_channel_mbps, rate.per_channel_kBps);
  absl::StrAppendFormat(&out, "Aggregate bandwidth: %.3f↓, %.3f↑ Mbps\n",
                        rate.mbps_in, rate.mbps_out);
  absl::StrAppendFormat(
      &out, "Packet rate estimate: %.1f↓, %.1f↑ (%d↓, %d↑ TCP MSS/op)\n",
      rate.packets_in_per_s, rate.packets_out_per_s, rate.mss_per_op_in,
      rate.mss_per_op_out);
  if (r.messages_counted) {
    absl::StrAppendFormat(&out, "Aggregate message rate: %.1f↓, %.1f↑ mps\n",
                          rate.msgs_in_per_s, rate.msgs_out_per_s);
  }
  for (const LatencySummary& s : r.latencies) {
    if (s.kind != LatencyKind::kPacingLag) out += LatencyLine(s);
  }
  absl::StrAppendFormat(&out, "Test duration: %g s.\n", r.duration_s);
  out += ConnectionsLine(r.connections);
  if (r.pacing.has_value()) {
    absl::StrAppend(&out, "Message rate achieved: ",
                    FormatRate(r.pacing->achieved_per_conn_per_s), " of ",
                    FormatRate(r.pacing->requested_per_conn_per_s),
                    " requested per connection, lag ", r.pacing->lag_msgs,
                    "\n");
  }
  const bool verbose = r.verbosity >= 2;
  const LatencySummary* lag = r.Latency(LatencyKind::kPacingLag);
  if (lag != nullptr && (verbose || lag->max_ms > 0)) out += LatencyLine(*lag);
  if (verbose || r.health.AnyNonZero()) out += HealthLine(r.health);
  return out;
}

}  // namespace tcpkali::stats
