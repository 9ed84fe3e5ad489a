#include "engine/pacer.h"

#include <doctest/doctest.h>

#include <cmath>
#include <cstdint>
#include <random>

#include "testing/test_seed.h"

namespace tcpkali::engine {
namespace {

using u128 = unsigned __int128;
constexpr int64_t kSecondNs = 1'000'000'000;

// The tests' clock is a plain int64_t: the pacer reads no clock of its own.

// A rate written as the exact fraction num/den per second, so that the
// expected schedule is computed here independently of the pacer's
// micro-unit representation.
struct ExactRate {
  double per_s;
  uint64_t num;
  uint64_t den;
};

// Units the schedule allows `elapsed_ns` after start: floor(e * r) + grant.
uint64_t ExpectedAllowed(const ExactRate& r, int64_t elapsed_ns,
                         uint64_t grant) {
  return static_cast<uint64_t>(u128(elapsed_ns) * r.num /
                               (u128(r.den) * kSecondNs)) +
         grant;
}

// When `units` of the schedule have accrued: ceil(units / r) in ns.
int64_t ExpectedOffsetNs(const ExactRate& r, uint64_t units) {
  const u128 num = u128(units) * r.den * kSecondNs;
  return static_cast<int64_t>((num + r.num - 1) / r.num);
}

constexpr ExactRate kMessageRates[] = {
    {0.1, 1, 10},
    {0.25, 1, 4},
    {0.5, 1, 2},
    {1, 1, 1},
    {3, 3, 1},
    {7.5, 15, 2},
    {33.3, 333, 10},
    {1000, 1000, 1},
    {1234.5, 2469, 2},
    {1e5, 100000, 1},
    {999999.5, 1999999, 2},
    {1e6, 1000000, 1},
};

TEST_CASE("message pacing polled at odd times follows the exact schedule") {
  for (const ExactRate& rate : kMessageRates) {
    CAPTURE(rate.per_s);
    const RateSpec spec = *MessageRateSpec(rate.per_s);
    const int64_t start_ns = 987'654'321;
    PacerState pacer{.start_ns = start_ns};
    // About 3000 units, polled at 1000 irregularly spaced times.
    const int64_t horizon_ns = ExpectedOffsetNs(rate, 3000);
    int64_t now_ns = start_ns;
    for (int i = 0; now_ns < start_ns + horizon_ns; ++i) {
      const uint64_t due = Due(spec, pacer, now_ns);
      if (due > 0) {
        // Every unit handed out is due, the last one just so.
        CHECK(IntendedTimeNs(spec, pacer, pacer.done + due - 1) <= now_ns);
      }
      Consume(pacer, due);
      REQUIRE(pacer.done ==
              ExpectedAllowed(rate, now_ns - start_ns, /*grant=*/1));
      CHECK(IntendedTimeNs(spec, pacer, pacer.done) > now_ns);
      now_ns += horizon_ns / 1000 * (1 + i % 3) / 2 + i % 7;
    }
  }
}

TEST_CASE("a timer set at NextDueNs fires once per message at its time") {
  for (const ExactRate& rate : kMessageRates) {
    CAPTURE(rate.per_s);
    const RateSpec spec = *MessageRateSpec(rate.per_s);
    PacerState pacer{.start_ns = 5 * kSecondNs};
    CHECK(NextDueNs(spec, pacer) == 5 * kSecondNs);  // first one at start
    for (uint64_t k = 0; k < 500; ++k) {
      const int64_t now_ns = NextDueNs(spec, pacer);
      REQUIRE(now_ns == 5 * kSecondNs + ExpectedOffsetNs(rate, k));
      CHECK(Due(spec, pacer, now_ns - 1) == 0);
      REQUIRE(Due(spec, pacer, now_ns) == 1);
      CHECK(IntendedTimeNs(spec, pacer, k) == now_ns);
      CHECK(LagNs(spec, pacer, now_ns) == 0);
      Consume(pacer, 1);
    }
  }
}

TEST_CASE("long runs do not drift or overflow") {
  const RateSpec spec = *MessageRateSpec(1e6);
  PacerState pacer{.start_ns = 123'456'789};
  const int64_t day_ns = 86'400 * kSecondNs;
  CHECK(Due(spec, pacer, pacer.start_ns + day_ns) == 86'400'000'000 + 1);
  CHECK(IntendedTimeNs(spec, pacer, 86'400'000'000) == pacer.start_ns + day_ns);
  Consume(pacer, 86'400'000'001);
  CHECK(NextDueNs(spec, pacer) == pacer.start_ns + day_ns + 1000);

  // Ten years of 1 GB/s.
  const RateSpec bytes = *ByteRateSpec(1e9);
  PacerState big{.start_ns = 0};
  const int64_t years_ns = 10 * 365 * day_ns;
  CHECK(Due(bytes, big, years_ns) == uint64_t(years_ns) + bytes.grant_units);
  // The slowest rate reaches past int64 nanoseconds: "never", not garbage.
  const RateSpec slow = *MessageRateSpec(1e-6);
  CHECK(IntendedTimeNs(slow, big, 1) == 1'000'000 * kSecondNs);
  CHECK(IntendedTimeNs(slow, big, 10'000) == kNeverNs);
}

TEST_CASE("decimal fractional rates are exact") {
  const RateSpec spec = *MessageRateSpec(0.1);
  const PacerState pacer{.start_ns = 0};
  CHECK(IntendedTimeNs(spec, pacer, 10) == 100 * kSecondNs);
  CHECK(Due(spec, pacer, 100 * kSecondNs - 1) == 10);
  CHECK(Due(spec, pacer, 100 * kSecondNs) == 11);
  const RateSpec third = *MessageRateSpec(1.5e3);  // "1.5k"
  CHECK(IntendedTimeNs(third, pacer, 3) == 2'000'000);
}

TEST_CASE("a stalled connection catches up in one burst and keeps its phase") {
  const RateSpec spec = *MessageRateSpec(100);
  PacerState pacer{.start_ns = 0};
  for (int i = 0; i <= 100; ++i) {  // on time for one second: 101 messages
    Consume(pacer, Due(spec, pacer, NextDueNs(spec, pacer)));
  }
  REQUIRE(pacer.done == 101);
  const int64_t now_ns = 3'500'000'000;  // stalled until 3.5 s
  const uint64_t due = Due(spec, pacer, now_ns);
  CHECK(due == 250);
  // Latency is measured from when each message should have gone out.
  CHECK(IntendedTimeNs(spec, pacer, pacer.done) == 1'010'000'000);
  CHECK(IntendedTimeNs(spec, pacer, pacer.done + due - 1) == now_ns);
  CHECK(LagNs(spec, pacer, now_ns) == 2'490'000'000);
  CHECK(DropBacklog(spec, pacer, now_ns) == 0);  // open loop keeps it all
  Consume(pacer, due);
  CHECK(Due(spec, pacer, now_ns) == 0);
  CHECK(LagNs(spec, pacer, now_ns) == 0);
  CHECK(NextDueNs(spec, pacer) == 3'510'000'000);  // same phase as before
}

TEST_CASE("a partial send leaves the rest due") {
  const RateSpec spec = *MessageRateSpec(10);
  PacerState pacer{.start_ns = 0};
  REQUIRE(Due(spec, pacer, kSecondNs) == 11);
  Consume(pacer, 4);
  CHECK(Due(spec, pacer, kSecondNs) == 7);
  CHECK(NextDueNs(spec, pacer) == 400'000'000);
  CHECK(LagNs(spec, pacer, kSecondNs) == 600'000'000);
}

TEST_CASE("connections are phased by their start times") {
  const RateSpec spec = *MessageRateSpec(1);
  for (int c = 0; c < 10; ++c) {
    PacerState pacer{.start_ns = c * 100'000'000};  // opened 100 ms apart
    Consume(pacer, Due(spec, pacer, pacer.start_ns));
    CHECK(pacer.done == 1);
    CHECK(NextDueNs(spec, pacer) == kSecondNs + c * 100'000'000);
    CHECK(Due(spec, pacer, 1'450'000'000) == (c <= 4 ? 1 : 0));
    CHECK(Due(spec, pacer, kSecondNs + c * 100'000'000 - 1) == 0);
  }
}

TEST_CASE("nothing is due before the start or at rate 0") {
  const RateSpec spec = *MessageRateSpec(1000);
  const PacerState pacer{.start_ns = kSecondNs};
  CHECK(Due(spec, pacer, kSecondNs - 1) == 0);
  CHECK(Due(spec, pacer, 0) == 0);
  CHECK(Due(spec, pacer, kSecondNs) == 1);

  for (const auto& zero : {*MessageRateSpec(0), *ByteRateSpec(0)}) {
    PacerState idle{.start_ns = 0};
    CHECK(Due(zero, idle, 0) == 0);
    CHECK(Due(zero, idle, 1'000'000 * kSecondNs) == 0);
    CHECK(NextDueNs(zero, idle) == kNeverNs);
    CHECK(IntendedTimeNs(zero, idle, 0) == kNeverNs);
    CHECK(DropBacklog(zero, idle, kSecondNs) == 0);
  }
}

TEST_CASE("rates that are not rates are rejected") {
  for (double bad : {-1.0, -1e-9, std::nan(""), HUGE_VAL, 2e13}) {
    CAPTURE(bad);
    CHECK(MessageRateSpec(bad).status().code() ==
          absl::StatusCode::kInvalidArgument);
    CHECK(ByteRateSpec(bad).status().code() ==
          absl::StatusCode::kInvalidArgument);
  }
  CHECK(MessageRateSpec(1e-12)->micro_units_per_s == 1);
  CHECK(ByteRateSpec(kMaxRatePerS).ok());
}

// --channel-bandwidth values as the CLI hands them over (bits already
// divided by 8), with the grant ByteRateSpec() documents for each.
struct ByteRow {
  const char* flag;
  ExactRate rate;
  uint64_t grant;
};
constexpr ByteRow kByteRows[] = {
    {"1bps", {0.125, 1, 8}, 1},
    {"8bps", {1, 1, 1}, 1},
    {"100bps", {12.5, 25, 2}, 13},
    {"1kbps", {125, 125, 1}, 125},
    {"1Mbps", {125000, 125000, 1}, 1460},
    {"100Mbps", {12.5e6, 12500000, 1}, 65536},
    {"1Gbps", {1.25e8, 125000000, 1}, 65536},
    {"10Bps", {10, 10, 1}, 10},
    {"1kBps", {1000, 1000, 1}, 1000},
    {"1.5MBps", {1.5e6, 1500000, 1}, 15000},
    {"1GBps", {1e9, 1000000000, 1}, 65536},
};

TEST_CASE("byte pacing in bit and byte units sends whole grants on time") {
  for (const ByteRow& row : kByteRows) {
    CAPTURE(row.flag);
    const RateSpec spec = *ByteRateSpec(row.rate.per_s);
    REQUIRE(spec.grant_units == row.grant);
    CHECK(spec.max_backlog_units >= 2 * spec.grant_units);
    PacerState pacer{.start_ns = 42};
    // 300 timer wakeups, each a few microseconds late.
    int64_t now_ns = pacer.start_ns;
    for (int i = 0; i < 300; ++i) {
      now_ns = std::max(now_ns, NextDueNs(spec, pacer) + i % 5 * 1000);
      CHECK(DropBacklog(spec, pacer, now_ns) == 0);
      const uint64_t due = Due(spec, pacer, now_ns);
      REQUIRE(due >= spec.grant_units);  // no silly small pieces
      Consume(pacer, due);
      // Never ahead of the schedule, never behind it after a send.
      const uint64_t allowed =
          ExpectedAllowed(row.rate, now_ns - pacer.start_ns, spec.grant_units);
      REQUIRE(pacer.done == allowed);
      CHECK(Due(spec, pacer, NextDueNs(spec, pacer) - 1) == 0);
    }
    // Wakeups were late by microseconds, so grants were not held back:
    // 300 wakeups moved about 300 grants.
    CHECK(pacer.done >= 300 * spec.grant_units);
    CHECK(pacer.done <= 300 * spec.grant_units + row.rate.per_s / 100);
  }
}

TEST_CASE("a stalled byte pacer bursts at most its backlog, then keeps rate") {
  const RateSpec spec = *ByteRateSpec(1e6);  // 1 MBps
  REQUIRE(spec.grant_units == 10'000);
  REQUIRE(spec.max_backlog_units == 100'000);
  PacerState pacer{.start_ns = 0};
  Consume(pacer, Due(spec, pacer, 0));
  const int64_t now_ns = 5 * kSecondNs;  // peer stopped reading for 5 s
  CHECK(DropBacklog(spec, pacer, now_ns) == 5'000'000 - 100'000);
  CHECK(Due(spec, pacer, now_ns) == 100'000);
  Consume(pacer, 100'000);
  CHECK(DropBacklog(spec, pacer, now_ns) == 0);
  // The phase is unchanged: the next grant is 10 ms after the stall ended.
  CHECK(NextDueNs(spec, pacer) == now_ns + 10'000'000);
}

TEST_CASE("downstream over budget waits until the schedule catches up") {
  const RateSpec spec = *ByteRateSpec(1000);  // 1 kBps, grant 1000
  PacerState pacer{.start_ns = 0};
  REQUIRE(Due(spec, pacer, 0) == 1000);
  Consume(pacer, 5000);  // one receive brought more than the budget
  CHECK(Due(spec, pacer, 0) == 0);
  CHECK(DropBacklog(spec, pacer, 0) == 0);
  CHECK(NextDueNs(spec, pacer) == 5 * kSecondNs);
  CHECK(Due(spec, pacer, 5 * kSecondNs - 1) == 0);
  CHECK(Due(spec, pacer, 5 * kSecondNs) == 1000);
}

TEST_CASE("randomised: Due, NextDueNs and IntendedTimeNs agree") {
  const uint64_t seed = testing::TestSeed();
  INFO(testing::SeedNote(seed));
  std::mt19937_64 rng(seed);
  for (int round = 0; round < 200; ++round) {
    // Log-uniform rate from 1e-3/s to 1e10/s, as messages or as bytes.
    const double per_s =
        std::pow(10.0, std::uniform_real_distribution<double>(-3, 10)(rng));
    const bool bytes = rng() % 2 == 0;
    const RateSpec spec =
        bytes ? *ByteRateSpec(per_s) : *MessageRateSpec(per_s);
    CAPTURE(per_s);
    CAPTURE(bytes);
    PacerState pacer{.start_ns = static_cast<int64_t>(rng() % (1ull << 50))};
    int64_t now_ns = pacer.start_ns;
    for (int step = 0; step < 50; ++step) {
      const int64_t next_ns = NextDueNs(spec, pacer);
      REQUIRE(next_ns != kNeverNs);
      // Wake at the timer, or late by up to ten grant intervals.
      const double grant_interval_ns = spec.grant_units * 1e9 / per_s;
      const double late_ns =
          rng() % 3 == 0 ? 0 : rng() % 10 * grant_interval_ns;
      now_ns = std::max(now_ns, next_ns) + static_cast<int64_t>(late_ns);
      const uint64_t due = Due(spec, pacer, now_ns);
      REQUIRE(due >= spec.grant_units);
      CHECK(IntendedTimeNs(spec, pacer, pacer.done + due - 1) <= now_ns);
      CHECK(LagNs(spec, pacer, now_ns) ==
            now_ns - IntendedTimeNs(spec, pacer, pacer.done));
      const uint64_t sent = rng() % 4 == 0 ? due / 2 + 1 : due;  // partial
      Consume(pacer, sent);
      if (sent == due) {
        CHECK(Due(spec, pacer, now_ns) == 0);
        CHECK(NextDueNs(spec, pacer) > now_ns);
        CHECK(IntendedTimeNs(spec, pacer, pacer.done + spec.grant_units - 1) ==
              NextDueNs(spec, pacer));
      }
      CHECK(Due(spec, pacer, NextDueNs(spec, pacer) - 1) == 0);
    }
  }
}

TEST_CASE("Rebase keeps the unit numbering and moves to the new rate") {
  auto slow = MessageRateSpec(10);
  auto fast = MessageRateSpec(1000);
  REQUIRE(slow.ok());
  REQUIRE(fast.ok());
  PacerState state{.start_ns = 0, .done = 0};
  const int64_t t = 5'000'000'000;  // 5 s at 10/s: 51 units allowed
  Consume(state, Due(*slow, state, t));
  CHECK(state.done == 51);
  Rebase(*fast, state, t);
  CHECK(state.done == 51);
  CHECK(NextDueNs(*fast, state) == t);              // the next one is due now
  CHECK(Due(*fast, state, t) == 1);
  CHECK(Due(*fast, state, t + 10'000'000) == 11);   // 10 ms at 1000/s
  CHECK(IntendedTimeNs(*fast, state, 61) == t + 10'000'000);
}

}  // namespace
}  // namespace tcpkali::engine
