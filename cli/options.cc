#include "cli/options.h"

#include <span>
#include <string>
#include <string_view>

#include "cli/addresses.h"
#include "cli/units.h"

namespace tcpkali::cli {
namespace {

using G = OptionGroup;

constexpr std::string_view kOnOff = "on or off";
constexpr std::string_view kText = "any text";
constexpr std::string_view kFile = "a file name";
constexpr std::string_view kLevel2 = "a level from 0 to 2";
constexpr std::string_view kLevel3 = "a level from 0 to 3";
constexpr std::string_view kPort = "a port number, 1..65535";
constexpr std::string_view kPercentiles =
    "numbers in (0,100] separated by , or /, e.g. 95,99,99.9";
constexpr std::string_view kListenModes = "silent, active or echo";
constexpr std::string_view kMessageRate =
    "a rate such as 100, 0.5 or 5k, or @<T> such as @10ms";
constexpr std::string_view kWorkers = "a whole number from 1 to 1024";
constexpr std::string_view kDuration =
    "a time such as 10s, 250ms, 1.5m (a bare number is seconds), or -1";

// Fields: group, short, long, synonym, value, default, accepted, help.
constexpr OptionSpec kOptions[] = {
    // General.
    {G::kGeneral, "h", "help", "", "", "", "", "Print this help and exit."},
    {G::kGeneral, "", "version", "", "", "", "",
     "Print the version and the io_uring features of this kernel, then exit."},
    {G::kGeneral, "", "debug", "", "level", "1", kLevel2,
     "Diagnostic verbosity, 0..2."},
    {G::kGeneral, "", "verbose", "", "level", "1", kLevel3,
     "Diagnostic verbosity on the same scale, 0..3."},
    {G::kGeneral, "v", "", "", "", "", "",
     "One more level of verbosity; repeatable (-vv)."},
    {G::kGeneral, "w", "workers", "", "N", "CPUs", kWorkers,
     "Worker threads, each with its own io_uring, at most 1024; by default "
     "one per CPU, and no more than -c when there is no -l."},
    {G::kGeneral, "T", "duration", "", "T", "10s", kDuration,
     "Load test for this long after ramp-up; -1 runs until interrupted."},
    {G::kGeneral, "", "check-limits", "", "", "off", "",
     "Check the system limits this run needs, print advice, exit."},

    // Network.
    {G::kNetwork, "c", "connections", "", "N", "1", kCountForms,
     "Connections to keep open to the destinations."},
    {G::kNetwork, "r", "connect-rate", "", "R", "100", kRateForms,
     "New connections per second, across the process; also paces "
     "reconnects."},
    {G::kNetwork, "", "connect-timeout", "", "T", "1s", kTimeForms,
     "Abandon a connection attempt that takes longer."},
    {G::kNetwork, "", "channel-lifetime", "", "T", "unlimited", kTimeForms,
     "Close each connection this long after it is established."},
    {G::kNetwork, "", "channel-bandwidth", "", "Bw", "unlimited",
     kBandwidthForms, "Per-connection upstream limit."},
    {G::kNetwork, "", "channel-bandwidth-upstream", "", "Bw", "unlimited",
     kBandwidthForms, "Per-connection send limit, as --channel-bandwidth."},
    {G::kNetwork, "", "channel-bandwidth-downstream", "", "Bw", "unlimited",
     kBandwidthForms, "Per-connection receive limit; 0 stops reading."},
    {G::kNetwork, "l", "listen-port", "", "[host:]port", "", kListenForms,
     "Listen for connections (sink/server mode); port 0 lets the kernel "
     "choose."},
    {G::kNetwork, "", "listen-mode", "", "mode", "silent", kListenModes,
     "silent: read and discard; active: send the -m messages; echo: send "
     "back what arrives."},
    {G::kNetwork, "", "source-ip", "", "IP", "all", kSourceIpForms,
     "Source address or CIDR range for outgoing connections; repeatable."},
    {G::kNetwork, "", "nagle", "", "on|off", "system", kOnOff,
     "Nagle's algorithm; off sets TCP_NODELAY."},
    {G::kNetwork, "", "rcvbuf", "", "Size", "system", kSizeForms,
     "Socket receive buffer (SO_RCVBUF)."},
    {G::kNetwork, "", "sndbuf", "", "Size", "system", kSizeForms,
     "Socket send buffer (SO_SNDBUF)."},
    {G::kNetwork, "", "ws", "websocket", "", "off", "",
     "Speak WebSocket (RFC 6455), client and server side."},
    {G::kNetwork, "H", "header", "", "string", "", kText,
     "Extra WebSocket handshake header, needs --ws; repeatable."},

    // Traffic content.
    {G::kContent, "1", "first-message", "", "string", "", kText,
     "Send this once at the start of each connection; repeatable."},
    {G::kContent, "", "first-message-file", "", "name", "", kFile,
     "Send this file's bytes first, once; repeatable."},
    {G::kContent, "m", "message", "", "string", "", kText,
     "Message to send repeatedly; repeatable (sent in turn)."},
    {G::kContent, "f", "message-file", "", "name", "", kFile,
     "Message to send repeatedly, read from a file; repeatable."},
    {G::kContent, "", "message-rate", "", "R", "unlimited", kMessageRate,
     "Messages per second per connection; @<T> finds the highest rate whose "
     "p95 message latency stays under T (needs --latency-marker)."},
    {G::kContent, "e", "unescape-message-args", "", "", "off", "",
     "Turn \\n \\r \\t \\\\ \\xHH \\OOO into bytes in messages, markers and "
     "headers."},
    {G::kContent, "", "message-stop", "", "string", "", kText,
     "Stop the run (exit 2) when this appears in received data."},
    {G::kContent, "", "delay-send", "", "T", "0", kTimeForms,
     "Wait this long after connecting before sending."},
    {G::kContent, "", "write-combine", "", "on|off", "on", kOnOff,
     "off: one message per send."},

    // Latency.
    {G::kLatency, "", "latency-connect", "", "", "off", "",
     "Measure TCP connect latency."},
    {G::kLatency, "", "latency-first-byte", "", "", "off", "",
     "Measure the time from connection start to the first received byte."},
    {G::kLatency, "", "latency-marker", "", "string", "", kText,
     "Measure the time from sending a message to seeing this marker in the "
     "received data."},
    {G::kLatency, "", "latency-marker-skip", "", "N", "0", kCountForms,
     "Ignore the first N marker sightings per connection."},
    {G::kLatency, "", "latency-percentiles", "", "list", "95,99,99.5",
     kPercentiles,
     "Latency percentiles to report, separated by , or /; repeatable."},
    {G::kLatency, "", "message-marker", "", "", "off", "",
     "Find \\{message.marker} timestamps in received data: message rate and "
     "one-way latency."},

    // StatsD.
    {G::kStatsd, "", "statsd", "", "", "off", "",
     "Send StatsD metrics over UDP."},
    {G::kStatsd, "", "statsd-host", "", "host", "localhost", kText,
     "StatsD host to send metrics to."},
    {G::kStatsd, "", "statsd-port", "", "port", "8125", kPort, "StatsD port."},
    {G::kStatsd, "", "statsd-namespace", "", "string", "tcpkali", kText,
     "Metric name prefix."},
    {G::kStatsd, "", "statsd-latency-window", "", "T", "whole run", kTimeForms,
     "Send latency percentiles each T and start them anew."},

    // Output.
    {G::kOutput, "d", "dump-one", "", "", "off", "",
     "Print one connection's traffic to stderr."},
    {G::kOutput, "", "dump-one-in", "", "", "off", "",
     "Print one connection's received data to stderr."},
    {G::kOutput, "", "dump-one-out", "", "", "off", "",
     "Print one connection's sent data to stderr."},
    {G::kOutput, "", "dump-all", "", "", "off", "",
     "Print every connection's traffic to stderr."},
    {G::kOutput, "", "dump-all-in", "", "", "off", "",
     "Print every connection's received data to stderr."},
    {G::kOutput, "", "dump-all-out", "", "", "off", "",
     "Print every connection's sent data to stderr."},
    {G::kOutput, "", "json", "", "", "off", "",
     "Print the final report as one JSON object on stdout."},
    {G::kOutput, "", "stats-json", "", "file", "", kFile,
     "Append one JSON object per second (the live numbers) to this file."},
};

}  // namespace

std::span<const OptionSpec> AllOptions() { return kOptions; }

std::string_view GroupTitle(OptionGroup group) {
  switch (group) {
    case OptionGroup::kGeneral:
      return "General";
    case OptionGroup::kNetwork:
      return "Network";
    case OptionGroup::kContent:
      return "Traffic content";
    case OptionGroup::kLatency:
      return "Latency";
    case OptionGroup::kStatsd:
      return "StatsD";
    case OptionGroup::kOutput:
      return "Output";
  }
  return "";
}

std::string DisplayName(const OptionSpec& option) {
  if (option.long_name.empty()) return "-" + std::string(option.short_name);
  return "--" + std::string(option.long_name);
}

const OptionSpec* FindOption(std::string_view name) {
  if (name.empty()) return nullptr;
  for (const OptionSpec& option : kOptions) {
    if (option.long_name == name || option.synonym == name ||
        option.short_name == name) {
      return &option;
    }
  }
  return nullptr;
}

}  // namespace tcpkali::cli
