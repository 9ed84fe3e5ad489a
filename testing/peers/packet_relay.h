// PacketRelay: a network link with netem's impairments, in user space. It
// moves whole packets between two packet descriptors -- the TUN devices of
// two network namespaces (OpenTun()), or datagram sockets in its own tests
// -- delaying every packet by a fixed time and dropping a random share of
// them, each way. Kernels built without sch_netem (CONFIG_NET_SCH_NETEM is
// not set on the test machines) still get a lossy, slow path for TCP to
// cross: the packets are real IP packets and the kernels' TCP stacks
// retransmit what the relay drops.
//
// Loss decisions come from a seeded generator, one per direction, so that a
// run's pattern of drops can be replayed; the delay is on the monotonic
// clock. A direction holds at most queue_limit packets in flight (netem's
// "limit", default 1000); packets past it are dropped too.
//
// The relay runs on its own thread from Start() until it is destroyed.
//
// Example:
//   absl::StatusOr<ScopedFd> a = OpenTun("tk0a"), b = OpenTun("tk0b");
//   ... move the devices into two namespaces, give them addresses ...
//   absl::StatusOr<std::unique_ptr<PacketRelay>> link = PacketRelay::Start(
//       std::move(*a), std::move(*b),
//       {.delay_ns = 50'000'000, .loss = 0.1, .seed = 42});
//   ... TCP between the namespaces sees 100 ms RTT and 10% loss ...
//   CHECK((*link)->Dropped() > 0);
#ifndef TCPKALI_TESTING_PEERS_PACKET_RELAY_H_
#define TCPKALI_TESTING_PEERS_PACKET_RELAY_H_

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "testing/peers/loopback.h"
#include "testing/peers/peer_thread.h"

namespace tcpkali::testing {

// What the link does to each packet, in each direction.
struct Impairment {
  int64_t delay_ns = 0;       // added to every packet
  double loss = 0;            // probability that a packet is dropped
  uint64_t seed = 0;          // of the loss decisions
  size_t queue_limit = 1000;  // packets in flight per direction
};

// The largest packet the relay carries: the devices' MTU must not exceed
// it. Longer packets are dropped (and counted).
inline constexpr size_t kMaxRelayPacketBytes = 2048;

// Opens a new TUN device `name` (IFF_TUN | IFF_NO_PI: each read and write is
// one bare IP packet) in the caller's network namespace, non-blocking. The
// device lives while the descriptor is open (or until its namespace is
// deleted). Fails with Internal when /dev/net/tun cannot be opened or the
// device not created (no CAP_NET_ADMIN, a name in use).
[[nodiscard]] absl::StatusOr<ScopedFd> OpenTun(std::string_view name);

// Owned by one test thread; its counters may be read from that thread while
// the relay's thread runs.
class PacketRelay {
 public:
  // Starts forwarding between `a` and `b` (each read one packet, each
  // write one packet; made non-blocking here). Fails with InvalidArgument
  // for a loss outside [0, 1] or a negative delay, Internal when the
  // thread's eventfd cannot be made.
  [[nodiscard]] static absl::StatusOr<std::unique_ptr<PacketRelay>> Start(
      ScopedFd a, ScopedFd b, const Impairment& impairment);

  // Stops the thread and closes both descriptors (deleting TUN devices).
  ~PacketRelay();
  PacketRelay(const PacketRelay&) = delete;
  PacketRelay& operator=(const PacketRelay&) = delete;

  // Packets delivered to the other side, and dropped (by the loss draw, a
  // full queue, or a failed write), both directions together.
  uint64_t Forwarded() const {
    return forwarded_.load(std::memory_order_relaxed);
  }
  uint64_t Dropped() const { return dropped_.load(std::memory_order_relaxed); }

 private:
  // One direction: packets read from `from`, waiting until their time to
  // be written to `to`. A ring of fixed slots, allocated at Start().
  struct Direction {
    int from = -1;
    int to = -1;
    uint64_t random_state = 0;
    std::vector<char> slots;       // queue_limit x kMaxRelayPacketBytes
    std::vector<uint32_t> sizes;   // per slot
    std::vector<int64_t> due_ns;   // per slot
    size_t head = 0;               // oldest packet
    size_t count = 0;              // packets queued
  };

  PacketRelay() = default;
  void Run();
  // Reads what `d.from` has (a bounded batch), queueing or dropping each.
  void Receive(Direction& d, int64_t now_ns);
  // Writes every packet of `d` that is due.
  void Deliver(Direction& d, int64_t now_ns);
  bool Lose(Direction& d);

  Impairment impairment_;
  ScopedFd a_;
  ScopedFd b_;
  Direction directions_[2];
  std::atomic<uint64_t> forwarded_{0};
  std::atomic<uint64_t> dropped_{0};
  PeerThread thread_;
};

}  // namespace tcpkali::testing

#endif  // TCPKALI_TESTING_PEERS_PACKET_RELAY_H_
