#include "stats/process_usage.h"

#include <sys/resource.h>

namespace tcpkali::stats {
namespace {

double Seconds(const timeval& tv) {
  return static_cast<double>(tv.tv_sec) + static_cast<double>(tv.tv_usec) / 1e6;
}

}  // namespace

ProcessUsage ReadProcessUsage() {
  rusage ru{};
  if (getrusage(RUSAGE_SELF, &ru) != 0) return {};
  ProcessUsage usage;
  usage.user_cpu_s = Seconds(ru.ru_utime);
  usage.system_cpu_s = Seconds(ru.ru_stime);
  usage.max_rss_bytes =
      static_cast<uint64_t>(ru.ru_maxrss) * 1024;  // KiB on Linux
  usage.voluntary_context_switches = static_cast<uint64_t>(ru.ru_nvcsw);
  usage.involuntary_context_switches = static_cast<uint64_t>(ru.ru_nivcsw);
  return usage;
}

}  // namespace tcpkali::stats
