// Files a test declares as data (`data = ["testdata/x.golden"]` in its
// BUILD rule), read from its runfiles, and golden files that a test's
// output must equal byte for byte.
//
// When TCPKALI_GOLDEN_OUT names a directory, MatchesGolden() also writes
// the actual output there under the golden file's name, so that a reviewer
// can diff it and copy it over the golden file on purpose.
//
// Example:
//   CHECK(testing::MatchesGolden(FormatText(report),
//                                "stats/testdata/summary_full.txt"));
//   absl::StatusOr<std::string> text =
//       testing::ReadTestData("engine/testdata/expression_hello.txt");
//   REQUIRE(text.ok());
#ifndef TCPKALI_TESTING_TESTDATA_H_
#define TCPKALI_TESTING_TESTDATA_H_

#include <string>
#include <string_view>

#include "absl/status/statusor.h"

namespace tcpkali::testing {

// The directory MatchesGolden() writes the actual output to, when set.
inline constexpr char kGoldenOutEnv[] = "TCPKALI_GOLDEN_OUT";

// Where a workspace-relative file ("cli/testdata/help.txt", or a label such
// as "//cli:tcpkali") is in the running test's runfiles:
// "$TEST_SRCDIR/$TEST_WORKSPACE/<path>" (RUNFILES_DIR when TEST_SRCDIR is
// unset, workspace "tcpkali" when TEST_WORKSPACE is). Outside a test (no
// TEST_SRCDIR or RUNFILES_DIR), the path as given, which works from the
// workspace root.
std::string RunfilePath(std::string_view workspace_relative);

// The whole file at `path`, taken as given (absolute, or relative to the
// working directory), every byte. Fails with NotFound when there is no such
// file, DataLoss when it cannot be read (a directory, no permission).
[[nodiscard]] absl::StatusOr<std::string> ReadWholeFile(
    const std::string& path);

// ReadWholeFile(RunfilePath(workspace_relative)): a data file of the test.
[[nodiscard]] absl::StatusOr<std::string> ReadTestData(
    std::string_view workspace_relative);

// True when `actual` equals the golden file `golden_path` (workspace-
// relative, a data dependency of the test) byte for byte. Otherwise, or
// when the golden file cannot be read, prints to stderr the first line that
// differs, or why it cannot be read, and returns false.
[[nodiscard]] bool MatchesGolden(std::string_view actual,
                                 std::string_view golden_path);

}  // namespace tcpkali::testing

#endif  // TCPKALI_TESTING_TESTDATA_H_
