#include "engine/expression.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <utility>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"

namespace tcpkali::engine {
namespace {

constexpr std::string_view kAcceptedExpressions =
    "expected connection.uid, connection.uid % N, re, connection.re, "
    "global.re, message.marker, <file>, ws.TYPE or raw";
constexpr std::string_view kAcceptedWsTypes =
    "expected ws.text, ws.binary, ws.ping, ws.pong, ws.close or "
    "ws.continuation";
constexpr std::string_view kAcceptedWsItems =
    "expected rsv1, rsv2, rsv3, ..., \"data\", <file>, a close code or }";
// RFC 6455 section 5.5: control frame payloads.
constexpr size_t kMaxControlPayloadBytes = 125;

bool IsSpace(char c) { return c == ' ' || c == '\t'; }

// absl::StrCat takes absl::string_view, which Debian's abseil does not alias
// to std::string_view.
absl::string_view Av(std::string_view s) { return {s.data(), s.size()}; }

bool IsIdentChar(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
         (c >= '0' && c <= '9') || c == '.' || c == '_';
}

bool IsDigit(char c) { return c >= '0' && c <= '9'; }

// Reads all of `path` into `bytes`; returns 0 or the errno that stopped it.
int ReadWholeFile(const std::string& path, std::string* bytes) {
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return errno;
  char chunk[65536];
  int err = 0;
  while (true) {
    const ssize_t n = ::read(fd, chunk, sizeof chunk);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) err = errno;
    if (n <= 0) break;
    bytes->append(chunk, static_cast<size_t>(n));
  }
  ::close(fd);
  return err;
}

struct WsType {
  std::string_view name;
  ws::Opcode opcode;
};
constexpr WsType kWsTypes[] = {
    {"ws.text", ws::Opcode::kText},
    {"ws.binary", ws::Opcode::kBinary},
    {"ws.ping", ws::Opcode::kPing},
    {"ws.pong", ws::Opcode::kPong},
    {"ws.close", ws::Opcode::kClose},
    {"ws.continuation", ws::Opcode::kContinuation},
};

// Parses one message. Positions are kept as 0-based indices into text_ and
// reported 1-based.
class Parser {
 public:
  Parser(std::string_view text, std::string_view option)
      : text_(text), option_(option) {}

  absl::StatusOr<std::vector<Expression>> Parse() {
    size_t i = 0;
    while (i < text_.size()) {
      const size_t start = text_.find("\\{", i);
      AppendLiteral(text_.substr(i, start - i), i);
      if (start == std::string_view::npos) break;
      if (absl::Status s = ParseExpression(start); !s.ok()) return s;
      i = pos_;
    }
    return std::move(out_);
  }

 private:
  bool AtEnd() const { return pos_ >= text_.size(); }
  char Peek() const { return text_[pos_]; }
  void SkipSpace() {
    while (!AtEnd() && IsSpace(Peek())) ++pos_;
  }

  void AppendLiteral(std::string_view bytes, size_t index) {
    if (bytes.empty()) return;
    if (out_.empty() || out_.back().kind != Expression::Kind::kLiteral) {
      out_.push_back(
          {.kind = Expression::Kind::kLiteral, .position = index + 1});
    }
    out_.back().bytes.append(bytes);
  }

  // The expression starting at `start`, up to its first `}`, for messages.
  std::string Excerpt(size_t start) const {
    size_t end = text_.find('}', start);
    end = end == std::string_view::npos ? text_.size() : end + 1;
    return EscapeForError(text_.substr(start, end - start));
  }

  absl::Status Fail(std::string_view problem, size_t index,
                    std::string_view accepted = {}) const {
    return absl::InvalidArgumentError(
        absl::StrCat(Av(option_), ": ", Av(problem), " at position ", index + 1,
                     accepted.empty() ? "" : "; ", Av(accepted)));
  }

  absl::Status Unterminated(size_t start) const {
    return Fail(
        absl::StrCat("unterminated expression \"", Excerpt(start), "\""), start,
        "expected } to close it");
  }

  // The token at pos_ (up to a space or `}`), for "unexpected" messages.
  std::string TokenAt(size_t index) const {
    size_t end = index;
    while (end < text_.size() && !IsSpace(text_[end]) && text_[end] != '}') {
      ++end;
    }
    if (end == index && end < text_.size()) ++end;
    return EscapeForError(text_.substr(index, end - index));
  }

  absl::Status Unexpected(size_t start, std::string_view accepted) const {
    return Fail(absl::StrCat("unexpected \"", TokenAt(pos_), "\" in \"",
                             Excerpt(start), "\""),
                pos_, accepted);
  }

  absl::Status ExpectClose(size_t start) {
    SkipSpace();
    if (AtEnd()) return Unterminated(start);
    if (Peek() != '}') return Unexpected(start, "expected }");
    ++pos_;
    return absl::OkStatus();
  }

  std::string_view ReadIdent() {
    const size_t begin = pos_;
    while (!AtEnd() && IsIdentChar(Peek())) ++pos_;
    return text_.substr(begin, pos_ - begin);
  }

  absl::Status ParseExpression(size_t start) {
    pos_ = start + 2;
    SkipSpace();
    if (AtEnd()) return Unterminated(start);
    if (Peek() == '<') {
      const size_t at = pos_;
      absl::StatusOr<std::string> bytes = ParseFile(start);
      if (!bytes.ok()) return bytes.status();
      if (absl::Status s = ExpectClose(start); !s.ok()) return s;
      AppendLiteral(*bytes, at);
      return absl::OkStatus();
    }
    const std::string_view ident = ReadIdent();
    if (ident == "connection.uid") return ParseUid(start);
    if (ident == "re")
      return ParseRegex(start, Expression::RegexScope::kMessage);
    if (ident == "connection.re") {
      return ParseRegex(start, Expression::RegexScope::kConnection);
    }
    if (ident == "global.re") {
      return ParseRegex(start, Expression::RegexScope::kGlobal);
    }
    if (ident == "message.marker") {
      if (absl::Status s = ExpectClose(start); !s.ok()) return s;
      out_.push_back(
          {.kind = Expression::Kind::kMessageMarker, .position = start + 1});
      return absl::OkStatus();
    }
    if (ident.substr(0, 3) == "ws.") return ParseWsFrame(start, ident);
    if (ident == "raw") return ParseRaw(start);
    return Fail(absl::StrCat("unknown expression \"", Excerpt(start), "\""),
                start, kAcceptedExpressions);
  }

  absl::Status ParseUid(size_t start) {
    Expression e{.kind = Expression::Kind::kConnectionUid,
                 .position = start + 1};
    SkipSpace();
    if (!AtEnd() && Peek() == '%') {
      ++pos_;
      SkipSpace();
      const size_t digits = pos_;
      uint64_t n = 0;
      bool overflow = false;
      while (!AtEnd() && IsDigit(Peek())) {
        const uint64_t d = Peek() - '0';
        if (n > (UINT64_MAX - d) / 10) overflow = true;
        n = n * 10 + d;
        ++pos_;
      }
      if (pos_ == digits || overflow || n == 0) {
        return Fail(absl::StrCat("bad modulo in \"", Excerpt(start), "\""),
                    digits, "expected \\{connection.uid % N} with N >= 1");
      }
      e.modulo = n;
    }
    if (absl::Status s = ExpectClose(start); !s.ok()) return s;
    out_.push_back(std::move(e));
    return absl::OkStatus();
  }

  // Finds the `}` that closes a regex starting at pos_: braces balance,
  // backslash escapes and [...] classes are skipped.
  size_t FindRegexEnd() const {
    int depth = 0;
    size_t k = pos_;
    while (k < text_.size()) {
      const char c = text_[k];
      if (c == '\\') {
        k += 2;
      } else if (c == '[') {
        ++k;
        if (k < text_.size() && text_[k] == '^') ++k;
        if (k < text_.size() && text_[k] == ']') ++k;  // a literal ]
        while (k < text_.size() && text_[k] != ']') {
          k += text_[k] == '\\' ? 2 : 1;
        }
        ++k;
      } else if (c == '{') {
        ++depth;
        ++k;
      } else if (c == '}') {
        if (depth == 0) return k;
        --depth;
        ++k;
      } else {
        ++k;
      }
    }
    return std::string_view::npos;
  }

  absl::Status ParseRegex(size_t start, Expression::RegexScope scope) {
    SkipSpace();
    const size_t end = FindRegexEnd();
    if (end == std::string_view::npos) return Unterminated(start);
    if (end == pos_) {
      return Fail(absl::StrCat("\"", Excerpt(start), "\" needs a pattern"),
                  start, "expected e.g. \\{re [a-z]{4,8}}");
    }
    absl::StatusOr<RegexGenerator> re =
        RegexGenerator::Compile(text_.substr(pos_, end - pos_), pos_ + 1);
    if (!re.ok()) {
      return absl::InvalidArgumentError(
          absl::StrCat(Av(option_), ": bad regex in \"",
                       EscapeForError(text_.substr(start, end + 1 - start)),
                       "\": ", re.status().message()));
    }
    out_.push_back({.kind = Expression::Kind::kRegex,
                    .position = start + 1,
                    .regex_scope = scope,
                    .regex = std::move(*re)});
    pos_ = end + 1;
    return absl::OkStatus();
  }

  // At '"': the quoted literal, with \" and \\ unescaped.
  absl::StatusOr<std::string> ParseQuoted(size_t start) {
    std::string bytes;
    ++pos_;
    while (!AtEnd() && Peek() != '"') {
      if (Peek() == '\\' && pos_ + 1 < text_.size() &&
          (text_[pos_ + 1] == '"' || text_[pos_ + 1] == '\\')) {
        ++pos_;
      }
      bytes.push_back(text_[pos_++]);
    }
    if (AtEnd()) return Unterminated(start);
    ++pos_;
    return bytes;
  }

  // At '<': `<name>` or `< "path" >`; returns the file's bytes.
  absl::StatusOr<std::string> ParseFile(size_t start) {
    const size_t at = pos_++;
    SkipSpace();
    std::string path;
    if (!AtEnd() && Peek() == '"') {
      absl::StatusOr<std::string> quoted = ParseQuoted(start);
      if (!quoted.ok()) return quoted.status();
      path = std::move(*quoted);
      SkipSpace();
      if (AtEnd()) return Unterminated(start);
      if (Peek() != '>') return Unexpected(start, "expected >");
    } else {
      const size_t close = text_.find('>', pos_);
      if (close == std::string_view::npos) return Unterminated(start);
      size_t last = close;
      while (last > pos_ && IsSpace(text_[last - 1])) --last;
      path = std::string(text_.substr(pos_, last - pos_));
      pos_ = close;
    }
    ++pos_;  // '>'
    if (path.empty()) {
      return Fail("empty file name", at, "expected <file> or < \"path\" >");
    }
    std::string bytes;
    if (const int err = ReadWholeFile(path, &bytes); err != 0) {
      return absl::DataLossError(
          absl::StrCat(Av(option_), ": cannot read \"", EscapeForError(path),
                       "\" at position ", at + 1, ": ", std::strerror(err)));
    }
    return bytes;
  }

  absl::Status ParseRaw(size_t start) {
    SkipSpace();
    Expression e{.kind = Expression::Kind::kRaw, .position = start + 1};
    if (AtEnd()) return Unterminated(start);
    absl::StatusOr<std::string> bytes;
    if (Peek() == '"') {
      bytes = ParseQuoted(start);
    } else if (Peek() == '<') {
      bytes = ParseFile(start);
    } else {
      return Unexpected(start, "expected \\{raw \"bytes\"} or \\{raw <file>}");
    }
    if (!bytes.ok()) return bytes.status();
    e.bytes = std::move(*bytes);
    if (absl::Status s = ExpectClose(start); !s.ok()) return s;
    out_.push_back(std::move(e));
    return absl::OkStatus();
  }

  absl::Status ParseWsFrame(size_t start, std::string_view type);
  absl::Status ParseCloseCode(size_t start, std::optional<uint16_t>* code);
  absl::Status CheckControlFrame(size_t start, const Expression& e,
                                 std::string_view type) const;

  std::string_view text_;
  std::string_view option_;
  size_t pos_ = 0;
  std::vector<Expression> out_;
};

absl::Status Parser::ParseCloseCode(size_t start,
                                    std::optional<uint16_t>* code) {
  const size_t at = pos_;
  uint32_t n = 0;
  while (!AtEnd() && IsDigit(Peek()) && n < 100000) {
    n = n * 10 + (Peek() - '0');
    ++pos_;
  }
  if (code->has_value() || n < 1000 || n > 4999) {
    pos_ = at;
    return Unexpected(start, "expected one close code, 1000..4999");
  }
  *code = static_cast<uint16_t>(n);
  return absl::OkStatus();
}

absl::Status Parser::CheckControlFrame(size_t start, const Expression& e,
                                       std::string_view type) const {
  if (!ws::IsControl(e.opcode)) return absl::OkStatus();
  if (!e.fin) {
    return Fail(absl::StrCat(Av(type), " cannot be fragmented with ..."), start,
                "control frames are always final");
  }
  if (e.bytes.size() > kMaxControlPayloadBytes) {
    return Fail(
        absl::StrCat(Av(type), " payload of ", e.bytes.size(), " bytes"), start,
        "control frames carry at most 125");
  }
  return absl::OkStatus();
}

absl::Status Parser::ParseWsFrame(size_t start, std::string_view type) {
  Expression e{.kind = Expression::Kind::kWsFrame, .position = start + 1};
  bool known = false;
  for (const WsType& t : kWsTypes) {
    if (t.name == type) {
      e.opcode = t.opcode;
      known = true;
    }
  }
  if (!known) {
    return Fail(absl::StrCat("unknown frame type \"", Av(type), "\""),
                start + 2, kAcceptedWsTypes);
  }
  std::optional<std::string> data;
  std::optional<uint16_t> close_code;
  while (true) {
    SkipSpace();
    if (AtEnd()) return Unterminated(start);
    const char c = Peek();
    if (c == '}') {
      ++pos_;
      break;
    }
    if ((c == '"' || c == '<') && !data) {
      absl::StatusOr<std::string> bytes =
          c == '"' ? ParseQuoted(start) : ParseFile(start);
      if (!bytes.ok()) return bytes.status();
      data = std::move(*bytes);
      continue;
    }
    if (IsDigit(c) && e.opcode == ws::Opcode::kClose) {
      if (absl::Status s = ParseCloseCode(start, &close_code); !s.ok()) {
        return s;
      }
      continue;
    }
    if (text_.substr(pos_, 3) == "..." && e.fin) {
      pos_ += 3;
      e.fin = false;
      continue;
    }
    const size_t at = pos_;
    const std::string_view flag = ReadIdent();
    const uint8_t bit = flag == "rsv1"   ? 0x4
                        : flag == "rsv2" ? 0x2
                        : flag == "rsv3" ? 0x1
                                         : 0;
    if (bit == 0 || (e.rsv & bit) != 0) {
      pos_ = at;
      return Unexpected(start, kAcceptedWsItems);
    }
    e.rsv |= bit;
  }
  if (close_code) {
    e.bytes.push_back(static_cast<char>(*close_code >> 8));
    e.bytes.push_back(static_cast<char>(*close_code & 0xFF));
  } else if (e.opcode == ws::Opcode::kClose && data) {
    return Fail("ws.close data without a status code", start,
                "expected \\{ws.close CODE \"reason\"}");
  }
  if (data) e.bytes += *data;
  if (absl::Status s = CheckControlFrame(start, e, type); !s.ok()) return s;
  out_.push_back(std::move(e));
  return absl::OkStatus();
}

}  // namespace

std::string EscapeForError(std::string_view bytes, size_t max_bytes) {
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out;
  for (size_t i = 0; i < bytes.size() && i < max_bytes; ++i) {
    const uint8_t c = static_cast<uint8_t>(bytes[i]);
    if (c >= 0x20 && c < 0x7F) {
      out.push_back(static_cast<char>(c));
    } else {
      out += {'\\', 'x', kHex[c >> 4], kHex[c & 0xF]};
    }
  }
  if (bytes.size() > max_bytes) out += "...";
  return out;
}

absl::StatusOr<std::string> ReadFileBytes(const std::string& path) {
  std::string bytes;
  if (const int err = ReadWholeFile(path, &bytes); err != 0) {
    return absl::DataLossError(absl::StrCat(
        "cannot read \"", EscapeForError(path), "\": ", std::strerror(err)));
  }
  return bytes;
}

absl::StatusOr<std::vector<Expression>> ParseMessage(std::string_view text,
                                                     std::string_view option) {
  return Parser(text, option).Parse();
}

}  // namespace tcpkali::engine
