// ParseFlags: argv -> engine::Config, or the one usage error to print.
//
// Every option of cli/options.h is parsed here into the Config field it
// sets, with the unit parsers of cli/units.h; repeatable options keep their
// command-line order; -e is applied last, to every literal it covers.
// Positional arguments are destinations ("host:port[/path]"). Rules that
// relate options to each other live in cli/validate.h, which runs next.
//
// Errors are InvalidArgument statuses whose message is the line to print
// after "tcpkali: ": "<option>: <what is wrong>; <what is accepted>". No
// exception leaves this function: cxxopts' are caught and converted.
//
// Example:
//   absl::StatusOr<cli::ParsedCommandLine> parsed =
//       cli::ParseFlags(argc, argv);
//   if (!parsed.ok()) {
//     std::cerr << "tcpkali: " << parsed.status().message() << "\n";
//     return engine::ExitCodeFor(parsed.status());  // 64
//   }
#ifndef TCPKALI_CLI_FLAGS_H_
#define TCPKALI_CLI_FLAGS_H_

#include "absl/status/statusor.h"
#include "engine/config.h"

namespace tcpkali::cli {

struct ParsedCommandLine {
  enum class Action { kRun, kHelp, kVersion };
  // kHelp or kVersion when -h/--help or --version appears anywhere (help
  // wins over version); config is then left at its defaults.
  Action action = Action::kRun;
  engine::Config config;
};

// Parses the whole command line (argv[0] is the program name). Fails on an
// unknown option, a missing or malformed value, a bad destination, and when
// --channel-bandwidth and --channel-bandwidth-upstream disagree. Does not
// touch the file system or the network.
[[nodiscard]] absl::StatusOr<ParsedCommandLine> ParseFlags(
    int argc, const char* const* argv);

}  // namespace tcpkali::cli

#endif  // TCPKALI_CLI_FLAGS_H_
