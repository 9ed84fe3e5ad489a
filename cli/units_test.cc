#include "cli/units.h"

#include <doctest/doctest.h>

#include <cstdint>
#include <limits>
#include <optional>
#include <string>
#include <type_traits>

namespace tcpkali::cli {
namespace {

// One row per input: the value wanted, or nullopt when the parser must fail
// with a message containing `error`.
template <typename T>
struct Row {
  std::string in;
  std::optional<T> want;
  std::string error = "";
};

template <typename T, typename Parser>
void CheckRows(Parser parse, std::initializer_list<Row<T>> rows) {
  for (const Row<T>& row : rows) {
    CAPTURE(row.in);
    const absl::StatusOr<T> got = parse(row.in);
    if (row.want.has_value()) {
      REQUIRE(got.ok());
      if constexpr (std::is_floating_point_v<T>) {
        CHECK(*got == doctest::Approx(*row.want).epsilon(1e-12));
      } else {
        CHECK(*got == *row.want);
      }
    } else {
      REQUIRE_FALSE(got.ok());
      CHECK(got.status().code() == absl::StatusCode::kInvalidArgument);
      const std::string message(got.status().message());
      CAPTURE(message);
      CHECK(message.find(row.error) != std::string::npos);
      CHECK(message.find("; expected ") != std::string::npos);
    }
  }
}

constexpr uint64_t kU64Max = std::numeric_limits<uint64_t>::max();
constexpr int64_t kI64Max = std::numeric_limits<int64_t>::max();
constexpr int64_t kSecondNs = 1'000'000'000;

TEST_CASE("ParseRate: plain, fractional, k and m") {
  CheckRows<double>(
      ParseRate,
      {{"100", 100},
       {"0", 0},
       {"0.25", 0.25},
       {".5", 0.5},
       {"5.", 5},
       {"5k", 5000},
       {"1.5m", 1.5e6},
       {"0.001k", 1},
       {"1" + std::string(400, '0'), std::nullopt, "too large"},
       {"1" + std::string(305, '0') + "m", std::nullopt, "too large"},
       {"-1", std::nullopt, "negative"},
       {"-0.5k", std::nullopt, "negative"},
       {"", std::nullopt, "empty"},
       {"abc", std::nullopt, "not a number"},
       {"nan", std::nullopt, "not a number"},
       {"inf", std::nullopt, "not a number"},
       {"+5", std::nullopt, "not a number"},
       {" 5", std::nullopt, "not a number"},
       {".", std::nullopt, "not a number"},
       {"-", std::nullopt, "not a number"},
       {"1e3", std::nullopt, "unknown unit \"e3\""},
       {"5K", std::nullopt, "unknown unit \"K\""},
       {"5 k", std::nullopt, "unknown unit \" k\""},
       {"5kk", std::nullopt, "unknown unit"},
       {"1.2.3", std::nullopt, "unknown unit \".3\""}});
}

TEST_CASE("ParseCount: whole numbers only, exact up to UINT64_MAX") {
  CheckRows<uint64_t>(ParseCount,
                      {{"1", 1},
                       {"0", 0},
                       {"007", 7},
                       {"5k", 5000},
                       {"1.5k", 1500},
                       {"0.001k", 1},
                       {"2.5m", 2500000},
                       {"18446744073709551615", kU64Max},
                       {"18446744073709551.615k", kU64Max},
                       {"18446744073709551616", std::nullopt, "too large"},
                       {"18446744073709551.616k", std::nullopt, "too large"},
                       {"18446744073709552k", std::nullopt, "too large"},
                       {"99999999999999999999999", std::nullopt, "too large"},
                       {"0.5", std::nullopt, "not a whole number"},
                       {"1.0001k", std::nullopt, "not a whole number"},
                       // Found by fuzzing: within a float's rounding of whole.
                       {"1.0000000001k", std::nullopt, "not a whole number"},
                       {"1.500000000000000000000000000000000k", 1500},
                       {"-3", std::nullopt, "negative"},
                       {"", std::nullopt, "empty"},
                       {"ten", std::nullopt, "not a number"},
                       {"10x", std::nullopt, "unknown unit \"x\""},
                       {"10M", std::nullopt, "unknown unit \"M\""},
                       {"10s", std::nullopt, "unknown unit \"s\""}});
}

TEST_CASE("ParseSize: k and m are powers of 1024") {
  CheckRows<uint64_t>(ParseSize,
                      {{"0", 0},
                       {"4096", 4096},
                       {"64k", 65536},
                       {"1m", 1048576},
                       {"1.5m", 1572864},
                       {"0.5k", 512},
                       {"17592186044415m", kU64Max - 1048575},
                       {"17592186044416m", std::nullopt, "too large"},
                       {"0.3k", std::nullopt, "not a whole number"},
                       {"1.5", std::nullopt, "not a whole number"},
                       {"-64k", std::nullopt, "negative"},
                       {"", std::nullopt, "empty"},
                       {"big", std::nullopt, "not a number"},
                       {"64kB", std::nullopt, "unknown unit \"kB\""},
                       {"1g", std::nullopt, "unknown unit \"g\""}});
}

TEST_CASE("ParseBandwidth: bits and bytes per second") {
  CheckRows<double>(
      ParseBandwidth,
      {{"1000", 1000},
       {"800bps", 100},
       {"8kbps", 1000},
       {"10Mbps", 1.25e6},
       {"1Gbps", 1.25e8},
       {"1.5Gbps", 1.875e8},
       {"100Bps", 100},
       {"2kBps", 2000},
       {"1.5MBps", 1.5e6},
       {"3GBps", 3e9},
       {"0.5kbps", 62.5},
       {"0", 0},
       {"1" + std::string(400, '0') + "Mbps", std::nullopt, "too large"},
       {"-1Mbps", std::nullopt, "negative"},
       {"", std::nullopt, "empty"},
       {"fast", std::nullopt, "not a number"},
       {"Mbps", std::nullopt, "not a number"},
       {"10mbps", std::nullopt, "unknown unit \"mbps\""},
       {"10Kbps", std::nullopt, "unknown unit \"Kbps\""},
       {"10k", std::nullopt, "unknown unit \"k\""},
       {"10 Mbps", std::nullopt, "unknown unit"}});
}

TEST_CASE("ParseDurationNs: us ms s m h d, bare seconds, fractions") {
  CheckRows<int64_t>(ParseDurationNs,
                     {{"0", 0},
                      {"10", 10 * kSecondNs},
                      {"10s", 10 * kSecondNs},
                      {"0.25s", kSecondNs / 4},
                      {"0.25", kSecondNs / 4},
                      {"250ms", kSecondNs / 4},
                      {"1.5ms", 1'500'000},
                      {"15us", 15'000},
                      {"1.5m", 90 * kSecondNs},
                      {"2h", 7200 * kSecondNs},
                      {"1d", 86400 * kSecondNs},
                      {"0.5d", 43200 * kSecondNs},
                      {"1.1s", 1'100'000'000},
                      {"0.0000000004s", 0},  // rounds to the nearest nanosecond
                      {"0.0000000006s", 1},
                      {"9223372036s", 9223372036 * kSecondNs},
                      {"9223372036.854775807", kI64Max},
                      {"9223372036.854775808", std::nullopt, "too large"},
                      {"9223372037s", std::nullopt, "too large"},
                      {"106752d", std::nullopt, "too large"},
                      {"-1", std::nullopt, "negative"},
                      {"-0.5s", std::nullopt, "negative"},
                      {"", std::nullopt, "empty"},
                      {"soon", std::nullopt, "not a number"},
                      {"s", std::nullopt, "not a number"},
                      {"10sec", std::nullopt, "unknown unit \"sec\""},
                      {"10ns", std::nullopt, "unknown unit \"ns\""},
                      {"5M", std::nullopt, "unknown unit \"M\""},
                      {"1h30m", std::nullopt, "unknown unit \"h30m\""}});
}

}  // namespace
}  // namespace tcpkali::cli
