#include "engine/pacer.h"

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <limits>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"

namespace tcpkali::engine {
namespace {

using u128 = unsigned __int128;

// ns per second times micro-units per unit: (elapsed_ns * micro_units_per_s)
// / kScale is units.
constexpr u128 kScale = u128{1'000'000'000} * 1'000'000;
constexpr uint64_t kMaxU64 = std::numeric_limits<uint64_t>::max();

absl::StatusOr<uint64_t> ToMicroUnits(double per_s) {
  if (!(per_s >= 0) || !std::isfinite(per_s) || per_s > kMaxRatePerS) {
    return absl::InvalidArgumentError(
        absl::StrCat("rate ", per_s, "/s is not between 0 and ", kMaxRatePerS));
  }
  if (per_s == 0) return 0;
  // per_s * 1e6 <= 1.8e19 fits in uint64_t; a tiny positive rate is kept
  // positive rather than silently becoming "never".
  return std::max<uint64_t>(1, static_cast<uint64_t>(std::round(per_s * 1e6)));
}

// Units allowed by the schedule at now_ns, saturated.
uint64_t Allowed(const RateSpec& spec, const PacerState& state,
                 int64_t now_ns) {
  if (now_ns < state.start_ns || spec.micro_units_per_s == 0) return 0;
  const int64_t elapsed_ns = now_ns - state.start_ns;
  u128 units = u128(static_cast<uint64_t>(elapsed_ns)) *
                   spec.micro_units_per_s / kScale +
               spec.grant_units;
  return units > kMaxU64 ? kMaxU64 : static_cast<uint64_t>(units);
}

// start_ns + ceil(units / rate) in ns, or kNeverNs when out of range.
int64_t TimeOfUnits(const RateSpec& spec, int64_t start_ns, uint64_t units) {
  if (spec.micro_units_per_s == 0) return kNeverNs;
  const uint64_t rate = spec.micro_units_per_s;
  // units * kScale < 1.8e34: no overflow in 128 bits.
  u128 offset_ns = (u128(units) * kScale + (rate - 1)) / rate;
  if (offset_ns >= u128(kNeverNs - start_ns)) return kNeverNs;
  return start_ns + static_cast<int64_t>(offset_ns);
}

}  // namespace

absl::StatusOr<RateSpec> MessageRateSpec(double messages_per_s) {
  absl::StatusOr<uint64_t> rate = ToMicroUnits(messages_per_s);
  if (!rate.ok()) return rate.status();
  return RateSpec{
      .micro_units_per_s = *rate, .grant_units = 1, .max_backlog_units = 0};
}

absl::StatusOr<RateSpec> ByteRateSpec(double bytes_per_s) {
  absl::StatusOr<uint64_t> rate = ToMicroUnits(bytes_per_s);
  if (!rate.ok()) return rate.status();
  constexpr uint64_t kMssBytes = 1460;
  constexpr uint64_t kMaxGrantBytes = 64 * 1024;
  // Bytes accruing per 10 ms, per 100 ms and per second, rounded up.
  const uint64_t per_10ms = (*rate + 99'999'999) / 100'000'000;
  const uint64_t per_100ms = (*rate + 9'999'999) / 10'000'000;
  const uint64_t per_s = (*rate + 999'999) / 1'000'000;
  uint64_t grant = std::max(per_10ms, std::min(kMssBytes, per_s));
  grant = std::clamp<uint64_t>(grant, 1, kMaxGrantBytes);
  return RateSpec{.micro_units_per_s = *rate,
                  .grant_units = grant,
                  .max_backlog_units = std::max(2 * grant, per_100ms)};
}

uint64_t Due(const RateSpec& spec, const PacerState& state, int64_t now_ns) {
  const uint64_t allowed = Allowed(spec, state, now_ns);
  if (allowed <= state.done) return 0;
  const uint64_t due = allowed - state.done;
  return due >= spec.grant_units ? due : 0;
}

int64_t NextDueNs(const RateSpec& spec, const PacerState& state) {
  // Due() > 0  <=>  floor(elapsed * R) + G - done >= G  <=>  elapsed * R >=
  // done.
  return TimeOfUnits(spec, state.start_ns, state.done);
}

int64_t IntendedTimeNs(const RateSpec& spec, const PacerState& state,
                       uint64_t index) {
  // Unit #index is allowed once floor(elapsed * R) + G > index.
  const uint64_t units =
      index + 1 > spec.grant_units ? index + 1 - spec.grant_units : 0;
  return TimeOfUnits(spec, state.start_ns, units);
}

int64_t LagNs(const RateSpec& spec, const PacerState& state, int64_t now_ns) {
  const int64_t intended_ns = IntendedTimeNs(spec, state, state.done);
  return now_ns > intended_ns ? now_ns - intended_ns : 0;
}

void Rebase(const RateSpec& new_spec, PacerState& state, int64_t now_ns) {
  // Unit #done is due at start + ceil((done + 1 - G) / R): choose the start
  // that puts it at now_ns.
  const uint64_t units = state.done + 1 > new_spec.grant_units
                             ? state.done + 1 - new_spec.grant_units
                             : 0;
  const int64_t offset_ns = TimeOfUnits(new_spec, 0, units);
  state.start_ns = offset_ns == kNeverNs ? now_ns : now_ns - offset_ns;
}

uint64_t DropBacklog(const RateSpec& spec, PacerState& state, int64_t now_ns) {
  if (spec.max_backlog_units == 0) return 0;
  const uint64_t allowed = Allowed(spec, state, now_ns);
  if (allowed <= state.done || allowed - state.done <= spec.max_backlog_units) {
    return 0;
  }
  const uint64_t dropped = allowed - state.done - spec.max_backlog_units;
  state.done += dropped;
  return dropped;
}

}  // namespace tcpkali::engine
