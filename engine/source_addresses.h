// Source addresses: which local address each outgoing connection binds to.
//
// Every connection binds its source address with IP_BIND_ADDRESS_NO_PORT,
// so the kernel picks the ephemeral port at connect() time, per (source,
// destination) pair: S sources and D destinations reach S x D x the
// ip_local_port_range connections, not just the range once.
//
// Which sources, per destination:
//   --source-ip given  every address it lists (CIDR ranges expanded, see
//                      ip_range.h) of the destination's family.
//   by default         as the original tcpkali: every address of the
//                      interface that routes to the destination, aliases
//                      included, of its family. For loopback that is
//                      127.0.0.1 plus any other 127.x address configured on
//                      lo: all of 127/8 is routable on lo, but only the
//                      configured addresses count unless --source-ip
//                      127.0.0.0/24 asks for more. Link-local addresses
//                      serve only link-local destinations (and the reverse).
// A destination with no source of its family has an empty set; the engine
// must send it no connections. None left at all is an error.
//
// The system calls sit behind AddressProbe so the logic is tested with a
// made-up machine.
//
// Example:
//   SystemAddressProbe probe;
//   absl::StatusOr<SourceAddresses> sources =
//       ResolveSourceAddresses(config.source_ips, destinations, probe);
//   if (!sources.ok()) return sources.status();
//   std::span<const sockaddr_storage> mine = sources->For(3);
//   bind(fd, mine[k % mine.size()], ...);  // after IP_BIND_ADDRESS_NO_PORT
#ifndef TCPKALI_ENGINE_SOURCE_ADDRESSES_H_
#define TCPKALI_ENGINE_SOURCE_ADDRESSES_H_

#include <sys/socket.h>

#include <cstdint>
#include <span>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"

namespace tcpkali::engine {

// The most source addresses a run may use, all --source-ip entries
// together (see kMaxIpRangeAddresses for why).
inline constexpr uint64_t kMaxSourceAddresses = 65536;

struct InterfaceAddress {
  std::string interface;     // "lo", "eth0"
  sockaddr_storage address;  // port 0; sin6_scope_id set for link-local
};

// The kernel's view of local addresses. Stateless; any thread.
class AddressProbe {
 public:
  virtual ~AddressProbe() = default;

  // The local address the kernel picks to reach `destination` (what a UDP
  // socket connected to it reports from getsockname()), port 0. Fails with
  // Unavailable naming the errno when there is no route.
  [[nodiscard]] virtual absl::StatusOr<sockaddr_storage> RouteSource(
      const sockaddr_storage& destination) const = 0;

  // Every IPv4 and IPv6 address on an interface that is up, in the
  // kernel's order. Fails with Internal when getifaddrs() does.
  [[nodiscard]] virtual absl::StatusOr<std::vector<InterfaceAddress>>
  InterfaceAddresses() const = 0;

  // OK when a TCP socket can bind `source` (port 0, with
  // IP_BIND_ADDRESS_NO_PORT, as every connection does): an address of
  // this host, or any address under net.ipv4.ip_nonlocal_bind. Otherwise
  // the errno's text ("Cannot assign requested address").
  [[nodiscard]] virtual absl::Status CheckBindable(
      const sockaddr_storage& source) const = 0;
};

// The live kernel: a UDP connect() + getsockname(), getifaddrs(), and a
// bind() that is closed at once.
class SystemAddressProbe final : public AddressProbe {
 public:
  absl::StatusOr<sockaddr_storage> RouteSource(
      const sockaddr_storage& destination) const override;
  absl::StatusOr<std::vector<InterfaceAddress>> InterfaceAddresses()
      const override;
  absl::Status CheckBindable(const sockaddr_storage& source) const override;
};

// The source addresses of a run, per destination. Immutable once built;
// shared read-only by every worker.
class SourceAddresses {
 public:
  // The addresses connections to destination `index` bind to, each once,
  // in the order given; empty when none fits (see above). `index` is the
  // destination's position in the list given to ResolveSourceAddresses and
  // must be below destination_count(). Cheap enough for every connect.
  std::span<const sockaddr_storage> For(size_t index) const {
    const auto [begin, end] = spans_[index];
    return {addresses_.data() + begin, end - begin};
  }

  // How many destinations there are, usable or not.
  size_t destination_count() const { return spans_.size(); }
  // Destinations with at least one source address.
  size_t UsableDestinations() const;
  // Every distinct source address, grouped so each For() is one slice.
  const std::vector<sockaddr_storage>& addresses() const { return addresses_; }

 private:
  friend absl::StatusOr<SourceAddresses> ResolveSourceAddresses(
      const std::vector<std::string>&, const std::vector<sockaddr_storage>&,
      const AddressProbe&);

  std::vector<sockaddr_storage> addresses_;
  std::vector<std::pair<size_t, size_t>>
      spans_;  // [begin, end) per destination
};

// Chooses the source addresses for `destinations` (resolved address:port
// pairs), from `source_ips` (--source-ip, each an address or CIDR range)
// or, when that is empty, from the interfaces `probe` reports.
// Fails with InvalidArgument ("--source-ip: ...") when an entry does not
// parse, is not a unicast address, holds an address this host cannot bind
// (checked once per address at start, so that no connection goes out from
// another address than asked), or the entries hold more than
// kMaxSourceAddresses addresses, or when no entry matches the family of
// any destination; with FailedPrecondition when, by default, no
// destination has a route; and with the probe's error when getifaddrs()
// fails. No destinations (a sink-only run): an empty result, no probing.
[[nodiscard]] absl::StatusOr<SourceAddresses> ResolveSourceAddresses(
    const std::vector<std::string>& source_ips,
    const std::vector<sockaddr_storage>& destinations,
    const AddressProbe& probe);

// True when a connection to `destination` reaches this host's own listener
// on `listen_port`: the ports match and the address is loopback or one of
// `sources` (the destination's source addresses: it is an address of this
// host when it is among them).
bool ReachesOwnListener(const sockaddr_storage& destination,
                        std::span<const sockaddr_storage> sources,
                        uint16_t listen_port);

}  // namespace tcpkali::engine

#endif  // TCPKALI_ENGINE_SOURCE_ADDRESSES_H_
