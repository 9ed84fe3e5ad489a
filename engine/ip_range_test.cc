#include "engine/ip_range.h"

#include <doctest/doctest.h>
#include <netinet/in.h>

#include <set>
#include <string>
#include <vector>

namespace tcpkali::engine {
namespace {

TEST_CASE("valid ranges: family, usable count, first and last address") {
  struct Row {
    const char* text;
    int family;
    uint64_t size;
    const char* first;
    const char* last;
    const char* canonical;
  };
  const Row rows[] = {
      {"127.0.0.1", AF_INET, 1, "127.0.0.1", "127.0.0.1", "127.0.0.1"},
      {"127.0.0.1/32", AF_INET, 1, "127.0.0.1", "127.0.0.1", "127.0.0.1"},
      {"10.0.0.0/31", AF_INET, 2, "10.0.0.0", "10.0.0.1", "10.0.0.0/31"},
      {"10.0.0.4/30", AF_INET, 2, "10.0.0.5", "10.0.0.6", "10.0.0.4/30"},
      {"127.0.0.0/26", AF_INET, 62, "127.0.0.1", "127.0.0.62", "127.0.0.0/26"},
      {"127.0.0.0/24", AF_INET, 254, "127.0.0.1", "127.0.0.254",
       "127.0.0.0/24"},
      {"192.168.0.0/23", AF_INET, 510, "192.168.0.1", "192.168.1.254",
       "192.168.0.0/23"},
      {"10.1.0.0/16", AF_INET, 65534, "10.1.0.1", "10.1.255.254",
       "10.1.0.0/16"},
      {"10.0.255.0/24", AF_INET, 254, "10.0.255.1", "10.0.255.254",
       "10.0.255.0/24"},
      {"::1", AF_INET6, 1, "::1", "::1", "::1"},
      {"[::1]", AF_INET6, 1, "::1", "::1", "::1"},
      {"::1/128", AF_INET6, 1, "::1", "::1", "::1"},
      {"fd00::/127", AF_INET6, 2, "fd00::", "fd00::1", "fd00::/127"},
      {"fd00::/120", AF_INET6, 255, "fd00::1", "fd00::ff", "fd00::/120"},
      {"[fd00::]/120", AF_INET6, 255, "fd00::1", "fd00::ff", "fd00::/120"},
      {"fd00::ff00/120", AF_INET6, 255, "fd00::ff01", "fd00::ffff",
       "fd00::ff00/120"},
      {"2001:db8::/112", AF_INET6, 65535, "2001:db8::1", "2001:db8::ffff",
       "2001:db8::/112"},
      {"fd00::1:0/112", AF_INET6, 65535, "fd00::1:1", "fd00::1:ffff",
       "fd00::1:0/112"},
  };
  for (const Row& row : rows) {
    CAPTURE(row.text);
    absl::StatusOr<IpRange> range = IpRange::Parse(row.text);
    REQUIRE_MESSAGE(range.ok(), range.status().ToString());
    CHECK(range->family() == row.family);
    CHECK(range->size() == row.size);
    CHECK(IpToString(range->At(0)) == row.first);
    CHECK(IpToString(range->At(range->size() - 1)) == row.last);
    CHECK(range->ToString() == row.canonical);
    CHECK(range->At(0).ss_family == row.family);
  }
}

TEST_CASE("invalid ranges are refused with the reason") {
  struct Row {
    const char* text;
    const char* message_part;
  };
  const Row rows[] = {
      {"", "expected an IP address"},
      {"localhost", "not an IPv4 or IPv6 address"},
      {"127.0.0", "not an IPv4 or IPv6 address"},
      {"127.0.0.256", "not an IPv4 or IPv6 address"},
      {" 127.0.0.1", "not an IPv4 or IPv6 address"},
      {"127.0.0.0/", "expected ADDRESS"},
      {"127.0.0.0/33", "prefix length must be 0..32"},
      {"127.0.0.0/-1", "prefix length must be 0..32"},
      {"127.0.0.0/+24", "prefix length must be 0..32"},
      {"127.0.0.0/0024", "prefix length must be 0..32"},
      {"127.0.0.0/24/1", "prefix length must be 0..32"},
      {"::/129", "prefix length must be 0..128"},
      {"[127.0.0.1]", "not an IPv4 or IPv6 address"},
      {"[::1", "expected ADDRESS"},
      {"[::1]:80", "expected ADDRESS"},
      {"fe80::1%eth0", "not an IPv4 or IPv6 address"},
      {"127.0.0.1/24", "the range is 127.0.0.0/24"},
      {"fd00::5/120", "the range is fd00::/120"},
      {"10.0.0.0/8", "spans 16777216 addresses; at most 65536"},
      {"10.0.0.0/15", "spans 131072 addresses"},
      {"0.0.0.0/0", "spans 4294967296 addresses"},
      {"fd00::/111", "spans 131072 addresses"},
      {"fd00::/64", "spans 2^64 addresses"},
  };
  for (const Row& row : rows) {
    CAPTURE(row.text);
    absl::StatusOr<IpRange> range = IpRange::Parse(row.text);
    REQUIRE_FALSE(range.ok());
    CHECK(range.status().code() == absl::StatusCode::kInvalidArgument);
    CHECK(std::string(range.status().message()).find(row.message_part) !=
          std::string::npos);
  }
}

TEST_CASE("expansion yields every usable address once, ascending, port 0") {
  struct Row {
    const char* text;
    uint64_t size;
  };
  const Row rows[] = {{"127.0.0.0/24", 254},
                      {"10.1.0.0/16", 65534},
                      {"fd00::/116", 4095},
                      {"2001:db8::/112", 65535}};
  for (const Row& row : rows) {
    CAPTURE(row.text);
    absl::StatusOr<IpRange> range = IpRange::Parse(row.text);
    REQUIRE(range.ok());
    std::vector<sockaddr_storage> all;
    all.push_back(sockaddr_storage{});  // AppendTo appends, keeps this one
    range->AppendTo(all);
    REQUIRE(all.size() == row.size + 1);
    std::set<std::string> distinct;
    size_t with_port = 0;
    for (size_t i = 1; i < all.size(); ++i) {
      distinct.insert(IpToString(all[i]));
      const uint16_t port =
          all[i].ss_family == AF_INET
              ? reinterpret_cast<const sockaddr_in&>(all[i]).sin_port
              : reinterpret_cast<const sockaddr_in6&>(all[i]).sin6_port;
      with_port += port != 0;
    }
    CHECK(with_port == 0);
    CHECK(distinct.size() == row.size);
    CHECK(IpToString(all[1]) == IpToString(range->At(0)));
  }
}

TEST_CASE("carry crosses byte boundaries inside the block") {
  absl::StatusOr<IpRange> range = IpRange::Parse("10.0.0.0/22");
  REQUIRE(range.ok());
  CHECK(IpToString(range->At(254)) == "10.0.0.255");
  CHECK(IpToString(range->At(255)) == "10.0.1.0");
  CHECK(IpToString(range->At(range->size() - 1)) == "10.0.3.254");
}

TEST_CASE("address helpers: text, loopback, equality") {
  sockaddr_storage v4 = IpRange::Parse("127.0.0.9")->At(0);
  reinterpret_cast<sockaddr_in&>(v4).sin_port = htons(80);
  sockaddr_storage v6 = IpRange::Parse("::1")->At(0);
  reinterpret_cast<sockaddr_in6&>(v6).sin6_port = htons(8080);
  CHECK(EndpointToString(v4) == "127.0.0.9:80");
  CHECK(EndpointToString(v6) == "[::1]:8080");
  CHECK(IsLoopback(v4));
  CHECK(IsLoopback(v6));
  CHECK_FALSE(IsLoopback(IpRange::Parse("192.0.2.1")->At(0)));
  CHECK_FALSE(IsLoopback(IpRange::Parse("fd00::1")->At(0)));
  CHECK(IsLoopback(IpRange::Parse("::ffff:127.0.0.1")->At(0)));
  CHECK(SameIp(v4, IpRange::Parse("127.0.0.9")->At(0)));  // port ignored
  CHECK_FALSE(SameIp(v4, IpRange::Parse("127.0.0.8")->At(0)));
  CHECK_FALSE(SameIp(v4, v6));
  CHECK(PortOf(v4) == 80);
  CHECK(PortOf(v6) == 8080);
  CHECK(PortOf(sockaddr_storage{}) == 0);
  CHECK(IpToString(sockaddr_storage{}) == "?");
}

}  // namespace
}  // namespace tcpkali::engine
