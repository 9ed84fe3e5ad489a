#include "engine/resolve.h"

#include <arpa/inet.h>
#include <netdb.h>
#include <netinet/in.h>

#include <cstring>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"

namespace tcpkali::engine {
namespace {

// Resolves host/port (numeric or by name) to every stream address.
absl::Status Resolve(const std::string& host, const std::string& port,
                     bool passive, size_t index, std::vector<Endpoint>& out,
                     const std::string& what) {
  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  hints.ai_protocol = IPPROTO_TCP;
  // No AI_ADDRCONFIG: it hides ::1 on hosts whose only IPv6 address is
  // loopback, and loopback is where most test runs go.
  hints.ai_flags = passive ? AI_PASSIVE : 0;
  addrinfo* result = nullptr;
  const int rc = getaddrinfo(host.empty() ? nullptr : host.c_str(),
                             port.c_str(), &hints, &result);
  if (rc != 0) {
    return absl::NotFoundError(absl::StrCat("cannot resolve ", what, ": ",
                                            gai_strerror(rc)));
  }
  for (addrinfo* ai = result; ai != nullptr; ai = ai->ai_next) {
    if (ai->ai_family != AF_INET && ai->ai_family != AF_INET6) continue;
    Endpoint e;
    std::memcpy(&e.address, ai->ai_addr, ai->ai_addrlen);
    e.address_bytes = ai->ai_addrlen;
    e.destination_index = index;
    out.push_back(e);
  }
  freeaddrinfo(result);
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<std::vector<Endpoint>> ResolveDestinations(
    const std::vector<Destination>& destinations) {
  std::vector<Endpoint> out;
  for (size_t i = 0; i < destinations.size(); ++i) {
    const Destination& d = destinations[i];
    const size_t before = out.size();
    absl::Status s = Resolve(d.host, d.port, false, i, out, d.text);
    if (!s.ok()) return s;
    if (out.size() == before) {
      return absl::NotFoundError(
          absl::StrCat("cannot resolve ", d.text, ": no IPv4 or IPv6 address"));
    }
  }
  return out;
}

absl::StatusOr<Endpoint> ResolveListenAddress(const ListenAddress& listen) {
  std::vector<Endpoint> out;
  const std::string port = std::to_string(listen.port);
  if (listen.host.empty()) {
    Endpoint e;
    auto* sin6 = reinterpret_cast<sockaddr_in6*>(&e.address);
    sin6->sin6_family = AF_INET6;
    sin6->sin6_addr = in6addr_any;
    sin6->sin6_port = htons(listen.port);
    e.address_bytes = sizeof(sockaddr_in6);
    return e;
  }
  absl::Status s = Resolve(listen.host, port, true, 0, out,
                           absl::StrCat("--listen-port ", listen.host));
  if (!s.ok()) return s;
  if (out.empty()) {
    return absl::NotFoundError(
        absl::StrCat("cannot resolve --listen-port ", listen.host));
  }
  return out.front();
}

std::string FormatEndpoint(const sockaddr* address) {
  char host[INET6_ADDRSTRLEN] = "?";
  if (address->sa_family == AF_INET) {
    const auto* sin = reinterpret_cast<const sockaddr_in*>(address);
    inet_ntop(AF_INET, &sin->sin_addr, host, sizeof host);
    return absl::StrCat(host, ":", ntohs(sin->sin_port));
  }
  const auto* sin6 = reinterpret_cast<const sockaddr_in6*>(address);
  inet_ntop(AF_INET6, &sin6->sin6_addr, host, sizeof host);
  return absl::StrCat("[", host, "]:", ntohs(sin6->sin6_port));
}

}  // namespace tcpkali::engine
