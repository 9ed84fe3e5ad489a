// The kinds of latency the generator measures, and the names each kind
// carries in the text summary, the live line, StatsD and JSON.
//
// A worker records one histogram per enabled kind; which kinds are enabled
// follows from the command line (--latency-connect, --latency-first-byte,
// --latency-marker / --message-marker, --message-rate, --ws).
//
// Example:
//   stats::LatencyKindSet kinds;
//   kinds.Add(stats::LatencyKind::kConnect);
//   if (kinds.Has(stats::LatencyKind::kConnect)) { ... }
//   stats::LatencyKindStatsdName(stats::LatencyKind::kFirstByte);  //
//   "firstbyte"
#ifndef TCPKALI_STATS_LATENCY_KIND_H_
#define TCPKALI_STATS_LATENCY_KIND_H_

#include <array>
#include <cstdint>
#include <string_view>

namespace tcpkali::stats {

enum class LatencyKind : uint8_t {
  kConnect,      // connect() submitted -> established
  kFirstByte,    // connection start -> first received byte
  kMessage,      // message sent -> marker seen (or one-way, --message-marker)
  kPacingLag,    // how late a paced send went out versus its intended time
  kWsHandshake,  // WebSocket upgrade request -> 101 checked
};

inline constexpr int kLatencyKindCount = 5;

inline constexpr std::array<LatencyKind, kLatencyKindCount> kAllLatencyKinds = {
    LatencyKind::kConnect, LatencyKind::kFirstByte, LatencyKind::kMessage,
    LatencyKind::kPacingLag, LatencyKind::kWsHandshake};

constexpr int LatencyKindIndex(LatencyKind kind) {
  return static_cast<int>(kind);
}

// A set of kinds; a value type, cheap to copy.
class LatencyKindSet {
 public:
  constexpr LatencyKindSet() = default;

  constexpr void Add(LatencyKind kind) { bits_ |= Bit(kind); }
  constexpr bool Has(LatencyKind kind) const {
    return (bits_ & Bit(kind)) != 0;
  }
  constexpr bool Empty() const { return bits_ == 0; }

 private:
  static constexpr uint8_t Bit(LatencyKind kind) {
    return static_cast<uint8_t>(1u << LatencyKindIndex(kind));
  }
  uint8_t bits_ = 0;
};

// "connect", "first_byte", "message", "pacing_lag", "ws_handshake": the
// keys of the JSON report and of --stats-json.
constexpr std::string_view LatencyKindJsonName(LatencyKind kind) {
  constexpr std::array<std::string_view, kLatencyKindCount> kNames = {
      "connect", "first_byte", "message", "pacing_lag", "ws_handshake"};
  return kNames[LatencyKindIndex(kind)];
}

// The StatsD segment of `latency.<name>.<stat>`: "connect", "firstbyte" and
// "message" as SPEC.md lists them; the two new kinds follow the pattern.
constexpr std::string_view LatencyKindStatsdName(LatencyKind kind) {
  constexpr std::array<std::string_view, kLatencyKindCount> kNames = {
      "connect", "firstbyte", "message", "pacinglag", "wshandshake"};
  return kNames[LatencyKindIndex(kind)];
}

// The text summary's line title, before " at percentiles:". The first
// three are tcpkali's wording, which scripts grep for.
constexpr std::string_view LatencyKindTitle(LatencyKind kind) {
  constexpr std::array<std::string_view, kLatencyKindCount> kNames = {
      "TCP connect latency", "First byte latency", "Message latency",
      "Pacing lag", "WebSocket handshake latency"};
  return kNames[LatencyKindIndex(kind)];
}

// The live line's short label ("c", "fb", "m"); empty for the kinds the
// live line does not show.
constexpr std::string_view LatencyKindLiveLabel(LatencyKind kind) {
  constexpr std::array<std::string_view, kLatencyKindCount> kNames = {
      "c", "fb", "m", "", ""};
  return kNames[LatencyKindIndex(kind)];
}

// True for the kinds StatsD reports (SPEC.md: connect, firstbyte, message).
constexpr bool LatencyKindInStatsd(LatencyKind kind) {
  return kind == LatencyKind::kConnect || kind == LatencyKind::kFirstByte ||
         kind == LatencyKind::kMessage;
}

}  // namespace tcpkali::stats

#endif  // TCPKALI_STATS_LATENCY_KIND_H_
