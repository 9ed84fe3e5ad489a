#include "testing/test_seed.h"

#include <charconv>
#include <cstdio>
#include <cstdlib>
#include <random>

#include "absl/strings/str_cat.h"

namespace tcpkali::testing {
namespace {

uint64_t SeedFromEnvironment() {
  const char* env = std::getenv(kTestSeedEnv);
  if (env == nullptr) {
    std::random_device device;
    return (static_cast<uint64_t>(device()) << 32) | device();
  }
  const std::optional<uint64_t> seed = ParseTestSeed(env);
  if (!seed.has_value()) {
    std::fprintf(stderr,
                 "%s=\"%s\" is not a seed: expected a 64-bit decimal number "
                 "or 0x and hex digits\n",
                 kTestSeedEnv, env);
    std::abort();
  }
  return *seed;
}

}  // namespace

std::optional<uint64_t> ParseTestSeed(std::string_view text) {
  int base = 10;
  if (text.starts_with("0x") || text.starts_with("0X")) {
    text.remove_prefix(2);
    base = 16;
  }
  // from_chars takes no sign, spaces or prefix of its own; it rejects an
  // empty text and reports overflow.
  uint64_t value = 0;
  const char* end = text.data() + text.size();
  const auto [stop, error] = std::from_chars(text.data(), end, value, base);
  if (error != std::errc() || stop != end) return std::nullopt;
  return value;
}

uint64_t TestSeed() {
  static const uint64_t seed = [] {
    const uint64_t s = SeedFromEnvironment();
    std::fprintf(stderr, "seed: %llu (rerun with %s=%llu)\n",
                 static_cast<unsigned long long>(s), kTestSeedEnv,
                 static_cast<unsigned long long>(s));
    return s;
  }();
  return seed;
}

std::string SeedNote(uint64_t seed) {
  return absl::StrCat("seed ", seed, " (rerun with ", kTestSeedEnv, "=", seed,
                      ")");
}

}  // namespace tcpkali::testing
