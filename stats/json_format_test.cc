#include "stats/json_format.h"

#include <doctest/doctest.h>

#include "stats/internal/mini_json.h"
#include "stats/internal/sample_report.h"
#include "testing/testdata.h"

namespace tcpkali::stats {
namespace {

using internal::JsonValue;

double Number(const JsonValue& root,
              std::initializer_list<std::string_view> path) {
  const JsonValue* v = root.At(path);
  REQUIRE(v != nullptr);
  REQUIRE(v->type == JsonValue::Type::kNumber);
  return v->number;
}

TEST_CASE("golden: the JSON report") {
  CHECK(testing::MatchesGolden(FormatJson(internal::SampleFullReport()),
                               "stats/testdata/report.json"));
}

TEST_CASE("the JSON report parses back to the report's figures") {
  const Report r = internal::SampleFullReport();
  const std::optional<JsonValue> parsed = internal::ParseJson(FormatJson(r));
  REQUIRE(parsed.has_value());
  const JsonValue& j = *parsed;

  CHECK(Number(j, {"schema_version"}) == kReportSchemaVersion);
  CHECK(Number(j, {"duration_s"}) == r.duration_s);
  CHECK(Number(j, {"traffic", "bytes_sent"}) == 8910);
  CHECK(Number(j, {"traffic", "bytes_received"}) == 2124045);
  CHECK(Number(j, {"traffic", "msgs_received"}) == r.traffic.msgs_received);
  // Full precision: the exact double, not the 3 decimals of the text.
  CHECK(Number(j, {"bandwidth", "in_mbps"}) == r.rates.mbps_in);
  CHECK(Number(j, {"bandwidth", "per_channel_kBps"}) ==
        r.rates.per_channel_kBps);
  CHECK(Number(j, {"packet_rate", "in_per_s"}) == r.rates.packets_in_per_s);
  CHECK(Number(j, {"packet_rate", "mss_per_op_in"}) == 2);
  CHECK(Number(j, {"message_rate", "out_per_s"}) == r.rates.msgs_out_per_s);
  CHECK(j.At({"message_rate", "counted"})->boolean);

  CHECK(Number(j, {"connections", "opened"}) == r.connections.Opened());
  CHECK(Number(j, {"connections", "failed"}) == 5);
  CHECK(Number(j, {"connections", "failed_by_cause", "timeout"}) == 2);
  CHECK(Number(j, {"connections", "failed_by_cause", "no_address"}) == 1);
  CHECK(Number(j, {"connections", "ws_handshake_failures"}) == 1);

  for (const LatencySummary& s : r.latencies) {
    const std::string_view kind = LatencyKindJsonName(s.kind);
    CAPTURE(kind);
    const JsonValue* l = j.At({"latency", kind});
    REQUIRE(l != nullptr);
    CHECK(Number(*l, {"count"}) == s.count);
    CHECK(Number(*l, {"max_ms"}) == s.max_ms);
    const JsonValue* pcts = l->Find("percentiles");
    REQUIRE(pcts != nullptr);
    REQUIRE(pcts->array.size() == s.percentiles.size());
    for (size_t i = 0; i < s.percentiles.size(); ++i) {
      CHECK(pcts->array[i].Find("name")->text == s.percentiles[i].name);
      CHECK(pcts->array[i].Find("ms")->number == s.percentiles[i].ms);
    }
    CHECK(l->Find("distribution")->array.size() == s.distribution.size());
  }
  CHECK(Number(j, {"latency", "first_byte", "clamped"}) == 2);

  CHECK(Number(j, {"pacing", "lag_msgs"}) == 12);
  CHECK(Number(j, {"pacing", "achieved_per_conn_per_s"}) == 49.5);
  CHECK(Number(j, {"health", "enobufs"}) == 2);
  CHECK(Number(j, {"health", "statsd_send_errors"}) == 3);

  const JsonValue* workers = j.Find("workers");
  REQUIRE(workers != nullptr);
  REQUIRE(workers->array.size() == 2);
  CHECK(Number(workers->array[1], {"bytes_received"}) == 124045);
  CHECK(Number(workers->array[0], {"connects_established"}) == 2);
  CHECK(workers->array[0].object.size() == 22);  // every counter

  CHECK(Number(j, {"process", "max_rss_bytes"}) == 12 << 20);
  CHECK(Number(j, {"process", "system_cpu_s"}) == 1.5);
  CHECK(j.At({"config", "message"})->text == "ping\n\"quoted\"");
  CHECK(j.At({"config", "websocket"})->boolean);
  CHECK(j.At({"kernel", "release"})->text == "6.18.0");
  CHECK(j.Find("percentiles")->array[2].text == "99.5");
}

TEST_CASE("absent parts are null or empty") {
  const Report r = internal::SampleMinimalReport();
  const std::optional<JsonValue> parsed = internal::ParseJson(FormatJson(r));
  REQUIRE(parsed.has_value());
  CHECK(parsed->Find("pacing")->type == JsonValue::Type::kNull);
  CHECK(parsed->Find("latency")->object.empty());
  CHECK_FALSE(parsed->At({"message_rate", "counted"})->boolean);
}

}  // namespace
}  // namespace tcpkali::stats
