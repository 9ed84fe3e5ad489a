#include "engine/unescape.h"

#include <doctest/doctest.h>

#include <string>

namespace tcpkali::engine {
namespace {

using namespace std::string_literals;

TEST_CASE("Unescape decodes the C escapes and keeps everything else") {
  struct Row {
    std::string in;
    std::string want;
  };
  const Row rows[] = {
      {"", ""},
      {"plain text", "plain text"},
      {R"(a\nb)", "a\nb"},
      {R"(\r\n\r\n)", "\r\n\r\n"},
      {R"(\t)", "\t"},
      {R"(\\)", "\\"},
      {R"(\\n)", "\\n"},  // an escaped backslash, then a plain 'n'
      {R"(\x41\x4a\x4A)", "AJJ"},
      {R"(\x7)", "\x07"},
      {R"(\x414)", "A4"},    // at most two hex digits
      {R"(\xg)", R"(\xg)"},  // \x without a hex digit stays
      {R"(\x)", R"(\x)"},
      {R"(\0)", "\0"s},
      {R"(\101)", "A"},
      {R"(\1014)", "A4"},  // at most three octal digits
      {R"(\377)", "\xff"},
      {R"(\400)", " 0"},  // \40 is the largest prefix that fits a byte
      {R"(\8)", R"(\8)"},
      {R"(\{connection.uid})", R"(\{connection.uid})"},
      {R"(\{re [a-z]+}\n)", "\\{re [a-z]+}\n"},
      {R"(\q\")", R"(\q\")"},
      {R"(tail\)", R"(tail\)"},
      {"bytes\xff\x80", "bytes\xff\x80"},
  };
  for (const Row& row : rows) {
    CAPTURE(row.in);
    CHECK(Unescape(row.in) == row.want);
  }
}

TEST_CASE("Unescape is the identity on text without backslashes") {
  std::string all;
  for (int c = 0; c < 256; ++c) {
    if (c != '\\') all.push_back(static_cast<char>(c));
  }
  CHECK(Unescape(all) == all);
}

}  // namespace
}  // namespace tcpkali::engine
