#include "stats/json_writer.h"

#include <charconv>
#include <cmath>

#include "absl/strings/str_format.h"

namespace tcpkali::stats {
namespace {

// Length of the valid UTF-8 sequence at the start of `s`, or 0.
size_t Utf8SequenceLength(std::string_view s) {
  const auto byte = [&](size_t i) { return static_cast<unsigned char>(s[i]); };
  const unsigned char lead = byte(0);
  size_t n = 0;
  if (lead >= 0xC2 && lead <= 0xDF)
    n = 2;
  else if (lead >= 0xE0 && lead <= 0xEF)
    n = 3;
  else if (lead >= 0xF0 && lead <= 0xF4)
    n = 4;
  if (n == 0 || s.size() < n) return 0;
  for (size_t i = 1; i < n; ++i) {
    if ((byte(i) & 0xC0) != 0x80) return 0;
  }
  // Overlong three-byte forms, UTF-16 surrogates, and code points above
  // U+10FFFF are not valid UTF-8.
  if (lead == 0xE0 && byte(1) < 0xA0) return 0;
  if (lead == 0xED && byte(1) >= 0xA0) return 0;
  if (lead == 0xF0 && byte(1) < 0x90) return 0;
  if (lead == 0xF4 && byte(1) >= 0x90) return 0;
  return n;
}

}  // namespace

std::string JsonQuote(std::string_view text) {
  std::string out;
  out.reserve(text.size() + 2);
  out.push_back('"');
  for (size_t i = 0; i < text.size();) {
    const unsigned char c = static_cast<unsigned char>(text[i]);
    if (c >= 0x80) {
      const size_t n = Utf8SequenceLength(text.substr(i));
      if (n > 0) {
        out.append(text.substr(i, n));
        i += n;
      } else {
        out += absl::StrFormat("\\u%04x", c);
        ++i;
      }
      continue;
    }
    switch (c) {
      case '"':
        out += "\\\"";
        break;
      case '\\':
        out += "\\\\";
        break;
      case '\n':
        out += "\\n";
        break;
      case '\r':
        out += "\\r";
        break;
      case '\t':
        out += "\\t";
        break;
      default:
        if (c < 0x20 || c == 0x7F) {
          out += absl::StrFormat("\\u%04x", c);
        } else {
          out.push_back(static_cast<char>(c));
        }
    }
    ++i;
  }
  out.push_back('"');
  return out;
}

std::string JsonNumber(double value) {
  if (!std::isfinite(value)) return "null";
  if (value == 0) return "0";  // also for -0, which some readers reject
  // Plain decimals read best ("0.0003", not "3e-04"); very large or small
  // magnitudes, whose fixed form would not fit, fall back to the shortest
  // form, which may use an exponent.
  char buf[40];
  std::to_chars_result r =
      std::to_chars(buf, buf + sizeof buf, value, std::chars_format::fixed);
  if (r.ec != std::errc()) r = std::to_chars(buf, buf + sizeof buf, value);
  return std::string(buf, r.ptr);
}

void JsonWriter::Key(std::string_view key) {
  BeforeValue();
  out_ += JsonQuote(key);
  out_ += pretty_ ? ": " : ":";
  after_key_ = true;
}

void JsonWriter::Open(char bracket) {
  BeforeValue();
  out_.push_back(bracket);
  has_members_.push_back(false);
}

void JsonWriter::Close(char bracket) {
  const bool had_members = !has_members_.empty() && has_members_.back();
  if (!has_members_.empty()) has_members_.pop_back();
  if (had_members) Newline();
  out_.push_back(bracket);
}

void JsonWriter::Value(std::string_view json) {
  BeforeValue();
  out_.append(json);
}

// Places the comma and line break that go before a new member or element;
// after a key, the value follows directly.
void JsonWriter::BeforeValue() {
  if (after_key_) {
    after_key_ = false;
    return;
  }
  if (has_members_.empty()) return;
  if (has_members_.back()) out_.push_back(',');
  has_members_.back() = true;
  Newline();
}

void JsonWriter::Newline() {
  if (!pretty_) return;
  out_.push_back('\n');
  out_.append(2 * has_members_.size(), ' ');
}

}  // namespace tcpkali::stats
