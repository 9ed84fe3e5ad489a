// Config: the whole run, as the command line asked for it.
//
// Filled once by cli::ParseFlags() and checked by cli::Validate(); after
// that it is read-only and shared by every thread. It is a plain struct:
// every field carries its unit in its name and its default beside it, so
// that the engine never has to know how a value was spelled on the command
// line.
//
// Example:
//   engine::Config config;
//   config.connections = 100;
//   config.destinations.push_back({.host = "127.0.0.1", .port = "8080"});
//   config.messages.push_back({.kind = engine::MessageSpec::kLiteral,
//                              .data = "GET / HTTP/1.0\r\n\r\n"});
#ifndef TCPKALI_ENGINE_CONFIG_H_
#define TCPKALI_ENGINE_CONFIG_H_

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace tcpkali::engine {

// A message as given on the command line: literal text (-m, -1) or the name
// of a file (-f, --first-message-file). Literal text has already been
// unescaped when -e was given; expressions (\{...}) are left for the
// message compiler.
struct MessageSpec {
  enum Kind { kLiteral, kFile };
  Kind kind = kLiteral;
  std::string data;  // the text itself, or the file name
};

// One positional destination, "host:port[/path]". IPv6 literals are written
// in brackets on the command line and stored here without them.
struct Destination {
  std::string host;  // "127.0.0.1", "::1", "example.com"
  std::string port;  // "80" or a service name such as "echo"
  std::string path;  // "/chat?room=1" for WebSocket, "" when absent
  std::string text;  // as written, for messages
};

// -l/--listen-port [host:]port.
struct ListenAddress {
  std::string host;  // "" means every address (IPv6 any, which takes IPv4 too)
  uint16_t port = 0;
};

enum class ListenMode { kSilent, kActive, kEcho };

// Which traffic -d and friends print to stderr.
struct DumpConfig {
  bool one_in = false;   // --dump-one, --dump-one-in
  bool one_out = false;  // --dump-one, --dump-one-out
  bool all_in = false;   // --dump-all, --dump-all-in
  bool all_out = false;  // --dump-all, --dump-all-out
  bool Any() const { return one_in || one_out || all_in || all_out; }
};

struct Config {
  // --- General -----------------------------------------------------------
  // 0 errors only, 1 warnings + live line + summary, 2 per-connection
  // failures, 3 ring and worker events. --debug, -v, --verbose.
  int verbosity = 1;
  // -w. 0 until cli::Validate() fills in the default from the CPU count.
  int workers = 0;
  // True when -w was given: the engine then never changes the count (and a
  // count too small for the descriptor limits is an error, exit 70).
  bool workers_explicit = false;
  // -T. nullopt: run until interrupted (-T -1).
  std::optional<int64_t> duration_ns = 10'000'000'000;
  // --check-limits: print the limits preflight for this run and exit.
  bool check_limits_only = false;

  // --- Network -----------------------------------------------------------
  std::vector<Destination> destinations;
  std::optional<ListenAddress> listen;  // -l
  ListenMode listen_mode = ListenMode::kSilent;
  uint64_t connections = 1;                         // -c
  double connect_rate_per_s = 100;                  // -r
  int64_t connect_timeout_ns = 1'000'000'000;       // --connect-timeout
  std::optional<int64_t> channel_lifetime_ns;       // unlimited when absent
  std::vector<std::string> source_ips;              // addresses or CIDRs
  std::optional<bool> nagle;                        // on/off; unset: leave alone
  std::optional<uint64_t> rcvbuf_bytes;             // SO_RCVBUF
  std::optional<uint64_t> sndbuf_bytes;             // SO_SNDBUF
  bool websocket = false;                           // --ws
  std::vector<std::string> ws_headers;              // -H, unescaped under -e

  // --- Traffic content ---------------------------------------------------
  std::vector<MessageSpec> first_messages;          // -1, --first-message(-file)
  std::vector<MessageSpec> messages;                // -m, -f
  bool unescape = false;                            // -e (already applied)
  std::optional<double> message_rate_per_s;        // --message-rate R
  std::optional<int64_t> message_rate_target_latency_ns;  // --message-rate @L
  std::optional<double> upstream_bytes_per_s;       // --channel-bandwidth(-upstream)
  std::optional<double> downstream_bytes_per_s;     // --channel-bandwidth-downstream
  int64_t delay_send_ns = 0;                        // --delay-send
  bool write_combine = true;                        // --write-combine
  std::optional<std::string> message_stop;         // --message-stop

  // --- Latency -----------------------------------------------------------
  bool latency_connect = false;                     // --latency-connect
  bool latency_first_byte = false;                  // --latency-first-byte
  std::optional<std::string> latency_marker;       // --latency-marker
  uint64_t latency_marker_skip = 0;                 // --latency-marker-skip
  bool message_marker = false;                      // --message-marker
  // --latency-percentiles, in order, with the text each was written as
  // (StatsD names keep it: "99.5"). Default 95, 99, 99.5.
  std::vector<double> latency_percentiles = {95, 99, 99.5};
  std::vector<std::string> latency_percentile_names = {"95", "99", "99.5"};

  // --- StatsD ------------------------------------------------------------
  bool statsd = false;
  std::string statsd_host = "localhost";
  uint16_t statsd_port = 8125;
  std::string statsd_namespace = "tcpkali";
  std::optional<int64_t> statsd_latency_window_ns;  // whole run when absent

  // --- Output ------------------------------------------------------------
  DumpConfig dump;
  bool json = false;                                // --json
  std::optional<std::string> stats_json_path;      // --stats-json

  bool IsClient() const { return !destinations.empty(); }
  bool IsListener() const { return listen.has_value(); }
};

}  // namespace tcpkali::engine

#endif  // TCPKALI_ENGINE_CONFIG_H_
