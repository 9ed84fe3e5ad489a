#include "testing/fuzz/fuzz_check.h"

#include <cstdio>
#include <cstdlib>

namespace tcpkali::testing {

void FuzzCheckFailed(std::string_view condition, std::string_view file,
                     int line, std::string_view message) {
  std::fprintf(stderr, "fuzz check failed: %.*s at %.*s:%d%s%.*s\n",
               static_cast<int>(condition.size()), condition.data(),
               static_cast<int>(file.size()), file.data(), line,
               message.empty() ? "" : ": ", static_cast<int>(message.size()),
               message.data());
  std::fflush(stderr);
  std::abort();
}

}  // namespace tcpkali::testing
