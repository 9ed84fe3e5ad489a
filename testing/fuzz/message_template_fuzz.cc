// Fuzz target for the message compiler (engine/message_template.h):
// CompileMessage with options from the input, then Expand. Expansions must
// stay within [min_bytes(), max_bytes()] (in a heap buffer of exactly
// max_bytes(), so the sanitizers see any write past it), equal
// static_bytes() for static messages, need no randomness below the
// per-message scope, repeat for the same inputs, and carry the marker's
// timestamp. Under --ws, a message without explicit frames must be one
// valid text frame whose payload is what the message expands to without
// --ws.
//
// As in expression_fuzz, inputs that mention a file and hold a '/' are
// skipped, so that \{<file>} reads only the scratch directory of
// scratch_dir.h.
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "engine/expression.h"
#include "engine/fast_random.h"
#include "engine/marker_scanner.h"
#include "engine/message_template.h"
#include "engine/websocket_decoder.h"
#include "testing/fuzz/fuzz_check.h"
#include "testing/fuzz/fuzz_input.h"
#include "testing/fuzz/scratch_dir.h"

namespace tcpkali::testing {
namespace {

using engine::CompiledMessage;
using engine::CompileOptions;
using engine::ExpandContext;
using engine::MessageScope;

// Expansion buffers are allocated per input; bigger messages are compiled
// but not expanded, to stay within libFuzzer's memory limit.
constexpr size_t kMaxExpandedBytes = 16 << 20;

struct Inputs {
  std::string_view text;
  CompileOptions options;
  uint32_t message_id = 0;
  ExpandContext ctx;
  uint64_t rng_seed = 0;
};

// One expansion with a fresh generator seeded with `rng_seed`, or none
// below the per-message scope (which must not need it).
std::string Expand(const CompiledMessage& m, ExpandContext ctx,
                   uint64_t rng_seed) {
  engine::FastRandom rng(rng_seed);
  ctx.rng = m.scope() == MessageScope::kPerMessage ? &rng : nullptr;
  std::unique_ptr<uint8_t[]> out(new uint8_t[m.max_bytes()]);
  const size_t n = m.Expand(ctx, out.get());
  TCPKALI_FUZZ_CHECK(n >= m.min_bytes() && n <= m.max_bytes(), "expanded ", n,
                     " bytes, bounds ", m.min_bytes(), "..", m.max_bytes());
  return std::string(reinterpret_cast<const char*>(out.get()), n);
}

// Collects one frame's payload, checking it is a single final text frame.
class OneTextFrame : public engine::ws::FrameVisitor {
 public:
  void OnFrameBegin(const engine::ws::FrameHeader& h) override {
    TCPKALI_FUZZ_CHECK(++frames_ == 1, "more than one frame");
    TCPKALI_FUZZ_CHECK(h.opcode == engine::ws::Opcode::kText && h.fin &&
                       h.rsv == 0);
  }
  void OnPayload(std::span<uint8_t> p) override {
    payload_.append(p.begin(), p.end());
  }
  void OnFrameEnd(const engine::ws::FrameEnd& end) override {
    TCPKALI_FUZZ_CHECK(end.message_end);
    ended_ = true;
  }
  bool ended() const { return ended_; }
  const std::string& payload() const { return payload_; }

 private:
  int frames_ = 0;
  bool ended_ = false;
  std::string payload_;
};

bool HasKind(const std::vector<engine::Expression>& pieces,
             engine::Expression::Kind kind) {
  for (const engine::Expression& e : pieces) {
    if (e.kind == kind) return true;
  }
  return false;
}

// Under --ws, a message without explicit frames is one automatic text
// frame: decode `out` as the peer would, and compare the payload with the
// same message expanded without --ws.
void CheckAutomaticFrame(const Inputs& in, std::string frame) {
  OneTextFrame visitor;
  engine::ws::FrameDecoder decoder(in.options.masked
                                       ? engine::ws::Role::kServer
                                       : engine::ws::Role::kClient);
  const engine::ws::DecodeResult r = decoder.Feed(
      {reinterpret_cast<uint8_t*>(frame.data()), frame.size()}, visitor);
  TCPKALI_FUZZ_CHECK(r.state == engine::ws::DecodeState::kOpen &&
                         r.consumed == frame.size() && visitor.ended(),
                     "the --ws message is not one whole valid frame");
  CompileOptions plain = in.options;
  plain.websocket = false;
  const absl::StatusOr<CompiledMessage> unframed =
      engine::CompileMessage(in.text, "--message", in.message_id, plain);
  TCPKALI_FUZZ_CHECK(unframed.ok(), unframed.status().ToString());
  // Mask keys come from the per-message generator too, ahead of \{re}:
  // compare only when that cannot shift what \{re} produces.
  if (in.options.masked && unframed->scope() == MessageScope::kPerMessage) {
    return;
  }
  TCPKALI_FUZZ_CHECK(
      Expand(*unframed, in.ctx, in.rng_seed) == visitor.payload(),
      "the frame's payload is not the message without --ws");
}

void CheckMessage(const Inputs& in, const CompiledMessage& m,
                  const std::vector<engine::Expression>& pieces) {
  TCPKALI_FUZZ_CHECK(m.min_bytes() >= 1 && m.min_bytes() <= m.max_bytes());
  if (m.max_bytes() > kMaxExpandedBytes) return;
  const std::string out = Expand(m, in.ctx, in.rng_seed);
  TCPKALI_FUZZ_CHECK(Expand(m, in.ctx, in.rng_seed) == out,
                     "same inputs, different expansion");
  if (m.scope() == MessageScope::kStatic) {
    TCPKALI_FUZZ_CHECK(out == m.static_bytes() && out.size() == m.min_bytes() &&
                       out.size() == m.max_bytes());
  } else {
    TCPKALI_FUZZ_CHECK(m.static_bytes().empty());
  }
  if (m.scope() != MessageScope::kPerMessage) {
    TCPKALI_FUZZ_CHECK(Expand(m, in.ctx, ~in.rng_seed) == out,
                       "depends on the per-message generator");
  }
  using Kind = engine::Expression::Kind;
  if (!in.options.websocket && HasKind(pieces, Kind::kMessageMarker)) {
    bool found = false;
    engine::MarkerScanState state;
    engine::ScanMarkers(state, reinterpret_cast<const uint8_t*>(out.data()),
                        out.size(), [&](uint64_t ts) {
                          found |=
                              ts == static_cast<uint64_t>(in.ctx.send_time_us);
                        });
    TCPKALI_FUZZ_CHECK(found, "the marker's timestamp is not in the message");
  }
  if (in.options.websocket && !HasKind(pieces, Kind::kWsFrame) &&
      !HasKind(pieces, Kind::kRaw)) {
    CheckAutomaticFrame(in, out);
  }
}

}  // namespace
}  // namespace tcpkali::testing

extern "C" int LLVMFuzzerInitialize(int* /*argc*/, char*** /*argv*/) {
  tcpkali::testing::EnterScratchDirectory();
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  namespace t = tcpkali::testing;
  t::FuzzInput input(data, size);
  t::Inputs in;
  in.options.websocket = input.TakeBool();
  in.options.masked = input.TakeBool();
  in.message_id = input.TakeByte();
  in.options.run_seed = input.TakeU64();
  in.ctx.connection_uid = std::max<uint64_t>(1, input.TakeU64());
  in.ctx.run_seed = in.options.run_seed;
  in.ctx.send_time_us = static_cast<int64_t>(input.TakeU64());
  in.rng_seed = input.TakeU64();
  in.text = input.Rest();
  const bool files = in.text.find('<') != std::string_view::npos;
  if (files && in.text.find('/') != std::string_view::npos) return 0;

  const absl::StatusOr<tcpkali::engine::CompiledMessage> m =
      tcpkali::engine::CompileMessage(in.text, "--message", in.message_id,
                                      in.options);
  if (!m.ok()) {
    const absl::StatusCode code = m.status().code();
    TCPKALI_FUZZ_CHECK(code == absl::StatusCode::kInvalidArgument ||
                           code == absl::StatusCode::kDataLoss,
                       m.status().ToString());
    return 0;
  }
  // The parse that CompileMessage did, for what the message contains.
  const absl::StatusOr<std::vector<tcpkali::engine::Expression>> pieces =
      tcpkali::engine::ParseMessage(in.text, "--message");
  TCPKALI_FUZZ_CHECK(pieces.ok());
  t::CheckMessage(in, *m, *pieces);
  return 0;
}
