// Fuzz target for the unit parsers of cli/units.h. Every input goes to all
// five parsers and each answer is compared with a reference that reads the
// same grammar with exact integer arithmetic (for the exact parsers) or
// strtod (for the floating-point ones): accepted exactly when the reference
// accepts, with the same value, and every error an InvalidArgument that
// says what is accepted.
#include <cerrno>
#include <cmath>
#include <cstdint>
#include <cstdlib>
#include <limits>
#include <optional>
#include <string>
#include <string_view>

#include "absl/status/statusor.h"
#include "cli/units.h"
#include "testing/fuzz/fuzz_check.h"

namespace tcpkali::testing {
namespace {

using u128 = unsigned __int128;

// "<digits>[.<digits>]<unit>" with at least one digit, as the header says.
struct Lexed {
  std::string_view whole;
  std::string_view fraction;
  std::string_view number;  // whole, '.', fraction as written
  std::string_view unit;
};

std::optional<Lexed> Lex(std::string_view text) {
  auto digits_end = [&](size_t i) {
    while (i < text.size() && text[i] >= '0' && text[i] <= '9') ++i;
    return i;
  };
  Lexed l;
  size_t i = digits_end(0);
  l.whole = text.substr(0, i);
  if (i < text.size() && text[i] == '.') {
    const size_t end = digits_end(i + 1);
    l.fraction = text.substr(i + 1, end - i - 1);
    i = end;
  }
  if (l.whole.empty() && l.fraction.empty()) return std::nullopt;
  l.number = text.substr(0, i);
  l.unit = text.substr(i);
  return l;
}

// Decimal digits as a number, or nullopt past 2^100 (beyond every limit
// here, and still far from overflowing the 128-bit products below).
std::optional<u128> Digits(std::string_view digits) {
  u128 v = 0;
  for (char c : digits) {
    v = v * 10 + static_cast<unsigned>(c - '0');
    if (v > (u128{1} << 100)) return std::nullopt;
  }
  return v;
}

// whole.fraction * multiplier exactly, when it is a whole number <= max;
// `rounded` rounds a fractional result to the nearest integer instead.
// Sets *near_limit when the result is within one of `max`, where rounding
// done in a double may legitimately land on either side.
std::optional<uint64_t> ExactProduct(const Lexed& l, uint64_t multiplier,
                                     uint64_t max, bool rounded,
                                     bool* near_limit) {
  *near_limit = false;
  std::optional<u128> whole = Digits(l.whole);
  if (!whole) return std::nullopt;
  u128 total = *whole * multiplier;
  std::string_view frac = l.fraction;
  while (!frac.empty() && frac.back() == '0') frac.remove_suffix(1);
  // A whole result needs 10^k | D * multiplier with D not a multiple of 10:
  // k <= 20 for every multiplier below 2^64. When rounding, 20 digits put
  // the nearest nanosecond within 1e-6 ns for the largest unit (a day).
  if (frac.size() > 20) {
    if (!rounded) return std::nullopt;
    frac = frac.substr(0, 20);
  }
  if (!frac.empty()) {
    u128 scale = 1;
    for (size_t i = 0; i < frac.size(); ++i) scale *= 10;
    // D < 10^20 < 2^67 and multiplier < 2^47: no overflow.
    const u128 product = *Digits(frac) * multiplier;
    if (rounded) {
      total += (product + scale / 2) / scale;
    } else {
      if (product % scale != 0) return std::nullopt;
      total += product / scale;
    }
  }
  if (total + 1 >= max && total <= u128{max} + 1) *near_limit = true;
  if (total > max) return std::nullopt;
  return static_cast<uint64_t>(total);
}

void CheckError(const absl::Status& status, std::string_view parser) {
  TCPKALI_FUZZ_CHECK(status.code() == absl::StatusCode::kInvalidArgument,
                     parser, ": ", status.ToString());
  TCPKALI_FUZZ_CHECK(
      status.message().find("; expected ") != absl::string_view::npos, parser,
      ": error does not say what is accepted: ", status.ToString());
}

struct ExactUnit {
  std::string_view suffix;
  uint64_t multiplier;
};

template <size_t N>
const ExactUnit* FindUnit(const ExactUnit (&units)[N], std::string_view s) {
  for (const ExactUnit& u : units) {
    if (u.suffix == s) return &u;
  }
  return nullptr;
}

template <typename T, size_t N>
void CheckExact(std::string_view text, const std::optional<Lexed>& l,
                const ExactUnit (&units)[N], uint64_t max, bool rounded,
                const absl::StatusOr<T>& got, std::string_view parser) {
  std::optional<uint64_t> want;
  bool near_limit = false;
  const ExactUnit* unit = l ? FindUnit(units, l->unit) : nullptr;
  if (unit)
    want = ExactProduct(*l, unit->multiplier, max, rounded, &near_limit);
  if (!got.ok()) CheckError(got.status(), parser);
  if (near_limit && rounded) return;
  TCPKALI_FUZZ_CHECK(got.ok() == want.has_value(), parser, "(\"", text,
                     "\") ok=", got.ok(), " but the reference says ",
                     want.has_value() ? "ok" : "no");
  if (!got.ok()) return;
  const uint64_t value = static_cast<uint64_t>(*got);
  // Rounding through a double may be off by one nanosecond at a tie.
  const uint64_t diff = value > *want ? value - *want : *want - value;
  TCPKALI_FUZZ_CHECK(diff <= (rounded ? 1u : 0u), parser, "(\"", text,
                     "\") = ", value, ", reference ", *want);
}

struct ScaledUnit {
  std::string_view suffix;
  double scale;
};

template <size_t N>
void CheckScaled(std::string_view text, const std::optional<Lexed>& l,
                 const ScaledUnit (&units)[N],
                 const absl::StatusOr<double>& got, std::string_view parser) {
  std::optional<double> want;
  bool underflow = false;
  for (const ScaledUnit& u : units) {
    if (!l || u.suffix != l->unit) continue;
    errno = 0;
    const double v = std::strtod(std::string(l->number).c_str(), nullptr);
    underflow = errno == ERANGE && v <= std::numeric_limits<double>::min();
    if (std::isfinite(v * u.scale)) want = v * u.scale;
  }
  if (!got.ok()) CheckError(got.status(), parser);
  // A nonzero value below the smallest double: from_chars reports it out
  // of range, strtod rounds it to zero. Either answer will do.
  if (underflow) return;
  TCPKALI_FUZZ_CHECK(got.ok() == want.has_value(), parser, "(\"", text,
                     "\") ok=", got.ok());
  if (!got.ok()) return;
  TCPKALI_FUZZ_CHECK(*got >= 0 && std::isfinite(*got), parser, "(\"", text,
                     "\") = ", *got);
  TCPKALI_FUZZ_CHECK(std::fabs(*got - *want) <= 1e-12 * *want, parser, "(\"",
                     text, "\") = ", *got, ", reference ", *want);
}

constexpr uint64_t kU64Max = std::numeric_limits<uint64_t>::max();
constexpr uint64_t kI64Max = std::numeric_limits<int64_t>::max();
constexpr uint64_t kSecond = 1'000'000'000;

constexpr ExactUnit kCountUnits[] = {{"", 1}, {"k", 1000}, {"m", 1000000}};
constexpr ExactUnit kSizeUnits[] = {{"", 1}, {"k", 1024}, {"m", 1048576}};
constexpr ExactUnit kTimeUnits[] = {
    {"", kSecond},         {"us", 1000},        {"ms", 1000000},
    {"s", kSecond},        {"m", 60 * kSecond}, {"h", 3600 * kSecond},
    {"d", 86400 * kSecond}};
constexpr ScaledUnit kRateUnits[] = {{"", 1}, {"k", 1e3}, {"m", 1e6}};
constexpr ScaledUnit kBandwidthUnits[] = {
    {"", 1},           {"bps", 1.0 / 8},  {"kbps", 1e3 / 8},
    {"Mbps", 1e6 / 8}, {"Gbps", 1e9 / 8}, {"Bps", 1},
    {"kBps", 1e3},     {"MBps", 1e6},     {"GBps", 1e9}};

}  // namespace
}  // namespace tcpkali::testing

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  namespace t = tcpkali::testing;
  namespace cli = tcpkali::cli;
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  const std::optional<t::Lexed> lexed = t::Lex(text);
  t::CheckExact(text, lexed, t::kCountUnits, t::kU64Max, false,
                cli::ParseCount(text), "ParseCount");
  t::CheckExact(text, lexed, t::kSizeUnits, t::kU64Max, false,
                cli::ParseSize(text), "ParseSize");
  t::CheckExact(text, lexed, t::kTimeUnits, t::kI64Max, true,
                cli::ParseDurationNs(text), "ParseDurationNs");
  t::CheckScaled(text, lexed, t::kRateUnits, cli::ParseRate(text), "ParseRate");
  t::CheckScaled(text, lexed, t::kBandwidthUnits, cli::ParseBandwidth(text),
                 "ParseBandwidth");
  return 0;
}
