#include "stats/json_format.h"

#include "stats/json_writer.h"

namespace tcpkali::stats {
namespace {

void WriteTraffic(const Report& r, JsonWriter& w) {
  const TrafficTotals& t = r.traffic;
  w.Key("traffic");
  w.BeginObject();
  w.UintField("bytes_sent", t.bytes_sent);
  w.UintField("bytes_received", t.bytes_received);
  w.UintField("send_ops", t.send_ops);
  w.UintField("recv_ops", t.recv_ops);
  w.UintField("msgs_sent", t.msgs_sent);
  w.UintField("msgs_received", t.msgs_received);
  w.EndObject();

  const TrafficRates& rate = r.rates;
  w.Key("bandwidth");
  w.BeginObject();
  w.DoubleField("in_mbps", rate.mbps_in);
  w.DoubleField("out_mbps", rate.mbps_out);
  w.UintField("channels", r.channels);
  w.DoubleField("per_channel_mbps", rate.per_channel_mbps);
  w.DoubleField("per_channel_kBps", rate.per_channel_kBps);
  w.EndObject();

  w.Key("packet_rate");
  w.BeginObject();
  w.DoubleField("in_per_s", rate.packets_in_per_s);
  w.DoubleField("out_per_s", rate.packets_out_per_s);
  w.UintField("mss_per_op_in", rate.mss_per_op_in);
  w.UintField("mss_per_op_out", rate.mss_per_op_out);
  w.UintField("mss_bytes", r.mss_bytes);
  w.EndObject();

  w.Key("message_rate");
  w.BeginObject();
  w.BoolField("counted", r.messages_counted);
  w.DoubleField("in_per_s", rate.msgs_in_per_s);
  w.DoubleField("out_per_s", rate.msgs_out_per_s);
  w.EndObject();
}

void WriteConnections(const ConnectionOutcomes& c, JsonWriter& w) {
  w.Key("connections");
  w.BeginObject();
  w.UintField("target", c.target);
  w.UintField("attempts", c.attempts);
  w.UintField("opened", c.Opened());
  w.UintField("opened_out", c.opened_out);
  w.UintField("accepted", c.accepted);
  w.UintField("failed", c.Failed());
  w.Key("failed_by_cause");
  w.BeginObject();
  w.UintField("refused", c.failed_refused);
  w.UintField("timeout", c.failed_timeout);
  w.UintField("reset", c.failed_reset);
  w.UintField("no_address", c.failed_no_address);
  w.UintField("other", c.failed_other);
  w.EndObject();
  w.UintField("closed", c.Closed());
  w.UintField("closed_out", c.closed_out);
  w.UintField("closed_in", c.closed_in);
  w.UintField("ws_handshake_failures", c.ws_handshake_failures);
  w.UintField("peak_open_out", c.peak_open_out);
  w.UintField("peak_open_in", c.peak_open_in);
  w.EndObject();
}

void WritePercentiles(const std::vector<PercentileValue>& values,
                      bool with_names, JsonWriter& w) {
  w.BeginArray();
  for (const PercentileValue& p : values) {
    w.BeginObject();
    w.DoubleField("percentile", p.percentile);
    if (with_names) w.StringField("name", p.name);
    w.DoubleField("ms", p.ms);
    w.EndObject();
  }
  w.EndArray();
}

void WriteLatencies(const Report& r, JsonWriter& w) {
  w.Key("latency");
  w.BeginObject();
  for (const LatencySummary& s : r.latencies) {
    w.Key(LatencyKindJsonName(s.kind));
    w.BeginObject();
    w.UintField("count", s.count);
    w.UintField("clamped", s.clamped);
    w.DoubleField("min_ms", s.min_ms);
    w.DoubleField("mean_ms", s.mean_ms);
    w.DoubleField("max_ms", s.max_ms);
    w.Key("percentiles");
    WritePercentiles(s.percentiles, true, w);
    w.Key("distribution");
    WritePercentiles(s.distribution, false, w);
    w.EndObject();
  }
  w.EndObject();
}

void WritePacingAndHealth(const Report& r, JsonWriter& w) {
  w.Key("pacing");
  if (r.pacing.has_value()) {
    const PacingSummary& p = *r.pacing;
    w.BeginObject();
    w.DoubleField("requested_per_conn_per_s", p.requested_per_conn_per_s);
    w.DoubleField("achieved_per_conn_per_s", p.achieved_per_conn_per_s);
    w.UintField("msgs_due", p.msgs_due);
    w.UintField("msgs_sent", p.msgs_sent);
    w.UintField("lag_msgs", p.lag_msgs);
    w.UintField("late_sends", p.late_sends);
    w.EndObject();
  } else {
    w.Null();
  }
  const HealthFigures& h = r.health;
  w.Key("health");
  w.BeginObject();
  w.UintField("cq_overflows", h.cq_overflows);
  w.UintField("enobufs", h.enobufs);
  w.UintField("sq_full_retries", h.sq_full_retries);
  w.UintField("paced_messages_late", h.paced_messages_late);
  w.UintField("statsd_send_errors", h.statsd_send_errors);
  w.UintField("stats_json_write_errors", h.stats_json_write_errors);
  w.EndObject();
}

void WriteWorkersAndProcess(const Report& r, JsonWriter& w) {
  w.Key("workers");
  w.BeginArray();
  for (const CounterValues& c : r.workers) {
    w.BeginObject();
#define TCPKALI_STATS_JSON_FIELD(name) w.UintField(#name, c.name);
    TCPKALI_STATS_COUNTER_FIELDS(TCPKALI_STATS_JSON_FIELD)
#undef TCPKALI_STATS_JSON_FIELD
    w.EndObject();
  }
  w.EndArray();

  const ProcessUsage& u = r.usage;
  w.Key("process");
  w.BeginObject();
  w.DoubleField("user_cpu_s", u.user_cpu_s);
  w.DoubleField("system_cpu_s", u.system_cpu_s);
  w.UintField("max_rss_bytes", u.max_rss_bytes);
  w.UintField("voluntary_context_switches", u.voluntary_context_switches);
  w.UintField("involuntary_context_switches", u.involuntary_context_switches);
  w.EndObject();
}

void WriteSettings(std::string_view key, const std::vector<Setting>& settings,
                   JsonWriter& w) {
  w.Key(key);
  w.BeginObject();
  for (const Setting& s : settings) {
    w.Key(s.key);
    w.Raw(s.json_value);
  }
  w.EndObject();
}

}  // namespace

std::string FormatJson(const Report& r) {
  JsonWriter w(/*pretty=*/true);
  w.BeginObject();
  w.IntField("schema_version", kReportSchemaVersion);
  w.DoubleField("duration_s", r.duration_s);
  WriteTraffic(r, w);
  WriteConnections(r.connections, w);
  w.Key("percentiles");
  w.BeginArray();
  for (const Percentile& p : r.percentiles) w.String(p.name);
  w.EndArray();
  WriteLatencies(r, w);
  WritePacingAndHealth(r, w);
  WriteWorkersAndProcess(r, w);
  WriteSettings("config", r.config, w);
  WriteSettings("kernel", r.kernel, w);
  w.EndObject();
  return w.str() + "\n";
}

}  // namespace tcpkali::stats
