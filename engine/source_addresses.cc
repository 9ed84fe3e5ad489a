#include "engine/source_addresses.h"

#include <ifaddrs.h>
#include <net/if.h>
#include <netinet/in.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <map>
#include <set>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "engine/ip_range.h"

namespace tcpkali::engine {
namespace {

bool IsLinkLocal(const sockaddr_storage& address) {
  if (address.ss_family == AF_INET) {
    const uint32_t ip =
        ntohl(reinterpret_cast<const sockaddr_in&>(address).sin_addr.s_addr);
    return (ip >> 16) == 0xA9FE;  // 169.254/16
  }
  const in6_addr& a = reinterpret_cast<const sockaddr_in6&>(address).sin6_addr;
  return address.ss_family == AF_INET6 && IN6_IS_ADDR_LINKLOCAL(&a);
}

// Unicast: neither unspecified (0.0.0.0/8, ::), multicast nor, for IPv4,
// the limited broadcast address.
bool IsUnicast(const sockaddr_storage& address) {
  if (address.ss_family == AF_INET) {
    const uint32_t ip =
        ntohl(reinterpret_cast<const sockaddr_in&>(address).sin_addr.s_addr);
    return (ip >> 24) != 0 && (ip >> 28) != 0xE && ip != 0xFFFFFFFF;
  }
  const in6_addr& a = reinterpret_cast<const sockaddr_in6&>(address).sin6_addr;
  return !IN6_IS_ADDR_UNSPECIFIED(&a) && !IN6_IS_ADDR_MULTICAST(&a);
}

// Source sets under construction: one per key, in order of first use;
// every destination names the set it draws from (-1: none).
struct Groups {
  std::map<std::string, int> index_by_key;
  std::vector<std::vector<sockaddr_storage>> sets;
  std::vector<int> of_destination;

  // The index of the set under `key`, adding `set` (copied only then) when
  // the key is new.
  int Add(const std::string& key, const std::vector<sockaddr_storage>& set) {
    auto [it, inserted] =
        index_by_key.emplace(key, static_cast<int>(sets.size()));
    if (inserted) sets.push_back(set);
    return it->second;
  }
};

// The family and address bytes: equal keys mean SameIp().
std::string AddressKey(const sockaddr_storage& address) {
  if (address.ss_family == AF_INET) {
    const auto& sin = reinterpret_cast<const sockaddr_in&>(address);
    return std::string("4") +
           std::string(reinterpret_cast<const char*>(&sin.sin_addr), 4);
  }
  const auto& sin6 = reinterpret_cast<const sockaddr_in6&>(address);
  return std::string("6") +
         std::string(reinterpret_cast<const char*>(&sin6.sin6_addr), 16);
}

// Appends `address` unless an equal one is already there. For interface
// address lists, which hold a handful of entries.
void AppendDistinct(std::vector<sockaddr_storage>& set,
                    const sockaddr_storage& address) {
  for (const sockaddr_storage& have : set) {
    if (SameIp(have, address)) return;
  }
  set.push_back(address);
}

absl::StatusOr<Groups> FromSourceIps(
    const std::vector<std::string>& source_ips,
    const std::vector<sockaddr_storage>& destinations,
    const AddressProbe& probe) {
  std::vector<sockaddr_storage> v4, v6;
  std::set<std::string> seen;
  uint64_t total = 0;
  for (const std::string& text : source_ips) {
    absl::StatusOr<IpRange> range = IpRange::Parse(text);
    if (!range.ok()) {
      return absl::InvalidArgumentError(
          absl::StrCat("--source-ip: ", range.status().message()));
    }
    total += range->size();
    if (total > kMaxSourceAddresses) {
      return absl::InvalidArgumentError(
          absl::StrCat("--source-ip: more than ", kMaxSourceAddresses,
                       " source addresses in all; give narrower ranges"));
    }
    if (!IsUnicast(range->At(0))) {
      return absl::InvalidArgumentError(absl::StrCat(
          "--source-ip: ", text, " is not a unicast address to bind to"));
    }
    std::vector<sockaddr_storage>& set = range->family() == AF_INET ? v4 : v6;
    // A set holds distinct addresses; ranges given twice add nothing.
    for (uint64_t i = 0; i < range->size(); ++i) {
      const sockaddr_storage address = range->At(i);
      if (!seen.insert(AddressKey(address)).second) continue;
      if (absl::Status bindable = probe.CheckBindable(address); !bindable.ok()) {
        return absl::InvalidArgumentError(absl::StrCat(
            "--source-ip: ", IpToString(address),
            range->size() > 1 ? absl::StrCat(" (of ", text, ")") : "",
            " is not an address of this host (bind: ", bindable.message(),
            "); `ip -brief address` lists them"));
      }
      set.push_back(address);
    }
  }
  Groups groups;
  for (const sockaddr_storage& destination : destinations) {
    const bool v4_destination = destination.ss_family == AF_INET;
    const std::vector<sockaddr_storage>& set = v4_destination ? v4 : v6;
    groups.of_destination.push_back(
        set.empty() ? -1 : groups.Add(v4_destination ? "4" : "6", set));
  }
  if (groups.sets.empty()) {
    return absl::InvalidArgumentError(absl::StrCat(
        "--source-ip: no source address has the family of a destination (",
        v4.empty() ? "IPv6" : "IPv4", " sources, ",
        v4.empty() ? "IPv4" : "IPv6", " destinations)"));
  }
  return groups;
}

absl::StatusOr<Groups> FromInterfaces(
    const std::vector<sockaddr_storage>& destinations,
    const AddressProbe& probe) {
  absl::StatusOr<std::vector<InterfaceAddress>> local =
      probe.InterfaceAddresses();
  if (!local.ok()) return local.status();
  Groups groups;
  absl::Status first_failure;
  for (const sockaddr_storage& destination : destinations) {
    absl::StatusOr<sockaddr_storage> route = probe.RouteSource(destination);
    if (!route.ok()) {
      if (first_failure.ok()) first_failure = route.status();
      groups.of_destination.push_back(-1);
      continue;
    }
    const InterfaceAddress* owner = nullptr;
    for (const InterfaceAddress& candidate : *local) {
      if (SameIp(candidate.address, *route)) owner = &candidate;
    }
    // No interface holds the route's address (a VRF, an address being
    // removed): the kernel's own pick is the one safe choice.
    const bool link_local = IsLinkLocal(destination);
    std::string key = absl::StrCat(
        owner != nullptr ? owner->interface : "route " + IpToString(*route),
        " ", destination.ss_family, link_local ? " link" : "");
    std::vector<sockaddr_storage> set;
    if (owner != nullptr) {
      for (const InterfaceAddress& a : *local) {
        if (a.interface == owner->interface &&
            a.address.ss_family == destination.ss_family &&
            IsLinkLocal(a.address) == link_local && IsUnicast(a.address)) {
          AppendDistinct(set, a.address);
        }
      }
    }
    if (set.empty()) set.push_back(*route);
    groups.of_destination.push_back(groups.Add(key, set));
  }
  if (groups.sets.empty()) {
    return absl::FailedPreconditionError(
        absl::StrCat("no route to any destination: ", first_failure.message()));
  }
  return groups;
}

}  // namespace

absl::StatusOr<sockaddr_storage> SystemAddressProbe::RouteSource(
    const sockaddr_storage& destination) const {
  const int fd = socket(destination.ss_family, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  if (fd < 0) {
    return absl::UnavailableError(
        absl::StrCat("socket: ", std::strerror(errno)));
  }
  sockaddr_storage target = destination;
  const socklen_t length =
      target.ss_family == AF_INET ? sizeof(sockaddr_in) : sizeof(sockaddr_in6);
  // A UDP connect() sends nothing: it only asks the routing table.
  if (connect(fd, reinterpret_cast<const sockaddr*>(&target), length) != 0) {
    const int err = errno;
    close(fd);
    return absl::UnavailableError(
        absl::StrCat(EndpointToString(destination), ": ", std::strerror(err)));
  }
  sockaddr_storage local{};
  socklen_t local_length = sizeof local;
  const int rc =
      getsockname(fd, reinterpret_cast<sockaddr*>(&local), &local_length);
  const int err = errno;
  close(fd);
  if (rc != 0) {
    return absl::UnavailableError(
        absl::StrCat("getsockname: ", std::strerror(err)));
  }
  if (local.ss_family == AF_INET) {
    reinterpret_cast<sockaddr_in&>(local).sin_port = 0;
  } else {
    reinterpret_cast<sockaddr_in6&>(local).sin6_port = 0;
  }
  return local;
}

absl::StatusOr<std::vector<InterfaceAddress>>
SystemAddressProbe::InterfaceAddresses() const {
  ifaddrs* list = nullptr;
  if (getifaddrs(&list) != 0) {
    return absl::InternalError(
        absl::StrCat("getifaddrs: ", std::strerror(errno)));
  }
  std::vector<InterfaceAddress> out;
  for (const ifaddrs* it = list; it != nullptr; it = it->ifa_next) {
    if (it->ifa_addr == nullptr || (it->ifa_flags & IFF_UP) == 0) continue;
    const int family = it->ifa_addr->sa_family;
    if (family != AF_INET && family != AF_INET6) continue;
    InterfaceAddress entry{.interface = it->ifa_name, .address = {}};
    std::memcpy(&entry.address, it->ifa_addr,
                family == AF_INET ? sizeof(sockaddr_in) : sizeof(sockaddr_in6));
    out.push_back(entry);
  }
  freeifaddrs(list);
  return out;
}

absl::Status SystemAddressProbe::CheckBindable(const sockaddr_storage& source) const {
  const int fd = socket(source.ss_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return absl::UnavailableError(std::strerror(errno));
  const int one = 1;
  setsockopt(fd, SOL_IP, IP_BIND_ADDRESS_NO_PORT, &one, sizeof one);
  const socklen_t length =
      source.ss_family == AF_INET ? sizeof(sockaddr_in) : sizeof(sockaddr_in6);
  const int rc = bind(fd, reinterpret_cast<const sockaddr*>(&source), length);
  const int err = errno;
  close(fd);
  if (rc != 0) return absl::UnavailableError(std::strerror(err));
  return absl::OkStatus();
}

size_t SourceAddresses::UsableDestinations() const {
  size_t usable = 0;
  for (const auto& [begin, end] : spans_) usable += end > begin ? 1 : 0;
  return usable;
}

absl::StatusOr<SourceAddresses> ResolveSourceAddresses(
    const std::vector<std::string>& source_ips,
    const std::vector<sockaddr_storage>& destinations,
    const AddressProbe& probe) {
  if (destinations.empty()) return SourceAddresses();  // a sink-only run
  absl::StatusOr<Groups> groups = source_ips.empty()
                                      ? FromInterfaces(destinations, probe)
                                      : FromSourceIps(source_ips, destinations, probe);
  if (!groups.ok()) return groups.status();
  SourceAddresses out;
  std::vector<std::pair<size_t, size_t>> set_spans;
  for (const std::vector<sockaddr_storage>& set : groups->sets) {
    set_spans.emplace_back(out.addresses_.size(),
                           out.addresses_.size() + set.size());
    out.addresses_.insert(out.addresses_.end(), set.begin(), set.end());
  }
  for (int set : groups->of_destination) {
    out.spans_.push_back(set < 0 ? std::pair<size_t, size_t>{0, 0}
                                 : set_spans[set]);
  }
  return out;
}

bool ReachesOwnListener(const sockaddr_storage& destination,
                        std::span<const sockaddr_storage> sources,
                        uint16_t listen_port) {
  if (PortOf(destination) != listen_port) return false;
  return IsLoopback(destination) ||
         std::any_of(sources.begin(), sources.end(),
                     [&](const sockaddr_storage& s) { return SameIp(s, destination); });
}

}  // namespace tcpkali::engine
