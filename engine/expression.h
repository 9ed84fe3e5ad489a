// Message expressions: the `\{...}` parser that turns one message, as the
// user wrote it, into a list of pieces the message compiler
// (engine/message_template.h) lays out and expands.
//
// Expressions are recognised whether or not -e was given (the CLI has
// unescaped literals already and left `\{` alone). Grammar, with `ws` for
// optional spaces and tabs:
//
//   \{connection.uid}          the connection's number, 1, 2, 3, ... (decimal)
//   \{connection.uid % N}      its remainder modulo N (N >= 1)
//   \{re REGEX}                a random string matching REGEX, new for every
//                              message (the subset is in engine/regex_gen.h)
//   \{connection.re REGEX}     the same, but fixed for each connection
//   \{global.re REGEX}         the same, but fixed for the whole run
//   \{message.marker}          TCPKaliMsgTS-<16 lowercase hex digits of
//                              microseconds since the epoch>. (30 bytes)
//   \{<file>}  \{< "path" >}   the file's bytes, read once at start; the
//                              path is relative to the current directory
//   \{ws.TYPE ITEM...}         one WebSocket frame; TYPE is text, binary,
//                              ping, pong, close or continuation; ITEMs, in
//                              any order and each at most once:
//                                "literal" or <file>   the payload
//                                rsv1 rsv2 rsv3        set those header bits
//                                ...                   not the final fragment
//                                CODE (ws.close only)  status code 1000..4999,
//                                                      sent before any data
//   \{raw "literal"}  \{raw <file>}
//                              bytes sent as they are, never wrapped in a
//                              WebSocket frame even under --ws
//
// A REGEX runs verbatim from the first non-space character after the
// keyword to the `}` that closes the expression: braces inside it must
// balance (as in `{2,5}`), and `\}` or a `}` inside `[...]` does not close.
// In "literal" data, `\"` is a quote and `\\` a backslash; every other byte
// is itself. Control frames (ping, pong, close) carry at most 125 bytes and
// cannot be fragmented (RFC 6455 section 5.5).
//
// Errors name the option and the 1-based byte position of the problem in
// the text as given, and say what is accepted, e.g.
//   --message: unknown expression "\{foo}" at position 5; expected ...
// They are InvalidArgument (exit 64) except for an unreadable file, which
// is DataLoss (exit 65).
//
// Example:
//   absl::StatusOr<std::vector<Expression>> pieces =
//       ParseMessage("id=\{connection.uid % 10}\n", "--message");
//   // pieces: kLiteral "id=", kConnectionUid (modulo 10), kLiteral "\n"
#ifndef TCPKALI_ENGINE_EXPRESSION_H_
#define TCPKALI_ENGINE_EXPRESSION_H_

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "engine/regex_gen.h"
#include "engine/websocket_frame.h"

namespace tcpkali::engine {

// \{message.marker} expands to the marker engine/marker_scanner.h defines
// (WriteMarker, kMarkerBytes): the same code writes and finds it.

// One piece of a parsed message. A plain value, built once at start.
struct Expression {
  enum class Kind {
    kLiteral,        // bytes: literal text and included files, merged
    kConnectionUid,  // modulo
    kRegex,          // regex, regex_scope
    kMessageMarker,
    kWsFrame,  // bytes (payload), opcode, fin, rsv
    kRaw,      // bytes
  };
  enum class RegexScope { kMessage, kConnection, kGlobal };

  Kind kind = Kind::kLiteral;
  size_t position = 0;  // 1-based, in the text as given
  std::string bytes;
  uint64_t modulo = 0;  // 0: the whole uid
  RegexScope regex_scope = RegexScope::kMessage;
  std::optional<RegexGenerator> regex;
  ws::Opcode opcode = ws::Opcode::kText;
  bool fin = true;
  uint8_t rsv = 0;  // as in ws::FrameHeader: rsv1 = 0x4, rsv2 = 0x2, rsv3 = 0x1
};

// `bytes` made fit to quote in a one-line error message: printable ASCII
// as is, other bytes as \xHH, cut after `max_bytes` input bytes with "...".
std::string EscapeForError(std::string_view bytes, size_t max_bytes = 48);

// Reads the whole file at `path` (relative to the current directory).
// Fails with DataLoss: `cannot read "<path>": <strerror>`.
[[nodiscard]] absl::StatusOr<std::string> ReadFileBytes(
    const std::string& path);

// Parses `text`, the message given to `option` ("--message",
// "--first-message-file", ...; only used in error messages). Adjacent
// literal text and file contents come back merged into one kLiteral piece;
// an empty text gives an empty list. Fails, without partial results, as
// described above.
[[nodiscard]] absl::StatusOr<std::vector<Expression>> ParseMessage(
    std::string_view text, std::string_view option);

}  // namespace tcpkali::engine

#endif  // TCPKALI_ENGINE_EXPRESSION_H_
