#include "engine/plan_builder.h"

#include <netinet/in.h>
#include <sys/random.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

#include "absl/strings/str_cat.h"
#include "engine/clock.h"
#include "engine/limits.h"
#include "engine/source_addresses.h"
#include "engine/sysctl.h"

namespace tcpkali::engine {
namespace {

// Scratch chunks per worker for messages expanded at send time; each is
// held by one connection while its send is in flight.
constexpr uint32_t kScratchChunks = 1024;

uint64_t RandomSeed() {
  uint64_t seed = 0;
  if (getrandom(&seed, sizeof seed, 0) != sizeof seed) {
    seed = static_cast<uint64_t>(MonotonicNs());
  }
  return seed;
}

// Holds the listen port (and learns it, for port 0) with a regular socket
// until the workers have bound their own listeners to it.
absl::StatusOr<int> HoldListenPort(Endpoint& listen) {
  const int fd = socket(listen.family(), SOCK_STREAM | SOCK_CLOEXEC, IPPROTO_TCP);
  if (fd < 0) {
    return absl::ResourceExhaustedError(
        absl::StrCat("--listen-port: socket: ", std::strerror(errno)));
  }
  const int one = 1, zero = 0;
  setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  setsockopt(fd, SOL_SOCKET, SO_REUSEPORT, &one, sizeof one);
  if (listen.family() == AF_INET6) {
    setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &zero, sizeof zero);
  }
  if (bind(fd, listen.sockaddr_ptr(), listen.address_bytes) != 0) {
    const int err = errno;
    close(fd);
    return absl::UnavailableError(absl::StrCat(
        "--listen-port: cannot listen on ", FormatEndpoint(listen.sockaddr_ptr()),
        ": ", std::strerror(err),
        err == EADDRINUSE ? "; another process holds the port: pick another"
                          : ""));
  }
  socklen_t len = sizeof listen.address;
  getsockname(fd, reinterpret_cast<sockaddr*>(&listen.address), &len);
  return fd;
}

// The first messages back to back, when every one of them is static.
std::optional<std::string> FirstStatic(const CompiledMessages& m) {
  std::string all;
  for (const CompiledMessage& msg : m.first) {
    if (msg.scope() != MessageScope::kStatic) return std::nullopt;
    all.append(msg.static_bytes().data(), msg.static_bytes().size());
  }
  return all;
}

bool NeedsScratch(const CompiledMessages& m) {
  if (!m.repeated.empty() && m.repeated_scope() == MessageScope::kPerMessage) {
    return true;
  }
  return !m.first.empty() && !FirstStatic(m).has_value();
}

size_t ScratchBytes(const CompiledMessages& m) {
  size_t first = 0;
  for (const CompiledMessage& msg : m.first) first += msg.max_bytes();
  return std::max({size_t{64} * 1024, first, m.max_message_bytes()});
}

// Compiles one side's messages and lays out what can be shared.
absl::Status PlanMessages(const Config& config, bool server, RunPlan& plan) {
  CompileOptions options{.websocket = config.websocket,
                         .masked = config.websocket && !server,
                         .run_seed = plan.run_seed};
  auto compiled = CompileMessages(config, options);
  if (!compiled.ok()) return compiled.status();
  CompiledMessages& m = server ? plan.server_messages : plan.client_messages;
  m = std::move(*compiled);
  std::optional<StaticStream>& stream = server ? plan.server_stream : plan.client_stream;
  if (!m.repeated.empty() && m.repeated_scope() == MessageScope::kStatic) {
    auto built = StaticStream::Build(
        m.repeated, StaticStreamTargetBytes(server ? 0 : config.connections));
    if (!built.ok()) return built.status();
    stream.emplace(std::move(*built));
  }
  (server ? plan.server_first_static : plan.client_first_static) = FirstStatic(m);
  if (!m.repeated.empty() && m.repeated_scope() == MessageScope::kPerConnection) {
    // {bytes, cycle}, the message ends, the stream: 8-byte aligned.
    const size_t region = 2 * sizeof(uint64_t) + m.repeated.size() * sizeof(uint64_t) +
                          ConnectionStreamBytes(m.repeated, plan.conn_stream_target_bytes);
    plan.conn_stream_region_bytes =
        std::max(plan.conn_stream_region_bytes, (region + 7) / 8 * 8);
  }
  if (NeedsScratch(m)) {
    plan.scratch_chunks = kScratchChunks;
    plan.scratch_chunk_bytes = std::max(plan.scratch_chunk_bytes, ScratchBytes(m));
  }
  return absl::OkStatus();
}

absl::Status PlanRates(const Config& config, RunPlan& plan) {
  if (config.message_rate_per_s || config.message_rate_target_latency_ns) {
    auto spec = MessageRateSpec(config.message_rate_per_s.value_or(kSearchStartRate));
    if (!spec.ok()) return spec.status();
    plan.message_rate = *spec;
    plan.auto_rate = config.message_rate_target_latency_ns.has_value();
  }
  if (config.upstream_bytes_per_s) {
    auto spec = ByteRateSpec(*config.upstream_bytes_per_s);
    if (!spec.ok()) return spec.status();
    plan.upstream_rate = *spec;
  }
  if (config.downstream_bytes_per_s) {
    auto spec = ByteRateSpec(*config.downstream_bytes_per_s);
    if (!spec.ok()) return spec.status();
    plan.downstream_rate = *spec;
  }
  if (config.latency_marker) {
    // A marker may be written with expressions, but it is matched as fixed
    // bytes: it must expand the same for every connection and message.
    auto marker = CompileMessage(*config.latency_marker, "--latency-marker", 0,
                                 CompileOptions{.run_seed = plan.run_seed});
    if (!marker.ok()) return marker.status();
    if (marker->scope() != MessageScope::kStatic) {
      return absl::InvalidArgumentError(
          "--latency-marker: the marker must be the same for every connection "
          "and message; use literal text, files or \\{global.re}");
    }
    auto matcher = StreamMatcher::Create(std::string(marker->static_bytes()));
    if (!matcher.ok()) return matcher.status();
    plan.latency_marker.emplace(std::move(*matcher));
  }
  if (config.message_stop) {
    auto matcher = StreamMatcher::Create(*config.message_stop);
    if (!matcher.ok()) return matcher.status();
    plan.message_stop.emplace(std::move(*matcher));
  }
  return absl::OkStatus();
}

// Addresses: destinations, their source addresses, the listener.
absl::Status PlanAddresses(const Config& config, RunPlan& plan,
                           SourceAddresses& sources,
                           std::vector<sockaddr_storage>& destinations) {
  std::vector<Endpoint> resolved;
  if (config.IsClient()) {
    auto r = ResolveDestinations(config.destinations);
    if (!r.ok()) return r.status();
    resolved = std::move(*r);
  }
  for (const Endpoint& e : resolved) destinations.push_back(e.address);
  SystemAddressProbe probe;
  auto s = ResolveSourceAddresses(config.source_ips, destinations, probe);
  if (!s.ok()) return s.status();
  sources = std::move(*s);
  // Bind explicitly only where there is a choice to make: with --source-ip,
  // or when the interface has several addresses. A single default address
  // is what the kernel would pick anyway, without two extra operations.
  const bool explicit_sources = !config.source_ips.empty();
  for (size_t i = 0; i < resolved.size(); ++i) {
    std::span<const sockaddr_storage> list = sources.For(i);
    if (list.empty()) continue;  // no source of its family: skip it
    plan.endpoints.push_back(resolved[i]);
    std::vector<Endpoint> bind_to;
    if (explicit_sources || list.size() > 1) {
      for (const sockaddr_storage& a : list) {
        Endpoint e;
        e.address = a;
        e.address_bytes = a.ss_family == AF_INET ? sizeof(sockaddr_in)
                                                 : sizeof(sockaddr_in6);
        bind_to.push_back(e);
      }
    }
    plan.sources.push_back(std::move(bind_to));
  }
  if (config.IsClient() && plan.endpoints.empty()) {
    return absl::InvalidArgumentError(
        "--source-ip: no source address matches the family of any "
        "destination; give one of the same family (IPv4 or IPv6)");
  }
  if (config.listen) {
    auto listen = ResolveListenAddress(*config.listen);
    if (!listen.ok()) return listen.status();
    plan.listen = *listen;
    // Destinations without a source of their family get no connections.
    bool own = !plan.endpoints.empty();
    for (size_t i = 0; i < resolved.size(); ++i) {
      const std::span<const sockaddr_storage> mine = sources.For(i);
      if (!mine.empty() &&
          !ReachesOwnListener(resolved[i].address, mine, config.listen->port)) {
        own = false;
      }
    }
    plan.clients_reach_own_listener = own;
  }
  return absl::OkStatus();
}

// Receive buffers per worker: multishot receives take one for every piece
// of data the kernel finds, so a worker needs about one per connection
// that receives at once, or it runs dry (-ENOBUFS) in bursts. Untouched
// buffers cost address space only; many connections get smaller buffers.
void SizeReceiveBuffers(RunPlan& plan) {
  const uint64_t clients = (plan.client_connections + plan.workers - 1) / plan.workers;
  uint64_t receivers = clients;
  if (plan.listen) receivers += clients > 0 ? clients : 1024;
  uint32_t count = 256;
  while (count < receivers && count < 8192) count *= 2;
  plan.recv_buffers = count;
  plan.recv_buffer_bytes = count <= 2048 ? 16 * 1024 : 4 * 1024;
}

// --rcvbuf/--sndbuf: what the kernel makes of the size, tried on a socket
// now; a line for each that it does not take as asked (Linux doubles the
// value for its bookkeeping and clamps it to net.core.rmem_max/wmem_max).
std::string CheckSocketBuffers(const Config& config) {
  std::string out;
  const int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return out;
  struct Check {
    const std::optional<uint64_t>& bytes;
    int option;
    const char* flag;
    const char* sysctl;
  };
  for (const Check& c :
       {Check{config.rcvbuf_bytes, SO_RCVBUF, "--rcvbuf", "net.core.rmem_max"},
        Check{config.sndbuf_bytes, SO_SNDBUF, "--sndbuf", "net.core.wmem_max"}}) {
    if (!c.bytes) continue;
    const int asked = static_cast<int>(std::min<uint64_t>(*c.bytes, INT32_MAX / 2));
    int got = 0;
    socklen_t len = sizeof got;
    setsockopt(fd, SOL_SOCKET, c.option, &asked, sizeof asked);
    getsockopt(fd, SOL_SOCKET, c.option, &got, &len);
    if (got / 2 < asked) {
      absl::StrAppend(&out, "tcpkali: warning: ", c.flag, " ", *c.bytes,
                      ": the kernel caps it at ", got / 2, " bytes (", c.sysctl,
                      "); sysctl -w ", c.sysctl, "=", asked, "\n");
    } else if (got / 2 > asked) {
      absl::StrAppend(&out, "tcpkali: warning: ", c.flag, " ", *c.bytes,
                      ": the kernel raises it to its minimum, ", got / 2,
                      " bytes\n");
    }
  }
  close(fd);
  return out;
}

}  // namespace

absl::StatusOr<PlanResult> BuildRunPlan(const Config& config) {
  PlanResult result;
  result.plan = std::make_unique<RunPlan>();
  RunPlan& plan = *result.plan;
  plan.config = &config;
  plan.run_seed = RandomSeed();
  plan.realtime_offset_ns = RealtimeOffsetNs();
  plan.workers = std::max(1, config.workers);

  auto features = ProbeKernelFeatures();
  if (!features.ok()) return features.status();
  plan.features = *features;
  plan.socket_setup_in_ring = features->setsockopt_cmd && features->bind_op &&
                              features->listen_op;

  auto nofile = RaiseNofileLimit();
  if (!nofile.ok()) return nofile.status();

  SourceAddresses sources;
  std::vector<sockaddr_storage> destinations;
  if (absl::Status s = PlanAddresses(config, plan, sources, destinations); !s.ok()) {
    return s;
  }

  ProcSysctlReader reader;
  auto facts = ReadSystemFacts(reader);
  if (!facts.ok()) return facts.status();
  PlannedRun planned = PlanRun(config, destinations, sources);
  PreflightReport report = Preflight(planned, *facts);
  plan.no_address_explanation = ExplainAddressNotAvailable(planned, *facts);
  const uint64_t per_ring = SlotsPerRing(*facts);
  if (report.workers_needed > plan.workers && !config.workers_explicit) {
    // The descriptor limit binds: more rings, each with its own table.
    absl::StrAppend(&result.notes, "tcpkali: note: using ", report.workers_needed,
                    " workers: each io_uring holds at most ", per_ring,
                    " connections here (RLIMIT_NOFILE ", facts->nofile_hard,
                    ")\n");
    plan.workers = report.workers_needed;
    planned.workers = plan.workers;
    report = Preflight(planned, *facts);
  }
  if (config.check_limits_only) {
    result.limits_report = FormatPreflight(report);
    result.limits_fatal = report.HasFatal();
    return result;
  }
  absl::StrAppend(&result.notes, FormatShortfalls(report));
  absl::StrAppend(&result.notes, CheckSocketBuffers(config));
  if (config.IsListener() && !config.IsClient() && config.verbosity >= 2) {
    absl::StrAppend(&result.notes, "tcpkali: note: ", plan.workers,
                    " workers accept at most ", plan.workers * per_ring,
                    " connections (", per_ring,
                    " each, RLIMIT_NOFILE); more need more workers (-w)\n");
  }
  if (absl::Status s = PreflightStatus(report); !s.ok()) return s;

  plan.client_connections = config.IsClient() ? config.connections : 0;
  plan.connect_rate_per_s = config.connect_rate_per_s;
  plan.connect_timeout_ns = config.connect_timeout_ns;
  plan.channel_lifetime_ns = config.channel_lifetime_ns;
  if (plan.listen) {
    const uint64_t clients = (plan.client_connections + plan.workers - 1) / plan.workers;
    const uint64_t room = per_ring > clients ? per_ring - clients : 1;
    plan.accept_slots = static_cast<uint32_t>(std::min<uint64_t>(room, 1u << 20));
    plan.listen_backlog = static_cast<int>(
        std::min<uint64_t>(facts->somaxconn, kDefaultListenBacklog));
  }

  SizeReceiveBuffers(plan);
  if (config.IsClient()) {
    if (absl::Status s = PlanMessages(config, false, plan); !s.ok()) return s;
  }
  if (config.listen && config.listen_mode == ListenMode::kActive) {
    if (absl::Status s = PlanMessages(config, true, plan); !s.ok()) return s;
  }
  if (absl::Status s = PlanRates(config, plan); !s.ok()) return s;
  if (config.websocket) {
    // Handshakes, and echoed frames, go out of scratch chunks.
    plan.scratch_chunks = kScratchChunks;
    plan.scratch_chunk_bytes = std::max<size_t>(plan.scratch_chunk_bytes,
                                                2 * plan.recv_buffer_bytes);
  }

  if (plan.listen) {
    auto holder = HoldListenPort(*plan.listen);
    if (!holder.ok()) return holder.status();
    result.port_holder_fd = *holder;
  }
  return result;
}

}  // namespace tcpkali::engine
