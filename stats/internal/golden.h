// Golden files for the formatter tests: read from the test's runfiles
// ("stats/testdata/..."), and, when TCPKALI_GOLDEN_OUT names a directory,
// the actual output is written there so a reviewer can diff and copy it.
//
// Example:
//   CHECK(MatchesGolden(FormatText(report),
//   "stats/testdata/summary_full.txt"));
#ifndef TCPKALI_STATS_INTERNAL_GOLDEN_H_
#define TCPKALI_STATS_INTERNAL_GOLDEN_H_

#include <optional>
#include <string>
#include <string_view>

namespace tcpkali::stats::internal {

// The whole file, or nullopt when it cannot be read.
std::optional<std::string> ReadFile(const std::string& path);

// True when `actual` equals the golden file byte for byte. Otherwise
// prints the first differing line of each to stderr and returns false.
bool MatchesGolden(std::string_view actual, const std::string& golden_path);

}  // namespace tcpkali::stats::internal

#endif  // TCPKALI_STATS_INTERNAL_GOLDEN_H_
