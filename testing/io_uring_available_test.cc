#include "testing/io_uring_available.h"

#include <doctest/doctest.h>
#include <liburing.h>

#include <cerrno>

namespace tcpkali::testing {
namespace {

TEST_CASE("only a missing or forbidden io_uring counts as unavailable") {
  struct Case {
    int setup_errno;
    bool unavailable;
  };
  const Case cases[] = {
      {ENOSYS, true},   // not in the kernel, or filtered by seccomp
      {EPERM, true},    // kernel.io_uring_disabled, a sandbox
      {ENOMEM, false},  // locked-memory limit: a real failure to report
      {EMFILE, false},
      {EINVAL, false},
      {0, false},
  };
  for (const Case& c : cases) {
    CAPTURE(c.setup_errno);
    CHECK(MeansIoUringUnavailable(c.setup_errno) == c.unavailable);
  }
}

TEST_CASE("the probe agrees with setting up a ring directly") {
  const std::optional<std::string> reason = IoUringUnavailableReason();
  CHECK(SkipWithoutIoUring() == reason.has_value());
  CHECK(IoUringUnavailableReason() == reason);  // probed once, remembered
  if (reason && reason->find(kDisableIoUringEnv) != std::string::npos) return;
  io_uring ring;
  const int rc = io_uring_queue_init(2, &ring, 0);
  if (rc == 0) io_uring_queue_exit(&ring);
  CHECK(reason.has_value() == (rc < 0 && MeansIoUringUnavailable(-rc)));
}

}  // namespace
}  // namespace tcpkali::testing
