// Whether this process may use io_uring at all, for tests that need the
// kernel ring: where io_uring is missing (an old or stripped kernel) or
// forbidden (kernel.io_uring_disabled, a container's seccomp profile), those
// tests are skipped, saying why, instead of failing. Everything that can be
// tested without the kernel runs against testing/fake_ring.h regardless.
//
// Example:
//   TEST_CASE("multishot receive" * doctest::skip(testing::SkipWithoutIoUring())) {
//     auto ring = engine::UringRing::Create({});
//     REQUIRE(ring.ok());  // a real failure here, not a missing io_uring
//     ...
//   }
#ifndef TCPKALI_TESTING_IO_URING_AVAILABLE_H_
#define TCPKALI_TESTING_IO_URING_AVAILABLE_H_

#include <optional>
#include <string>

namespace tcpkali::testing {

// Set to a non-empty value other than "0" in the environment, this makes
// IoUringUnavailableReason() report io_uring as unavailable, so that the
// skip path runs on a machine that has io_uring (disabling it for real is
// machine-wide: kernel.io_uring_disabled).
inline constexpr char kDisableIoUringEnv[] = "TCPKALI_TEST_DISABLE_IO_URING";

// True when io_uring_setup() failing with `setup_errno` means io_uring is
// unavailable to this process (ENOSYS: not in the kernel, or filtered by
// seccomp; EPERM: kernel.io_uring_disabled, or a sandbox policy), as
// opposed to a failure the test should report (ENOMEM, EMFILE, EINVAL...).
bool MeansIoUringUnavailable(int setup_errno);

// Why io_uring cannot be used here ("io_uring_setup: Operation not
// permitted (EPERM)"), or nullopt when a ring can be set up. Probes with a
// tiny ring on the first call and remembers the answer; any thread.
std::optional<std::string> IoUringUnavailableReason();

// For doctest's skip decorator: true when io_uring is unavailable, after
// printing the reason to stderr (once per process).
bool SkipWithoutIoUring();

}  // namespace tcpkali::testing

#endif  // TCPKALI_TESTING_IO_URING_AVAILABLE_H_
