#include "cli/flags.h"

#include <doctest/doctest.h>

#include <cstdint>
#include <functional>
#include <set>
#include <string>
#include <vector>

#include "cli/options.h"
#include "testing/test_seed.h"

namespace tcpkali::cli {
namespace {

using engine::Config;
using engine::ListenMode;
using engine::MessageSpec;

absl::StatusOr<ParsedCommandLine> Parse(const std::vector<std::string>& args) {
  std::vector<const char*> argv = {"tcpkali"};
  for (const std::string& arg : args) argv.push_back(arg.c_str());
  return ParseFlags(static_cast<int>(argv.size()), argv.data());
}

struct Row {
  std::vector<std::string> args;
  std::function<void(const Config&)> check;
};

constexpr int64_t kSecondNs = 1'000'000'000;

// Every option, every spelling: the coverage test below holds this table to
// the option table of cli/options.h.
const std::vector<Row>& MappingRows() {
  static const auto* rows = new std::vector<Row>{
      {{"--debug", "0"}, [](const Config& c) { CHECK(c.verbosity == 0); }},
      {{"--debug=2"}, [](const Config& c) { CHECK(c.verbosity == 2); }},
      {{"--verbose", "3"}, [](const Config& c) { CHECK(c.verbosity == 3); }},
      {{"-v"}, [](const Config& c) { CHECK(c.verbosity == 2); }},
      {{"-vv"}, [](const Config& c) { CHECK(c.verbosity == 3); }},
      {{"-v", "-v", "-v", "-v"},
       [](const Config& c) { CHECK(c.verbosity == 3); }},
      {{"--debug", "0", "-v"},
       [](const Config& c) { CHECK(c.verbosity == 1); }},
      {{"-w", "4"},
       [](const Config& c) {
         CHECK(c.workers == 4);
         CHECK(c.workers_explicit);
       }},
      {{"--workers", "2k"}, [](const Config& c) { CHECK(c.workers == 2000); }},
      {{"-T", "30"},
       [](const Config& c) { CHECK(c.duration_ns == 30 * kSecondNs); }},
      {{"--duration", "-1"},
       [](const Config& c) { CHECK_FALSE(c.duration_ns.has_value()); }},
      {{"-T-1"}, [](const Config& c) { CHECK_FALSE(c.duration_ns); }},
      {{"-T", "-1"}, [](const Config& c) { CHECK_FALSE(c.duration_ns); }},
      {{"--check-limits"}, [](const Config& c) { CHECK(c.check_limits_only); }},
      {{"-c", "5k"}, [](const Config& c) { CHECK(c.connections == 5000); }},
      {{"-c10"}, [](const Config& c) { CHECK(c.connections == 10); }},
      {{"--connections=1.5m"},
       [](const Config& c) { CHECK(c.connections == 1500000); }},
      {{"-r", "0.5"},
       [](const Config& c) { CHECK(c.connect_rate_per_s == 0.5); }},
      {{"--connect-rate", "2k"},
       [](const Config& c) { CHECK(c.connect_rate_per_s == 2000); }},
      {{"--connect-timeout", "250ms"},
       [](const Config& c) { CHECK(c.connect_timeout_ns == kSecondNs / 4); }},
      {{"--channel-lifetime", "0"},
       [](const Config& c) { CHECK(c.channel_lifetime_ns == 0); }},
      {{"--channel-bandwidth", "8Mbps"},
       [](const Config& c) { CHECK(c.upstream_bytes_per_s == 1e6); }},
      {{"--channel-bandwidth-upstream", "1kBps"},
       [](const Config& c) { CHECK(c.upstream_bytes_per_s == 1000); }},
      {{"--channel-bandwidth", "1MBps", "--channel-bandwidth-upstream",
        "8Mbps"},
       [](const Config& c) { CHECK(c.upstream_bytes_per_s == 1e6); }},
      {{"--channel-bandwidth-downstream", "0"},
       [](const Config& c) { CHECK(c.downstream_bytes_per_s == 0); }},
      {{"-l", "12345"},
       [](const Config& c) {
         REQUIRE(c.listen);
         CHECK(c.listen->port == 12345);
         CHECK(c.listen->host.empty());
       }},
      {{"--listen-port", "[::1]:0"},
       [](const Config& c) {
         REQUIRE(c.listen);
         CHECK(c.listen->host == "::1");
         CHECK(c.listen->port == 0);
       }},
      {{"--listen-mode", "echo"},
       [](const Config& c) { CHECK(c.listen_mode == ListenMode::kEcho); }},
      {{"--listen-mode=active"},
       [](const Config& c) { CHECK(c.listen_mode == ListenMode::kActive); }},
      {{"--listen-mode", "silent"},
       [](const Config& c) { CHECK(c.listen_mode == ListenMode::kSilent); }},
      {{"--source-ip", "10.0.0.1", "--source-ip", "fd00::/120"},
       [](const Config& c) {
         CHECK(c.source_ips ==
               std::vector<std::string>{"10.0.0.1", "fd00::/120"});
       }},
      {{"--nagle", "off"}, [](const Config& c) { CHECK(c.nagle == false); }},
      {{"--nagle", "on"}, [](const Config& c) { CHECK(c.nagle == true); }},
      {{}, [](const Config& c) { CHECK_FALSE(c.nagle.has_value()); }},
      {{"--rcvbuf", "64k"},
       [](const Config& c) { CHECK(c.rcvbuf_bytes == 65536u); }},
      {{"--sndbuf", "1m"},
       [](const Config& c) { CHECK(c.sndbuf_bytes == 1048576u); }},
      {{"--ws"}, [](const Config& c) { CHECK(c.websocket); }},
      {{"--websocket"}, [](const Config& c) { CHECK(c.websocket); }},
      {{"-H", "X-A: 1", "--header", "X-B: 2"},
       [](const Config& c) {
         CHECK(c.ws_headers == std::vector<std::string>{"X-A: 1", "X-B: 2"});
       }},
      {{"-1", "hello", "--first-message-file", "f1", "--first-message", "x"},
       [](const Config& c) {
         REQUIRE(c.first_messages.size() == 3);
         CHECK(c.first_messages[0].kind == MessageSpec::kLiteral);
         CHECK(c.first_messages[0].data == "hello");
         CHECK(c.first_messages[1].kind == MessageSpec::kFile);
         CHECK(c.first_messages[1].data == "f1");
         CHECK(c.first_messages[2].data == "x");
       }},
      {{"-m", "a,b", "-f", "file", "--message", "-x", "--message-file", "g"},
       [](const Config& c) {
         REQUIRE(c.messages.size() == 4);
         CHECK(c.messages[0].data == "a,b");
         CHECK(c.messages[1].kind == MessageSpec::kFile);
         CHECK(c.messages[1].data == "file");
         CHECK(c.messages[2].data == "-x");
         CHECK(c.messages[3].data == "g");
       }},
      {{"--message-rate", "2.5k"},
       [](const Config& c) {
         CHECK(c.message_rate_per_s == 2500);
         CHECK_FALSE(c.message_rate_target_latency_ns);
       }},
      {{"--message-rate", "@10ms"},
       [](const Config& c) {
         CHECK(c.message_rate_target_latency_ns == 10'000'000);
         CHECK_FALSE(c.message_rate_per_s);
       }},
      {{"-m", R"(a\n\{x}\x41)", "-1", R"(\t)", "-f", R"(f\n)", "-e",
        "--latency-marker", R"(\r)", "--message-stop", R"(\\)", "-H",
        R"(X: \x20)"},
       [](const Config& c) {
         CHECK(c.unescape);
         CHECK(c.messages[0].data == "a\n\\{x}A");
         CHECK(c.first_messages[0].data == "\t");
         CHECK(c.messages[1].data == R"(f\n)");  // file names stay
         CHECK(c.latency_marker == "\r");
         CHECK(c.message_stop == "\\");
         CHECK(c.ws_headers[0] == "X:  ");
       }},
      {{"-m", R"(a\n)", "--latency-marker", R"(\r)"},
       [](const Config& c) {
         CHECK_FALSE(c.unescape);
         CHECK(c.messages[0].data == R"(a\n)");
         CHECK(c.latency_marker == R"(\r)");
       }},
      {{"--unescape-message-args", "--message-stop", R"(\x41)"},
       [](const Config& c) { CHECK(c.message_stop == "A"); }},
      {{"--delay-send", "1.5s"},
       [](const Config& c) { CHECK(c.delay_send_ns == 1'500'000'000); }},
      {{"--write-combine", "off"},
       [](const Config& c) { CHECK_FALSE(c.write_combine); }},
      {{"--latency-connect"},
       [](const Config& c) { CHECK(c.latency_connect); }},
      {{"--latency-first-byte"},
       [](const Config& c) { CHECK(c.latency_first_byte); }},
      {{"--latency-marker-skip", "3"},
       [](const Config& c) { CHECK(c.latency_marker_skip == 3); }},
      {{},
       [](const Config& c) {
         CHECK(c.latency_percentiles == std::vector<double>{95, 99, 99.5});
         CHECK(c.latency_percentile_names ==
               std::vector<std::string>{"95", "99", "99.5"});
       }},
      {{"--latency-percentiles", "50/99.9", "--latency-percentiles", "100"},
       [](const Config& c) {
         CHECK(c.latency_percentiles == std::vector<double>{50, 99.9, 100});
         CHECK(c.latency_percentile_names ==
               std::vector<std::string>{"50", "99.9", "100"});
       }},
      {{"--message-marker"}, [](const Config& c) { CHECK(c.message_marker); }},
      {{"--statsd", "--statsd-host", "stats.local", "--statsd-port", "9125",
        "--statsd-namespace", "load", "--statsd-latency-window", "5s"},
       [](const Config& c) {
         CHECK(c.statsd);
         CHECK(c.statsd_host == "stats.local");
         CHECK(c.statsd_port == 9125);
         CHECK(c.statsd_namespace == "load");
         CHECK(c.statsd_latency_window_ns == 5 * kSecondNs);
       }},
      {{"-d"},
       [](const Config& c) {
         CHECK(c.dump.one_in);
         CHECK(c.dump.one_out);
         CHECK_FALSE(c.dump.all_in);
       }},
      {{"--dump-one"}, [](const Config& c) { CHECK(c.dump.one_in); }},
      {{"--dump-one-in"},
       [](const Config& c) { CHECK((c.dump.one_in && !c.dump.one_out)); }},
      {{"--dump-one-out"},
       [](const Config& c) { CHECK((!c.dump.one_in && c.dump.one_out)); }},
      {{"--dump-all"},
       [](const Config& c) { CHECK((c.dump.all_in && c.dump.all_out)); }},
      {{"--dump-all-in"},
       [](const Config& c) { CHECK((c.dump.all_in && !c.dump.all_out)); }},
      {{"--dump-all-out"},
       [](const Config& c) { CHECK((!c.dump.all_in && c.dump.all_out)); }},
      {{"--json"}, [](const Config& c) { CHECK(c.json); }},
      {{"--stats-json", "live.json"},
       [](const Config& c) { CHECK(c.stats_json_path == "live.json"); }},
      {{"127.0.0.1:80", "[::1]:8080/chat?x=1", "localhost:echo"},
       [](const Config& c) {
         REQUIRE(c.destinations.size() == 3);
         CHECK(c.destinations[0].host == "127.0.0.1");
         CHECK(c.destinations[1].host == "::1");
         CHECK(c.destinations[1].path == "/chat?x=1");
         CHECK(c.destinations[2].port == "echo");
       }},
      {{"--", "localhost:1"},
       [](const Config& c) {
         REQUIRE(c.destinations.size() == 1);
         CHECK(c.destinations[0].host == "localhost");
       }},
  };
  return *rows;
}

TEST_CASE("every option and synonym maps to its Config field") {
  for (const Row& row : MappingRows()) {
    std::string joined;
    for (const std::string& arg : row.args) joined += arg + " ";
    CAPTURE(joined);
    absl::StatusOr<ParsedCommandLine> parsed = Parse(row.args);
    REQUIRE_MESSAGE(parsed.ok(), parsed.status().ToString());
    CHECK(parsed->action == ParsedCommandLine::Action::kRun);
    row.check(parsed->config);
  }
}

// The option name an argument spells, without dashes or value: "-c10" ->
// "c", "--duration=5" -> "duration"; "" for a value or a destination.
std::vector<std::string> SpelledNames(const std::string& arg) {
  if (arg.starts_with("--")) {
    return {arg.substr(2, arg.find('=') - 2)};
  }
  if (arg.size() < 2 || arg[0] != '-') return {};
  std::vector<std::string> names;
  for (char c : arg.substr(1)) {
    const std::string name(1, c);
    names.push_back(name);
    const OptionSpec* spec = FindOption(name);
    if (spec == nullptr || !spec->value_name.empty()) break;  // value follows
  }
  return names;
}

TEST_CASE("the mapping table spells every option, short form and synonym") {
  std::set<std::string> spelled;
  for (const Row& row : MappingRows()) {
    for (const std::string& arg : row.args) {
      for (const std::string& name : SpelledNames(arg)) spelled.insert(name);
    }
  }
  for (const OptionSpec& option : AllOptions()) {
    if (option.long_name == "help" || option.long_name == "version") continue;
    for (std::string_view name :
         {option.long_name, option.synonym, option.short_name}) {
      if (name.empty()) continue;
      CAPTURE(name);
      CHECK(spelled.count(std::string(name)) == 1);
    }
  }
}

TEST_CASE("no arguments give the documented defaults") {
  absl::StatusOr<ParsedCommandLine> parsed = Parse({});
  REQUIRE(parsed.ok());
  const Config& c = parsed->config;
  const Config defaults;
  CHECK(c.verbosity == 1);
  CHECK(c.workers == 0);  // filled by Validate()
  CHECK_FALSE(c.workers_explicit);
  CHECK(c.duration_ns == 10 * kSecondNs);
  CHECK(c.connections == 1);
  CHECK(c.connect_rate_per_s == 100);
  CHECK(c.connect_timeout_ns == kSecondNs);
  CHECK(c.write_combine);
  CHECK(c.statsd_port == 8125);
  CHECK(c.statsd_host == "localhost");
  CHECK(c.statsd_namespace == "tcpkali");
  CHECK(c.latency_percentile_names == defaults.latency_percentile_names);
  CHECK(c.destinations.empty());
  CHECK_FALSE(c.listen);
}

TEST_CASE("--help and --version win over everything else") {
  struct ActionRow {
    std::vector<std::string> args;
    ParsedCommandLine::Action action;
  };
  const ActionRow rows[] = {
      {{"-h"}, ParsedCommandLine::Action::kHelp},
      {{"--help"}, ParsedCommandLine::Action::kHelp},
      {{"-c", "junk", "--help"}, ParsedCommandLine::Action::kHelp},
      {{"--version"}, ParsedCommandLine::Action::kVersion},
      {{"--version", "-T", "x"}, ParsedCommandLine::Action::kVersion},
      {{"--version", "-h"}, ParsedCommandLine::Action::kHelp},
  };
  for (const ActionRow& row : rows) {
    CAPTURE(row.args.size());
    absl::StatusOr<ParsedCommandLine> parsed = Parse(row.args);
    REQUIRE(parsed.ok());
    CHECK(parsed->action == row.action);
  }
}

TEST_CASE("each bad option value is one message naming the option") {
  struct ErrorRow {
    std::vector<std::string> args;
    std::string prefix;  // the message starts with this
  };
  const ErrorRow rows[] = {
      {{"--nope"}, "--nope: unknown option"},
      {{"-q"}, "-q: unknown option"},
      {{"-@"}, "-@: not an option"},
      {{"-c"}, "--connections: missing value; expected a whole number"},
      {{"-T"}, "--duration: missing value; expected a time"},
      {{"--message"}, "--message: missing value"},
      {{"-1"}, "--first-message: missing value"},
      {{"-c", "1.5"}, "--connections: \"1.5\" is not a whole number"},
      {{"-c", "-5"}, "--connections: \"-5\" is negative"},
      {{"-r", "fast"}, "--connect-rate: \"fast\" is not a number"},
      {{"-T", "10x"}, "--duration: \"10x\" has an unknown unit"},
      {{"-T", "-2"}, "--duration: \"-2\" is negative"},
      {{"--connect-timeout", ""}, "--connect-timeout: empty value"},
      {{"--channel-bandwidth", "10mbps"},
       "--channel-bandwidth: \"10mbps\" has an unknown unit"},
      {{"--channel-bandwidth", "1Mbps", "--channel-bandwidth-upstream",
        "2Mbps"},
       "--channel-bandwidth-upstream: 2Mbps contradicts --channel-bandwidth"},
      {{"--rcvbuf", "1g"}, "--rcvbuf: \"1g\" has an unknown unit"},
      {{"-w", "0"}, "--workers: \"0\" is not a worker count"},
      {{"--debug", "3"}, "--debug: \"3\" is out of range"},
      {{"--verbose", "4"}, "--verbose: \"4\" is out of range"},
      {{"--ws=yes"}, "--ws: takes no value"},
      {{"--websocket=1"}, "--ws: takes no value"},
      {{"--nagle", "maybe"}, "--nagle: \"maybe\" is neither on nor off"},
      {{"--write-combine", "0"}, "--write-combine: \"0\" is neither on"},
      {{"--listen-mode", "loud"}, "--listen-mode: \"loud\" is not a listen"},
      {{"-l", "70000"}, "--listen-port: \"70000\" is not a port"},
      {{"-l", "host:"}, "--listen-port: \"host:\" lacks a port"},
      {{"--source-ip", "1.2.3.4/40"}, "--source-ip: \"1.2.3.4/40\" has a bad"},
      {{"--source-ip", "example.com"}, "--source-ip: \"example.com\" is not"},
      {{"--message-rate", "@"}, "--message-rate: empty value"},
      {{"--message-rate", "@0"}, "--message-rate: \"@0\" is not a positive"},
      {{"--message-rate", "-1"}, "--message-rate: \"-1\" is negative"},
      {{"--latency-percentiles", "0"},
       "--latency-percentiles: \"0\" is outside (0,100]"},
      {{"--latency-percentiles", "100.5"},
       "--latency-percentiles: \"100.5\" is outside"},
      {{"--latency-percentiles", "95,,99"},
       "--latency-percentiles: \"\" is not a percentile"},
      {{"--latency-percentiles", "1e2"},
       "--latency-percentiles: \"1e2\" is not a percentile"},
      {{"--latency-percentiles", "-5"},
       "--latency-percentiles: \"-5\" is not a percentile"},
      {{"--statsd-port", "0"}, "--statsd-port: \"0\" is out of range"},
      {{"--statsd-port", "65536"}, "--statsd-port: \"65536\" is out of range"},
      {{"--latency-marker", ""}, "--latency-marker: empty value"},
      {{"--stats-json="}, "--stats-json: empty value"},
      {{"-f", ""}, "--message-file: empty value"},
      {{"localhost"}, "destination: \"localhost\" lacks a port"},
      {{"-c", "1", "::1:80"}, "destination: \"::1:80\" looks like an IPv6"},
  };
  for (const ErrorRow& row : rows) {
    CAPTURE(row.prefix);
    absl::StatusOr<ParsedCommandLine> parsed = Parse(row.args);
    REQUIRE_FALSE(parsed.ok());
    CHECK(parsed.status().code() == absl::StatusCode::kInvalidArgument);
    const std::string message(parsed.status().message());
    CAPTURE(message);
    CHECK(message.starts_with(row.prefix));
    CHECK(message.find('\n') == std::string::npos);
    CHECK(message.find("; ") != std::string::npos);
  }
}

TEST_CASE("repeated single-value options: the last one wins") {
  absl::StatusOr<ParsedCommandLine> parsed =
      Parse({"-c", "5", "--connections", "7", "-T", "1s", "-T", "2s"});
  REQUIRE(parsed.ok());
  CHECK(parsed->config.connections == 7);
  CHECK(parsed->config.duration_ns == 2 * kSecondNs);
}

// Random command lines built from real option names and hostile values must
// come back as a value or a status, never an exception or a crash.
TEST_CASE("random command lines never throw") {
  const uint64_t seed = testing::TestSeed();
  INFO(testing::SeedNote(seed));
  std::vector<std::string> words = {"-",    "--", "-1",  "",    "1",       "5k",
                                    "1.5m", "@",  "@1s", "x:1", "[::1]:2", "on",
                                    "-vv",  "-c", "=",   "\\x", "1e400"};
  for (const OptionSpec& option : AllOptions()) {
    if (option.long_name == "help" || option.long_name == "version") continue;
    if (!option.long_name.empty()) {
      words.push_back("--" + std::string(option.long_name));
      words.push_back("--" + std::string(option.long_name) + "=1");
    }
    if (!option.short_name.empty()) {
      words.push_back("-" + std::string(option.short_name));
    }
  }
  uint64_t state = seed;
  for (int round = 0; round < 2000; ++round) {
    std::vector<std::string> args;
    const int n = static_cast<int>(state % 6);
    for (int i = 0; i < n; ++i) {
      state = state * 6364136223846793005ull + 1442695040888963407ull;
      args.push_back(words[(state >> 33) % words.size()]);
    }
    state = state * 6364136223846793005ull + 1442695040888963407ull;
    absl::StatusOr<ParsedCommandLine> parsed = Parse(args);
    if (!parsed.ok()) {
      CHECK(parsed.status().code() == absl::StatusCode::kInvalidArgument);
    }
  }
}

}  // namespace
}  // namespace tcpkali::cli
