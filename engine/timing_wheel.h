// TimingWheel: a hierarchical timing wheel for one worker thread. Timers are
// intrusive TimerNodes embedded in the caller's objects (one per connection
// slot), so arming, re-arming and cancelling allocate nothing and are O(1);
// Advance() expires what is due, in deadline order, up to a budget; and
// NextDeadline() gives the exact time of the earliest timer, so the worker
// sleeps exactly as long as it may instead of waking every tick.
//
// Time is int64 nanoseconds of CLOCK_MONOTONIC, cut into ticks of tick_ns
// counted from the wheel's start. A timer fires in the first Advance(now)
// whose tick is at or after its deadline's tick: up to one tick early, never
// late by the wheel's doing.
//
// Example: a worker loop.
//   TimingWheel wheel(/*tick_ns=*/100'000, Now());
//   conn.timer.owner = slot_index;
//   wheel.Schedule(&conn.timer, Now() + 5'000'000);   // in 5 ms
//   for (;;) {
//     wheel.Advance(Now(), /*max_expiries=*/4096, [&](TimerNode* t) {
//       OnTimer(slots[t->owner], t->kind);  // may Schedule/Cancel anything
//     });
//     std::optional<int64_t> wake_ns = wheel.NextDeadline();
//     ...submit and wait until *wake_ns (or indefinitely)...
//   }
//
// Structure (the model is Seastar's timer_set, and the Linux timer wheel):
// 6 levels of 64 slots. A timer goes to the level of the highest base-64
// digit in which its deadline tick differs from the wheel's current tick,
// into the slot named by that digit; so level 0 holds the next < 64 ticks
// one tick per slot, and a slot of level L spans 64^L ticks. Deadlines more
// than 2^36 ticks ahead (80 days at 100 us) wait in an overflow list, which
// is re-sorted (O(its length)) when time enters the era holding its
// earliest deadline, so at most once per 2^36 ticks. A 64-bit occupancy
// word per level finds the next busy slot with one count-trailing-zeros;
// when time reaches a slot of level L >= 1 its timers move down
// ("cascade"), so a timer moves at most 5 times in its life, and empty
// stretches of time cost nothing however long the gap between calls.
//
// Not thread-safe: the owning worker thread uses it and its nodes alone.
#ifndef TCPKALI_ENGINE_TIMING_WHEEL_H_
#define TCPKALI_ENGINE_TIMING_WHEEL_H_

#include <cstddef>
#include <cstdint>
#include <optional>

namespace tcpkali::engine {

class TimingWheel;

// The timer a caller embeds in its own object. `owner` and `kind` are the
// caller's (the wheel never reads or writes them; typically the slot index
// and what the timer is currently for); the rest is the wheel's.
//
// A node is linked by address while it is armed: it must stay put and alive
// until it fires or is cancelled. A copy carries only the user fields and is
// unarmed, so slabs of unarmed nodes may be built and moved freely.
class TimerNode {
 public:
  TimerNode() = default;
  TimerNode(const TimerNode& other) : owner(other.owner), kind(other.kind) {}
  TimerNode& operator=(const TimerNode& other) {
    owner = other.owner;
    kind = other.kind;
    return *this;
  }

  uint32_t owner = 0;
  uint16_t kind = 0;

 private:
  friend class TimingWheel;
  static constexpr uint16_t kUnarmed = 0xFFFF;

  uint16_t bucket_ = kUnarmed;  // which list the node is on
  TimerNode* next_ = nullptr;
  TimerNode* prev_ = nullptr;
  uint64_t tick_ = 0;  // deadline tick, never before the wheel's current one
};

// Two links, the deadline and the 6 user bytes: 24 bytes would need 32-bit
// links, i.e. indices into one array, which would forbid embedding the node
// in the connection slot (an expiry would then touch two cache lines).
static_assert(sizeof(TimerNode) == 32);

// Owned by one worker thread; see the file comment. Not copyable or movable
// (its lists point at it). Destroying it leaves its armed nodes marked armed
// and pointing into it: cancel them first, or discard them with it.
class TimingWheel {
 public:
  static constexpr int kSlotBits = 6;
  static constexpr int kSlots = 1 << kSlotBits;
  static constexpr int kLevels = 6;
  // Deadlines further than 2^kHorizonBits ticks ahead use the overflow list.
  static constexpr int kHorizonBits = kSlotBits * kLevels;

  // A wheel whose tick is `tick_ns` (> 0; the worker uses ~100 us, tests
  // others) and whose time starts at `now_ns`. Aborts if tick_ns <= 0.
  TimingWheel(int64_t tick_ns, int64_t now_ns);
  TimingWheel(const TimingWheel&) = delete;
  TimingWheel& operator=(const TimingWheel&) = delete;

  // Arms `node` to fire at `deadline_ns`, first disarming it if it is armed
  // (on this wheel: a node belongs to one wheel at a time). A deadline at or
  // before the wheel's current time (see current_ns()) counts as the current
  // time: the timer fires at the next Advance. Any int64 deadline is valid,
  // INT64_MAX included. O(1).
  void Schedule(TimerNode* node, int64_t deadline_ns);

  // Disarms `node`; a no-op when it is not armed. O(1): an unlink.
  void Cancel(TimerNode* node);

  // True from Schedule() until the node fires (it is disarmed just before
  // its callback runs) or is cancelled.
  static bool IsArmed(const TimerNode& node) {
    return node.bucket_ != TimerNode::kUnarmed;
  }

  // Brings the wheel's time to now_ns's tick and expires every timer whose
  // deadline tick is at or before it, in deadline order (ties in any order),
  // calling on_expire(TimerNode*) for each, at most `max_expiries` times.
  // Returns the number expired. Each node is disarmed before its callback,
  // which may Schedule or Cancel any node, itself included; a timer armed
  // for a later tick up to now fires in this same call, in order.
  //
  // Advance stops early, leaving the rest due (NextDeadline() is then at or
  // before now_ns, so the loop comes straight back), in two cases: the
  // budget is spent; or a callback armed a timer at or before the tick being
  // expired, which fires at the next Advance (so a timer that keeps re-arming
  // itself for "now" cannot spin inside one call, and order is kept).
  // now_ns before current_ns() expires only what is already due.
  //
  // Cost: O(1) per expiry plus O(1) per timer moved down a level (at most
  // 5 moves per timer) plus O(levels) per busy slot reached; the idle time
  // between calls costs nothing. Must not be called from on_expire (aborts).
  template <typename Fn>
  size_t Advance(int64_t now_ns, size_t max_expiries, Fn&& on_expire);

  // The earliest armed deadline rounded down to its tick, i.e. the earliest
  // now_ns for which Advance() fires something: never later than any armed
  // deadline, never earlier than its tick. current_ns() when something is
  // already due; nullopt when nothing is armed.
  //
  // Exact, and usually a few word scans. It is not const because each slot
  // above level 0 keeps its minimum deadline and how many timers share it:
  // cancelling the last of those leaves only a lower bound, and when that
  // slot holds the earliest timers NextDeadline() walks it once to restore
  // the exact minimum. That costs the slot's population, and only happens
  // when nothing is due within the next 64 ticks (the worker is about to
  // sleep at least that long). Likewise for the overflow list.
  [[nodiscard]] std::optional<int64_t> NextDeadline();

  // Armed timers.
  size_t size() const { return size_; }
  bool empty() const { return size_ == 0; }

  int64_t tick_ns() const { return tick_ns_; }
  // The start of the tick the wheel has reached: deadlines at or before it
  // are due. Moves only inside Advance().
  int64_t current_ns() const { return current_ns_; }

  // Elementary steps taken so far (node links and unlinks, nodes visited,
  // occupancy words scanned, lists spliced): what the O(1) tests measure,
  // since timing would be flaky.
  uint64_t work_units() const { return work_units_; }

  // Walks every list and checks the wheel's invariants (placement, occupancy
  // words, slot minimums, size). O(armed timers): for tests only.
  [[nodiscard]] bool InvariantsHoldForTesting() const;

 private:
  static constexpr int kLevelSlots = kLevels * kSlots;
  static constexpr uint16_t kOverflow = kLevelSlots;  // bucket index
  static constexpr int kBuckets = kLevelSlots + 1;

  struct Event {
    uint16_t bucket;
    uint64_t tick;  // when the wheel must look at the bucket
  };

  // Advance() in pieces, so that only the loop calling back is a template.
  void BeginAdvance(int64_t now_ns);
  bool HasFiring() const { return firing_.next_ != &firing_; }
  TimerNode* PopFiring();
  bool MoveToNextEvent();

  uint64_t TickNotBeforeCurrent(int64_t t_ns) const;
  int64_t TimeOfTick(uint64_t tick) const;
  void SetCurrentTick(uint64_t tick);
  uint16_t DueBucket() const;
  uint16_t BucketFor(uint64_t tick) const;
  std::optional<Event> FindNextEvent();
  uint64_t ExactMinimum(uint16_t bucket);
  void Place(TimerNode* node);
  void Unlink(TimerNode* node);
  void Redistribute(uint16_t bucket);
  bool SpliceDueToFiring();

  int64_t tick_ns_;
  int64_t epoch_ns_;           // the time of tick 0
  uint64_t current_tick_ = 0;  // the tick the wheel has reached
  int64_t current_ns_;         // TimeOfTick(current_tick_)
  uint64_t target_tick_ = 0;   // where the running Advance() stops
  size_t size_ = 0;
  uint64_t work_units_ = 0;
  bool advancing_ = false;

  uint64_t occupied_[kLevels] = {};  // bit s of word L: slot (L, s) is busy
  // Sentinels of circular lists: one per slot, then the overflow list.
  TimerNode heads_[kBuckets];
  // Above level 0: the least deadline tick in the bucket and how many nodes
  // have it; a count of 0 in a busy bucket means min_tick_ is only a lower
  // bound, and then no node has exactly min_tick_.
  uint64_t min_tick_[kBuckets] = {};
  uint32_t min_count_[kBuckets] = {};
  // Due timers being expired by Advance() (taken from the due slot).
  TimerNode firing_;
  TimerNode scratch_;  // a bucket's nodes while they are redistributed
};

template <typename Fn>
size_t TimingWheel::Advance(int64_t now_ns, size_t max_expiries,
                            Fn&& on_expire) {
  BeginAdvance(now_ns);
  size_t expired = 0;
  do {
    while (HasFiring()) {
      if (expired == max_expiries) {
        advancing_ = false;
        return expired;
      }
      TimerNode* node = PopFiring();
      ++expired;
      on_expire(node);
    }
  } while (MoveToNextEvent());
  advancing_ = false;
  return expired;
}

}  // namespace tcpkali::engine

#endif  // TCPKALI_ENGINE_TIMING_WHEEL_H_
