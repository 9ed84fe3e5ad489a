#include "testing/peers/garbage_writer.h"

#include <fcntl.h>
#include <poll.h>
#include <sys/socket.h>

#include <cerrno>
#include <cstring>
#include <random>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "testing/peers/loopback.h"

namespace tcpkali::testing {
namespace {

constexpr int kSetupTimeoutMs = 10'000;
constexpr size_t kBurstBytes = 1 << 20;
constexpr size_t kMaxResponseBytes = 16 * 1024;

// The first byte of a frame header with FIN, all three reserved bits and
// opcode 2 (binary): no extension was negotiated, so RFC 6455 section 5.2
// makes any server fail the connection.
constexpr char kInvalidFrameStart = static_cast<char>(0xF2);

std::string UpgradeRequest(std::mt19937_64& random) {
  // A key is 16 random bytes in base64: 22 characters and "==". Any
  // characters of the base64 alphabet will do for a server.
  constexpr char kAlphabet[] =
      "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::string key;
  for (int i = 0; i < 21; ++i) key += kAlphabet[random() % 64];
  key += "A==";
  return absl::StrCat(
      "GET / HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\n"
      "Connection: Upgrade\r\nSec-WebSocket-Key: ",
      key, "\r\nSec-WebSocket-Version: 13\r\n\r\n");
}

// Reads the server's answer to the upgrade, up to its blank line.
absl::Status ReadUpgradeResponse(int fd) {
  const int64_t deadline_ns =
      MonotonicNowNs() + int64_t{kSetupTimeoutMs} * 1'000'000;
  std::string response;
  while (response.find("\r\n\r\n") == std::string::npos) {
    const int64_t left_ms = (deadline_ns - MonotonicNowNs()) / 1'000'000;
    if (left_ms <= 0 || response.size() > kMaxResponseBytes) {
      return absl::DeadlineExceededError(
          absl::StrCat("no complete upgrade response: ", response));
    }
    pollfd p{fd, POLLIN, 0};
    if (poll(&p, 1, static_cast<int>(left_ms)) <= 0) continue;
    // One byte at a time: nothing past the blank line may be consumed.
    char c = 0;
    const ssize_t n = recv(fd, &c, 1, MSG_DONTWAIT);
    if (n == 0) return absl::FailedPreconditionError("closed during upgrade");
    if (n > 0) response += c;
  }
  if (!response.starts_with("HTTP/1.1 101")) {
    return absl::FailedPreconditionError(
        absl::StrCat("upgrade refused: ", response));
  }
  return absl::OkStatus();
}

// One connection being flooded.
struct Flood {
  ScopedFd fd;
  size_t offset = 0;  // into the burst buffer
};

}  // namespace

absl::StatusOr<GarbageResult> WriteGarbage(const GarbageOptions& options) {
  std::mt19937_64 random(options.seed);
  std::vector<char> burst(kBurstBytes);
  for (char& c : burst) c = static_cast<char>(random());
  if (options.websocket) burst[0] = kInvalidFrameStart;

  GarbageResult result;
  std::vector<Flood> floods;
  for (int i = 0; i < options.connections; ++i) {
    absl::StatusOr<ScopedFd> fd = ConnectToLoopback(options.port,
                                                    kSetupTimeoutMs);
    if (!fd.ok()) return fd.status();
    if (options.websocket) {
      const std::string request = UpgradeRequest(random);
      if (absl::Status s = SendAll(fd->get(), request, kSetupTimeoutMs);
          !s.ok()) {
        return s;
      }
      result.handshake_bytes += request.size();
      if (absl::Status s = ReadUpgradeResponse(fd->get()); !s.ok()) return s;
    }
    floods.push_back({.fd = std::move(*fd)});
  }

  const int64_t end_ns = MonotonicNowNs() + options.duration_ns;
  std::vector<pollfd> polls(floods.size());
  int open = static_cast<int>(floods.size());
  while (open > 0) {
    const int64_t left_ns = end_ns - MonotonicNowNs();
    if (left_ns <= 0) break;
    for (size_t i = 0; i < floods.size(); ++i) {
      // -1 (closed) is skipped. POLLRDHUP: the peer's FIN. A peer that
      // closes while its window is shut never resets us (its window stays
      // shut), so the FIN is how the close shows.
      polls[i] = {floods[i].fd.get(), POLLOUT | POLLRDHUP, 0};
    }
    if (poll(polls.data(), polls.size(),
             static_cast<int>((left_ns + 999'999) / 1'000'000)) <= 0) {
      continue;
    }
    for (size_t i = 0; i < floods.size(); ++i) {
      if (polls[i].revents == 0) continue;
      Flood& f = floods[i];
      if ((polls[i].revents & (POLLRDHUP | POLLHUP | POLLERR)) != 0) {
        ++result.closed_by_peer;
        --open;
        f.fd.Reset();
        continue;
      }
      const ssize_t n = send(f.fd.get(), burst.data() + f.offset,
                             burst.size() - f.offset,
                             MSG_NOSIGNAL | MSG_DONTWAIT);
      if (n > 0) {
        result.bytes_written += static_cast<uint64_t>(n);
        f.offset = (f.offset + static_cast<size_t>(n)) % burst.size();
      } else if (n < 0 && errno != EAGAIN && errno != EINTR) {
        // EPIPE or ECONNRESET: the peer reset this connection.
        ++result.closed_by_peer;
        --open;
        f.fd.Reset();
      }
    }
  }
  // Closing hands what is still queued to the kernel, which delivers it
  // before the FIN.
  for (Flood& f : floods) f.fd.Reset();
  return result;
}

}  // namespace tcpkali::testing
