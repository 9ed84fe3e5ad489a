// Fuzz target for the message expression parser, engine::ParseMessage. It
// must never crash, fail only with InvalidArgument or DataLoss (an
// unreadable file) and a message that names the option and a position,
// give the same answer twice, and return pieces that follow the header:
// positions increasing and pointing at what they came from, literals
// merged, control frames short and final, close codes in range.
//
// \{<file>} reads files. So that the fuzzer cannot wander the file system
// (or block on /dev/stdin), inputs that mention a file and hold a '/' are
// skipped: file names are then relative to the working directory, a
// scratch directory with the files of scratch_dir.h.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "engine/expression.h"
#include "engine/websocket_frame.h"
#include "testing/fuzz/fuzz_check.h"
#include "testing/fuzz/scratch_dir.h"

namespace tcpkali::testing {
namespace {

using engine::Expression;
using Kind = Expression::Kind;

bool Equal(const Expression& a, const Expression& b) {
  return a.kind == b.kind && a.position == b.position && a.bytes == b.bytes &&
         a.modulo == b.modulo && a.regex_scope == b.regex_scope &&
         a.regex.has_value() == b.regex.has_value() &&
         (!a.regex || a.regex->pattern() == b.regex->pattern()) &&
         a.opcode == b.opcode && a.fin == b.fin && a.rsv == b.rsv;
}

void CheckError(const absl::Status& s) {
  TCPKALI_FUZZ_CHECK(s.code() == absl::StatusCode::kInvalidArgument ||
                         s.code() == absl::StatusCode::kDataLoss,
                     s.ToString());
  TCPKALI_FUZZ_CHECK(s.message().substr(0, 11) == "--message: ", s.ToString());
  TCPKALI_FUZZ_CHECK(
      s.message().find(" at position ") != absl::string_view::npos,
      s.ToString());
}

void CheckPiece(std::string_view text, const Expression& e, bool files) {
  TCPKALI_FUZZ_CHECK(e.position >= 1 && e.position <= text.size());
  const std::string_view at = text.substr(e.position - 1);
  TCPKALI_FUZZ_CHECK(e.regex.has_value() == (e.kind == Kind::kRegex));
  switch (e.kind) {
    case Kind::kLiteral:
      TCPKALI_FUZZ_CHECK(!e.bytes.empty(), "empty literal piece");
      // Text without files is copied as is, from where it says.
      if (!files) TCPKALI_FUZZ_CHECK(at.substr(0, e.bytes.size()) == e.bytes);
      break;
    case Kind::kRegex:
      TCPKALI_FUZZ_CHECK(at.substr(0, 2) == "\\{");
      TCPKALI_FUZZ_CHECK(!e.regex->pattern().empty() &&
                         at.find(e.regex->pattern()) != std::string_view::npos);
      break;
    case Kind::kConnectionUid:
    case Kind::kMessageMarker:
    case Kind::kRaw:
      TCPKALI_FUZZ_CHECK(at.substr(0, 2) == "\\{");
      break;
    case Kind::kWsFrame:
      TCPKALI_FUZZ_CHECK(at.substr(0, 2) == "\\{");
      TCPKALI_FUZZ_CHECK(e.rsv <= 7);
      if (engine::ws::IsControl(e.opcode)) {
        TCPKALI_FUZZ_CHECK(e.fin && e.bytes.size() <= 125, "bad control frame");
      }
      if (e.opcode == engine::ws::Opcode::kClose && !e.bytes.empty()) {
        TCPKALI_FUZZ_CHECK(e.bytes.size() >= 2);
        const unsigned code = static_cast<uint8_t>(e.bytes[0]) << 8 |
                              static_cast<uint8_t>(e.bytes[1]);
        TCPKALI_FUZZ_CHECK(code >= 1000 && code <= 4999, code);
      }
      break;
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
  using tcpkali::engine::Expression;
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  const bool files = text.find('<') != std::string_view::npos;
  if (files && text.find('/') != std::string_view::npos) return 0;

  const absl::StatusOr<std::vector<Expression>> pieces =
      tcpkali::engine::ParseMessage(text, "--message");
  const absl::StatusOr<std::vector<Expression>> again =
      tcpkali::engine::ParseMessage(text, "--message");
  TCPKALI_FUZZ_CHECK(pieces.status() == again.status());
  if (!pieces.ok()) {
    t::CheckError(pieces.status());
    return 0;
  }
  TCPKALI_FUZZ_CHECK(pieces->size() == again->size());
  for (size_t i = 0; i < pieces->size(); ++i) {
    TCPKALI_FUZZ_CHECK(t::Equal((*pieces)[i], (*again)[i]));
  }
  if (text.find("\\{") == std::string_view::npos) {
    TCPKALI_FUZZ_CHECK(text.empty()
                           ? pieces->empty()
                           : pieces->size() == 1 && (*pieces)[0].bytes == text,
                       "text without expressions is not one literal");
  }
  for (size_t i = 0; i < pieces->size(); ++i) {
    const Expression& e = (*pieces)[i];
    t::CheckPiece(text, e, files);
    if (i == 0) continue;
    const Expression& prev = (*pieces)[i - 1];
    TCPKALI_FUZZ_CHECK(e.position > prev.position, "positions not increasing");
    TCPKALI_FUZZ_CHECK(!(e.kind == Expression::Kind::kLiteral &&
                         prev.kind == Expression::Kind::kLiteral),
                       "adjacent literals not merged");
  }
  return 0;
}
