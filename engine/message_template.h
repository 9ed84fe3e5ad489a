// Message templates: every -1/-m/-f message compiled once at start into a
// form that the send path expands without parsing and without allocating.
//
// Each CompiledMessage has a scope, the most variable of its parts:
//   kStatic         identical for every connection and every send: literal
//                   text, files, \{global.re}, unmasked frames of those.
//                   Its bytes are ready in static_bytes(); the engine lays
//                   the repeated ones out in one shared buffer (send_stream.h)
//   kPerConnection  depends only on the connection: \{connection.uid},
//                   \{connection.re}. Expanded once per connection.
//   kPerMessage     different for every send: \{re}, \{message.marker}, and
//                   every masked WebSocket frame (RFC 6455 wants a fresh
//                   mask key per frame). Expanded at send time into a
//                   per-worker scratch area of max_message_bytes().
//
// Framing. Under --ws (CompileOptions::websocket) a message without explicit
// frames becomes one text frame. In a message with \{ws.*} or \{raw}
// expressions each run of other content between them becomes its own text
// frame (even when it expands to nothing, as `\{re a?}` may), \{ws.*}
// frames are sent as written and \{raw} bytes unframed.
// Without --ws only explicit \{ws.*} expressions make frames. With
// CompileOptions::masked (the client side) every frame carries a fresh
// random mask key; a frame whose header length is known at compile time is
// masked as its payload is written, in the same pass as the copy, so a
// large static payload is read once and written once per send.
//
// \{connection.re} is a pure function of (run seed, connection uid, which
// expression), and \{global.re} of (run seed, which expression), so neither
// needs storage beyond the template.
//
// Example:
//   absl::StatusOr<CompiledMessages> messages =
//       CompileMessages(config, {.websocket = config.websocket,
//                                .masked = config.websocket,
//                                .run_seed = seed});
//   if (!messages.ok()) return messages.status();  // exit 64 or 65
//   std::vector<uint8_t> scratch(messages->max_message_bytes());
//   FastRandom rng(MixSeed(seed, worker_index, 0));
//   ExpandContext ctx{.connection_uid = uid, .run_seed = seed,
//                     .rng = &rng, .send_time_us = now_us};
//   size_t n = messages->repeated[0].Expand(ctx, scratch.data());
#ifndef TCPKALI_ENGINE_MESSAGE_TEMPLATE_H_
#define TCPKALI_ENGINE_MESSAGE_TEMPLATE_H_

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "engine/config.h"
#include "engine/fast_random.h"
#include "engine/regex_gen.h"

namespace tcpkali::engine {

struct CompileOptions {
  bool websocket = false;  // --ws: frame messages that are not framed
  bool masked = false;     // mask every frame (client to server)
  uint64_t run_seed = 0;   // seeds \{connection.re} and \{global.re}
};

// What a message's expansion may depend on. Ordered: a larger scope
// includes the smaller ones.
enum class MessageScope : uint8_t { kStatic, kPerConnection, kPerMessage };

// The inputs of one expansion. Plain value, built by the caller per send.
struct ExpandContext {
  uint64_t connection_uid = 0;  // 1, 2, 3, ...; 0 is never a connection
  uint64_t run_seed = 0;        // the CompileOptions::run_seed
  // Per-message randomness (\{re}, mask keys). May be null for messages
  // whose scope is below kPerMessage.
  FastRandom* rng = nullptr;
  int64_t send_time_us = 0;  // for \{message.marker}: since the epoch
};

// One compiled message. Immutable after compilation; Expand() may be
// called concurrently from any thread.
class CompiledMessage {
 public:
  MessageScope scope() const { return scope_; }
  // Bounds of Expand()'s output; min_bytes() is at least 1.
  size_t min_bytes() const { return min_bytes_; }
  size_t max_bytes() const { return max_bytes_; }
  // For kStatic messages, the bytes every expansion produces; empty for
  // other scopes.
  std::string_view static_bytes() const {
    return scope_ == MessageScope::kStatic ? std::string_view(bytes_)
                                           : std::string_view();
  }

  // Writes this message for `ctx` to `out`, which has room for
  // max_bytes(), and returns the number of bytes written. No allocation,
  // no failure. ctx.rng must be set when scope() is kPerMessage.
  size_t Expand(const ExpandContext& ctx, uint8_t* out) const;

 private:
  friend class MessageBuilder;

  enum class Op : uint8_t {
    kLiteral,          // bytes_[a, a + b)
    kUid,              // decimal connection uid, modulo b when b != 0
    kRegex,            // regexes_[a] with ctx.rng
    kConnectionRegex,  // regexes_[a] with MixSeed(run seed, uid, b)
    kMarker,           // kMarkerBytes (engine/marker_scanner.h)
    kFrameBegin,       // header byte 0 in a; header length b (0: variable)
    kFrameEnd,
  };
  struct Segment {
    Op op;
    uint32_t a = 0;
    uint64_t b = 0;
  };

  // State of the frame being expanded, if any.
  struct FrameCursor;
  uint8_t* ExpandSegment(const Segment& seg, const ExpandContext& ctx,
                         FrameCursor& frame, uint8_t* out) const;
  uint8_t* EndFrame(FrameCursor& frame, uint8_t* out) const;

  MessageScope scope_ = MessageScope::kStatic;
  bool masked_ = false;
  size_t min_bytes_ = 0;
  size_t max_bytes_ = 0;
  std::vector<Segment> segments_;
  std::string bytes_;  // literal storage; the whole message when kStatic
  // When the message is one masked frame of fixed text (-m with --ws, the
  // usual case): the frame header up to its mask key. Expand() then writes
  // it, a fresh key and the masked text, with no per-segment dispatch.
  std::string masked_frame_prefix_;
  std::vector<RegexGenerator> regexes_;
};

struct CompiledMessages {
  std::vector<CompiledMessage> first;     // config.first_messages, in order
  std::vector<CompiledMessage> repeated;  // config.messages, sent in turn

  // The largest max_bytes() of any message: the per-worker scratch size.
  size_t max_message_bytes() const;
  // The largest scope of the repeated messages (kStatic when none).
  MessageScope repeated_scope() const;
};

// Compiles one message `text` given to `option` (for error messages).
// `message_id` must differ between the messages of one run (CompileMessages
// numbers them in order): it keeps their \{connection.re} and \{global.re}
// streams independent. Fails with the errors of ParseMessage()
// (engine/expression.h), or InvalidArgument when the message may expand to
// zero bytes: `--message: message "..." may expand to zero bytes; ...`.
[[nodiscard]] absl::StatusOr<CompiledMessage> CompileMessage(
    std::string_view text, std::string_view option, uint32_t message_id,
    const CompileOptions& options);

// Compiles config.first_messages and config.messages, reading kFile specs
// (an unreadable one is DataLoss: `--message-file: cannot read "x": ...`).
// Error messages name the option each message came from and its 1-based
// number among that option's messages.
[[nodiscard]] absl::StatusOr<CompiledMessages> CompileMessages(
    const Config& config, const CompileOptions& options);

}  // namespace tcpkali::engine

#endif  // TCPKALI_ENGINE_MESSAGE_TEMPLATE_H_
