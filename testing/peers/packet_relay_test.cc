// PacketRelay between datagram socket pairs: each send is one packet, as on
// a TUN device, so the relay's delay, loss and queue limit are checked here
// without namespaces or root.
#include "testing/peers/packet_relay.h"

#include <doctest/doctest.h>
#include <poll.h>
#include <sys/socket.h>

#include <algorithm>
#include <cstdint>
#include <cstring>
#include <memory>
#include <vector>

#include "testing/peers/loopback.h"
#include "testing/test_seed.h"

namespace tcpkali::testing {
namespace {

constexpr int kWaitMs = 10'000;

// The test's ends of the two links and the relay between them:
// a_ <-> relay <-> b_.
struct Rig {
  ScopedFd a;
  ScopedFd b;
  std::unique_ptr<PacketRelay> relay;
};

Rig MakeRig(const Impairment& impairment) {
  int left[2], right[2];
  REQUIRE(socketpair(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0, left) == 0);
  REQUIRE(socketpair(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0, right) == 0);
  absl::StatusOr<std::unique_ptr<PacketRelay>> relay = PacketRelay::Start(
      ScopedFd(left[1]), ScopedFd(right[1]), impairment);
  REQUIRE(relay.ok());
  return {ScopedFd(left[0]), ScopedFd(right[0]), std::move(*relay)};
}

// A packet: its sequence number, then filler derived from it.
std::vector<uint8_t> Packet(uint32_t seq, size_t size) {
  std::vector<uint8_t> p(size);
  const size_t header = std::min(size, sizeof seq);  // 1-byte packets too
  std::memcpy(p.data(), &seq, header);
  for (size_t i = header; i < size; ++i) p[i] = uint8_t(seq * 31 + i);
  return p;
}

void Send(int fd, const std::vector<uint8_t>& packet) {
  REQUIRE(send(fd, packet.data(), packet.size(), 0) ==
          static_cast<ssize_t>(packet.size()));
}

// The next packet on `fd`, or an empty vector after timeout_ms.
std::vector<uint8_t> Receive(int fd, int timeout_ms) {
  pollfd p{fd, POLLIN, 0};
  if (poll(&p, 1, timeout_ms) <= 0) return {};
  std::vector<uint8_t> packet(kMaxRelayPacketBytes);
  const ssize_t n = recv(fd, packet.data(), packet.size(), 0);
  packet.resize(n > 0 ? static_cast<size_t>(n) : 0);
  return packet;
}

TEST_CASE("without impairment every packet crosses intact, both ways") {
  Rig rig = MakeRig({});
  for (uint32_t seq = 0; seq < 500; ++seq) {
    const std::vector<uint8_t> packet = Packet(seq, 1 + seq % 1500);
    const bool forward = seq % 2 == 0;
    Send(forward ? rig.a.get() : rig.b.get(), packet);
    CHECK(Receive(forward ? rig.b.get() : rig.a.get(), kWaitMs) == packet);
  }
  CHECK(rig.relay->Forwarded() == 500);
  CHECK(rig.relay->Dropped() == 0);
}

TEST_CASE("every packet is held back for the delay") {
  constexpr int64_t kDelayNs = 50'000'000;
  Rig rig = MakeRig({.delay_ns = kDelayNs});
  std::vector<int64_t> sent_ns;
  for (uint32_t seq = 0; seq < 5; ++seq) {
    sent_ns.push_back(MonotonicNowNs());
    Send(rig.a.get(), Packet(seq, 100));
  }
  for (uint32_t seq = 0; seq < 5; ++seq) {
    const std::vector<uint8_t> packet = Receive(rig.b.get(), kWaitMs);
    // A lower bound only: a loaded machine may deliver later, never
    // earlier.
    CHECK(MonotonicNowNs() - sent_ns[seq] >= kDelayNs);
    CHECK(packet == Packet(seq, 100));  // in order
  }
}

TEST_CASE("a share of the packets is lost, the rest arrive in order") {
  constexpr uint32_t kPackets = 2000;
  constexpr uint32_t kBatch = 8;  // within any datagram queue's length
  Rig rig = MakeRig({.loss = 0.1, .seed = TestSeed()});
  uint32_t received = 0;
  int64_t last_seq = -1;
  for (uint32_t seq = 0; seq < kPackets; seq += kBatch) {
    for (uint32_t i = seq; i < seq + kBatch; ++i) {
      Send(rig.a.get(), Packet(i, 200));
    }
    // The relay decides on each packet as it reads it: wait until it has
    // read the batch, and take what it forwarded.
    const int64_t deadline_ns = MonotonicNowNs() + int64_t{kWaitMs} * 1'000'000;
    while (rig.relay->Forwarded() + rig.relay->Dropped() < seq + kBatch ||
           received < rig.relay->Forwarded()) {
      REQUIRE(MonotonicNowNs() < deadline_ns);
      std::vector<uint8_t> packet = Receive(rig.b.get(), 10);
      if (packet.empty()) continue;
      uint32_t got = 0;
      std::memcpy(&got, packet.data(), sizeof got);
      CHECK(static_cast<int64_t>(got) > last_seq);
      CHECK(packet == Packet(got, 200));
      last_seq = got;
      ++received;
    }
  }
  CHECK(received + rig.relay->Dropped() == kPackets);
  // 200 expected; the bounds are 7 standard deviations away.
  CHECK(rig.relay->Dropped() > 100);
  CHECK(rig.relay->Dropped() < 300);
}

TEST_CASE("the same seed drops the same packets") {
  const uint64_t seed = TestSeed();
  std::vector<uint64_t> dropped;
  for (int run = 0; run < 2; ++run) {
    Rig rig = MakeRig({.loss = 0.5, .seed = seed});
    for (uint32_t seq = 0; seq < 64; ++seq) {
      Send(rig.a.get(), Packet(seq, 64));
      const int64_t deadline_ns =
          MonotonicNowNs() + int64_t{kWaitMs} * 1'000'000;
      while (rig.relay->Forwarded() + rig.relay->Dropped() < seq + 1) {
        REQUIRE(MonotonicNowNs() < deadline_ns);
        (void)Receive(rig.b.get(), 10);
      }
      (void)Receive(rig.b.get(), 0);
    }
    dropped.push_back(rig.relay->Dropped());
  }
  CHECK(dropped[0] == dropped[1]);
}

TEST_CASE("packets beyond the queue limit are dropped") {
  // A delay long enough that nothing is delivered while the test runs.
  Rig rig = MakeRig({.delay_ns = 600'000'000'000, .queue_limit = 4});
  for (uint32_t seq = 0; seq < 10; ++seq) Send(rig.a.get(), Packet(seq, 64));
  const int64_t deadline_ns = MonotonicNowNs() + int64_t{kWaitMs} * 1'000'000;
  while (rig.relay->Dropped() < 6) {
    REQUIRE(MonotonicNowNs() < deadline_ns);
    (void)Receive(rig.b.get(), 10);
  }
  CHECK(rig.relay->Dropped() == 6);
  CHECK(rig.relay->Forwarded() == 0);
}

TEST_CASE("an impossible impairment is refused") {
  int left[2], right[2];
  REQUIRE(socketpair(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0, left) == 0);
  REQUIRE(socketpair(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0, right) == 0);
  ScopedFd keep[2] = {ScopedFd(left[0]), ScopedFd(right[0])};
  CHECK(PacketRelay::Start(ScopedFd(left[1]), ScopedFd(right[1]),
                           {.loss = 1.5})
            .status()
            .code() == absl::StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace tcpkali::testing
