// The system settings the limits preflight weighs a run against: kernel
// tunables under /proc/sys, a few /proc files, the process's descriptor
// limit and capabilities. Read through SysctlReader, an interface, so that
// the preflight's tests describe a machine instead of needing one.
//
// Example:
//   ProcSysctlReader reader;
//   absl::StatusOr<SystemFacts> facts = ReadSystemFacts(reader);
//   if (!facts.ok()) return facts.status();
//   facts->port_range_lo;  // 32768 on a stock kernel
//
//   absl::StatusOr<uint64_t> nofile = RaiseNofileLimit();  // soft := hard
#ifndef TCPKALI_ENGINE_SYSCTL_H_
#define TCPKALI_ENGINE_SYSCTL_H_

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"

namespace tcpkali::engine {

struct NofileLimit {
  uint64_t soft = 0;
  uint64_t hard = 0;
};

// Where system facts come from. Implementations are stateless and may be
// used from any thread.
class SysctlReader {
 public:
  virtual ~SysctlReader() = default;

  // The contents of /proc/<path>, e.g. "sys/net/core/somaxconn",
  // "meminfo", "self/status". NotFound when the file does not exist (a
  // module that is not loaded); another error when it cannot be read.
  [[nodiscard]] virtual absl::StatusOr<std::string> ReadProc(
      std::string_view path) const = 0;

  // The process's RLIMIT_NOFILE; fails only if getrlimit() does.
  [[nodiscard]] virtual absl::StatusOr<NofileLimit> GetNofileLimit() const = 0;

  // Effective user id 0: may write sysctls.
  virtual bool IsRoot() const = 0;

  // CPUs this process may run on (its affinity mask), at least 1.
  virtual int CpuCount() const = 0;

  // The memory page size, the unit of net.ipv4.tcp_mem.
  virtual uint64_t PageBytes() const = 0;
};

// The live system: /proc, getrlimit(), geteuid(), sched_getaffinity().
class ProcSysctlReader final : public SysctlReader {
 public:
  absl::StatusOr<std::string> ReadProc(std::string_view path) const override;
  absl::StatusOr<NofileLimit> GetNofileLimit() const override;
  bool IsRoot() const override;
  int CpuCount() const override;
  uint64_t PageBytes() const override;
};

// Reads sysctl `name` ("net.ipv4.ip_local_port_range") as the unsigned
// numbers it holds, in order ({32768, 60999}). Fails as ReadProc() does,
// and with InvalidArgument when the contents are not numbers.
[[nodiscard]] absl::StatusOr<std::vector<uint64_t>> ReadSysctlNumbers(
    const SysctlReader& reader, std::string_view name);

// What the preflight knows about the machine. Every field starts at the
// stock kernel's default, which is kept when the value cannot be read.
struct SystemFacts {
  // RLIMIT_NOFILE. The engine raises soft to hard at start, and each
  // worker ring's fixed-file table is capped at the soft limit.
  uint64_t nofile_soft = 1024;
  uint64_t nofile_hard = 4096;
  bool is_root = false;            // euid 0: may write sysctls
  bool cap_sys_resource = false;   // may raise the hard limit (ulimit -n)
  bool cap_sys_admin = false;      // exempt from fs.file-max
  uint64_t nr_open = 1048576;      // fs.nr_open: ceiling of ulimit -n
  uint64_t file_max = INT64_MAX;   // fs.file-max; LONG_MAX: no limit
  uint64_t files_allocated = 0;    // fs.file-nr, first field
  uint64_t port_range_lo = 32768;  // net.ipv4.ip_local_port_range
  uint64_t port_range_hi = 60999;
  uint64_t tw_reuse = 2;      // net.ipv4.tcp_tw_reuse (2: loopback)
  uint64_t somaxconn = 4096;  // net.core.somaxconn
  // net.netfilter.nf_conntrack_max; nullopt when nf_conntrack is not loaded.
  std::optional<uint64_t> conntrack_max;
  uint64_t conntrack_count = 0;           // net.netfilter.nf_conntrack_count
  uint64_t mem_available_bytes = 0;       // MemAvailable in /proc/meminfo
  uint64_t tcp_mem_pages[3] = {0, 0, 0};  // net.ipv4.tcp_mem: low pressure max
  uint64_t page_bytes = 4096;
  uint64_t tcp_in_use = 0;     // /proc/net/sockstat "TCP: inuse"
  uint64_t tcp_time_wait = 0;  // /proc/net/sockstat "tw"
  int cpu_count = 1;
  // The sysctls and files that could not be read ("net.core.somaxconn"),
  // whose fields above hold the stock default.
  std::vector<std::string> unreadable;
};

// Reads every SystemFacts field through `reader`. Fails only when the
// descriptor limit cannot be read; any other value that cannot be read
// keeps its default and is named in `unreadable`.
[[nodiscard]] absl::StatusOr<SystemFacts> ReadSystemFacts(
    const SysctlReader& reader);

// Raises this process's soft RLIMIT_NOFILE to its hard limit (the most an
// unprivileged process may) and returns the new soft limit; returns the
// soft limit unchanged when it already equals the hard one. Fails with
// Internal, naming the errno, when getrlimit() or setrlimit() does.
[[nodiscard]] absl::StatusOr<uint64_t> RaiseNofileLimit();

}  // namespace tcpkali::engine

#endif  // TCPKALI_ENGINE_SYSCTL_H_
