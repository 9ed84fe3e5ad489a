#include "stats/live_line.h"

#include <doctest/doctest.h>

#include "stats/internal/mini_json.h"

namespace tcpkali::stats {
namespace {

LiveFigures SpecExample() {
  LiveFigures f;
  f.mbps_in = 15.1032;
  f.mbps_out = 15.1014;
  f.conns_in = 1;
  f.conns_out = 1;
  f.conns_in_progress = 0;
  f.conns_seen = 2;
  return f;
}

TEST_CASE("the connection form of SPEC.md") {
  CHECK(FormatLiveLine(SpecExample()) ==
        "Traffic 15.103↓, 15.101↑ Mbps (conns 1↓ 1↑ 0⇡; seen 2)");
}

TEST_CASE("latency replaces the connection part; messages add a part") {
  LiveFigures f = SpecExample();
  f.p95_ms[LatencyKindIndex(LatencyKind::kConnect)] = 0.1;
  f.p95_ms[LatencyKindIndex(LatencyKind::kFirstByte)] = 0.2;
  f.p95_ms[LatencyKindIndex(LatencyKind::kMessage)] = 0.3;
  CHECK(FormatLiveLine(f) ==
        "Traffic 15.103↓, 15.101↑ Mbps (c=0.1 fb=0.2 m=0.3 ms⁹⁵ᵖ)");

  LiveFigures m = SpecExample();
  m.p95_ms[LatencyKindIndex(LatencyKind::kMessage)] = 0.045;
  // Kinds the live line does not show stay out of it.
  m.p95_ms[LatencyKindIndex(LatencyKind::kPacingLag)] = 5;
  m.messages_counted = true;
  m.msgs_in_per_s = 10055.4;
  m.msgs_out_per_s = 10041;
  CHECK(FormatLiveLine(m) ==
        "Traffic 15.103↓, 15.101↑ Mbps (m=0.045 ms⁹⁵ᵖ) (10055↓ 10041↑ mps)");

  LiveFigures c = SpecExample();
  c.messages_counted = true;
  CHECK(FormatLiveLine(c) ==
        "Traffic 15.103↓, 15.101↑ Mbps (conns 1↓ 1↑ 0⇡; seen 2) (0↓ 0↑ mps)");
}

TEST_CASE("the --stats-json line carries the same figures") {
  LiveFigures f = SpecExample();
  f.elapsed_s = 3.25;
  f.interval_s = 1;
  f.ramped_up = true;
  f.bytes_sent = 123;
  f.msgs_received = 9;
  f.p95_ms[LatencyKindIndex(LatencyKind::kConnect)] = 0.125;
  const std::string line = FormatStatsJsonLine(f);
  REQUIRE(line.back() == '\n');
  CHECK(line.find('\n') == line.size() - 1);  // one line per object
  const std::optional<internal::JsonValue> j = internal::ParseJson(line);
  REQUIRE(j.has_value());
  CHECK(j->Find("schema_version")->number == kStatsJsonSchemaVersion);
  CHECK(j->Find("elapsed_s")->number == 3.25);
  CHECK(j->Find("ramped_up")->boolean);
  CHECK(j->Find("in_mbps")->number == 15.1032);
  CHECK(j->Find("conns_seen")->number == 2);
  CHECK(j->Find("bytes_sent")->number == 123);
  CHECK(j->Find("msgs_received")->number == 9);
  CHECK(j->At({"latency_p95_ms", "connect"})->number == 0.125);
  CHECK(j->At({"latency_p95_ms", "message"}) == nullptr);
}

TEST_CASE("display columns count code points") {
  CHECK(DisplayColumns("abc") == 3);
  CHECK(DisplayColumns("1↓ 1↑ 0⇡") == 8);
  CHECK(DisplayColumns("ms⁹⁵ᵖ") == 5);
}

TEST_CASE("a pipe gets one line per call") {
  LiveLineRenderer r(/*tty=*/false);
  CHECK(r.Show("Traffic a") == "Traffic a\n");
  CHECK(r.Show("b") == "b\n");
  CHECK(r.Clear().empty());
  CHECK(r.Finish().empty());
}

TEST_CASE("a terminal redraws one line and covers a longer previous one") {
  LiveLineRenderer r(/*tty=*/true);
  CHECK(r.Finish().empty());  // nothing shown yet
  CHECK(r.Show("12↓ 34") == "\r12↓ 34");
  CHECK(r.Show("1↓") == "\r1↓    ");  // 6 columns before, 2 now
  CHECK(r.Show("abcdefgh") == "\rabcdefgh");
  CHECK(r.Clear() == "\r        \r");
  CHECK(r.Clear().empty());
  CHECK(r.Show("x") == "\rx");
  CHECK(r.Finish() == "\n");
  CHECK(r.Finish().empty());
}

}  // namespace
}  // namespace tcpkali::stats
