#include "stats/statsd.h"

#include <netdb.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"

namespace tcpkali::stats {
namespace {

// The socket of the first address that accepts a connect(), or -1.
int ConnectFirst(const addrinfo* list, int* last_errno) {
  for (const addrinfo* ai = list; ai != nullptr; ai = ai->ai_next) {
    const int fd =
        socket(ai->ai_family, ai->ai_socktype | SOCK_NONBLOCK | SOCK_CLOEXEC,
               ai->ai_protocol);
    if (fd < 0) {
      *last_errno = errno;
      continue;
    }
    // UDP connect() only fixes the peer; it succeeds without a server, and
    // lets send() report ICMP unreachables as errors we can count.
    if (connect(fd, ai->ai_addr, ai->ai_addrlen) == 0) return fd;
    *last_errno = errno;
    close(fd);
  }
  return -1;
}

}  // namespace

absl::StatusOr<std::unique_ptr<StatsdSender>> StatsdSender::Open(
    std::string_view host, uint16_t port, std::string_view metric_namespace) {
  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_DGRAM;
  addrinfo* list = nullptr;
  const std::string host_text(host);
  const std::string port_text = std::to_string(port);
  const int rc =
      getaddrinfo(host_text.c_str(), port_text.c_str(), &hints, &list);
  if (rc != 0) {
    return absl::NotFoundError(absl::StrCat("--statsd-host ", host_text,
                                            ": cannot resolve (",
                                            gai_strerror(rc), ")"));
  }
  int err = 0;
  const int fd = ConnectFirst(list, &err);
  freeaddrinfo(list);
  if (fd < 0) {
    return absl::UnavailableError(
        absl::StrCat("--statsd: cannot set up a UDP socket to ", host_text, ":",
                     port_text, " (", std::strerror(err), ")"));
  }
  std::string prefix(metric_namespace);
  if (!prefix.empty()) prefix += '.';
  return std::unique_ptr<StatsdSender>(new StatsdSender(fd, std::move(prefix)));
}

StatsdSender::~StatsdSender() {
  Flush();
  close(fd_);
}

void StatsdSender::Count(std::string_view name, uint64_t value) {
  char text[24];
  const int n = std::snprintf(text, sizeof text, "%llu",
                              static_cast<unsigned long long>(value));
  Append(name, std::string_view(text, n), 'c');
}

void StatsdSender::Gauge(std::string_view name, double value) {
  if (!(value > 0)) value = 0;  // also NaN
  char text[48];
  int n = std::snprintf(text, sizeof text, "%.3f", value);
  // "12.000" -> "12", "0.250" -> "0.25": shorter lines, same value.
  while (n > 0 && text[n - 1] == '0') --n;
  if (n > 0 && text[n - 1] == '.') --n;
  Append(name, std::string_view(text, n), 'g');
}

void StatsdSender::Append(std::string_view name, std::string_view value,
                          char type) {
  // prefix name ':' value '|' type, and a '\n' before it unless first.
  const size_t line_bytes = prefix_.size() + name.size() + value.size() + 3;
  if (line_bytes > kMaxDatagramBytes) {
    ++send_errors_;
    return;
  }
  if (datagram_bytes_ > 0 &&
      datagram_bytes_ + 1 + line_bytes > kMaxDatagramBytes) {
    Flush();
  }
  char* p = datagram_ + datagram_bytes_;
  if (datagram_bytes_ > 0) *p++ = '\n';
  for (std::string_view part : {std::string_view(prefix_), name}) {
    std::memcpy(p, part.data(), part.size());
    p += part.size();
  }
  *p++ = ':';
  std::memcpy(p, value.data(), value.size());
  p += value.size();
  *p++ = '|';
  *p++ = type;
  datagram_bytes_ = static_cast<size_t>(p - datagram_);
}

void StatsdSender::Flush() {
  if (datagram_bytes_ == 0) return;
  const ssize_t sent =
      send(fd_, datagram_, datagram_bytes_, MSG_DONTWAIT | MSG_NOSIGNAL);
  if (sent == static_cast<ssize_t>(datagram_bytes_)) {
    ++datagrams_sent_;
  } else {
    ++send_errors_;
  }
  datagram_bytes_ = 0;
}

}  // namespace tcpkali::stats
