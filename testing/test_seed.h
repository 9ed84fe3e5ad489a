// The seed of a test binary's randomised tests, one knob for all of them:
// TCPKALI_TEST_SEED replays a run, and without it every run draws a fresh
// seed, so that over many runs the tests see many inputs. The seed in use
// is printed once per process, and a test names it again next to its
// failures with INFO(SeedNote(seed)).
//
// Example:
//   TEST_CASE("random frames decode as they were encoded") {
//     const uint64_t seed = testing::TestSeed();
//     INFO(testing::SeedNote(seed));
//     std::mt19937_64 rng(seed);
//     ...
//   }
//
// and, to replay a failure: TCPKALI_TEST_SEED=1234 bazel-bin/engine/foo_test
// (or bazel test --test_env=TCPKALI_TEST_SEED=1234 //engine:foo_test).
#ifndef TCPKALI_TESTING_TEST_SEED_H_
#define TCPKALI_TESTING_TEST_SEED_H_

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace tcpkali::testing {

// The environment variable that fixes the seed.
inline constexpr char kTestSeedEnv[] = "TCPKALI_TEST_SEED";

// The value of a TCPKALI_TEST_SEED setting: a decimal number, or a
// hexadecimal one after "0x" or "0X", that fits 64 bits. nullopt for
// anything else (empty, a sign, spaces, trailing text, overflow).
[[nodiscard]] std::optional<uint64_t> ParseTestSeed(std::string_view text);

// This process's seed: TCPKALI_TEST_SEED when set, otherwise 64 bits drawn
// from std::random_device on the first call. Every call returns the same
// value, from any thread; the first one prints
// "seed: N (rerun with TCPKALI_TEST_SEED=N)" to stderr. A TCPKALI_TEST_SEED
// that ParseTestSeed() rejects aborts the process with a message: a replay
// that quietly ran another seed would mislead.
[[nodiscard]] uint64_t TestSeed();

// "seed N (rerun with TCPKALI_TEST_SEED=N)", for doctest's INFO().
std::string SeedNote(uint64_t seed);

}  // namespace tcpkali::testing

#endif  // TCPKALI_TESTING_TEST_SEED_H_
