// Fuzz target for cli::ParseFlags. The input is a command line: arguments
// separated by NUL bytes, as they sit in memory before main(). Whatever
// they are, ParseFlags must return (no exception escapes, no crash), fail
// only with InvalidArgument and a message to print, give the same answer
// twice, and leave the Config at its defaults for --help and --version.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "cli/flags.h"
#include "engine/config.h"
#include "testing/fuzz/fuzz_check.h"

namespace tcpkali::testing {
namespace {

// Arguments beyond these are dropped: a longer command line finds nothing
// new and makes every run slower.
constexpr size_t kMaxArgs = 48;

std::vector<std::string> SplitArgs(std::string_view input) {
  std::vector<std::string> args;
  while (!input.empty() && args.size() < kMaxArgs) {
    const size_t nul = input.find('\0');
    args.emplace_back(input.substr(0, nul));
    if (nul == std::string_view::npos) break;
    input.remove_prefix(nul + 1);
  }
  return args;
}

absl::StatusOr<cli::ParsedCommandLine> Parse(
    const std::vector<std::string>& args) {
  std::vector<const char*> argv = {"tcpkali"};
  for (const std::string& arg : args) argv.push_back(arg.c_str());
  argv.push_back(nullptr);  // as the kernel passes argv
  return cli::ParseFlags(static_cast<int>(argv.size() - 1), argv.data());
}

void CheckDefaults(const engine::Config& c) {
  const engine::Config d;
  TCPKALI_FUZZ_CHECK(c.connections == d.connections &&
                     c.duration_ns == d.duration_ns &&
                     c.verbosity == d.verbosity && c.workers == d.workers &&
                     c.websocket == d.websocket && c.destinations.empty() &&
                     c.messages.empty() && c.first_messages.empty());
}

}  // namespace
}  // namespace tcpkali::testing

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  namespace t = tcpkali::testing;
  using Action = tcpkali::cli::ParsedCommandLine::Action;
  const std::vector<std::string> args =
      t::SplitArgs(std::string_view(reinterpret_cast<const char*>(data), size));
  const absl::StatusOr<tcpkali::cli::ParsedCommandLine> first = t::Parse(args);
  const absl::StatusOr<tcpkali::cli::ParsedCommandLine> again = t::Parse(args);
  TCPKALI_FUZZ_CHECK(first.ok() == again.ok() &&
                     first.status() == again.status());
  if (!first.ok()) {
    TCPKALI_FUZZ_CHECK(
        first.status().code() == absl::StatusCode::kInvalidArgument,
        first.status().ToString());
    TCPKALI_FUZZ_CHECK(!first.status().message().empty());
    return 0;
  }
  TCPKALI_FUZZ_CHECK(first->action == again->action);
  if (first->action != Action::kRun) t::CheckDefaults(first->config);
  return 0;
}
