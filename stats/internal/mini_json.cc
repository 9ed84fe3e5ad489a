#include "stats/internal/mini_json.h"

#include <cstdlib>
#include <cstring>

namespace tcpkali::stats::internal {
namespace {

class Parser {
 public:
  explicit Parser(std::string_view text) : s_(text) {}

  std::optional<JsonValue> ParseDocument() {
    std::optional<JsonValue> v = ParseValue();
    SkipSpace();
    if (!v.has_value() || pos_ != s_.size()) return std::nullopt;
    return v;
  }

 private:
  void SkipSpace() {
    while (pos_ < s_.size() && std::strchr(" \t\r\n", s_[pos_]) != nullptr)
      ++pos_;
  }
  bool Consume(std::string_view word) {
    if (s_.substr(pos_, word.size()) != word) return false;
    pos_ += word.size();
    return true;
  }

  std::optional<JsonValue> ParseValue() {
    SkipSpace();
    if (pos_ >= s_.size()) return std::nullopt;
    JsonValue v;
    const char c = s_[pos_];
    if (c == '{') return ParseObject();
    if (c == '[') return ParseArray();
    if (c == '"') {
      std::optional<std::string> str = ParseString();
      if (!str) return std::nullopt;
      v.type = JsonValue::Type::kString;
      v.text = *std::move(str);
      return v;
    }
    if (Consume("true")) {
      v.type = JsonValue::Type::kBool;
      v.boolean = true;
      return v;
    }
    if (Consume("false")) {
      v.type = JsonValue::Type::kBool;
      return v;
    }
    if (Consume("null")) return v;
    return ParseNumber();
  }

  std::optional<JsonValue> ParseNumber() {
    const size_t begin = pos_;
    if (pos_ < s_.size() && s_[pos_] == '-') ++pos_;
    const auto digits = [&] {
      const size_t from = pos_;
      while (pos_ < s_.size() && s_[pos_] >= '0' && s_[pos_] <= '9') ++pos_;
      return pos_ - from;
    };
    const size_t int_begin = pos_;
    const size_t int_digits = digits();
    if (int_digits == 0 || (int_digits > 1 && s_[int_begin] == '0'))
      return std::nullopt;
    if (pos_ < s_.size() && s_[pos_] == '.') {
      ++pos_;
      if (digits() == 0) return std::nullopt;
    }
    if (pos_ < s_.size() && (s_[pos_] == 'e' || s_[pos_] == 'E')) {
      ++pos_;
      if (pos_ < s_.size() && (s_[pos_] == '+' || s_[pos_] == '-')) ++pos_;
      if (digits() == 0) return std::nullopt;
    }
    JsonValue v;
    v.type = JsonValue::Type::kNumber;
    v.text = std::string(s_.substr(begin, pos_ - begin));
    v.number = std::strtod(v.text.c_str(), nullptr);
    return v;
  }

  std::optional<std::string> ParseString() {
    if (!Consume("\"")) return std::nullopt;
    std::string out;
    while (pos_ < s_.size()) {
      const char c = s_[pos_++];
      if (c == '"') return out;
      if (static_cast<unsigned char>(c) < 0x20) return std::nullopt;
      if (c != '\\') {
        out.push_back(c);
        continue;
      }
      if (pos_ >= s_.size()) return std::nullopt;
      const char e = s_[pos_++];
      switch (e) {
        case '"':
          out.push_back('"');
          break;
        case '\\':
          out.push_back('\\');
          break;
        case '/':
          out.push_back('/');
          break;
        case 'b':
          out.push_back('\b');
          break;
        case 'f':
          out.push_back('\f');
          break;
        case 'n':
          out.push_back('\n');
          break;
        case 'r':
          out.push_back('\r');
          break;
        case 't':
          out.push_back('\t');
          break;
        case 'u': {
          if (pos_ + 4 > s_.size()) return std::nullopt;
          const std::string hex(s_.substr(pos_, 4));
          char* end = nullptr;
          const long code = std::strtol(hex.c_str(), &end, 16);
          if (end != hex.c_str() + 4) return std::nullopt;
          pos_ += 4;
          // Tests only need the Latin-1 range back as single bytes.
          if (code > 0xFF) return std::nullopt;
          out.push_back(static_cast<char>(code));
          break;
        }
        default:
          return std::nullopt;
      }
    }
    return std::nullopt;
  }

  std::optional<JsonValue> ParseArray() {
    JsonValue v;
    v.type = JsonValue::Type::kArray;
    ++pos_;  // '['
    SkipSpace();
    if (Consume("]")) return v;
    while (true) {
      std::optional<JsonValue> element = ParseValue();
      if (!element) return std::nullopt;
      v.array.push_back(*std::move(element));
      SkipSpace();
      if (Consume("]")) return v;
      if (!Consume(",")) return std::nullopt;
    }
  }

  std::optional<JsonValue> ParseObject() {
    JsonValue v;
    v.type = JsonValue::Type::kObject;
    ++pos_;  // '{'
    SkipSpace();
    if (Consume("}")) return v;
    while (true) {
      SkipSpace();
      std::optional<std::string> key = ParseString();
      if (!key || v.Find(*key) != nullptr) return std::nullopt;
      SkipSpace();
      if (!Consume(":")) return std::nullopt;
      std::optional<JsonValue> member = ParseValue();
      if (!member) return std::nullopt;
      v.object.emplace_back(*std::move(key), *std::move(member));
      SkipSpace();
      if (Consume("}")) return v;
      if (!Consume(",")) return std::nullopt;
    }
  }

  std::string_view s_;
  size_t pos_ = 0;
};

}  // namespace

const JsonValue* JsonValue::Find(std::string_view key) const {
  for (const auto& [name, value] : object) {
    if (name == key) return &value;
  }
  return nullptr;
}

const JsonValue* JsonValue::At(
    std::initializer_list<std::string_view> path) const {
  const JsonValue* v = this;
  for (std::string_view key : path) {
    v = v->Find(key);
    if (v == nullptr) return nullptr;
  }
  return v;
}

std::optional<JsonValue> ParseJson(std::string_view text) {
  return Parser(text).ParseDocument();
}

}  // namespace tcpkali::stats::internal
