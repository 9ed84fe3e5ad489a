// WorkerHarness: one engine::Worker on a FakeRing and a fake clock, with a
// plan built by hand, so that a test drives the worker's state machines one
// Step() and one completion at a time, without a kernel ring, and decides
// what time it is.
//
// The defaults are one client connection to 127.0.0.1:7, a connect rate
// high enough that a free slot connects at the next Step(), no messages,
// eight 64-byte receive buffers, socket setup through the ring. A test
// changes `config` and `plan` before Start().
//
// Example:
//   WorkerHarness h;
//   h.SetMessages({"0123456789"});
//   h.Start();
//   h.Establish(/*slot=*/0);               // connect chain succeeds
//   std::optional<io_uring_sqe> send = h.ring().FindLast(IORING_OP_SEND);
//   REQUIRE(h.ring().CompleteLast(IORING_OP_SEND, 25));  // a short send
//   h.Step();
//   CHECK(h.counters().bytes_sent == 25);
#ifndef TCPKALI_TESTING_WORKER_HARNESS_H_
#define TCPKALI_TESTING_WORKER_HARNESS_H_

#include <liburing.h>

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "engine/config.h"
#include "engine/resolve.h"
#include "engine/run_plan.h"
#include "engine/send_stream.h"
#include "engine/tag.h"
#include "engine/worker.h"
#include "stats/counters.h"
#include "stats/worker_stats.h"
#include "testing/fake_ring.h"

namespace tcpkali::testing {

// Where the fake clock starts: any positive monotonic time will do.
inline constexpr int64_t kHarnessStartNs = 1'000'000'000'000;

// The fake clock every harness worker reads (WorkerEnv::clock is a plain
// function pointer, so the time cannot live in the harness). Tests run one
// at a time; a harness sets it to kHarnessStartNs when it is created.
int64_t FakeNowNs();
void SetFakeNowNs(int64_t now_ns);

// An IPv4 endpoint, e.g. Ipv4Endpoint("127.0.0.1", 7). Aborts on a
// malformed address (a test bug).
engine::Endpoint Ipv4Endpoint(const char* ip, uint16_t port);

// How many of `sqes` carry a tag with `op`.
size_t CountOp(const std::vector<io_uring_sqe>& sqes, engine::Op op);

// Owned by one test; single-threaded. Not movable: the worker holds
// references to `plan`, `config` and `control`.
class WorkerHarness {
 public:
  WorkerHarness();
  WorkerHarness(const WorkerHarness&) = delete;
  WorkerHarness& operator=(const WorkerHarness&) = delete;

  engine::Config config;
  engine::RunPlan plan;
  engine::RunControl control;

  // Sets config.messages to `repeated` (literal text) and compiles them into
  // plan.client_messages and a static stream of about `stream_bytes` (whole
  // cycles). Fails like CompileMessages() and StaticStream::Build().
  [[nodiscard]] absl::Status SetMessages(
      const std::vector<std::string>& repeated,
      size_t stream_bytes = engine::kDefaultStreamTargetBytes);

  // Creates the worker on a FakeRing made with `options` and runs its
  // Setup(); returns Setup()'s result. Call once.
  [[nodiscard]] absl::Status Start(FakeRingOptions options = {});

  // One worker loop iteration; false once the worker has stopped.
  bool Step() { return worker_->Step(); }
  // Moves the fake clock forward.
  void Advance(int64_t ns) { SetFakeNowNs(FakeNowNs() + ns); }

  // Completes the last connect of client `slot` with success (the steps
  // before it post nothing when they succeed) and runs a Step(). Returns
  // false, with nothing completed, when no connect was submitted for the
  // slot.
  [[nodiscard]] bool Establish(uint32_t slot);

  // Completes the last SQE of `op` for `slot` and runs a Step(). False, with
  // nothing done, when there is no such SQE.
  [[nodiscard]] bool CompleteAndStep(engine::Op op, uint32_t slot, int res,
                                     uint32_t flags = 0);

  // The SQEs submitted since the previous call (see
  // FakeRing::TakeSubmitted()), without the worker's wake-up reads, which
  // every test would otherwise skip over.
  std::vector<io_uring_sqe> NewSqes();

  stats::CounterValues counters() const {
    return stats::ReadCounters(stats_->counters());
  }
  FakeRing& ring() { return *ring_; }
  engine::Worker& worker() { return *worker_; }
  const engine::Connection& slot(uint32_t index) const {
    return worker_->slot(index);
  }

 private:
  std::unique_ptr<stats::WorkerStats> stats_;
  FakeRing* ring_ = nullptr;  // owned by worker_
  std::unique_ptr<engine::Worker> worker_;
};

}  // namespace tcpkali::testing

#endif  // TCPKALI_TESTING_WORKER_HARNESS_H_
