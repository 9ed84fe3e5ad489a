#include "stats/collector.h"

#include <doctest/doctest.h>

#include <cstdlib>
#include <map>
#include <string>
#include <vector>

#include "stats/internal/mini_json.h"
#include "stats/internal/udp_receiver.h"
#include "stats/text_format.h"
#include "testing/testdata.h"

namespace tcpkali::stats {
namespace {

constexpr int64_t kMs = 1'000'000;
constexpr int64_t kSecond = 1'000'000'000;

// Two workers, the stderr text the collector wrote, and the collector.
struct Fixture {
  explicit Fixture(CollectorOptions options = {}, LatencyKindSet kinds = {}) {
    for (auto* w : {&a, &b}) {
      absl::StatusOr<std::unique_ptr<WorkerStats>> ws =
          WorkerStats::Create(kinds);
      REQUIRE(ws.ok());
      *w = *std::move(ws);
    }
    options.latency_kinds = kinds;
    options.write_stderr = [this](std::string_view text) { err.append(text); };
    absl::StatusOr<std::unique_ptr<Collector>> c = Collector::Create(
        std::move(options), {a.get(), b.get()}, [this] { return clock_ns; });
    REQUIRE(c.ok());
    collector = *std::move(c);
  }
  // Ticks every 250 ms from `from_ns` up to and including `to_ns`.
  void TickUntil(int64_t from_ns, int64_t to_ns) {
    for (int64_t t = from_ns; t <= to_ns; t += Collector::kTickNs) {
      clock_ns = t;
      collector->Tick(t);
    }
  }
  // One established outgoing connection on a, one accepted on b.
  void ConnectPair() {
    Add(a->counters().connect_attempts, 1);
    Add(a->counters().connects_established, 1);
    Add(b->counters().accepted, 1);
  }

  std::unique_ptr<WorkerStats> a, b;
  std::string err;
  int64_t clock_ns = 0;
  std::unique_ptr<Collector> collector;
};

TEST_CASE("a pipe gets one live line per second") {
  Fixture f;
  f.collector->Begin(0);
  f.ConnectPair();
  Add(f.a->counters().bytes_received, 1'887'900);  // 15.1032 Mbit in 1 s
  Add(f.b->counters().bytes_sent, 1'887'675);      // 15.1014 Mbit
  f.TickUntil(250 * kMs, 750 * kMs);
  CHECK(f.err.empty());
  f.TickUntil(kSecond, kSecond);
  CHECK(f.err == "Traffic 15.103↓, 15.101↑ Mbps (conns 1↓ 1↑ 0⇡; seen 2)\n");

  f.err.clear();
  Add(f.a->counters().bytes_received, 250'000);  // 2 Mbit over the next second
  Add(f.a->counters().connect_attempts, 1);      // one more under way
  f.TickUntil(kSecond + 250 * kMs, 2 * kSecond);
  CHECK(f.err == "Traffic 2.000↓, 0.000↑ Mbps (conns 1↓ 1↑ 1⇡; seen 2)\n");
}

TEST_CASE(
    "a terminal gets the line redrawn, the ramp-up note, a final newline") {
  CollectorOptions options;
  options.stderr_is_tty = true;
  options.connections_target = 1;
  Fixture f(options);
  f.collector->Begin(0);
  f.ConnectPair();
  Add(f.a->counters().bytes_received, 1'250'000);  // 10 Mbit/s
  f.TickUntil(250 * kMs, kSecond);
  CHECK(f.err == "\rTraffic 10.000↓, 0.000↑ Mbps (conns 1↓ 1↑ 0⇡; seen 2)");
  f.err.clear();
  f.collector->MarkRampUpDone(kSecond);
  // Wipe the 53-column line, then the note on a line of its own.
  CHECK(f.err ==
        "\r" + std::string(53, ' ') + "\rRamped up to 1 connection.\n");
  f.err.clear();
  f.TickUntil(kSecond + 250 * kMs, 2 * kSecond);
  CHECK(f.err == "\rTraffic 0.000↓, 0.000↑ Mbps (conns 1↓ 1↑ 0⇡; seen 2)");
  f.err.clear();
  (void)f.collector->Finish(2 * kSecond + 100 * kMs);
  CHECK(f.err == "\n");
}

TEST_CASE("verbosity 0 prints nothing; no target, no ramp-up note") {
  CollectorOptions quiet;
  quiet.verbosity = 0;
  quiet.connections_target = 5;
  Fixture f(quiet);
  f.collector->Begin(0);
  f.TickUntil(250 * kMs, 3 * kSecond);
  f.collector->MarkRampUpDone(3 * kSecond);
  (void)f.collector->Finish(3 * kSecond);
  CHECK(f.err.empty());

  Fixture listener;  // -l only: connections_target 0
  listener.collector->Begin(0);
  listener.collector->MarkRampUpDone(0);
  CHECK(listener.err.empty());
}

TEST_CASE("the live line shows p95 latency when latency is measured") {
  LatencyKindSet kinds;
  kinds.Add(LatencyKind::kConnect);
  kinds.Add(LatencyKind::kMessage);
  kinds.Add(LatencyKind::kPacingLag);  // not a live-line kind
  CollectorOptions options;
  options.messages_counted = true;
  Fixture f(options, kinds);
  f.collector->Begin(0);
  for (int i = 0; i < 100; ++i)
    f.a->RecordLatency(LatencyKind::kConnect, 100'000);
  f.b->RecordLatency(LatencyKind::kMessage, 45'000);
  f.b->RecordLatency(LatencyKind::kPacingLag, 45'000'000);
  Add(f.a->counters().msgs_sent, 10041);
  Add(f.a->counters().msgs_received, 10055);
  f.TickUntil(250 * kMs, kSecond);
  CHECK(f.err ==
        "Traffic 0.000↓, 0.000↑ Mbps (c=0.1 m=0.045 ms⁹⁵ᵖ) (10055↓ 10041↑ "
        "mps)\n");
}

TEST_CASE("the report excludes ramp-up traffic and times from its end") {
  LatencyKindSet kinds;
  kinds.Add(LatencyKind::kConnect);
  CollectorOptions options;
  options.connections_target = 2;
  options.message_rate_per_s = 100;
  options.percentiles = {{50, "50"}, {99.9, "99.9"}};
  options.config = {Setting::Integer("connections", 2)};
  options.kernel = {Setting::String("release", "6.18")};
  Fixture f(options, kinds);
  f.collector->Begin(0);

  // Ramp-up: two connects, some traffic that must not count.
  for (auto* w : {f.a.get(), f.b.get()}) {
    Add(w->counters().connect_attempts, 1);
    Add(w->counters().connects_established, 1);
    Add(w->counters().bytes_sent, 1000);
    Add(w->counters().send_ops, 10);
    Add(w->counters().msgs_due, 5);
    Add(w->counters().msgs_sent, 5);
    w->RecordLatency(LatencyKind::kConnect, 2 * kMs);
  }
  f.TickUntil(250 * kMs, 500 * kMs);
  f.collector->MarkRampUpDone(500 * kMs);

  // Measured part: 4 s.
  Add(f.a->counters().bytes_sent, 1'000'000);
  Add(f.a->counters().send_ops, 100);
  Add(f.b->counters().bytes_received, 3'000'000);
  Add(f.b->counters().recv_ops, 1000);
  Add(f.a->counters().msgs_due, 800);
  Add(f.a->counters().msgs_sent, 790);
  Add(f.a->counters().paced_messages_late, 4);
  Add(f.a->counters().connect_attempts, 3);
  Add(f.a->counters().conn_failed_refused, 1);
  Add(f.a->counters().conn_failed_timeout, 2);
  Add(f.b->counters().out_closed, 1);
  Add(f.b->counters().enobufs, 6);
  f.TickUntil(750 * kMs, 4 * kSecond + 500 * kMs);
  const Report r = f.collector->Finish(4 * kSecond + 500 * kMs);

  CHECK(r.duration_s == doctest::Approx(4.0));
  CHECK(r.traffic.bytes_sent == 1'000'000);
  CHECK(r.traffic.bytes_received == 3'000'000);
  CHECK(r.traffic.send_ops == 100);
  CHECK(r.traffic.msgs_sent == 790);
  CHECK(r.channels == 2);  // the peak of open outgoing connections
  CHECK(r.rates.mbps_out == doctest::Approx(2.0));
  CHECK(r.rates.mbps_in == doctest::Approx(6.0));
  CHECK(r.rates.per_channel_mbps == doctest::Approx(4.0));
  CHECK(r.rates.mss_per_op_out == 7);  // 10000 bytes per send
  CHECK(r.rates.mss_per_op_in == 3);   // 3000 bytes per receive

  // Outcomes cover the whole run.
  CHECK(r.connections.target == 2);
  CHECK(r.connections.attempts == 5);
  CHECK(r.connections.opened_out == 2);
  CHECK(r.connections.Failed() == 3);
  CHECK(r.connections.closed_out == 1);
  CHECK(r.connections.peak_open_out == 2);

  REQUIRE(r.pacing.has_value());
  CHECK(r.pacing->msgs_due == 800);
  CHECK(r.pacing->msgs_sent == 790);
  CHECK(r.pacing->achieved_per_conn_per_s == doctest::Approx(98.75));
  CHECK(r.pacing->lag_msgs == 10);
  CHECK(r.pacing->late_sends == 4);
  CHECK(r.health.enobufs == 6);
  CHECK(r.health.paced_messages_late == 4);

  REQUIRE(r.latencies.size() == 1);
  CHECK(r.latencies[0].kind == LatencyKind::kConnect);
  CHECK(r.latencies[0].count == 2);
  REQUIRE(r.latencies[0].percentiles.size() == 2);
  CHECK(r.latencies[0].percentiles[1].name == "99.9");
  CHECK(r.latencies[0].percentiles[1].ms == doctest::Approx(2.0));

  REQUIRE(r.workers.size() == 2);
  CHECK(r.workers[0].bytes_sent == 1'001'000);  // per worker: whole run
  CHECK(r.workers[1].enobufs == 6);
  CHECK(r.usage.max_rss_bytes > 0);
  REQUIRE(r.config.size() == 1);
  CHECK(r.kernel[0].json_value == "\"6.18\"");

  const std::string text = FormatText(r);
  CHECK(text.find("Message rate achieved: 98.8 of 100.0 requested per "
                  "connection, lag 10\n") != std::string::npos);
  CHECK(text.find("Test duration: 4 s.\n") != std::string::npos);
}

TEST_CASE("without a ramp-up mark the run counts from the start") {
  Fixture f;
  f.collector->Begin(10 * kSecond);
  Add(f.b->counters().accepted, 3);
  Add(f.b->counters().bytes_received, 500);
  f.TickUntil(10 * kSecond + 250 * kMs, 12 * kSecond);
  Add(f.b->counters().in_closed, 3);
  const Report r = f.collector->Finish(12 * kSecond);
  CHECK(r.duration_s == doctest::Approx(2.0));
  CHECK(r.traffic.bytes_received == 500);
  CHECK(r.channels == 3);  // a sink: the incoming connections at their peak
  CHECK(r.connections.Opened() == 3);
  CHECK(r.connections.Closed() == 3);
  CHECK_FALSE(r.pacing.has_value());
}

// name -> type ('c' or 'g') of every metric line received.
std::map<std::string, char> MetricTypes(
    internal::UdpReceiver& receiver,
    std::map<std::string, std::string>* values) {
  std::map<std::string, char> types;
  for (const std::string& d : receiver.Drain()) {
    size_t begin = 0;
    while (begin < d.size()) {
      const size_t end = std::min(d.find('\n', begin), d.size());
      const std::string line = d.substr(begin, end - begin);
      const size_t colon = line.find(':');
      const size_t bar = line.rfind('|');
      REQUIRE(colon != std::string::npos);
      REQUIRE(bar != std::string::npos);
      types[line.substr(0, colon)] = line[bar + 1];
      if (values)
        (*values)[line.substr(0, colon)] =
            line.substr(colon + 1, bar - colon - 1);
      begin = end + 1;
    }
  }
  return types;
}

TEST_CASE("StatsD: every SPEC.md metric reaches a fake server with its type") {
  internal::UdpReceiver receiver;
  REQUIRE(receiver.ok());
  LatencyKindSet kinds;
  for (LatencyKind kind : kAllLatencyKinds) kinds.Add(kind);
  CollectorOptions options;
  options.verbosity = 0;
  options.statsd = StatsdOptions{.host = "127.0.0.1",
                                 .port = receiver.port(),
                                 .metric_namespace = "tcpkali"};
  Fixture f(options, kinds);
  f.collector->Begin(0);
  f.ConnectPair();
  Add(f.a->counters().bytes_sent, 100);
  for (LatencyKind kind : kAllLatencyKinds) f.a->RecordLatency(kind, 2 * kMs);
  f.TickUntil(250 * kMs, 250 * kMs);

  const std::map<std::string, char> types = MetricTypes(receiver, nullptr);
  std::map<std::string, char> expected = {
      {"connections.opened", 'c'},   {"connections.total", 'g'},
      {"connections.total.in", 'g'}, {"connections.total.out", 'g'},
      {"traffic.bitrate", 'g'},      {"traffic.bitrate.in", 'g'},
      {"traffic.bitrate.out", 'g'},  {"traffic.data", 'c'},
      {"traffic.data.rcvd", 'c'},    {"traffic.data.sent", 'c'},
      {"traffic.data.reads", 'c'},   {"traffic.data.writes", 'c'},
      {"traffic.msgs.rcvd", 'c'},    {"traffic.msgs.sent", 'c'}};
  for (const char* kind : {"connect", "firstbyte", "message"}) {
    for (const char* stat : {"min", "mean", "max", "95", "99", "99.5"}) {
      expected[std::string("latency.") + kind + "." + stat] = 'g';
    }
  }
  std::map<std::string, char> prefixed;
  for (const auto& [name, type] : expected) prefixed["tcpkali." + name] = type;
  CHECK(types == prefixed);
}

TEST_CASE("StatsD latency window: sent when a window closes, then anew") {
  internal::UdpReceiver receiver;
  REQUIRE(receiver.ok());
  LatencyKindSet kinds;
  kinds.Add(LatencyKind::kMessage);
  CollectorOptions options;
  options.verbosity = 0;
  options.statsd = StatsdOptions{.host = "127.0.0.1",
                                 .port = receiver.port(),
                                 .metric_namespace = "k",
                                 .latency_window_ns = kSecond};
  Fixture f(options, kinds);
  f.collector->Begin(0);
  f.a->RecordLatency(LatencyKind::kMessage, 10 * kMs);
  f.TickUntil(250 * kMs, 750 * kMs);
  std::map<std::string, std::string> values;
  CHECK(MetricTypes(receiver, &values).count("k.latency.message.max") == 0);

  f.TickUntil(kSecond, kSecond);
  values.clear();
  MetricTypes(receiver, &values);
  CHECK(values["k.latency.message.max"] == "10");

  // The next window holds only what was recorded in it.
  f.b->RecordLatency(LatencyKind::kMessage, 2 * kMs);
  f.TickUntil(kSecond + 250 * kMs, 2 * kSecond);
  values.clear();
  MetricTypes(receiver, &values);
  // 2 ms within the histogram's 0.1%: not the 10 ms of the first window.
  CHECK(std::stod(values["k.latency.message.max"]) ==
        doctest::Approx(2).epsilon(1e-3));
  CHECK(std::stod(values["k.latency.message.95"]) ==
        doctest::Approx(2).epsilon(1e-3));

  // An empty window sends no latency; Finish flushes the partial one.
  f.TickUntil(2 * kSecond + 250 * kMs, 3 * kSecond);
  values.clear();
  CHECK(MetricTypes(receiver, &values).count("k.latency.message.max") == 0);
  f.a->RecordLatency(LatencyKind::kMessage, 3 * kMs);
  (void)f.collector->Finish(3 * kSecond + 100 * kMs);
  values.clear();
  MetricTypes(receiver, &values);
  CHECK(std::stod(values["k.latency.message.min"]) ==
        doctest::Approx(3).epsilon(1e-3));
}

TEST_CASE("--stats-json appends one object per second") {
  const char* tmp = std::getenv("TEST_TMPDIR");
  const std::string path = std::string(tmp ? tmp : "/tmp") + "/stats.jsonl";
  std::remove(path.c_str());
  {
    CollectorOptions options;
    options.verbosity = 0;
    options.stats_json_path = path;
    Fixture f(options);
    f.collector->Begin(0);
    f.ConnectPair();
    Add(f.a->counters().bytes_sent, 125'000);
    f.TickUntil(250 * kMs, 2 * kSecond);
    f.collector->MarkRampUpDone(2 * kSecond);
    f.TickUntil(2 * kSecond + 250 * kMs, 3 * kSecond);
    (void)f.collector->Finish(3 * kSecond);
  }
  const absl::StatusOr<std::string> content = testing::ReadWholeFile(path);
  REQUIRE(content.ok());
  std::vector<internal::JsonValue> lines;
  size_t begin = 0;
  while (begin < content->size()) {
    const size_t end = content->find('\n', begin);
    REQUIRE(end != std::string::npos);
    std::optional<internal::JsonValue> v =
        internal::ParseJson(content->substr(begin, end - begin));
    REQUIRE(v.has_value());
    lines.push_back(*std::move(v));
    begin = end + 1;
  }
  REQUIRE(lines.size() == 3);
  CHECK(lines[0].Find("elapsed_s")->number == 1);
  CHECK(lines[0].Find("out_mbps")->number == 1);
  CHECK(lines[0].Find("conns_out")->number == 1);
  CHECK_FALSE(lines[1].Find("ramped_up")->boolean);
  CHECK(lines[1].Find("out_mbps")->number == 0);
  CHECK(lines[2].Find("ramped_up")->boolean);
  CHECK(lines[2].Find("bytes_sent")->number == 125'000);
}

TEST_CASE("setup errors name the option") {
  CollectorOptions options;
  options.stats_json_path = "/nonexistent-dir/x/stats.jsonl";
  absl::StatusOr<std::unique_ptr<Collector>> c = Collector::Create(options, {});
  REQUIRE_FALSE(c.ok());
  CHECK(c.status().code() == absl::StatusCode::kFailedPrecondition);
  CHECK(c.status().message().find("--stats-json") != std::string::npos);
}

TEST_CASE("the thread starts and stops promptly") {
  Fixture f;  // its clock stays at 0: the thread only waits
  f.collector->Start(0);
  const Report r = f.collector->Finish(0);
  CHECK(r.duration_s == 0);
  CHECK(f.err.empty());

  Fixture g;
  g.collector->Start(0);
  g.collector->Stop();
  g.collector->Stop();  // idempotent
  Add(g.a->counters().bytes_sent, 10);  // after Stop, still in the report
  CHECK(g.collector->Finish(0).traffic.bytes_sent == 10);
}

}  // namespace
}  // namespace tcpkali::stats
