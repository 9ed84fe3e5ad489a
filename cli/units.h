// Unit parsers for command-line values: counts, rates, sizes, bandwidths
// and times, as SPEC.md ("Units") spells them.
//
// Each parser takes the text after the option and returns the value in the
// unit its name says, or an InvalidArgument status whose message reads
// "<what is wrong>; <what is accepted>" -- the caller puts the option name in
// front. None of them throws, and none accepts a sign, whitespace, NaN,
// infinity, an exponent or an empty string.
//
// Example:
//   absl::StatusOr<int64_t> t = cli::ParseDurationNs("1.5m");   // 90e9
//   absl::StatusOr<uint64_t> n = cli::ParseCount("5k");         // 5000
//   absl::StatusOr<double> bw = cli::ParseBandwidth("8Mbps");   // 1e6 B/s
//   if (!t.ok()) return Prefixed("--duration", t.status());
#ifndef TCPKALI_CLI_UNITS_H_
#define TCPKALI_CLI_UNITS_H_

#include <cstdint>
#include <string_view>

#include "absl/status/statusor.h"

namespace tcpkali::cli {

// What each parser accepts, for error messages and --help.
inline constexpr std::string_view kCountForms =
    "a whole number, optionally with k (1000) or m (1000000): 100, 5k, 1.5m";
inline constexpr std::string_view kRateForms =
    "a number, optionally fractional, with k (1000) or m (1000000): "
    "100, 0.25, 5k, 1.5m";
inline constexpr std::string_view kSizeForms =
    "bytes, optionally with k (1024) or m (1048576): 65536, 64k, 1.5m";
inline constexpr std::string_view kBandwidthForms =
    "bps kbps Mbps Gbps (bits/s), Bps kBps MBps GBps (bytes/s), or bytes/s "
    "as a bare number: 10Mbps, 1.5MBps";
inline constexpr std::string_view kTimeForms =
    "a time in us ms s m h d (a bare number is seconds): 10s, 250ms, 1.5m";

// A rate or fractional count: a decimal number with an optional multiplier
// k (1000) or m (1000000). "0.25" -> 0.25, "5k" -> 5000, "1.5m" -> 1.5e6.
// Fails on anything else, and when the value exceeds what a double holds.
[[nodiscard]] absl::StatusOr<double> ParseRate(std::string_view text);

// A count that must come out a whole number: "100", "5k", "1.5k" -> 1500.
// Fails like ParseRate, and also on "0.5" (not whole) and on values past
// UINT64_MAX.
[[nodiscard]] absl::StatusOr<uint64_t> ParseCount(std::string_view text);

// A size in bytes with k = 1024, m = 1048576: "64k" -> 65536,
// "1.5m" -> 1572864. Fails when the result is not a whole number of bytes or
// exceeds UINT64_MAX.
[[nodiscard]] absl::StatusOr<uint64_t> ParseSize(std::string_view text);

// A bandwidth, returned in bytes per second: bps kbps Mbps Gbps are bits
// per second (divided by 8), Bps kBps MBps GBps bytes per second, and a bare
// number is bytes per second as in the original tcpkali. k, M and G are
// powers of 1000. "10Mbps" -> 1.25e6.
[[nodiscard]] absl::StatusOr<double> ParseBandwidth(std::string_view text);

// A time, returned in nanoseconds: us ms s m h d, a bare number is seconds,
// fractions allowed ("0.25s", "1.5m"), rounded to the nearest nanosecond.
// Fails on a negative value (callers that accept -1 check for it first)
// and when the result exceeds INT64_MAX nanoseconds (about 292 years).
[[nodiscard]] absl::StatusOr<int64_t> ParseDurationNs(std::string_view text);

}  // namespace tcpkali::cli

#endif  // TCPKALI_CLI_UNITS_H_
