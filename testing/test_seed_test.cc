#include "testing/test_seed.h"

#include <doctest/doctest.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdint>
#include <cstdlib>
#include <optional>
#include <string>

namespace tcpkali::testing {
namespace {

TEST_CASE("ParseTestSeed takes decimal and 0x hex, nothing else") {
  struct Row {
    const char* text;
    std::optional<uint64_t> seed;
  };
  const Row rows[] = {
      {"0", 0},
      {"42", 42},
      {"18446744073709551615", UINT64_MAX},
      {"0x2a", 42},
      {"0X2A", 42},
      {"0xffffffffffffffff", UINT64_MAX},
      {"007", 7},  // decimal, not octal
      {"", std::nullopt},
      {"0x", std::nullopt},
      {"18446744073709551616", std::nullopt},
      {"0x10000000000000000", std::nullopt},
      {"-1", std::nullopt},
      {"+1", std::nullopt},
      {" 1", std::nullopt},
      {"1 ", std::nullopt},
      {"12abc", std::nullopt},
      {"0x0x1", std::nullopt},
      {"ff", std::nullopt},
  };
  for (const Row& row : rows) {
    CAPTURE(row.text);
    CHECK(ParseTestSeed(row.text) == row.seed);
  }
}

TEST_CASE("SeedNote says how to replay") {
  CHECK(SeedNote(1234) == "seed 1234 (rerun with TCPKALI_TEST_SEED=1234)");
}

// What TestSeed() does in a fresh process whose TCPKALI_TEST_SEED is
// `env` (unset when null): a child is forked, so that the first call, which
// fixes the seed for good, happens there.
struct ChildSeeds {
  bool exited = false;  // normally; otherwise killed by `signal`
  int signal = 0;
  uint64_t first = 0;
  uint64_t second = 0;
};

ChildSeeds SeedsInChild(const char* env) {
  int fds[2];
  REQUIRE(pipe(fds) == 0);
  const pid_t pid = fork();
  REQUIRE(pid >= 0);
  if (pid == 0) {
    close(fds[0]);
    // Its own message on abort is expected; keep the test's log clean.
    if (std::freopen("/dev/null", "w", stderr) == nullptr) _exit(2);
    if (env == nullptr) {
      unsetenv(kTestSeedEnv);
    } else {
      setenv(kTestSeedEnv, env, 1);
    }
    const uint64_t seeds[2] = {TestSeed(), TestSeed()};
    const bool written = write(fds[1], seeds, sizeof(seeds)) == sizeof(seeds);
    _exit(written ? 0 : 1);
  }
  close(fds[1]);
  ChildSeeds out;
  uint64_t seeds[2] = {0, 0};
  const ssize_t n = read(fds[0], seeds, sizeof(seeds));
  close(fds[0]);
  int status = 0;
  REQUIRE(waitpid(pid, &status, 0) == pid);
  out.exited = WIFEXITED(status) && WEXITSTATUS(status) == 0 &&
               n == static_cast<ssize_t>(sizeof(seeds));
  out.signal = WIFSIGNALED(status) ? WTERMSIG(status) : 0;
  out.first = seeds[0];
  out.second = seeds[1];
  return out;
}

TEST_CASE("TestSeed() is TCPKALI_TEST_SEED when set, on every call") {
  for (const char* env : {"1234", "0x4d2"}) {
    CAPTURE(env);
    const ChildSeeds seeds = SeedsInChild(env);
    REQUIRE(seeds.exited);
    CHECK(seeds.first == 1234);
    CHECK(seeds.second == 1234);
  }
}

TEST_CASE("TestSeed() without TCPKALI_TEST_SEED: drawn once, then kept") {
  const ChildSeeds a = SeedsInChild(nullptr);
  const ChildSeeds b = SeedsInChild(nullptr);
  REQUIRE(a.exited);
  REQUIRE(b.exited);
  CHECK(a.first == a.second);
  CHECK(b.first == b.second);
  // 64 random bits each: equal with probability 2^-64.
  CHECK(a.first != b.first);
}

TEST_CASE("a TCPKALI_TEST_SEED that is not a number aborts") {
  const ChildSeeds seeds = SeedsInChild("12abc");
  CHECK_FALSE(seeds.exited);
  CHECK(seeds.signal == SIGABRT);
}

}  // namespace
}  // namespace tcpkali::testing
