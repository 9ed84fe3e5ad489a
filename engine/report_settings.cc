#include "engine/report_settings.h"

#include <string>

#include "absl/strings/str_join.h"

namespace tcpkali::engine {
namespace {

using stats::Setting;

const char* ListenModeName(ListenMode mode) {
  switch (mode) {
    case ListenMode::kActive:
      return "active";
    case ListenMode::kEcho:
      return "echo";
    default:
      return "silent";
  }
}

std::string Join(const std::vector<std::string>& items) {
  return absl::StrJoin(items, ",");
}

}  // namespace

std::vector<Setting> ConfigSettings(const Config& config, const RunPlan& plan) {
  std::vector<Setting> s;
  std::vector<std::string> destinations;
  for (const Destination& d : config.destinations) destinations.push_back(d.text);
  s.push_back(Setting::String("destinations", Join(destinations)));
  if (config.listen) {
    s.push_back(Setting::String(
        "listen_port", config.listen->host + ":" + std::to_string(config.listen->port)));
    s.push_back(Setting::String("listen_mode", ListenModeName(config.listen_mode)));
  }
  s.push_back(Setting::Integer("connections",
                               static_cast<int64_t>(plan.client_connections)));
  s.push_back(Setting::Integer("workers", plan.workers));
  s.push_back(Setting::Number("connect_rate", config.connect_rate_per_s));
  s.push_back(Setting::Number("connect_timeout_s", config.connect_timeout_ns / 1e9));
  if (config.duration_ns) {
    s.push_back(Setting::Number("duration_s", *config.duration_ns / 1e9));
  }
  if (config.channel_lifetime_ns) {
    s.push_back(Setting::Number("channel_lifetime_s", *config.channel_lifetime_ns / 1e9));
  }
  s.push_back(Setting::Integer("first_messages",
                               static_cast<int64_t>(config.first_messages.size())));
  s.push_back(Setting::Integer("messages", static_cast<int64_t>(config.messages.size())));
  if (config.message_rate_per_s) {
    s.push_back(Setting::Number("message_rate", *config.message_rate_per_s));
  }
  if (config.message_rate_target_latency_ns) {
    s.push_back(Setting::Number("message_rate_target_latency_ms",
                                *config.message_rate_target_latency_ns / 1e6));
  }
  if (config.upstream_bytes_per_s) {
    s.push_back(Setting::Number("channel_bandwidth_upstream_Bps",
                                *config.upstream_bytes_per_s));
  }
  if (config.downstream_bytes_per_s) {
    s.push_back(Setting::Number("channel_bandwidth_downstream_Bps",
                                *config.downstream_bytes_per_s));
  }
  s.push_back(Setting::Number("delay_send_s", config.delay_send_ns / 1e9));
  s.push_back(Setting::Bool("write_combine", config.write_combine));
  if (config.nagle) s.push_back(Setting::Bool("nagle", *config.nagle));
  if (config.rcvbuf_bytes) {
    s.push_back(Setting::Integer("rcvbuf", static_cast<int64_t>(*config.rcvbuf_bytes)));
  }
  if (config.sndbuf_bytes) {
    s.push_back(Setting::Integer("sndbuf", static_cast<int64_t>(*config.sndbuf_bytes)));
  }
  if (!config.source_ips.empty()) {
    s.push_back(Setting::String("source_ip", Join(config.source_ips)));
  }
  s.push_back(Setting::Bool("websocket", config.websocket));
  s.push_back(Setting::Bool("latency_connect", config.latency_connect));
  s.push_back(Setting::Bool("latency_first_byte", config.latency_first_byte));
  if (config.latency_marker) {
    s.push_back(Setting::String("latency_marker", *config.latency_marker));
    s.push_back(Setting::Integer("latency_marker_skip",
                                 static_cast<int64_t>(config.latency_marker_skip)));
  }
  s.push_back(Setting::Bool("message_marker", config.message_marker));
  if (config.message_stop) s.push_back(Setting::String("message_stop", *config.message_stop));
  s.push_back(Setting::String("latency_percentiles",
                              Join(config.latency_percentile_names)));
  return s;
}

std::vector<Setting> KernelSettings(const RunPlan& plan) {
  const KernelFeatures& f = plan.features;
  return {
      Setting::String("release", f.kernel_release),
      Setting::Bool("single_issuer", f.single_issuer),
      Setting::Bool("defer_taskrun", f.defer_taskrun),
      Setting::Bool("registered_ring_fd", f.registered_ring_fd),
      Setting::Bool("socket_direct", f.socket_direct),
      Setting::Bool("setsockopt_cmd", f.setsockopt_cmd),
      Setting::Bool("bind_op", f.bind_op),
      Setting::Bool("listen_op", f.listen_op),
      Setting::Bool("accept_multishot", f.accept_multishot),
      Setting::Bool("recv_multishot", f.recv_multishot),
      Setting::Bool("buf_ring", f.buf_ring),
      Setting::Bool("recvsend_bundle", f.recvsend_bundle),
      Setting::Bool("send_zc", f.send_zc),
      Setting::String("socket_setup", plan.socket_setup_in_ring ? "ring" : "fallback"),
      Setting::Integer("recv_buffers_per_worker", plan.recv_buffers),
      Setting::Integer("recv_buffer_bytes", plan.recv_buffer_bytes),
  };
}

}  // namespace tcpkali::engine
