#include "engine/expression.h"

#include <doctest/doctest.h>

#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "engine/exit_code.h"

namespace tcpkali::engine {
namespace {

// Test files, relative to the workspace root (the test's directory).
constexpr char kHelloFile[] = "engine/testdata/expression_hello.txt";
constexpr char kBinaryFile[] = "engine/testdata/expression_binary.bin";

std::string OpcodeName(ws::Opcode opcode) {
  switch (opcode) {
    case ws::Opcode::kContinuation:
      return "continuation";
    case ws::Opcode::kText:
      return "text";
    case ws::Opcode::kBinary:
      return "binary";
    case ws::Opcode::kClose:
      return "close";
    case ws::Opcode::kPing:
      return "ping";
    case ws::Opcode::kPong:
      return "pong";
  }
  return "?";
}

// A one-line rendering of parsed pieces, so that tables can state them.
std::string Describe(const std::vector<Expression>& pieces) {
  std::string out;
  for (const Expression& e : pieces) {
    if (!out.empty()) out += " | ";
    switch (e.kind) {
      case Expression::Kind::kLiteral:
        out += "L\"" + EscapeForError(e.bytes, 1000) + "\"";
        break;
      case Expression::Kind::kConnectionUid:
        out += e.modulo ? "uid%" + std::to_string(e.modulo) : "uid";
        break;
      case Expression::Kind::kRegex:
        out += e.regex_scope == Expression::RegexScope::kMessage ? "re("
               : e.regex_scope == Expression::RegexScope::kConnection
                   ? "conn.re("
                   : "global.re(";
        out += e.regex->pattern() + ")";
        break;
      case Expression::Kind::kMessageMarker:
        out += "marker";
        break;
      case Expression::Kind::kWsFrame:
        out += "ws:" + OpcodeName(e.opcode);
        if (!e.fin) out += ",nofin";
        if (e.rsv) out += ",rsv=" + std::to_string(e.rsv);
        out += "\"" + EscapeForError(e.bytes, 1000) + "\"";
        break;
      case Expression::Kind::kRaw:
        out += "raw\"" + EscapeForError(e.bytes, 1000) + "\"";
        break;
    }
  }
  return out;
}

struct ValidCase {
  std::string text;
  std::string pieces;
};

const std::vector<ValidCase>& ValidCases() {
  static const auto* cases = new std::vector<ValidCase>{
      {"", ""},
      {"plain {json} text \\n", "L\"plain {json} text \\n\""},
      {"tail \\", "L\"tail \\\""},
      {"a\\{connection.uid}b", "L\"a\" | uid | L\"b\""},
      {"\\{connection.uid % 10}", "uid%10"},
      {"\\{ connection.uid%7 }", "uid%7"},
      {"\\{re [a-z]{2,5}}", "re([a-z]{2,5})"},
      {"\\{connection.re a(b|c)}x", "conn.re(a(b|c)) | L\"x\""},
      {"\\{global.re \\d+}", "global.re(\\d+)"},
      {"\\{re [}]x}", "re([}]x)"},
      {"\\{re a\\}b}", "re(a\\}b)"},
      {"\\{re x{2}}\\{re y}", "re(x{2}) | re(y)"},
      {"\\{message.marker}", "marker"},
      {absl::StrCat("<\\{<", kHelloFile, ">}>"),
       "L\"<hello from a file\\x0a>\""},
      {absl::StrCat("\\{< \"", kHelloFile, "\" >}"),
       "L\"hello from a file\\x0a\""},
      {"\\{ws.text \"hi\"}", "ws:text\"hi\""},
      {absl::StrCat("\\{ws.binary <", kHelloFile, ">}"),
       "ws:binary\"hello from a file\\x0a\""},
      {"\\{ws.ping}", "ws:ping\"\""},
      {"\\{ws.pong \"p\"}", "ws:pong\"p\""},
      {"\\{ws.close}", "ws:close\"\""},
      {"\\{ws.close 1000 \"bye\"}", "ws:close\"\\x03\\xe8bye\""},
      {"\\{ws.close \"bye\" 4999}", "ws:close\"\\x13\\x87bye\""},
      {"\\{ws.text rsv1 rsv3 ... \"part\"}", "ws:text,nofin,rsv=5\"part\""},
      {"\\{ws.continuation \"end\"}", "ws:continuation\"end\""},
      {"\\{raw \"a\\\"b\\\\c\"}", "raw\"a\"b\\c\""},
      {"x\\{raw \"}\"}y", "L\"x\" | raw\"}\" | L\"y\""},
  };
  return *cases;
}

TEST_CASE("valid messages parse into the expected pieces") {
  for (const ValidCase& c : ValidCases()) {
    CAPTURE(c.text);
    absl::StatusOr<std::vector<Expression>> pieces =
        ParseMessage(c.text, "--message");
    REQUIRE_MESSAGE(pieces.ok(), pieces.status().ToString());
    CHECK(Describe(*pieces) == c.pieces);
  }
}

TEST_CASE("included files are inserted verbatim, never parsed") {
  absl::StatusOr<std::vector<Expression>> pieces =
      ParseMessage(absl::StrCat("\\{raw <", kBinaryFile, ">}"), "--message");
  REQUIRE(pieces.ok());
  REQUIRE(pieces->size() == 1);
  std::string expected;
  for (int b = 0; b < 256; ++b) expected.push_back(static_cast<char>(b));
  expected += "\\{connection.uid}";
  CHECK((*pieces)[0].bytes == expected);
}

TEST_CASE("pieces remember where they were written") {
  absl::StatusOr<std::vector<Expression>> pieces =
      ParseMessage("ab\\{connection.uid}c\\{re x}", "--message");
  REQUIRE(pieces.ok());
  REQUIRE(pieces->size() == 4);
  CHECK((*pieces)[0].position == 1);
  CHECK((*pieces)[1].position == 3);
  CHECK((*pieces)[2].position == 20);
  CHECK((*pieces)[3].position == 21);
}

struct InvalidCase {
  std::string text;
  int exit_code;
  std::string message;
};

const std::vector<InvalidCase>& InvalidCases() {
  static const auto* cases = new std::vector<InvalidCase>{
      {"abcd\\{foo}", kExitUsage,
       "--message: unknown expression \"\\{foo}\" at position 5; expected "
       "connection.uid, connection.uid % N, re, connection.re, global.re, "
       "message.marker, <file>, ws.TYPE or raw"},
      {"\\{}", kExitUsage,
       "--message: unknown expression \"\\{}\" at position 1; expected "
       "connection.uid, connection.uid % N, re, connection.re, global.re, "
       "message.marker, <file>, ws.TYPE or raw"},
      {"xy\\{connection.uid", kExitUsage,
       "--message: unterminated expression \"\\{connection.uid\" at position "
       "3; expected } to close it"},
      {"\\{", kExitUsage,
       "--message: unterminated expression \"\\{\" at position 1; expected } "
       "to close it"},
      {"x\\{connection.uid % 0}", kExitUsage,
       "--message: bad modulo in \"\\{connection.uid % 0}\" at position 21; "
       "expected \\{connection.uid % N} with N >= 1"},
      {"\\{connection.uid %}", kExitUsage,
       "--message: bad modulo in \"\\{connection.uid %}\" at position 19; "
       "expected \\{connection.uid % N} with N >= 1"},
      {"\\{connection.uid % 99999999999999999999}", kExitUsage,
       "--message: bad modulo in \"\\{connection.uid % "
       "99999999999999999999}\" at position 20; expected \\{connection.uid "
       "% N} with N >= 1"},
      {"\\{connection.uid foo}", kExitUsage,
       "--message: unexpected \"foo\" in \"\\{connection.uid foo}\" at "
       "position 18; expected }"},
      {"\\{re a(b}", kExitUsage,
       "--message: bad regex in \"\\{re a(b}\": unterminated group ( at "
       "position 7"},
      {"\\{connection.re [z-a]{2}}", kExitUsage,
       "--message: bad regex in \"\\{connection.re [z-a]{2}}\": class range "
       "out of order at position 18"},
      {"\\{re }", kExitUsage,
       "--message: \"\\{re }\" needs a pattern at position 1; expected e.g. "
       "\\{re [a-z]{4,8}}"},
      {"\\{re a{2}", kExitUsage,
       "--message: unterminated expression \"\\{re a{2}\" at position 1; "
       "expected } to close it"},
      {"\\{message.marker x}", kExitUsage,
       "--message: unexpected \"x\" in \"\\{message.marker x}\" at position "
       "18; expected }"},
      {"ab\\{<engine/testdata/missing.txt>}", kExitDataErr,
       "--message: cannot read \"engine/testdata/missing.txt\" at position 5: "
       "No such file or directory"},
      {"\\{< \"engine/testdata\" >}", kExitDataErr,
       "--message: cannot read \"engine/testdata\" at position 3: Is a "
       "directory"},
      {"\\{<>}", kExitUsage,
       "--message: empty file name at position 3; expected <file> or < "
       "\"path\" >"},
      {"\\{<abc", kExitUsage,
       "--message: unterminated expression \"\\{<abc\" at position 1; "
       "expected } to close it"},
      {"\\{ws.foo}", kExitUsage,
       "--message: unknown frame type \"ws.foo\" at position 3; expected "
       "ws.text, ws.binary, ws.ping, ws.pong, ws.close or ws.continuation"},
      {"\\{ws.text \"a\" \"b\"}", kExitUsage,
       "--message: unexpected \"\"b\"\" in \"\\{ws.text \"a\" \"b\"}\" at "
       "position 15; expected rsv1, rsv2, rsv3, ..., \"data\", <file>, a "
       "close code or }"},
      {"\\{ws.text rsv1 rsv1}", kExitUsage,
       "--message: unexpected \"rsv1\" in \"\\{ws.text rsv1 rsv1}\" at "
       "position 16; expected rsv1, rsv2, rsv3, ..., \"data\", <file>, a "
       "close code or }"},
      {"\\{ws.text 1000}", kExitUsage,
       "--message: unexpected \"1000\" in \"\\{ws.text 1000}\" at position "
       "11; expected rsv1, rsv2, rsv3, ..., \"data\", <file>, a close code "
       "or }"},
      {"\\{ws.text \"abc}", kExitUsage,
       "--message: unterminated expression \"\\{ws.text \"abc}\" at position "
       "1; expected } to close it"},
      {"\\{ws.ping ...}", kExitUsage,
       "--message: ws.ping cannot be fragmented with ... at position 1; "
       "control frames are always final"},
      {absl::StrCat("\\{ws.pong <", kBinaryFile, ">}"), kExitUsage,
       "--message: ws.pong payload of 273 bytes at position 1; control "
       "frames carry at most 125"},
      {"\\{ws.close \"bye\"}", kExitUsage,
       "--message: ws.close data without a status code at position 1; "
       "expected \\{ws.close CODE \"reason\"}"},
      {"\\{ws.close 999}", kExitUsage,
       "--message: unexpected \"999\" in \"\\{ws.close 999}\" at position 12; "
       "expected one close code, 1000..4999"},
      {"\\{ws.close 1000 1001}", kExitUsage,
       "--message: unexpected \"1001\" in \"\\{ws.close 1000 1001}\" at "
       "position 17; expected one close code, 1000..4999"},
      {"\\{raw}", kExitUsage,
       "--message: unexpected \"}\" in \"\\{raw}\" at position 6; expected "
       "\\{raw \"bytes\"} or \\{raw <file>}"},
      {"\\{raw \"a\" \"b\"}", kExitUsage,
       "--message: unexpected \"\"b\"\" in \"\\{raw \"a\" \"b\"}\" at position "
       "11; expected }"},
  };
  return *cases;
}

TEST_CASE("invalid messages fail with one line: problem, position, remedy") {
  for (const InvalidCase& c : InvalidCases()) {
    CAPTURE(c.text);
    absl::StatusOr<std::vector<Expression>> pieces =
        ParseMessage(c.text, "--message");
    REQUIRE_FALSE(pieces.ok());
    CHECK(std::string(pieces.status().message()) == c.message);
    CHECK(ExitCodeFor(pieces.status()) == c.exit_code);
  }
}

TEST_CASE("errors name the option they are given") {
  absl::StatusOr<std::vector<Expression>> pieces =
      ParseMessage("\\{nope}", "--first-message #2");
  REQUIRE_FALSE(pieces.ok());
  CHECK(std::string(pieces.status().message())
            .starts_with("--first-message #2: unknown expression"));
}

TEST_CASE("EscapeForError keeps printable text and cuts long input") {
  CHECK(EscapeForError("a\\{b}") == "a\\{b}");
  CHECK(EscapeForError(std::string("\x01\n\xff", 3)) == "\\x01\\x0a\\xff");
  CHECK(EscapeForError("abcdef", 3) == "abc...");
}

TEST_CASE("ReadFileBytes reads whole files and reports failures") {
  absl::StatusOr<std::string> hello = ReadFileBytes(kHelloFile);
  REQUIRE(hello.ok());
  CHECK(*hello == "hello from a file\n");
  absl::StatusOr<std::string> missing = ReadFileBytes("no/such/file");
  REQUIRE_FALSE(missing.ok());
  CHECK(ExitCodeFor(missing.status()) == kExitDataErr);
  CHECK(std::string(missing.status().message()) ==
        "cannot read \"no/such/file\": No such file or directory");
}

}  // namespace
}  // namespace tcpkali::engine
