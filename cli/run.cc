#include "cli/run.h"

#include "engine/engine.h"

namespace tcpkali::cli {

int RunLoadTest(const engine::Config& config) {
  return engine::RunLoadTest(config);
}

}  // namespace tcpkali::cli
