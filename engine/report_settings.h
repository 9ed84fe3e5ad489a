// The configuration and kernel-feature echo of the JSON report: what a
// reader of a saved report needs to know to reproduce or compare the run.
#ifndef TCPKALI_ENGINE_REPORT_SETTINGS_H_
#define TCPKALI_ENGINE_REPORT_SETTINGS_H_

#include <vector>

#include "engine/config.h"
#include "engine/run_plan.h"
#include "stats/report.h"

namespace tcpkali::engine {

// Every option that shapes the run, as run (workers as chosen, not as
// asked), under the long option's name with '-' as '_'.
std::vector<stats::Setting> ConfigSettings(const Config& config,
                                           const RunPlan& plan);

// The kernel release, each io_uring feature found, and the paths taken.
std::vector<stats::Setting> KernelSettings(const RunPlan& plan);

}  // namespace tcpkali::engine

#endif  // TCPKALI_ENGINE_REPORT_SETTINGS_H_
