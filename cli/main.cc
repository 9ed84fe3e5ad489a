// tcpkali: parse the command line, validate it, run the load test.
#include <iostream>
#include <vector>

#include "absl/status/status.h"
#include "cli/flags.h"
#include "cli/help.h"
#include "cli/run.h"
#include "cli/validate.h"
#include "engine/exit_code.h"
#include "engine/features.h"

namespace {

int Fail(const absl::Status& status) {
  std::cerr << "tcpkali: " << status.message() << "\n";
  return tcpkali::engine::ExitCodeFor(status);
}

}  // namespace

int main(int argc, char** argv) {
  using tcpkali::cli::ParsedCommandLine;
  absl::StatusOr<ParsedCommandLine> parsed =
      tcpkali::cli::ParseFlags(argc, argv);
  if (!parsed.ok()) return Fail(parsed.status());
  switch (parsed->action) {
    case ParsedCommandLine::Action::kHelp:
      std::cout << tcpkali::cli::HelpText();
      return tcpkali::engine::kExitOk;
    case ParsedCommandLine::Action::kVersion:
      std::cout << tcpkali::cli::VersionText(
          tcpkali::engine::ProbeKernelFeatures());
      return tcpkali::engine::kExitOk;
    case ParsedCommandLine::Action::kRun:
      break;
  }
  tcpkali::engine::Config& config = parsed->config;
  absl::StatusOr<std::vector<tcpkali::cli::Diagnostic>> diagnostics =
      tcpkali::cli::Validate(config, tcpkali::cli::ProbeMachine());
  if (!diagnostics.ok()) return Fail(diagnostics.status());
  for (const tcpkali::cli::Diagnostic& diagnostic : *diagnostics) {
    if (config.verbosity < 1) break;  // 0: errors only
    std::cerr << tcpkali::cli::FormatDiagnostic(diagnostic) << "\n";
  }
  return tcpkali::cli::RunLoadTest(config);
}
