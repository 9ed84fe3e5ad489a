#include "cli/validate.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cmath>
#include <cstring>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"

namespace tcpkali::cli {
namespace {

using engine::Config;
using engine::ListenMode;
using engine::MessageSpec;

absl::Status Usage(std::string_view option, std::string_view what,
                   std::string_view accepted) {
  return absl::InvalidArgumentError(
      absl::StrCat(absl::string_view(option.data(), option.size()), ": ",
                   absl::string_view(what.data(), what.size()), "; expected ",
                   absl::string_view(accepted.data(), accepted.size())));
}

bool SendsMessages(const Config& config) { return !config.messages.empty(); }

// Shortest decimal form of a value for messages: 100, 0.5, 1e+20.
std::string Num(double value) { return absl::StrFormat("%g", value); }

// What to connect to and what to listen for.
absl::Status CheckEndpoints(const Config& config) {
  if (!config.IsClient() && !config.IsListener()) {
    return Usage("destination", "none given and no --listen-port",
                 "host:port[/path] arguments, or -l [host:]port");
  }
  if (config.IsClient() && config.connections == 0) {
    return Usage("--connections", "0 with destinations given",
                 "at least 1 connection");
  }
  if (config.listen_mode != ListenMode::kSilent && !config.IsListener()) {
    return Usage("--listen-mode", "needs --listen-port",
                 "-l [host:]port with --listen-mode active or echo");
  }
  if (config.listen_mode == ListenMode::kActive && !SendsMessages(config)) {
    return Usage("--listen-mode", "active has no message to send",
                 "-m or -f with --listen-mode active");
  }
  if (!config.ws_headers.empty() && !config.websocket) {
    return Usage("--header", "needs --ws", "--ws with -H");
  }
  return absl::OkStatus();
}

// How many connections and workers, how fast.
absl::Status CheckCounts(const Config& config) {
  if (config.IsClient() && !(config.connect_rate_per_s > 0 &&
                             std::isfinite(config.connect_rate_per_s))) {
    return Usage("--connect-rate",
                 Num(config.connect_rate_per_s) +
                     " new connections per second is not positive",
                 "a positive rate such as 100 or 0.5");
  }
  if (config.connect_timeout_ns <= 0) {
    return Usage("--connect-timeout", "must be longer than 0",
                 "a time such as 1s or 250ms");
  }
  if (config.workers < 0) {
    return Usage("--workers", absl::StrCat(config.workers, " is negative"),
                 absl::StrCat("1 to ", kMaxWorkers, " workers"));
  }
  if (config.workers > kMaxWorkers) {
    return Usage("--workers",
                 absl::StrCat(config.workers, " is more than ", kMaxWorkers),
                 absl::StrCat("1 to ", kMaxWorkers, " workers"));
  }
  return absl::OkStatus();
}

// Message pacing and bandwidth.
absl::Status CheckPacing(const Config& config) {
  const bool rate_given = config.message_rate_per_s.has_value() ||
                          config.message_rate_target_latency_ns.has_value();
  if (rate_given && !SendsMessages(config)) {
    return Usage("--message-rate", "there is no message to pace",
                 "-m or -f with --message-rate");
  }
  if (config.message_rate_per_s &&
      !(*config.message_rate_per_s > 0 &&
        std::isfinite(*config.message_rate_per_s))) {
    return Usage("--message-rate",
                 Num(*config.message_rate_per_s) + " is not positive",
                 "a positive rate such as 100 or 0.5, or @<T>");
  }
  if (config.message_rate_target_latency_ns && !config.latency_marker) {
    return Usage("--message-rate", "@<T> needs --latency-marker",
                 "--latency-marker with --message-rate @<T>");
  }
  if (config.upstream_bytes_per_s && !(*config.upstream_bytes_per_s > 0)) {
    return Usage("--channel-bandwidth", "0 would never send",
                 "a positive bandwidth such as 10Mbps");
  }
  if (config.delay_send_ns < 0) {
    return Usage("--delay-send", "is negative", "a time such as 0 or 100ms");
  }
  return absl::OkStatus();
}

absl::Status CheckLatency(const Config& config) {
  if (config.latency_marker_skip > 0 && !config.latency_marker) {
    return Usage("--latency-marker-skip", "needs --latency-marker",
                 "--latency-marker with --latency-marker-skip");
  }
  if (config.latency_marker && config.messages.empty() &&
      config.first_messages.empty()) {
    return Usage("--latency-marker", "there is no message to time",
                 "-m, -f or --first-message with --latency-marker");
  }
  if (config.latency_percentiles.size() !=
      config.latency_percentile_names.size()) {
    return absl::InternalError(
        "--latency-percentiles: values and names differ in number");
  }
  for (double p : config.latency_percentiles) {
    if (!(p > 0 && p <= 100)) {
      return Usage("--latency-percentiles", Num(p) + " is outside (0,100]",
                   "percentiles such as 95,99,99.9");
    }
  }
  return absl::OkStatus();
}

absl::Status CheckSockets(const Config& config) {
  if (config.statsd_port == 0) {
    return Usage("--statsd-port", "0 is not a port", "1..65535");
  }
  if (config.rcvbuf_bytes == 0u) {
    return Usage("--rcvbuf", "0 bytes is no buffer", "a size such as 64k");
  }
  if (config.sndbuf_bytes == 0u) {
    return Usage("--sndbuf", "0 bytes is no buffer", "a size such as 64k");
  }
  return absl::OkStatus();
}

// Exit 65 (DataLoss) for a file message that cannot be read.
absl::Status CheckReadable(const std::vector<MessageSpec>& messages,
                           std::string_view option) {
  for (const MessageSpec& message : messages) {
    if (message.kind != MessageSpec::kFile) continue;
    const int fd = open(message.data.c_str(), O_RDONLY | O_CLOEXEC);
    int error = fd < 0 ? errno : 0;
    struct stat st;
    if (fd >= 0 && fstat(fd, &st) == 0 && S_ISDIR(st.st_mode)) error = EISDIR;
    if (fd >= 0) close(fd);
    if (error != 0) {
      return absl::DataLossError(absl::StrCat(
          absl::string_view(option.data(), option.size()), ": cannot read \"",
          message.data, "\": ", std::strerror(error),
          "; expected a readable file"));
    }
  }
  return absl::OkStatus();
}

absl::Status CheckFiles(const Config& config) {
  absl::Status status =
      CheckReadable(config.first_messages, "--first-message-file");
  if (!status.ok()) return status;
  return CheckReadable(config.messages, "--message-file");
}

void FillWorkers(Config& config, const MachineFacts& machine,
                 std::vector<Diagnostic>& out) {
  const int cpus = std::max(1, machine.cpu_count);
  if (config.workers == 0) {
    config.workers = cpus;
    if (!config.IsListener()) {
      config.workers = static_cast<int>(
          std::min<uint64_t>(cpus, std::max<uint64_t>(1, config.connections)));
    }
  } else if (config.workers > cpus) {
    out.push_back({Diagnostic::Severity::kNote,
                   absl::StrCat("--workers: ", config.workers,
                                " workers share ", cpus, " CPUs")});
  }
}

// --write-combine off asks for one message per send; Nagle's algorithm
// would merge them again on the wire, so it goes off too unless --nagle
// says otherwise.
void ApplyWriteCombine(Config& config, std::vector<Diagnostic>& out) {
  if (config.write_combine || config.nagle.has_value()) return;
  config.nagle = false;
  out.push_back({Diagnostic::Severity::kNote,
                 "--write-combine off: also --nagle off (one message per "
                 "packet); give --nagle on to keep Nagle's algorithm"});
}

void AddWarnings(const Config& config, std::vector<Diagnostic>& out) {
  using Severity = Diagnostic::Severity;
  if (config.IsClient() && config.duration_ns.has_value()) {
    const double ramp_s =
        static_cast<double>(config.connections) / config.connect_rate_per_s;
    if (ramp_s * 1e9 > static_cast<double>(*config.duration_ns)) {
      out.push_back(
          {Severity::kWarning,
           absl::StrCat("--connections: opening ", config.connections,
                        " at --connect-rate ", Num(config.connect_rate_per_s),
                        " takes ", Num(ramp_s), " s, longer than --duration ",
                        Num(*config.duration_ns / 1e9),
                        " s; the ramp-up will fail (exit 1)")});
    }
  }
  if (!config.IsClient() && config.listen_mode == ListenMode::kSilent &&
      (!config.messages.empty() || !config.first_messages.empty())) {
    out.push_back({Severity::kWarning,
                   "--message: nothing will send it: there is no destination "
                   "and --listen-mode is silent"});
  }
  if (!config.statsd && config.statsd_latency_window_ns) {
    out.push_back({Severity::kWarning,
                   "--statsd-latency-window: has no effect without --statsd"});
  }
}

}  // namespace

MachineFacts ProbeMachine() {
  const long cpus = sysconf(_SC_NPROCESSORS_ONLN);
  return MachineFacts{.cpu_count = cpus > 0 ? static_cast<int>(cpus) : 1};
}

std::string FormatDiagnostic(const Diagnostic& diagnostic) {
  return absl::StrCat("tcpkali: ",
                      diagnostic.severity == Diagnostic::Severity::kNote
                          ? "note: "
                          : "warning: ",
                      diagnostic.message);
}

absl::StatusOr<std::vector<Diagnostic>> Validate(Config& config,
                                                 const MachineFacts& machine) {
  // Usage errors first: a contradiction is worth reporting before a file
  // that cannot be read.
  for (auto check : {CheckEndpoints, CheckCounts, CheckPacing, CheckLatency,
                     CheckSockets, CheckFiles}) {
    if (absl::Status s = check(config); !s.ok()) return s;
  }
  std::vector<Diagnostic> diagnostics;
  FillWorkers(config, machine, diagnostics);
  ApplyWriteCombine(config, diagnostics);
  AddWarnings(config, diagnostics);
  return diagnostics;
}

}  // namespace tcpkali::cli
