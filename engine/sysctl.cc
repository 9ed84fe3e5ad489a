#include "engine/sysctl.h"

#include <fcntl.h>
#include <sched.h>
#include <sys/resource.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <utility>

#include "absl/status/status.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_replace.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"

namespace tcpkali::engine {
namespace {

// Linux's default fs.nr_open: the ceiling of RLIMIT_NOFILE when the hard
// limit reads as infinite.
constexpr uint64_t kDefaultNrOpen = 1 << 20;

// Capability bits in /proc/self/status "CapEff" (linux/capability.h).
constexpr int kCapSysAdmin = 21;
constexpr int kCapSysResource = 24;

// Debian's Abseil has its own string_view class.
absl::string_view Absl(std::string_view s) { return {s.data(), s.size()}; }

// What follows `key` on the line of `text` that starts with it, trimmed
// ("MemAvailable:" -> "23883220 kB"). nullopt when absent.
std::optional<absl::string_view> ValueAfter(absl::string_view text,
                                            absl::string_view key) {
  for (absl::string_view line : absl::StrSplit(text, '\n')) {
    if (absl::ConsumePrefix(&line, key))
      return absl::StripAsciiWhitespace(line);
  }
  return std::nullopt;
}

// Reads one sysctl into `fields` (all its numbers); on failure records the
// name in facts.unreadable and leaves `fields` untouched.
bool ReadInto(const SysctlReader& reader, std::string_view name,
              std::vector<uint64_t>& fields, size_t want, SystemFacts& facts) {
  absl::StatusOr<std::vector<uint64_t>> numbers =
      ReadSysctlNumbers(reader, name);
  if (numbers.ok() && numbers->size() >= want) {
    fields = *std::move(numbers);
    return true;
  }
  facts.unreadable.emplace_back(name);
  return false;
}

void ReadFileLimits(const SysctlReader& reader, SystemFacts& facts) {
  std::vector<uint64_t> v;
  if (ReadInto(reader, "fs.nr_open", v, 1, facts)) facts.nr_open = v[0];
  if (ReadInto(reader, "fs.file-max", v, 1, facts)) facts.file_max = v[0];
  if (ReadInto(reader, "fs.file-nr", v, 1, facts)) facts.files_allocated = v[0];
}

void ReadNetLimits(const SysctlReader& reader, SystemFacts& facts) {
  std::vector<uint64_t> v;
  if (ReadInto(reader, "net.ipv4.ip_local_port_range", v, 2, facts)) {
    facts.port_range_lo = v[0];
    facts.port_range_hi = v[1];
  }
  if (ReadInto(reader, "net.ipv4.tcp_tw_reuse", v, 1, facts)) {
    facts.tw_reuse = v[0];
  }
  if (ReadInto(reader, "net.core.somaxconn", v, 1, facts)) {
    facts.somaxconn = v[0];
  }
  if (ReadInto(reader, "net.ipv4.tcp_mem", v, 3, facts)) {
    for (int i = 0; i < 3; ++i) facts.tcp_mem_pages[i] = v[i];
  }
  // A missing nf_conntrack_max is no failure: the module is not loaded.
  absl::StatusOr<std::vector<uint64_t>> max =
      ReadSysctlNumbers(reader, "net.netfilter.nf_conntrack_max");
  if (max.ok() && !max->empty()) {
    facts.conntrack_max = (*max)[0];
    if (ReadInto(reader, "net.netfilter.nf_conntrack_count", v, 1, facts)) {
      facts.conntrack_count = v[0];
    }
  } else if (!absl::IsNotFound(max.status())) {
    facts.unreadable.emplace_back("net.netfilter.nf_conntrack_max");
  }
}

void ReadProcFiles(const SysctlReader& reader, SystemFacts& facts) {
  absl::StatusOr<std::string> meminfo = reader.ReadProc("meminfo");
  std::optional<absl::string_view> available;
  if (meminfo.ok()) available = ValueAfter(*meminfo, "MemAvailable:");
  uint64_t kib = 0;
  if (available &&
      absl::SimpleAtoi(absl::StripSuffix(*available, " kB"), &kib)) {
    facts.mem_available_bytes = kib * 1024;
  } else {
    facts.unreadable.emplace_back("/proc/meminfo MemAvailable");
  }

  // "TCP: inuse 1 orphan 0 tw 0 alloc 3 mem 240"
  absl::StatusOr<std::string> sockstat = reader.ReadProc("net/sockstat");
  std::optional<absl::string_view> tcp;
  if (sockstat.ok()) tcp = ValueAfter(*sockstat, "TCP:");
  if (tcp) {
    std::vector<absl::string_view> words =
        absl::StrSplit(*tcp, ' ', absl::SkipEmpty());
    for (size_t i = 0; i + 1 < words.size(); i += 2) {
      uint64_t n = 0;
      if (!absl::SimpleAtoi(words[i + 1], &n)) continue;
      if (words[i] == "inuse") facts.tcp_in_use = n;
      if (words[i] == "tw") facts.tcp_time_wait = n;
    }
  } else {
    facts.unreadable.emplace_back("/proc/net/sockstat");
  }

  absl::StatusOr<std::string> status = reader.ReadProc("self/status");
  std::optional<absl::string_view> caps;
  if (status.ok()) caps = ValueAfter(*status, "CapEff:");
  uint64_t cap_bits = 0;
  if (caps && absl::SimpleHexAtoi(*caps, &cap_bits)) {
    facts.cap_sys_admin = (cap_bits >> kCapSysAdmin) & 1;
    facts.cap_sys_resource = (cap_bits >> kCapSysResource) & 1;
  } else {
    facts.unreadable.emplace_back("/proc/self/status CapEff");
  }
}

}  // namespace

absl::StatusOr<std::string> ProcSysctlReader::ReadProc(
    std::string_view path) const {
  const std::string full = absl::StrCat("/proc/", Absl(path));
  const int fd = open(full.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    const int err = errno;
    const std::string why = absl::StrCat(full, ": ", std::strerror(err));
    return err == ENOENT ? absl::NotFoundError(why) : absl::InternalError(why);
  }
  std::string text;
  char buf[4096];
  for (;;) {
    const ssize_t n = read(fd, buf, sizeof buf);
    if (n == 0) break;
    if (n < 0) {
      if (errno == EINTR) continue;
      const int err = errno;
      close(fd);
      return absl::InternalError(absl::StrCat(full, ": ", std::strerror(err)));
    }
    text.append(buf, static_cast<size_t>(n));
  }
  close(fd);
  return text;
}

absl::StatusOr<NofileLimit> ProcSysctlReader::GetNofileLimit() const {
  rlimit limit{};
  if (getrlimit(RLIMIT_NOFILE, &limit) != 0) {
    return absl::InternalError(
        absl::StrCat("getrlimit(RLIMIT_NOFILE): ", std::strerror(errno)));
  }
  return NofileLimit{.soft = limit.rlim_cur, .hard = limit.rlim_max};
}

bool ProcSysctlReader::IsRoot() const { return geteuid() == 0; }

int ProcSysctlReader::CpuCount() const {
  cpu_set_t set;
  CPU_ZERO(&set);
  if (sched_getaffinity(0, sizeof set, &set) == 0) {
    return std::max(1, CPU_COUNT(&set));
  }
  return static_cast<int>(std::max(1L, sysconf(_SC_NPROCESSORS_ONLN)));
}

uint64_t ProcSysctlReader::PageBytes() const {
  const long page = sysconf(_SC_PAGESIZE);
  return page > 0 ? static_cast<uint64_t>(page) : 4096;
}

absl::StatusOr<std::vector<uint64_t>> ReadSysctlNumbers(
    const SysctlReader& reader, std::string_view name) {
  const std::string path =
      absl::StrCat("sys/", absl::StrReplaceAll(Absl(name), {{".", "/"}}));
  absl::StatusOr<std::string> text = reader.ReadProc(path);
  if (!text.ok()) return text.status();
  std::vector<uint64_t> numbers;
  for (absl::string_view word :
       absl::StrSplit(*text, absl::ByAnyChar(" \t\n"), absl::SkipEmpty())) {
    uint64_t n = 0;
    if (!absl::SimpleAtoi(word, &n)) {
      return absl::InvalidArgumentError(
          absl::StrCat(Absl(name), ": not a number: \"", word, "\""));
    }
    numbers.push_back(n);
  }
  return numbers;
}

absl::StatusOr<SystemFacts> ReadSystemFacts(const SysctlReader& reader) {
  absl::StatusOr<NofileLimit> nofile = reader.GetNofileLimit();
  if (!nofile.ok()) return nofile.status();
  SystemFacts facts;
  facts.nofile_soft = nofile->soft;
  facts.nofile_hard = nofile->hard;
  facts.is_root = reader.IsRoot();
  facts.cpu_count = std::max(1, reader.CpuCount());
  facts.page_bytes = reader.PageBytes();
  ReadFileLimits(reader, facts);
  ReadNetLimits(reader, facts);
  ReadProcFiles(reader, facts);
  return facts;
}

absl::StatusOr<uint64_t> RaiseNofileLimit() {
  rlimit limit{};
  if (getrlimit(RLIMIT_NOFILE, &limit) != 0) {
    return absl::InternalError(
        absl::StrCat("getrlimit(RLIMIT_NOFILE): ", std::strerror(errno)));
  }
  if (limit.rlim_cur == limit.rlim_max) return limit.rlim_cur;
  rlimit raised = limit;
  raised.rlim_cur = limit.rlim_max;
  if (setrlimit(RLIMIT_NOFILE, &raised) == 0) return raised.rlim_cur;
  int err = errno;
  // An infinite hard limit still stops at fs.nr_open, and the kernel
  // refuses a soft limit above it: settle for the stock ceiling.
  if (limit.rlim_max == RLIM_INFINITY) {
    raised.rlim_cur = kDefaultNrOpen;
    if (setrlimit(RLIMIT_NOFILE, &raised) == 0) return raised.rlim_cur;
    err = errno;
  }
  return absl::InternalError(absl::StrCat(
      "setrlimit(RLIMIT_NOFILE, ", raised.rlim_cur, "): ", std::strerror(err)));
}

}  // namespace tcpkali::engine
