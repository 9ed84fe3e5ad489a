#include "testing/worker_harness.h"

#include <arpa/inet.h>
#include <netinet/in.h>

#include <atomic>
#include <cerrno>
#include <cstdio>
#include <cstdlib>

#include "engine/message_template.h"
#include "engine/tag.h"

namespace tcpkali::testing {
namespace {

// Test code only: the worker reads it through a function pointer.
std::atomic<int64_t> fake_now_ns{kHarnessStartNs};

}  // namespace

int64_t FakeNowNs() { return fake_now_ns.load(std::memory_order_relaxed); }

void SetFakeNowNs(int64_t now_ns) {
  fake_now_ns.store(now_ns, std::memory_order_relaxed);
}

engine::Endpoint Ipv4Endpoint(const char* ip, uint16_t port) {
  engine::Endpoint e;
  auto* sin = reinterpret_cast<sockaddr_in*>(&e.address);
  sin->sin_family = AF_INET;
  sin->sin_port = htons(port);
  if (inet_pton(AF_INET, ip, &sin->sin_addr) != 1) {
    std::fprintf(stderr, "Ipv4Endpoint: bad address %s\n", ip);
    std::abort();
  }
  e.address_bytes = sizeof(sockaddr_in);
  return e;
}

WorkerHarness::WorkerHarness() {
  SetFakeNowNs(kHarnessStartNs);
  config.destinations.push_back({.host = "127.0.0.1", .port = "7"});
  plan.config = &config;
  plan.workers = 1;
  plan.endpoints = {Ipv4Endpoint("127.0.0.1", 7)};
  plan.client_connections = 1;
  plan.connect_rate_per_s = 1e6;
  plan.recv_buffers = 8;
  plan.recv_buffer_bytes = 64;
  plan.socket_setup_in_ring = true;
}

absl::Status WorkerHarness::SetMessages(
    const std::vector<std::string>& repeated, size_t stream_bytes) {
  config.messages.clear();
  for (const std::string& text : repeated) {
    config.messages.push_back({.kind = engine::MessageSpec::kLiteral,
                               .data = text});
  }
  absl::StatusOr<engine::CompiledMessages> messages =
      engine::CompileMessages(config, {});
  if (!messages.ok()) return messages.status();
  plan.client_messages = std::move(*messages);
  absl::StatusOr<engine::StaticStream> stream =
      engine::StaticStream::Build(plan.client_messages.repeated, stream_bytes);
  if (!stream.ok()) return stream.status();
  plan.client_stream = std::move(*stream);
  return absl::OkStatus();
}

absl::Status WorkerHarness::Start(FakeRingOptions options) {
  stats::LatencyKindSet kinds;
  kinds.Add(stats::LatencyKind::kConnect);
  kinds.Add(stats::LatencyKind::kPacingLag);
  absl::StatusOr<std::unique_ptr<stats::WorkerStats>> stats =
      stats::WorkerStats::Create(kinds);
  if (!stats.ok()) return stats.status();
  stats_ = std::move(*stats);
  worker_ = std::make_unique<engine::Worker>(
      0, plan, *stats_, control,
      engine::WorkerEnv{.make_ring = FakeRing::Factory(&ring_, std::move(options)),
                        .clock = FakeNowNs});
  return worker_->Setup();
}

size_t CountOp(const std::vector<io_uring_sqe>& sqes, engine::Op op) {
  size_t n = 0;
  for (const io_uring_sqe& sqe : sqes) n += FakeRing::TagOf(sqe).op == op;
  return n;
}

std::vector<io_uring_sqe> WorkerHarness::NewSqes() {
  std::vector<io_uring_sqe> out;
  for (const io_uring_sqe& sqe : ring_->TakeSubmitted()) {
    if (FakeRing::TagOf(sqe).op != engine::Op::kWake) out.push_back(sqe);
  }
  return out;
}

bool WorkerHarness::Establish(uint32_t slot) {
  if (!ring_->FindLastTagged(engine::Op::kConnect, slot)) return false;
  (void)ring_->CompleteLastTagged(engine::Op::kConnect, slot, 0);
  Step();
  return true;
}

bool WorkerHarness::CompleteAndStep(engine::Op op, uint32_t slot, int res,
                                    uint32_t flags) {
  if (!ring_->CompleteLastTagged(op, slot, res, flags)) return false;
  Step();
  return true;
}

}  // namespace tcpkali::testing
