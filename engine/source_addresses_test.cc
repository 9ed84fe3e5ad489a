#include "engine/source_addresses.h"

#include <doctest/doctest.h>
#include <netinet/in.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <fstream>
#include <map>
#include <set>
#include <span>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "engine/ip_range.h"

namespace tcpkali::engine {
namespace {

sockaddr_storage Ip(const char* text, uint16_t port = 0) {
  sockaddr_storage a = IpRange::Parse(text).value().At(0);
  if (a.ss_family == AF_INET) {
    reinterpret_cast<sockaddr_in&>(a).sin_port = htons(port);
  } else {
    reinterpret_cast<sockaddr_in6&>(a).sin6_port = htons(port);
  }
  return a;
}

std::vector<std::string> Texts(std::span<const sockaddr_storage> addresses) {
  std::vector<std::string> out;
  for (const sockaddr_storage& a : addresses) out.push_back(IpToString(a));
  return out;
}

using Strings = std::vector<std::string>;

// A made-up host: lo with an alias, eth0 with two IPv4 addresses, a ULA
// and a link-local IPv6 address, and no route to the outside.
class FakeProbe final : public AddressProbe {
 public:
  std::map<std::string, std::string> route_by_destination = {
      {"127.0.0.1", "127.0.0.1"},
      {"127.0.0.9", "127.0.0.1"},
      {"::1", "::1"},
      {"192.0.2.1", "192.0.2.2"},
      {"fd00::1", "fd00::2"},
      {"fe80::9", "fe80::1"},
      {"198.51.100.1", "203.0.113.7"}};  // an address on no interface
  absl::Status interfaces_status;
  std::set<std::string> unbindable = {"10.9.9.9", "172.16.1.7"};

  absl::StatusOr<sockaddr_storage> RouteSource(
      const sockaddr_storage& destination) const override {
    auto it = route_by_destination.find(IpToString(destination));
    if (it == route_by_destination.end()) {
      return absl::UnavailableError(absl::StrCat(EndpointToString(destination),
                                                 ": Network is unreachable"));
    }
    return Ip(it->second.c_str());
  }
  absl::StatusOr<std::vector<InterfaceAddress>> InterfaceAddresses()
      const override {
    if (!interfaces_status.ok()) return interfaces_status;
    return std::vector<InterfaceAddress>{
        {"lo", Ip("127.0.0.1")},   {"lo", Ip("::1")},
        {"eth0", Ip("192.0.2.2")}, {"eth0", Ip("fd00::2")},
        {"eth0", Ip("fe80::1")},   {"lo", Ip("127.0.0.5")},
        {"eth0", Ip("192.0.2.3")}, {"eth0", Ip("192.0.2.2")}};
  }
  absl::Status CheckBindable(const sockaddr_storage& source) const override {
    if (unbindable.count(IpToString(source)) == 0) return absl::OkStatus();
    return absl::UnavailableError("Cannot assign requested address");
  }
};

TEST_CASE("--source-ip: every listed address of the destination's family") {
  FakeProbe probe;
  const std::vector<sockaddr_storage> destinations = {
      Ip("127.0.0.1", 80), Ip("::1", 80), Ip("127.0.0.2", 81)};
  absl::StatusOr<SourceAddresses> s = ResolveSourceAddresses(
      {"127.0.0.0/30", "::1", "127.0.0.1", "10.0.0.1"}, destinations, probe);
  REQUIRE_MESSAGE(s.ok(), s.status().ToString());
  CHECK(s->destination_count() == 3);
  CHECK(s->UsableDestinations() == 3);
  CHECK(Texts(s->For(0)) == Strings{"127.0.0.1", "127.0.0.2", "10.0.0.1"});
  CHECK(Texts(s->For(1)) == Strings{"::1"});
  CHECK(s->For(2).data() == s->For(0).data());  // one shared slice
  CHECK(s->addresses().size() == 4);
}

TEST_CASE("--source-ip: a family with no source leaves its destinations out") {
  FakeProbe probe;
  absl::StatusOr<SourceAddresses> s = ResolveSourceAddresses(
      {"127.0.0.0/24"}, {Ip("::1", 80), Ip("127.0.0.1", 80)}, probe);
  REQUIRE(s.ok());
  CHECK(s->For(0).empty());
  CHECK(s->For(1).size() == 254);
  CHECK(s->UsableDestinations() == 1);

  absl::StatusOr<SourceAddresses> none =
      ResolveSourceAddresses({"127.0.0.1"}, {Ip("::1", 80)}, probe);
  REQUIRE_FALSE(none.ok());
  CHECK(none.status().code() == absl::StatusCode::kInvalidArgument);
  CHECK(std::string(none.status().message()) ==
        "--source-ip: no source address has the family of a destination "
        "(IPv4 sources, IPv6 destinations)");
}

TEST_CASE("--source-ip: bad entries are usage errors naming the flag") {
  struct Row {
    Strings source_ips;
    const char* message;
  };
  const Row rows[] = {
      {{"10.0.0.0/8"},
       "--source-ip: \"10.0.0.0/8\": spans 16777216 addresses; at most 65536 "
       "are supported (an IPv4 /16 or an IPv6 /112)"},
      {{"127.0.0.1", "nonsense"},
       "--source-ip: \"nonsense\": not an IPv4 or IPv6 address"},
      {{"0.0.0.0"}, "--source-ip: 0.0.0.0 is not a unicast address to bind to"},
      {{"::"}, "--source-ip: :: is not a unicast address to bind to"},
      {{"224.0.0.0/24"},
       "--source-ip: 224.0.0.0/24 is not a unicast address to bind to"},
      {{"10.0.0.0/16", "10.1.0.0/16"},
       "--source-ip: more than 65536 source addresses in all; give narrower "
       "ranges"},
      // Not an address of this host (FakeProbe::unbindable): checked at
      // start, so that no connection leaves from another address than
      // asked, nor fails at the rate connections are opened.
      {{"127.0.0.1", "10.9.9.9"},
       "--source-ip: 10.9.9.9 is not an address of this host (bind: Cannot "
       "assign requested address); `ip -brief address` lists them"},
      {{"172.16.1.0/24"},
       "--source-ip: 172.16.1.7 (of 172.16.1.0/24) is not an address of this "
       "host (bind: Cannot assign requested address); `ip -brief address` "
       "lists them"},
  };
  FakeProbe probe;
  for (const Row& row : rows) {
    CAPTURE(row.message);
    absl::StatusOr<SourceAddresses> s =
        ResolveSourceAddresses(row.source_ips, {Ip("127.0.0.1", 80)}, probe);
    REQUIRE_FALSE(s.ok());
    CHECK(s.status().code() == absl::StatusCode::kInvalidArgument);
    CHECK(std::string(s.status().message()) == row.message);
  }
}

TEST_CASE("--source-ip: the addresses are bound once at start") {
  FakeProbe probe;
  CHECK_FALSE(
      ResolveSourceAddresses({"127.0.0.1", "10.9.9.9"}, {Ip("127.0.0.1", 80)}, probe)
          .ok());
  probe.unbindable.clear();
  CHECK(ResolveSourceAddresses({"127.0.0.1", "10.9.9.9"}, {Ip("127.0.0.1", 80)}, probe)
            .ok());
}

TEST_CASE("by default: the routing interface's addresses, aliases included") {
  struct Row {
    const char* destination;
    Strings sources;
  };
  const Row rows[] = {
      {"127.0.0.1", {"127.0.0.1", "127.0.0.5"}},  // configured ones only
      {"127.0.0.9", {"127.0.0.1", "127.0.0.5"}},
      {"::1", {"::1"}},
      {"192.0.2.1", {"192.0.2.2", "192.0.2.3"}},  // listed twice, kept once
      {"fd00::1", {"fd00::2"}},                   // not the link-local one
      {"fe80::9", {"fe80::1"}},                   // only the link-local one
      {"198.51.100.1", {"203.0.113.7"}},          // the kernel's own pick
      {"8.8.8.8", {}},                            // no route: left out
  };
  FakeProbe probe;
  std::vector<sockaddr_storage> destinations;
  for (const Row& row : rows) destinations.push_back(Ip(row.destination, 80));
  absl::StatusOr<SourceAddresses> s =
      ResolveSourceAddresses({}, destinations, probe);
  REQUIRE_MESSAGE(s.ok(), s.status().ToString());
  for (size_t i = 0; i < std::size(rows); ++i) {
    CAPTURE(rows[i].destination);
    CHECK(Texts(s->For(i)) == rows[i].sources);
  }
  CHECK(s->UsableDestinations() == std::size(rows) - 1);
  CHECK(s->For(0).data() == s->For(1).data());
}

TEST_CASE("by default: failures") {
  FakeProbe probe;
  absl::StatusOr<SourceAddresses> s =
      ResolveSourceAddresses({}, {Ip("8.8.8.8", 80), Ip("8.8.4.4", 80)}, probe);
  REQUIRE_FALSE(s.ok());
  CHECK(s.status().code() == absl::StatusCode::kFailedPrecondition);
  CHECK(std::string(s.status().message()) ==
        "no route to any destination: 8.8.8.8:80: Network is unreachable");

  probe.interfaces_status = absl::InternalError("getifaddrs: denied");
  CHECK(ResolveSourceAddresses({}, {Ip("127.0.0.1", 80)}, probe)
            .status()
            .code() == absl::StatusCode::kInternal);
}

TEST_CASE("no destinations: nothing to resolve") {
  FakeProbe probe;
  probe.interfaces_status = absl::InternalError("must not be called");
  absl::StatusOr<SourceAddresses> s = ResolveSourceAddresses({}, {}, probe);
  REQUIRE(s.ok());
  CHECK(s->destination_count() == 0);
  CHECK(s->addresses().empty());
}

TEST_CASE("the live kernel routes loopback from lo") {
  SystemAddressProbe probe;
  absl::StatusOr<SourceAddresses> s =
      ResolveSourceAddresses({}, {Ip("127.0.0.1", 9)}, probe);
  REQUIRE_MESSAGE(s.ok(), s.status().ToString());
  const Strings sources = Texts(s->For(0));
  CHECK(std::find(sources.begin(), sources.end(), "127.0.0.1") !=
        sources.end());
  for (const std::string& a : sources) CHECK(a.rfind("127.", 0) == 0);
}

TEST_CASE("the live kernel binds loopback addresses, not TEST-NET ones") {
  SystemAddressProbe probe;
  CHECK(probe.CheckBindable(Ip("127.0.0.1")).ok());
  CHECK(probe.CheckBindable(Ip("127.3.2.1")).ok());  // all of 127/8 is local
  std::string nonlocal_bind;
  std::ifstream("/proc/sys/net/ipv4/ip_nonlocal_bind") >> nonlocal_bind;
  if (nonlocal_bind == "0") {
    const absl::Status status = probe.CheckBindable(Ip("192.0.2.1"));
    CHECK_FALSE(status.ok());
    CHECK(std::string(status.message()) == std::strerror(EADDRNOTAVAIL));
  }
}

TEST_CASE("a destination reaches our own listener: its port, and loopback or ours") {
  const std::vector<sockaddr_storage> eth0 = {Ip("192.0.2.2"), Ip("192.0.2.3")};
  CHECK(ReachesOwnListener(Ip("127.0.0.1", 9000), {}, 9000));
  CHECK(ReachesOwnListener(Ip("::1", 9000), {}, 9000));
  CHECK(ReachesOwnListener(Ip("192.0.2.3", 9000), eth0, 9000));  // our address
  CHECK_FALSE(ReachesOwnListener(Ip("127.0.0.1", 9001), {}, 9000));
  CHECK_FALSE(ReachesOwnListener(Ip("192.0.2.1", 9000), eth0, 9000));  // a peer
}

}  // namespace
}  // namespace tcpkali::engine
