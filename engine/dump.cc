#include "engine/dump.h"

#include <charconv>
#include <cstring>

namespace tcpkali::engine {
namespace {

// "Snd(" + 20 digits + ", " + 20 digits + "): [" + "]\n" is 52 bytes.
constexpr size_t kFrameBytes = 56;
// The longest escape: "\n" plus newline and tab, or "\xHH".
constexpr size_t kMaxEscapeBytes = 4;

char* Put(char* p, const char* text, size_t n) {
  std::memcpy(p, text, n);
  return p + n;
}

char* PutNumber(char* p, uint64_t value) {
  // 20 digits always fit: the buffer was sized for them.
  return std::to_chars(p, p + 20, value).ptr;
}

char* PutEscaped(char* p, uint8_t c) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  if (c >= 0x20 && c <= 0x7E && c != '\\') {
    *p++ = static_cast<char>(c);
    return p;
  }
  switch (c) {
    case '\\':
      return Put(p, "\\\\", 2);
    case '\r':
      return Put(p, "\\r", 2);
    case '\n':
      return Put(p, "\\n\n\t", 4);
    default:
      p = Put(p, "\\x", 2);
      *p++ = kHex[c >> 4];
      *p++ = kHex[c & 0xF];
      return p;
  }
}

}  // namespace

void AppendDump(std::string& out, Direction direction, uint64_t connection_id,
                const uint8_t* data, size_t len) {
  const size_t old_size = out.size();
  // Sized for the worst case, then trimmed: one pass, and no reallocation
  // once the caller's string has grown to its largest entry.
  out.resize(old_size + kFrameBytes + kMaxEscapeBytes * len);
  char* const begin = out.data() + old_size;
  char* p = Put(begin, direction == Direction::kSend ? "Snd(" : "Rcv(", 4);
  p = PutNumber(p, connection_id);
  p = Put(p, ", ", 2);
  p = PutNumber(p, len);
  p = Put(p, "): [", 4);
  for (size_t i = 0; i < len; ++i) p = PutEscaped(p, data[i]);
  p = Put(p, "]\n", 2);
  out.resize(old_size + static_cast<size_t>(p - begin));
}

bool DumpSelector::ShouldDump(Direction direction, uint64_t connection_id) {
  const bool send = direction == Direction::kSend;
  if (send ? config_.all_out : config_.all_in) return true;
  if (!(send ? config_.one_out : config_.one_in)) return false;
  uint64_t holder = claimed_.load(std::memory_order_relaxed);
  if (holder == connection_id) return true;
  if (holder != kNobody) return false;
  // Nobody holds the dump: this connection is the first to show traffic.
  // Losing the race means another connection got there first.
  return claimed_.compare_exchange_strong(holder, connection_id,
                                          std::memory_order_relaxed);
}

void DumpSelector::OnClose(uint64_t connection_id) {
  uint64_t holder = connection_id;
  if (claimed_.load(std::memory_order_relaxed) != connection_id) return;
  claimed_.compare_exchange_strong(holder, kNobody, std::memory_order_relaxed);
}

}  // namespace tcpkali::engine
