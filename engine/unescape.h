// Unescape: the -e (--unescape-message-args) transformation of message
// literals, --latency-marker, --message-stop and -H headers.
//
// The C-style escapes `\n \r \t \\ \xHH \OOO` become the bytes they name;
// every other backslash sequence is copied through byte for byte. That is
// deliberate: `\{...}` expressions are compiled later, after -e has run, so
// `\{` must reach the message compiler untouched.
//
// Example:
//   engine::Unescape(R"(GET / HTTP/1.0\r\n\r\n)")  // "GET / HTTP/1.0\r\n\r\n"
//   engine::Unescape(R"(id=\{connection.uid}\n)")  // "id=\{connection.uid}"
//   "\n"
#ifndef TCPKALI_ENGINE_UNESCAPE_H_
#define TCPKALI_ENGINE_UNESCAPE_H_

#include <string>
#include <string_view>

namespace tcpkali::engine {

// Returns `text` with these escapes replaced by the bytes they name:
//   \n \r \t   newline, carriage return, tab
//   \\         one backslash
//   \xH \xHH   one or two hex digits (either case): that byte
//   \O \OO \OOO one to three octal digits, as many as keep the value within
//              a byte (so `\400` is `\40` followed by '0'): that byte
// Anything else after a backslash, a `\x` without a hex digit and a trailing
// lone backslash are kept exactly as written. Pure; never fails.
[[nodiscard]] std::string Unescape(std::string_view text);

}  // namespace tcpkali::engine

#endif  // TCPKALI_ENGINE_UNESCAPE_H_
