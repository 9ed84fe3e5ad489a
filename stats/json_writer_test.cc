#include "stats/json_writer.h"

#include <doctest/doctest.h>

#include <cmath>
#include <limits>
#include <random>

#include "stats/internal/mini_json.h"

namespace tcpkali::stats {
namespace {

TEST_CASE("strings are escaped") {
  struct Row {
    std::string in;
    std::string out;
  };
  const Row rows[] = {
      {"plain", R"("plain")"},
      {"a\"b\\c", R"("a\"b\\c")"},
      {"\n\r\t", R"("\n\r\t")"},
      {std::string("\x01\x1f\x7f", 3), R"("\u0001\u001f\u007f")"},
      {"arrows ↓↑⇅", "\"arrows ↓↑⇅\""},
      {"\xff\xc3", R"("\u00ff\u00c3")"},            // not UTF-8
      {"\xed\xa0\x80", R"("\u00ed\u00a0\u0080")"},  // a UTF-16 surrogate
  };
  for (const Row& row : rows) {
    CAPTURE(row.in);
    CHECK(JsonQuote(row.in) == row.out);
  }
}

TEST_CASE("numbers are the shortest text that reads back exactly") {
  CHECK(JsonNumber(0.1) == "0.1");
  CHECK(JsonNumber(12) == "12");
  CHECK(JsonNumber(-0.0) == "0");
  CHECK(JsonNumber(0.0003) == "0.0003");
  CHECK(JsonNumber(-2.5) == "-2.5");
  CHECK(JsonNumber(1e300) == "1e+300");
  CHECK(JsonNumber(1.5e-200) == "1.5e-200");
  CHECK(JsonNumber(std::nan("")) == "null");
  CHECK(JsonNumber(std::numeric_limits<double>::infinity()) == "null");
  std::mt19937_64 rng(7);
  std::uniform_real_distribution<double> any(-1e12, 1e12);
  for (int i = 0; i < 1000; ++i) {
    const double v = any(rng) / static_cast<double>(uint64_t{1} << (i % 60));
    const std::optional<internal::JsonValue> parsed =
        internal::ParseJson(JsonNumber(v));
    REQUIRE(parsed.has_value());
    CHECK(parsed->number == v);
  }
}

TEST_CASE("compact and pretty layouts") {
  const auto write = [](JsonWriter& w) {
    w.BeginObject();
    w.UintField("a", 1);
    w.Key("list");
    w.BeginArray();
    w.Double(0.5);
    w.Bool(false);
    w.Null();
    w.EndArray();
    w.Key("empty");
    w.BeginObject();
    w.EndObject();
    w.StringField("s", "x");
    w.EndObject();
  };
  JsonWriter compact(false);
  write(compact);
  CHECK(compact.str() ==
        R"({"a":1,"list":[0.5,false,null],"empty":{},"s":"x"})");
  JsonWriter pretty(true);
  write(pretty);
  CHECK(pretty.str() ==
        "{\n"
        "  \"a\": 1,\n"
        "  \"list\": [\n"
        "    0.5,\n"
        "    false,\n"
        "    null\n"
        "  ],\n"
        "  \"empty\": {},\n"
        "  \"s\": \"x\"\n"
        "}");
  CHECK(internal::ParseJson(pretty.str()).has_value());
}

}  // namespace
}  // namespace tcpkali::stats
