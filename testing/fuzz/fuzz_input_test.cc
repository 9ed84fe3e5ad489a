#include "testing/fuzz/fuzz_input.h"

#include <doctest/doctest.h>

#include <cstdint>
#include <numeric>
#include <random>
#include <string_view>
#include <vector>

#include "testing/test_seed.h"

namespace tcpkali::testing {
namespace {

const uint8_t* Bytes(std::string_view s) {
  return reinterpret_cast<const uint8_t*>(s.data());
}

TEST_CASE("FuzzInput takes parameters from the back and leaves the front") {
  const std::string_view text = "hello\x01\x02\x03";
  FuzzInput in(Bytes(text), text.size());
  CHECK(in.TakeByte() == 0x03);
  CHECK(in.TakeBool() == false);  // 0x02
  CHECK(in.TakeBelow(7) == 1);    // 0x01 % 7
  CHECK(in.Rest() == "hello");
  CHECK(in.remaining() == 5);
}

TEST_CASE("FuzzInput gives zeros once used up, never reading past it") {
  const std::string_view text = "\xff\x01";
  FuzzInput in(Bytes(text), text.size());
  // Little-endian from the back: 0x01 is the low byte, 0xff the next.
  CHECK(in.TakeU64() == 0xff01);
  CHECK(in.Rest().empty());
  CHECK(in.TakeByte() == 0);
  CHECK(in.TakeBool() == false);
  CHECK(in.TakeU64() == 0);
  CHECK(in.TakeBelow(0) == 0);

  FuzzInput empty(nullptr, 0);
  CHECK(empty.TakeU64() == 0);
  CHECK(empty.Rest().empty());
}

TEST_CASE("SplitLengths covers the whole stream, reproducibly") {
  const uint64_t seed = TestSeed();
  INFO(SeedNote(seed));
  std::mt19937_64 rng(seed);
  for (size_t total :
       {size_t{0}, size_t{1}, size_t{2}, size_t{7}, size_t{64}, size_t{1000}}) {
    for (int round = 0; round < 50; ++round) {
      const uint64_t split_seed = rng();
      const std::vector<size_t> lengths = SplitLengths(total, split_seed);
      CHECK(std::accumulate(lengths.begin(), lengths.end(), size_t{0}) ==
            total);
      CHECK(lengths.size() <= 2 * total + 1);
      CHECK(SplitLengths(total, split_seed) == lengths);
      for (size_t i = 1; i < lengths.size(); ++i) {
        CHECK((lengths[i - 1] != 0 || lengths[i] != 0));
      }
    }
  }
}

TEST_CASE("SplitLengths cuts a long stream into several pieces") {
  // Feeding a parser one buffer would test nothing incremental. Fixed
  // seeds: the figure is a property of the distribution, not of luck.
  size_t pieces = 0;
  size_t single = 0;
  for (uint64_t seed = 0; seed < 100; ++seed) {
    const size_t n = SplitLengths(100, seed).size();
    pieces += n;
    single += n == 1;
  }
  CHECK(pieces / 100 >= 10);
  CHECK(single <= 10);
  CHECK(SplitLengths(0, 1).empty());
}

}  // namespace
}  // namespace tcpkali::testing
