#include "engine/websocket_handshake.h"

#include <doctest/doctest.h>

#include <random>
#include <string>
#include <vector>

#include "testing/test_seed.h"

namespace tcpkali::engine::ws {
namespace {

// RFC 6455 section 1.3's example.
constexpr std::string_view kSampleKey = "dGhlIHNhbXBsZSBub25jZQ==";
constexpr std::string_view kSampleAccept = "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=";

std::span<const uint8_t> Bytes(std::string_view text) {
  return {reinterpret_cast<const uint8_t*>(text.data()), text.size()};
}

AcceptText SampleAccept() {
  AcceptText accept;
  std::copy(kSampleAccept.begin(), kSampleAccept.end(), accept.begin());
  return accept;
}

std::string BuildRequest(const UpgradeRequest& request) {
  std::string out(UpgradeRequestBytes(request), '?');
  REQUIRE(BuildUpgradeRequest(request, out) == out.size());
  return out;
}

std::string AcceptResponse(std::string_view key) {
  std::string out(kAcceptResponseBytes, '?');
  REQUIRE(BuildAcceptResponse(key, out.data()) == kAcceptResponseBytes);
  return out;
}

// A response to the sample key with `headers` (CRLF-terminated lines).
std::string Response(std::string_view status_line, std::string_view headers) {
  return std::string(status_line) + "\r\n" + std::string(headers) + "\r\n";
}

HandshakeResult ParseResponse(std::string_view text) {
  UpgradeResponseParser parser(SampleAccept());
  return parser.Feed(Bytes(text));
}

TEST_CASE("key and accept values match the RFC 6455 example") {
  const std::string_view nonce = "the sample nonce";
  const KeyText key = EncodeKey(std::span<const uint8_t, kKeyBytes>(
      reinterpret_cast<const uint8_t*>(nonce.data()), kKeyBytes));
  CHECK(std::string_view(key.data(), key.size()) == kSampleKey);
  const AcceptText accept = AcceptFor(kSampleKey);
  CHECK(std::string_view(accept.data(), accept.size()) == kSampleAccept);
}

TEST_CASE("the upgrade request carries every header and the path") {
  const std::vector<std::string> extra = {"Origin: http://example.com",
                                          "X-Test: 1"};
  CHECK(BuildRequest({.host = "example.com:8080",
                      .path = "/chat?x=1",
                      .key = kSampleKey,
                      .headers = extra}) ==
        "GET /chat?x=1 HTTP/1.1\r\n"
        "Host: example.com:8080\r\n"
        "Upgrade: websocket\r\n"
        "Connection: Upgrade\r\n"
        "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"
        "Sec-WebSocket-Version: 13\r\n"
        "Origin: http://example.com\r\n"
        "X-Test: 1\r\n"
        "\r\n");
  struct Row {
    std::string_view host, path, start;
  };
  const Row rows[] = {
      {"h", "", "GET / HTTP/1.1\r\nHost: h\r\n"},
      {"h:1", "?x=1", "GET /?x=1 HTTP/1.1\r\nHost: h:1\r\n"},
      {"[::1]:80", "/a/b", "GET /a/b HTTP/1.1\r\nHost: [::1]:80\r\n"},
  };
  for (const Row& row : rows) {
    CAPTURE(row.path);
    const std::string built =
        BuildRequest({.host = row.host, .path = row.path, .key = kSampleKey});
    CHECK(built.substr(0, row.start.size()) == row.start);
  }
}

TEST_CASE("a buffer one byte short receives nothing") {
  const UpgradeRequest request{.host = "h", .path = "/", .key = kSampleKey};
  const size_t bytes = UpgradeRequestBytes(request);
  std::string out(bytes - 1, '.');
  CHECK(BuildUpgradeRequest(request, out) == 0);
  CHECK(out == std::string(bytes - 1, '.'));
}

TEST_CASE("client request and server answer round-trip at every split") {
  const uint8_t nonce[kKeyBytes] = {1, 2,  3,  4,  5,  6,  7,  8,
                                    9, 10, 11, 12, 13, 14, 15, 250};
  const KeyText key = EncodeKey(nonce);
  const std::string_view key_text(key.data(), key.size());
  const std::string request =
      BuildRequest({.host = "[::1]:9000", .path = "/ws", .key = key_text});
  const std::string frames = "\x81\x85\x01\x02";  // the start of a frame
  const std::string request_stream = request + frames;

  for (size_t cut = 0; cut <= request_stream.size(); ++cut) {
    CAPTURE(cut);
    UpgradeRequestParser server;
    const HandshakeResult first = server.Feed(Bytes(request_stream).first(cut));
    const HandshakeResult second =
        server.Feed(Bytes(request_stream).subspan(cut));
    CHECK(first.state == (cut >= request.size() ? HandshakeState::kDone
                                                : HandshakeState::kNeedMore));
    REQUIRE(second.state == HandshakeState::kDone);
    CHECK(second.http_status == 101);
    CHECK(first.consumed + second.consumed == request.size());
    CHECK(server.key() == key_text);
  }

  const std::string response_stream = AcceptResponse(key_text) + frames;
  for (size_t cut = 0; cut <= response_stream.size(); ++cut) {
    CAPTURE(cut);
    UpgradeResponseParser client(AcceptFor(key_text));
    const HandshakeResult first =
        client.Feed(Bytes(response_stream).first(cut));
    const HandshakeResult second =
        client.Feed(Bytes(response_stream).subspan(cut));
    REQUIRE(second.state == HandshakeState::kDone);
    CHECK(second.http_status == 101);
    CHECK(first.consumed + second.consumed == kAcceptResponseBytes);
  }
}

TEST_CASE("byte-by-byte feeding reports done on the last byte of the head") {
  const std::string response = AcceptResponse(kSampleKey);
  UpgradeResponseParser client(SampleAccept());
  for (size_t i = 0; i < response.size(); ++i) {
    const HandshakeResult r = client.Feed(Bytes(response).subspan(i, 1));
    CHECK(r.consumed == 1);
    CHECK(r.state == (i + 1 == response.size() ? HandshakeState::kDone
                                               : HandshakeState::kNeedMore));
  }
  const HandshakeResult after = client.Feed(Bytes("\x81\x00"));
  CHECK(after.state == HandshakeState::kDone);
  CHECK(after.consumed == 0);
}

constexpr std::string_view kGoodHeaders =
    "Upgrade: websocket\r\n"
    "Connection: Upgrade\r\n"
    "Sec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\r\n";

TEST_CASE("server responses: accepted and rejected, with the reason") {
  using E = HandshakeError;
  struct Row {
    std::string text;
    E error;  // kNone: accepted
    uint16_t http_status;
  };
  const std::string ok_line = "HTTP/1.1 101 Switching Protocols";
  const Row rows[] = {
      {Response(ok_line, kGoodHeaders), E::kNone, 101},
      {Response("HTTP/1.1 101", kGoodHeaders), E::kNone, 101},
      {Response("HTTP/1.1 101 ", kGoodHeaders), E::kNone, 101},
      {Response(ok_line,
                "uPgRaDe:WebSocket\r\n"
                "connection: keep-alive, UPGRADE\r\n"
                "SEC-WEBSOCKET-ACCEPT: \t s3pPLMBiTxaQ9kYGzzhZRbK+xOo= \t\r\n"
                "Server: x\r\nSec-WebSocket-Version: 13\r\n"),
       E::kNone, 101},
      {"HTTP/1.1 101 OK\nUpgrade: websocket\nConnection: Upgrade\n"
       "Sec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\n\n",
       E::kNone, 101},
      {Response(ok_line,
                "Upgrade: websocket\r\nConnection: Upgrade\r\n"
                "Sec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOO=\r\n"),
       E::kBadAccept, 101},
      {Response(ok_line,
                "Upgrade: websocket\r\nConnection: Upgrade\r\n"
                "Sec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=x\r\n"),
       E::kBadAccept, 101},
      {Response(ok_line,
                "Upgrade: websocket\r\nConnection: Upgrade\r\n"
                "Sec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xO\r\n"),
       E::kBadAccept, 101},
      {Response(ok_line,
                "Upgrade: websocket\r\nConnection: Upgrade\r\n"
                "Sec-WebSocket-Accept: s3pPLMBiTxaQ9kYG zzhZRbK+xOo=\r\n"),
       E::kBadAccept, 101},
      {Response(ok_line, "Upgrade: websocket\r\nConnection: Upgrade\r\n"),
       E::kBadAccept, 101},
      {Response(ok_line,
                std::string(kGoodHeaders) +
                    "Sec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\r\n"),
       E::kBadAccept, 101},
      {Response("HTTP/1.1 200 OK", kGoodHeaders), E::kNotSwitching, 200},
      {Response("HTTP/1.1 404 Not Found", ""), E::kNotSwitching, 404},
      {Response("HTTP/1.1 400 Bad Request", "Sec-WebSocket-Version: 13\r\n"),
       E::kNotSwitching, 400},
      {Response("HTTP/1.0 101 Switching Protocols", kGoodHeaders),
       E::kNotHttp11, 0},
      {"SSH-2.0-OpenSSH_9.6\r\n", E::kNotHttp11, 0},
      {Response("HTTP/1.1 1x1 Hm", kGoodHeaders), E::kMalformed, 0},
      {Response("HTTP/1.1 1010 Hm", kGoodHeaders), E::kMalformed, 101},
      {Response(ok_line,
                "Connection: Upgrade\r\n"
                "Sec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\r\n"),
       E::kNoUpgrade, 101},
      {Response(ok_line, "Upgrade: websockets\r\nConnection: Upgrade\r\n"),
       E::kNoUpgrade, 101},
      {Response(ok_line, "Upgrade: h2c\r\nConnection: Upgrade\r\n"),
       E::kNoUpgrade, 101},
      {Response(ok_line,
                "Upgrade: websocket\r\nConnection: keep-alive\r\n"
                "Sec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\r\n"),
       E::kNoConnection, 101},
      {Response(ok_line, "Upgrade : websocket\r\n"), E::kMalformed, 101},
      {Response(ok_line, "Upgrade websocket\r\n"), E::kMalformed, 101},
      {Response(ok_line, ": websocket\r\n"), E::kMalformed, 101},
      {Response(ok_line, "Upgrade: websocket\r\n websocket\r\n"), E::kMalformed,
       101},
      {Response(ok_line, std::string("X: a\0b\r\n", 8)), E::kMalformed, 101},
      {Response(ok_line, "X: a\rb\r\n"), E::kMalformed, 101},
      {"HTTP/1.1 101 OK\r\r\n", E::kMalformed, 101},
  };
  for (const Row& row : rows) {
    CAPTURE(row.text);
    const HandshakeResult r = ParseResponse(row.text);
    CHECK(r.state == (row.error == E::kNone ? HandshakeState::kDone
                                            : HandshakeState::kFailed));
    CHECK(r.error == row.error);
    CHECK(r.http_status == row.http_status);
    if (row.error == E::kNone) CHECK(r.consumed == row.text.size());
  }
}

TEST_CASE("a failure is reported the same way at every split") {
  const std::string text =
      Response("HTTP/1.1 101 Switching Protocols",
               "Upgrade: websocket\r\nConnection: Upgrade\r\n"
               "Sec-WebSocket-Accept: AAAAAAAAAAAAAAAAAAAAAAAAAAA=\r\n");
  // The verdict needs the blank line, so every proper prefix needs more.
  for (size_t cut = 0; cut < text.size(); ++cut) {
    CAPTURE(cut);
    UpgradeResponseParser client(SampleAccept());
    const HandshakeResult first = client.Feed(Bytes(text).first(cut));
    CHECK(first.state == HandshakeState::kNeedMore);
    const HandshakeResult second = client.Feed(Bytes(text).subspan(cut));
    CHECK(second.state == HandshakeState::kFailed);
    CHECK(second.error == HandshakeError::kBadAccept);
  }
}

TEST_CASE("a head longer than kMaxHandshakeBytes fails, one that fits passes") {
  const std::string good = Response("HTTP/1.1 101 Switching Protocols",
                                    std::string(kGoodHeaders) + "X-Fill: \r\n");
  const size_t fill = kMaxHandshakeBytes - good.size();
  const std::string at_limit = Response(
      "HTTP/1.1 101 Switching Protocols",
      std::string(kGoodHeaders) + "X-Fill: " + std::string(fill, 'a') + "\r\n");
  REQUIRE(at_limit.size() == kMaxHandshakeBytes);
  CHECK(ParseResponse(at_limit).state == HandshakeState::kDone);

  const std::string over = Response("HTTP/1.1 101 Switching Protocols",
                                    std::string(kGoodHeaders) + "X-Fill: " +
                                        std::string(fill + 1, 'a') + "\r\n");
  const HandshakeResult r = ParseResponse(over);
  CHECK(r.state == HandshakeState::kFailed);
  CHECK(r.error == HandshakeError::kTooLarge);
  CHECK(r.consumed == kMaxHandshakeBytes);

  // A peer that never ends its head is cut off as well.
  UpgradeRequestParser server;
  HandshakeResult s = server.Feed(Bytes("GET / HTTP/1.1\r\nX: "));
  const std::string chunk(1000, 'z');
  for (int i = 0; i < 10 && s.state == HandshakeState::kNeedMore; ++i) {
    s = server.Feed(Bytes(chunk));
  }
  CHECK(s.error == HandshakeError::kTooLarge);
  CHECK(s.http_status == 400);
}

// A request with `line` as its request line and the given header lines.
std::string Request(std::string_view line, std::string_view headers) {
  return std::string(line) + "\r\n" + std::string(headers) + "\r\n";
}

TEST_CASE("client requests: accepted and rejected, with the reason") {
  using E = HandshakeError;
  const std::string get = "GET /chat HTTP/1.1";
  const std::string host = "Host: server.example.com\r\n";
  const std::string upgrade = "Upgrade: websocket\r\nConnection: Upgrade\r\n";
  const std::string key = "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n";
  const std::string version = "Sec-WebSocket-Version: 13\r\n";
  struct Row {
    std::string text;
    E error;
  };
  const Row rows[] = {
      {Request(get, host + upgrade + key + version), E::kNone},
      {Request("GET /?a=b%20c HTTP/1.1",
               "host: h\r\nConnection: keep-alive, Upgrade\r\n"
               "UPGRADE: foo/1, WebSocket\r\nOrigin: x\r\n"
               "sec-websocket-version:13\r\n"
               "sec-websocket-key:   dGhlIHNhbXBsZSBub25jZQ==  \r\n"),
       E::kNone},
      {Request("POST /chat HTTP/1.1", host + upgrade + key + version),
       E::kBadMethod},
      {Request("get /chat HTTP/1.1", host + upgrade + key + version),
       E::kBadMethod},
      {Request("GET /chat HTTP/1.0", host + upgrade + key + version),
       E::kNotHttp11},
      {Request("GET /chat HTTP/1.10", host + upgrade + key + version),
       E::kNotHttp11},
      {Request("GET  /chat HTTP/1.1", host + upgrade + key + version),
       E::kMalformed},
      {Request("GET /chat", host + upgrade + key + version), E::kMalformed},
      {Request(get, upgrade + key + version), E::kNoHost},
      {Request(get, host + "Connection: Upgrade\r\n" + key + version),
       E::kNoUpgrade},
      {Request(get, host + "Upgrade: websocket\r\n" + key + version),
       E::kNoConnection},
      {Request(get, host + upgrade + key), E::kBadVersion},
      {Request(get, host + upgrade + key + "Sec-WebSocket-Version: 8\r\n"),
       E::kBadVersion},
      {Request(get, host + upgrade + key + "Sec-WebSocket-Version: 13, 8\r\n"),
       E::kBadVersion},
      {Request(get, host + upgrade + key + version + version), E::kBadVersion},
      {Request(get, host + upgrade + version), E::kBadKey},
      {Request(get, host + upgrade + key + key + version), E::kBadKey},
      {Request(get, host + upgrade + version +
                        "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ=\r\n"),
       E::kBadKey},
      {Request(get, host + upgrade + version +
                        "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==A\r\n"),
       E::kBadKey},
      // 24 characters, but 18 bytes rather than 16.
      {Request(get, host + upgrade + version +
                        "Sec-WebSocket-Key: AAAAAAAAAAAAAAAAAAAAAAAA\r\n"),
       E::kBadKey},
      {Request(get, host + upgrade + version +
                        "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25j*Q==\r\n"),
       E::kBadKey},
  };
  for (const Row& row : rows) {
    CAPTURE(row.text);
    UpgradeRequestParser server;
    const HandshakeResult r = server.Feed(Bytes(row.text));
    if (row.error == E::kNone) {
      CHECK(r.state == HandshakeState::kDone);
      CHECK(r.http_status == 101);
      CHECK(server.key() == kSampleKey);
    } else {
      CHECK(r.state == HandshakeState::kFailed);
      CHECK(r.http_status == 400);
    }
    CHECK(r.error == row.error);
  }
}

TEST_CASE("answers: 101 with the accept key, 400 naming the version") {
  CHECK(AcceptResponse(kSampleKey) ==
        "HTTP/1.1 101 Switching Protocols\r\n"
        "Upgrade: websocket\r\n"
        "Connection: Upgrade\r\n"
        "Sec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\r\n\r\n");
  const std::string_view version_answer =
      RejectResponse(HandshakeError::kBadVersion);
  CHECK(version_answer.starts_with("HTTP/1.1 400 Bad Request\r\n"));
  CHECK(version_answer.find("\r\nSec-WebSocket-Version: 13\r\n") !=
        std::string_view::npos);
  CHECK(version_answer.ends_with("\r\n\r\n"));
  const std::string_view other = RejectResponse(HandshakeError::kBadKey);
  CHECK(other.starts_with("HTTP/1.1 400 Bad Request\r\n"));
  CHECK(other.find("Sec-WebSocket-Version") == std::string_view::npos);
}

TEST_CASE("mutated and random heads get a verdict, never a crash") {
  const uint64_t seed = testing::TestSeed();
  INFO(testing::SeedNote(seed));
  std::mt19937_64 rng(seed);
  const std::string valid[] = {
      AcceptResponse(kSampleKey),
      BuildRequest({.host = "h", .path = "/", .key = kSampleKey})};
  for (int round = 0; round < 4000; ++round) {
    const bool server = round & 1;
    std::string text = valid[server];
    if (round % 4 < 2) {
      for (int flips = 1 + rng() % 3; flips > 0; --flips) {
        text[rng() % text.size()] ^= static_cast<char>(1 << (rng() % 8));
      }
    } else {
      text.resize(rng() % 300);
      for (char& c : text) c = static_cast<char>(rng());
    }
    UpgradeRequestParser request_parser;
    UpgradeResponseParser response_parser(SampleAccept());
    size_t at = 0;
    HandshakeResult r;
    while (at < text.size() && r.state == HandshakeState::kNeedMore) {
      const size_t take = std::min<size_t>(1 + rng() % 40, text.size() - at);
      const auto piece = Bytes(text).subspan(at, take);
      r = server ? request_parser.Feed(piece) : response_parser.Feed(piece);
      CHECK(r.consumed <= take);
      if (r.state == HandshakeState::kNeedMore) CHECK(r.consumed == take);
      at += take;
    }
    CHECK((r.state == HandshakeState::kFailed) ==
          (r.error != HandshakeError::kNone));
    if (server && r.state != HandshakeState::kNeedMore) {
      CHECK(r.http_status == (r.state == HandshakeState::kDone ? 101 : 400));
    }
  }
}

TEST_CASE("every error has its own name, and parser state stays small") {
  std::vector<std::string_view> names;
  for (int e = 0; e <= static_cast<int>(HandshakeError::kBadVersion); ++e) {
    const std::string_view name =
        HandshakeErrorName(static_cast<HandshakeError>(e));
    CHECK(!name.empty());
    for (std::string_view seen : names) CHECK(seen != name);
    names.push_back(name);
  }
  CHECK(sizeof(UpgradeResponseParser) <= 48);
  CHECK(sizeof(UpgradeRequestParser) <= 48);
}

}  // namespace
}  // namespace tcpkali::engine::ws
