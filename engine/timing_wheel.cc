#include "engine/timing_wheel.h"

#include <bit>
#include <cstdio>
#include <cstdlib>
#include <limits>

namespace tcpkali::engine {
namespace {

// Wheel placement, for a deadline tick t and the current tick c (t >= c):
// t == c is due and sits in level 0 at slot c's low digit (the "due slot");
// otherwise the level is the highest base-64 digit where t and c differ and
// the slot is t's digit there. So every busy slot of level L lies strictly
// after c's digit L, slots read in order are deadlines in order, and any
// timer on a lower level is earlier than every timer on a higher one.

constexpr uint64_t Digit(uint64_t tick, int level) {
  return (tick >> (level * TimingWheel::kSlotBits)) & (TimingWheel::kSlots - 1);
}

// The slots of a level strictly after `digit`.
constexpr uint64_t SlotsAfter(uint64_t digit) {
  return digit == TimingWheel::kSlots - 1 ? 0 : ~uint64_t{0} << (digit + 1);
}

// `tick` with every digit below `level` cleared.
constexpr uint64_t StartOfDigit(uint64_t tick, int level) {
  return tick & ~((uint64_t{1} << (level * TimingWheel::kSlotBits)) - 1);
}

[[noreturn]] void Die(const char* what) {
  std::fprintf(stderr, "TimingWheel: %s\n", what);
  std::abort();
}

}  // namespace

TimingWheel::TimingWheel(int64_t tick_ns, int64_t now_ns)
    : tick_ns_(tick_ns), epoch_ns_(now_ns), current_ns_(now_ns) {
  if (tick_ns <= 0) Die("tick_ns must be positive");
  // Every list is circular around its sentinel, so unlinking a node needs
  // neither its list nor a branch.
  for (TimerNode& head : heads_) head.next_ = head.prev_ = &head;
  firing_.next_ = firing_.prev_ = &firing_;
  scratch_.next_ = scratch_.prev_ = &scratch_;
}

void TimingWheel::Schedule(TimerNode* node, int64_t deadline_ns) {
  if (IsArmed(*node)) {
    Unlink(node);
  } else {
    ++size_;
  }
  node->tick_ = TickNotBeforeCurrent(deadline_ns);
  Place(node);
}

void TimingWheel::Cancel(TimerNode* node) {
  if (!IsArmed(*node)) return;
  Unlink(node);
  --size_;
}

std::optional<int64_t> TimingWheel::NextDeadline() {
  if (HasFiring() || heads_[DueBucket()].next_ != &heads_[DueBucket()]) {
    return current_ns_;
  }
  // The lowest busy level holds the earliest timers (see the placement
  // comment), and within it the first busy slot after the current digit.
  for (int level = 0; level < kLevels; ++level) {
    ++work_units_;
    const uint64_t busy =
        occupied_[level] & SlotsAfter(Digit(current_tick_, level));
    if (busy == 0) continue;
    const int slot = std::countr_zero(busy);
    if (level == 0) {
      return TimeOfTick(StartOfDigit(current_tick_, 1) | slot);
    }
    return TimeOfTick(ExactMinimum(level * kSlots + slot));
  }
  if (heads_[kOverflow].next_ != &heads_[kOverflow]) {
    return TimeOfTick(ExactMinimum(kOverflow));
  }
  return std::nullopt;
}

bool TimingWheel::InvariantsHoldForTesting() const {
  size_t armed = 0;
  const uint16_t due = DueBucket();
  for (int bucket = 0; bucket < kBuckets; ++bucket) {
    const TimerNode& head = heads_[bucket];
    const bool busy = head.next_ != &head;
    if (bucket < kLevelSlots &&
        busy !=
            (((occupied_[bucket / kSlots] >> (bucket % kSlots)) & 1) != 0)) {
      return false;
    }
    uint64_t least = std::numeric_limits<uint64_t>::max();
    uint32_t at_least = 0;
    for (const TimerNode* n = head.next_; n != &head; n = n->next_) {
      ++armed;
      if (n->next_->prev_ != n || n->bucket_ != bucket) return false;
      if (n->tick_ < current_tick_ || BucketFor(n->tick_) != bucket) {
        return false;
      }
      if (n->tick_ < least) {
        least = n->tick_;
        at_least = 0;
      }
      if (n->tick_ == least) ++at_least;
    }
    if (!busy || bucket < kSlots) continue;
    if (min_count_[bucket] != 0 &&
        (min_tick_[bucket] != least || min_count_[bucket] != at_least)) {
      return false;
    }
    if (min_count_[bucket] == 0 && !(min_tick_[bucket] < least)) return false;
  }
  for (const TimerNode* n = firing_.next_; n != &firing_; n = n->next_) {
    ++armed;
    if (n->tick_ != current_tick_ || n->bucket_ != due) return false;
  }
  return armed == size_ && scratch_.next_ == &scratch_;
}

void TimingWheel::BeginAdvance(int64_t now_ns) {
  if (advancing_) Die("Advance() called from a timer callback");
  advancing_ = true;
  target_tick_ = TickNotBeforeCurrent(now_ns);
  SpliceDueToFiring();
}

TimerNode* TimingWheel::PopFiring() {
  TimerNode* node = firing_.next_;
  firing_.next_ = node->next_;
  node->next_->prev_ = &firing_;
  node->bucket_ = TimerNode::kUnarmed;
  --size_;
  ++work_units_;
  return node;
}

// Moves the current tick to the next busy slot at or before the target,
// cascading what it reaches, until some timers are due; false when there is
// nothing more to expire in this Advance(). Jumping the current tick over
// empty time is sound: a slot of level L starting after the new tick still
// differs from it first at digit L, so nothing has to move.
bool TimingWheel::MoveToNextEvent() {
  // Armed by a callback at or before the current tick: next Advance().
  if (heads_[DueBucket()].next_ != &heads_[DueBucket()]) return false;
  while (current_tick_ < target_tick_) {
    const std::optional<Event> event = FindNextEvent();
    if (!event.has_value() || event->tick > target_tick_) {
      SetCurrentTick(target_tick_);
      return false;
    }
    SetCurrentTick(event->tick);
    // A level-0 slot has just become the due slot; anything else cascades.
    if (event->bucket >= kSlots) Redistribute(event->bucket);
    if (SpliceDueToFiring()) return true;
  }
  return false;
}

uint64_t TimingWheel::TickNotBeforeCurrent(int64_t t_ns) const {
  if (t_ns <= current_ns_) return current_tick_;
  // Unsigned, because t_ns - current_ns_ may exceed INT64_MAX.
  const uint64_t ahead_ns =
      static_cast<uint64_t>(t_ns) - static_cast<uint64_t>(current_ns_);
  return current_tick_ + ahead_ns / static_cast<uint64_t>(tick_ns_);
}

int64_t TimingWheel::TimeOfTick(uint64_t tick) const {
  // The result is at most some deadline passed in, so it fits; the
  // unsigned arithmetic only avoids overflow in the intermediate product.
  return static_cast<int64_t>(static_cast<uint64_t>(epoch_ns_) +
                              tick * static_cast<uint64_t>(tick_ns_));
}

void TimingWheel::SetCurrentTick(uint64_t tick) {
  current_tick_ = tick;
  current_ns_ = TimeOfTick(tick);
}

uint16_t TimingWheel::DueBucket() const {
  return static_cast<uint16_t>(Digit(current_tick_, 0));
}

uint16_t TimingWheel::BucketFor(uint64_t tick) const {
  const uint64_t differ = tick ^ current_tick_;
  if (differ == 0) return DueBucket();
  const int level = (63 - std::countl_zero(differ)) / kSlotBits;
  if (level >= kLevels) return kOverflow;
  return static_cast<uint16_t>(level * kSlots + Digit(tick, level));
}

// The busy bucket the current tick must visit next, and when: a level-0
// slot's own tick, the start of a higher slot (to cascade it), or the start
// of the 2^36-tick era holding the overflow minimum (to re-sort the overflow
// list: O(its length) once per era, 80 days at 100 us ticks).
std::optional<TimingWheel::Event> TimingWheel::FindNextEvent() {
  for (int level = 0; level < kLevels; ++level) {
    ++work_units_;
    const uint64_t busy =
        occupied_[level] & SlotsAfter(Digit(current_tick_, level));
    if (busy == 0) continue;
    const uint64_t slot = std::countr_zero(busy);
    return Event{
        .bucket = static_cast<uint16_t>(level * kSlots + slot),
        .tick = StartOfDigit(current_tick_, level + 1) |
                (slot << (level * kSlotBits)),
    };
  }
  if (heads_[kOverflow].next_ == &heads_[kOverflow]) return std::nullopt;
  return Event{.bucket = kOverflow,
               .tick = StartOfDigit(min_tick_[kOverflow], kLevels)};
}

// Why a per-slot minimum rather than cascading the earliest slot early:
// cascading relative to a future tick would put that slot's timers in the
// same lists as timers armed later for the ticks in between, and untangling
// them costs the whole slot each time. The minimum is exact on insert and
// stays exact under cancels while any timer with that deadline remains; the
// walk below runs only when the last one went and this slot is the earliest.
uint64_t TimingWheel::ExactMinimum(uint16_t bucket) {
  if (min_count_[bucket] != 0) return min_tick_[bucket];
  const TimerNode& head = heads_[bucket];
  uint64_t least = std::numeric_limits<uint64_t>::max();
  uint32_t at_least = 0;
  for (const TimerNode* n = head.next_; n != &head; n = n->next_) {
    ++work_units_;
    if (n->tick_ < least) {
      least = n->tick_;
      at_least = 0;
    }
    if (n->tick_ == least) ++at_least;
  }
  min_tick_[bucket] = least;
  min_count_[bucket] = at_least;
  return least;
}

void TimingWheel::Place(TimerNode* node) {
  const uint16_t bucket = BucketFor(node->tick_);
  TimerNode& head = heads_[bucket];
  const bool was_empty = head.next_ == &head;
  node->next_ = &head;
  node->prev_ = head.prev_;
  head.prev_->next_ = node;
  head.prev_ = node;
  node->bucket_ = bucket;
  ++work_units_;
  if (bucket < kLevelSlots) {
    occupied_[bucket / kSlots] |= uint64_t{1} << (bucket % kSlots);
  }
  if (bucket < kSlots) return;  // a level-0 slot is a single tick
  // A tick equal to a lower-bound minimum is exact too: no node has it.
  if (was_empty || node->tick_ < min_tick_[bucket]) {
    min_tick_[bucket] = node->tick_;
    min_count_[bucket] = 1;
  } else if (node->tick_ == min_tick_[bucket]) {
    ++min_count_[bucket];
  }
}

// Leaves the node disarmed. A node on the firing list still names the due
// slot as its bucket; that is harmless, since the slot's own list decides
// its occupancy bit and level 0 keeps no minimum.
void TimingWheel::Unlink(TimerNode* node) {
  const uint16_t bucket = node->bucket_;
  node->prev_->next_ = node->next_;
  node->next_->prev_ = node->prev_;
  node->bucket_ = TimerNode::kUnarmed;
  ++work_units_;
  const TimerNode& head = heads_[bucket];
  if (head.next_ == &head) {
    if (bucket < kLevelSlots) {
      occupied_[bucket / kSlots] &= ~(uint64_t{1} << (bucket % kSlots));
    }
  } else if (bucket >= kSlots && node->tick_ == min_tick_[bucket]) {
    --min_count_[bucket];
  }
}

// Re-places every node of `bucket` relative to the (just moved) current
// tick: a cascade to lower levels, or the overflow list's re-sort.
void TimingWheel::Redistribute(uint16_t bucket) {
  TimerNode& head = heads_[bucket];
  if (head.next_ == &head) return;
  scratch_.next_ = head.next_;
  scratch_.prev_ = head.prev_;
  scratch_.next_->prev_ = &scratch_;
  scratch_.prev_->next_ = &scratch_;
  head.next_ = &head;
  head.prev_ = &head;
  if (bucket < kLevelSlots) {
    occupied_[bucket / kSlots] &= ~(uint64_t{1} << (bucket % kSlots));
  }
  while (scratch_.next_ != &scratch_) {
    TimerNode* node = scratch_.next_;
    scratch_.next_ = node->next_;
    node->next_->prev_ = &scratch_;
    Place(node);
  }
}

// Appends the due slot to the firing list; false when it was empty.
bool TimingWheel::SpliceDueToFiring() {
  const uint16_t due = DueBucket();
  TimerNode& head = heads_[due];
  if (head.next_ == &head) return false;
  ++work_units_;
  head.next_->prev_ = firing_.prev_;
  firing_.prev_->next_ = head.next_;
  head.prev_->next_ = &firing_;
  firing_.prev_ = head.prev_;
  head.next_ = &head;
  head.prev_ = &head;
  occupied_[0] &= ~(uint64_t{1} << due);
  return true;
}

}  // namespace tcpkali::engine
