#include "stats/internal/mini_json.h"

#include <doctest/doctest.h>

namespace tcpkali::stats::internal {
namespace {

TEST_CASE("parses nested values") {
  std::optional<JsonValue> v = ParseJson(
      R"( {"a": [1, -2.5e3, true, false, null], "b": {"c": "x\ny\u0041"}} )");
  REQUIRE(v.has_value());
  const JsonValue* a = v->Find("a");
  REQUIRE(a != nullptr);
  REQUIRE(a->array.size() == 5);
  CHECK(a->array[0].number == 1);
  CHECK(a->array[1].number == -2500);
  CHECK(a->array[1].text == "-2.5e3");
  CHECK(a->array[2].boolean);
  CHECK(a->array[3].type == JsonValue::Type::kBool);
  CHECK_FALSE(a->array[3].boolean);
  CHECK(a->array[4].type == JsonValue::Type::kNull);
  REQUIRE(v->At({"b", "c"}) != nullptr);
  CHECK(v->At({"b", "c"})->text == "x\nyA");
}

TEST_CASE("rejects malformed input") {
  for (const char* bad : {"", "{", "[1,]", "{\"a\":1,}", "01", "1.", "\"a",
                          "{\"a\":1,\"a\":2}", "[1] x", "tru", "{a:1}"}) {
    CAPTURE(bad);
    CHECK_FALSE(ParseJson(bad).has_value());
  }
}

}  // namespace
}  // namespace tcpkali::stats::internal
