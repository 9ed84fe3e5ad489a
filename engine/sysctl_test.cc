#include "engine/sysctl.h"

#include <doctest/doctest.h>
#include <sys/resource.h>

#include <map>
#include <string>

#include "absl/status/status.h"

namespace tcpkali::engine {
namespace {

// A made-up machine: /proc files by path, a fixed rlimit.
class FakeReader final : public SysctlReader {
 public:
  std::map<std::string, std::string> files;
  absl::StatusOr<NofileLimit> nofile = NofileLimit{.soft = 1024, .hard = 20000};

  absl::StatusOr<std::string> ReadProc(std::string_view path) const override {
    auto it = files.find(std::string(path));
    if (it == files.end()) return absl::NotFoundError(std::string(path));
    return it->second;
  }
  absl::StatusOr<NofileLimit> GetNofileLimit() const override { return nofile; }
  bool IsRoot() const override { return true; }
  int CpuCount() const override { return 2; }
  uint64_t PageBytes() const override { return 4096; }
};

// The machine these tests were written on, as its /proc reads.
FakeReader StockMachine() {
  FakeReader r;
  r.files = {
      {"sys/fs/nr_open", "1048576\n"},
      {"sys/fs/file-max", "2466170\n"},
      {"sys/fs/file-nr", "773\t0\t2466170\n"},
      {"sys/net/ipv4/ip_local_port_range", "32768\t60999\n"},
      {"sys/net/ipv4/tcp_tw_reuse", "2\n"},
      {"sys/net/core/somaxconn", "4096\n"},
      {"sys/net/netfilter/nf_conntrack_max", "262144\n"},
      {"sys/net/netfilter/nf_conntrack_count", "17\n"},
      {"sys/net/ipv4/tcp_mem", "287898\t383867\t575796\n"},
      {"meminfo",
       "MemTotal:       24684084 kB\nMemFree:        20000000 kB\n"
       "MemAvailable:   23883220 kB\nBuffers:          123 kB\n"},
      {"net/sockstat",
       "sockets: used 26\nTCP: inuse 5 orphan 0 tw 7 alloc 9 mem 240\n"
       "UDP: inuse 0 mem 0\n"},
      {"self/status",
       "Name:\ttest\nCapInh:\t0000000000000000\n"
       "CapEff:\t000001fffeffffff\nCapBnd:\t000001ffffffffff\n"},
  };
  return r;
}

TEST_CASE("ReadSysctlNumbers maps dots to /proc/sys paths and parses") {
  FakeReader r = StockMachine();
  absl::StatusOr<std::vector<uint64_t>> range =
      ReadSysctlNumbers(r, "net.ipv4.ip_local_port_range");
  REQUIRE(range.ok());
  CHECK(*range == std::vector<uint64_t>{32768, 60999});

  CHECK(absl::IsNotFound(
      ReadSysctlNumbers(r, "net.ipv4.no_such_thing").status()));
  r.files["sys/net/core/somaxconn"] = "lots\n";
  absl::Status bad = ReadSysctlNumbers(r, "net.core.somaxconn").status();
  CHECK(bad.code() == absl::StatusCode::kInvalidArgument);
  CHECK(std::string(bad.message()).find("net.core.somaxconn") !=
        std::string::npos);
}

TEST_CASE("ReadSystemFacts reads every field") {
  absl::StatusOr<SystemFacts> facts = ReadSystemFacts(StockMachine());
  REQUIRE(facts.ok());
  CHECK(facts->nofile_soft == 1024);
  CHECK(facts->nofile_hard == 20000);
  CHECK(facts->is_root);
  CHECK(facts->cap_sys_admin);           // bit 21 of 0x1fffeffffff
  CHECK_FALSE(facts->cap_sys_resource);  // bit 24 is clear
  CHECK(facts->nr_open == 1048576);
  CHECK(facts->file_max == 2466170);
  CHECK(facts->files_allocated == 773);
  CHECK(facts->port_range_lo == 32768);
  CHECK(facts->port_range_hi == 60999);
  CHECK(facts->tw_reuse == 2);
  CHECK(facts->somaxconn == 4096);
  REQUIRE(facts->conntrack_max.has_value());
  CHECK(*facts->conntrack_max == 262144);
  CHECK(facts->conntrack_count == 17);
  CHECK(facts->mem_available_bytes == 23883220ull * 1024);
  CHECK(facts->tcp_mem_pages[0] == 287898);
  CHECK(facts->tcp_mem_pages[2] == 575796);
  CHECK(facts->tcp_in_use == 5);
  CHECK(facts->tcp_time_wait == 7);
  CHECK(facts->cpu_count == 2);
  CHECK(facts->page_bytes == 4096);
  CHECK(facts->unreadable.empty());
}

TEST_CASE("missing conntrack means not loaded; other gaps keep defaults") {
  FakeReader r = StockMachine();
  r.files.erase("sys/net/netfilter/nf_conntrack_max");
  r.files.erase("sys/net/netfilter/nf_conntrack_count");
  r.files.erase("sys/net/core/somaxconn");
  r.files["sys/net/ipv4/ip_local_port_range"] = "32768\n";  // one number
  r.files["meminfo"] = "MemTotal: 1 kB\n";
  absl::StatusOr<SystemFacts> facts = ReadSystemFacts(r);
  REQUIRE(facts.ok());
  CHECK_FALSE(facts->conntrack_max.has_value());
  CHECK(facts->somaxconn == SystemFacts{}.somaxconn);
  CHECK(facts->port_range_lo == 32768);
  CHECK(facts->port_range_hi == 60999);
  CHECK(facts->mem_available_bytes == 0);
  CHECK(facts->unreadable ==
        std::vector<std::string>{"net.ipv4.ip_local_port_range",
                                 "net.core.somaxconn",
                                 "/proc/meminfo MemAvailable"});
}

TEST_CASE("an unreadable descriptor limit fails the whole read") {
  FakeReader r = StockMachine();
  r.nofile = absl::InternalError("getrlimit(RLIMIT_NOFILE): denied");
  CHECK(ReadSystemFacts(r).status().code() == absl::StatusCode::kInternal);
}

TEST_CASE("the live system reads without error and looks like Linux") {
  absl::StatusOr<SystemFacts> facts = ReadSystemFacts(ProcSysctlReader());
  REQUIRE_MESSAGE(facts.ok(), facts.status().ToString());
  CHECK(facts->nofile_soft >= 1);
  CHECK(facts->nofile_soft <= facts->nofile_hard);
  CHECK(facts->port_range_lo >= 1);
  CHECK(facts->port_range_lo <= facts->port_range_hi);
  CHECK(facts->port_range_hi <= 65535);
  CHECK(facts->somaxconn >= 1);
  CHECK(facts->mem_available_bytes > 0);
  CHECK(facts->tcp_mem_pages[0] <= facts->tcp_mem_pages[2]);
  CHECK(facts->cpu_count >= 1);
  CHECK(facts->page_bytes >= 4096);
  for (const std::string& name : facts->unreadable)
    MESSAGE("unreadable: " << name);
}

TEST_CASE("RaiseNofileLimit lifts the soft limit to the hard one") {
  rlimit before{};
  REQUIRE(getrlimit(RLIMIT_NOFILE, &before) == 0);
  if (before.rlim_max > 64 && before.rlim_max != RLIM_INFINITY) {
    rlimit lowered = before;
    lowered.rlim_cur = 64;
    REQUIRE(setrlimit(RLIMIT_NOFILE, &lowered) == 0);
  }
  absl::StatusOr<uint64_t> raised = RaiseNofileLimit();
  REQUIRE(raised.ok());
  rlimit after{};
  REQUIRE(getrlimit(RLIMIT_NOFILE, &after) == 0);
  CHECK(*raised == after.rlim_cur);
  if (before.rlim_max != RLIM_INFINITY)
    CHECK(after.rlim_cur == before.rlim_max);
  CHECK(RaiseNofileLimit().value() == *raised);  // idempotent
}

}  // namespace
}  // namespace tcpkali::engine
