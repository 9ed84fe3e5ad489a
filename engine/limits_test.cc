#include "engine/limits.h"

#include <doctest/doctest.h>
#include <netinet/in.h>

#include <string>
#include <vector>

#include "engine/exit_code.h"
#include "engine/ip_range.h"
#include "testing/testdata.h"

namespace tcpkali::engine {
namespace {

// This machine class: RLIMIT_NOFILE capped at 20000 (no CAP_SYS_RESOURCE),
// root otherwise, stock port range, 22.8 GiB available.
SystemFacts Machine() {
  SystemFacts f;
  f.nofile_soft = 20000;
  f.nofile_hard = 20000;
  f.is_root = true;
  f.cap_sys_resource = false;
  f.cap_sys_admin = true;
  f.nr_open = 1048576;
  f.file_max = 2466170;
  f.files_allocated = 773;
  f.port_range_lo = 32768;
  f.port_range_hi = 60999;
  f.tw_reuse = 2;
  f.somaxconn = 4096;
  f.conntrack_max = 262144;
  f.conntrack_count = 0;
  f.mem_available_bytes = 23883220ull * 1024;
  f.tcp_mem_pages[0] = 287898;
  f.tcp_mem_pages[1] = 383867;
  f.tcp_mem_pages[2] = 575796;
  f.page_bytes = 4096;
  f.tcp_in_use = 1;
  f.tcp_time_wait = 0;
  f.cpu_count = 2;
  return f;
}

DestinationPlan Loopback(uint64_t sources, const char* name = "127.0.0.1:80") {
  return {.name = name,
          .source_count = sources,
          .ipv4_loopback = true,
          .loopback = true};
}

DestinationPlan Remote(uint64_t sources, const char* name = "192.0.2.1:80") {
  return {.name = name, .source_count = sources};
}

// A client run of `connections` over `workers` to `destinations`.
PlannedRun Client(uint64_t connections, int workers,
                  std::vector<DestinationPlan> destinations = {Loopback(254)}) {
  PlannedRun run;
  run.connections = connections;
  run.workers = workers;
  run.destinations = std::move(destinations);
  run.source_count = 0;
  for (const DestinationPlan& d : run.destinations) {
    run.source_count = std::max(run.source_count, d.source_count);
  }
  return run;
}

const Finding& Find(const PreflightReport& report, std::string_view check) {
  for (const Finding& f : report.findings) {
    if (f.check == check) return f;
  }
  FAIL("no finding for " << std::string(check));
  return report.findings.front();
}

TEST_CASE("workers needed when the descriptor limit binds") {
  struct Row {
    uint64_t connections;
    bool self_connect;
    uint64_t nofile;
    int workers_needed;
  };
  const Row rows[] = {
      {1, false, 20000, 1},         {19936, false, 20000, 1},
      {19937, false, 20000, 2},     {1000000, false, 20000, 51},
      {1000000, true, 20000, 101},  {100000, false, 1024, 105},
      {1000000, false, 1048576, 1}, {3000000, false, 4000000, 3},
  };
  for (const Row& row : rows) {
    CAPTURE(row.connections);
    CAPTURE(row.nofile);
    SystemFacts facts = Machine();
    facts.nofile_soft = facts.nofile_hard = row.nofile;
    facts.port_range_lo = 1024;  // keep the ports check out of the way
    facts.port_range_hi = 65535;
    PlannedRun run = Client(row.connections, 1);
    if (row.self_connect) run.accepted_connections = row.connections;
    for (int workers : {row.workers_needed - 1, row.workers_needed}) {
      if (workers < 1) continue;
      run.workers = workers;
      const PreflightReport report = Preflight(run, facts);
      CHECK(report.workers_needed == row.workers_needed);
      const Severity severity =
          Find(report, "descriptors per io_uring").severity;
      CHECK(severity ==
            (workers < row.workers_needed ? Severity::kFatal : Severity::kOk));
    }
  }
}

TEST_CASE("a million connections with the limit at 20000 name -w 51") {
  const PreflightReport report = Preflight(Client(1000000, 2), Machine());
  const Finding& f = Find(report, "descriptors per io_uring");
  CHECK(f.severity == Severity::kFatal);
  CHECK(f.found == "2 workers x 19936");
  CHECK(f.needed == "1000000 descriptors: 51 workers");
  CHECK(f.text ==
        "--connections: 1000000 connections need 51 workers here (each "
        "io_uring holds at most 20000 descriptors, RLIMIT_NOFILE)");
  CHECK(f.fix == "use -w 51 or more, or raise ulimit -n");
  const absl::Status status = PreflightStatus(report);
  CHECK(status.code() == absl::StatusCode::kResourceExhausted);
  CHECK(ExitCodeFor(status) == 70);
  CHECK(status.message() == f.text + "; " + f.fix);
}

TEST_CASE("where the hard limit may be raised, the fix gives the values") {
  SystemFacts facts = Machine();
  facts.cap_sys_resource = true;
  PlannedRun run = Client(1000000, 2);
  run.accepted_connections = 1000000;  // self-connect: 2 descriptors each
  CHECK(Find(Preflight(run, facts), "descriptors per io_uring").fix ==
        "use -w 101 or more, or raise the limit: ulimit -n 1000064");
  facts.nr_open = 500000;
  facts.is_root = false;
  const Finding f = Find(Preflight(run, facts), "descriptors per io_uring");
  CHECK(f.fix ==
        "use -w 101 or more, or raise the limit: sudo sysctl -w "
        "fs.nr_open=1000064 && ulimit -n 1000064");
  CHECK(f.text ==
        "--connections: 1000000 connections (2000000 descriptors: both ends "
        "are in this process) need 101 workers here (each io_uring holds at "
        "most 20000 descriptors, RLIMIT_NOFILE)");
  run.connections = run.accepted_connections = 30000000;
  CHECK(Find(Preflight(run, facts), "descriptors per io_uring").fix ==
        "raise ulimit -n, or split the run over several tcpkali processes");
}

TEST_CASE("reachable connections: sources x destinations x ports") {
  struct Row {
    std::vector<DestinationPlan> destinations;
    uint64_t port_lo, port_hi, in_use;
    uint64_t reachable;
  };
  const Row rows[] = {
      // Sockets in use elsewhere hold ports of other pairs: not subtracted.
      {{Loopback(1)}, 32768, 60999, 1000, 28232},
      {{Loopback(1)}, 32768, 60999, 0, 28232},
      {{Loopback(254)}, 32768, 60999, 0, 254 * 28232},
      {{Loopback(2), Loopback(2, "127.0.0.1:81")},
       10000,
       65535,
       36,
       2 * 2 * 55536},
      // Round-robin: the destination with the fewest sources caps them all.
      {{Loopback(254), Remote(1)}, 32768, 60999, 0, 2 * 28232},
      {{Loopback(3), Remote(0)}, 32768, 60999, 0, 3 * 28232},  // unusable
      {{Loopback(1)}, 60000, 59999, 0, 0},                     // an empty range
  };
  for (const Row& row : rows) {
    CAPTURE(row.reachable);
    SystemFacts facts = Machine();
    facts.port_range_lo = row.port_lo;
    facts.port_range_hi = row.port_hi;
    facts.tcp_in_use = row.in_use;
    if (row.reachable > 0) {
      const PlannedRun fits = Client(row.reachable, 1000, row.destinations);
      CHECK(Find(Preflight(fits, facts), "net.ipv4.ip_local_port_range")
                .severity == Severity::kOk);
    }
    const PlannedRun over = Client(row.reachable + 1, 1000, row.destinations);
    const PreflightReport report = Preflight(over, facts);
    CHECK(report.reachable_connections == row.reachable);
    CHECK(Find(report, "net.ipv4.ip_local_port_range").severity ==
          Severity::kFatal);
  }
}

TEST_CASE("ports fall short: the text names the range and the fixes") {
  SystemFacts facts = Machine();
  const PreflightReport report =
      Preflight(Client(100000, 8, {Loopback(1)}), facts);
  const Finding& f = Find(report, "net.ipv4.ip_local_port_range");
  CHECK(f.severity == Severity::kFatal);
  CHECK(f.text ==
        "--connections: at most 28232 connections can reach 127.0.0.1:80 "
        "from 1 source address (net.ipv4.ip_local_port_range = 32768 60999)");
  CHECK(f.fix ==
        "add --source-ip 127.0.0.0/24, widen it with sysctl -w "
        "net.ipv4.ip_local_port_range=\"10000 65535\", or add destination "
        "ports");

  // Already wide, and more than a /24 needed; not root.
  facts.port_range_lo = 10000;
  facts.port_range_hi = 65535;
  facts.is_root = false;
  CHECK(Find(Preflight(Client(20000000, 1024, {Loopback(254)}), facts),
             "net.ipv4.ip_local_port_range")
            .fix == "add --source-ip 127.0.0.0/23, or add destination ports");

  // Not loopback: addresses have to be configured first.
  const Finding remote =
      Find(Preflight(Client(300000, 16, {Remote(2), Remote(2, "192.0.2.9:80")}),
                     facts),
           "net.ipv4.ip_local_port_range");
  CHECK(remote.text ==
        "--connections: at most 222144 connections can reach the 2 "
        "destinations round-robin (192.0.2.1:80 has 2 source addresses; "
        "net.ipv4.ip_local_port_range = 10000 65535)");
  CHECK(remote.fix ==
        "add local addresses (ip addr add) and pass them with --source-ip (3 "
        "per destination), or add destination ports");
}

TEST_CASE("each other check, falling short on its own") {
  struct Row {
    const char* name;
    void (*facts)(SystemFacts&);
    void (*run)(PlannedRun&);
    const char* check;
    Severity severity;
    const char* text;
    const char* fix;
  };
  const Row rows[] = {
      {"TIME-WAIT kept, connections churn",
       [](SystemFacts& f) { f.tw_reuse = 0; },
       [](PlannedRun& r) { r.reconnects = true; }, "net.ipv4.tcp_tw_reuse",
       Severity::kWarning,
       "net.ipv4.tcp_tw_reuse = 0: each closed connection keeps its port in "
       "TIME-WAIT for 60 s, and --channel-lifetime closes them all the time",
       "sysctl -w net.ipv4.tcp_tw_reuse=1"},
      {"loopback-only reuse, remote destination", [](SystemFacts&) {},
       [](PlannedRun& r) { r.destinations = {Remote(2)}; },
       "net.ipv4.tcp_tw_reuse", Severity::kNote,
       "net.ipv4.tcp_tw_reuse = 2: each closed connection keeps its port in "
       "TIME-WAIT for 60 s (back-to-back runs)",
       "sysctl -w net.ipv4.tcp_tw_reuse=1"},
      {"loopback-only reuse, loopback destination", [](SystemFacts&) {},
       [](PlannedRun&) {}, "net.ipv4.tcp_tw_reuse", Severity::kOk, "", ""},
      {"file-max, unprivileged",
       [](SystemFacts& f) {
         f.file_max = 100000;
         f.files_allocated = 50000;
         f.cap_sys_admin = false;
       },
       [](PlannedRun& r) { r.connections = 60000; }, "fs.file-max",
       Severity::kFatal,
       "fs.file-max: the system has room for 50000 more open files; this run "
       "needs 60096",
       "sysctl -w fs.file-max=130000"},
      {"file-max, CAP_SYS_ADMIN",
       [](SystemFacts& f) {
         f.file_max = 100000;
         f.files_allocated = 50000;
         f.is_root = false;
       },
       [](PlannedRun& r) { r.connections = 60000; }, "fs.file-max",
       Severity::kWarning,
       "fs.file-max: the system has room for 50000 more open files; this run "
       "needs 60096 (allowed as root, but other processes will fail to open "
       "files)",
       "sudo sysctl -w fs.file-max=130000"},
      {"memory tight",
       [](SystemFacts& f) {
         f.mem_available_bytes = 1 << 30;
         f.conntrack_max.reset();
       },
       [](PlannedRun& r) { r.connections = 200000; }, "memory",
       Severity::kWarning,
       "memory: 200000 sockets need about 842.3 MiB (kernel and tcpkali); "
       "1.0 GiB is available",
       "use -c 182361 or fewer, or free memory"},
      {"memory short",
       [](SystemFacts& f) {
         f.mem_available_bytes = 1 << 30;
         f.conntrack_max.reset();
       },
       [](PlannedRun& r) { r.connections = 300000; }, "memory",
       Severity::kFatal,
       "memory: 300000 sockets need about 1.2 GiB (kernel and tcpkali); "
       "1.0 GiB is available",
       "use -c 182361 or fewer, or free memory"},
      {"backlog under the connect rate",
       [](SystemFacts& f) { f.somaxconn = 128; },
       [](PlannedRun& r) {
         r.listener = true;
         r.accepted_connections = r.connections;
         r.connect_rate_per_s = 10000;
         r.workers = 2;
       },
       "net.core.somaxconn", Severity::kWarning,
       "net.core.somaxconn = 128 caps each listener's backlog below 500: "
       "connection attempts beyond it are dropped and retried a second later",
       "sysctl -w net.core.somaxconn=500"},
      {"backlog, other peers", [](SystemFacts& f) { f.somaxconn = 128; },
       [](PlannedRun& r) { r.listener = true; }, "net.core.somaxconn",
       Severity::kNote,
       "net.core.somaxconn = 128 caps each listener's backlog below 4096: "
       "connection attempts beyond it are dropped and retried a second later",
       "sysctl -w net.core.somaxconn=4096"},
      {"conntrack tracking",
       [](SystemFacts& f) {
         f.conntrack_max = 1000;
         f.conntrack_count = 10;
       },
       [](PlannedRun&) {}, "net.netfilter.nf_conntrack_max", Severity::kWarning,
       "net.netfilter.nf_conntrack_max = 1000: connections past it are "
       "dropped (\"table full\")",
       "sysctl -w net.netfilter.nf_conntrack_max=5010"},
      {"conntrack loaded, idle", [](SystemFacts& f) { f.conntrack_max = 1000; },
       [](PlannedRun&) {}, "net.netfilter.nf_conntrack_max", Severity::kNote,
       "net.netfilter.nf_conntrack_max = 1000: nothing is tracked now, but if "
       "firewall rules track connections, those past it are dropped",
       "sysctl -w net.netfilter.nf_conntrack_max=5000"},
      {"tcp_mem",
       [](SystemFacts& f) {
         f.tcp_mem_pages[1] = 2000;
         f.tcp_mem_pages[2] = 4000;
       },
       [](PlannedRun& r) { r.carries_data = true; }, "net.ipv4.tcp_mem",
       Severity::kWarning,
       "net.ipv4.tcp_mem: 5000 sockets holding data take at least 5000 pages "
       "(19.5 MiB) of TCP buffers; past 4000 pages the kernel refuses to "
       "queue more data",
       "sysctl -w net.ipv4.tcp_mem=\"287898 5000 10000\""},
      {"soft descriptor limit", [](SystemFacts& f) { f.nofile_soft = 1024; },
       [](PlannedRun&) {}, "RLIMIT_NOFILE", Severity::kNote,
       "the soft limit 1024 is raised to the hard limit 20000 at start", ""},
      {"hard descriptor limit below the rings",
       [](SystemFacts& f) { f.nofile_soft = f.nofile_hard = 40; },
       [](PlannedRun& r) {
         r.connections = 10;
         r.workers = 16;
       },
       "RLIMIT_NOFILE", Severity::kFatal,
       "RLIMIT_NOFILE: the hard limit 40 leaves no room for 16 worker rings "
       "and the process's own files (48 needed)",
       "use fewer workers (-w), or raise ulimit -n to 48"},
  };
  for (const Row& row : rows) {
    CAPTURE(row.name);
    SystemFacts facts = Machine();
    row.facts(facts);
    PlannedRun run = Client(5000, 64);
    row.run(run);
    const PreflightReport report = Preflight(run, facts);
    const Finding& f = Find(report, row.check);
    CHECK(f.severity == row.severity);
    CHECK(f.text == row.text);
    CHECK(f.fix == row.fix);
    // Only this check falls short (the descriptor check is fine with it).
    for (const Finding& other : report.findings) {
      if (other.check != row.check) CHECK(other.severity == Severity::kOk);
    }
  }
}

// A self-connect million on one loopback address, churning, on a machine
// that falls short nearly everywhere.
PreflightReport ShortReport() {
  PlannedRun run = Client(1000000, 2, {Loopback(1)});
  run.accepted_connections = 1000000;
  run.listener = true;
  run.carries_data = true;
  run.connect_rate_per_s = 100000;
  run.reconnects = true;
  SystemFacts facts = Machine();
  facts.tw_reuse = 0;
  facts.conntrack_count = 3;
  facts.unreadable = {"net.core.somaxconn"};
  return Preflight(run, facts);
}

TEST_CASE("--check-limits report of a run that falls short") {
  const std::string out = FormatPreflight(ShortReport());
  CHECK(testing::MatchesGolden(out, "engine/testdata/limits_check.golden"));
}

TEST_CASE("a run that falls short: one status, each other shortfall once") {
  const PreflightReport report = ShortReport();
  CHECK(report.HasFatal());
  CHECK(report.workers_needed == 101);
  CHECK(report.reachable_connections == 28232);
  const absl::Status status = PreflightStatus(report);
  CHECK(ExitCodeFor(status) == 70);
  CHECK(std::string(status.message())
            .rfind("--connections: 1000000 connections (2000000 descriptors",
                   0) == 0);
  const std::string lines = FormatShortfalls(report);
  CHECK(lines ==
        "tcpkali: --connections: at most 28232 connections can reach "
        "127.0.0.1:80 from 1 source address (net.ipv4.ip_local_port_range = "
        "32768 60999); add --source-ip 127.0.0.0/24, widen it with sysctl -w "
        "net.ipv4.ip_local_port_range=\"10000 65535\", or add destination "
        "ports\n"
        "tcpkali: net.ipv4.tcp_tw_reuse = 0: each closed connection keeps its "
        "port in TIME-WAIT for 60 s, and --channel-lifetime closes them all "
        "the time; sysctl -w net.ipv4.tcp_tw_reuse=1\n"
        "tcpkali: net.core.somaxconn = 4096 caps each listener's backlog below "
        "5000: connection attempts beyond it are dropped and retried a second "
        "later; sysctl -w net.core.somaxconn=5000\n"
        "tcpkali: net.netfilter.nf_conntrack_max = 262144: connections past "
        "it are dropped (\"table full\"); sysctl -w "
        "net.netfilter.nf_conntrack_max=1000003\n"
        "tcpkali: net.ipv4.tcp_mem: 2000000 sockets holding data take at "
        "least 2000000 pages (7.6 GiB) of TCP buffers; past 575796 pages the "
        "kernel refuses to queue more data; sysctl -w "
        "net.ipv4.tcp_mem=\"287898 2000000 4000000\"\n");
}

TEST_CASE("a run that fits: nothing printed, status OK, table says so") {
  PlannedRun run = Client(50000, 4, {Loopback(2)});
  const PreflightReport report = Preflight(run, Machine());
  CHECK_FALSE(report.HasFatal());
  CHECK(FormatShortfalls(report).empty());
  CHECK(PreflightStatus(report).ok());
  CHECK(report.reachable_connections == 2 * 28232);
  CHECK(report.est_memory_bytes == 50000 * (4096 + 320));
  const std::string table = FormatPreflight(report);
  CHECK(table.rfind("Limits check for 50000 connections, 4 workers, 1 "
                    "destination, 2 source addresses\n",
                    0) == 0);
  CHECK(table.find("net.ipv4.ip_local_port_range    32768 60999 (28232 "
                   "ports)   50000 of 56464 reachable") !=
        std::string::npos);
  CHECK(table.find("Reachable connections: 56464\nWorkers needed: 3\n") !=
        std::string::npos);
  CHECK(table.find("FATAL") == std::string::npos);
  CHECK(table.find("short") == std::string::npos);
  CHECK(table.substr(table.size() - 23) == "Verdict: the run fits.\n");
}

TEST_CASE("a sink-only run: no ports check, capacity as a note") {
  PlannedRun run;
  run.listener = true;
  run.workers = 2;
  run.carries_data = true;
  const PreflightReport report = Preflight(run, Machine());
  CHECK(PreflightStatus(report).ok());
  for (const Finding& f : report.findings) {
    CHECK(f.check != "net.ipv4.ip_local_port_range");
  }
  const Finding& f = Find(report, "descriptors per io_uring");
  CHECK(f.severity == Severity::kNote);
  CHECK(f.text ==
        "the listeners accept at most 39872 connections (RLIMIT_NOFILE per "
        "io_uring)");
  CHECK(FormatPreflight(report).find("Reachable") == std::string::npos);
}

TEST_CASE("EADDRNOTAVAIL is explained with the ports arithmetic") {
  CHECK(
      ExplainAddressNotAvailable(Client(30000, 2, {Loopback(1)}), Machine()) ==
      "connect: no free local port (EADDRNOTAVAIL): at most 28232 "
      "connections can reach 127.0.0.1:80 from 1 source address "
      "(net.ipv4.ip_local_port_range = 32768 60999); add --source-ip "
      "127.0.0.0/24, widen it with sysctl -w "
      "net.ipv4.ip_local_port_range=\"10000 65535\", or add destination "
      "ports");
}

sockaddr_storage Endpoint(const char* ip, uint16_t port) {
  sockaddr_storage a = IpRange::Parse(ip).value().At(0);
  if (a.ss_family == AF_INET) {
    reinterpret_cast<sockaddr_in&>(a).sin_port = htons(port);
  } else {
    reinterpret_cast<sockaddr_in6&>(a).sin6_port = htons(port);
  }
  return a;
}

TEST_CASE("PlanRun: self-connect, sources and traffic from the Config") {
  // --source-ip given: only asked whether the addresses bind (they are
  // this made-up host's own).
  struct OwnAddresses final : AddressProbe {
    absl::StatusOr<sockaddr_storage> RouteSource(const sockaddr_storage&) const override {
      return absl::InternalError("not asked");
    }
    absl::StatusOr<std::vector<InterfaceAddress>> InterfaceAddresses() const override {
      return absl::InternalError("not asked");
    }
    absl::Status CheckBindable(const sockaddr_storage&) const override {
      return absl::OkStatus();
    }
  } unused;
  Config config;
  config.connections = 1000;
  config.workers = 4;
  config.destinations.push_back({.host = "127.0.0.1", .port = "12345"});
  config.listen = ListenAddress{.port = 12345};
  config.source_ips = {"127.0.0.0/30", "192.0.2.2"};
  const std::vector<sockaddr_storage> both = {Endpoint("127.0.0.1", 12345),
                                              Endpoint("192.0.2.1", 80),
                                              Endpoint("::1", 12345)};
  absl::StatusOr<SourceAddresses> sources =
      ResolveSourceAddresses(config.source_ips, both, unused);
  REQUIRE(sources.ok());

  PlannedRun run = PlanRun(config, both, *sources);
  CHECK(run.connections == 1000);
  CHECK(run.workers == 4);
  CHECK(run.listener);
  CHECK(run.carries_data);  // a sink receives
  CHECK_FALSE(run.reconnects);
  CHECK(run.source_count == 3);
  REQUIRE(run.destinations.size() == 3);
  CHECK(run.destinations[0].name == "127.0.0.1:12345");
  CHECK(run.destinations[0].source_count == 3);
  CHECK(run.destinations[0].ipv4_loopback);
  CHECK(run.destinations[1].name == "192.0.2.1:80");
  CHECK_FALSE(run.destinations[1].loopback);
  CHECK(run.destinations[2].source_count == 0);  // no IPv6 source
  // Of the two usable destinations, one is our own listener.
  CHECK(run.accepted_connections == 500);

  // Our own address on the listen port is ours too, loopback or not.
  const std::vector<sockaddr_storage> own = {Endpoint("192.0.2.2", 12345)};
  sources = ResolveSourceAddresses(config.source_ips, own, unused);
  REQUIRE(sources.ok());
  CHECK(PlanRun(config, own, *sources).accepted_connections == 1000);

  config.listen.reset();
  config.channel_lifetime_ns = 1'000'000'000;
  sources = ResolveSourceAddresses(config.source_ips, both, unused);
  REQUIRE(sources.ok());
  run = PlanRun(config, both, *sources);
  CHECK_FALSE(run.listener);
  CHECK(run.accepted_connections == 0);
  CHECK(run.reconnects);
  CHECK_FALSE(run.carries_data);  // nothing sent, nothing received
  config.messages.push_back({.data = "x"});
  CHECK(PlanRun(config, both, *sources).carries_data);

  Config sink;  // -l alone: no outgoing connections
  sink.listen = ListenAddress{.port = 1};
  CHECK(PlanRun(sink, {}, SourceAddresses()).connections == 0);
}

}  // namespace
}  // namespace tcpkali::engine
