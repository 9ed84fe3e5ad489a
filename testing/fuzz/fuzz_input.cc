#include "testing/fuzz/fuzz_input.h"

#include <algorithm>

#include "engine/fast_random.h"

namespace tcpkali::testing {

uint8_t FuzzInput::TakeByte() {
  if (size_ == 0) return 0;
  --size_;
  return static_cast<uint8_t>(data_[size_]);
}

uint64_t FuzzInput::TakeU64() {
  uint64_t value = 0;
  for (int i = 0; i < 8 && size_ > 0; ++i) {
    value |= uint64_t{TakeByte()} << (8 * i);
  }
  return value;
}

uint32_t FuzzInput::TakeBelow(uint32_t bound) {
  if (bound == 0) return 0;
  return TakeByte() % bound;
}

std::vector<size_t> SplitLengths(size_t total, uint64_t seed) {
  engine::FastRandom rng(seed);
  std::vector<size_t> lengths;
  size_t left = total;
  // Zero-length pieces are allowed, but never two in a row, so the loop
  // always ends within 2 * total + 1 pieces.
  bool last_empty = false;
  while (left > 0) {
    const uint64_t roll = rng.Uniform(16);
    size_t n = roll < 12   ? rng.Uniform(4)
               : roll < 15 ? 4 + rng.Uniform(60)
                           : 1 + rng.Uniform(left);
    if (n == 0 && last_empty) n = 1;
    n = std::min(n, left);
    lengths.push_back(n);
    left -= n;
    last_empty = n == 0;
  }
  return lengths;
}

}  // namespace tcpkali::testing
