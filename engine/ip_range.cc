#include "engine/ip_range.h"

#include <arpa/inet.h>
#include <netinet/in.h>

#include <algorithm>
#include <cstdlib>
#include <cstring>

#include "absl/status/status.h"
#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"

namespace tcpkali::engine {
namespace {

// Adds `value` to the big-endian number in bytes[0, length).
void AddBigEndian(uint8_t* bytes, int length, uint64_t value) {
  unsigned carry = 0;
  for (int i = length - 1; i >= 0 && (value != 0 || carry != 0); --i) {
    const unsigned sum = bytes[i] + static_cast<unsigned>(value & 0xff) + carry;
    bytes[i] = static_cast<uint8_t>(sum);
    carry = sum >> 8;
    value >>= 8;
  }
}

// True when every bit of bytes[0, length) past the first `prefix_bits` is 0.
bool HostBitsClear(const uint8_t* bytes, int length, int prefix_bits) {
  for (int bit = prefix_bits; bit < length * 8; ++bit) {
    if (bytes[bit / 8] & (0x80 >> (bit % 8))) return false;
  }
  return true;
}

void ClearHostBits(uint8_t* bytes, int length, int prefix_bits) {
  for (int bit = prefix_bits; bit < length * 8; ++bit) {
    bytes[bit / 8] &= static_cast<uint8_t>(~(0x80 >> (bit % 8)));
  }
}

std::string BytesToString(int family, const uint8_t* bytes) {
  char text[INET6_ADDRSTRLEN] = {};
  if (inet_ntop(family, bytes, text, sizeof text) == nullptr) return "?";
  return text;
}

// Debian's Abseil has its own string_view class; this crosses over without
// pulling in its throwing substr().
absl::string_view Absl(std::string_view s) { return {s.data(), s.size()}; }

absl::Status Invalid(std::string_view text, std::string_view why) {
  return absl::InvalidArgumentError(
      absl::StrCat("\"", Absl(text), "\": ", Absl(why)));
}

// Splits "[addr]/N", "addr/N", "[addr]" or "addr" into address and prefix
// text (empty when absent). False when brackets are unbalanced.
bool SplitRange(std::string_view text, std::string_view& address,
                std::string_view& prefix, bool& bracketed) {
  bracketed = !text.empty() && text.front() == '[';
  std::string_view rest;
  if (bracketed) {
    const size_t close = text.find(']');
    if (close == std::string_view::npos) return false;
    address = text.substr(1, close - 1);
    rest = text.substr(close + 1);
    if (!rest.empty() && rest.front() != '/') return false;
  } else {
    const size_t slash = text.find('/');
    address = text.substr(0, slash);
    rest = slash == std::string_view::npos ? "" : text.substr(slash);
  }
  prefix = rest.empty() ? rest : rest.substr(1);
  return rest.empty() || !prefix.empty();  // "10.0.0.0/" has no bits
}

}  // namespace

absl::StatusOr<IpRange> IpRange::Parse(std::string_view text) {
  std::string_view address_text, prefix_text;
  bool bracketed = false;
  if (text.empty())
    return Invalid(text, "expected an IP address or CIDR range");
  if (!SplitRange(text, address_text, prefix_text, bracketed)) {
    return Invalid(text, "expected ADDRESS, ADDRESS/BITS or [IPV6]/BITS");
  }
  IpRange range;
  const std::string address(address_text);
  uint8_t bytes[16] = {};
  if (!bracketed && inet_pton(AF_INET, address.c_str(), bytes) == 1) {
    range.family_ = AF_INET;
  } else if (inet_pton(AF_INET6, address.c_str(), bytes) == 1) {
    range.family_ = AF_INET6;
  } else {
    return Invalid(text, "not an IPv4 or IPv6 address");
  }
  const int length = range.family_ == AF_INET ? 4 : 16;
  int prefix_bits = length * 8;
  if (!prefix_text.empty()) {
    const bool digits = prefix_text.size() <= 3 &&
                        std::all_of(prefix_text.begin(), prefix_text.end(),
                                    absl::ascii_isdigit);
    if (!digits || !absl::SimpleAtoi(Absl(prefix_text), &prefix_bits) ||
        prefix_bits > length * 8) {
      return Invalid(text,
                     absl::StrCat("the prefix length must be 0..", length * 8));
    }
  }
  const int host_bits = length * 8 - prefix_bits;
  if (host_bits > 16) {
    const std::string count = host_bits >= 64
                                  ? absl::StrCat("2^", host_bits)
                                  : absl::StrCat(uint64_t{1} << host_bits);
    return Invalid(
        text, absl::StrCat("spans ", count, " addresses; at most ",
                           kMaxIpRangeAddresses,
                           " are supported (an IPv4 /16 or an IPv6 /112)"));
  }
  if (!HostBitsClear(bytes, length, prefix_bits)) {
    ClearHostBits(bytes, length, prefix_bits);
    return Invalid(text, absl::StrCat("host bits are set below the prefix; "
                                      "the range is ",
                                      BytesToString(range.family_, bytes), "/",
                                      prefix_bits));
  }
  // The network (and, for IPv4, broadcast) address is left out unless the
  // block is a point-to-point /31 or /127, or a single address.
  const bool keep_all = host_bits <= 1;
  const uint64_t block = uint64_t{1} << host_bits;
  const uint64_t excluded = keep_all ? 0 : (range.family_ == AF_INET ? 2 : 1);
  range.prefix_bits_ = prefix_bits;
  range.size_ = block - excluded;
  std::memcpy(range.first_.data(), bytes, length);
  if (!keep_all) AddBigEndian(range.first_.data(), length, 1);
  return range;
}

sockaddr_storage IpRange::At(uint64_t index) const {
  if (index >= size_) std::abort();  // a caller bug, not an input error
  sockaddr_storage out{};
  if (family_ == AF_INET) {
    auto* sin = reinterpret_cast<sockaddr_in*>(&out);
    sin->sin_family = AF_INET;
    uint8_t bytes[4];
    std::memcpy(bytes, first_.data(), 4);
    AddBigEndian(bytes, 4, index);
    std::memcpy(&sin->sin_addr, bytes, 4);
  } else {
    auto* sin6 = reinterpret_cast<sockaddr_in6*>(&out);
    sin6->sin6_family = AF_INET6;
    std::array<uint8_t, 16> bytes = first_;
    AddBigEndian(bytes.data(), 16, index);
    std::memcpy(&sin6->sin6_addr, bytes.data(), 16);
  }
  return out;
}

void IpRange::AppendTo(std::vector<sockaddr_storage>& out) const {
  out.reserve(out.size() + size_);
  for (uint64_t i = 0; i < size_; ++i) out.push_back(At(i));
}

std::string IpRange::ToString() const {
  const int length = family_ == AF_INET ? 4 : 16;
  if (prefix_bits_ == length * 8) return BytesToString(family_, first_.data());
  std::array<uint8_t, 16> network = first_;
  ClearHostBits(network.data(), length, prefix_bits_);
  return absl::StrCat(BytesToString(family_, network.data()), "/",
                      prefix_bits_);
}

std::string IpToString(const sockaddr_storage& address) {
  if (address.ss_family == AF_INET) {
    const auto& sin = reinterpret_cast<const sockaddr_in&>(address);
    return BytesToString(AF_INET,
                         reinterpret_cast<const uint8_t*>(&sin.sin_addr));
  }
  if (address.ss_family == AF_INET6) {
    const auto& sin6 = reinterpret_cast<const sockaddr_in6&>(address);
    return BytesToString(AF_INET6,
                         reinterpret_cast<const uint8_t*>(&sin6.sin6_addr));
  }
  return "?";
}

std::string EndpointToString(const sockaddr_storage& address) {
  if (address.ss_family == AF_INET) {
    return absl::StrCat(IpToString(address), ":", PortOf(address));
  }
  if (address.ss_family == AF_INET6) {
    return absl::StrCat("[", IpToString(address), "]:", PortOf(address));
  }
  return "?";
}

bool IsLoopback(const sockaddr_storage& address) {
  if (address.ss_family == AF_INET) {
    const auto& sin = reinterpret_cast<const sockaddr_in&>(address);
    return (ntohl(sin.sin_addr.s_addr) >> 24) == 127;
  }
  if (address.ss_family == AF_INET6) {
    const in6_addr& a =
        reinterpret_cast<const sockaddr_in6&>(address).sin6_addr;
    if (IN6_IS_ADDR_LOOPBACK(&a)) return true;
    return IN6_IS_ADDR_V4MAPPED(&a) && a.s6_addr[12] == 127;
  }
  return false;
}

uint16_t PortOf(const sockaddr_storage& address) {
  if (address.ss_family == AF_INET) {
    return ntohs(reinterpret_cast<const sockaddr_in&>(address).sin_port);
  }
  if (address.ss_family == AF_INET6) {
    return ntohs(reinterpret_cast<const sockaddr_in6&>(address).sin6_port);
  }
  return 0;
}

bool SameIp(const sockaddr_storage& a, const sockaddr_storage& b) {
  if (a.ss_family != b.ss_family) return false;
  if (a.ss_family == AF_INET) {
    return reinterpret_cast<const sockaddr_in&>(a).sin_addr.s_addr ==
           reinterpret_cast<const sockaddr_in&>(b).sin_addr.s_addr;
  }
  if (a.ss_family == AF_INET6) {
    return std::memcmp(&reinterpret_cast<const sockaddr_in6&>(a).sin6_addr,
                       &reinterpret_cast<const sockaddr_in6&>(b).sin6_addr,
                       sizeof(in6_addr)) == 0;
  }
  return false;
}

}  // namespace tcpkali::engine
