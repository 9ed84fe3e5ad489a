#include "stats/statsd.h"

#include <doctest/doctest.h>

#include <cmath>
#include <map>
#include <string>
#include <vector>

#include "stats/internal/udp_receiver.h"
#include "stats/statsd_metrics.h"

namespace tcpkali::stats {
namespace {

using internal::UdpReceiver;

std::unique_ptr<StatsdSender> OpenTo(const UdpReceiver& receiver,
                                     std::string_view ns = "tcpkali") {
  absl::StatusOr<std::unique_ptr<StatsdSender>> s =
      StatsdSender::Open("127.0.0.1", receiver.port(), ns);
  REQUIRE(s.ok());
  return *std::move(s);
}

std::vector<std::string> Lines(const std::vector<std::string>& datagrams) {
  std::vector<std::string> lines;
  for (const std::string& d : datagrams) {
    size_t begin = 0;
    while (begin <= d.size()) {
      const size_t end = std::min(d.find('\n', begin), d.size());
      lines.push_back(d.substr(begin, end - begin));
      begin = end + 1;
    }
  }
  return lines;
}

TEST_CASE("metric lines: counts, gauges, namespace") {
  UdpReceiver receiver;
  REQUIRE(receiver.ok());
  auto statsd = OpenTo(receiver);
  statsd->Count("connections.opened", 3);
  statsd->Gauge("latency.message.99.5", 0.25);
  statsd->Gauge("traffic.bitrate", 12);
  statsd->Gauge("g.small", 0.0004);
  statsd->Gauge("g.negative", -5);
  statsd->Gauge("g.nan", std::nan(""));
  statsd->Flush();
  statsd->Flush();  // nothing queued: no empty datagram
  const std::vector<std::string> datagrams = receiver.Drain();
  REQUIRE(datagrams.size() == 1);
  CHECK(Lines(datagrams) == std::vector<std::string>{
                                "tcpkali.connections.opened:3|c",
                                "tcpkali.latency.message.99.5:0.25|g",
                                "tcpkali.traffic.bitrate:12|g",
                                "tcpkali.g.small:0|g", "tcpkali.g.negative:0|g",
                                "tcpkali.g.nan:0|g"});
  CHECK(statsd->datagrams_sent() == 1);
  CHECK(statsd->send_errors() == 0);

  auto bare = OpenTo(receiver, "");
  bare->Count("x", 1);
  bare->Flush();
  CHECK(Lines(receiver.Drain()) == std::vector<std::string>{"x:1|c"});
}

TEST_CASE("datagrams never exceed 1432 bytes and lose no line") {
  UdpReceiver receiver;
  REQUIRE(receiver.ok());
  auto statsd = OpenTo(receiver, "a.rather.long.namespace.for.testing");
  std::vector<std::string> sent;
  for (int i = 0; i < 1000; ++i) {
    const std::string name =
        "metric." + std::string(i % 97, 'x') + "." + std::to_string(i);
    statsd->Count(name, static_cast<uint64_t>(i) * 1'000'003);
    sent.push_back("a.rather.long.namespace.for.testing." + name + ":" +
                   std::to_string(static_cast<uint64_t>(i) * 1'000'003) + "|c");
  }
  statsd->Flush();
  const std::vector<std::string> datagrams = receiver.Drain();
  REQUIRE(datagrams.size() > 1);
  for (size_t i = 0; i < datagrams.size(); ++i) {
    CAPTURE(i);
    CHECK(datagrams[i].size() <= StatsdSender::kMaxDatagramBytes);
    // Packed: all but the last are nearly full (the longest line is < 180).
    if (i + 1 < datagrams.size()) CHECK(datagrams[i].size() > 1432 - 180);
  }
  CHECK(Lines(datagrams) == sent);
  CHECK(statsd->datagrams_sent() == datagrams.size());
}

TEST_CASE("a line longer than a datagram is dropped and counted") {
  UdpReceiver receiver;
  REQUIRE(receiver.ok());
  auto statsd = OpenTo(receiver);
  statsd->Count(std::string(2000, 'n'), 1);
  statsd->Count("ok", 1);
  statsd->Flush();
  CHECK(Lines(receiver.Drain()) == std::vector<std::string>{"tcpkali.ok:1|c"});
  CHECK(statsd->send_errors() == 1);
}

TEST_CASE("no server: sends fail fast and are counted, never block") {
  uint16_t dead_port = 0;
  {
    UdpReceiver gone;
    REQUIRE(gone.ok());
    dead_port = gone.port();
  }  // closed: nothing listens there now
  absl::StatusOr<std::unique_ptr<StatsdSender>> statsd =
      StatsdSender::Open("127.0.0.1", dead_port, "t");
  REQUIRE(statsd.ok());
  for (int i = 0; i < 100; ++i) {
    (*statsd)->Count("c", 1);
    (*statsd)->Flush();
  }
  CHECK((*statsd)->datagrams_sent() + (*statsd)->send_errors() == 100);
}

TEST_CASE("a host that does not resolve is NotFound") {
  absl::StatusOr<std::unique_ptr<StatsdSender>> statsd =
      StatsdSender::Open("", 8125, "t");
  REQUIRE_FALSE(statsd.ok());
  CHECK(statsd.status().code() == absl::StatusCode::kNotFound);
}

// Every metric name of SPEC.md with its type.
const std::map<std::string, char>& SpecMetrics() {
  static const auto* metrics = new std::map<std::string, char>{
      {"connections.opened", 'c'},   {"connections.total", 'g'},
      {"connections.total.in", 'g'}, {"connections.total.out", 'g'},
      {"traffic.bitrate", 'g'},      {"traffic.bitrate.in", 'g'},
      {"traffic.bitrate.out", 'g'},  {"traffic.data", 'c'},
      {"traffic.data.rcvd", 'c'},    {"traffic.data.sent", 'c'},
      {"traffic.data.reads", 'c'},   {"traffic.data.writes", 'c'},
      {"traffic.msgs.rcvd", 'c'},    {"traffic.msgs.sent", 'c'},
  };
  return *metrics;
}

TEST_CASE("traffic and latency metrics carry SPEC.md's names and types") {
  UdpReceiver receiver;
  REQUIRE(receiver.ok());
  auto statsd = OpenTo(receiver, "ns");
  CounterValues delta;
  delta.bytes_sent = 1000;
  delta.bytes_received = 3000;
  delta.connects_established = 2;
  delta.accepted = 1;
  delta.recv_ops = 7;
  CounterValues total = delta;
  total.out_closed = 1;
  SendTrafficMetrics(*statsd, delta, total, 0.25);

  auto h = LatencyHistogram::Create();
  REQUIRE(h.ok());
  (*h)->Record(1'500'000);
  HistogramSnapshot snapshot;
  (*h)->AddTo(&snapshot);
  const std::vector<Percentile> pcts = {{50, "50"}, {99.5, "99.5"}};
  SendLatencyMetrics(*statsd, LatencyKind::kMessage, snapshot, pcts);
  SendLatencyMetrics(*statsd, LatencyKind::kConnect, HistogramSnapshot{}, pcts);
  statsd->Flush();

  std::map<std::string, std::string> got;  // name -> "value|type"
  for (const std::string& line : Lines(receiver.Drain())) {
    const size_t colon = line.find(':');
    REQUIRE(colon != std::string::npos);
    REQUIRE(line.substr(0, 3) == "ns.");
    got[line.substr(3, colon - 3)] = line.substr(colon + 1);
  }
  for (const auto& [name, type] : SpecMetrics()) {
    CAPTURE(name);
    REQUIRE(got.count(name) == 1);
    CHECK(got[name].back() == type);
  }
  CHECK(got["connections.opened"] == "3|c");
  CHECK(got["connections.total.out"] == "1|g");
  CHECK(got["traffic.bitrate.in"] == "96000|g");  // 3000 B in 0.25 s
  CHECK(got["traffic.bitrate"] == "128000|g");
  CHECK(got["traffic.data"] == "4000|c");
  CHECK(got["traffic.data.reads"] == "7|c");
  CHECK(got["latency.message.min"] == "1.5|g");
  CHECK(got["latency.message.mean"] == "1.5|g");
  CHECK(got["latency.message.max"] == "1.5|g");
  CHECK(got["latency.message.50"] == "1.5|g");
  CHECK(got["latency.message.99.5"] == "1.5|g");
  CHECK(got.count("latency.connect.min") == 0);  // empty: not sent
  CHECK(got.size() == SpecMetrics().size() + 5);
}

}  // namespace
}  // namespace tcpkali::stats
