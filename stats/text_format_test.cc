#include "stats/text_format.h"

#include <doctest/doctest.h>

#include "stats/internal/sample_report.h"
#include "testing/testdata.h"

namespace tcpkali::stats {
namespace {

using testing::MatchesGolden;

TEST_CASE("golden: the summary with every optional line") {
  CHECK(MatchesGolden(FormatText(internal::SampleFullReport()),
                      "stats/testdata/summary_full.txt"));
}

TEST_CASE("golden: the summary with no optional line") {
  CHECK(MatchesGolden(FormatText(internal::SampleMinimalReport()),
                      "stats/testdata/summary_minimal.txt"));
}

TEST_CASE("byte sizes switch units at 2048 bytes and 512 KiB") {
  struct Row {
    uint64_t bytes;
    const char* text;
  };
  const Row rows[] = {{0, "0 bytes"},        {2047, "2047 bytes"},
                      {2048, "2.0 KiB"},     {8910, "8.7 KiB"},
                      {524287, "512.0 KiB"}, {524288, "0.5 MiB"},
                      {2124045, "2.0 MiB"},  {uint64_t{5} << 30, "5120.0 MiB"}};
  for (const Row& row : rows) {
    CAPTURE(row.bytes);
    CHECK(FormatByteSize(row.bytes) == row.text);
  }
}

TEST_CASE("latencies keep tcpkali's 0.1 ms format until it would show 0.0") {
  struct Row {
    double ms;
    const char* text;
  };
  const Row rows[] = {
      {0, "0.0"},       {0.1, "0.1"},       {0.05, "0.1"},
      {0.149, "0.1"},   {12.34, "12.3"},    {1500, "1500.0"},
      {0.045, "0.045"}, {0.049, "0.049"},   {0.01, "0.01"},
      {0.001, "0.001"}, {0.0003, "0.0003"}, {0.000001, "0.000001"},
      {1e-9, "0.0"},    {-1, "0.0"}};
  for (const Row& row : rows) {
    CAPTURE(row.ms);
    CHECK(FormatLatencyMs(row.ms) == row.text);
  }
}

TEST_CASE("health lines: when non-zero, or always at verbosity 2") {
  Report r = internal::SampleMinimalReport();
  LatencySummary lag;
  lag.kind = LatencyKind::kPacingLag;
  lag.percentiles = {{95, "95", 0}, {99, "99", 0}, {99.5, "99.5", 0}};
  r.latencies.push_back(lag);
  const std::string quiet = FormatText(r);
  CHECK(quiet.find("Generator health:") == std::string::npos);
  CHECK(quiet.find("Pacing lag") == std::string::npos);

  r.verbosity = 2;
  const std::string verbose = FormatText(r);
  CHECK(verbose.find(
            "Pacing lag at percentiles: 0.0/0.0/0.0 ms (95/99/99.5%)\n") !=
        std::string::npos);
  CHECK(
      verbose.find("Generator health: 0 late sends, 0 CQ overflows, 0 ENOBUFS, "
                   "0 SQ-full retries\n") != std::string::npos);

  r.verbosity = 1;
  r.health.cq_overflows = 1;
  CHECK(FormatText(r).find("1 CQ overflows") != std::string::npos);
  CHECK(FormatText(r).find("Pacing lag") == std::string::npos);
}

TEST_CASE("latency lines use the percentiles as written") {
  Report r = internal::SampleMinimalReport();
  LatencySummary s;
  s.kind = LatencyKind::kConnect;
  s.percentiles = {{50, "50", 1.25}, {99.99, "99.99", 7}};
  r.latencies.push_back(s);
  CHECK(FormatText(r).find("TCP connect latency at percentiles: 1.2/7.0 ms "
                           "(50/99.99%)\n") != std::string::npos);
}

}  // namespace
}  // namespace tcpkali::stats
