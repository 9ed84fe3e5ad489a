#include "engine/rate_search.h"

#include <cmath>

namespace tcpkali::engine {

RateSearch::RateSearch(int64_t target_ns, double start_rate)
    : target_ns_(target_ns), rate_(start_rate) {}

void RateSearch::Observe(std::optional<int64_t> p95_ns, double achieved_fraction) {
  if (done_) return;
  ++steps_;
  const bool ok = p95_ns.has_value() && *p95_ns < target_ns_ &&
                  achieved_fraction >= 0.9;
  if (ok) {
    good_ = rate_;
  } else {
    bad_ = rate_;
  }
  if (!good_) {
    done_ = true;  // the slowest rate tried already misses the target
    return;
  }
  if (!bad_) {
    if (rate_ >= kMaxRate) {
      best_ = rate_;
      done_ = true;
      return;
    }
    rate_ = std::fmin(rate_ * 4, kMaxRate);
  } else if (*bad_ <= *good_ * kPrecision) {
    best_ = good_;
    done_ = true;
    return;
  } else {
    rate_ = std::sqrt(*good_ * *bad_);  // bisect on a log scale
  }
  if (steps_ >= kMaxSteps) done_ = true;
}

}  // namespace tcpkali::engine
