// Engine: runs one load test from a validated Config to its summary.
//
// The calling (main) thread plans the run (probes the kernel, resolves
// addresses, checks the limits, compiles the messages), starts the workers
// and the stats thread, then only watches: signals, the ramp-up, the end
// of the run, --message-stop. It never touches the data path.
//
// Example (cli/run.cc):
//   int exit_code = engine::RunLoadTest(config);
#ifndef TCPKALI_ENGINE_ENGINE_H_
#define TCPKALI_ENGINE_ENGINE_H_

#include "engine/config.h"

namespace tcpkali::engine {

// Runs the test `config` describes: live line on stderr, summary on stdout
// (text, or JSON with --json). Returns the process exit code (SPEC.md,
// "Exit codes"); every setup failure has printed one line saying why.
// SIGINT and SIGTERM end the run early, still with a summary (exit 0).
[[nodiscard]] int RunLoadTest(const Config& config);

}  // namespace tcpkali::engine

#endif  // TCPKALI_ENGINE_ENGINE_H_
