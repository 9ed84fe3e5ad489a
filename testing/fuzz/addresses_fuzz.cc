// Fuzz target for cli/addresses.h: ParseDestination, ParseListenAddress and
// CheckSourceIp on the same text. An accepted destination must print back
// to exactly the text it came from (host bracketed when it holds a ':'),
// an accepted listen address must parse again to the same value, and every
// error must be an InvalidArgument that says what is accepted.
//
// The text is one command-line argument, a C string: it ends at the first
// NUL, as it would in argv.
#include <arpa/inet.h>

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "absl/status/statusor.h"
#include "cli/addresses.h"
#include "testing/fuzz/fuzz_check.h"

namespace tcpkali::testing {
namespace {

void CheckError(const absl::Status& status, std::string_view text) {
  TCPKALI_FUZZ_CHECK(status.code() == absl::StatusCode::kInvalidArgument, "\"",
                     text, "\": ", status.ToString());
  TCPKALI_FUZZ_CHECK(
      status.message().find("; expected ") != absl::string_view::npos, "\"",
      text, "\": ", status.ToString());
}

bool IsDecimal(std::string_view s) {
  if (s.empty()) return false;
  for (char c : s) {
    if (c < '0' || c > '9') return false;
  }
  return true;
}

// host and port as the command line writes them.
std::string Join(std::string_view host, std::string_view port) {
  std::string out;
  if (host.find(':') != std::string_view::npos) {
    out.append("[").append(host).append("]");
  } else {
    out.append(host);
  }
  return out.append(":").append(port);
}

void CheckDestination(std::string_view text) {
  const absl::StatusOr<engine::Destination> d = cli::ParseDestination(text);
  if (!d.ok()) return CheckError(d.status(), text);
  TCPKALI_FUZZ_CHECK(!d->host.empty() && !d->port.empty(), text);
  TCPKALI_FUZZ_CHECK(d->path.empty() || d->path.front() == '/', text);
  TCPKALI_FUZZ_CHECK(d->text == text);
  TCPKALI_FUZZ_CHECK(Join(d->host, d->port) + d->path == text, "\"", text,
                     "\" -> host \"", d->host, "\" port \"", d->port,
                     "\" path \"", d->path, "\"");
  if (IsDecimal(d->port)) {
    const unsigned long port = std::stoul(d->port);
    TCPKALI_FUZZ_CHECK(port >= 1 && port <= 65535, text);
  }
}

void CheckListen(std::string_view text) {
  const absl::StatusOr<engine::ListenAddress> l = cli::ParseListenAddress(text);
  if (!l.ok()) return CheckError(l.status(), text);
  if (IsDecimal(text)) {
    TCPKALI_FUZZ_CHECK(
        l->host.empty() && std::stoul(std::string(text)) == l->port, text);
    return;
  }
  const std::string again_text = Join(l->host, std::to_string(l->port));
  const absl::StatusOr<engine::ListenAddress> again =
      cli::ParseListenAddress(again_text);
  TCPKALI_FUZZ_CHECK(
      again.ok() && again->host == l->host && again->port == l->port, "\"",
      text, "\" printed as \"", again_text, "\" does not parse back");
}

void CheckSourceIp(std::string_view text) {
  const absl::Status s = cli::CheckSourceIp(text);
  if (!s.ok()) return CheckError(s, text);
  const size_t slash = text.find('/');
  const std::string address(text.substr(0, slash));
  unsigned char bytes[16];
  const bool v4 = inet_pton(AF_INET, address.c_str(), bytes) == 1;
  const bool v6 = inet_pton(AF_INET6, address.c_str(), bytes) == 1;
  TCPKALI_FUZZ_CHECK(v4 || v6, text);
  if (slash == std::string_view::npos) return;
  const std::string_view prefix = text.substr(slash + 1);
  TCPKALI_FUZZ_CHECK(IsDecimal(prefix) && prefix.size() <= 5, text);
  TCPKALI_FUZZ_CHECK(std::stoul(std::string(prefix)) <= (v4 ? 32u : 128u),
                     text);
}

}  // namespace
}  // namespace tcpkali::testing

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view text(reinterpret_cast<const char*>(data), size);
  text = text.substr(0, text.find('\0'));
  tcpkali::testing::CheckDestination(text);
  tcpkali::testing::CheckListen(text);
  tcpkali::testing::CheckSourceIp(text);
  return 0;
}
