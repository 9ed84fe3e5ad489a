#include "testing/io_uring_available.h"

#include <liburing.h>

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>

#include "absl/strings/str_cat.h"

namespace tcpkali::testing {
namespace {

std::optional<std::string> Probe() {
  const char* disabled = std::getenv(kDisableIoUringEnv);
  if (disabled != nullptr && disabled[0] != '\0' &&
      std::strcmp(disabled, "0") != 0) {
    return absl::StrCat(kDisableIoUringEnv, " is set");
  }
  io_uring ring;
  const int rc = io_uring_queue_init(2, &ring, 0);
  if (rc == 0) {
    io_uring_queue_exit(&ring);
    return std::nullopt;
  }
  if (!MeansIoUringUnavailable(-rc)) return std::nullopt;  // let tests fail
  const char* name = strerrorname_np(-rc);
  return absl::StrCat("io_uring_setup: ", std::strerror(-rc), " (",
                      name != nullptr ? name : "?", ")");
}

}  // namespace

bool MeansIoUringUnavailable(int setup_errno) {
  return setup_errno == ENOSYS || setup_errno == EPERM;
}

std::optional<std::string> IoUringUnavailableReason() {
  static const std::optional<std::string> reason = Probe();
  return reason;
}

bool SkipWithoutIoUring() {
  static const bool skip = [] {
    const std::optional<std::string> reason = IoUringUnavailableReason();
    if (reason) {
      std::fprintf(stderr,
                   "io_uring is unavailable here (%s): skipping the tests "
                   "that need the kernel ring\n",
                   reason->c_str());
    }
    return reason.has_value();
  }();
  return skip;
}

}  // namespace tcpkali::testing
