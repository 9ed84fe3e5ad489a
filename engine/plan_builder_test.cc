// BuildRunPlan against the live kernel: what it decides from the addresses.
#include "engine/plan_builder.h"

#include <doctest/doctest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <string>

#include "engine/config.h"

namespace tcpkali::engine {
namespace {

// A loopback port nobody listens on right now.
uint16_t FreePort() {
  const int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t len = sizeof a;
  bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a);
  getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len);
  close(fd);
  return ntohs(a.sin_port);
}

// Whether a run listening on `listen_port` with clients to `destination`
// counts on its own sink to read everything they send.
bool ReachesOwnListener(uint16_t listen_port, Destination destination) {
  Config config;
  config.listen = ListenAddress{.host = "", .port = listen_port};
  config.destinations = {destination};
  auto planned = BuildRunPlan(config);
  REQUIRE(planned.ok());
  if (planned->port_holder_fd >= 0) close(planned->port_holder_fd);
  return planned->plan->clients_reach_own_listener;
}

TEST_CASE("clients to our own listen port on loopback are our own sink's") {
  const uint16_t port = FreePort();
  const std::string p = std::to_string(port);
  CHECK(ReachesOwnListener(port, {.host = "127.0.0.1", .port = p}));
  CHECK(ReachesOwnListener(port, {.host = "::1", .port = p}));
  const std::string other = std::to_string(port == 65535 ? port - 1 : port + 1);
  CHECK_FALSE(ReachesOwnListener(port, {.host = "127.0.0.1", .port = other}));
}

}  // namespace
}  // namespace tcpkali::engine
