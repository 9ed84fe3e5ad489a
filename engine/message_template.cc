#include "engine/message_template.h"

#include <algorithm>
#include <cstring>
#include <utility>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "engine/expression.h"
#include "engine/marker_scanner.h"
#include "engine/websocket_frame.h"

namespace tcpkali::engine {
namespace {

// Longest decimal uint64: 18446744073709551615.
constexpr size_t kMaxUidDigits = 20;
// The largest message accepted: literal offsets are 32-bit, and a bigger
// message would be a per-worker scratch area of that size.
constexpr size_t kMaxMessageBytes = size_t{1} << 30;
// How much of a message an error quotes.
constexpr size_t kMaxQuotedBytes = 40;
// kFrameBegin's `a`: header byte 0 in the low 8 bits; this bit when the
// header length is the same for every expansion.
constexpr uint32_t kFixedHeaderBit = 0x100;

// absl::StrCat takes absl::string_view, which Debian's abseil does not alias
// to std::string_view.
absl::string_view Av(std::string_view s) { return {s.data(), s.size()}; }

size_t DecimalDigits(uint64_t v) {
  size_t n = 1;
  while (v >= 10) {
    v /= 10;
    ++n;
  }
  return n;
}

uint8_t* WriteDecimal(uint64_t v, uint8_t* out) {
  uint8_t digits[kMaxUidDigits];
  size_t n = 0;
  do {
    digits[kMaxUidDigits - ++n] = static_cast<uint8_t>('0' + v % 10);
    v /= 10;
  } while (v != 0);
  std::memcpy(out, digits + kMaxUidDigits - n, n);
  return out + n;
}

// The header of a frame whose first byte (FIN, RSV, opcode) is `header0`.
ws::FrameHeader FrameHeaderFrom(uint32_t header0, uint64_t payload_bytes) {
  return {.opcode = static_cast<ws::Opcode>(header0 & 0xF),
          .fin = (header0 & 0x80) != 0,
          .rsv = static_cast<uint8_t>((header0 >> 4) & 0x7),
          .payload_bytes = payload_bytes};
}

size_t HeaderBytes(uint64_t payload_bytes, bool masked) {
  ws::FrameHeader h{.payload_bytes = payload_bytes};
  if (masked) h.mask_key = 0;
  return ws::FrameHeaderBytes(h);
}

}  // namespace

struct CompiledMessage::FrameCursor {
  uint8_t* start = nullptr;    // where the header goes
  uint8_t* payload = nullptr;  // where the payload is being written
  uint32_t header = 0;         // kFrameBegin's `a`
  uint32_t mask_key = 0;
  bool mask_inline = false;  // mask each piece as it is written
};

// Turns parsed expressions into a CompiledMessage. Used once per message at
// start; allocation is fine here.
class MessageBuilder {
 public:
  MessageBuilder(const CompileOptions& options, uint32_t message_id)
      : options_(options), id_(message_id) {}

  CompiledMessage Build(std::vector<Expression>& pieces) {
    std::vector<Item> run;  // content waiting to be framed under --ws
    for (Expression& e : pieces) {
      const bool explicit_framing = e.kind == Expression::Kind::kWsFrame ||
                                    e.kind == Expression::Kind::kRaw;
      if (!explicit_framing) {
        Item item = Convert(e);
        if (options_.websocket) {
          run.push_back(std::move(item));
        } else {
          content_min_ += item.min;
          items_.push_back(std::move(item));
        }
        continue;
      }
      FlushRun(run);
      if (e.kind == Expression::Kind::kRaw) {
        content_min_ += e.bytes.size();
        items_.push_back(Literal(std::move(e.bytes)));
      } else {
        std::vector<Item> payload;
        if (!e.bytes.empty()) payload.push_back(Literal(std::move(e.bytes)));
        AddFrame(static_cast<uint8_t>((e.fin ? 0x80 : 0) | (e.rsv << 4) |
                                      static_cast<uint8_t>(e.opcode)),
                 payload, /*automatic=*/false);
      }
    }
    FlushRun(run);
    return Finish();
  }

  // The smallest number of bytes the message's content may produce, not
  // counting headers of frames added by --ws: zero means an empty message.
  size_t content_min_bytes() const { return content_min_; }

 private:
  using Op = CompiledMessage::Op;

  struct Item {
    Op op = Op::kLiteral;
    std::string literal;  // kLiteral
    uint32_t a = 0;
    uint64_t b = 0;
    size_t min = 0;
    size_t max = 0;
    MessageScope scope = MessageScope::kStatic;
  };

  static Item Literal(std::string bytes) {
    Item item{.op = Op::kLiteral, .literal = std::move(bytes)};
    item.min = item.max = item.literal.size();
    return item;
  }

  Item Regex(Op op, RegexGenerator re, uint64_t b, MessageScope scope) {
    Item item{.op = op,
              .a = static_cast<uint32_t>(message_.regexes_.size()),
              .b = b,
              .min = re.min_bytes(),
              .max = re.max_bytes(),
              .scope = scope};
    message_.regexes_.push_back(std::move(re));
    return item;
  }

  Item Convert(Expression& e) {
    switch (e.kind) {
      case Expression::Kind::kConnectionUid:
        return Item{
            .op = Op::kUid,
            .b = e.modulo,
            .min = 1,
            .max = e.modulo ? DecimalDigits(e.modulo - 1) : kMaxUidDigits,
            .scope = MessageScope::kPerConnection};
      case Expression::Kind::kMessageMarker:
        return Item{.op = Op::kMarker,
                    .min = kMarkerBytes,
                    .max = kMarkerBytes,
                    .scope = MessageScope::kPerMessage};
      case Expression::Kind::kRegex:
        return ConvertRegex(e);
      default:
        return Literal(std::move(e.bytes));
    }
  }

  Item ConvertRegex(Expression& e) {
    RegexGenerator& re = *e.regex;
    // Which regex of which message: keeps each one's random stream apart.
    const uint64_t key = (static_cast<uint64_t>(id_) << 32) | regex_count_++;
    const bool fixed =
        re.IsConstant() || e.regex_scope == Expression::RegexScope::kGlobal;
    if (fixed) {
      // uid 0 is never a connection's, so the global stream is distinct.
      FastRandom rng(MixSeed(options_.run_seed, 0, key));
      std::string bytes(re.max_bytes(), '\0');
      bytes.resize(re.Generate(rng, reinterpret_cast<uint8_t*>(bytes.data())));
      return Literal(std::move(bytes));
    }
    if (e.regex_scope == Expression::RegexScope::kConnection) {
      return Regex(Op::kConnectionRegex, std::move(re), key,
                   MessageScope::kPerConnection);
    }
    return Regex(Op::kRegex, std::move(re), 0, MessageScope::kPerMessage);
  }

  void FlushRun(std::vector<Item>& run) {
    if (run.empty()) return;
    AddFrame(0x80 | static_cast<uint8_t>(ws::Opcode::kText), run,
             /*automatic=*/true);
    run.clear();
  }

  // Appends one frame around `payload`: a literal when it can be built now,
  // else begin/payload/end items.
  void AddFrame(uint8_t header0, std::vector<Item>& payload, bool automatic) {
    size_t min = 0;
    size_t max = 0;
    MessageScope scope =
        options_.masked ? MessageScope::kPerMessage : MessageScope::kStatic;
    for (const Item& item : payload) {
      min += item.min;
      max += item.max;
      scope = std::max(scope, item.scope);
    }
    const size_t header_min = HeaderBytes(min, options_.masked);
    const size_t header_max = HeaderBytes(max, options_.masked);
    content_min_ += automatic ? min : header_min + min;
    if (scope == MessageScope::kStatic) {
      std::string bytes(header_min, '\0');
      ws::EncodeFrameHeader(reinterpret_cast<uint8_t*>(bytes.data()),
                            FrameHeaderFrom(header0, min));
      for (const Item& item : payload) bytes += item.literal;
      items_.push_back(Literal(std::move(bytes)));
      return;
    }
    const bool fixed = header_min == header_max;
    items_.push_back({.op = Op::kFrameBegin,
                      .a = header0 | (fixed ? kFixedHeaderBit : 0),
                      .b = header_max,
                      .min = header_min,
                      .max = header_max,
                      .scope = scope});
    for (Item& item : payload) items_.push_back(std::move(item));
    items_.push_back({.op = Op::kFrameEnd});
  }

  CompiledMessage Finish() {
    CompiledMessage& m = message_;
    m.masked_ = options_.masked;
    for (Item& item : items_) {
      m.min_bytes_ += item.min;
      m.max_bytes_ += item.max;
      m.scope_ = std::max(m.scope_, item.scope);
      if (item.op != Op::kLiteral) {
        m.segments_.push_back({.op = item.op, .a = item.a, .b = item.b});
        continue;
      }
      if (item.literal.empty()) continue;
      const bool merge =
          !m.segments_.empty() && m.segments_.back().op == Op::kLiteral;
      if (merge) {
        m.segments_.back().b += item.literal.size();
      } else {
        m.segments_.push_back({.op = Op::kLiteral,
                               .a = static_cast<uint32_t>(m.bytes_.size()),
                               .b = item.literal.size()});
      }
      m.bytes_ += item.literal;
    }
    const std::vector<CompiledMessage::Segment>& s = m.segments_;
    if (m.masked_ && s.size() == 3 && s[0].op == Op::kFrameBegin &&
        (s[0].a & kFixedHeaderBit) != 0 && s[1].op == Op::kLiteral &&
        s[2].op == Op::kFrameEnd) {
      ws::FrameHeader h = FrameHeaderFrom(s[0].a, s[1].b);
      h.mask_key = 0;
      uint8_t header[ws::kMaxFrameHeaderBytes];
      const size_t n = ws::EncodeFrameHeader(header, h);
      m.masked_frame_prefix_.assign(reinterpret_cast<char*>(header), n - 4);
    }
    return std::move(m);
  }

  const CompileOptions& options_;
  const uint32_t id_;
  uint32_t regex_count_ = 0;
  size_t content_min_ = 0;
  std::vector<Item> items_;
  CompiledMessage message_;
};

size_t CompiledMessage::Expand(const ExpandContext& ctx, uint8_t* out) const {
  if (scope_ == MessageScope::kStatic) {
    std::memcpy(out, bytes_.data(), bytes_.size());
    return bytes_.size();
  }
  if (!masked_frame_prefix_.empty()) {
    // The same bytes as the general path below: one key drawn per frame,
    // written in network byte order after the rest of the header.
    const uint32_t key = ctx.rng->Next32();
    const size_t prefix = masked_frame_prefix_.size();
    std::memcpy(out, masked_frame_prefix_.data(), prefix);
    ws::PutMaskKey(out + prefix, key);
    const Segment& text = segments_[1];
    ws::CopyMasked(out + prefix + 4, reinterpret_cast<const uint8_t*>(bytes_.data()) + text.a,
                   text.b, key, 0);
    return prefix + 4 + text.b;
  }
  FrameCursor frame;
  uint8_t* p = out;
  for (const Segment& seg : segments_) p = ExpandSegment(seg, ctx, frame, p);
  return static_cast<size_t>(p - out);
}

uint8_t* CompiledMessage::ExpandSegment(const Segment& seg,
                                        const ExpandContext& ctx,
                                        FrameCursor& frame,
                                        uint8_t* out) const {
  uint8_t* end = out;
  switch (seg.op) {
    case Op::kLiteral: {
      const uint8_t* src =
          reinterpret_cast<const uint8_t*>(bytes_.data()) + seg.a;
      if (frame.mask_inline) {
        ws::CopyMasked(out, src, seg.b, frame.mask_key, out - frame.payload);
      } else {
        std::memcpy(out, src, seg.b);
      }
      return out + seg.b;
    }
    case Op::kUid:
      end = WriteDecimal(
          seg.b ? ctx.connection_uid % seg.b : ctx.connection_uid, out);
      break;
    case Op::kRegex:
      end = out + regexes_[seg.a].Generate(*ctx.rng, out);
      break;
    case Op::kConnectionRegex: {
      FastRandom rng(MixSeed(ctx.run_seed, ctx.connection_uid, seg.b));
      end = out + regexes_[seg.a].Generate(rng, out);
      break;
    }
    case Op::kMarker:
      WriteMarker(static_cast<uint64_t>(ctx.send_time_us),
                  reinterpret_cast<char*>(out));
      end = out + kMarkerBytes;
      break;
    case Op::kFrameBegin:
      frame.start = out;
      frame.header = seg.a;
      frame.payload = out + seg.b;
      frame.mask_key = masked_ ? ctx.rng->Next32() : 0;
      frame.mask_inline = masked_ && (seg.a & kFixedHeaderBit) != 0;
      return frame.payload;
    case Op::kFrameEnd:
      return EndFrame(frame, out);
  }
  if (frame.mask_inline) {
    ws::MaskPayload(out, end - out, frame.mask_key, out - frame.payload);
  }
  return end;
}

// Writes the header of the frame whose payload ends at `out`. The payload
// was written after room for the longest header it could need; when the
// actual header is shorter (only for payloads whose length class varies)
// the payload moves down to close the gap.
uint8_t* CompiledMessage::EndFrame(FrameCursor& frame, uint8_t* out) const {
  const uint64_t len = static_cast<uint64_t>(out - frame.payload);
  ws::FrameHeader header = FrameHeaderFrom(frame.header, len);
  if (masked_) header.mask_key = frame.mask_key;
  uint8_t* payload = frame.start + ws::FrameHeaderBytes(header);
  if (payload != frame.payload) std::memmove(payload, frame.payload, len);
  ws::EncodeFrameHeader(frame.start, header);
  if (masked_ && !frame.mask_inline) {
    ws::MaskPayload(payload, len, frame.mask_key, 0);
  }
  frame = FrameCursor();
  return payload + len;
}

size_t CompiledMessages::max_message_bytes() const {
  size_t max = 0;
  for (const CompiledMessage& m : first) max = std::max(max, m.max_bytes());
  for (const CompiledMessage& m : repeated) max = std::max(max, m.max_bytes());
  return max;
}

MessageScope CompiledMessages::repeated_scope() const {
  MessageScope scope = MessageScope::kStatic;
  for (const CompiledMessage& m : repeated) scope = std::max(scope, m.scope());
  return scope;
}

absl::StatusOr<CompiledMessage> CompileMessage(std::string_view text,
                                               std::string_view option,
                                               uint32_t message_id,
                                               const CompileOptions& options) {
  absl::StatusOr<std::vector<Expression>> pieces = ParseMessage(text, option);
  if (!pieces.ok()) return pieces.status();
  MessageBuilder builder(options, message_id);
  CompiledMessage message = builder.Build(*pieces);
  if (builder.content_min_bytes() == 0) {
    return absl::InvalidArgumentError(absl::StrCat(
        Av(option), ": message \"", EscapeForError(text, kMaxQuotedBytes),
        "\" may expand to zero bytes; every message must send at least one"));
  }
  if (message.max_bytes() > kMaxMessageBytes) {
    return absl::InvalidArgumentError(absl::StrCat(
        Av(option), ": message \"", EscapeForError(text, kMaxQuotedBytes),
        "\" may expand to ", message.max_bytes(), " bytes; the limit is ",
        kMaxMessageBytes));
  }
  return message;
}

namespace {

// Compiles one list of specs; `literal_option` and `file_option` name
// where they came from.
absl::Status CompileList(const std::vector<MessageSpec>& specs,
                         std::string_view literal_option,
                         std::string_view file_option,
                         const CompileOptions& options, uint32_t& next_id,
                         std::vector<CompiledMessage>& out) {
  size_t literal_count = 0;
  size_t file_count = 0;
  for (const MessageSpec& spec : specs) {
    ++(spec.kind == MessageSpec::kFile ? file_count : literal_count);
  }
  size_t literal_seen = 0;
  size_t file_seen = 0;
  for (const MessageSpec& spec : specs) {
    const bool is_file = spec.kind == MessageSpec::kFile;
    const size_t count = is_file ? file_count : literal_count;
    const size_t ordinal = ++(is_file ? file_seen : literal_seen);
    // "--message" alone, "--message #2" when there are several.
    const std::string option =
        absl::StrCat(Av(is_file ? file_option : literal_option),
                     count > 1 ? absl::StrCat(" #", ordinal) : "");
    std::string file_bytes;
    if (is_file) {
      absl::StatusOr<std::string> bytes = ReadFileBytes(spec.data);
      if (!bytes.ok()) {
        return absl::DataLossError(
            absl::StrCat(option, ": ", bytes.status().message()));
      }
      file_bytes = std::move(*bytes);
    }
    absl::StatusOr<CompiledMessage> message = CompileMessage(
        is_file ? file_bytes : spec.data, option, next_id++, options);
    if (!message.ok()) return message.status();
    out.push_back(std::move(*message));
  }
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<CompiledMessages> CompileMessages(
    const Config& config, const CompileOptions& options) {
  CompiledMessages messages;
  uint32_t next_id = 0;
  absl::Status s =
      CompileList(config.first_messages, "--first-message",
                  "--first-message-file", options, next_id, messages.first);
  if (!s.ok()) return s;
  s = CompileList(config.messages, "--message", "--message-file", options,
                  next_id, messages.repeated);
  if (!s.ok()) return s;
  return messages;
}

}  // namespace tcpkali::engine
