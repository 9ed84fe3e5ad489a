// Name resolution, done once at start: destinations become socket
// addresses, spread round-robin by the workers.
//
// Example:
//   absl::StatusOr<std::vector<Endpoint>> targets =
//       ResolveDestinations(config.destinations);
//   // targets->size() >= 1; NotFound (exit 68) when a name did not resolve.
#ifndef TCPKALI_ENGINE_RESOLVE_H_
#define TCPKALI_ENGINE_RESOLVE_H_

#include <sys/socket.h>

#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "engine/config.h"

namespace tcpkali::engine {

// One socket address and where it came from.
struct Endpoint {
  sockaddr_storage address{};
  socklen_t address_bytes = 0;
  int family() const { return address.ss_family; }
  const sockaddr* sockaddr_ptr() const {
    return reinterpret_cast<const sockaddr*>(&address);
  }
  size_t destination_index = 0;  // into Config::destinations
};

// Every TCP address of every destination, in command-line order (and, for
// one name, in the resolver's order). Fails with NotFound naming the first
// destination that does not resolve.
[[nodiscard]] absl::StatusOr<std::vector<Endpoint>> ResolveDestinations(
    const std::vector<Destination>& destinations);

// The address a listener binds: the given host, or the IPv6 wildcard (which
// takes IPv4 too) when the host is empty. Fails with NotFound.
[[nodiscard]] absl::StatusOr<Endpoint> ResolveListenAddress(
    const ListenAddress& listen);

// "127.0.0.1:80", "[::1]:80".
std::string FormatEndpoint(const sockaddr* address);

}  // namespace tcpkali::engine

#endif  // TCPKALI_ENGINE_RESOLVE_H_
