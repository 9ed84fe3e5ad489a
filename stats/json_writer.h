// A small streaming JSON writer for the report, --stats-json lines and the
// configuration echo: objects, arrays, strings (escaped), numbers (shortest
// text that reads back as the same double), booleans and null.
//
// Example:
//   stats::JsonWriter w(/*pretty=*/false);
//   w.BeginObject();
//   w.Key("bytes"); w.Uint(8910);
//   w.Key("ms"); w.Double(0.045);
//   w.EndObject();
//   w.str();  // {"bytes":8910,"ms":0.045}
#ifndef TCPKALI_STATS_JSON_WRITER_H_
#define TCPKALI_STATS_JSON_WRITER_H_

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace tcpkali::stats {

// `text` as a JSON string literal, quotes included. Bytes that are not
// valid UTF-8 are written as \u00XX of the byte, so the output is always
// valid JSON.
std::string JsonQuote(std::string_view text);

// `value` as a JSON number: the shortest form that parses back to the same
// double ("0.1", "12", "1e-07"); "null" for NaN and infinities, which JSON
// cannot express.
std::string JsonNumber(double value);

// Owned and used by one thread. The caller keeps calls balanced (every
// Begin* has its End*, a Key before each value inside an object); the
// writer does not check, it only places commas, colons and indentation.
class JsonWriter {
 public:
  // pretty: two-space indentation and one member per line; otherwise
  // everything on one line with no spaces.
  explicit JsonWriter(bool pretty) : pretty_(pretty) {}

  void BeginObject() { Open('{'); }
  void EndObject() { Close('}'); }
  void BeginArray() { Open('['); }
  void EndArray() { Close(']'); }
  void Key(std::string_view key);

  void String(std::string_view value) { Value(JsonQuote(value)); }
  void Double(double value) { Value(JsonNumber(value)); }
  void Uint(uint64_t value) { Value(std::to_string(value)); }
  void Int(int64_t value) { Value(std::to_string(value)); }
  void Bool(bool value) { Value(value ? "true" : "false"); }
  void Null() { Value("null"); }
  // A value already in JSON form (from JsonQuote/JsonNumber, say).
  void Raw(std::string_view json) { Value(json); }

  // Key and value in one call, for the common case of an object member.
  void StringField(std::string_view key, std::string_view value) {
    Key(key);
    String(value);
  }
  void DoubleField(std::string_view key, double value) {
    Key(key);
    Double(value);
  }
  void UintField(std::string_view key, uint64_t value) {
    Key(key);
    Uint(value);
  }
  void IntField(std::string_view key, int64_t value) {
    Key(key);
    Int(value);
  }
  void BoolField(std::string_view key, bool value) {
    Key(key);
    Bool(value);
  }

  const std::string& str() const { return out_; }

 private:
  void Open(char bracket);
  void Close(char bracket);
  void Value(std::string_view json);
  void BeforeValue();
  void Newline();

  bool pretty_;
  bool after_key_ = false;
  std::string out_;
  std::vector<bool> has_members_;  // one per open object/array
};

}  // namespace tcpkali::stats

#endif  // TCPKALI_STATS_JSON_WRITER_H_
