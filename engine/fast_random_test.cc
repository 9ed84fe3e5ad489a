#include "engine/fast_random.h"

#include <doctest/doctest.h>

#include <array>
#include <cstdlib>
#include <random>
#include <set>

namespace tcpkali::engine {
namespace {

static_assert(std::uniform_random_bit_generator<FastRandom>);

TEST_CASE("splitmix64 gives the reference sequence") {
  // First outputs of the reference splitmix64.c for state 0.
  uint64_t state = 0;
  CHECK(SplitMix64(state) == 0xE220A8397B1DCDAFULL);
  CHECK(SplitMix64(state) == 0x6E789E6AA1B965F4ULL);
  CHECK(SplitMix64(state) == 0x06C45D188009454FULL);
}

TEST_CASE("xoshiro256** follows the reference algorithm") {
  // The reference next() from xoshiro256starstar.c, seeded the same way.
  uint64_t sm = 12345;
  std::array<uint64_t, 4> s;
  for (uint64_t& w : s) w = SplitMix64(sm);
  auto rotl = [](uint64_t x, int k) { return (x << k) | (x >> (64 - k)); };
  auto next = [&] {
    const uint64_t result = rotl(s[1] * 5, 7) * 9;
    const uint64_t t = s[1] << 17;
    s[2] ^= s[0];
    s[3] ^= s[1];
    s[1] ^= s[2];
    s[0] ^= s[3];
    s[2] ^= t;
    s[3] = rotl(s[3], 45);
    return result;
  };
  FastRandom rng(12345);
  for (int i = 0; i < 1000; ++i) REQUIRE(rng.Next() == next());
}

TEST_CASE("Next32 is the high half of the next word") {
  FastRandom a(5);
  FastRandom b(5);
  for (int i = 0; i < 100; ++i) CHECK(a.Next32() == (b.Next() >> 32));
}

TEST_CASE("Uniform stays in range and hits every value about equally") {
  FastRandom rng(2024);
  for (uint64_t n : {1ULL, 2ULL, 3ULL, 7ULL, 10ULL, 95ULL, 1000ULL}) {
    CAPTURE(n);
    std::vector<int> counts(n, 0);
    const int draws = 2000 * static_cast<int>(n);
    for (int i = 0; i < draws; ++i) {
      const uint64_t v = rng.Uniform(n);
      REQUIRE(v < n);
      ++counts[v];
    }
    for (int c : counts) {
      // Expected 2000 each; +-15% is over 6 standard deviations.
      CHECK(c > 1700);
      CHECK(c < 2300);
    }
  }
  CHECK(rng.Uniform(0) == 0);
}

TEST_CASE("MixSeed is deterministic and separates its inputs") {
  CHECK(MixSeed(1, 2, 3) == MixSeed(1, 2, 3));
  std::set<uint64_t> seeds;
  for (uint64_t run : {0ULL, 1ULL}) {
    for (uint64_t a = 0; a < 30; ++a) {
      for (uint64_t b = 0; b < 30; ++b) seeds.insert(MixSeed(run, a, b));
    }
  }
  CHECK(seeds.size() == 2 * 30 * 30);
  // Swapping the inputs gives another seed.
  CHECK(MixSeed(9, 7, 2) != MixSeed(9, 2, 7));
  // Neighbouring connections get unrelated streams.
  FastRandom a(MixSeed(42, 1, 0));
  FastRandom b(MixSeed(42, 2, 0));
  int same = 0;
  for (int i = 0; i < 64; ++i) same += a.Next() == b.Next();
  CHECK(same == 0);
}

TEST_CASE("copies fork the sequence") {
  FastRandom a(77);
  a.Next();
  FastRandom b = a;
  for (int i = 0; i < 10; ++i) CHECK(a.Next() == b.Next());
}

}  // namespace
}  // namespace tcpkali::engine
