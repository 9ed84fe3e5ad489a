// A log-linear latency histogram (HdrHistogram's layout): values in
// nanoseconds, 3 significant digits (every recorded value comes back within
// 0.1%), from 0 to 2^42 ns (73 minutes) in fixed memory, O(1) to record.
//
// Two types: LatencyHistogram is what a worker records into (one writer,
// any number of concurrent readers, no read-modify-write atomics), and
// HistogramSnapshot is the plain copy the stats thread merges, subtracts
// and asks for percentiles.
//
// Example (worker thread):
//   auto histogram = stats::LatencyHistogram::Create();  // StatusOr
//   (*histogram)->Record(elapsed_ns);
// Example (stats thread):
//   stats::HistogramSnapshot total;
//   for (const LatencyHistogram* h : per_worker) h->AddTo(&total);
//   int64_t p99_ns = total.ValueAtPercentile(99);
#ifndef TCPKALI_STATS_HISTOGRAM_H_
#define TCPKALI_STATS_HISTOGRAM_H_

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <vector>

#include "absl/status/statusor.h"

namespace tcpkali::stats {

namespace histogram_internal {
// 2048 sub-buckets per power of two keep the relative bucket width at or
// below 1/1024 (< 0.1%); 32 powers of two reach 2^42 ns.
inline constexpr int kSubBucketHalfBits = 10;
inline constexpr int kSubBucketBits = kSubBucketHalfBits + 1;
inline constexpr int kBucketCount = 32;
inline constexpr size_t kGroupCounts = size_t{1} << kSubBucketHalfBits;
inline constexpr size_t kCounts = (kBucketCount + 1) * kGroupCounts;
// Counters are grouped by 1024 (8 KiB); a reader visits only the groups a
// writer has touched, which a 64-bit mask records.
inline constexpr int kGroups = kBucketCount + 1;
static_assert(kGroups <= 64);

// The counter a value falls in: values below 2048 have one counter each,
// above that each power of two is split into 1024 equal counters.
inline size_t CountsIndex(uint64_t value) {
  const int bucket =
      64 - __builtin_clzll(value | ((uint64_t{1} << kSubBucketBits) - 1)) -
      kSubBucketBits;
  const uint64_t sub_bucket = value >> bucket;
  return (static_cast<size_t>(bucket) << kSubBucketHalfBits) + sub_bucket;
}
// The range of values counter `index` stands for.
uint64_t LowestEquivalent(size_t index);
uint64_t HighestEquivalent(size_t index);
}  // namespace histogram_internal

// The largest value a histogram tells apart; larger ones are recorded as
// this and counted as clamped.
inline constexpr int64_t kHistogramMaxNs =
    (int64_t{1} << (histogram_internal::kSubBucketBits +
                    histogram_internal::kBucketCount - 1)) -
    1;

// The rank (1-based, into the sorted values) that `percentile` (0..100)
// names among `count` values: ceil(count * percentile / 100), at least 1.
// ValueAtPercentile() returns the value of this rank, give or take 0.1%.
uint64_t PercentileRank(double percentile, uint64_t count);

// A plain copy of a histogram, or the merge or difference of several.
// Owned by one thread (the stats thread, or a test). Holds a fixed
// 264 KiB array whatever it contains.
class HistogramSnapshot {
 public:
  HistogramSnapshot();

  // Back to empty. Cost proportional to the groups in use.
  void Clear();
  // Adds every value of `other`: the result is what recording both value
  // streams into one histogram would have given.
  void Merge(const HistogramSnapshot& other);
  // Removes the values of `earlier`, a snapshot of the same histograms
  // taken before this one: the result holds the values recorded in between.
  // min and max of the result are exact when they were new extremes of the
  // whole, otherwise they come from the buckets (within 0.1%).
  void Subtract(const HistogramSnapshot& earlier);

  // Values recorded (clamped ones included).
  uint64_t count() const { return count_; }
  // Values that were negative or above kHistogramMaxNs.
  uint64_t clamped() const { return clamped_; }
  // Exact extremes (0 when empty; see Subtract()).
  int64_t min_ns() const { return count_ == 0 ? 0 : min_ns_; }
  int64_t max_ns() const { return count_ == 0 ? 0 : max_ns_; }
  // Exact mean of the recorded (post-clamp) values; 0 when empty.
  double mean_ns() const { return count_ == 0 ? 0 : sum_ns_ / count_; }
  // The value at `percentile` (0..100, clamped to that range): within 0.1%
  // of the PercentileRank()-th smallest recorded value, never below min_ns()
  // nor above max_ns(). 0 when empty.
  int64_t ValueAtPercentile(double percentile) const;

 private:
  friend class LatencyHistogram;
  void RecomputeExtremes();

  std::vector<uint64_t> counts_;
  uint64_t group_mask_ = 0;  // bit g: counts_ of group g may be non-zero
  uint64_t count_ = 0;
  uint64_t clamped_ = 0;
  double sum_ns_ = 0;
  int64_t min_ns_ = 0;
  int64_t max_ns_ = 0;
};

// Owned by one worker, written only from its thread; any thread may read it
// concurrently (AddTo) at any time. The 264 KiB counter array lives in its
// own anonymous mapping, so the pages of buckets never touched cost no
// memory: a run with many workers and several kinds stays small.
class LatencyHistogram {
 public:
  // Maps the counter array. Fails (ResourceExhausted) only when the address
  // space is exhausted.
  [[nodiscard]] static absl::StatusOr<std::unique_ptr<LatencyHistogram>>
  Create();
  ~LatencyHistogram();
  LatencyHistogram(const LatencyHistogram&) = delete;
  LatencyHistogram& operator=(const LatencyHistogram&) = delete;

  // Records one value. Negative values record as 0, values above
  // kHistogramMaxNs as kHistogramMaxNs; both are counted as clamped. O(1),
  // never allocates, never blocks. Writer thread only.
  void Record(int64_t value_ns) {
    uint64_t value = static_cast<uint64_t>(value_ns);
    if (value_ns < 0 || value_ns > kHistogramMaxNs) {
      value = value_ns < 0 ? 0 : kHistogramMaxNs;
      Bump(clamped_, 1);
    }
    const size_t index = histogram_internal::CountsIndex(value);
    BumpCount(index);
    const uint64_t group_bit =
        uint64_t{1} << (index >> histogram_internal::kSubBucketHalfBits);
    const uint64_t mask = group_mask_.load(std::memory_order_relaxed);
    if ((mask & group_bit) == 0) {
      group_mask_.store(mask | group_bit, std::memory_order_relaxed);
    }
    Bump(sum_ns_, value);
    if (value < min_ns_.load(std::memory_order_relaxed)) {
      min_ns_.store(value, std::memory_order_relaxed);
    }
    if (value > max_ns_.load(std::memory_order_relaxed)) {
      max_ns_.store(value, std::memory_order_relaxed);
    }
  }

  // Adds this histogram's values to `out` (relaxed reads: a value recorded
  // concurrently may or may not be included, and is included by the next
  // call). Visits only the counter groups in use. Any thread.
  void AddTo(HistogramSnapshot* out) const;

  // Bytes of address space the counters take: fixed, whatever is recorded.
  static size_t MappedBytes();
  // The counter array, for tests that check residency with mincore().
  const void* counts_address() const { return counts_; }

 private:
  explicit LatencyHistogram(uint64_t* counts) : counts_(counts) {}
  static void Bump(std::atomic<uint64_t>& field, uint64_t n) {
    field.store(field.load(std::memory_order_relaxed) + n,
                std::memory_order_relaxed);
  }
  void BumpCount(size_t index) {
    std::atomic_ref<uint64_t> slot(counts_[index]);
    slot.store(slot.load(std::memory_order_relaxed) + 1,
               std::memory_order_relaxed);
  }

  // Plain uint64_t in zero-filled anonymous pages, accessed through
  // std::atomic_ref so that no constructor has to touch (and so commit)
  // every page up front.
  uint64_t* counts_;
  std::atomic<uint64_t> group_mask_{0};
  std::atomic<uint64_t> clamped_{0};
  std::atomic<uint64_t> sum_ns_{0};
  std::atomic<uint64_t> min_ns_{UINT64_MAX};
  std::atomic<uint64_t> max_ns_{0};
};

}  // namespace tcpkali::stats

#endif  // TCPKALI_STATS_HISTOGRAM_H_
