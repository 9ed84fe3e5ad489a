// A small, strict JSON reader for tests: it parses what the report and
// --stats-json writers produce, so tests can check fields by name instead
// of by string search. Not for production input (no depth limit).
//
// Example:
//   std::optional<JsonValue> v = ParseJson(R"({"a": [1, 2.5]})");
//   v->Find("a")->array[1].number;  // 2.5
#ifndef TCPKALI_STATS_INTERNAL_MINI_JSON_H_
#define TCPKALI_STATS_INTERNAL_MINI_JSON_H_

#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace tcpkali::stats::internal {

struct JsonValue {
  enum class Type { kNull, kBool, kNumber, kString, kArray, kObject };
  Type type = Type::kNull;
  bool boolean = false;
  double number = 0;
  std::string text;  // kNumber: the literal as written; kString: decoded
  std::vector<JsonValue> array;
  std::vector<std::pair<std::string, JsonValue>> object;  // in order

  // The member named `key` of an object, or nullptr.
  const JsonValue* Find(std::string_view key) const;
  // Find() along a path of keys ({"latency", "connect", "count"}).
  const JsonValue* At(std::initializer_list<std::string_view> path) const;
};

// Parses one JSON value surrounded by optional whitespace; nullopt on any
// syntax error, duplicate key or trailing text.
std::optional<JsonValue> ParseJson(std::string_view text);

}  // namespace tcpkali::stats::internal

#endif  // TCPKALI_STATS_INTERNAL_MINI_JSON_H_
