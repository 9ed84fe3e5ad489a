// The WebSocket opening handshake (RFC 6455 section 4), both sides: the
// client's upgrade request and the parser of the server's answer, the
// server's parser of that request and its answers.
//
// Everything here runs once per connection, at connection setup, and writes
// into caller buffers. The parsers are incremental (feed them whatever a
// receive returned, split anywhere), bounded (a head over
// kMaxHandshakeBytes fails), and small: they scan the head with a byte-wise
// state machine instead of buffering it, so that they can live in a
// per-connection side table.
//
// Example, client side:
//   KeyText key = EncodeKey(nonce);                // 16 bytes from a PRNG
//   UpgradeRequest request{.host = "example.com:8080", .path = "/chat",
//                          .key = {key.data(), key.size()}};
//   size_t n = BuildUpgradeRequest(request, send_buffer);   // send it
//   UpgradeResponseParser parser(AcceptFor({key.data(), key.size()}));
//   ... on every receive:
//   HandshakeResult r = parser.Feed(received);
//   if (r.state == HandshakeState::kDone) {
//     // received[r.consumed..] are already WebSocket frames.
//   } else if (r.state == HandshakeState::kFailed) {
//     // count it; r.http_status and HandshakeErrorName(r.error) say why
//   }
//
// Example, server side:
//   UpgradeRequestParser parser;
//   HandshakeResult r = parser.Feed(received);
//   if (r.state == HandshakeState::kDone) {
//     char answer[kAcceptResponseBytes];
//     BuildAcceptResponse(parser.key(), answer);
//   } else if (r.state == HandshakeState::kFailed) {
//     std::string_view answer = RejectResponse(r.error);  // then close
//   }
#ifndef TCPKALI_ENGINE_WEBSOCKET_HANDSHAKE_H_
#define TCPKALI_ENGINE_WEBSOCKET_HANDSHAKE_H_

#include <array>
#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>

namespace tcpkali::engine::ws {

// Random bytes behind a Sec-WebSocket-Key, and their base64 length.
inline constexpr size_t kKeyBytes = 16;
inline constexpr size_t kKeyChars = 24;
// Base64 of a SHA-1 digest: the length of Sec-WebSocket-Accept.
inline constexpr size_t kAcceptChars = 28;
// The longest request or response head (start line, headers, blank line)
// either parser accepts.
inline constexpr size_t kMaxHandshakeBytes = 8192;

using KeyText = std::array<char, kKeyChars>;
using AcceptText = std::array<char, kAcceptChars>;

// The Sec-WebSocket-Key value for 16 random bytes (base64, 24 characters).
KeyText EncodeKey(std::span<const uint8_t, kKeyBytes> nonce);

// The Sec-WebSocket-Accept value that answers `key`: base64 of the SHA-1 of
// the key followed by the RFC 6455 GUID.
AcceptText AcceptFor(std::string_view key);

// What goes into a client's upgrade request.
struct UpgradeRequest {
  // The Host header value as the destination was written: host[:port],
  // an IPv6 address in brackets.
  std::string_view host;
  // Path and query from the destination. Empty means "/"; a path that does
  // not start with '/' (such as "?x=1") gets one in front.
  std::string_view path;
  // The Sec-WebSocket-Key value, normally from EncodeKey().
  std::string_view key;
  // Extra header lines (-H), each written as given followed by CRLF.
  std::span<const std::string> headers;
};

// The exact size BuildUpgradeRequest() writes for `request`.
size_t UpgradeRequestBytes(const UpgradeRequest& request);

// Writes the GET upgrade request with Host, Upgrade, Connection,
// Sec-WebSocket-Key, Sec-WebSocket-Version: 13 and the extra headers, then
// the blank line. Returns the bytes written, or 0 -- having written nothing
// -- when `out` is smaller than UpgradeRequestBytes(request).
[[nodiscard]] size_t BuildUpgradeRequest(const UpgradeRequest& request,
                                         std::span<char> out);

// Why a handshake failed. Every failure is final: the connection closes.
enum class HandshakeError : uint8_t {
  kNone,
  kMalformed,     // not HTTP syntax: bad line ending, header, control byte
  kTooLarge,      // the head is longer than kMaxHandshakeBytes
  kNotHttp11,     // the protocol version is not HTTP/1.1
  kNotSwitching,  // response status other than 101
  kBadMethod,     // request method other than GET
  kNoHost,        // request without Host
  kNoUpgrade,     // Upgrade missing or without the "websocket" token
  kNoConnection,  // Connection missing or without the "Upgrade" token
  kBadAccept,     // Sec-WebSocket-Accept missing, repeated or wrong
  kBadKey,        // Sec-WebSocket-Key missing, repeated, not 16 bytes
  kBadVersion,    // Sec-WebSocket-Version missing, repeated or not 13
};

// A short description for -v output, e.g. "wrong Sec-WebSocket-Accept".
std::string_view HandshakeErrorName(HandshakeError error);

enum class HandshakeState : uint8_t { kNeedMore, kDone, kFailed };

struct HandshakeResult {
  HandshakeState state = HandshakeState::kNeedMore;
  HandshakeError error = HandshakeError::kNone;  // set when kFailed
  // Client: the status code the server sent, 0 before it was read.
  // Server: the status to answer with, 101 when done, 400 when failed.
  uint16_t http_status = 0;
  // Bytes of this Feed()'s input that belonged to the head: all of it while
  // kNeedMore; up to the blank line when kDone (what follows is frame
  // data); up to the offending byte when kFailed.
  size_t consumed = 0;
};

namespace internal {

// The byte-wise state machine both parsers share: HTTP/1.1 head syntax,
// recognition of the handshake's header names, and checks of their values.
// Owned by one parser, used from one thread.
class HeadScanner {
 public:
  enum class Side : uint8_t { kClientReadsResponse, kServerReadsRequest };

  // `expected_accept` is for the client side and ignored by the server.
  HeadScanner(Side side, const AcceptText& expected_accept);

  [[nodiscard]] HandshakeResult Feed(std::span<const uint8_t> bytes);

  // The Sec-WebSocket-Key the server side captured (kKeyChars long).
  std::string_view captured_key() const { return {text_, kKeyChars}; }

 private:
  bool Step(uint8_t c);
  bool StepResponseLine(uint8_t c);
  bool StepRequestLine(uint8_t c);
  bool StepName(uint8_t c);
  void StepValue(uint8_t c);
  void EndValueElement();
  void FinishValue();
  bool FinishHead();
  bool EndStartLine(uint8_t c);
  std::string_view Target() const;
  bool Fail(HandshakeError error);
  HandshakeResult Result(size_t consumed) const;

  Side side_;
  uint8_t phase_;
  uint8_t step_ = 0;         // sub-state within the start line
  uint8_t pos_ = 0;          // index within a literal or a header name
  uint8_t candidates_ = 0;   // header names the current name may still be
  uint8_t header_ = 0;       // the header whose value is being read
  uint8_t value_pos_ = 0;    // characters of the value matched or captured
  uint8_t value_flags_ = 0;  // mismatch / trailing space / token found
  uint8_t seen_ = 0;         // headers present, one bit each
  uint8_t valid_ = 0;        // headers whose value was acceptable
  HandshakeError error_ = HandshakeError::kNone;
  uint16_t status_ = 0;
  uint16_t head_bytes_ = 0;
  // Client: the expected accept value. Server: the captured key.
  char text_[kAcceptChars];
};

}  // namespace internal

// Parses the server's answer to BuildUpgradeRequest() on the client. Owned
// by its connection, used from the connection's worker thread.
class UpgradeResponseParser {
 public:
  // `expected_accept` is AcceptFor() the key that was sent.
  explicit UpgradeResponseParser(const AcceptText& expected_accept);

  // Scans the next bytes of the response. kDone once a 101 response with
  // "Upgrade: websocket", a "Connection: Upgrade" token and the expected
  // Sec-WebSocket-Accept has ended; kFailed at the first sign of anything
  // else (a non-101 status fails as soon as the status line is read). After
  // kDone or kFailed, further calls return the same outcome and consume
  // nothing.
  [[nodiscard]] HandshakeResult Feed(std::span<const uint8_t> bytes) {
    return scanner_.Feed(bytes);
  }

 private:
  internal::HeadScanner scanner_;
};

// Parses a client's upgrade request on the server. Owned by its connection,
// used from the connection's worker thread.
class UpgradeRequestParser {
 public:
  UpgradeRequestParser();

  // Scans the next bytes of the request. kDone once a "GET <target>
  // HTTP/1.1" request with Host, "Upgrade: websocket", a "Connection:
  // Upgrade" token, "Sec-WebSocket-Version: 13" and a Sec-WebSocket-Key of
  // 16 base64-encoded bytes has ended; kFailed otherwise, with the error
  // that RejectResponse() turns into the answer. After kDone or kFailed,
  // further calls return the same outcome and consume nothing.
  [[nodiscard]] HandshakeResult Feed(std::span<const uint8_t> bytes) {
    return scanner_.Feed(bytes);
  }

  // The client's Sec-WebSocket-Key; meaningful once Feed() returned kDone.
  std::string_view key() const { return scanner_.captured_key(); }

 private:
  internal::HeadScanner scanner_;
};

namespace internal {
// BuildAcceptResponse() writes these around the accept value.
inline constexpr std::string_view kAcceptResponseHead =
    "HTTP/1.1 101 Switching Protocols\r\n"
    "Upgrade: websocket\r\n"
    "Connection: Upgrade\r\n"
    "Sec-WebSocket-Accept: ";
inline constexpr std::string_view kAcceptResponseTail = "\r\n\r\n";
}  // namespace internal

// The length of every BuildAcceptResponse() answer.
inline constexpr size_t kAcceptResponseBytes =
    internal::kAcceptResponseHead.size() + kAcceptChars +
    internal::kAcceptResponseTail.size();

// Writes the 101 answer to a request that carried `key` into `out`, which
// has room for kAcceptResponseBytes, and returns kAcceptResponseBytes.
size_t BuildAcceptResponse(std::string_view key, char* out);

// The complete answer to a request that failed with `error`: 400 Bad
// Request, plus "Sec-WebSocket-Version: 13" when the version was the
// problem (RFC 6455 section 4.4). The text is static.
std::string_view RejectResponse(HandshakeError error);

}  // namespace tcpkali::engine::ws

#endif  // TCPKALI_ENGINE_WEBSOCKET_HANDSHAKE_H_
