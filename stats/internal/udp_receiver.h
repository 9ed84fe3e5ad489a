// A UDP socket bound to 127.0.0.1 on a kernel-chosen port: a fake StatsD
// server for tests. Loopback delivers a datagram within send(), so a test
// can send, then Drain() without waiting.
//
// Example:
//   UdpReceiver receiver;
//   REQUIRE(receiver.ok());
//   ... send to 127.0.0.1:receiver.port() ...
//   std::vector<std::string> datagrams = receiver.Drain();
#ifndef TCPKALI_STATS_INTERNAL_UDP_RECEIVER_H_
#define TCPKALI_STATS_INTERNAL_UDP_RECEIVER_H_

#include <cstdint>
#include <string>
#include <vector>

namespace tcpkali::stats::internal {

class UdpReceiver {
 public:
  UdpReceiver();
  ~UdpReceiver();
  UdpReceiver(const UdpReceiver&) = delete;
  UdpReceiver& operator=(const UdpReceiver&) = delete;

  // False when the socket could not be set up.
  bool ok() const { return fd_ >= 0; }
  uint16_t port() const { return port_; }
  // Every datagram queued on the socket, without blocking.
  std::vector<std::string> Drain();

 private:
  int fd_ = -1;
  uint16_t port_ = 0;
};

}  // namespace tcpkali::stats::internal

#endif  // TCPKALI_STATS_INTERNAL_UDP_RECEIVER_H_
