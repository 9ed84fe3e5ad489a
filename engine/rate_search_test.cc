#include "engine/rate_search.h"

#include <doctest/doctest.h>

#include <cmath>

namespace tcpkali::engine {
namespace {

// Runs a search against a system whose p95 latency is `latency_ms(rate)`.
template <typename Fn>
RateSearch Run(double target_ms, double start, Fn latency_ms) {
  RateSearch s(static_cast<int64_t>(target_ms * 1e6), start);
  while (!s.done()) {
    s.Observe(static_cast<int64_t>(latency_ms(s.rate()) * 1e6), 1.0);
  }
  return s;
}

TEST_CASE("finds the knee of a latency that grows with load") {
  // 1 ms base, queueing blows up towards 5000 msg/s.
  auto system = [](double rate) { return rate < 5000 ? 1 / (1 - rate / 5000) : 1e9; };
  // p95 < 10 ms  <=>  rate < 4500.
  const RateSearch s = Run(10, 10, system);
  REQUIRE(s.best().has_value());
  CHECK(*s.best() < 4500);
  CHECK(*s.best() > 4500 / RateSearch::kPrecision / 1.01);
}

TEST_CASE("no answer when the first rate already misses the target") {
  const RateSearch s = Run(1, 10, [](double) { return 5.0; });
  CHECK(s.done());
  CHECK(!s.best().has_value());
}

TEST_CASE("a rate that cannot be sent counts as missing the target") {
  RateSearch s(10'000'000, 100);
  s.Observe(1'000'000, 1.0);   // 100: fine
  CHECK(s.rate() == 400);
  s.Observe(1'000'000, 0.5);   // 400: only half went out
  CHECK(s.rate() == doctest::Approx(200));
  s.Observe(std::nullopt, 1.0);  // no reply at all: bad
  CHECK(s.rate() < 200);
}

TEST_CASE("a system that never slows down ends at the maximum rate") {
  const RateSearch s = Run(10, 10, [](double) { return 0.1; });
  REQUIRE(s.best().has_value());
  CHECK(*s.best() == RateSearch::kMaxRate);
}

}  // namespace
}  // namespace tcpkali::engine
