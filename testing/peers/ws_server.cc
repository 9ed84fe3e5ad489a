#include "testing/peers/ws_server.h"

#include <poll.h>
#include <sys/socket.h>

#include <array>
#include <cerrno>
#include <chrono>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"

namespace tcpkali::testing {
namespace {

constexpr size_t kMaxHeadBytes = 16 * 1024;
constexpr uint64_t kMaxPayloadBytes = 16 * 1024 * 1024;
constexpr std::string_view kGuid = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11";
constexpr std::string_view kBase64 =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

uint32_t RotateLeft(uint32_t x, int n) { return (x << n) | (x >> (32 - n)); }

// FIPS 180-4 SHA-1, the plain textbook form: a handshake needs one.
std::array<uint8_t, 20> Sha1(std::string_view data) {
  uint32_t h[5] = {0x67452301, 0xEFCDAB89, 0x98BADCFE, 0x10325476, 0xC3D2E1F0};
  std::string m(data);
  const uint64_t bits = uint64_t{data.size()} * 8;
  m += '\x80';
  while (m.size() % 64 != 56) m += '\0';
  for (int i = 7; i >= 0; --i) m += static_cast<char>(bits >> (8 * i));
  for (size_t block = 0; block < m.size(); block += 64) {
    uint32_t w[80];
    for (int i = 0; i < 16; ++i) {
      const auto* p =
          reinterpret_cast<const uint8_t*>(m.data() + block + 4 * i);
      w[i] = uint32_t{p[0]} << 24 | uint32_t{p[1]} << 16 | uint32_t{p[2]} << 8 |
             p[3];
    }
    for (int i = 16; i < 80; ++i) {
      w[i] = RotateLeft(w[i - 3] ^ w[i - 8] ^ w[i - 14] ^ w[i - 16], 1);
    }
    uint32_t a = h[0], b = h[1], c = h[2], d = h[3], e = h[4];
    for (int i = 0; i < 80; ++i) {
      uint32_t f, k;
      if (i < 20) {
        f = (b & c) | (~b & d), k = 0x5A827999;
      } else if (i < 40) {
        f = b ^ c ^ d, k = 0x6ED9EBA1;
      } else if (i < 60) {
        f = (b & c) | (b & d) | (c & d), k = 0x8F1BBCDC;
      } else {
        f = b ^ c ^ d, k = 0xCA62C1D6;
      }
      const uint32_t t = RotateLeft(a, 5) + f + e + k + w[i];
      e = d, d = c, c = RotateLeft(b, 30), b = a, a = t;
    }
    h[0] += a, h[1] += b, h[2] += c, h[3] += d, h[4] += e;
  }
  std::array<uint8_t, 20> out;
  for (int i = 0; i < 20; ++i)
    out[i] = static_cast<uint8_t>(h[i / 4] >> (24 - 8 * (i % 4)));
  return out;
}

std::string Base64(const uint8_t* data, size_t n) {
  std::string out;
  for (size_t i = 0; i < n; i += 3) {
    const uint32_t v = uint32_t{data[i]} << 16 |
                       (i + 1 < n ? uint32_t{data[i + 1]} << 8 : 0) |
                       (i + 2 < n ? data[i + 2] : 0);
    out += kBase64[v >> 18];
    out += kBase64[(v >> 12) & 63];
    out += i + 1 < n ? kBase64[(v >> 6) & 63] : '=';
    out += i + 2 < n ? kBase64[v & 63] : '=';
  }
  return out;
}

// A base64 value of exactly 16 bytes: 22 characters, then "==".
bool IsSixteenByteBase64(std::string_view key) {
  if (key.size() != 24 || !key.ends_with("==")) return false;
  for (char ch : key.substr(0, 22)) {
    if (kBase64.find(ch) == std::string_view::npos) return false;
  }
  // The last character before the padding carries 2 bits, the rest zero.
  return std::string_view("AQgw").find(key[21]) != std::string_view::npos;
}

// (Debian's absl has its own string_view, so these few string helpers are
// written here for std::string_view.)
std::string_view Trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t'))
    s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t'))
    s.remove_suffix(1);
  return s;
}

std::string Lower(std::string_view s) {
  std::string out(s);
  for (char& ch : out) {
    if (ch >= 'A' && ch <= 'Z') ch = static_cast<char>(ch - 'A' + 'a');
  }
  return out;
}

std::vector<std::string_view> Split(std::string_view s, std::string_view by) {
  std::vector<std::string_view> out;
  while (true) {
    const size_t at = s.find(by);
    out.push_back(s.substr(0, at));
    if (at == std::string_view::npos) return out;
    s.remove_prefix(at + by.size());
  }
}

// Whether the comma-separated `list` holds `token` (lower case), ignoring
// case.
bool HasToken(std::string_view list, std::string_view token) {
  for (std::string_view item : Split(list, ",")) {
    if (Lower(Trim(item)) == token) return true;
  }
  return false;
}

// The checks of RFC 6455 4.1 on a parsed request; a problem per failure.
void CheckRequest(WsServer::Session& s) {
  auto problem = [&s](std::string text) {
    s.problems.push_back(std::move(text));
  };
  if (s.method != "GET")
    problem(absl::StrCat("method ", s.method, " is not GET"));
  if (s.version != "HTTP/1.1") problem(absl::StrCat("version ", s.version));
  if (s.target.empty() || s.target[0] != '/') {
    problem(absl::StrCat("request target \"", s.target, "\" is not a path"));
  }
  const std::optional<std::string> host = s.Header("host");
  if (!host || host->empty()) problem("no Host header");
  const std::optional<std::string> upgrade = s.Header("upgrade");
  if (!upgrade || !HasToken(*upgrade, "websocket"))
    problem("no Upgrade: websocket");
  const std::optional<std::string> connection = s.Header("connection");
  if (!connection || !HasToken(*connection, "upgrade")) {
    problem("no Connection: Upgrade");
  }
  const std::optional<std::string> key = s.Header("sec-websocket-key");
  if (!key || !IsSixteenByteBase64(*key)) problem("bad Sec-WebSocket-Key");
  if (s.Header("sec-websocket-version") != "13") {
    problem("Sec-WebSocket-Version is not 13");
  }
}

// The checks of RFC 6455 5.2 on one client frame's header.
void CheckFrame(const WsServer::Frame& f, bool minimal_length,
                WsServer::Session& s) {
  auto problem = [&s](std::string text) {
    s.problems.push_back(std::move(text));
  };
  if (!f.masked) problem("a client frame is not masked");
  if (f.rsv != 0) problem("reserved bits set without an extension");
  const bool control = f.opcode >= 8;
  if (f.opcode > 10 || (f.opcode > 2 && f.opcode < 8)) {
    problem(absl::StrCat("unknown opcode ", int{f.opcode}));
  }
  if (control && (!f.fin || f.payload.size() > 125)) {
    problem("a control frame is fragmented or longer than 125 bytes");
  }
  if (!minimal_length) problem("the payload length is not minimally encoded");
}

}  // namespace

std::string WsAcceptFor(std::string_view key) {
  const std::array<uint8_t, 20> digest =
      Sha1(std::string(key) + std::string(kGuid));
  return Base64(digest.data(), digest.size());
}

std::optional<std::string> WsServer::Session::Header(
    std::string_view name) const {
  for (const auto& [n, v] : headers) {
    if (n == name) return v;
  }
  return std::nullopt;
}

absl::StatusOr<std::unique_ptr<WsServer>> WsServer::Start(Answer answer) {
  std::unique_ptr<WsServer> server(new WsServer(answer));
  absl::StatusOr<LoopbackListener> listener = ListenOnLoopbackNonBlocking(4096);
  if (!listener.ok()) return listener.status();
  server->listen_fd_ = std::move(listener->fd);
  server->port_ = listener->port;
  if (absl::Status s = server->thread_.Init(); !s.ok()) return s;
  server->thread_.Start([s = server.get()] { s->Run(); });
  return server;
}

WsServer::~WsServer() { thread_.Stop(); }

bool WsServer::WaitForClosed(uint64_t n, int timeout_ms) {
  std::unique_lock<std::mutex> lock(mu_);
  return closed_cv_.wait_for(lock, std::chrono::milliseconds(timeout_ms),
                             [&] { return closed_ >= n; });
}

std::vector<WsServer::Session> WsServer::Sessions() const {
  std::lock_guard<std::mutex> lock(mu_);
  return sessions_;
}

void WsServer::Run() {
  std::vector<pollfd> fds;
  std::vector<size_t> index_of;  // fds[i + 2] is conns_[index_of[i]]
  while (true) {
    fds = {{thread_.stop_fd(), POLLIN, 0}, {listen_fd_.get(), POLLIN, 0}};
    index_of.clear();
    for (size_t i = 0; i < conns_.size(); ++i) {
      if (!conns_[i].fd.valid()) continue;
      fds.push_back({conns_[i].fd.get(), POLLIN, 0});
      index_of.push_back(i);
    }
    if (poll(fds.data(), fds.size(), -1) < 0 && errno != EINTR) return;
    if (fds[0].revents != 0) return;
    if (fds[1].revents != 0) AcceptAll();
    for (size_t i = 0; i < index_of.size(); ++i) {
      if (fds[i + 2].revents == 0 || Receive(index_of[i])) continue;
      conns_[index_of[i]].fd.Reset();
      std::lock_guard<std::mutex> lock(mu_);
      sessions_[index_of[i]].closed = true;
      ++closed_;
      closed_cv_.notify_all();
    }
  }
}

void WsServer::AcceptAll() {
  while (true) {
    ScopedFd fd(accept4(listen_fd_.get(), nullptr, nullptr, SOCK_CLOEXEC));
    if (!fd.valid()) return;  // EAGAIN: accepted everything queued
    conns_.emplace_back();
    conns_.back().fd = std::move(fd);
    std::lock_guard<std::mutex> lock(mu_);
    sessions_.emplace_back();
  }
}

bool WsServer::Receive(size_t index) {
  char buffer[64 * 1024];
  const ssize_t n =
      recv(conns_[index].fd.get(), buffer, sizeof buffer, MSG_DONTWAIT);
  if (n < 0 && (errno == EAGAIN || errno == EINTR)) return true;
  if (n <= 0) return false;
  Conn& c = conns_[index];
  std::lock_guard<std::mutex> lock(mu_);
  Session& s = sessions_[index];
  c.in.append(buffer, static_cast<size_t>(n));
  if (!s.head_complete) {
    ParseHead(index, s);
    if (!s.head_complete) return c.in.size() <= kMaxHeadBytes;
  } else {
    s.bytes_after_head += static_cast<uint64_t>(n);
  }
  ParseFrames(index, s);
  return true;
}

void WsServer::ParseHead(size_t index, Session& s) {
  Conn& c = conns_[index];
  const size_t end = c.in.find("\r\n\r\n");
  if (end == std::string::npos) {
    if (c.in.size() > kMaxHeadBytes)
      s.problems.push_back("request head too long");
    return;
  }
  s.head_complete = true;
  const std::vector<std::string_view> lines =
      Split(std::string_view(c.in).substr(0, end), "\r\n");
  const std::vector<std::string_view> start = Split(lines[0], " ");
  if (start.size() == 3) {
    s.method = start[0], s.target = start[1], s.version = start[2];
  } else {
    s.problems.push_back("bad request line: " + std::string(lines[0]));
  }
  for (size_t i = 1; i < lines.size(); ++i) {
    const size_t colon = lines[i].find(':');
    if (colon == std::string::npos || colon == 0) {
      s.problems.push_back("bad header line: " + std::string(lines[i]));
      continue;
    }
    s.headers.emplace_back(Lower(lines[i].substr(0, colon)),
                           std::string(Trim(lines[i].substr(colon + 1))));
  }
  CheckRequest(s);
  c.in.erase(0, end + 4);
  s.bytes_after_head = c.in.size();

  const std::string key = s.Header("sec-websocket-key").value_or("");
  std::string answer;
  if (answer_ == Answer::kNotFound) {
    answer = "HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\n\r\n";
  } else {
    const std::string accept =
        WsAcceptFor(answer_ == Answer::kAccept ? key : key + "x");
    answer = absl::StrCat(
        "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\n"
        "Connection: Upgrade\r\nSec-WebSocket-Accept: ",
        accept, "\r\n\r\n");
  }
  // A few hundred bytes into an empty socket buffer: one send suffices.
  if (send(c.fd.get(), answer.data(), answer.size(), MSG_NOSIGNAL) < 0) {
    s.problems.push_back("could not answer the upgrade");
  }
}

void WsServer::ParseFrames(size_t index, Session& s) {
  std::string& in = conns_[index].in;
  while (in.size() >= 2) {
    const auto* p = reinterpret_cast<const uint8_t*>(in.data());
    Frame f{.opcode = static_cast<uint8_t>(p[0] & 0x0f),
            .fin = (p[0] & 0x80) != 0,
            .rsv = static_cast<uint8_t>((p[0] >> 4) & 7),
            .masked = (p[1] & 0x80) != 0};
    const uint8_t len7 = p[1] & 0x7f;
    const size_t extended = len7 == 126 ? 2 : len7 == 127 ? 8 : 0;
    const size_t header = 2 + extended + (f.masked ? 4 : 0);
    if (in.size() < header) return;
    uint64_t length = len7 < 126 ? len7 : 0;
    for (size_t i = 0; i < extended; ++i) length = length << 8 | p[2 + i];
    const bool minimal = extended == 0 || (extended == 2 && length >= 126) ||
                         (extended == 8 && length > 0xffff);
    if (length > kMaxPayloadBytes) {
      s.problems.push_back("frame too long for this test server");
      in.clear();
      return;
    }
    if (in.size() < header + length) return;
    const uint8_t* key = p + 2 + extended;
    if (f.masked)
      f.mask_key = uint32_t{key[0]} << 24 | uint32_t{key[1]} << 16 |
                   uint32_t{key[2]} << 8 | key[3];
    f.payload.assign(in, header, length);
    for (size_t i = 0; f.masked && i < length; ++i) f.payload[i] ^= key[i % 4];
    CheckFrame(f, minimal, s);
    if (f.opcode <= 2) {
      ++s.data_frames;
      s.payload_bytes += length;
      if (f.fin) ++s.messages;
    }
    if (f.opcode == 8)
      Reply(index, 8, std::string_view(f.payload).substr(0, 2));
    if (f.opcode == 9) Reply(index, 10, f.payload);
    in.erase(0, header + length);
    if (s.frames.size() < kMaxFramesKept) s.frames.push_back(std::move(f));
  }
}

// A server frame: never masked.
void WsServer::Reply(size_t index, uint8_t opcode, std::string_view payload) {
  std::string frame;
  frame += static_cast<char>(0x80 | opcode);
  frame += static_cast<char>(payload.size());  // control frames: <= 125
  frame += payload;
  if (send(conns_[index].fd.get(), frame.data(), frame.size(),
           MSG_NOSIGNAL | MSG_DONTWAIT) < 0) {
    // The client is gone or not reading; it sees the close, or not.
  }
}

}  // namespace tcpkali::testing
