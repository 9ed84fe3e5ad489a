#include "cli/validate.h"

#include <doctest/doctest.h>

#include <cstdio>
#include <cstdlib>
#include <functional>
#include <string>
#include <vector>

namespace tcpkali::cli {
namespace {

using engine::Config;
using engine::ListenMode;
using engine::MessageSpec;

constexpr int64_t kSecondNs = 1'000'000'000;
const MachineFacts kFourCpus{.cpu_count = 4};

// A config that passes: one client connection with a message.
Config Client() {
  Config config;
  config.destinations.push_back({.host = "127.0.0.1", .port = "80"});
  config.messages.push_back({.kind = MessageSpec::kLiteral, .data = "x"});
  return config;
}

Config Listener() {
  Config config;
  config.listen = engine::ListenAddress{.port = 0};
  return config;
}

TEST_CASE("valid configurations pass without diagnostics") {
  for (Config config : {Client(), Listener()}) {
    absl::StatusOr<std::vector<Diagnostic>> result =
        Validate(config, kFourCpus);
    REQUIRE(result.ok());
    CHECK(result->empty());
  }
}

TEST_CASE("each contradiction is one usage error naming the option") {
  struct Row {
    std::string name;
    std::function<void(Config&)> mutate;
    std::string prefix;
  };
  const Row rows[] = {
      {"no destination, no -l", [](Config& c) { c.destinations.clear(); },
       "destination: none given and no --listen-port"},
      {"-c 0 with destinations", [](Config& c) { c.connections = 0; },
       "--connections: 0 with destinations"},
      {"connect rate 0", [](Config& c) { c.connect_rate_per_s = 0; },
       "--connect-rate: 0 new connections per second is not positive"},
      {"connect timeout 0", [](Config& c) { c.connect_timeout_ns = 0; },
       "--connect-timeout: must be longer than 0"},
      {"workers over 1024", [](Config& c) { c.workers = 1025; },
       "--workers: 1025 is more than 1024"},
      {"negative workers", [](Config& c) { c.workers = -1; },
       "--workers: -1 is negative"},
      {"listen mode echo without -l",
       [](Config& c) { c.listen_mode = ListenMode::kEcho; },
       "--listen-mode: needs --listen-port"},
      {"listen mode active without messages",
       [](Config& c) {
         c = Listener();
         c.listen_mode = ListenMode::kActive;
       },
       "--listen-mode: active has no message"},
      {"-H without --ws", [](Config& c) { c.ws_headers.push_back("X: 1"); },
       "--header: needs --ws"},
      {"message rate without messages",
       [](Config& c) {
         c.messages.clear();
         c.message_rate_per_s = 10;
       },
       "--message-rate: there is no message to pace"},
      {"message rate @L without messages",
       [](Config& c) {
         c.messages.clear();
         c.message_rate_target_latency_ns = 1000;
         c.latency_marker = "x";
       },
       "--message-rate: there is no message to pace"},
      {"message rate 0", [](Config& c) { c.message_rate_per_s = 0; },
       "--message-rate: 0 is not positive"},
      {"message rate @L without marker",
       [](Config& c) { c.message_rate_target_latency_ns = 1000; },
       "--message-rate: @<T> needs --latency-marker"},
      {"upstream bandwidth 0", [](Config& c) { c.upstream_bytes_per_s = 0; },
       "--channel-bandwidth: 0 would never send"},
      {"negative delay", [](Config& c) { c.delay_send_ns = -1; },
       "--delay-send: is negative"},
      {"marker skip without marker",
       [](Config& c) { c.latency_marker_skip = 2; },
       "--latency-marker-skip: needs --latency-marker"},
      {"marker without messages",
       [](Config& c) {
         c.messages.clear();
         c.latency_marker = "x";
       },
       "--latency-marker: there is no message to time"},
      {"percentile 0",
       [](Config& c) {
         c.latency_percentiles = {0};
         c.latency_percentile_names = {"0"};
       },
       "--latency-percentiles: 0 is outside (0,100]"},
      {"percentile 101",
       [](Config& c) {
         c.latency_percentiles = {95, 101};
         c.latency_percentile_names = {"95", "101"};
       },
       "--latency-percentiles: 101 is outside"},
      {"statsd port 0", [](Config& c) { c.statsd_port = 0; },
       "--statsd-port: 0 is not a port"},
      {"rcvbuf 0", [](Config& c) { c.rcvbuf_bytes = 0; }, "--rcvbuf: 0 bytes"},
      {"sndbuf 0", [](Config& c) { c.sndbuf_bytes = 0; }, "--sndbuf: 0 bytes"},
  };
  for (const Row& row : rows) {
    CAPTURE(row.name);
    Config config = Client();
    row.mutate(config);
    absl::StatusOr<std::vector<Diagnostic>> result =
        Validate(config, kFourCpus);
    REQUIRE_FALSE(result.ok());
    CHECK(result.status().code() == absl::StatusCode::kInvalidArgument);
    const std::string message(result.status().message());
    CAPTURE(message);
    CHECK(message.starts_with(row.prefix));
    CHECK(message.find("; expected ") != std::string::npos);
    CHECK(message.find('\n') == std::string::npos);
  }
}

TEST_CASE("workers default to the CPUs, capped by -c without -l") {
  struct Row {
    bool listen;
    uint64_t connections;
    int cpus;
    int given;
    int want;
  };
  const Row rows[] = {
      {false, 1, 4, 0, 1},   {false, 3, 4, 0, 3},       {false, 100, 4, 0, 4},
      {true, 1, 4, 0, 4},    {true, 100, 8, 0, 8},      {false, 10, 0, 0, 1},
      {false, 1, 4, 16, 16}, {false, 1, 4, 1024, 1024},
  };
  for (const Row& row : rows) {
    CAPTURE(row.connections);
    CAPTURE(row.cpus);
    Config config = Client();
    if (row.listen) config.listen = engine::ListenAddress{};
    config.connections = row.connections;
    config.connect_rate_per_s = 1e6;
    config.workers = row.given;
    absl::StatusOr<std::vector<Diagnostic>> result =
        Validate(config, MachineFacts{.cpu_count = row.cpus});
    REQUIRE(result.ok());
    CHECK(config.workers == row.want);
  }
}

TEST_CASE("more workers than CPUs is a note, not an error") {
  Config config = Client();
  config.workers = 8;
  absl::StatusOr<std::vector<Diagnostic>> result = Validate(config, kFourCpus);
  REQUIRE(result.ok());
  REQUIRE(result->size() == 1);
  CHECK((*result)[0].severity == Diagnostic::Severity::kNote);
  CHECK(FormatDiagnostic((*result)[0]) ==
        "tcpkali: note: --workers: 8 workers share 4 CPUs");
}

TEST_CASE("a ramp-up longer than --duration is a warning") {
  struct Row {
    uint64_t connections;
    double rate;
    std::optional<int64_t> duration_ns;
    bool warns;
  };
  const Row rows[] = {
      {1000, 100, 10 * kSecondNs, false},  // exactly 10 s
      {1001, 100, 10 * kSecondNs, true},  {10000, 100, 10 * kSecondNs, true},
      {10000, 100, std::nullopt, false},  // -T -1: no limit
      {5, 0.5, 10 * kSecondNs, false},    {6, 0.5, 10 * kSecondNs, true},
  };
  for (const Row& row : rows) {
    CAPTURE(row.connections);
    Config config = Client();
    config.connections = row.connections;
    config.connect_rate_per_s = row.rate;
    config.duration_ns = row.duration_ns;
    absl::StatusOr<std::vector<Diagnostic>> result =
        Validate(config, MachineFacts{.cpu_count = 1});
    REQUIRE(result.ok());
    REQUIRE(result->size() == (row.warns ? 1u : 0u));
    if (row.warns) {
      CHECK(FormatDiagnostic((*result)[0])
                .starts_with("tcpkali: warning: --connections: opening "));
    }
  }
}

TEST_CASE("other warnings") {
  Config listener = Listener();
  listener.messages.push_back({.kind = MessageSpec::kLiteral, .data = "x"});
  absl::StatusOr<std::vector<Diagnostic>> result =
      Validate(listener, kFourCpus);
  REQUIRE(result.ok());
  REQUIRE(result->size() == 1);
  CHECK((*result)[0].message.starts_with("--message: nothing will send it"));

  Config windowed = Client();
  windowed.statsd_latency_window_ns = kSecondNs;
  result = Validate(windowed, kFourCpus);
  REQUIRE(result.ok());
  REQUIRE(result->size() == 1);
  CHECK((*result)[0].message.starts_with("--statsd-latency-window"));
}

std::string TempPath(const char* name) {
  const char* dir = std::getenv("TEST_TMPDIR");
  return std::string(dir != nullptr ? dir : "/tmp") + "/" + name;
}

TEST_CASE("an unreadable message file is a data error (exit 65)") {
  const std::string readable = TempPath("validate_test_message");
  std::FILE* f = std::fopen(readable.c_str(), "w");
  REQUIRE(f != nullptr);
  std::fputs("hello", f);
  std::fclose(f);
  const std::string missing = TempPath("validate_test_missing");
  std::remove(missing.c_str());

  Config ok = Client();
  ok.messages.push_back({.kind = MessageSpec::kFile, .data = readable});
  ok.first_messages.push_back({.kind = MessageSpec::kFile, .data = readable});
  CHECK(Validate(ok, kFourCpus).ok());

  struct Row {
    bool first;
    std::string path;
    std::string want;
  };
  const Row rows[] = {
      {false, missing,
       "--message-file: cannot read \"" + missing +
           "\": No such file or directory; expected a readable file"},
      {true, missing, "--first-message-file: cannot read \"" + missing},
      {false, TempPath(""),
       "--message-file: cannot read \"" + TempPath("") + "\": Is a directory"},
  };
  for (const Row& row : rows) {
    CAPTURE(row.want);
    Config config = Client();
    (row.first ? config.first_messages : config.messages)
        .push_back({.kind = MessageSpec::kFile, .data = row.path});
    absl::StatusOr<std::vector<Diagnostic>> result =
        Validate(config, kFourCpus);
    REQUIRE_FALSE(result.ok());
    CHECK(result.status().code() == absl::StatusCode::kDataLoss);
    CHECK(std::string(result.status().message()).starts_with(row.want));
  }
}

TEST_CASE("a usage error wins over an unreadable file") {
  Config config = Client();
  config.messages = {{.kind = MessageSpec::kFile, .data = "/nonexistent/x"}};
  config.ws_headers = {"X: 1"};
  absl::StatusOr<std::vector<Diagnostic>> result = Validate(config, kFourCpus);
  REQUIRE_FALSE(result.ok());
  CHECK(result.status().code() == absl::StatusCode::kInvalidArgument);
}

TEST_CASE("--write-combine off turns Nagle off unless --nagle is given") {
  Config off;
  off.destinations.push_back({.host = "127.0.0.1", .port = "80", .text = "127.0.0.1:80"});
  off.write_combine = false;
  Config keep = off;
  keep.nagle = true;
  auto notes = Validate(off, MachineFacts{.cpu_count = 2});
  REQUIRE(notes.ok());
  REQUIRE(off.nagle.has_value());
  CHECK_FALSE(*off.nagle);
  bool noted = false;
  for (const Diagnostic& d : *notes) noted |= d.message.find("--nagle off") != std::string::npos;
  CHECK(noted);
  REQUIRE(Validate(keep, MachineFacts{.cpu_count = 2}).ok());
  CHECK(*keep.nagle);
}

}  // namespace
}  // namespace tcpkali::cli
