// Dump: the traffic that -d/--dump-one, --dump-one-in/-out and
// --dump-all(-in/-out) print on stderr, one entry per send or receive:
//     Snd(7, 5): [hello]
//     Rcv(3, 3): [a\n
//     	b]
// (the second entry received "a\nb"). The number after the direction is
// the connection's uid (\{connection.uid}), then the byte count. Printable
// ASCII (0x20..0x7E) is printed as is except the backslash, written `\\`;
// CR is `\r`; LF is `\n` followed by a real newline and a tab, so that
// line-based traffic stays readable; every other byte is `\xHH` (upper-case
// hex). tcpkali printed the same, with the socket's fd for the uid.
//
// Example (worker code):
//   if (selector.ShouldDump(Direction::kReceive, conn.uid)) {
//     dump_text.clear();                         // reused: no allocation
//     AppendDump(dump_text, Direction::kReceive, conn.uid, data, len);
//     WriteToStderr(dump_text);
//   }
//   ...
//   selector.OnClose(conn.uid);                  // when the connection ends
#ifndef TCPKALI_ENGINE_DUMP_H_
#define TCPKALI_ENGINE_DUMP_H_

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <string>

#include "engine/config.h"

namespace tcpkali::engine {

enum class Direction : uint8_t { kSend, kReceive };

// Appends the entry for `len` bytes of `data` moved on connection
// `connection_id` to `out`. Allocates only when `out` lacks the capacity
// for the worst case (4 * len + 56 bytes beyond its size), so a caller that
// clears and reuses one string stops allocating once it has grown.
void AppendDump(std::string& out, Direction direction, uint64_t connection_id,
                const uint8_t* data, size_t len);

// Decides whose traffic is dumped. Under --dump-all* every connection's;
// under --dump-one* that of a single connection for the whole process: the
// first one to show traffic in a dumped direction claims it, and when it
// closes the next one to show traffic takes over.
//
// Owned by the engine, shared by all workers (thread-safe). Reads are one
// relaxed atomic load; the claim and its release are one compare-exchange
// each, made only when no connection holds the claim or the holder closes.
class DumpSelector {
 public:
  explicit DumpSelector(const DumpConfig& config) : config_(config) {}
  DumpSelector(const DumpSelector&) = delete;
  DumpSelector& operator=(const DumpSelector&) = delete;

  // False when no dump flag was given: the caller can skip every check.
  bool enabled() const { return config_.Any(); }

  // Whether traffic in `direction` on `connection_id` is to be printed;
  // under --dump-one* this may claim the dump for `connection_id`.
  // `connection_id` must not be UINT64_MAX.
  [[nodiscard]] bool ShouldDump(Direction direction, uint64_t connection_id);

  // Releases the claim if `connection_id` holds it; otherwise does nothing.
  void OnClose(uint64_t connection_id);

 private:
  static constexpr uint64_t kNobody = UINT64_MAX;

  const DumpConfig config_;
  // The connection being dumped under --dump-one*, or kNobody. On its own
  // cache line: every worker reads it while it is held.
  alignas(64) std::atomic<uint64_t> claimed_{kNobody};
};

}  // namespace tcpkali::engine

#endif  // TCPKALI_ENGINE_DUMP_H_
