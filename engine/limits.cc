#include "engine/limits.h"

#include <arpa/inet.h>
#include <netinet/in.h>

#include <algorithm>
#include <cmath>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "engine/ip_range.h"

namespace tcpkali::engine {
namespace {

// The seed README's advice for load-generating clients.
constexpr uint64_t kWidePortLo = 10000;
constexpr uint64_t kWidePortHi = 65535;
// Headroom the seed adds to fs.file-max beyond two files per connection.
constexpr uint64_t kFileMaxHeadroom = 10000;
constexpr char kPortsCheck[] = "net.ipv4.ip_local_port_range";
// How long a worker may be busy elsewhere while SYNs queue at its
// listener: the backlog must hold this much of the connect rate.
constexpr double kAcceptStallS = 0.1;

uint64_t CeilDiv(uint64_t a, uint64_t b) {
  return b == 0 ? 0 : (a + b - 1) / b;
}

uint64_t SatSub(uint64_t a, uint64_t b) { return a > b ? a - b : 0; }

// a * b, saturating instead of wrapping.
uint64_t SatMul(uint64_t a, uint64_t b) {
  uint64_t product = 0;
  return __builtin_mul_overflow(a, b, &product) ? UINT64_MAX : product;
}

std::string Count(uint64_t n, absl::string_view one, absl::string_view many) {
  return absl::StrCat(n, " ", n == 1 ? one : many);
}

std::string Bytes(uint64_t bytes) {
  const double b = static_cast<double>(bytes);
  if (bytes < 2048) return absl::StrCat(bytes, " bytes");
  if (b < 1024.0 * 1024) return absl::StrFormat("%.1f KiB", b / 1024);
  if (b < 1024.0 * 1024 * 1024) return absl::StrFormat("%.1f MiB", b / 1048576);
  return absl::StrFormat("%.1f GiB", b / (1024.0 * 1048576));
}

// A sysctl command as the user must type it here.
std::string Sysctl(const SystemFacts& facts, absl::string_view setting) {
  return absl::StrCat(facts.is_root ? "" : "sudo ", "sysctl -w ", setting);
}

// The fixed-table capacity of one worker ring, after the engine raises the
// soft limit to the hard one, less the reserve.

Finding CheckNofile(const PlannedRun& run, const SystemFacts& facts) {
  const uint64_t files = run.workers + kProcessFileReserve;
  Finding f{.check = "RLIMIT_NOFILE",
            .found = absl::StrCat("soft ", facts.nofile_soft, ", hard ",
                                  facts.nofile_hard),
            .needed = absl::StrCat(files, " process files (",
                                   Count(run.workers, "ring", "rings"), ")")};
  if (facts.nofile_hard < files) {
    f.severity = Severity::kFatal;
    f.text = absl::StrCat("RLIMIT_NOFILE: the hard limit ", facts.nofile_hard,
                          " leaves no room for ", run.workers,
                          " worker rings and the process's own files (", files,
                          " needed)");
    f.fix =
        absl::StrCat("use fewer workers (-w), or raise ulimit -n to ", files);
  } else if (facts.nofile_soft < facts.nofile_hard) {
    f.severity = Severity::kNote;
    f.text = absl::StrCat("the soft limit ", facts.nofile_soft,
                          " is raised to the hard limit ", facts.nofile_hard,
                          " at start");
  }
  return f;
}

// How to raise the per-ring limit to fit `descriptors` over `workers`, or
// plain "raise ulimit -n" where this process may not.
std::string RaiseNofileAdvice(const PlannedRun& run, const SystemFacts& facts,
                              uint64_t descriptors) {
  const uint64_t per_ring =
      CeilDiv(descriptors, std::max(run.workers, 1)) + kFixedFileReserve;
  if (!facts.cap_sys_resource || per_ring > kMaxFixedFiles) {
    return "raise ulimit -n";
  }
  std::string advice = "raise the limit: ";
  if (per_ring > facts.nr_open) {
    absl::StrAppend(
        &advice, Sysctl(facts, absl::StrCat("fs.nr_open=", per_ring)), " && ");
  }
  absl::StrAppend(&advice, "ulimit -n ", per_ring);
  return advice;
}

Finding CheckRings(const PlannedRun& run, const SystemFacts& facts,
                   int& workers_needed) {
  const uint64_t slots = SlotsPerRing(facts);
  const uint64_t descriptors = run.sockets();
  Finding f{.check = "descriptors per io_uring",
            .found = absl::StrCat(Count(run.workers, "worker", "workers"),
                                  " x ", slots)};
  const uint64_t needed = std::max<uint64_t>(1, CeilDiv(descriptors, slots));
  workers_needed = static_cast<int>(std::min<uint64_t>(needed, INT32_MAX));
  if (descriptors == 0) {
    f.needed = "accepted connections";
    f.severity = Severity::kNote;
    f.text = absl::StrCat("the listeners accept at most ",
                          SatMul(slots, run.workers),
                          " connections (RLIMIT_NOFILE per io_uring)");
    return f;
  }
  f.needed = absl::StrCat(Count(descriptors, "descriptor", "descriptors"), ": ",
                          Count(needed, "worker", "workers"));
  if (needed <= static_cast<uint64_t>(run.workers)) return f;
  f.severity = Severity::kFatal;
  const std::string both_ends =
      run.self_connect()
          ? absl::StrCat(" (", descriptors,
                         " descriptors: both ends are in this process)")
          : "";
  f.text = absl::StrCat("--connections: ", run.connections, " connections",
                        both_ends, " need ", needed,
                        " workers here (each io_uring holds at most ",
                        std::min(facts.nofile_hard, kMaxFixedFiles),
                        " descriptors, RLIMIT_NOFILE)");
  const std::string raise = RaiseNofileAdvice(run, facts, descriptors);
  f.fix = needed <= kMaxWorkers
              ? absl::StrCat("use -w ", needed, " or more, or ", raise)
              : absl::StrCat(raise,
                             ", or split the run over several "
                             "tcpkali processes");
  return f;
}

Finding CheckFileMax(const PlannedRun& run, const SystemFacts& facts) {
  const uint64_t files = run.sockets() + run.workers + kProcessFileReserve;
  const uint64_t room = SatSub(facts.file_max, facts.files_allocated);
  Finding f{.check = "fs.file-max",
            .found = absl::StrCat(facts.file_max, " (", facts.files_allocated,
                                  " in use)"),
            .needed = absl::StrCat(files, " more files")};
  if (files <= room) return f;
  // Every socket is a struct file, fixed-table ones too; only processes
  // with CAP_SYS_ADMIN may go past the system-wide limit.
  f.severity = facts.cap_sys_admin ? Severity::kWarning : Severity::kFatal;
  f.text = absl::StrCat("fs.file-max: the system has room for ", room,
                        " more open files; this run needs ", files,
                        facts.cap_sys_admin
                            ? " (allowed as root, but other processes will "
                              "fail to open files)"
                            : "");
  const uint64_t value =
      std::max(kFileMaxHeadroom + 2 * run.sockets(),
               facts.files_allocated + files + kFileMaxHeadroom);
  f.fix = Sysctl(facts, absl::StrCat("fs.file-max=", value));
  return f;
}

// The ephemeral-port arithmetic of a client run.
struct PortEstimate {
  uint64_t span = 0;    // ports per (source, destination) pair
  uint64_t usable_destinations = 0;
  const DestinationPlan* binding = nullptr;  // the one with fewest sources
  uint64_t reachable = 0;
};

PortEstimate EstimatePorts(const PlannedRun& run, const SystemFacts& facts) {
  PortEstimate e;
  if (facts.port_range_hi >= facts.port_range_lo) {
    e.span = facts.port_range_hi - facts.port_range_lo + 1;
  }
  for (const DestinationPlan& d : run.destinations) {
    if (d.source_count == 0) continue;
    ++e.usable_destinations;
    if (e.binding == nullptr || d.source_count < e.binding->source_count) {
      e.binding = &d;
    }
  }
  if (e.binding == nullptr) return e;
  // Round-robin gives every destination the same share, so the one with
  // the fewest sources caps them all. Sockets already open (and TIME-WAIT)
  // hold ports of their own (source, destination) pairs only, which
  // /proc/net/sockstat does not tell apart: subtracting them all would call
  // a run impossible because of unrelated traffic. A run that does run out
  // gets EADDRNOTAVAIL explained once.
  e.reachable =
      SatMul(SatMul(e.usable_destinations, e.binding->source_count), e.span);
  return e;
}

std::string PortsText(const SystemFacts& facts, const PortEstimate& e) {
  const std::string range =
      absl::StrCat("net.ipv4.ip_local_port_range = ", facts.port_range_lo, " ",
                   facts.port_range_hi);
  if (e.binding == nullptr) return "no destination has a source address";
  const std::string sources =
      Count(e.binding->source_count, "source address", "source addresses");
  if (e.usable_destinations == 1) {
    return absl::StrCat("at most ", e.reachable, " connections can reach ",
                        e.binding->name, " from ", sources, " (", range, ")");
  }
  return absl::StrCat("at most ", e.reachable, " connections can reach the ",
                      e.usable_destinations, " destinations round-robin (",
                      e.binding->name, " has ", sources, "; ", range, ")");
}

std::string PortsFix(const PlannedRun& run, const SystemFacts& facts,
                     const PortEstimate& e) {
  std::vector<std::string> options;
  const uint64_t pairs_needed =
      e.span == 0 ? 0
                  : CeilDiv(run.connections,
                            SatMul(std::max<uint64_t>(1, e.usable_destinations),
                                   e.span));
  if (e.binding != nullptr && e.binding->ipv4_loopback) {
    // Every 127/8 address is on lo, so a block needs no configuration;
    // /24 covers most runs and narrower gains nothing.
    for (int prefix = 24; prefix >= 16; --prefix) {
      if ((uint64_t{1} << (32 - prefix)) - 2 >= pairs_needed) {
        options.push_back(absl::StrCat("add --source-ip 127.0.0.0/", prefix));
        break;
      }
    }
  } else if (e.binding != nullptr && pairs_needed > 0 &&
             pairs_needed <= kMaxSourceAddresses) {
    options.push_back(absl::StrCat(
        "add local addresses (ip addr add) and pass them with --source-ip (",
        pairs_needed, " per destination)"));
  }
  if (facts.port_range_lo > kWidePortLo || facts.port_range_hi < kWidePortHi) {
    options.push_back(absl::StrCat(
        "widen it with ",
        Sysctl(facts, absl::StrCat("net.ipv4.ip_local_port_range=\"",
                                   kWidePortLo, " ", kWidePortHi, "\""))));
  }
  options.push_back("add destination ports");
  const std::string last = options.back();
  options.pop_back();
  return absl::StrCat(absl::StrJoin(options, ", "), ", or ", last);
}

Finding CheckPorts(const PlannedRun& run, const SystemFacts& facts,
                   uint64_t& reachable) {
  const PortEstimate e = EstimatePorts(run, facts);
  reachable = e.reachable;
  Finding f{
      .check = kPortsCheck,
      .found = absl::StrCat(facts.port_range_lo, " ", facts.port_range_hi, " (",
                            e.span, " ports)"),
      .needed =
          absl::StrCat(run.connections, " of ", e.reachable, " reachable")};
  if (run.connections <= e.reachable) return f;
  f.severity = Severity::kFatal;
  f.text = absl::StrCat("--connections: ", PortsText(facts, e));
  f.fix = PortsFix(run, facts, e);
  return f;
}

Finding CheckTwReuse(const PlannedRun& run, const SystemFacts& facts) {
  const bool all_loopback =
      std::all_of(run.destinations.begin(), run.destinations.end(),
                  [](const DestinationPlan& d) { return d.loopback; });
  Finding f{.check = "net.ipv4.tcp_tw_reuse",
            .found = absl::StrCat(facts.tw_reuse),
            .needed = all_loopback ? "1 or 2 (loopback)" : "1"};
  if (facts.tw_reuse == 1 || (facts.tw_reuse == 2 && all_loopback)) return f;
  // Without reuse a closed connection holds its port for 60 s; that binds
  // when connections churn, otherwise only across back-to-back runs.
  f.severity = run.reconnects ? Severity::kWarning : Severity::kNote;
  f.text = absl::StrCat(
      "net.ipv4.tcp_tw_reuse = ", facts.tw_reuse,
      ": each closed connection keeps its port in TIME-WAIT for 60 s",
      run.reconnects ? ", and --channel-lifetime closes them all the time"
                     : " (back-to-back runs)");
  f.fix = Sysctl(facts, "net.ipv4.tcp_tw_reuse=1");
  return f;
}

Finding CheckBacklog(const PlannedRun& run, const SystemFacts& facts) {
  const uint64_t effective = std::min(run.listen_backlog, facts.somaxconn);
  // Our own connects arrive at the -r rate spread over the listeners; other
  // peers' rate is unknown, so they get the backlog the engine asks for.
  const uint64_t needed =
      run.self_connect()
          ? static_cast<uint64_t>(
                std::ceil(run.connect_rate_per_s * kAcceptStallS / run.workers))
          : run.listen_backlog;
  Finding f{.check = "net.core.somaxconn",
            .found = absl::StrCat(facts.somaxconn),
            .needed = absl::StrCat("backlog ", needed, " per listener")};
  if (effective >= needed) return f;
  f.severity = run.self_connect() ? Severity::kWarning : Severity::kNote;
  f.text = absl::StrCat(
      "net.core.somaxconn = ", facts.somaxconn,
      " caps each listener's backlog below ", needed,
      ": connection attempts beyond it are dropped and retried a second later");
  f.fix = Sysctl(facts, absl::StrCat("net.core.somaxconn=", needed));
  return f;
}

Finding CheckConntrack(const PlannedRun& run, const SystemFacts& facts) {
  Finding f{.check = "net.netfilter.nf_conntrack_max"};
  if (!facts.conntrack_max.has_value()) {
    f.found = "not loaded";
    f.needed = "-";
    return f;
  }
  const uint64_t needed = run.connections + facts.conntrack_count;
  f.found = absl::StrCat(*facts.conntrack_max, " (", facts.conntrack_count,
                         " tracked)");
  f.needed = run.connections > 0 ? absl::StrCat(needed) : "-";
  if (run.connections == 0 || needed <= *facts.conntrack_max) return f;
  // The module may be loaded with no rule that tracks: nothing is counted
  // then, and only a rule added later would make the limit bind.
  const bool tracking = facts.conntrack_count > 0;
  f.severity = tracking ? Severity::kWarning : Severity::kNote;
  f.text =
      absl::StrCat("net.netfilter.nf_conntrack_max = ", *facts.conntrack_max,
                   tracking ? ": connections past it are dropped"
                              " (\"table full\")"
                            : ": nothing is tracked now, but if firewall"
                              " rules track connections, those past it"
                              " are dropped");
  f.fix =
      Sysctl(facts, absl::StrCat("net.netfilter.nf_conntrack_max=", needed));
  return f;
}

Finding CheckTcpMem(const PlannedRun& run, const SystemFacts& facts) {
  const uint64_t* mem = facts.tcp_mem_pages;
  // A socket with anything queued is charged at least one page.
  const uint64_t pages = run.carries_data ? run.sockets() : 0;
  Finding f{.check = "net.ipv4.tcp_mem",
            .found = absl::StrCat(mem[0], " ", mem[1], " ", mem[2], " pages"),
            .needed = pages > 0 ? absl::StrCat(pages, " pages") : "-"};
  if (mem[2] == 0 || pages <= mem[1]) return f;
  const bool over_max = pages > mem[2];
  f.severity = over_max ? Severity::kWarning : Severity::kNote;
  f.text = absl::StrCat(
      "net.ipv4.tcp_mem: ", run.sockets(),
      " sockets holding data take at least ", pages, " pages (",
      Bytes(SatMul(pages, facts.page_bytes)), ") of TCP buffers; past ",
      over_max ? mem[2] : mem[1],
      over_max ? " pages the kernel refuses to queue more data"
               : " pages the kernel shrinks buffers (memory pressure)");
  f.fix = Sysctl(facts, absl::StrCat("net.ipv4.tcp_mem=\"", mem[0], " ",
                                     std::max(mem[1], pages), " ",
                                     std::max(mem[2], SatMul(2, pages)), "\""));
  return f;
}

Finding CheckMemory(const PlannedRun& run, const SystemFacts& facts,
                    uint64_t& estimate) {
  const uint64_t per_socket = kKernelBytesPerSocket +
                              (run.carries_data ? facts.page_bytes : 0) +
                              run.engine_bytes_per_connection;
  estimate = SatMul(run.sockets(), per_socket);
  const uint64_t available = facts.mem_available_bytes;
  Finding f{.check = "memory",
            .found = absl::StrCat(Bytes(available), " available"),
            .needed = run.sockets() > 0
                          ? absl::StrCat(Bytes(estimate), " (",
                                         Bytes(per_socket), " per socket)")
                          : "-"};
  if (available == 0 || estimate <= available / 4 * 3) return f;
  f.severity = estimate > available ? Severity::kFatal : Severity::kWarning;
  f.text = absl::StrCat("memory: ", run.sockets(), " sockets need about ",
                        Bytes(estimate), " (kernel and tcpkali); ",
                        Bytes(available), " is available");
  const uint64_t sockets_per_connection = run.self_connect() ? 2 : 1;
  f.fix = absl::StrCat(
      "use -c ", available / 4 * 3 / (per_socket * sockets_per_connection),
      " or fewer, or free memory");
  return f;
}

std::string DescribeRun(const PlannedRun& run) {
  std::vector<std::string> parts;
  if (run.connections > 0) {
    parts.push_back(Count(run.connections, "connection", "connections"));
  }
  parts.push_back(Count(run.workers, "worker", "workers"));
  if (!run.destinations.empty()) {
    parts.push_back(
        Count(run.destinations.size(), "destination", "destinations"));
    parts.push_back(
        Count(run.source_count, "source address", "source addresses"));
  }
  if (run.listener) parts.push_back("listener");
  if (run.self_connect()) parts.push_back("self-connect (both ends here)");
  return absl::StrJoin(parts, ", ");
}

const char* SeverityName(Severity severity) {
  switch (severity) {
    case Severity::kOk:
      return "OK";
    case Severity::kNote:
      return "note";
    case Severity::kWarning:
      return "short";
    case Severity::kFatal:
      return "FATAL";
  }
  return "?";
}

std::string Line(const Finding& f) {
  return f.fix.empty() ? f.text : absl::StrCat(f.text, "; ", f.fix);
}

}  // namespace

PlannedRun PlanRun(const Config& config,
                   const std::vector<sockaddr_storage>& destinations,
                   const SourceAddresses& sources) {
  PlannedRun run;
  run.connections = config.IsClient() ? config.connections : 0;
  run.workers = std::max(1, config.workers);
  run.listener = config.IsListener();
  run.connect_rate_per_s = config.connect_rate_per_s;
  run.reconnects = config.channel_lifetime_ns.has_value();
  run.carries_data = !config.messages.empty() ||
                     !config.first_messages.empty() || config.websocket ||
                     config.IsListener();
  run.source_count = sources.addresses().size();
  uint64_t usable = 0, own = 0;
  for (size_t i = 0; i < destinations.size(); ++i) {
    const sockaddr_storage& d = destinations[i];
    const auto mine = i < sources.destination_count()
                          ? sources.For(i)
                          : std::span<const sockaddr_storage>();
    run.destinations.push_back(
        {.name = EndpointToString(d),
         .source_count = mine.size(),
         .ipv4_loopback = d.ss_family == AF_INET && IsLoopback(d),
         .loopback = IsLoopback(d)});
    if (mine.empty()) continue;
    ++usable;
    if (run.listener && ReachesOwnListener(d, mine, config.listen->port)) ++own;
  }
  run.accepted_connections = CeilDiv(SatMul(run.connections, own), usable);
  return run;
}

bool PreflightReport::HasFatal() const {
  return std::any_of(findings.begin(), findings.end(), [](const Finding& f) {
    return f.severity == Severity::kFatal;
  });
}

PreflightReport Preflight(const PlannedRun& run, const SystemFacts& facts) {
  PreflightReport report;
  report.run = DescribeRun(run);
  report.mem_available_bytes = facts.mem_available_bytes;
  std::vector<Finding>& out = report.findings;
  out.push_back(CheckNofile(run, facts));
  out.push_back(CheckRings(run, facts, report.workers_needed));
  if (run.connections > 0) {
    out.push_back(CheckPorts(run, facts, report.reachable_connections));
    out.push_back(CheckTwReuse(run, facts));
  }
  out.push_back(CheckFileMax(run, facts));
  out.push_back(CheckMemory(run, facts, report.est_memory_bytes));
  if (run.listener) out.push_back(CheckBacklog(run, facts));
  out.push_back(CheckConntrack(run, facts));
  out.push_back(CheckTcpMem(run, facts));
  if (!facts.unreadable.empty()) {
    out.push_back({.check = "unreadable",
                   .found = absl::StrJoin(facts.unreadable, ", "),
                   .needed = "-",
                   .severity = Severity::kNote,
                   .text = "could not read " +
                           absl::StrJoin(facts.unreadable, ", ") +
                           "; checked against the stock kernel defaults"});
  }
  return report;
}

std::string FormatPreflight(const PreflightReport& report) {
  size_t widths[3] = {5, 5, 6};  // "check", "found", "needed"
  for (const Finding& f : report.findings) {
    widths[0] = std::max(widths[0], f.check.size());
    widths[1] = std::max(widths[1], f.found.size());
    widths[2] = std::max(widths[2], f.needed.size());
  }
  auto row = [&](std::string_view a, std::string_view b, std::string_view c,
                 std::string_view d) {
    return absl::StrFormat("%-*s  %-*s  %-*s  %s\n", widths[0], a, widths[1], b,
                           widths[2], c, d);
  };
  std::string out = absl::StrCat("Limits check for ", report.run, "\n");
  out += row("check", "found", "needed", "status");
  for (const Finding& f : report.findings) {
    out += row(f.check, f.found, f.needed, SeverityName(f.severity));
    if (f.severity == Severity::kOk) continue;
    absl::StrAppend(&out, "    ", f.text, "\n");
    if (!f.fix.empty()) absl::StrAppend(&out, "    fix: ", f.fix, "\n");
  }
  const bool client =
      std::any_of(report.findings.begin(), report.findings.end(),
                  [](const Finding& f) { return f.check == kPortsCheck; });
  if (client) {
    absl::StrAppend(
        &out, "Reachable connections: ", report.reachable_connections, "\n");
  }
  absl::StrAppend(&out, "Workers needed: ", report.workers_needed, "\n",
                  "Memory: about ", Bytes(report.est_memory_bytes), " of ",
                  Bytes(report.mem_available_bytes), " available\n");
  absl::StrAppend(&out, report.HasFatal()
                            ? "Verdict: the run cannot go ahead (exit 70).\n"
                            : "Verdict: the run fits.\n");
  return out;
}

std::string FormatShortfalls(const PreflightReport& report) {
  std::string out;
  bool first_fatal = true;
  for (const Finding& f : report.findings) {
    if (f.severity == Severity::kFatal && first_fatal) {
      first_fatal = false;
      continue;
    }
    if (f.severity == Severity::kWarning || f.severity == Severity::kFatal) {
      absl::StrAppend(&out, "tcpkali: ", Line(f), "\n");
    }
  }
  return out;
}

absl::Status PreflightStatus(const PreflightReport& report) {
  for (const Finding& f : report.findings) {
    if (f.severity == Severity::kFatal) {
      return absl::ResourceExhaustedError(Line(f));
    }
  }
  return absl::OkStatus();
}

std::string ExplainAddressNotAvailable(const PlannedRun& run,
                                       const SystemFacts& facts) {
  const PortEstimate e = EstimatePorts(run, facts);
  return absl::StrCat("connect: no free local port (EADDRNOTAVAIL): ",
                      PortsText(facts, e), "; ", PortsFix(run, facts, e));
}

uint64_t SlotsPerRing(const SystemFacts& facts) {
  const uint64_t table = std::min(facts.nofile_hard, kMaxFixedFiles);
  return table > 2 * kFixedFileReserve ? table - kFixedFileReserve
                                       : std::max<uint64_t>(1, table / 2);
}

}  // namespace tcpkali::engine
