#include "stats/process_usage.h"

#include <doctest/doctest.h>

#include <vector>

namespace tcpkali::stats {
namespace {

TEST_CASE("process usage reflects this process") {
  // Touch 8 MiB so the peak RSS is at least that.
  std::vector<char> memory(8 << 20, 1);
  const ProcessUsage usage = ReadProcessUsage();
  CHECK(memory.back() == 1);
  CHECK(usage.max_rss_bytes >= (8u << 20));
  CHECK(usage.user_cpu_s + usage.system_cpu_s >= 0);
  const ProcessUsage later = ReadProcessUsage();
  CHECK(later.user_cpu_s >= usage.user_cpu_s);
  CHECK(later.voluntary_context_switches >= usage.voluntary_context_switches);
}

}  // namespace
}  // namespace tcpkali::stats
