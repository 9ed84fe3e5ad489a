// FuzzInput: turns one libFuzzer input into the values a fuzz target needs,
// and SplitLengths(), which cuts a byte stream into random pieces so that
// incremental parsers are fed the way receives arrive.
//
// Parameters (flags, small integers, seeds) are taken from the back of the
// input and the text under test is what remains at the front, so corpus
// files stay readable: a seed file is the text itself followed by a few
// parameter bytes, and an input that runs out of parameter bytes simply gets
// zeros (the first, simplest configuration).
//
// Example:
//   FuzzInput in(data, size);
//   const bool masked = in.TakeBool();
//   const uint64_t seed = in.TakeU64();
//   std::string_view text = in.Rest();
//   for (size_t n : SplitLengths(text.size(), seed)) { ... }
#ifndef TCPKALI_TESTING_FUZZ_FUZZ_INPUT_H_
#define TCPKALI_TESTING_FUZZ_FUZZ_INPUT_H_

#include <cstddef>
#include <cstdint>
#include <string_view>
#include <vector>

namespace tcpkali::testing {

// A view of one fuzz input; the bytes must outlive it. Used by one thread.
class FuzzInput {
 public:
  FuzzInput(const uint8_t* data, size_t size)
      : data_(reinterpret_cast<const char*>(data)), size_(size) {}

  // Takes the last byte, or 0 when the input is used up.
  uint8_t TakeByte();
  // A bit of the last byte (which is consumed): false when used up.
  bool TakeBool() { return (TakeByte() & 1) != 0; }
  // Up to 8 bytes from the back, little-endian: missing bytes are zeros.
  uint64_t TakeU64();
  // A value in [0, bound) from one byte (bound <= 256); 0 when bound is 0.
  uint32_t TakeBelow(uint32_t bound);

  // Everything not taken yet, from the front.
  std::string_view Rest() const { return {data_, size_}; }
  size_t remaining() const { return size_; }

 private:
  const char* data_;
  size_t size_;
};

// Cuts `total` bytes into consecutive piece lengths that add up to `total`,
// chosen by a generator seeded with `seed`: mostly tiny pieces (0..3 bytes,
// zero-length ones included, since a receive of nothing must be harmless),
// now and then up to 63 bytes, and rarely a long one. The same
// (total, seed) always gives the same pieces.
std::vector<size_t> SplitLengths(size_t total, uint64_t seed);

}  // namespace tcpkali::testing

#endif  // TCPKALI_TESTING_FUZZ_FUZZ_INPUT_H_
