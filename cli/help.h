// The texts of --help and --version.
//
// Both are pure: HelpText() is built from the option table of
// cli/options.h (so it names every option the parser accepts), and
// VersionText() formats a feature probe the caller has already run.
//
// Example:
//   std::cout << cli::HelpText();
//   std::cout << cli::VersionText(engine::ProbeKernelFeatures());
#ifndef TCPKALI_CLI_HELP_H_
#define TCPKALI_CLI_HELP_H_

#include <string>
#include <string_view>

#include "absl/status/statusor.h"
#include "engine/features.h"

namespace tcpkali::cli {

inline constexpr std::string_view kVersion = "1.0.0";

// Usage, every option grouped as the seed groups them (general, network,
// traffic content, latency, statsd, output) with its value, default and
// help, then the unit table and the exit codes. No line exceeds 80 columns.
std::string HelpText();

// "tcpkali version 1.0.0 (io_uring)" and then the probed features, or a
// line saying why io_uring is unavailable.
std::string VersionText(const absl::StatusOr<engine::KernelFeatures>& probe);

}  // namespace tcpkali::cli

#endif  // TCPKALI_CLI_HELP_H_
