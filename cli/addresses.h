// Addresses as the command line writes them: positional destinations
// ("host:port[/path]"), the -l listen address ("[host:]port") and
// --source-ip values (an address or a CIDR range). Syntax only: nothing is
// resolved here (the engine resolves names and exits 68 when it cannot).
//
// Errors are InvalidArgument statuses reading "<what is wrong>; <what is
// accepted>"; the caller puts the option name in front.
//
// Example:
//   absl::StatusOr<engine::Destination> d =
//       cli::ParseDestination("[::1]:8080/chat");
//   // d->host == "::1", d->port == "8080", d->path == "/chat"
#ifndef TCPKALI_CLI_ADDRESSES_H_
#define TCPKALI_CLI_ADDRESSES_H_

#include <string_view>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "engine/config.h"

namespace tcpkali::cli {

inline constexpr std::string_view kDestinationForms =
    "host:port[/path], e.g. 127.0.0.1:80, [::1]:8080/chat, localhost:echo";
inline constexpr std::string_view kListenForms =
    "[host:]port with port 0..65535, e.g. 12345, 127.0.0.1:0, [::1]:8080";
inline constexpr std::string_view kSourceIpForms =
    "an IPv4 or IPv6 address or CIDR range, e.g. 10.0.0.1, 127.0.0.0/24, "
    "fd00::/120";

// Parses "host:port[/path]". host is a name, an IPv4 literal or a bracketed
// IPv6 literal (stored without brackets); port is 1..65535 or a service name
// ("echo", "http-alt"); the path starts at the first '/' after the port.
// Fails when the host or port is missing or malformed, or an IPv6 literal
// is not in brackets.
[[nodiscard]] absl::StatusOr<engine::Destination> ParseDestination(
    std::string_view text);

// Parses "[host:]port" for -l: port is numeric, 0..65535 (0 lets the kernel
// choose); host as in ParseDestination, empty when absent. Fails otherwise.
[[nodiscard]] absl::StatusOr<engine::ListenAddress> ParseListenAddress(
    std::string_view text);

// Checks an address or "address/prefix" (IPv4 prefix 0..32, IPv6 0..128).
// Returns OK when well formed, InvalidArgument otherwise.
[[nodiscard]] absl::Status CheckSourceIp(std::string_view text);

}  // namespace tcpkali::cli

#endif  // TCPKALI_CLI_ADDRESSES_H_
