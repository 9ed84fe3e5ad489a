#include "stats/live_line.h"

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "stats/json_writer.h"
#include "stats/text_format.h"

namespace tcpkali::stats {

std::string FormatLiveLine(const LiveFigures& f) {
  std::string line =
      absl::StrFormat("Traffic %.3f↓, %.3f↑ Mbps", f.mbps_in, f.mbps_out);
  std::string latency;
  for (LatencyKind kind : kAllLatencyKinds) {
    const std::optional<double>& p95 = f.p95_ms[LatencyKindIndex(kind)];
    if (!p95.has_value() || LatencyKindLiveLabel(kind).empty()) continue;
    absl::StrAppend(&latency, std::string(LatencyKindLiveLabel(kind)), "=",
                    FormatLatencyMs(*p95), " ");
  }
  if (latency.empty()) {
    absl::StrAppendFormat(&line, " (conns %d↓ %d↑ %d⇡; seen %d)", f.conns_in,
                          f.conns_out, f.conns_in_progress, f.conns_seen);
  } else {
    absl::StrAppend(&line, " (", latency, "ms⁹⁵ᵖ)");
  }
  if (f.messages_counted) {
    absl::StrAppendFormat(&line, " (%.0f↓ %.0f↑ mps)", f.msgs_in_per_s,
                          f.msgs_out_per_s);
  }
  return line;
}

std::string FormatStatsJsonLine(const LiveFigures& f) {
  JsonWriter w(/*pretty=*/false);
  w.BeginObject();
  w.IntField("schema_version", kStatsJsonSchemaVersion);
  w.DoubleField("elapsed_s", f.elapsed_s);
  w.DoubleField("interval_s", f.interval_s);
  w.BoolField("ramped_up", f.ramped_up);
  w.DoubleField("in_mbps", f.mbps_in);
  w.DoubleField("out_mbps", f.mbps_out);
  w.DoubleField("in_mps", f.msgs_in_per_s);
  w.DoubleField("out_mps", f.msgs_out_per_s);
  w.UintField("conns_in", f.conns_in);
  w.UintField("conns_out", f.conns_out);
  w.UintField("conns_in_progress", f.conns_in_progress);
  w.UintField("conns_seen", f.conns_seen);
  w.UintField("bytes_sent", f.bytes_sent);
  w.UintField("bytes_received", f.bytes_received);
  w.UintField("msgs_sent", f.msgs_sent);
  w.UintField("msgs_received", f.msgs_received);
  w.Key("latency_p95_ms");
  w.BeginObject();
  for (LatencyKind kind : kAllLatencyKinds) {
    const std::optional<double>& p95 = f.p95_ms[LatencyKindIndex(kind)];
    if (p95.has_value()) w.DoubleField(LatencyKindJsonName(kind), *p95);
  }
  w.EndObject();
  w.EndObject();
  return w.str() + "\n";
}

size_t DisplayColumns(std::string_view utf8) {
  size_t columns = 0;
  for (char c : utf8) {
    if ((static_cast<unsigned char>(c) & 0xC0) != 0x80) ++columns;
  }
  return columns;
}

std::string LiveLineRenderer::Show(std::string_view line) {
  if (!tty_) return std::string(line) + "\n";
  const size_t columns = DisplayColumns(line);
  std::string out = "\r";
  out.append(line);
  if (shown_columns_ > columns) out.append(shown_columns_ - columns, ' ');
  shown_columns_ = columns;
  return out;
}

std::string LiveLineRenderer::Clear() {
  if (shown_columns_ == 0) return "";
  std::string out = "\r";
  out.append(shown_columns_, ' ');
  out += "\r";
  shown_columns_ = 0;
  return out;
}

std::string LiveLineRenderer::Finish() {
  if (shown_columns_ == 0) return "";
  shown_columns_ = 0;
  return "\n";
}

}  // namespace tcpkali::stats
