// kernel_floor: the least a client can spend on loopback for the work of
// kali-bench's scenarios, with plain system calls and no engine at all.
//
//   kernel_floor churn   PORT SECONDS [LIFETIME_MS] [SOURCES]
//   kernel_floor hold    PORT CONNS [SOURCES] [HOLD_S]
//   kernel_floor msgrate PORT SECONDS [CONNS] [RATE_PER_CONN]
//   kernel_floor bulk    PORT SECONDS [CHUNK_BYTES] [CONNS]
//
// churn: one thread opens connections to 127.0.0.1:PORT as fast as it can
// (socket, IP_BIND_ADDRESS_NO_PORT, bind to 127.0.11.1..SOURCES, blocking
// connect) and closes each LIFETIME_MS later: kali-bench's churn.
// hold: the same, but the connections stay open until CONNS are, and
// HOLD_S seconds more: the ramp of the idle scenarios and of bench/million.
// CONNS is bounded by RLIMIT_NOFILE (these are ordinary descriptors), so a
// million takes 50 processes, each measuring its share while the others
// hold theirs.
// msgrate: CONNS connections, each sending a 16-byte message RATE_PER_CONN
// times a second, phased over 1 ms ticks, one send() per message.
// bulk: one connection, blocking send() of CHUNK_BYTES (default 256 KiB)
// in a loop: bulk1; with CONNS > 1, one non-blocking send() per writable
// connection from an epoll loop: bulk100.
//
// Each prints this process's CPU (user + system, getrusage) per unit of
// work. On loopback the sender's system calls also run the receiving
// side's TCP processing, so these figures are what the kernel charges any
// client for the work, before any user-space cost: the floor to compare
// tcpkali with, on the same machine in the same minute. Run it against
// ../shared/bench/kali-peer (-m sink) as kali-bench does.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <deque>
#include <string>
#include <vector>

namespace {

uint64_t NowNs() {
  timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return static_cast<uint64_t>(ts.tv_sec) * 1000000000u + ts.tv_nsec;
}

double CpuSeconds() {
  rusage ru;
  getrusage(RUSAGE_SELF, &ru);
  return ru.ru_utime.tv_sec + ru.ru_utime.tv_usec / 1e6 + ru.ru_stime.tv_sec +
         ru.ru_stime.tv_usec / 1e6;
}

sockaddr_in Loopback(const char* ip, int port) {
  sockaddr_in sa{};
  sa.sin_family = AF_INET;
  sa.sin_port = htons(static_cast<uint16_t>(port));
  inet_pton(AF_INET, ip, &sa.sin_addr);
  return sa;
}

int Connect(const sockaddr_in& dst, const sockaddr_in* src) {
  const int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return -errno;
  if (src != nullptr) {
    const int one = 1;
    setsockopt(fd, SOL_IP, IP_BIND_ADDRESS_NO_PORT, &one, sizeof one);
    if (bind(fd, reinterpret_cast<const sockaddr*>(src), sizeof *src) != 0) {
      const int err = errno;
      close(fd);
      return -err;
    }
  }
  if (connect(fd, reinterpret_cast<const sockaddr*>(&dst), sizeof dst) != 0) {
    const int err = errno;
    close(fd);
    return -err;
  }
  return fd;
}

// 127.0.11.1 .. 127.0.11.<count>, port 0: the source addresses to bind.
std::vector<sockaddr_in> Sources(int count) {
  std::vector<sockaddr_in> sources;
  for (int i = 1; i <= count; i++) {
    sources.push_back(Loopback(("127.0.11." + std::to_string(i)).c_str(), 0));
  }
  return sources;
}

// `count` connections to `dst`, unbound; empty (with the reason on
// stderr) when one fails.
std::vector<int> ConnectAll(const sockaddr_in& dst, int count) {
  std::vector<int> fds;
  for (int i = 0; i < count; i++) {
    const int fd = Connect(dst, nullptr);
    if (fd < 0) {
      std::fprintf(stderr, "kernel_floor: connect: %s\n", std::strerror(-fd));
      for (int open : fds) close(open);
      return {};
    }
    fds.push_back(fd);
  }
  return fds;
}

int Churn(int port, double seconds, double lifetime_ms, int sources) {
  const sockaddr_in dst = Loopback("127.0.0.1", port);
  const std::vector<sockaddr_in> src = Sources(sources);
  struct Open {
    int fd;
    uint64_t close_at;
  };
  std::deque<Open> open;
  const uint64_t lifetime_ns = static_cast<uint64_t>(lifetime_ms * 1e6);
  const uint64_t start = NowNs();
  const uint64_t end = start + static_cast<uint64_t>(seconds * 1e9);
  const double cpu0 = CpuSeconds();
  uint64_t opened = 0, failed = 0;
  for (uint64_t now = start; now < end; now = NowNs()) {
    while (!open.empty() && open.front().close_at <= now) {
      close(open.front().fd);
      open.pop_front();
    }
    const int fd = Connect(dst, src.empty() ? nullptr : &src[opened % src.size()]);
    if (fd < 0) {
      failed++;
      continue;
    }
    opened++;
    open.push_back({fd, now + lifetime_ns});
  }
  for (const Open& o : open) close(o.fd);
  const double cpu = CpuSeconds() - cpu0;
  std::printf("churn: %llu connections in %.1f s (%.0f/s), %llu failed, "
              "CPU %.2f s = %.1f CPU-ms per 1k connections\n",
              static_cast<unsigned long long>(opened), seconds, opened / seconds,
              static_cast<unsigned long long>(failed), cpu, cpu / opened * 1e6);
  return 0;
}

int Hold(int port, int conns, int sources, double hold_s) {
  const sockaddr_in dst = Loopback("127.0.0.1", port);
  const std::vector<sockaddr_in> src = Sources(sources);
  std::vector<int> fds;
  fds.reserve(conns);
  const uint64_t start = NowNs();
  const double cpu0 = CpuSeconds();
  uint64_t failed = 0;
  while (static_cast<int>(fds.size()) < conns) {
    const int fd = Connect(dst, src.empty() ? nullptr : &src[fds.size() % src.size()]);
    if (fd < 0) {
      if (++failed > 1000) {
        std::fprintf(stderr, "kernel_floor: connect: %s\n", std::strerror(-fd));
        return 1;
      }
      continue;
    }
    fds.push_back(fd);
  }
  const double cpu = CpuSeconds() - cpu0;
  const double seconds = (NowNs() - start) / 1e9;
  std::printf("hold: %d connections open in %.2f s (%.0f/s), %llu failed, "
              "CPU %.2f s = %.1f CPU-us per connection\n",
              conns, seconds, conns / seconds, static_cast<unsigned long long>(failed),
              cpu, cpu / conns * 1e6);
  std::fflush(stdout);
  if (hold_s > 0) usleep(static_cast<useconds_t>(hold_s * 1e6));
  for (int fd : fds) close(fd);
  return 0;
}

int MsgRate(int port, double seconds, int conns, double rate) {
  const std::vector<int> fds = ConnectAll(Loopback("127.0.0.1", port), conns);
  if (fds.empty()) return 1;
  // Connection i sends message k at start + (k + i / conns) / rate: the
  // connections are phased evenly over one interval, as tcpkali phases
  // them, and each tick sends what is due.
  const char msg[] = "0123456789abcdef";
  const double interval_ns = 1e9 / rate;
  std::vector<uint64_t> sent(conns, 0);
  const uint64_t start = NowNs();
  const uint64_t end = start + static_cast<uint64_t>(seconds * 1e9);
  const double cpu0 = CpuSeconds();
  uint64_t messages = 0, short_sends = 0;
  timespec tick;
  clock_gettime(CLOCK_MONOTONIC, &tick);
  for (uint64_t now = start; now < end; now = NowNs()) {
    for (int i = 0; i < conns; i++) {
      const double phase = interval_ns * i / conns;
      const uint64_t due = static_cast<uint64_t>(((now - start) - phase) / interval_ns) + 1;
      if (now - start < phase) continue;
      while (sent[i] < due) {
        if (send(fds[i], msg, 16, MSG_DONTWAIT | MSG_NOSIGNAL) != 16) short_sends++;
        sent[i]++;
        messages++;
      }
    }
    tick.tv_nsec += 1000000;
    if (tick.tv_nsec >= 1000000000) {
      tick.tv_nsec -= 1000000000;
      tick.tv_sec++;
    }
    clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &tick, nullptr);
  }
  const double cpu = CpuSeconds() - cpu0;
  for (int fd : fds) close(fd);
  std::printf("msgrate: %llu messages in %.1f s (%.0f/s), %llu short sends, "
              "CPU %.2f s = %.2f CPU-s per 1M messages\n",
              static_cast<unsigned long long>(messages), seconds, messages / seconds,
              static_cast<unsigned long long>(short_sends), cpu,
              cpu / messages * 1e6);
  return 0;
}

int Bulk(int port, double seconds, size_t chunk, int conns) {
  const std::vector<int> fds = ConnectAll(Loopback("127.0.0.1", port), conns);
  if (fds.empty()) return 1;
  const int epoll = epoll_create1(EPOLL_CLOEXEC);
  for (const int fd : fds) {
    epoll_event ev{.events = EPOLLOUT, .data = {.fd = fd}};
    epoll_ctl(epoll, EPOLL_CTL_ADD, fd, &ev);
  }
  std::vector<char> data(chunk, 'x');
  const uint64_t end = NowNs() + static_cast<uint64_t>(seconds * 1e9);
  const double cpu0 = CpuSeconds();
  uint64_t bytes = 0;
  if (conns == 1) {  // blocking sends
    while (NowNs() < end) {
      const ssize_t n = send(fds[0], data.data(), data.size(), MSG_NOSIGNAL);
      if (n <= 0) break;
      bytes += static_cast<uint64_t>(n);
    }
  } else {  // one non-blocking send per writable connection, as tcpkali
    epoll_event events[256];
    while (NowNs() < end) {
      const int ready = epoll_wait(epoll, events, 256, 100);
      for (int i = 0; i < ready; i++) {
        const ssize_t n = send(events[i].data.fd, data.data(), data.size(),
                               MSG_NOSIGNAL | MSG_DONTWAIT);
        if (n > 0) bytes += static_cast<uint64_t>(n);
      }
    }
  }
  const double cpu = CpuSeconds() - cpu0;
  for (int fd : fds) close(fd);
  close(epoll);
  std::printf("bulk: %.2f GB in %.1f s, CPU %.2f s = %.2f GB per CPU-s\n",
              bytes / 1e9, seconds, cpu, bytes / 1e9 / cpu);
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 4) {
    std::fprintf(stderr,
                 "usage: kernel_floor churn PORT SECONDS [LIFETIME_MS] [SOURCES]\n"
                 "       kernel_floor hold PORT CONNS [SOURCES] [HOLD_S]\n"
                 "       kernel_floor msgrate PORT SECONDS [CONNS] [RATE_PER_CONN]\n"
                 "       kernel_floor bulk PORT SECONDS [CHUNK_BYTES] [CONNS]\n");
    return 64;
  }
  const std::string mode = argv[1];
  const int port = std::atoi(argv[2]);
  const double seconds = std::atof(argv[3]);
  if (mode == "churn") {
    return Churn(port, seconds, argc > 4 ? std::atof(argv[4]) : 10,
                 argc > 5 ? std::atoi(argv[5]) : 32);
  }
  if (mode == "hold") {
    return Hold(port, std::atoi(argv[3]), argc > 4 ? std::atoi(argv[4]) : 32,
                argc > 5 ? std::atof(argv[5]) : 0);
  }
  if (mode == "msgrate") {
    return MsgRate(port, seconds, argc > 4 ? std::atoi(argv[4]) : 200,
                   argc > 5 ? std::atof(argv[5]) : 500);
  }
  if (mode == "bulk") {
    return Bulk(port, seconds, argc > 4 ? std::strtoul(argv[4], nullptr, 10) : 262144,
                argc > 5 ? std::max(1, std::atoi(argv[5])) : 1);
  }
  std::fprintf(stderr, "kernel_floor: unknown mode '%s' (churn, hold, msgrate or bulk)\n",
               mode.c_str());
  return 64;
}
