#include "cli/units.h"

#include <charconv>
#include <cmath>
#include <cstdint>
#include <limits>
#include <string_view>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"

namespace tcpkali::cli {
namespace {

// A value as written: digits, optionally '.' and more digits, then a unit.
struct Lexed {
  std::string_view number;    // "1.5"
  std::string_view whole;     // "1"
  std::string_view fraction;  // "5" (without the dot)
  std::string_view unit;      // "m"
};

struct Unit {
  std::string_view suffix;
  uint64_t multiplier;  // for the exact parsers
  double scale;         // for the floating-point parsers
};

// Debian's abseil has its own string_view type, which StrCat wants.
absl::string_view Av(std::string_view s) { return {s.data(), s.size()}; }

bool IsDigit(char c) { return c >= '0' && c <= '9'; }

absl::Status Invalid(std::string_view text, std::string_view what,
                     std::string_view forms) {
  return absl::InvalidArgumentError(
      absl::StrCat("\"", Av(text), "\" ", Av(what), "; expected ", Av(forms)));
}

size_t SkipDigits(std::string_view text, size_t i) {
  while (i < text.size() && IsDigit(text[i])) ++i;
  return i;
}

absl::StatusOr<Lexed> Lex(std::string_view text, std::string_view forms) {
  if (text.empty()) {
    return absl::InvalidArgumentError(
        absl::StrCat("empty value; expected ", Av(forms)));
  }
  if (text[0] == '-' && text.size() > 1 &&
      (IsDigit(text[1]) || text[1] == '.')) {
    return Invalid(text, "is negative", forms);
  }
  Lexed lexed;
  size_t i = SkipDigits(text, 0);
  lexed.whole = text.substr(0, i);
  if (i < text.size() && text[i] == '.') {
    const size_t end = SkipDigits(text, i + 1);
    lexed.fraction = text.substr(i + 1, end - i - 1);
    i = end;
  }
  if (lexed.whole.empty() && lexed.fraction.empty()) {
    return Invalid(text, "is not a number", forms);
  }
  lexed.number = text.substr(0, i);
  lexed.unit = text.substr(i);
  return lexed;
}

absl::StatusOr<Unit> FindUnit(std::string_view text, const Lexed& lexed,
                              std::initializer_list<Unit> units,
                              std::string_view forms) {
  for (const Unit& unit : units) {
    if (unit.suffix == lexed.unit) return unit;
  }
  return Invalid(text,
                 absl::StrCat("has an unknown unit \"", Av(lexed.unit), "\""),
                 forms);
}

// The number part as a double; fails only when it overflows a double.
absl::StatusOr<double> NumberAsDouble(std::string_view text, const Lexed& lexed,
                                      std::string_view forms) {
  double value = 0;
  const auto [end, ec] = std::from_chars(
      lexed.number.data(), lexed.number.data() + lexed.number.size(), value);
  if (ec == std::errc::result_out_of_range) {
    return Invalid(text, "is too large", forms);
  }
  if (ec != std::errc() || end != lexed.number.data() + lexed.number.size()) {
    return Invalid(text, "is not a number", forms);
  }
  return value;
}

// whole.fraction * multiplier, exactly when it is a whole number. The
// fractional part goes through a double: it is below one multiplier, so the
// error stays far under one unit for every multiplier used here.
absl::StatusOr<uint64_t> ExactProduct(std::string_view text, const Lexed& lexed,
                                      uint64_t multiplier, uint64_t max,
                                      std::string_view forms) {
  uint64_t whole = 0;
  if (!lexed.whole.empty()) {
    const auto [end, ec] = std::from_chars(
        lexed.whole.data(), lexed.whole.data() + lexed.whole.size(), whole);
    if (ec != std::errc()) return Invalid(text, "is too large", forms);
  }
  uint64_t product = 0;
  if (__builtin_mul_overflow(whole, multiplier, &product) || product > max) {
    return Invalid(text, "is too large", forms);
  }
  // The fraction F/10^n times the multiplier must be whole, exactly: in
  // integers, (F * multiplier) % 10^n == 0. Trailing zeros do not count;
  // a multiplier of at most 2^20 cannot make more than 20 digits whole.
  std::string_view fraction = lexed.fraction;
  while (!fraction.empty() && fraction.back() == '0') fraction.remove_suffix(1);
  if (fraction.size() > 30) return Invalid(text, "is not a whole number", forms);
  unsigned __int128 f = 0, scale = 1;
  for (const char c : fraction) {
    f = f * 10 + static_cast<unsigned>(c - '0');
    scale *= 10;
  }
  const unsigned __int128 part = f * multiplier;
  if (part % scale != 0) return Invalid(text, "is not a whole number", forms);
  const uint64_t add = static_cast<uint64_t>(part / scale);
  if (__builtin_add_overflow(product, add, &product) || product > max) {
    return Invalid(text, "is too large", forms);
  }
  return product;
}

constexpr uint64_t kUint64Max = std::numeric_limits<uint64_t>::max();

}  // namespace

absl::StatusOr<double> ParseRate(std::string_view text) {
  absl::StatusOr<Lexed> lexed = Lex(text, kRateForms);
  if (!lexed.ok()) return lexed.status();
  absl::StatusOr<Unit> unit = FindUnit(
      text, *lexed, {{"", 1, 1}, {"k", 0, 1e3}, {"m", 0, 1e6}}, kRateForms);
  if (!unit.ok()) return unit.status();
  absl::StatusOr<double> value = NumberAsDouble(text, *lexed, kRateForms);
  if (!value.ok()) return value.status();
  const double scaled = *value * unit->scale;
  if (!std::isfinite(scaled)) return Invalid(text, "is too large", kRateForms);
  return scaled;
}

absl::StatusOr<uint64_t> ParseCount(std::string_view text) {
  absl::StatusOr<Lexed> lexed = Lex(text, kCountForms);
  if (!lexed.ok()) return lexed.status();
  absl::StatusOr<Unit> unit =
      FindUnit(text, *lexed, {{"", 1, 0}, {"k", 1000, 0}, {"m", 1000000, 0}},
               kCountForms);
  if (!unit.ok()) return unit.status();
  return ExactProduct(text, *lexed, unit->multiplier, kUint64Max, kCountForms);
}

absl::StatusOr<uint64_t> ParseSize(std::string_view text) {
  absl::StatusOr<Lexed> lexed = Lex(text, kSizeForms);
  if (!lexed.ok()) return lexed.status();
  absl::StatusOr<Unit> unit =
      FindUnit(text, *lexed,
               {{"", 1, 0}, {"k", 1024, 0}, {"m", 1024 * 1024, 0}}, kSizeForms);
  if (!unit.ok()) return unit.status();
  return ExactProduct(text, *lexed, unit->multiplier, kUint64Max, kSizeForms);
}

absl::StatusOr<double> ParseBandwidth(std::string_view text) {
  absl::StatusOr<Lexed> lexed = Lex(text, kBandwidthForms);
  if (!lexed.ok()) return lexed.status();
  absl::StatusOr<Unit> unit = FindUnit(text, *lexed,
                                       {{"", 0, 1},
                                        {"bps", 0, 1.0 / 8},
                                        {"kbps", 0, 1e3 / 8},
                                        {"Mbps", 0, 1e6 / 8},
                                        {"Gbps", 0, 1e9 / 8},
                                        {"Bps", 0, 1},
                                        {"kBps", 0, 1e3},
                                        {"MBps", 0, 1e6},
                                        {"GBps", 0, 1e9}},
                                       kBandwidthForms);
  if (!unit.ok()) return unit.status();
  absl::StatusOr<double> value = NumberAsDouble(text, *lexed, kBandwidthForms);
  if (!value.ok()) return value.status();
  const double scaled = *value * unit->scale;
  if (!std::isfinite(scaled)) {
    return Invalid(text, "is too large", kBandwidthForms);
  }
  return scaled;
}

absl::StatusOr<int64_t> ParseDurationNs(std::string_view text) {
  absl::StatusOr<Lexed> lexed = Lex(text, kTimeForms);
  if (!lexed.ok()) return lexed.status();
  constexpr uint64_t kSecond = 1'000'000'000;
  absl::StatusOr<Unit> unit = FindUnit(text, *lexed,
                                       {{"", kSecond, 0},
                                        {"us", 1'000, 0},
                                        {"ms", 1'000'000, 0},
                                        {"s", kSecond, 0},
                                        {"m", 60 * kSecond, 0},
                                        {"h", 3600 * kSecond, 0},
                                        {"d", 86400 * kSecond, 0}},
                                       kTimeForms);
  if (!unit.ok()) return unit.status();
  // Time is the one place where a fraction of the smallest unit is fine:
  // round it rather than reject "0.0000000001s".
  const std::string_view fraction = lexed->fraction;
  Lexed whole_only = *lexed;
  whole_only.fraction = {};
  absl::StatusOr<uint64_t> whole_ns =
      ExactProduct(text, whole_only, unit->multiplier,
                   std::numeric_limits<int64_t>::max(), kTimeForms);
  if (!whole_ns.ok()) return whole_ns.status();
  if (fraction.empty()) return static_cast<int64_t>(*whole_ns);
  double part = 0;
  std::from_chars(fraction.data() - 1, fraction.data() + fraction.size(), part);
  const uint64_t part_ns = static_cast<uint64_t>(
      std::llround(part * static_cast<double>(unit->multiplier)));
  uint64_t total = 0;
  if (__builtin_add_overflow(*whole_ns, part_ns, &total) ||
      total > static_cast<uint64_t>(std::numeric_limits<int64_t>::max())) {
    return Invalid(text, "is too large", kTimeForms);
  }
  return static_cast<int64_t>(total);
}

}  // namespace tcpkali::cli
