// A StatsD client for the stats thread: metric lines ("name:value|c" for
// counts, "|g" for gauges) under a namespace prefix, packed into UDP
// datagrams of at most kMaxDatagramBytes, sent without ever blocking. A
// StatsD server that is down or unreachable costs a failed send(), counted
// and otherwise ignored: it never slows or stops the run.
//
// Example:
//   absl::StatusOr<std::unique_ptr<stats::StatsdSender>> statsd =
//       stats::StatsdSender::Open("localhost", 8125, "tcpkali");
//   (*statsd)->Count("connections.opened", 3);  //
//   tcpkali.connections.opened:3|c
//   (*statsd)->Gauge("latency.message.99.5", 0.25);
//   (*statsd)->Flush();
#ifndef TCPKALI_STATS_STATSD_H_
#define TCPKALI_STATS_STATSD_H_

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include "absl/status/statusor.h"

namespace tcpkali::stats {

// Owned and used by one thread (the stats thread).
class StatsdSender {
 public:
  // Fits an Ethernet MTU of 1500 with IPv6 and UDP headers to spare; the
  // usual StatsD client limit.
  static constexpr size_t kMaxDatagramBytes = 1432;

  // Resolves host:port (UDP) and connects a non-blocking socket to the
  // first address that takes it. `metric_namespace` prefixes every name
  // with a dot ("tcpkali" -> "tcpkali.traffic.data"); empty means no
  // prefix. Fails with NotFound when the host does not resolve and
  // Unavailable when no socket can be set up; never because no server
  // listens.
  [[nodiscard]] static absl::StatusOr<std::unique_ptr<StatsdSender>> Open(
      std::string_view host, uint16_t port, std::string_view metric_namespace);
  ~StatsdSender();
  StatsdSender(const StatsdSender&) = delete;
  StatsdSender& operator=(const StatsdSender&) = delete;

  // Queues "prefix.name:value|c". Sends the pending datagram first when the
  // line would not fit in it. A line longer than a datagram on its own is
  // dropped and counted as a send error.
  void Count(std::string_view name, uint64_t value);
  // Queues "prefix.name:value|g"; value printed with at most 3 decimals
  // (microseconds, for latencies in ms). Negative values print as 0: StatsD
  // reads a leading '-' as a decrement.
  void Gauge(std::string_view name, double value);
  // Sends what is queued, if anything.
  void Flush();

  uint64_t datagrams_sent() const { return datagrams_sent_; }
  // Failed or partial sends and dropped lines, since Open().
  uint64_t send_errors() const { return send_errors_; }

 private:
  StatsdSender(int fd, std::string prefix)
      : fd_(fd), prefix_(std::move(prefix)) {}
  void Append(std::string_view name, std::string_view value, char type);

  int fd_;
  std::string prefix_;  // "tcpkali." or ""
  char datagram_[kMaxDatagramBytes];
  size_t datagram_bytes_ = 0;
  uint64_t datagrams_sent_ = 0;
  uint64_t send_errors_ = 0;
};

}  // namespace tcpkali::stats

#endif  // TCPKALI_STATS_STATSD_H_
