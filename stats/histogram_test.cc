#include "stats/histogram.h"

#include <doctest/doctest.h>
#include <sys/mman.h>
#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <random>
#include <thread>
#include <vector>

#include "testing/test_seed.h"

namespace tcpkali::stats {
namespace {

std::unique_ptr<LatencyHistogram> NewHistogram() {
  absl::StatusOr<std::unique_ptr<LatencyHistogram>> h =
      LatencyHistogram::Create();
  REQUIRE(h.ok());
  return *std::move(h);
}

HistogramSnapshot SnapshotOf(const LatencyHistogram& h) {
  HistogramSnapshot s;
  h.AddTo(&s);
  return s;
}

// Log-uniform from 100 ns to 1 h, so every power of two gets values.
std::vector<int64_t> RandomValues(std::mt19937_64& rng, size_t n) {
  std::uniform_real_distribution<double> log_value(std::log(100.0),
                                                   std::log(3.6e12));
  std::vector<int64_t> values(n);
  for (int64_t& v : values) v = static_cast<int64_t>(std::exp(log_value(rng)));
  return values;
}

size_t ResidentPages(const void* address, size_t bytes) {
  const size_t page = static_cast<size_t>(sysconf(_SC_PAGESIZE));
  std::vector<unsigned char> vec((bytes + page - 1) / page);
  REQUIRE(mincore(const_cast<void*>(address), bytes, vec.data()) == 0);
  return static_cast<size_t>(std::count_if(
      vec.begin(), vec.end(), [](unsigned char c) { return c & 1; }));
}

TEST_CASE("percentile ranks") {
  struct Row {
    double percentile;
    uint64_t count;
    uint64_t rank;
  };
  const Row rows[] = {{95, 1000, 950}, {99.5, 1000, 995}, {99.9, 1000, 999},
                      {0, 10, 1},      {100, 10, 10},     {50, 1, 1},
                      {0.1, 1000, 1},  {50, 3, 2},        {150, 7, 7},
                      {-1, 7, 1},      {95, 0, 0}};
  for (const Row& row : rows) {
    CAPTURE(row.percentile);
    CAPTURE(row.count);
    CHECK(PercentileRank(row.percentile, row.count) == row.rank);
  }
}

TEST_CASE("random values come back within 0.1% at every percentile") {
  const uint64_t seed = testing::TestSeed();
  INFO(testing::SeedNote(seed));
  std::mt19937_64 rng(seed);
  std::vector<int64_t> values = RandomValues(rng, 200'000);
  auto h = NewHistogram();
  double sum = 0;
  for (int64_t v : values) {
    h->Record(v);
    sum += static_cast<double>(v);
  }
  const HistogramSnapshot s = SnapshotOf(*h);
  std::sort(values.begin(), values.end());

  CHECK(s.count() == values.size());
  CHECK(s.clamped() == 0);
  CHECK(s.min_ns() == values.front());
  CHECK(s.max_ns() == values.back());
  CHECK(s.mean_ns() == doctest::Approx(sum / values.size()).epsilon(1e-12));

  std::vector<double> percentiles = {0,  0.1, 1,  10,   25,   50,    75,
                                     90, 95,  99, 99.5, 99.9, 99.99, 100};
  std::uniform_real_distribution<double> any(0, 100);
  for (int i = 0; i < 200; ++i) percentiles.push_back(any(rng));
  for (double p : percentiles) {
    const int64_t reference = values[PercentileRank(p, values.size()) - 1];
    const int64_t got = s.ValueAtPercentile(p);
    CAPTURE(p);
    CAPTURE(reference);
    CAPTURE(got);
    CHECK(std::abs(static_cast<double>(got - reference)) <=
          0.001 * static_cast<double>(reference));
  }
}

TEST_CASE("values below 2048 ns are exact") {
  auto h = NewHistogram();
  for (int64_t v = 0; v < 2048; ++v) h->Record(v);
  const HistogramSnapshot s = SnapshotOf(*h);
  for (int64_t v = 0; v < 2048; ++v) {
    const double p = 100.0 * static_cast<double>(v + 1) / 2048;
    CHECK(s.ValueAtPercentile(p) == v);
  }
}

TEST_CASE("merging equals recording into one histogram") {
  const uint64_t seed = testing::TestSeed();
  INFO(testing::SeedNote(seed));
  std::mt19937_64 rng(seed);
  const std::vector<int64_t> values = RandomValues(rng, 50'000);
  auto one = NewHistogram();
  auto a = NewHistogram();
  auto b = NewHistogram();
  for (size_t i = 0; i < values.size(); ++i) {
    one->Record(values[i]);
    (i % 3 == 0 ? a : b)->Record(values[i]);
  }
  HistogramSnapshot merged = SnapshotOf(*a);
  merged.Merge(SnapshotOf(*b));
  const HistogramSnapshot expected = SnapshotOf(*one);

  CHECK(merged.count() == expected.count());
  CHECK(merged.min_ns() == expected.min_ns());
  CHECK(merged.max_ns() == expected.max_ns());
  CHECK(merged.mean_ns() == doctest::Approx(expected.mean_ns()).epsilon(1e-12));
  for (double p = 0; p <= 100; p += 0.25) {
    CAPTURE(p);
    CHECK(merged.ValueAtPercentile(p) == expected.ValueAtPercentile(p));
  }
}

TEST_CASE("subtracting an earlier snapshot leaves the values in between") {
  const uint64_t seed = testing::TestSeed();
  INFO(testing::SeedNote(seed));
  std::mt19937_64 rng(seed);
  const std::vector<int64_t> before = RandomValues(rng, 20'000);
  std::vector<int64_t> after = RandomValues(rng, 20'000);
  auto h = NewHistogram();
  auto only_after = NewHistogram();
  for (int64_t v : before) h->Record(v);
  const HistogramSnapshot earlier = SnapshotOf(*h);
  double sum = 0;
  for (int64_t v : after) {
    h->Record(v);
    only_after->Record(v);
    sum += static_cast<double>(v);
  }
  HistogramSnapshot interval = SnapshotOf(*h);
  interval.Subtract(earlier);
  const HistogramSnapshot expected = SnapshotOf(*only_after);

  CHECK(interval.count() == after.size());
  CHECK(interval.mean_ns() ==
        doctest::Approx(sum / after.size()).epsilon(1e-9));
  std::sort(after.begin(), after.end());
  CHECK(std::abs(interval.min_ns() - after.front()) <= after.front() / 1000);
  CHECK(std::abs(interval.max_ns() - after.back()) <= after.back() / 1000);
  for (double p = 1; p < 100; p += 1) {
    CAPTURE(p);
    const int64_t got = interval.ValueAtPercentile(p);
    const int64_t want = expected.ValueAtPercentile(p);
    CHECK(std::abs(got - want) <= want / 1000);
  }

  HistogramSnapshot nothing = SnapshotOf(*h);
  nothing.Subtract(SnapshotOf(*h));
  CHECK(nothing.count() == 0);
  CHECK(nothing.ValueAtPercentile(99) == 0);
  CHECK(nothing.mean_ns() == 0);
}

TEST_CASE("extremes of an interval are exact when they are new extremes") {
  auto h = NewHistogram();
  h->Record(10'000'000);
  const HistogramSnapshot earlier = SnapshotOf(*h);
  h->Record(20'000'001);
  h->Record(1'234'567);
  HistogramSnapshot interval = SnapshotOf(*h);
  interval.Subtract(earlier);
  CHECK(interval.count() == 2);
  CHECK(interval.min_ns() == 1'234'567);
  CHECK(interval.max_ns() == 20'000'001);
  CHECK(interval.ValueAtPercentile(100) == 20'000'001);
}

TEST_CASE("out-of-range values are clamped and counted") {
  auto h = NewHistogram();
  h->Record(-5);
  h->Record(kHistogramMaxNs + 1);
  h->Record(INT64_MAX);
  h->Record(1000);
  const HistogramSnapshot s = SnapshotOf(*h);
  CHECK(s.count() == 4);
  CHECK(s.clamped() == 3);
  CHECK(s.min_ns() == 0);
  CHECK(s.max_ns() == kHistogramMaxNs);
  CHECK(s.ValueAtPercentile(100) == kHistogramMaxNs);
  CHECK(s.ValueAtPercentile(25) == 0);
  CHECK(kHistogramMaxNs >= int64_t{3600} * 1'000'000'000);
}

TEST_CASE("memory is fixed and untouched buckets stay unmapped") {
  CHECK(LatencyHistogram::MappedBytes() <= 300 * 1024);
  auto h = NewHistogram();
  const size_t bytes = LatencyHistogram::MappedBytes();
  CHECK(ResidentPages(h->counts_address(), bytes) == 0);

  for (int i = 0; i < 1'000'000; ++i) h->Record(1'000'000 + i % 100'000);
  // 146 counters in two groups: a few pages, not 66.
  CHECK(ResidentPages(h->counts_address(), bytes) <= 4);

  HistogramSnapshot s;
  for (int i = 0; i < 100; ++i) h->AddTo(&s);  // readers do not fault pages in
  CHECK(ResidentPages(h->counts_address(), bytes) <= 4);
  CHECK(s.count() == 100'000'000);
}

TEST_CASE("a concurrent reader sees counts grow and the final count exactly") {
  auto h = NewHistogram();
  constexpr int kValues = 200'000;
  std::thread writer([&] {
    for (int i = 0; i < kValues; ++i) h->Record(i * 1000);
  });
  uint64_t last = 0;
  bool monotonic = true;
  for (int i = 0; i < 50; ++i) {
    HistogramSnapshot s;
    h->AddTo(&s);
    monotonic = monotonic && s.count() >= last;
    last = s.count();
    (void)s.ValueAtPercentile(99);  // safe on a torn read
  }
  writer.join();
  CHECK(monotonic);
  const HistogramSnapshot s = SnapshotOf(*h);
  CHECK(s.count() == kValues);
  CHECK(s.max_ns() == int64_t{kValues - 1} * 1000);
}

TEST_CASE("Clear empties a snapshot for reuse") {
  auto h = NewHistogram();
  h->Record(5'000'000);
  HistogramSnapshot s = SnapshotOf(*h);
  s.Clear();
  CHECK(s.count() == 0);
  CHECK(s.ValueAtPercentile(50) == 0);
  auto other = NewHistogram();
  other->Record(7);
  other->AddTo(&s);
  CHECK(s.count() == 1);
  CHECK(s.min_ns() == 7);
  CHECK(s.max_ns() == 7);
  CHECK(s.ValueAtPercentile(100) == 7);
}

}  // namespace
}  // namespace tcpkali::stats
