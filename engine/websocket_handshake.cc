#include "engine/websocket_handshake.h"

#include <cstring>
#include <optional>

#include "engine/base64.h"
#include "engine/sha1.h"

namespace tcpkali::engine::ws {
namespace {

constexpr std::string_view kGuid = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11";

// HeadScanner counts head bytes in 16 bits.
static_assert(kMaxHandshakeBytes <= UINT16_MAX);

// Where HeadScanner is in the head.
enum Phase : uint8_t {
  kStartLine,  // the request line or the status line
  kLineBegin,  // the first byte of a header line or of the blank line
  kName,       // a header name, up to its colon
  kValue,      // a header value, up to the line end
  kLineLf,     // a CR ended a line; its LF must follow
  kHeadLf,     // a CR ended the blank line; its LF must follow
  kDone,
  kFailed,
};

// The headers the parsers look at. The value is the bit in the masks.
enum Header : uint8_t {
  kHost,
  kUpgrade,
  kConnection,
  kAccept,
  kKey,
  kVersion,
  kOtherHeader,
};
constexpr std::string_view kHeaderNames[] = {"host",
                                             "upgrade",
                                             "connection",
                                             "sec-websocket-accept",
                                             "sec-websocket-key",
                                             "sec-websocket-version"};

constexpr uint8_t Bit(uint8_t header) {
  return static_cast<uint8_t>(1u << header);
}
constexpr uint8_t kResponseHeaders =
    Bit(kUpgrade) | Bit(kConnection) | Bit(kAccept);
constexpr uint8_t kRequestHeaders =
    Bit(kHost) | Bit(kUpgrade) | Bit(kConnection) | Bit(kKey) | Bit(kVersion);

// value_flags_ bits.
constexpr uint8_t kMismatch = 1;  // the current value (element) cannot match
constexpr uint8_t kTrailing = 2;  // whitespace followed the element's text
constexpr uint8_t kFound = 4;     // a list element matched its token

constexpr std::string_view kResponsePrefix = "HTTP/1.1 ";
constexpr std::string_view kRequestMethod = "GET ";
constexpr std::string_view kHttp11 = "HTTP/1.1";

char Lower(uint8_t c) {
  return static_cast<char>(c >= 'A' && c <= 'Z' ? c + ('a' - 'A') : c);
}
bool IsSpace(uint8_t c) { return c == ' ' || c == '\t'; }
bool IsLineEnd(uint8_t c) { return c == '\r' || c == '\n'; }
// RFC 7230 field values and reason phrases exclude controls but HTAB.
bool IsControl(uint8_t c) { return (c < 0x20 && c != '\t') || c == 0x7F; }
bool IsTokenChar(uint8_t c) {
  if ((c >= '0' && c <= '9') || (Lower(c) >= 'a' && Lower(c) <= 'z')) {
    return true;
  }
  return c != 0 &&
         std::string_view("!#$%&'*+-.^_`|~").find(static_cast<char>(c)) !=
             std::string_view::npos;
}

// Visits the pieces of the upgrade request in order.
template <typename Sink>
void ForEachRequestPiece(const UpgradeRequest& request, Sink&& sink) {
  sink("GET ");
  if (request.path.empty() || request.path.front() != '/') sink("/");
  sink(request.path);
  sink(" HTTP/1.1\r\nHost: ");
  sink(request.host);
  sink("\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: ");
  sink(request.key);
  sink("\r\nSec-WebSocket-Version: 13\r\n");
  for (const std::string& header : request.headers) {
    sink(header);
    sink("\r\n");
  }
  sink("\r\n");
}

}  // namespace

KeyText EncodeKey(std::span<const uint8_t, kKeyBytes> nonce) {
  KeyText key;
  Base64Encode(nonce, key.data());
  return key;
}

AcceptText AcceptFor(std::string_view key) {
  const Sha1Digest digest = Sha1Of({key, kGuid});
  AcceptText accept;
  Base64Encode(digest, accept.data());
  return accept;
}

size_t UpgradeRequestBytes(const UpgradeRequest& request) {
  size_t bytes = 0;
  ForEachRequestPiece(
      request, [&bytes](std::string_view piece) { bytes += piece.size(); });
  return bytes;
}

size_t BuildUpgradeRequest(const UpgradeRequest& request, std::span<char> out) {
  if (out.size() < UpgradeRequestBytes(request)) return 0;
  char* at = out.data();
  ForEachRequestPiece(request, [&at](std::string_view piece) {
    if (piece.empty()) return;  // memcpy from a null data() is undefined
    std::memcpy(at, piece.data(), piece.size());
    at += piece.size();
  });
  return static_cast<size_t>(at - out.data());
}

std::string_view HandshakeErrorName(HandshakeError error) {
  switch (error) {
    case HandshakeError::kNone:
      return "no error";
    case HandshakeError::kMalformed:
      return "malformed HTTP";
    case HandshakeError::kTooLarge:
      return "handshake over 8 KiB";
    case HandshakeError::kNotHttp11:
      return "not HTTP/1.1";
    case HandshakeError::kNotSwitching:
      return "status not 101";
    case HandshakeError::kBadMethod:
      return "method not GET";
    case HandshakeError::kNoHost:
      return "no Host header";
    case HandshakeError::kNoUpgrade:
      return "no Upgrade: websocket";
    case HandshakeError::kNoConnection:
      return "no Connection: Upgrade";
    case HandshakeError::kBadAccept:
      return "wrong Sec-WebSocket-Accept";
    case HandshakeError::kBadKey:
      return "bad Sec-WebSocket-Key";
    case HandshakeError::kBadVersion:
      return "Sec-WebSocket-Version not 13";
  }
  return "unknown error";
}

size_t BuildAcceptResponse(std::string_view key, char* out) {
  const AcceptText accept = AcceptFor(key);
  char* at = out;
  for (std::string_view piece : {internal::kAcceptResponseHead,
                                 std::string_view(accept.data(), accept.size()),
                                 internal::kAcceptResponseTail}) {
    std::memcpy(at, piece.data(), piece.size());
    at += piece.size();
  }
  return static_cast<size_t>(at - out);
}

std::string_view RejectResponse(HandshakeError error) {
  if (error == HandshakeError::kBadVersion) {
    return "HTTP/1.1 400 Bad Request\r\n"
           "Sec-WebSocket-Version: 13\r\n"
           "Content-Length: 0\r\n"
           "Connection: close\r\n\r\n";
  }
  return "HTTP/1.1 400 Bad Request\r\n"
         "Content-Length: 0\r\n"
         "Connection: close\r\n\r\n";
}

UpgradeResponseParser::UpgradeResponseParser(const AcceptText& expected_accept)
    : scanner_(internal::HeadScanner::Side::kClientReadsResponse,
               expected_accept) {}

UpgradeRequestParser::UpgradeRequestParser()
    : scanner_(internal::HeadScanner::Side::kServerReadsRequest, AcceptText{}) {
}

namespace internal {

HeadScanner::HeadScanner(Side side, const AcceptText& expected_accept)
    : side_(side), phase_(kStartLine) {
  std::memcpy(text_, expected_accept.data(), kAcceptChars);
}

HandshakeResult HeadScanner::Feed(std::span<const uint8_t> bytes) {
  size_t at = 0;
  if (phase_ != kDone && phase_ != kFailed) {
    while (at < bytes.size()) {
      if (head_bytes_ == kMaxHandshakeBytes) {
        Fail(HandshakeError::kTooLarge);
        break;
      }
      ++head_bytes_;
      if (!Step(bytes[at++])) break;
    }
  }
  return Result(at);
}

HandshakeResult HeadScanner::Result(size_t consumed) const {
  HandshakeResult result;
  result.consumed = consumed;
  result.error = error_;
  if (phase_ == kDone) {
    result.state = HandshakeState::kDone;
  } else if (phase_ == kFailed) {
    result.state = HandshakeState::kFailed;
  }
  if (side_ == Side::kClientReadsResponse) {
    // step_ reaches 2 once all three status digits are in.
    result.http_status = step_ >= 2 ? status_ : 0;
  } else if (phase_ == kDone || phase_ == kFailed) {
    result.http_status = phase_ == kDone ? 101 : 400;
  }
  return result;
}

bool HeadScanner::Fail(HandshakeError error) {
  error_ = error;
  phase_ = kFailed;
  return false;
}

// Consumes one byte; false once the head is done or has failed.
bool HeadScanner::Step(uint8_t c) {
  switch (phase_) {
    case kStartLine:
      return side_ == Side::kClientReadsResponse ? StepResponseLine(c)
                                                 : StepRequestLine(c);
    case kLineBegin:
      if (c == '\r') {
        phase_ = kHeadLf;
        return true;
      }
      if (c == '\n') return FinishHead();
      // A line starting with whitespace is obsolete line folding, which
      // RFC 7230 section 3.2.4 lets a recipient reject.
      if (IsSpace(c)) return Fail(HandshakeError::kMalformed);
      phase_ = kName;
      pos_ = 0;
      candidates_ = side_ == Side::kClientReadsResponse ? kResponseHeaders
                                                        : kRequestHeaders;
      return StepName(c);
    case kName:
      return StepName(c);
    case kValue:
      if (IsLineEnd(c)) {
        FinishValue();
        phase_ = c == '\r' ? kLineLf : kLineBegin;
        return true;
      }
      if (IsControl(c)) return Fail(HandshakeError::kMalformed);
      StepValue(c);
      return true;
    case kLineLf:
      if (c != '\n') return Fail(HandshakeError::kMalformed);
      phase_ = kLineBegin;
      return true;
    case kHeadLf:
      if (c != '\n') return Fail(HandshakeError::kMalformed);
      return FinishHead();
    default:
      return false;
  }
}

bool HeadScanner::EndStartLine(uint8_t c) {
  phase_ = c == '\r' ? kLineLf : kLineBegin;
  return true;
}

// "HTTP/1.1 101 Switching Protocols": the reason phrase may be empty or,
// leniently, missing with its space.
bool HeadScanner::StepResponseLine(uint8_t c) {
  switch (step_) {
    case 0:
      if (c != kResponsePrefix[pos_]) return Fail(HandshakeError::kNotHttp11);
      if (++pos_ == kResponsePrefix.size()) {
        step_ = 1;
        pos_ = 0;
      }
      return true;
    case 1:
      if (c < '0' || c > '9') return Fail(HandshakeError::kMalformed);
      status_ = static_cast<uint16_t>(status_ * 10 + (c - '0'));
      if (++pos_ < 3) return true;
      step_ = 2;
      // Nothing but 101 can succeed: fail now rather than read the rest.
      if (status_ != 101) return Fail(HandshakeError::kNotSwitching);
      return true;
    case 2:
      if (IsLineEnd(c)) return EndStartLine(c);
      if (c != ' ') return Fail(HandshakeError::kMalformed);
      step_ = 3;
      return true;
    default:
      if (IsLineEnd(c)) return EndStartLine(c);
      if (IsControl(c)) return Fail(HandshakeError::kMalformed);
      return true;
  }
}

// "GET <target> HTTP/1.1". Any target is accepted: the sink serves every
// path.
bool HeadScanner::StepRequestLine(uint8_t c) {
  switch (step_) {
    case 0:
      if (c != kRequestMethod[pos_]) return Fail(HandshakeError::kBadMethod);
      if (++pos_ == kRequestMethod.size()) {
        step_ = 1;
        pos_ = 0;
      }
      return true;
    case 1:
      if (c == ' ' && pos_ > 0) {
        step_ = 2;
        pos_ = 0;
        return true;
      }
      if (c <= ' ' || c == 0x7F) return Fail(HandshakeError::kMalformed);
      pos_ = 1;
      return true;
    case 2:
      if (c != kHttp11[pos_]) return Fail(HandshakeError::kNotHttp11);
      if (++pos_ == kHttp11.size()) step_ = 3;
      return true;
    default:
      if (IsLineEnd(c)) return EndStartLine(c);
      return Fail(HandshakeError::kNotHttp11);
  }
}

// Narrows the candidate names by one character; at the colon, picks the
// header whose value follows.
bool HeadScanner::StepName(uint8_t c) {
  if (c == ':') {
    if (pos_ == 0) return Fail(HandshakeError::kMalformed);
    header_ = kOtherHeader;
    for (uint8_t h = 0; h < kOtherHeader; ++h) {
      if ((candidates_ & Bit(h)) && kHeaderNames[h].size() == pos_) header_ = h;
    }
    value_pos_ = 0;
    value_flags_ = 0;
    phase_ = kValue;
    return true;
  }
  // Whitespace before the colon is forbidden (RFC 7230 section 3.2.4).
  if (!IsTokenChar(c)) return Fail(HandshakeError::kMalformed);
  for (uint8_t h = 0; h < kOtherHeader; ++h) {
    if (pos_ >= kHeaderNames[h].size() || Lower(c) != kHeaderNames[h][pos_]) {
      candidates_ &= static_cast<uint8_t>(~Bit(h));
    }
  }
  if (pos_ < 255) ++pos_;
  return true;
}

// The text a value (or each element of a list value) must equal.
std::string_view HeadScanner::Target() const {
  switch (header_) {
    case kUpgrade:
      return "websocket";
    case kConnection:
      return "upgrade";
    case kAccept:
      return {text_, kAcceptChars};
    case kVersion:
      return "13";
    default:
      return {};
  }
}

// Matches one value character against Target() (or captures it, for the
// key), ignoring whitespace around the value and around list elements.
void HeadScanner::StepValue(uint8_t c) {
  if (header_ == kHost || header_ == kOtherHeader) return;
  if (IsSpace(c)) {
    if (value_pos_ > 0 || (value_flags_ & kMismatch)) value_flags_ |= kTrailing;
    return;
  }
  // Upgrade and Connection are comma-separated lists of case-insensitive
  // tokens (RFC 7230 section 6.1, RFC 6455 section 4.2.1).
  const bool list = header_ == kUpgrade || header_ == kConnection;
  if (list && c == ',') {
    EndValueElement();
    return;
  }
  if (value_flags_ & kTrailing) value_flags_ |= kMismatch;
  if (value_flags_ & kMismatch) return;
  if (header_ == kKey) {
    if (value_pos_ == kKeyChars) {
      value_flags_ |= kMismatch;
    } else {
      text_[value_pos_++] = static_cast<char>(c);
    }
    return;
  }
  const std::string_view target = Target();
  const char got = list ? Lower(c) : static_cast<char>(c);
  if (value_pos_ < target.size() && got == target[value_pos_]) {
    ++value_pos_;
  } else {
    value_flags_ |= kMismatch;
  }
}

void HeadScanner::EndValueElement() {
  if (!(value_flags_ & kMismatch) && value_pos_ == Target().size()) {
    value_flags_ |= kFound;
  }
  value_pos_ = 0;
  value_flags_ &= kFound;
}

// The line of the current header ended: record whether its value passed.
void HeadScanner::FinishValue() {
  if (header_ == kOtherHeader) return;
  const uint8_t bit = Bit(header_);
  if (header_ == kUpgrade || header_ == kConnection) {
    // A list may be split over several lines; any matching token will do.
    EndValueElement();
    if (value_flags_ & kFound) valid_ |= bit;
  } else if (header_ != kHost) {
    // Accept, key and version must appear once (RFC 6455 section 11.3).
    const size_t want = header_ == kKey ? kKeyChars : Target().size();
    bool ok =
        !(value_flags_ & kMismatch) && value_pos_ == want && !(seen_ & bit);
    if (ok && header_ == kKey) {
      uint8_t nonce[Base64DecodedMaxBytes(kKeyChars)];
      const std::optional<size_t> n =
          Base64Decode(std::string_view(text_, kKeyChars), nonce);
      ok = n.has_value() && *n == kKeyBytes;
    }
    if (ok) {
      valid_ |= bit;
    } else {
      valid_ &= static_cast<uint8_t>(~bit);
    }
  }
  seen_ |= bit;
}

// The blank line ended the head: were all required headers there?
bool HeadScanner::FinishHead() {
  if (!(valid_ & Bit(kUpgrade))) return Fail(HandshakeError::kNoUpgrade);
  if (!(valid_ & Bit(kConnection))) return Fail(HandshakeError::kNoConnection);
  if (side_ == Side::kClientReadsResponse) {
    if (!(valid_ & Bit(kAccept))) return Fail(HandshakeError::kBadAccept);
  } else {
    if (!(valid_ & Bit(kVersion))) return Fail(HandshakeError::kBadVersion);
    if (!(valid_ & Bit(kKey))) return Fail(HandshakeError::kBadKey);
    if (!(seen_ & Bit(kHost))) return Fail(HandshakeError::kNoHost);
  }
  phase_ = kDone;
  return false;
}

}  // namespace internal
}  // namespace tcpkali::engine::ws
