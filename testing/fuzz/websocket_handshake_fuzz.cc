// Fuzz target for the WebSocket opening handshake (engine/
// websocket_handshake.h). Two modes, chosen by the input:
//  - parse: the bytes go to UpgradeRequestParser and UpgradeResponseParser
//    (expecting the accept value of the RFC 6455 sample key, so the corpus
//    can hold real responses), whole and in random pieces. Both feeds must
//    agree on state, error, status and consumed count; results must follow
//    the contract; a request that parses must get an answer that parses.
//  - build: host, path and extra headers from the input go through
//    BuildUpgradeRequest; when they are well formed, the request parser
//    must accept the result and capture the key that was sent.
#include <array>
#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "engine/fast_random.h"
#include "engine/websocket_handshake.h"
#include "testing/fuzz/fuzz_check.h"
#include "testing/fuzz/fuzz_input.h"

namespace tcpkali::testing {
namespace {

namespace ws = engine::ws;
using ws::HandshakeResult;
using ws::HandshakeState;

// RFC 6455 section 1.3's example key.
constexpr std::string_view kSampleKey = "dGhlIHNhbXBsZSBub25jZQ==";

std::span<const uint8_t> Span(std::string_view s) {
  return {reinterpret_cast<const uint8_t*>(s.data()), s.size()};
}

bool Same(const HandshakeResult& a, const HandshakeResult& b) {
  return a.state == b.state && a.error == b.error &&
         a.http_status == b.http_status && a.consumed == b.consumed;
}

// Feeds `head` in the given pieces up to the first final result; returns
// it with the total consumed. Checks that a finished parser stays put.
template <typename Parser>
HandshakeResult FeedPieces(Parser& parser, std::string_view head,
                           const std::vector<size_t>& lengths) {
  HandshakeResult last;
  size_t consumed = 0;
  size_t at = 0;
  for (size_t len : lengths) {
    last = parser.Feed(Span(head.substr(at, len)));
    consumed += last.consumed;
    if (last.state == HandshakeState::kNeedMore) {
      TCPKALI_FUZZ_CHECK(last.consumed == len);
      at += len;
      continue;
    }
    TCPKALI_FUZZ_CHECK(last.consumed <= len);
    const HandshakeResult again = parser.Feed(Span(head.substr(at)));
    TCPKALI_FUZZ_CHECK(again.state == last.state && again.error == last.error &&
                       again.http_status == last.http_status &&
                       again.consumed == 0);
    break;
  }
  last.consumed = consumed;
  return last;
}

void CheckContract(const HandshakeResult& r, size_t size, bool server) {
  TCPKALI_FUZZ_CHECK((r.state == HandshakeState::kFailed) ==
                     (r.error != ws::HandshakeError::kNone));
  TCPKALI_FUZZ_CHECK(r.consumed <= ws::kMaxHandshakeBytes);
  if (r.state == HandshakeState::kNeedMore) {
    TCPKALI_FUZZ_CHECK(r.consumed == size);
  }
  if (server) {
    const uint16_t want = r.state == HandshakeState::kDone     ? 101
                          : r.state == HandshakeState::kFailed ? 400
                                                               : 0;
    TCPKALI_FUZZ_CHECK(r.http_status == want, r.http_status);
  } else {
    TCPKALI_FUZZ_CHECK(r.http_status <= 999);
    if (r.state == HandshakeState::kDone) {
      TCPKALI_FUZZ_CHECK(r.http_status == 101);
    }
  }
}

// A head that was accepted ends with its blank line.
void CheckEndsHead(std::string_view head, const HandshakeResult& r) {
  if (r.state != HandshakeState::kDone) return;
  std::string_view h = head.substr(0, r.consumed);
  TCPKALI_FUZZ_CHECK(h.ends_with('\n'));
  h.remove_suffix(1);
  if (h.ends_with('\r')) h.remove_suffix(1);
  TCPKALI_FUZZ_CHECK(h.ends_with('\n'), "accepted head without blank line");
}

void ParseMode(std::string_view head, uint64_t split_seed) {
  const std::vector<size_t> pieces = SplitLengths(head.size(), split_seed);
  const ws::AcceptText accept = ws::AcceptFor(kSampleKey);

  ws::UpgradeResponseParser whole_response(accept);
  const HandshakeResult response = whole_response.Feed(Span(head));
  ws::UpgradeResponseParser split_response(accept);
  const HandshakeResult split = FeedPieces(split_response, head, pieces);
  TCPKALI_FUZZ_CHECK(Same(response, split),
                     "response parser: whole and "
                     "split feeds disagree");
  CheckContract(response, head.size(), /*server=*/false);
  CheckEndsHead(head, response);

  ws::UpgradeRequestParser whole_request;
  const HandshakeResult request = whole_request.Feed(Span(head));
  ws::UpgradeRequestParser split_request;
  const HandshakeResult split_req = FeedPieces(split_request, head, pieces);
  TCPKALI_FUZZ_CHECK(Same(request, split_req),
                     "request parser: whole and "
                     "split feeds disagree");
  CheckContract(request, head.size(), /*server=*/true);
  CheckEndsHead(head, request);
  if (request.state != HandshakeState::kDone) return;
  TCPKALI_FUZZ_CHECK(whole_request.key() == split_request.key());
  TCPKALI_FUZZ_CHECK(whole_request.key().size() == ws::kKeyChars);

  // The answer to an accepted request is accepted by the client side.
  char answer[ws::kAcceptResponseBytes];
  const size_t n = ws::BuildAcceptResponse(whole_request.key(), answer);
  TCPKALI_FUZZ_CHECK(n == ws::kAcceptResponseBytes);
  ws::UpgradeResponseParser client(ws::AcceptFor(whole_request.key()));
  const HandshakeResult r = client.Feed(Span({answer, n}));
  TCPKALI_FUZZ_CHECK(
      r.state == HandshakeState::kDone && r.consumed == n,
      "our own answer was refused: ", ws::HandshakeErrorName(r.error));
}

bool IsTokenChar(char c) {
  return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') ||
         (c >= 'A' && c <= 'Z') ||
         std::string_view("!#$%&'*+-.^_`|~").find(c) != std::string_view::npos;
}

bool IsFieldText(std::string_view s) {
  for (char c : s) {
    const auto u = static_cast<unsigned char>(c);
    if ((u < 0x20 && u != '\t') || u == 0x7F) return false;
  }
  return true;
}

std::string Lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) {
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  }
  return out;
}

// "Name: value" with a token name that does not repeat a header the
// parser requires to appear once.
bool IsHarmlessHeader(std::string_view line) {
  const size_t colon = line.find(':');
  if (colon == 0 || colon == std::string_view::npos) return false;
  for (char c : line.substr(0, colon)) {
    if (!IsTokenChar(c)) return false;
  }
  const std::string name = Lower(line.substr(0, colon));
  return name != "sec-websocket-key" && name != "sec-websocket-version" &&
         IsFieldText(line.substr(colon + 1));
}

void BuildMode(std::string_view fields, uint64_t seed) {
  std::vector<std::string_view> parts;
  while (parts.size() < 8) {
    const size_t nul = fields.find('\0');
    parts.push_back(fields.substr(0, nul));
    if (nul == std::string_view::npos) break;
    fields.remove_prefix(nul + 1);
  }
  parts.resize(std::max<size_t>(parts.size(), 2));
  const std::vector<std::string> headers(parts.begin() + 2, parts.end());
  engine::FastRandom rng(seed);
  std::array<uint8_t, ws::kKeyBytes> nonce;
  for (uint8_t& b : nonce) b = static_cast<uint8_t>(rng.Next());
  const ws::KeyText key = ws::EncodeKey(nonce);
  const ws::UpgradeRequest request{.host = parts[0],
                                   .path = parts[1],
                                   .key = {key.data(), key.size()},
                                   .headers = headers};
  const size_t size = ws::UpgradeRequestBytes(request);
  std::vector<char> out(size);
  if (size > 0) {
    std::vector<char> short_buffer(size - 1);
    TCPKALI_FUZZ_CHECK(ws::BuildUpgradeRequest(request, short_buffer) == 0);
  }
  TCPKALI_FUZZ_CHECK(ws::BuildUpgradeRequest(request, out) == size);

  bool well_formed = IsFieldText(parts[0]) && size <= ws::kMaxHandshakeBytes;
  for (char c : parts[1]) {
    const auto u = static_cast<unsigned char>(c);
    if (u <= ' ' || u == 0x7F) well_formed = false;
  }
  for (const std::string& h : headers) {
    if (!IsHarmlessHeader(h)) well_formed = false;
  }
  ws::UpgradeRequestParser parser;
  const HandshakeResult r = parser.Feed(Span({out.data(), out.size()}));
  CheckContract(r, size, /*server=*/true);
  if (!well_formed) return;
  TCPKALI_FUZZ_CHECK(
      r.state == HandshakeState::kDone && r.consumed == size,
      "a well-formed request was refused: ", ws::HandshakeErrorName(r.error),
      "\n", std::string_view(out.data(), out.size()));
  TCPKALI_FUZZ_CHECK(parser.key() == std::string_view(key.data(), key.size()));
}

}  // namespace
}  // namespace tcpkali::testing

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  tcpkali::testing::FuzzInput in(data, size);
  const bool build = in.TakeBool();
  const uint64_t seed = in.TakeU64();
  if (build) {
    tcpkali::testing::BuildMode(in.Rest(), seed);
  } else {
    tcpkali::testing::ParseMode(in.Rest(), seed);
  }
  return 0;
}
