// WsServer speaks RFC 6455 as the RFC's own examples do, and reports what a
// non-conforming client does wrong (so that the end-to-end tests relying
// on an empty `problems` list can fail).
#include "testing/peers/ws_server.h"

#include <doctest/doctest.h>

#include <memory>
#include <string>

#include "testing/peers/loopback.h"

namespace tcpkali::testing {
namespace {

constexpr int kIoTimeoutMs = 10'000;

// RFC 6455 section 1.3: this key is answered with this accept value.
constexpr std::string_view kRfcKey = "dGhlIHNhbXBsZSBub25jZQ==";
constexpr std::string_view kRfcAccept = "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=";

std::string Request(std::string_view version_line) {
  return std::string(
             "GET /chat?x=1 HTTP/1.1\r\nHost: server.example.com\r\n"
             "Upgrade: websocket\r\nConnection: Upgrade\r\n"
             "Sec-WebSocket-Key: ") +
         std::string(kRfcKey) + "\r\n" + std::string(version_line) +
         "X-Extra:  yes \r\n\r\n";
}

// Reads the answer head, up to and including its blank line.
std::string ReadHead(int fd) {
  std::string head;
  while (head.find("\r\n\r\n") == std::string::npos) {
    absl::StatusOr<std::string> byte = ReceiveExactly(fd, 1, kIoTimeoutMs);
    if (!byte.ok()) break;
    head += *byte;
  }
  return head;
}

TEST_CASE("WsAcceptFor answers the RFC 6455 example key") {
  CHECK(WsAcceptFor(kRfcKey) == kRfcAccept);
}

TEST_CASE("WsServer accepts a conforming client and records its frames") {
  absl::StatusOr<std::unique_ptr<WsServer>> ws =
      WsServer::Start(WsServer::Answer::kAccept);
  REQUIRE(ws.ok());
  absl::StatusOr<ScopedFd> conn =
      ConnectToLoopback((*ws)->port(), kIoTimeoutMs);
  REQUIRE(conn.ok());
  REQUIRE(SendAll(conn->get(), Request("Sec-WebSocket-Version: 13\r\n"),
                  kIoTimeoutMs)
              .ok());
  const std::string head = ReadHead(conn->get());
  CHECK(head.starts_with("HTTP/1.1 101 "));
  CHECK(head.find("\r\nSec-WebSocket-Accept: " + std::string(kRfcAccept) +
                  "\r\n") != std::string::npos);
  // RFC 6455 section 5.7: a masked "Hello", then a masked close 1000.
  const std::string hello("\x81\x85\x37\xfa\x21\x3d\x7f\x9f\x4d\x51\x58", 11);
  const std::string close("\x88\x82\x00\x00\x00\x00\x03\xe8", 8);
  REQUIRE(SendAll(conn->get(), hello + close, kIoTimeoutMs).ok());
  absl::StatusOr<std::string> echo_close =
      ReceiveExactly(conn->get(), 4, kIoTimeoutMs);
  REQUIRE(echo_close.ok());
  CHECK(*echo_close == std::string("\x88\x02\x03\xe8", 4));
  conn->Reset();

  REQUIRE((*ws)->WaitForClosed(1, kIoTimeoutMs));
  const WsServer::Session s = (*ws)->Sessions().at(0);
  CHECK(s.problems.empty());
  CHECK(s.target == "/chat?x=1");
  CHECK(s.Header("x-extra") == "yes");
  CHECK(s.Header("host") == "server.example.com");
  REQUIRE(s.frames.size() == 2);
  CHECK(s.frames[0].payload == "Hello");
  CHECK(s.frames[0].mask_key == 0x37fa213d);
  CHECK(s.data_frames == 1);
  CHECK(s.messages == 1);
  CHECK(s.payload_bytes == 5);
  CHECK(s.bytes_after_head == hello.size() + close.size());
}

TEST_CASE("WsServer reports what a client does wrong") {
  absl::StatusOr<std::unique_ptr<WsServer>> ws =
      WsServer::Start(WsServer::Answer::kNotFound);
  REQUIRE(ws.ok());
  absl::StatusOr<ScopedFd> conn =
      ConnectToLoopback((*ws)->port(), kIoTimeoutMs);
  REQUIRE(conn.ok());
  REQUIRE(SendAll(conn->get(), Request("Sec-WebSocket-Version: 8\r\n"),
                  kIoTimeoutMs)
              .ok());
  CHECK(ReadHead(conn->get()).starts_with("HTTP/1.1 404 Not Found\r\n"));
  // Unmasked, with a reserved bit.
  REQUIRE(
      SendAll(conn->get(), std::string("\xc1\x02hi", 4), kIoTimeoutMs).ok());
  conn->Reset();
  REQUIRE((*ws)->WaitForClosed(1, kIoTimeoutMs));
  const WsServer::Session s = (*ws)->Sessions().at(0);
  CHECK(s.problems ==
        std::vector<std::string>{"Sec-WebSocket-Version is not 13",
                                 "a client frame is not masked",
                                 "reserved bits set without an extension"});
  CHECK(s.payload_bytes == 2);
}

}  // namespace
}  // namespace tcpkali::testing
