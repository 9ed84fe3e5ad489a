#include "engine/timing_wheel.h"

#include <doctest/doctest.h>

#include <algorithm>
#include <cstdint>
#include <limits>
#include <optional>
#include <random>
#include <set>
#include <utility>
#include <vector>

#include "testing/test_seed.h"

namespace tcpkali::engine {
namespace {

constexpr size_t kUnlimited = std::numeric_limits<size_t>::max();
constexpr int64_t kUs = 1'000;
constexpr int64_t kMs = 1'000'000;
constexpr int64_t kS = 1'000'000'000;
constexpr int64_t kDay = 86'400 * kS;

// Fires what is due at now_ns and returns the owners, in firing order.
std::vector<uint32_t> Fire(TimingWheel& wheel, int64_t now_ns,
                           size_t max_expiries = kUnlimited) {
  std::vector<uint32_t> fired;
  const size_t n = wheel.Advance(now_ns, max_expiries, [&](TimerNode* node) {
    fired.push_back(node->owner);
  });
  CHECK(n == fired.size());
  return fired;
}

std::vector<TimerNode> Nodes(size_t count) {
  std::vector<TimerNode> nodes(count);
  for (size_t i = 0; i < count; ++i) nodes[i].owner = static_cast<uint32_t>(i);
  return nodes;
}

TEST_CASE("a copied node carries the user fields and is not armed") {
  TimingWheel wheel(kMs, 0);
  TimerNode node;
  node.owner = 7;
  node.kind = 3;
  wheel.Schedule(&node, 5 * kMs);
  const TimerNode copy = node;
  CHECK(TimingWheel::IsArmed(node));
  CHECK_FALSE(TimingWheel::IsArmed(copy));
  CHECK(copy.owner == 7);
  CHECK(copy.kind == 3);
  wheel.Cancel(&node);
  CHECK_FALSE(TimingWheel::IsArmed(node));
  wheel.Cancel(&node);  // not armed: a no-op
  CHECK(wheel.empty());
}

TEST_CASE("a timer fires at the Advance whose tick reaches its deadline's") {
  constexpr int64_t kTick = 100 * kUs;
  constexpr int64_t kStart = 1'000'000'007;
  struct Case {
    int64_t offset_ns;
    int64_t fires_at_offset_ns;  // the start of the deadline's tick
  };
  const Case cases[] = {
      {1, 0},
      {kTick - 1, 0},
      {kTick, kTick},
      {250 * kUs, 200 * kUs},
      {64 * kTick + 1, 64 * kTick},          // level 1
      {5 * kS + 123, 5 * kS},                // level 2
      {3 * kDay + 99 * kUs, 3 * kDay},       // level 5
      {200 * kDay + kTick - 1, 200 * kDay},  // overflow list
      // The first tick of the overflow list's next era, and one after.
      {(int64_t{1} << TimingWheel::kHorizonBits) * kTick,
       (int64_t{1} << TimingWheel::kHorizonBits) * kTick},
      {(int64_t{3} << TimingWheel::kHorizonBits) * kTick + kTick + 5,
       (int64_t{3} << TimingWheel::kHorizonBits) * kTick + kTick},
  };
  for (const Case& c : cases) {
    CAPTURE(c.offset_ns);
    TimingWheel wheel(kTick, kStart);
    std::vector<TimerNode> nodes = Nodes(1);
    wheel.Schedule(&nodes[0], kStart + c.offset_ns);
    const int64_t fires_ns = kStart + c.fires_at_offset_ns;
    CHECK(wheel.NextDeadline() == fires_ns);
    if (c.fires_at_offset_ns > 0) {
      CHECK(Fire(wheel, fires_ns - 1).empty());
      CHECK(wheel.NextDeadline() == fires_ns);
    }
    CHECK(Fire(wheel, fires_ns) == std::vector<uint32_t>{0});
    CHECK(wheel.NextDeadline() == std::nullopt);
    CHECK(wheel.current_ns() == fires_ns);
  }
}

TEST_CASE("deadlines now and in the past fire at the next Advance") {
  TimingWheel wheel(kMs, 10 * kS);
  std::vector<TimerNode> nodes = Nodes(3);
  CHECK(Fire(wheel, 12 * kS + 300 * kUs).empty());
  CHECK(wheel.current_ns() == 12 * kS);

  wheel.Schedule(&nodes[0], 12 * kS + 300 * kUs);  // now, mid-tick
  wheel.Schedule(&nodes[1], 3 * kS);               // before the wheel began
  wheel.Schedule(&nodes[2], std::numeric_limits<int64_t>::min());
  CHECK(wheel.NextDeadline() == 12 * kS);  // at or before now: no sleep
  std::vector<uint32_t> fired = Fire(wheel, 12 * kS + 300 * kUs);
  std::sort(fired.begin(), fired.end());
  CHECK(fired == std::vector<uint32_t>{0, 1, 2});
  CHECK(wheel.empty());
}

TEST_CASE("timers on every level and the overflow list fire in order") {
  TimingWheel wheel(kUs, 0);
  // In ticks of 1 us: levels 0..5, then overflow (>= 2^36 us, ~19 h).
  const int64_t deadlines[] = {
      90 * kDay, 3 * kDay,       20 * kS,   5 * kUs,  1 * kS,
      70 * kUs,  3 * kDay + kUs, 300 * kUs, 40 * kMs, 70 * kUs,
      kS + kUs,  2 * kDay,       0,         kUs,
  };
  std::vector<TimerNode> nodes = Nodes(std::size(deadlines));
  for (size_t i = 0; i < nodes.size(); ++i) {
    wheel.Schedule(&nodes[i], deadlines[i]);
  }
  std::vector<uint32_t> fired = Fire(wheel, 100 * kDay);
  REQUIRE(fired.size() == nodes.size());
  for (size_t i = 1; i < fired.size(); ++i) {
    CHECK(deadlines[fired[i - 1]] <= deadlines[fired[i]]);
  }
  CHECK(wheel.InvariantsHoldForTesting());
}

TEST_CASE("a callback may re-arm its own timer") {
  TimingWheel wheel(kMs, 0);
  std::vector<TimerNode> nodes = Nodes(1);
  TimerNode* timer = &nodes[0];
  int fired = 0;

  SUBCASE("for later: it fires again within the same Advance, in order") {
    wheel.Schedule(timer, 1 * kMs);
    const size_t n = wheel.Advance(10 * kMs, kUnlimited, [&](TimerNode* t) {
      ++fired;
      CHECK(wheel.current_ns() == fired * 2 * kMs - kMs);
      wheel.Schedule(t, wheel.current_ns() + 2 * kMs);
    });
    CHECK(n == 5);  // at 1, 3, 5, 7, 9 ms
    CHECK(wheel.NextDeadline() == 11 * kMs);
  }
  SUBCASE("for now: it fires at the next Advance, not in a loop") {
    wheel.Schedule(timer, 1 * kMs);
    auto rearm_now = [&](TimerNode* t) {
      ++fired;
      wheel.Schedule(t, wheel.current_ns());
    };
    CHECK(wheel.Advance(10 * kMs, kUnlimited, rearm_now) == 1);
    CHECK(wheel.current_ns() == 1 * kMs);
    CHECK(wheel.NextDeadline() == 1 * kMs);
    CHECK(wheel.Advance(10 * kMs, kUnlimited, rearm_now) == 1);
    CHECK(fired == 2);
    CHECK(TimingWheel::IsArmed(*timer));
  }
}

TEST_CASE("a callback may cancel timers due in the same Advance") {
  TimingWheel wheel(kMs, 0);
  std::vector<TimerNode> nodes = Nodes(4);
  wheel.Schedule(&nodes[0], 5 * kMs);
  wheel.Schedule(&nodes[1], 5 * kMs);  // same tick as 0
  wheel.Schedule(&nodes[2], 7 * kMs);  // later in the same Advance
  wheel.Schedule(&nodes[3], 9 * kMs);
  std::vector<uint32_t> fired;
  wheel.Advance(10 * kMs, kUnlimited, [&](TimerNode* t) {
    fired.push_back(t->owner);
    if (t->owner <= 1) {
      wheel.Cancel(&nodes[1 - t->owner]);  // whichever fires first wins
      wheel.Cancel(&nodes[2]);
    }
  });
  REQUIRE(fired.size() == 2);
  CHECK(fired[0] <= 1);
  CHECK(fired[1] == 3);
  CHECK(wheel.empty());
  CHECK(wheel.InvariantsHoldForTesting());
}

TEST_CASE("a spent budget leaves the rest due, in order") {
  TimingWheel wheel(kMs, 0);
  std::vector<TimerNode> nodes = Nodes(10);
  for (uint32_t i = 0; i < 10; ++i) {
    wheel.Schedule(&nodes[i], (10 - i) * 7 * kMs);  // 70 ms down to 7 ms
  }
  CHECK(Fire(wheel, 100 * kMs, 3) == std::vector<uint32_t>{9, 8, 7});
  CHECK(wheel.size() == 7);
  REQUIRE(wheel.NextDeadline().has_value());
  CHECK(*wheel.NextDeadline() <= 100 * kMs);
  CHECK(Fire(wheel, 100 * kMs, 0).empty());
  CHECK(Fire(wheel, 100 * kMs) == std::vector<uint32_t>{6, 5, 4, 3, 2, 1, 0});
  CHECK(wheel.current_ns() == 100 * kMs);
}

TEST_CASE("NextDeadline stays exact when a far slot's earliest is cancelled") {
  TimingWheel wheel(kUs, 0);
  std::vector<TimerNode> nodes = Nodes(4);
  // All in one level-3 slot (2^18 us wide) starting at 2^18 us.
  const int64_t deadlines[] = {300'000, 300'000, 310'000, 400'000};
  for (int i = 0; i < 4; ++i) wheel.Schedule(&nodes[i], deadlines[i] * kUs);
  CHECK(wheel.NextDeadline() == 300'000 * kUs);
  wheel.Cancel(&nodes[0]);
  CHECK(wheel.NextDeadline() == 300'000 * kUs);  // node 1 has it too
  wheel.Cancel(&nodes[1]);
  CHECK(wheel.NextDeadline() == 310'000 * kUs);
  wheel.Schedule(&nodes[2], 450'000 * kUs);
  CHECK(wheel.NextDeadline() == 400'000 * kUs);
  CHECK(wheel.InvariantsHoldForTesting());
  CHECK(Fire(wheel, 420'000 * kUs) == std::vector<uint32_t>{3});
}

TEST_CASE("far deadlines wait in the overflow list") {
  TimingWheel wheel(kUs, 0);  // the levels reach 2^36 us, about 19 h
  std::vector<TimerNode> nodes = Nodes(4);
  wheel.Schedule(&nodes[0], 2 * kDay);
  wheel.Schedule(&nodes[1], 3 * kDay);
  wheel.Schedule(&nodes[2], 30 * kDay);
  wheel.Schedule(&nodes[3], std::numeric_limits<int64_t>::max());
  CHECK(wheel.NextDeadline() == 2 * kDay);
  wheel.Cancel(&nodes[0]);
  CHECK(wheel.NextDeadline() == 3 * kDay);
  CHECK(Fire(wheel, 3 * kDay - 1).empty());
  CHECK(Fire(wheel, 3 * kDay) == std::vector<uint32_t>{1});
  CHECK(wheel.NextDeadline() == 30 * kDay);
  CHECK(Fire(wheel, 29 * kDay).empty());
  CHECK(Fire(wheel, 31 * kDay) == std::vector<uint32_t>{2});
  CHECK(wheel.NextDeadline() ==
        std::numeric_limits<int64_t>::max() / kUs * kUs);
  CHECK(wheel.InvariantsHoldForTesting());
}

TEST_CASE("a long gap between Advances costs nothing per idle tick") {
  TimingWheel wheel(100 * kUs, 0);
  std::vector<TimerNode> nodes = Nodes(3);
  wheel.Schedule(&nodes[0], 1 * kMs);
  wheel.Schedule(&nodes[1], 5 * kS);
  wheel.Schedule(&nodes[2], 9 * kS);
  const uint64_t before = wheel.work_units();
  // 100k ticks in one call.
  CHECK(Fire(wheel, 10 * kS) == std::vector<uint32_t>{0, 1, 2});
  CHECK(wheel.work_units() - before < 100);
  const uint64_t idle = wheel.work_units();
  CHECK(Fire(wheel, 10 * kDay).empty());
  CHECK(wheel.work_units() - idle <= TimingWheel::kLevels + 1);
}

// --- Randomised comparison with an ordered reference ---------------------

// What the wheel must do, by brute force: armed timers by deadline tick.
class Reference {
 public:
  Reference(int64_t tick_ns, int64_t epoch_ns, size_t nodes)
      : tick_ns_(tick_ns), epoch_ns_(epoch_ns), tick_of_(nodes, kNone) {}

  uint64_t TickOf(int64_t t_ns) const {
    if (t_ns <= epoch_ns_) return 0;
    return (static_cast<uint64_t>(t_ns) - static_cast<uint64_t>(epoch_ns_)) /
           static_cast<uint64_t>(tick_ns_);
  }
  int64_t TimeOf(uint64_t tick) const {
    return static_cast<int64_t>(static_cast<uint64_t>(epoch_ns_) +
                                tick * static_cast<uint64_t>(tick_ns_));
  }
  void Arm(uint32_t id, uint64_t tick) {
    Disarm(id);
    tick_of_[id] = tick;
    by_tick_.insert({tick, id});
  }
  void Disarm(uint32_t id) {
    if (tick_of_[id] == kNone) return;
    by_tick_.erase({tick_of_[id], id});
    tick_of_[id] = kNone;
  }
  bool armed(uint32_t id) const { return tick_of_[id] != kNone; }
  uint64_t tick(uint32_t id) const { return tick_of_[id]; }
  size_t size() const { return by_tick_.size(); }
  std::optional<uint64_t> Earliest() const {
    if (by_tick_.empty()) return std::nullopt;
    return by_tick_.begin()->first;
  }

 private:
  static constexpr uint64_t kNone = std::numeric_limits<uint64_t>::max();
  int64_t tick_ns_;
  int64_t epoch_ns_;
  std::vector<uint64_t> tick_of_;
  std::set<std::pair<uint64_t, uint32_t>> by_tick_;
};

struct RandomConfig {
  int64_t tick_ns;
  int64_t epoch_ns;
  size_t nodes;
  int operations;
};

class RandomRun {
 public:
  RandomRun(const RandomConfig& config, uint64_t seed)
      : wheel_(config.tick_ns, config.epoch_ns),
        ref_(config.tick_ns, config.epoch_ns, config.nodes),
        nodes_(Nodes(config.nodes)),
        tick_ns_(config.tick_ns),
        now_ns_(config.epoch_ns),
        rng_(seed) {}

  void Run(int operations) {
    for (int op = 0; op < operations; ++op) {
      const uint64_t dice = Uniform(100);
      if (dice < 45) {
        Schedule(RandomNode(), std::nullopt);
      } else if (dice < 60) {
        Cancel(RandomNode());
      } else {
        Advance();
      }
      REQUIRE(wheel_.size() == ref_.size());
      const uint32_t id = RandomNode();
      REQUIRE(TimingWheel::IsArmed(nodes_[id]) == ref_.armed(id));
      CheckNextDeadline();
      if (op % 100'000 == 0) REQUIRE(wheel_.InvariantsHoldForTesting());
    }
    REQUIRE(wheel_.InvariantsHoldForTesting());
  }

 private:
  uint64_t Uniform(uint64_t n) { return rng_() % n; }
  uint32_t RandomNode() {
    return static_cast<uint32_t>(Uniform(nodes_.size()));
  }
  uint64_t CurrentTick() const { return ref_.TickOf(wheel_.current_ns()); }

  // now_ns_ + ticks * tick_ns_ + sub_ns, saturating at INT64_MAX.
  int64_t Later(uint64_t ticks, int64_t sub_ns) const {
    constexpr int64_t kMax = std::numeric_limits<int64_t>::max();
    if (ticks > static_cast<uint64_t>(kMax / tick_ns_)) return kMax;
    const int64_t ahead_ns = static_cast<int64_t>(ticks) * tick_ns_;
    if (ahead_ns > kMax - sub_ns || now_ns_ > kMax - ahead_ns - sub_ns) {
      return kMax;
    }
    return now_ns_ + ahead_ns + sub_ns;
  }

  // Past, same tick, never, or log-uniform ahead up to 2^42 ticks (beyond
  // the levels' 2^36, into the overflow list).
  int64_t RandomDeadline() {
    const int64_t sub_ns = static_cast<int64_t>(Uniform(tick_ns_));
    const uint64_t dice = Uniform(100);
    if (dice < 8) {
      const int64_t behind_ns =
          static_cast<int64_t>(Uniform(1 << 20)) * tick_ns_;
      return now_ns_ - behind_ns - sub_ns;
    }
    if (dice < 15) return Later(0, sub_ns);
    if (dice < 17) return std::numeric_limits<int64_t>::max();
    return Later(Uniform(uint64_t{1} << Uniform(43)), sub_ns);
  }

  // `firing_tick` is set inside a callback: the tick being expired.
  void Schedule(uint32_t id, std::optional<uint64_t> firing_tick) {
    const int64_t deadline_ns = RandomDeadline();
    const uint64_t tick = std::max(ref_.TickOf(deadline_ns), CurrentTick());
    wheel_.Schedule(&nodes_[id], deadline_ns);
    ref_.Arm(id, tick);
    if (firing_tick.has_value() && tick <= *firing_tick) deferred_ = true;
  }

  void Cancel(uint32_t id) {
    wheel_.Cancel(&nodes_[id]);
    ref_.Disarm(id);
  }

  void CheckNextDeadline() {
    const std::optional<uint64_t> earliest = ref_.Earliest();
    const std::optional<int64_t> next_ns = wheel_.NextDeadline();
    if (!earliest.has_value()) {
      REQUIRE(next_ns == std::nullopt);
    } else {
      REQUIRE(next_ns == ref_.TimeOf(*earliest));
    }
  }

  void OnExpire(TimerNode* node, uint64_t target_tick) {
    const uint32_t id = node->owner;
    REQUIRE(ref_.armed(id));  // not lost, not twice
    REQUIRE(!TimingWheel::IsArmed(*node));
    const uint64_t tick = ref_.tick(id);
    REQUIRE(tick == *ref_.Earliest());  // in deadline order
    REQUIRE(tick <= target_tick);       // not early
    REQUIRE(CurrentTick() == tick);
    ref_.Disarm(id);
    const uint64_t dice = Uniform(100);
    if (dice < 20) {
      Schedule(id, tick);  // re-arm itself
    } else if (dice < 30) {
      Cancel(RandomNode());
    } else if (dice < 40) {
      Schedule(RandomNode(), tick);
    }
    if (Uniform(10) == 0) CheckNextDeadline();
  }

  void Advance() {
    // Mostly small steps, sometimes huge ones across overflow eras; the
    // clock stays far below INT64_MAX so deadlines ahead remain valid.
    const uint64_t dice = Uniform(100);
    const uint64_t bits = dice < 90   ? Uniform(13)
                          : dice < 99 ? Uniform(25)
                                      : Uniform(41);
    if (Later(uint64_t{1} << bits, 0) <
        std::numeric_limits<int64_t>::max() / 4) {
      now_ns_ = Later(Uniform(uint64_t{1} << bits),
                      static_cast<int64_t>(Uniform(tick_ns_)));
    }
    // Sometimes a stale "now", as a caller reading the clock early might.
    const int64_t now_ns = Uniform(20) == 0 ? now_ns_ - 5 * tick_ns_ : now_ns_;
    const size_t budget = Uniform(4) == 0 ? Uniform(5) : kUnlimited;
    const uint64_t before = CurrentTick();
    const uint64_t target = std::max(ref_.TickOf(now_ns), before);
    deferred_ = false;
    size_t fired = 0;
    const size_t n = wheel_.Advance(now_ns, budget, [&](TimerNode* node) {
      ++fired;
      OnExpire(node, target);
    });
    REQUIRE(n == fired);
    const uint64_t current = CurrentTick();
    REQUIRE(current >= before);
    REQUIRE(current <= target);
    const std::optional<uint64_t> earliest = ref_.Earliest();
    if (earliest.has_value()) REQUIRE(*earliest >= current);
    if (fired == budget) return;  // stopped by the budget
    if (earliest.has_value() && *earliest <= target) {
      // Only a timer armed by a callback for the expiring tick stops it.
      REQUIRE(deferred_);
      REQUIRE(*earliest == current);
    } else {
      REQUIRE(current == target);
    }
  }

  TimingWheel wheel_;
  Reference ref_;
  std::vector<TimerNode> nodes_;
  int64_t tick_ns_;
  int64_t now_ns_;
  std::mt19937_64 rng_;
  bool deferred_ = false;
};

TEST_CASE("randomised: the wheel agrees with an ordered reference") {
  const uint64_t seed = testing::TestSeed();
  INFO(testing::SeedNote(seed));
  const RandomConfig configs[] = {
      // Few timers: slots empty and refill, minimums get cancelled.
      {.tick_ns = 1, .epoch_ns = 0, .nodes = 48, .operations = 800'000},
      // Epoch far below zero: the tick arithmetic must not overflow.
      {.tick_ns = kUs,
       .epoch_ns = std::numeric_limits<int64_t>::min() / 2,
       .nodes = 4096,
       .operations = 1'000'000},
      {.tick_ns = 100 * kUs,
       .epoch_ns = 123'456'789,
       .nodes = 512,
       .operations = 800'000},
  };
  uint64_t n = 0;
  for (const RandomConfig& config : configs) {
    CAPTURE(config.tick_ns);
    RandomRun run(config, seed + n++);
    run.Run(config.operations);
  }
}

// --- O(1): count the work, do not time it --------------------------------

struct WorkPerOperation {
  double schedule;
  double reschedule;
  double cancel;
  double next_deadline;
  double expiry;  // amortised over the whole drain, cascades included
};

WorkPerOperation MeasureWork(size_t count, uint64_t seed) {
  TimingWheel wheel(kUs, 0);
  std::vector<TimerNode> nodes = Nodes(count);
  std::mt19937_64 rng(seed);
  // Spread over 10 s of 1 us ticks: levels 0 to 3.
  auto deadline = [&] { return static_cast<int64_t>(rng() % (10 * kS)); };
  WorkPerOperation per{};
  uint64_t mark = wheel.work_units();
  auto take = [&](size_t operations) {
    const uint64_t spent = wheel.work_units() - mark;
    mark = wheel.work_units();
    return static_cast<double>(spent) / static_cast<double>(operations);
  };
  for (TimerNode& node : nodes) wheel.Schedule(&node, deadline());
  per.schedule = take(count);
  for (TimerNode& node : nodes) wheel.Schedule(&node, deadline());
  per.reschedule = take(count);
  for (size_t i = 0; i < count; i += 2) wheel.Cancel(&nodes[i]);
  per.cancel = take(count / 2);
  REQUIRE(wheel.size() == count / 2);

  size_t expired = 0;
  size_t next_calls = 0;
  uint64_t next_work = 0;
  uint64_t advance_work = 0;
  while (!wheel.empty()) {
    const uint64_t before = wheel.work_units();
    const std::optional<int64_t> wake_ns = wheel.NextDeadline();
    ++next_calls;
    next_work += wheel.work_units() - before;
    REQUIRE(wake_ns.has_value());
    const uint64_t before_advance = wheel.work_units();
    const size_t n = wheel.Advance(*wake_ns, kUnlimited, [](TimerNode*) {});
    advance_work += wheel.work_units() - before_advance;
    REQUIRE(n > 0);  // the exact deadline never wakes the loop for nothing
    expired += n;
  }
  REQUIRE(expired == count / 2);
  per.next_deadline = static_cast<double>(next_work) / next_calls;
  per.expiry = static_cast<double>(advance_work) / expired;
  return per;
}

TEST_CASE("work per operation does not grow with the number of timers") {
  const uint64_t seed = testing::TestSeed();
  INFO(testing::SeedNote(seed));
  const WorkPerOperation small = MeasureWork(1'000, seed);
  const WorkPerOperation large = MeasureWork(1'000'000, seed);
  for (const WorkPerOperation& per : {small, large}) {
    MESSAGE("work per schedule ", per.schedule, ", re-schedule ",
            per.reschedule, ", cancel ", per.cancel, ", NextDeadline ",
            per.next_deadline, ", expiry ", per.expiry);
    CAPTURE(per.expiry);
    CAPTURE(per.next_deadline);
    CHECK(per.schedule <= 1.0);    // one link
    CHECK(per.reschedule <= 2.0);  // one unlink, one link
    CHECK(per.cancel <= 1.0);      // one unlink
    CHECK(per.next_deadline <= TimingWheel::kLevels);
    // A pop, at most 3 cascades from level 3, and the word scans of the
    // busy slots reached, shared by the timers in them.
    CHECK(per.expiry <= 16.0);
  }
  // A thousand times more timers: no more work each, in fact less, since
  // busy slots are shared by more timers.
  CHECK(large.expiry <= small.expiry);
}

}  // namespace
}  // namespace tcpkali::engine
