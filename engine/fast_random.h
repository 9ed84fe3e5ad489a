// FastRandom: a small, fast, seedable pseudo-random generator for traffic
// content (regex strings, WebSocket mask keys), and MixSeed(), which derives
// independent seeds from a run seed so that per-connection random content
// is a pure function of (run seed, connection uid, expression index) and
// needs no per-connection storage.
//
// The generator is xoshiro256** (Blackman and Vigna), seeded by expanding a
// 64-bit seed with splitmix64, as its authors recommend. It is not
// cryptographic: RFC 6455 asks for unpredictable mask keys to defeat cache
// poisoning by hostile scripts, which a load generator talking to servers
// its user chose does not face; what matters here is a fresh key per frame.
//
// Example:
//   FastRandom rng(MixSeed(run_seed, connection_uid, expression_index));
//   uint64_t die = rng.Uniform(6) + 1;    // 1..6
//   uint32_t mask_key = rng.Next32();
//
// Header-only, no allocation, no global state. One instance per thread.
#ifndef TCPKALI_ENGINE_FAST_RANDOM_H_
#define TCPKALI_ENGINE_FAST_RANDOM_H_

#include <cstdint>
#include <limits>

namespace tcpkali::engine {

// One step of splitmix64: advances `state` and returns a well-mixed value.
// Any state, including 0, gives a good sequence.
constexpr uint64_t SplitMix64(uint64_t& state) {
  uint64_t z = (state += 0x9E3779B97F4A7C15ULL);
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
  return z ^ (z >> 31);
}

// Derives a seed from (run_seed, a, b). Distinct triples give seeds that are
// unrelated for practical purposes (each input passes through a full
// splitmix64 round before the next is folded in), so e.g. connection 7's
// stream for expression 2 shares nothing visible with connection 2's stream
// for expression 7.
constexpr uint64_t MixSeed(uint64_t run_seed, uint64_t a, uint64_t b) {
  uint64_t state = run_seed;
  uint64_t h = SplitMix64(state);
  state = h ^ a;
  h = SplitMix64(state);
  state = h ^ b;
  return SplitMix64(state);
}

// xoshiro256**. Owned by one thread; copying it forks the sequence.
// Satisfies std::uniform_random_bit_generator, so it also works with the
// standard distributions (tests use that; the engine uses Uniform()).
class FastRandom {
 public:
  using result_type = uint64_t;

  // Seeds the four words of state from `seed` with splitmix64, which never
  // yields the all-zero state xoshiro must avoid.
  explicit constexpr FastRandom(uint64_t seed) {
    uint64_t sm = seed;
    for (uint64_t& word : s_) word = SplitMix64(sm);
  }

  static constexpr result_type min() { return 0; }
  static constexpr result_type max() {
    return std::numeric_limits<uint64_t>::max();
  }

  // The next 64 uniformly distributed bits.
  constexpr uint64_t Next() {
    const uint64_t result = Rotl(s_[1] * 5, 7) * 9;
    const uint64_t t = s_[1] << 17;
    s_[2] ^= s_[0];
    s_[3] ^= s_[1];
    s_[1] ^= s_[2];
    s_[0] ^= s_[3];
    s_[2] ^= t;
    s_[3] = Rotl(s_[3], 45);
    return result;
  }
  constexpr uint64_t operator()() { return Next(); }

  // 32 uniformly distributed bits (the high half, the better one).
  constexpr uint32_t Next32() { return static_cast<uint32_t>(Next() >> 32); }

  // A value in [0, n); n must be at least 1 (0 returns 0). Lemire's
  // multiply-shift: one multiplication, no division, and a bias below
  // n / 2^64, which is invisible at the sizes used here (n <= 2^32).
  constexpr uint64_t Uniform(uint64_t n) {
    return static_cast<uint64_t>((static_cast<unsigned __int128>(Next()) * n) >>
                                 64);
  }

 private:
  static constexpr uint64_t Rotl(uint64_t x, int k) {
    return (x << k) | (x >> (64 - k));
  }

  uint64_t s_[4] = {};
};

}  // namespace tcpkali::engine

#endif  // TCPKALI_ENGINE_FAST_RANDOM_H_
