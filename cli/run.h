// RunLoadTest: the seam between the command line and the load engine.
//
// main() calls it once with a validated Config and returns its exit code.
// The engine provides the real implementation; until it is linked in,
// cli/run.cc says so and fails.
//
// Example:
//   return cli::RunLoadTest(config);
#ifndef TCPKALI_CLI_RUN_H_
#define TCPKALI_CLI_RUN_H_

#include "engine/config.h"

namespace tcpkali::cli {

// Runs the load test `config` describes (validated by cli::Validate()),
// prints the live line and the summary, and returns the process exit code
// (engine/exit_code.h): 0 done, 1 the run failed, 2 --message-stop, 68 a
// destination did not resolve, 69 cannot listen, 70 limits too low.
[[nodiscard]] int RunLoadTest(const engine::Config& config);

}  // namespace tcpkali::cli

#endif  // TCPKALI_CLI_RUN_H_
