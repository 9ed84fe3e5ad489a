// WsServer: a WebSocket server for tests, written from RFC 6455 directly --
// its own SHA-1, base64, request parsing and framing -- so that tcpkali's
// WebSocket client is checked against the standard, not against tcpkali's
// own codec (engine/websocket_*).
//
// It accepts connections on 127.0.0.1 and, on each, reads the upgrade
// request and checks it (GET, HTTP/1.1, Host, Upgrade: websocket,
// Connection: Upgrade, a Sec-WebSocket-Key of 16 bytes, version 13). It
// answers as configured: 101 with the right Sec-WebSocket-Accept, 101 with
// a wrong one, or 404. Then it reads frames, checks each one (masked,
// known opcode, no reserved bits, minimal length, control frames final and
// short), unmasks and records them; it answers a ping with a pong and a
// close with a close. What it saw is kept per connection, in a Session.
//
// The server runs on its own thread (poll) from Start() until destroyed.
//
// Example:
//   absl::StatusOr<std::unique_ptr<WsServer>> ws =
//       WsServer::Start(WsServer::Answer::kAccept);
//   ... run tcpkali --ws -m hello 127.0.0.1:(*ws)->port()/chat ...
//   REQUIRE((*ws)->WaitForClosed(1, 10000));
//   WsServer::Session s = (*ws)->Sessions()[0];
//   CHECK(s.target == "/chat");
//   CHECK(s.problems.empty());
#ifndef TCPKALI_TESTING_PEERS_WS_SERVER_H_
#define TCPKALI_TESTING_PEERS_WS_SERVER_H_

#include <condition_variable>
#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"
#include "testing/peers/loopback.h"
#include "testing/peers/peer_thread.h"

namespace tcpkali::testing {

// The Sec-WebSocket-Accept value that answers `key` (RFC 6455 4.2.2):
// base64 of the SHA-1 of the key followed by the protocol's GUID.
std::string WsAcceptFor(std::string_view key);

// Owned by one test thread; its methods may be called from that thread
// while the server's own thread runs.
class WsServer {
 public:
  enum class Answer {
    kAccept,       // 101 with the right Sec-WebSocket-Accept
    kWrongAccept,  // 101 with the accept value of another key
    kNotFound,     // 404 Not Found; the connection stays open
  };

  // A frame as received, unmasked.
  struct Frame {
    uint8_t opcode = 0;
    bool fin = false;
    uint8_t rsv = 0;  // the three reserved bits, 0..7
    bool masked = false;
    uint32_t mask_key = 0;  // as on the wire, first byte most significant
    std::string payload;
  };

  // Everything one connection showed. The frames of a session are kept up
  // to kMaxFramesKept; the counts cover all of them.
  struct Session {
    bool head_complete = false;  // a whole request head arrived
    std::string method;
    std::string target;  // the request target: path and query
    std::string version;
    // Header lines in order, names lower-cased, values trimmed.
    std::vector<std::pair<std::string, std::string>> headers;
    // Violations of RFC 6455 found in the request or the frames, one
    // sentence each; empty for a conforming client.
    std::vector<std::string> problems;
    std::vector<Frame> frames;
    uint64_t data_frames = 0;       // text, binary and continuation frames
    uint64_t messages = 0;          // data frames with FIN set
    uint64_t payload_bytes = 0;     // of the data frames, unmasked
    uint64_t bytes_after_head = 0;  // everything sent after the request
    bool closed = false;            // the client closed (FIN or RST)

    // The value of the header called `name` (lower case), if present.
    std::optional<std::string> Header(std::string_view name) const;
  };

  static constexpr size_t kMaxFramesKept = 10'000;

  // Listens on 127.0.0.1 with a kernel-chosen port and starts the thread.
  // Fails with Internal when a socket or eventfd call fails.
  [[nodiscard]] static absl::StatusOr<std::unique_ptr<WsServer>> Start(
      Answer answer);

  // Stops the thread and closes every socket.
  ~WsServer();
  WsServer(const WsServer&) = delete;
  WsServer& operator=(const WsServer&) = delete;

  uint16_t port() const { return port_; }

  // Waits until at least `n` connections have been closed by the client
  // and read to the end. False when timeout_ms pass first.
  [[nodiscard]] bool WaitForClosed(uint64_t n, int timeout_ms);

  // A copy of every session so far, in the order accepted.
  std::vector<Session> Sessions() const;

 private:
  struct Conn {
    ScopedFd fd;
    std::string in;  // received and not yet parsed
  };

  explicit WsServer(Answer answer) : answer_(answer) {}
  void Run();
  void AcceptAll();
  // Reads what connection `index` has; false when it is over.
  bool Receive(size_t index);
  // Parses the request head in conns_[index].in once it is whole and
  // answers it. Caller holds mu_.
  void ParseHead(size_t index, Session& s);
  // Parses and records every whole frame in conns_[index].in. Caller
  // holds mu_.
  void ParseFrames(size_t index, Session& s);
  void Reply(size_t index, uint8_t opcode, std::string_view payload);

  const Answer answer_;
  ScopedFd listen_fd_;
  uint16_t port_ = 0;
  PeerThread thread_;
  std::vector<Conn> conns_;  // server thread only

  mutable std::mutex mu_;
  std::condition_variable closed_cv_;
  std::vector<Session> sessions_;  // guarded by mu_
  uint64_t closed_ = 0;            // guarded by mu_
};

}  // namespace tcpkali::testing

#endif  // TCPKALI_TESTING_PEERS_WS_SERVER_H_
