#include "testing/peers/packet_relay.h"

#include <fcntl.h>
#include <linux/if.h>
#include <linux/if_tun.h>
#include <poll.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <string>
#include <utility>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"

namespace tcpkali::testing {
namespace {

// Reads per direction per wake-up: enough to keep up with a TCP flow, few
// enough that the other direction and the deliveries are not starved.
constexpr int kReadBatch = 256;

void SetNonBlocking(int fd) {
  fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK);
}

// splitmix64: small, fast and good enough to decide which packets to drop.
uint64_t NextRandom(uint64_t& state) {
  uint64_t z = (state += 0x9e3779b97f4a7c15);
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9;
  z = (z ^ (z >> 27)) * 0x94d049bb133111eb;
  return z ^ (z >> 31);
}

}  // namespace

absl::StatusOr<ScopedFd> OpenTun(std::string_view name) {
  if (name.empty() || name.size() >= IFNAMSIZ) {
    return absl::InvalidArgumentError(
        absl::StrCat("bad interface name \"", std::string(name), "\""));
  }
  ScopedFd fd(open("/dev/net/tun", O_RDWR | O_NONBLOCK | O_CLOEXEC));
  if (!fd.valid()) return ErrnoError("open /dev/net/tun");
  ifreq request{};
  request.ifr_flags = IFF_TUN | IFF_NO_PI;
  std::memcpy(request.ifr_name, name.data(), name.size());
  if (ioctl(fd.get(), TUNSETIFF, &request) != 0) {
    return ErrnoError("TUNSETIFF " + std::string(name));
  }
  return fd;
}

absl::StatusOr<std::unique_ptr<PacketRelay>> PacketRelay::Start(
    ScopedFd a, ScopedFd b, const Impairment& impairment) {
  if (!(impairment.loss >= 0 && impairment.loss <= 1) ||
      impairment.delay_ns < 0 || impairment.queue_limit == 0) {
    return absl::InvalidArgumentError(
        "loss must be in [0, 1], delay >= 0, queue_limit > 0");
  }
  std::unique_ptr<PacketRelay> relay(new PacketRelay());
  relay->impairment_ = impairment;
  relay->a_ = std::move(a);
  relay->b_ = std::move(b);
  SetNonBlocking(relay->a_.get());
  SetNonBlocking(relay->b_.get());
  if (absl::Status s = relay->thread_.Init(); !s.ok()) return s;
  const int ends[2][2] = {{relay->a_.get(), relay->b_.get()},
                          {relay->b_.get(), relay->a_.get()}};
  for (int i = 0; i < 2; ++i) {
    Direction& d = relay->directions_[i];
    d.from = ends[i][0];
    d.to = ends[i][1];
    // Each direction draws its own sequence, so that what one side sends
    // does not change which of the other side's packets are dropped.
    d.random_state = impairment.seed ^ (i == 0 ? 0 : 0x5bd1e9955bd1e995);
    d.slots.resize(impairment.queue_limit * kMaxRelayPacketBytes);
    d.sizes.resize(impairment.queue_limit);
    d.due_ns.resize(impairment.queue_limit);
  }
  relay->thread_.Start([r = relay.get()] { r->Run(); });
  return relay;
}

PacketRelay::~PacketRelay() { thread_.Stop(); }

bool PacketRelay::Lose(Direction& d) {
  if (impairment_.loss <= 0) return false;
  // 53 random bits as a double in [0, 1).
  const double draw =
      static_cast<double>(NextRandom(d.random_state) >> 11) * 0x1.0p-53;
  return draw < impairment_.loss;
}

void PacketRelay::Receive(Direction& d, int64_t now_ns) {
  char discard[kMaxRelayPacketBytes];
  for (int i = 0; i < kReadBatch && d.from >= 0; ++i) {
    const bool full = d.count == impairment_.queue_limit;
    const size_t tail = (d.head + d.count) % impairment_.queue_limit;
    char* into = full ? discard : &d.slots[tail * kMaxRelayPacketBytes];
    const ssize_t n = read(d.from, into, kMaxRelayPacketBytes);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0 && errno == EAGAIN) return;
    if (n <= 0) {
      // The device went away (its namespace was deleted): stop reading it.
      d.from = -1;
      return;
    }
    // The loss draw is made for every packet, queued or not, so that the
    // pattern of drops depends only on the seed and the packet count.
    const bool lost = Lose(d);
    if (full || lost) {
      dropped_.fetch_add(1, std::memory_order_relaxed);
      continue;
    }
    d.sizes[tail] = static_cast<uint32_t>(n);
    d.due_ns[tail] = now_ns + impairment_.delay_ns;
    ++d.count;
  }
}

void PacketRelay::Deliver(Direction& d, int64_t now_ns) {
  while (d.count > 0 && d.due_ns[d.head] <= now_ns) {
    // Counted before the write, so that whoever receives the packet finds
    // it counted already.
    forwarded_.fetch_add(1, std::memory_order_relaxed);
    const ssize_t n = write(d.to, &d.slots[d.head * kMaxRelayPacketBytes],
                            d.sizes[d.head]);
    if (n != static_cast<ssize_t>(d.sizes[d.head])) {
      // The far side would not take it (its queue is full, the device is
      // gone): lost on the wire, as it would be on a real link.
      forwarded_.fetch_sub(1, std::memory_order_relaxed);
      dropped_.fetch_add(1, std::memory_order_relaxed);
    }
    d.head = (d.head + 1) % impairment_.queue_limit;
    --d.count;
  }
}

void PacketRelay::Run() {
  while (true) {
    int64_t now_ns = MonotonicNowNs();
    int64_t wait_ns = -1;  // none due: wait for packets or the stop
    for (Direction& d : directions_) {
      Deliver(d, now_ns);
      if (d.count > 0) {
        const int64_t left_ns = d.due_ns[d.head] - now_ns;
        wait_ns = wait_ns < 0 ? left_ns : std::min(wait_ns, left_ns);
      }
    }
    pollfd fds[3] = {{directions_[0].from, POLLIN, 0},
                     {directions_[1].from, POLLIN, 0},
                     {thread_.stop_fd(), POLLIN, 0}};
    const timespec timeout = {.tv_sec = wait_ns / 1'000'000'000,
                              .tv_nsec = wait_ns % 1'000'000'000};
    const int n = ppoll(fds, 3, wait_ns < 0 ? nullptr : &timeout, nullptr);
    if (n < 0 && errno != EINTR) return;
    if (fds[2].revents != 0) return;
    now_ns = MonotonicNowNs();
    for (int i = 0; i < 2; ++i) {
      if (fds[i].revents != 0) Receive(directions_[i], now_ns);
    }
  }
}

}  // namespace tcpkali::testing
