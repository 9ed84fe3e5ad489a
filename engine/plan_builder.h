// BuildRunPlan: turns a validated Config into the RunPlan the workers
// share. Every check that can fail before a single connection is opened
// happens here, each with its exit code (engine/exit_code.h): io_uring
// unusable (1), a destination that does not resolve (68), source addresses
// (64), system limits the run cannot meet (70), messages that do not
// compile (64, 65 for unreadable files), a port that cannot be listened on
// (69).
//
// Example:
//   absl::StatusOr<PlanResult> planned = BuildRunPlan(config);
//   if (!planned.ok()) { print; return ExitCodeFor(planned.status()); }
#ifndef TCPKALI_ENGINE_PLAN_BUILDER_H_
#define TCPKALI_ENGINE_PLAN_BUILDER_H_

#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "engine/config.h"
#include "engine/run_plan.h"

namespace tcpkali::engine {

// --message-rate @L starts its search at this many messages per second per
// connection.
inline constexpr double kSearchStartRate = 10;

struct PlanResult {
  std::unique_ptr<RunPlan> plan;
  // Lines for stderr before the run starts (limits shortfalls, notes).
  std::string notes;
  // --check-limits: the report to print instead of running, and whether it
  // found the run impossible (exit 70, as the run itself would).
  std::string limits_report;
  bool limits_fatal = false;
  // A regular socket bound to the listen port (SO_REUSEPORT) that holds the
  // port while the workers bind theirs; close it once they have. -1: none.
  int port_holder_fd = -1;
};

// Plans the run for `config`. The returned plan points at `config`, which
// must outlive it.
[[nodiscard]] absl::StatusOr<PlanResult> BuildRunPlan(const Config& config);

}  // namespace tcpkali::engine

#endif  // TCPKALI_ENGINE_PLAN_BUILDER_H_
