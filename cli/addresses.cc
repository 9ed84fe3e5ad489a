#include "cli/addresses.h"

#include <arpa/inet.h>

#include <charconv>
#include <cstdint>
#include <string>
#include <string_view>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"

namespace tcpkali::cli {
namespace {

absl::string_view Av(std::string_view s) { return {s.data(), s.size()}; }

absl::Status Invalid(std::string_view text, std::string_view what,
                     std::string_view forms) {
  return absl::InvalidArgumentError(
      absl::StrCat("\"", Av(text), "\" ", Av(what), "; expected ", Av(forms)));
}

bool IsDigit(char c) { return c >= '0' && c <= '9'; }
bool IsAlpha(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

bool IsIp(int family, std::string_view text) {
  unsigned char buf[16];
  return inet_pton(family, std::string(text).c_str(), buf) == 1;
}

// Host names as the resolver takes them, plus IPv4 literals.
bool IsHostName(std::string_view host) {
  if (host.empty() || host.size() > 253) return false;
  for (char c : host) {
    if (!IsAlpha(c) && !IsDigit(c) && c != '.' && c != '-' && c != '_') {
      return false;
    }
  }
  return host.front() != '.' && host.front() != '-';
}

// A decimal number in [min, max] with nothing else around it.
bool ParseNumber(std::string_view text, uint32_t min, uint32_t max,
                 uint32_t& out) {
  if (text.empty() || text.size() > 5) return false;
  for (char c : text) {
    if (!IsDigit(c)) return false;
  }
  std::from_chars(text.data(), text.data() + text.size(), out);
  return out >= min && out <= max;
}

bool IsServiceName(std::string_view port) {
  bool has_letter = false;
  for (char c : port) {
    if (IsAlpha(c)) {
      has_letter = true;
    } else if (!IsDigit(c) && c != '-' && c != '_') {
      return false;
    }
  }
  return has_letter;
}

struct HostPort {
  std::string_view host;
  std::string_view port;
  std::string_view rest;  // after the port, starting at '/' when present
};

// Splits "host:port..." or "[v6]:port...", checking the host only.
absl::StatusOr<HostPort> SplitHostPort(std::string_view text,
                                       std::string_view forms) {
  HostPort out;
  std::string_view tail;
  if (text.find("://") != std::string_view::npos) {
    return Invalid(text, "has a URL scheme", forms);
  }
  if (!text.empty() && text.front() == '[') {
    const size_t close = text.find(']');
    if (close == std::string_view::npos) {
      return Invalid(text, "has an unclosed '['", forms);
    }
    out.host = text.substr(1, close - 1);
    // A link-local address may carry a zone ("fe80::1%eth0"), which
    // inet_pton does not take but the resolver does.
    const std::string_view address = out.host.substr(0, out.host.find('%'));
    if (!IsIp(AF_INET6, address) || out.host.ends_with('%')) {
      return Invalid(text, "has a bad IPv6 address in brackets", forms);
    }
    tail = text.substr(close + 1);
    if (tail.empty() || tail.front() != ':') {
      return Invalid(text, "lacks a port after ']'", forms);
    }
    tail.remove_prefix(1);
  } else {
    const size_t colon = text.find(':');
    if (colon == std::string_view::npos) {
      return Invalid(text, "lacks a port", forms);
    }
    out.host = text.substr(0, colon);
    tail = text.substr(colon + 1);
    const size_t slash = tail.find('/');
    if (tail.substr(0, slash).find(':') != std::string_view::npos) {
      return Invalid(text, "looks like an IPv6 address without brackets",
                     forms);
    }
    if (out.host.empty()) return Invalid(text, "lacks a host", forms);
    if (!IsHostName(out.host)) return Invalid(text, "has a bad host", forms);
  }
  const size_t slash = tail.find('/');
  out.port = tail.substr(0, slash);
  out.rest = slash == std::string_view::npos ? "" : tail.substr(slash);
  if (out.port.empty()) return Invalid(text, "lacks a port", forms);
  return out;
}

}  // namespace

absl::StatusOr<engine::Destination> ParseDestination(std::string_view text) {
  absl::StatusOr<HostPort> parts = SplitHostPort(text, kDestinationForms);
  if (!parts.ok()) return parts.status();
  uint32_t port = 0;
  if (!ParseNumber(parts->port, 1, 65535, port) &&
      !IsServiceName(parts->port)) {
    return Invalid(text, "has a bad port (1..65535 or a service name)",
                   kDestinationForms);
  }
  for (char c : parts->rest) {
    if (static_cast<unsigned char>(c) <= ' ' || c == 0x7f) {
      return Invalid(text, "has a space or control byte in its path",
                     kDestinationForms);
    }
  }
  return engine::Destination{.host = std::string(parts->host),
                             .port = std::string(parts->port),
                             .path = std::string(parts->rest),
                             .text = std::string(text)};
}

absl::StatusOr<engine::ListenAddress> ParseListenAddress(
    std::string_view text) {
  uint32_t port = 0;
  if (ParseNumber(text, 0, 65535, port)) {
    return engine::ListenAddress{.host = "",
                                 .port = static_cast<uint16_t>(port)};
  }
  if (text.find_first_of(":[") == std::string_view::npos) {
    return Invalid(text, "is not a port number", kListenForms);
  }
  absl::StatusOr<HostPort> parts = SplitHostPort(text, kListenForms);
  if (!parts.ok()) return parts.status();
  if (!parts->rest.empty()) {
    return Invalid(text, "has a path, which a listener cannot use",
                   kListenForms);
  }
  if (!ParseNumber(parts->port, 0, 65535, port)) {
    return Invalid(text, "has a bad port", kListenForms);
  }
  return engine::ListenAddress{.host = std::string(parts->host),
                               .port = static_cast<uint16_t>(port)};
}

absl::Status CheckSourceIp(std::string_view text) {
  const size_t slash = text.find('/');
  const std::string_view address = text.substr(0, slash);
  int family = 0;
  if (IsIp(AF_INET, address)) {
    family = AF_INET;
  } else if (IsIp(AF_INET6, address)) {
    family = AF_INET6;
  } else {
    return Invalid(text, "is not an IP address", kSourceIpForms);
  }
  if (slash == std::string_view::npos) return absl::OkStatus();
  const uint32_t max_prefix = family == AF_INET ? 32 : 128;
  uint32_t prefix = 0;
  if (!ParseNumber(text.substr(slash + 1), 0, max_prefix, prefix)) {
    return Invalid(
        text, absl::StrCat("has a bad prefix length (0..", max_prefix, ")"),
        kSourceIpForms);
  }
  return absl::OkStatus();
}

}  // namespace tcpkali::cli
