// IpRange: one IPv4 or IPv6 address, or a CIDR block of them, as written
// after --source-ip ("10.0.0.7", "127.0.0.0/24", "::1", "fd00::/120"),
// expanded into the addresses a socket can bind to.
//
// Which addresses of a block are usable:
//   IPv4 /0../30   the network address (host bits all zero) and the
//                  broadcast address (all ones) are left out: 127.0.0.0/24
//                  is 127.0.0.1 .. 127.0.0.254, 254 addresses.
//   IPv4 /31, /32  every address (RFC 3021 point-to-point links).
//   IPv6 /0../126  the subnet-router anycast address (host bits all zero,
//                  RFC 4291 2.6.1) is left out: fd00::/120 is fd00::1 ..
//                  fd00::ff, 255 addresses. IPv6 has no broadcast.
//   IPv6 /127,/128 every address (RFC 6164).
// A block may hold at most kMaxIpRangeAddresses addresses (an IPv4 /16 or
// an IPv6 /112): more source addresses than that buy nothing (each one
// already carries ~28k ports per destination) and would only cost memory.
//
// Example:
//   absl::StatusOr<IpRange> range = IpRange::Parse("127.0.0.0/30");
//   if (!range.ok()) return range.status();  // InvalidArgument, says why
//   range->size();                 // 2: 127.0.0.1 and 127.0.0.2
//   std::vector<sockaddr_storage> addresses;
//   range->AppendTo(addresses);    // port 0, ready for bind()
#ifndef TCPKALI_ENGINE_IP_RANGE_H_
#define TCPKALI_ENGINE_IP_RANGE_H_

#include <sys/socket.h>

#include <array>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"

namespace tcpkali::engine {

// The largest block IpRange::Parse() accepts, counted before the network
// and broadcast addresses are left out.
inline constexpr uint64_t kMaxIpRangeAddresses = 65536;

// A value type; immutable after Parse(), safe to share between threads.
class IpRange {
 public:
  // Parses "A.B.C.D", "A.B.C.D/N", an IPv6 literal, optionally in brackets
  // ("::1", "[::1]"), or an IPv6 block "fd00::/120" ("[fd00::]/120").
  // Fails with InvalidArgument, naming the text and the reason, when the
  // address or prefix length does not parse, when host bits are set below
  // the prefix ("10.0.0.5/24": the message names 10.0.0.0/24), or when
  // the block holds more than kMaxIpRangeAddresses addresses.
  [[nodiscard]] static absl::StatusOr<IpRange> Parse(std::string_view text);

  // AF_INET or AF_INET6.
  int family() const { return family_; }
  // The prefix length: 32 or 128 for a single address.
  int prefix_bits() const { return prefix_bits_; }
  // How many usable addresses the range holds (see the table above);
  // at least 1.
  uint64_t size() const { return size_; }

  // The index-th usable address, 0 <= index < size(), in ascending order,
  // as a sockaddr_in or sockaddr_in6 with port 0. An index out of range
  // is a programming error (it aborts).
  sockaddr_storage At(uint64_t index) const;

  // Appends all size() addresses to `out`, in ascending order.
  void AppendTo(std::vector<sockaddr_storage>& out) const;

  // The canonical text: "127.0.0.0/24", or the bare address for a single
  // address ("::1").
  std::string ToString() const;

 private:
  IpRange() = default;

  int family_ = 0;
  int prefix_bits_ = 0;
  uint64_t size_ = 0;
  // The first usable address in network byte order; IPv4 uses bytes 0..3.
  std::array<uint8_t, 16> first_{};
};

// The address part of a sockaddr_in/sockaddr_in6 as text: "127.0.0.1",
// "::1". "?" for any other family.
std::string IpToString(const sockaddr_storage& address);

// The address and port: "127.0.0.1:80", "[::1]:80".
std::string EndpointToString(const sockaddr_storage& address);

// True for 127.0.0.0/8 and ::1 (and IPv4-mapped ::ffff:127.x.y.z).
bool IsLoopback(const sockaddr_storage& address);

// The port of a sockaddr_in/sockaddr_in6, in host order; 0 for any other
// family.
uint16_t PortOf(const sockaddr_storage& address);

// True when the two hold the same family and address; ports are ignored.
bool SameIp(const sockaddr_storage& a, const sockaddr_storage& b);

}  // namespace tcpkali::engine

#endif  // TCPKALI_ENGINE_IP_RANGE_H_
