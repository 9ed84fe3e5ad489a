#include "testing/peers/stalled_listener.h"

#include <utility>

#include "absl/status/status.h"

namespace tcpkali::testing {
namespace {

// A filler that has not completed in this long had its SYN dropped: the
// kernel's first SYN retransmission comes only after a second.
constexpr int kFillerTimeoutMs = 300;
constexpr int kMaxFillers = 8;

}  // namespace

absl::StatusOr<std::unique_ptr<StalledListener>> StalledListener::Create() {
  std::unique_ptr<StalledListener> stalled(new StalledListener());
  absl::StatusOr<LoopbackListener> listener = ListenOnLoopback(0);
  if (!listener.ok()) return listener.status();
  stalled->listener_ = std::move(*listener);
  for (int i = 0; i < kMaxFillers; ++i) {
    absl::StatusOr<ScopedFd> filler =
        ConnectToLoopback(stalled->listener_.port, kFillerTimeoutMs);
    if (absl::IsDeadlineExceeded(filler.status())) return stalled;  // full
    if (!filler.ok()) return filler.status();
    stalled->fillers_.push_back(std::move(*filler));
  }
  return absl::FailedPreconditionError(
      "the accept queue of a backlog-0 listener did not fill");
}

}  // namespace tcpkali::testing
