#include "stats/report.h"

#include <doctest/doctest.h>

namespace tcpkali::stats {
namespace {

TEST_CASE("rates reproduce SPEC.md's example summary") {
  const TrafficTotals t = {.bytes_sent = 8910,
                           .bytes_received = 2124045,
                           .send_ops = 495,
                           .recv_ops = 830,
                           .msgs_sent = 100,
                           .msgs_received = 50};
  const TrafficRates r = ComputeRates(t, 10.0038, 1, 1460);
  CHECK(r.mbps_in == doctest::Approx(1.6986).epsilon(1e-4));
  CHECK(r.mbps_out == doctest::Approx(0.007125).epsilon(1e-3));
  CHECK(r.per_channel_mbps == doctest::Approx(1.7057).epsilon(1e-4));
  CHECK(r.per_channel_kBps == doctest::Approx(213.21).epsilon(1e-4));
  CHECK(r.mss_per_op_in == 2);   // 2559 bytes per receive
  CHECK(r.mss_per_op_out == 1);  // 18 bytes per send
  CHECK(r.packets_in_per_s == doctest::Approx(165.94).epsilon(1e-4));
  CHECK(r.packets_out_per_s == doctest::Approx(49.48).epsilon(1e-3));
  CHECK(r.msgs_out_per_s == doctest::Approx(100 / 10.0038));
  CHECK(r.msgs_in_per_s == doctest::Approx(50 / 10.0038));
}

TEST_CASE("per-channel bandwidth divides by the channels") {
  const TrafficTotals t = {.bytes_sent = 1'000'000,
                           .bytes_received = 1'000'000,
                           .send_ops = 1,
                           .recv_ops = 1};
  CHECK(ComputeRates(t, 1, 4, 1460).per_channel_mbps == doctest::Approx(4));
  CHECK(ComputeRates(t, 1, 0, 1460).per_channel_mbps == doctest::Approx(16));
  CHECK(ComputeRates(t, 2, 1, 1460).mbps_in == doctest::Approx(4));
}

TEST_CASE("no time or no operations give zero rates, not NaN") {
  const TrafficTotals none;
  const TrafficRates r = ComputeRates(none, 0, 1, 1460);
  CHECK(r.mbps_in == 0);
  CHECK(r.packets_in_per_s == 0);
  CHECK(r.mss_per_op_in == 0);
  const TrafficTotals some = {.bytes_sent = 10, .send_ops = 1};
  CHECK(ComputeRates(some, 0, 1, 1460).mss_per_op_out == 1);
  CHECK(ComputeRates(some, 0, 1, 1460).mbps_out == 0);
}

TEST_CASE("outcomes add up by cause") {
  CounterValues v;
  v.connect_attempts = 20;
  v.connects_established = 10;
  v.accepted = 3;
  v.conn_failed_refused = 1;
  v.conn_failed_timeout = 2;
  v.conn_failed_reset = 3;
  v.conn_failed_no_address = 4;
  v.conn_failed_other = 5;
  v.out_closed = 6;
  v.in_closed = 1;
  const ConnectionOutcomes c = OutcomesFrom(v, 10, 9, 2);
  CHECK(c.Opened() == 13);
  CHECK(c.Failed() == 15);
  CHECK(c.Closed() == 7);
  CHECK(c.target == 10);
  CHECK(c.peak_open_out == 9);
  CHECK(c.peak_open_in == 2);
}

TEST_CASE("latency summary in milliseconds") {
  auto h = LatencyHistogram::Create();
  REQUIRE(h.ok());
  for (int i = 1; i <= 1000; ++i) (*h)->Record(i * 1000);  // 1 us .. 1 ms
  HistogramSnapshot s;
  (*h)->AddTo(&s);
  const LatencySummary sum =
      SummarizeLatency(LatencyKind::kMessage, s, DefaultPercentiles());
  CHECK(sum.kind == LatencyKind::kMessage);
  CHECK(sum.count == 1000);
  CHECK(sum.min_ms == doctest::Approx(0.001));
  CHECK(sum.max_ms == doctest::Approx(1.0));
  CHECK(sum.mean_ms == doctest::Approx(0.5005));
  REQUIRE(sum.percentiles.size() == 3);
  CHECK(sum.percentiles[2].name == "99.5");
  CHECK(sum.percentiles[0].ms == doctest::Approx(0.95).epsilon(1e-3));
  CHECK(sum.percentiles[2].ms == doctest::Approx(0.995).epsilon(1e-3));
  REQUIRE(sum.distribution.size() == std::size(kDistributionPercentiles));
  CHECK(sum.distribution.front().ms == doctest::Approx(0.5).epsilon(1e-3));
  CHECK(sum.distribution.back().ms == doctest::Approx(1.0));
}

TEST_CASE("settings hold JSON text") {
  CHECK(Setting::String("k", "a\"b").json_value == R"("a\"b")");
  CHECK(Setting::Number("k", 0.25).json_value == "0.25");
  CHECK(Setting::Integer("k", -3).json_value == "-3");
  CHECK(Setting::Bool("k", true).json_value == "true");
}

}  // namespace
}  // namespace tcpkali::stats
