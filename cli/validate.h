// Validate: the rules that relate options to each other, checked once on
// the Config that ParseFlags() produced, before anything starts.
//
// It rejects what cannot run (no destination and no -l, --message-rate with
// nothing to send, -H without --ws, ...), fills in the defaults that depend
// on the machine (the worker count), checks that message files are
// readable, and returns the warnings and notes worth a line on stderr.
//
// Example:
//   absl::StatusOr<std::vector<cli::Diagnostic>> diagnostics =
//       cli::Validate(config, cli::ProbeMachine());
//   if (!diagnostics.ok()) { /* print "tcpkali: " + message, exit 64/65 */ }
//   for (const cli::Diagnostic& d : *diagnostics) {
//     std::cerr << cli::FormatDiagnostic(d) << "\n";
//   }
#ifndef TCPKALI_CLI_VALIDATE_H_
#define TCPKALI_CLI_VALIDATE_H_

#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "engine/config.h"

namespace tcpkali::cli {

// More workers than this is a usage error (SPEC.md, -w).
inline constexpr int kMaxWorkers = 1024;

// What validation needs to know about the machine; tests make one up.
struct MachineFacts {
  int cpu_count = 1;  // online CPUs
};

// The facts of the machine this process runs on.
MachineFacts ProbeMachine();

// A problem that does not stop the run.
struct Diagnostic {
  enum class Severity { kWarning, kNote };
  Severity severity = Severity::kWarning;
  std::string message;  // "<option>: <what>", without the "tcpkali: " prefix
};

// "tcpkali: warning: <message>" or "tcpkali: note: <message>".
std::string FormatDiagnostic(const Diagnostic& diagnostic);

// Checks `config` and fills in config.workers when it is 0: the CPU count,
// but no more than --connections when there is no -l. Returns the warnings
// and notes, or the first error: InvalidArgument (exit 64) for a usage
// error, DataLoss (exit 65) for a message file that cannot be read. Error
// messages read "<option>: <what is wrong>; <what is accepted>". Reads
// message files' metadata, nothing else outside `config`.
[[nodiscard]] absl::StatusOr<std::vector<Diagnostic>> Validate(
    engine::Config& config, const MachineFacts& machine);

}  // namespace tcpkali::cli

#endif  // TCPKALI_CLI_VALIDATE_H_
