#include "cli/flags.h"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstdint>
#include <cxxopts.hpp>
#include <exception>
#include <limits>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "cli/addresses.h"
#include "cli/options.h"
#include "cli/units.h"
#include "engine/unescape.h"

namespace tcpkali::cli {
namespace {

using engine::Config;
using engine::MessageSpec;

absl::string_view Av(std::string_view s) { return {s.data(), s.size()}; }

// cxxopts hands a flag this value when it is given without "=value"; no one
// types it, so any other value means the user wrote "--flag=something".
constexpr std::string_view kFlagGiven = "\x1f";

// What the parse has seen so far, beyond the Config itself.
struct FlagState {
  Config config;
  bool percentiles_given = false;
  std::optional<std::string> channel_bandwidth;           // as written
  std::optional<std::string> channel_bandwidth_upstream;  // as written
};

using Handler = absl::Status (*)(std::string_view value, FlagState& state);

absl::Status Bad(std::string_view value, std::string_view what,
                 std::string_view accepted) {
  return absl::InvalidArgumentError(absl::StrCat(
      "\"", Av(value), "\" ", Av(what), "; expected ", Av(accepted)));
}

absl::Status NotEmpty(std::string_view value) {
  if (!value.empty()) return absl::OkStatus();
  return absl::InvalidArgumentError("empty value; expected a non-empty string");
}

template <auto kField>
absl::Status SetTrue(std::string_view, FlagState& state) {
  state.config.*kField = true;
  return absl::OkStatus();
}

template <auto kField>
absl::Status SetTime(std::string_view value, FlagState& state) {
  absl::StatusOr<int64_t> ns = ParseDurationNs(value);
  if (!ns.ok()) return ns.status();
  state.config.*kField = *ns;
  return absl::OkStatus();
}

template <auto kField>
absl::Status SetCount(std::string_view value, FlagState& state) {
  absl::StatusOr<uint64_t> count = ParseCount(value);
  if (!count.ok()) return count.status();
  state.config.*kField = *count;
  return absl::OkStatus();
}

template <auto kField>
absl::Status SetSize(std::string_view value, FlagState& state) {
  absl::StatusOr<uint64_t> bytes = ParseSize(value);
  if (!bytes.ok()) return bytes.status();
  state.config.*kField = *bytes;
  return absl::OkStatus();
}

template <auto kField>
absl::Status SetText(std::string_view value, FlagState& state) {
  if (absl::Status s = NotEmpty(value); !s.ok()) return s;
  state.config.*kField = std::string(value);
  return absl::OkStatus();
}

absl::StatusOr<bool> ParseOnOff(std::string_view value) {
  if (value == "on") return true;
  if (value == "off") return false;
  return Bad(value, "is neither on nor off", "on or off");
}

template <auto kField>
absl::Status SetOnOff(std::string_view value, FlagState& state) {
  absl::StatusOr<bool> on = ParseOnOff(value);
  if (!on.ok()) return on.status();
  state.config.*kField = *on;
  return absl::OkStatus();
}

template <auto kField, MessageSpec::Kind kKind>
absl::Status AddMessage(std::string_view value, FlagState& state) {
  if constexpr (kKind == MessageSpec::kFile) {
    if (absl::Status s = NotEmpty(value); !s.ok()) return s;
  }
  (state.config.*kField).push_back({.kind = kKind, .data = std::string(value)});
  return absl::OkStatus();
}

absl::StatusOr<uint64_t> CountInRange(std::string_view value, uint64_t min,
                                      uint64_t max, std::string_view accepted) {
  absl::StatusOr<uint64_t> n = ParseCount(value);
  if (!n.ok()) return n.status();
  if (*n < min || *n > max) return Bad(value, "is out of range", accepted);
  return *n;
}

absl::Status SetVerbosity(std::string_view value, FlagState& state, int max) {
  absl::StatusOr<uint64_t> level =
      CountInRange(value, 0, max, absl::StrCat("a level from 0 to ", max));
  if (!level.ok()) return level.status();
  state.config.verbosity = static_cast<int>(*level);
  return absl::OkStatus();
}

absl::Status OnWorkers(std::string_view value, FlagState& state) {
  absl::StatusOr<uint64_t> n = ParseCount(value);
  if (!n.ok()) return n.status();
  if (*n == 0) return Bad(value, "is not a worker count", "1 to 1024");
  // Past 1024 is Validate()'s to report; here it only has to fit.
  state.config.workers =
      static_cast<int>(std::min<uint64_t>(*n, std::numeric_limits<int>::max()));
  state.config.workers_explicit = true;
  return absl::OkStatus();
}

absl::Status OnDuration(std::string_view value, FlagState& state) {
  if (value == "-1") {
    state.config.duration_ns.reset();
    return absl::OkStatus();
  }
  return SetTime<&Config::duration_ns>(value, state);
}

absl::Status OnConnectRate(std::string_view value, FlagState& state) {
  absl::StatusOr<double> rate = ParseRate(value);
  if (!rate.ok()) return rate.status();
  state.config.connect_rate_per_s = *rate;
  return absl::OkStatus();
}

absl::Status OnBandwidth(std::string_view value, std::optional<double>& field) {
  absl::StatusOr<double> bytes_per_s = ParseBandwidth(value);
  if (!bytes_per_s.ok()) return bytes_per_s.status();
  field = *bytes_per_s;
  return absl::OkStatus();
}

absl::Status OnListenPort(std::string_view value, FlagState& state) {
  absl::StatusOr<engine::ListenAddress> listen = ParseListenAddress(value);
  if (!listen.ok()) return listen.status();
  state.config.listen = *listen;
  return absl::OkStatus();
}

absl::Status OnListenMode(std::string_view value, FlagState& state) {
  using engine::ListenMode;
  if (value == "silent") {
    state.config.listen_mode = ListenMode::kSilent;
  } else if (value == "active") {
    state.config.listen_mode = ListenMode::kActive;
  } else if (value == "echo") {
    state.config.listen_mode = ListenMode::kEcho;
  } else {
    return Bad(value, "is not a listen mode", "silent, active or echo");
  }
  return absl::OkStatus();
}

absl::Status OnSourceIp(std::string_view value, FlagState& state) {
  if (absl::Status s = CheckSourceIp(value); !s.ok()) return s;
  state.config.source_ips.emplace_back(value);
  return absl::OkStatus();
}

absl::Status OnHeader(std::string_view value, FlagState& state) {
  if (absl::Status s = NotEmpty(value); !s.ok()) return s;
  state.config.ws_headers.emplace_back(value);
  return absl::OkStatus();
}

absl::Status OnMessageRate(std::string_view value, FlagState& state) {
  Config& config = state.config;
  if (value.starts_with('@')) {
    absl::StatusOr<int64_t> ns = ParseDurationNs(value.substr(1));
    if (!ns.ok()) return ns.status();
    if (*ns <= 0) {
      return Bad(value, "is not a positive latency", "@<T> such as @10ms");
    }
    config.message_rate_target_latency_ns = *ns;
    config.message_rate_per_s.reset();
    return absl::OkStatus();
  }
  absl::StatusOr<double> rate = ParseRate(value);
  if (!rate.ok()) return rate.status();
  config.message_rate_per_s = *rate;
  config.message_rate_target_latency_ns.reset();
  return absl::OkStatus();
}

constexpr std::string_view kPercentileForms =
    "numbers in (0,100] separated by , or /, e.g. 95,99,99.9";

absl::Status AddPercentile(std::string_view item, FlagState& state) {
  double value = 0;
  const char* end = item.data() + item.size();
  const bool plain =
      !item.empty() && item.find_first_not_of("0123456789.") == item.npos;
  const auto [ptr, ec] = std::from_chars(item.data(), end, value);
  if (!plain || ec != std::errc() || ptr != end) {
    return Bad(item, "is not a percentile", kPercentileForms);
  }
  if (!(value > 0 && value <= 100)) {
    return Bad(item, "is outside (0,100]", kPercentileForms);
  }
  state.config.latency_percentiles.push_back(value);
  state.config.latency_percentile_names.emplace_back(item);
  return absl::OkStatus();
}

absl::Status OnPercentiles(std::string_view value, FlagState& state) {
  if (!state.percentiles_given) {
    // The first --latency-percentiles replaces the default list.
    state.config.latency_percentiles.clear();
    state.config.latency_percentile_names.clear();
    state.percentiles_given = true;
  }
  size_t start = 0;
  while (true) {
    const size_t end = value.find_first_of(",/", start);
    absl::Status s = AddPercentile(value.substr(start, end - start), state);
    if (!s.ok()) return s;
    if (end == std::string_view::npos) return absl::OkStatus();
    start = end + 1;
  }
}

absl::Status OnStatsdPort(std::string_view value, FlagState& state) {
  absl::StatusOr<uint64_t> port =
      CountInRange(value, 1, 65535, "a port number, 1..65535");
  if (!port.ok()) return port.status();
  state.config.statsd_port = static_cast<uint16_t>(*port);
  return absl::OkStatus();
}

// -d and the --dump-* family: which of DumpConfig's four switches to set.
template <bool kOne, bool kIn, bool kOut>
absl::Status SetDump(std::string_view, FlagState& state) {
  engine::DumpConfig& dump = state.config.dump;
  (kOne ? dump.one_in : dump.all_in) |= kIn;
  (kOne ? dump.one_out : dump.all_out) |= kOut;
  return absl::OkStatus();
}

struct HandlerEntry {
  std::string_view name;  // the option's first long name, or "v"
  Handler handler;
};

constexpr HandlerEntry kHandlers[] = {
    {"debug",
     [](std::string_view v, FlagState& s) { return SetVerbosity(v, s, 2); }},
    {"verbose",
     [](std::string_view v, FlagState& s) { return SetVerbosity(v, s, 3); }},
    {"v",
     [](std::string_view, FlagState& s) {
       s.config.verbosity = std::min(3, s.config.verbosity + 1);
       return absl::OkStatus();
     }},
    {"workers", OnWorkers},
    {"duration", OnDuration},
    {"check-limits", SetTrue<&Config::check_limits_only>},
    {"connections", SetCount<&Config::connections>},
    {"connect-rate", OnConnectRate},
    {"connect-timeout", SetTime<&Config::connect_timeout_ns>},
    {"channel-lifetime", SetTime<&Config::channel_lifetime_ns>},
    {"channel-bandwidth",
     [](std::string_view v, FlagState& s) {
       s.channel_bandwidth = std::string(v);
       return OnBandwidth(v, s.config.upstream_bytes_per_s);
     }},
    {"channel-bandwidth-upstream",
     [](std::string_view v, FlagState& s) {
       s.channel_bandwidth_upstream = std::string(v);
       return OnBandwidth(v, s.config.upstream_bytes_per_s);
     }},
    {"channel-bandwidth-downstream",
     [](std::string_view v, FlagState& s) {
       return OnBandwidth(v, s.config.downstream_bytes_per_s);
     }},
    {"listen-port", OnListenPort},
    {"listen-mode", OnListenMode},
    {"source-ip", OnSourceIp},
    {"nagle", SetOnOff<&Config::nagle>},
    {"rcvbuf", SetSize<&Config::rcvbuf_bytes>},
    {"sndbuf", SetSize<&Config::sndbuf_bytes>},
    {"ws", SetTrue<&Config::websocket>},
    {"header", OnHeader},
    {"first-message",
     AddMessage<&Config::first_messages, MessageSpec::kLiteral>},
    {"first-message-file",
     AddMessage<&Config::first_messages, MessageSpec::kFile>},
    {"message", AddMessage<&Config::messages, MessageSpec::kLiteral>},
    {"message-file", AddMessage<&Config::messages, MessageSpec::kFile>},
    {"message-rate", OnMessageRate},
    {"unescape-message-args", SetTrue<&Config::unescape>},
    {"message-stop", SetText<&Config::message_stop>},
    {"delay-send", SetTime<&Config::delay_send_ns>},
    {"write-combine", SetOnOff<&Config::write_combine>},
    {"latency-connect", SetTrue<&Config::latency_connect>},
    {"latency-first-byte", SetTrue<&Config::latency_first_byte>},
    {"latency-marker", SetText<&Config::latency_marker>},
    {"latency-marker-skip", SetCount<&Config::latency_marker_skip>},
    {"latency-percentiles", OnPercentiles},
    {"message-marker", SetTrue<&Config::message_marker>},
    {"statsd", SetTrue<&Config::statsd>},
    {"statsd-host", SetText<&Config::statsd_host>},
    {"statsd-port", OnStatsdPort},
    {"statsd-namespace", SetText<&Config::statsd_namespace>},
    {"statsd-latency-window", SetTime<&Config::statsd_latency_window_ns>},
    {"dump-one", SetDump<true, true, true>},
    {"dump-one-in", SetDump<true, true, false>},
    {"dump-one-out", SetDump<true, false, true>},
    {"dump-all", SetDump<false, true, true>},
    {"dump-all-in", SetDump<false, true, false>},
    {"dump-all-out", SetDump<false, false, true>},
    {"json", SetTrue<&Config::json>},
    {"stats-json", SetText<&Config::stats_json_path>},
};

Handler FindHandler(std::string_view name) {
  for (const HandlerEntry& entry : kHandlers) {
    if (entry.name == name) return entry.handler;
  }
  return nullptr;
}

// Registers every option of the table with cxxopts. Values are all strings:
// the unit parsers, not cxxopts, turn them into numbers, so that every
// error names the option and says what it accepts.
std::unique_ptr<cxxopts::Options> BuildParser() {
  auto options = std::make_unique<cxxopts::Options>("tcpkali");
  for (const OptionSpec& spec : AllOptions()) {
    cxxopts::OptionNames long_names;
    if (!spec.long_name.empty()) long_names.emplace_back(spec.long_name);
    if (!spec.synonym.empty()) long_names.emplace_back(spec.synonym);
    auto value = cxxopts::value<std::string>();
    if (spec.value_name.empty()) value->implicit_value(std::string(kFlagGiven));
    options->add_option("", std::string(spec.short_name), long_names, "", value,
                        "");
  }
  return options;
}

// The name inside cxxopts' ‘quotes’, which is how its exceptions carry it.
std::string QuotedName(const std::string& what) {
  const size_t open = what.find("\u2018");
  const size_t close = what.find("\u2019", open);
  if (open == std::string::npos || close == std::string::npos) return what;
  const size_t start = open + std::string_view("\u2018").size();
  return what.substr(start, close - start);
}

std::string DashedName(const std::string& name) {
  return (name.size() == 1 ? "-" : "--") + name;
}

absl::Status FromCxxoptsError(const cxxopts::exceptions::exception& e) {
  const std::string name = QuotedName(e.what());
  if (dynamic_cast<const cxxopts::exceptions::no_such_option*>(&e)) {
    return absl::InvalidArgumentError(
        absl::StrCat(DashedName(name), ": unknown option; see tcpkali --help"));
  }
  if (dynamic_cast<const cxxopts::exceptions::invalid_option_syntax*>(&e)) {
    return absl::InvalidArgumentError(absl::StrCat(
        name, ": not an option; expected -x or --name, see tcpkali --help"));
  }
  if (dynamic_cast<const cxxopts::exceptions::missing_argument*>(&e) ||
      dynamic_cast<const cxxopts::exceptions::option_requires_argument*>(&e)) {
    const OptionSpec* spec = FindOption(name);
    return absl::InvalidArgumentError(absl::StrCat(
        spec ? DisplayName(*spec) : DashedName(name), ": missing value",
        "; expected ", spec ? Av(spec->accepted) : "a value"));
  }
  return absl::InvalidArgumentError(
      absl::StrCat(e.what(), "; see tcpkali --help"));
}

// Runs the handler of one option occurrence.
absl::Status ApplyOption(const std::string& name, const std::string& value,
                         FlagState& state) {
  const OptionSpec* spec = FindOption(name);
  const Handler handler = FindHandler(name);
  if (spec == nullptr || handler == nullptr) {
    return absl::InternalError(absl::StrCat(name, ": option without handler"));
  }
  if (spec->value_name.empty() && value != kFlagGiven) {
    return absl::InvalidArgumentError(
        absl::StrCat(DisplayName(*spec), ": takes no value, got \"", value,
                     "\"; expected the option alone"));
  }
  absl::Status status = handler(value, state);
  if (status.ok()) return status;
  return absl::Status(status.code(),
                      absl::StrCat(DisplayName(*spec), ": ", status.message()));
}

// Cross-option facts that the Config cannot hold, and -e.
absl::Status Finish(FlagState& state) {
  if (state.channel_bandwidth && state.channel_bandwidth_upstream) {
    const absl::StatusOr<double> a = ParseBandwidth(*state.channel_bandwidth);
    const absl::StatusOr<double> b =
        ParseBandwidth(*state.channel_bandwidth_upstream);
    if (*a != *b) {
      return absl::InvalidArgumentError(absl::StrCat(
          "--channel-bandwidth-upstream: ", *state.channel_bandwidth_upstream,
          " contradicts --channel-bandwidth ", *state.channel_bandwidth,
          "; expected one of them, or both equal"));
    }
  }
  Config& config = state.config;
  if (config.unescape) {
    for (auto* list : {&config.first_messages, &config.messages}) {
      for (MessageSpec& message : *list) {
        if (message.kind == MessageSpec::kLiteral) {
          message.data = engine::Unescape(message.data);
        }
      }
    }
    for (std::string& header : config.ws_headers) {
      header = engine::Unescape(header);
    }
    if (config.latency_marker) {
      config.latency_marker = engine::Unescape(*config.latency_marker);
    }
    if (config.message_stop) {
      config.message_stop = engine::Unescape(*config.message_stop);
    }
  }
  return absl::OkStatus();
}

absl::StatusOr<ParsedCommandLine> Interpret(
    const cxxopts::ParseResult& result) {
  ParsedCommandLine parsed;
  if (result.count("help") > 0) {
    parsed.action = ParsedCommandLine::Action::kHelp;
    return parsed;
  }
  if (result.count("version") > 0) {
    parsed.action = ParsedCommandLine::Action::kVersion;
    return parsed;
  }
  FlagState state;
  for (const cxxopts::KeyValue& kv : result.arguments()) {
    absl::Status s = ApplyOption(kv.key(), kv.value(), state);
    if (!s.ok()) return s;
  }
  for (const std::string& text : result.unmatched()) {
    absl::StatusOr<engine::Destination> d = ParseDestination(text);
    if (!d.ok()) {
      return absl::InvalidArgumentError(
          absl::StrCat("destination: ", d.status().message()));
    }
    state.config.destinations.push_back(*std::move(d));
  }
  if (absl::Status s = Finish(state); !s.ok()) return s;
  parsed.config = std::move(state.config);
  return parsed;
}

}  // namespace

absl::StatusOr<ParsedCommandLine> ParseFlags(int argc,
                                             const char* const* argv) {
  try {
    std::unique_ptr<cxxopts::Options> parser = BuildParser();
    const cxxopts::ParseResult result = parser->parse(argc, argv);
    return Interpret(result);
  } catch (const cxxopts::exceptions::exception& e) {
    return FromCxxoptsError(e);
  } catch (const std::exception& e) {
    return absl::InternalError(absl::StrCat("command line: ", e.what()));
  }
}

}  // namespace tcpkali::cli
