#include "stats/histogram.h"

#include <sys/mman.h>

#include <algorithm>
#include <cmath>

#include "absl/status/status.h"

namespace tcpkali::stats {
namespace histogram_internal {

uint64_t LowestEquivalent(size_t index) {
  const size_t group = index >> kSubBucketHalfBits;
  const int bucket = group == 0 ? 0 : static_cast<int>(group) - 1;
  const uint64_t sub_bucket =
      index - (static_cast<size_t>(bucket) << kSubBucketHalfBits);
  return sub_bucket << bucket;
}

uint64_t HighestEquivalent(size_t index) {
  const size_t group = index >> kSubBucketHalfBits;
  const int bucket = group == 0 ? 0 : static_cast<int>(group) - 1;
  return LowestEquivalent(index) + (uint64_t{1} << bucket) - 1;
}

}  // namespace histogram_internal

namespace hi = histogram_internal;

uint64_t PercentileRank(double percentile, uint64_t count) {
  if (count == 0) return 0;
  const double p = std::clamp(percentile, 0.0, 100.0);
  // The small slack keeps 99.5% of 1000 at rank 995: p / 100 * count is
  // not exact in binary and would otherwise round up to 996.
  const double exact = p / 100.0 * static_cast<double>(count);
  const double rank = std::ceil(exact - 1e-9 * std::max(1.0, exact));
  return std::clamp<uint64_t>(static_cast<uint64_t>(std::max(rank, 1.0)), 1,
                              count);
}

// ---- HistogramSnapshot -----------------------------------------------------

HistogramSnapshot::HistogramSnapshot() : counts_(hi::kCounts, 0) {}

void HistogramSnapshot::Clear() {
  for (int g = 0; g < hi::kGroups; ++g) {
    if ((group_mask_ >> g & 1) == 0) continue;
    std::fill_n(counts_.begin() + g * hi::kGroupCounts, hi::kGroupCounts, 0);
  }
  group_mask_ = 0;
  count_ = 0;
  clamped_ = 0;
  sum_ns_ = 0;
  min_ns_ = 0;
  max_ns_ = 0;
}

void HistogramSnapshot::Merge(const HistogramSnapshot& other) {
  if (other.count_ == 0) return;
  for (int g = 0; g < hi::kGroups; ++g) {
    if ((other.group_mask_ >> g & 1) == 0) continue;
    const size_t begin = g * hi::kGroupCounts;
    for (size_t i = begin; i < begin + hi::kGroupCounts; ++i) {
      counts_[i] += other.counts_[i];
    }
  }
  min_ns_ = count_ == 0 ? other.min_ns_ : std::min(min_ns_, other.min_ns_);
  max_ns_ = count_ == 0 ? other.max_ns_ : std::max(max_ns_, other.max_ns_);
  group_mask_ |= other.group_mask_;
  count_ += other.count_;
  clamped_ += other.clamped_;
  sum_ns_ += other.sum_ns_;
}

void HistogramSnapshot::Subtract(const HistogramSnapshot& earlier) {
  uint64_t count = 0;
  for (int g = 0; g < hi::kGroups; ++g) {
    if ((group_mask_ >> g & 1) == 0) continue;
    const size_t begin = g * hi::kGroupCounts;
    for (size_t i = begin; i < begin + hi::kGroupCounts; ++i) {
      const uint64_t before = earlier.counts_[i];
      counts_[i] = counts_[i] > before ? counts_[i] - before : 0;
      count += counts_[i];
    }
  }
  count_ = count;
  clamped_ = clamped_ > earlier.clamped_ ? clamped_ - earlier.clamped_ : 0;
  sum_ns_ = count == 0 ? 0 : std::max(0.0, sum_ns_ - earlier.sum_ns_);
  if (earlier.count_ == 0) return;  // nothing removed: extremes stay exact
  // An extreme that moved since `earlier` was recorded in between, so it is
  // exactly the interval's; otherwise the buckets bound it.
  const bool exact_min = min_ns_ < earlier.min_ns_;
  const bool exact_max = max_ns_ > earlier.max_ns_;
  const int64_t later_min = min_ns_;
  const int64_t later_max = max_ns_;
  RecomputeExtremes();
  if (count_ == 0) return;
  if (exact_min) min_ns_ = later_min;
  if (exact_max) max_ns_ = later_max;
}

void HistogramSnapshot::RecomputeExtremes() {
  if (count_ == 0) {
    min_ns_ = max_ns_ = 0;
    return;
  }
  const int64_t old_min = min_ns_;
  const int64_t old_max = max_ns_;
  size_t first = hi::kCounts;
  size_t last = 0;
  for (int g = 0; g < hi::kGroups; ++g) {
    if ((group_mask_ >> g & 1) == 0) continue;
    const size_t begin = g * hi::kGroupCounts;
    for (size_t i = begin; i < begin + hi::kGroupCounts; ++i) {
      if (counts_[i] == 0) continue;
      first = std::min(first, i);
      last = i;
    }
  }
  min_ns_ = std::max<int64_t>(hi::LowestEquivalent(first), old_min);
  max_ns_ = std::min<int64_t>(hi::HighestEquivalent(last), old_max);
  max_ns_ = std::max(max_ns_, min_ns_);
}

int64_t HistogramSnapshot::ValueAtPercentile(double percentile) const {
  if (count_ == 0) return 0;
  const uint64_t rank = PercentileRank(percentile, count_);
  uint64_t seen = 0;
  for (int g = 0; g < hi::kGroups; ++g) {
    if ((group_mask_ >> g & 1) == 0) continue;
    const size_t begin = g * hi::kGroupCounts;
    for (size_t i = begin; i < begin + hi::kGroupCounts; ++i) {
      seen += counts_[i];
      if (seen >= rank) {
        const int64_t value = static_cast<int64_t>(hi::HighestEquivalent(i));
        // A snapshot read while the worker was recording can have extremes
        // that lag its buckets; clamp only when they are consistent.
        if (min_ns_ > max_ns_) return value;
        return std::clamp(value, min_ns_, max_ns_);
      }
    }
  }
  return max_ns_;
}

// ---- LatencyHistogram ------------------------------------------------------

size_t LatencyHistogram::MappedBytes() {
  return hi::kCounts * sizeof(uint64_t);
}

absl::StatusOr<std::unique_ptr<LatencyHistogram>> LatencyHistogram::Create() {
  // MAP_NORESERVE: the mapping is mostly never touched; do not charge the
  // whole of it against overcommit up front.
  void* counts = mmap(nullptr, MappedBytes(), PROT_READ | PROT_WRITE,
                      MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
  if (counts == MAP_FAILED) {
    return absl::ResourceExhaustedError(
        "cannot map memory for a latency histogram: address space exhausted "
        "(check `ulimit -v`)");
  }
  return std::unique_ptr<LatencyHistogram>(
      new LatencyHistogram(static_cast<uint64_t*>(counts)));
}

LatencyHistogram::~LatencyHistogram() { munmap(counts_, MappedBytes()); }

void LatencyHistogram::AddTo(HistogramSnapshot* out) const {
  const uint64_t mask = group_mask_.load(std::memory_order_relaxed);
  uint64_t added = 0;
  for (int g = 0; g < hi::kGroups; ++g) {
    if ((mask >> g & 1) == 0) continue;
    const size_t begin = g * hi::kGroupCounts;
    for (size_t i = begin; i < begin + hi::kGroupCounts; ++i) {
      const uint64_t n =
          std::atomic_ref<uint64_t>(counts_[i]).load(std::memory_order_relaxed);
      out->counts_[i] += n;
      added += n;
    }
  }
  if (added == 0) return;
  const int64_t min_ns = static_cast<int64_t>(std::min<uint64_t>(
      min_ns_.load(std::memory_order_relaxed), kHistogramMaxNs));
  const int64_t max_ns =
      static_cast<int64_t>(max_ns_.load(std::memory_order_relaxed));
  out->min_ns_ = out->count_ == 0 ? min_ns : std::min(out->min_ns_, min_ns);
  out->max_ns_ = out->count_ == 0 ? max_ns : std::max(out->max_ns_, max_ns);
  out->group_mask_ |= mask;
  out->count_ += added;
  out->clamped_ += clamped_.load(std::memory_order_relaxed);
  out->sum_ns_ += static_cast<double>(sum_ns_.load(std::memory_order_relaxed));
}

}  // namespace tcpkali::stats
