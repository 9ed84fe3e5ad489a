#include "testing/testdata.h"

#include <doctest/doctest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <string>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"

namespace tcpkali::testing {
namespace {

constexpr char kTwoLines[] = "testing/testdata/two_lines.txt";
constexpr char kTwoLinesText[] = "first line\nsecond line\n";

TEST_CASE("RunfilePath: inside the runfiles, for paths and labels alike") {
  const std::string path = RunfilePath(kTwoLines);
  CHECK(path.ends_with(std::string("/") + kTwoLines));
  CHECK(access(path.c_str(), R_OK) == 0);
  CHECK(RunfilePath("//testing:testdata_test") ==
        RunfilePath("testing/testdata_test"));
  CHECK(access(RunfilePath("//testing:testdata_test").c_str(), X_OK) == 0);
}

TEST_CASE("ReadTestData reads every byte of a data file") {
  const absl::StatusOr<std::string> text = ReadTestData(kTwoLines);
  REQUIRE(text.ok());
  CHECK(*text == kTwoLinesText);
}

TEST_CASE("ReadWholeFile: NotFound when missing, DataLoss when unreadable") {
  const absl::StatusOr<std::string> missing =
      ReadTestData("testing/testdata/no_such_file");
  CHECK(missing.status().code() == absl::StatusCode::kNotFound);
  CHECK(missing.status().message().find("no_such_file") != std::string::npos);
  const absl::StatusOr<std::string> directory =
      ReadWholeFile(RunfilePath("testing/testdata"));
  CHECK(directory.status().code() == absl::StatusCode::kDataLoss);
}

TEST_CASE("MatchesGolden: equal bytes only, and a missing golden fails") {
  CHECK(MatchesGolden(kTwoLinesText, kTwoLines));
  CHECK_FALSE(MatchesGolden("first line\nsecond lime\n", kTwoLines));
  CHECK_FALSE(MatchesGolden("first line\nsecond line", kTwoLines));
  CHECK_FALSE(MatchesGolden("first line\nsecond line\n\n", kTwoLines));
  CHECK_FALSE(MatchesGolden("", kTwoLines));
  CHECK_FALSE(MatchesGolden("", "testing/testdata/no_such_file"));
}

TEST_CASE("MatchesGolden writes the actual output to TCPKALI_GOLDEN_OUT") {
  const char* tmp = std::getenv("TEST_TMPDIR");
  REQUIRE(tmp != nullptr);
  const std::string dir = absl::StrCat(tmp, "/golden_out");
  REQUIRE((mkdir(dir.c_str(), 0700) == 0 || errno == EEXIST));
  REQUIRE(setenv(kGoldenOutEnv, dir.c_str(), 1) == 0);
  const bool matches = MatchesGolden("new output\n", kTwoLines);
  REQUIRE(unsetenv(kGoldenOutEnv) == 0);
  CHECK_FALSE(matches);
  const absl::StatusOr<std::string> written =
      ReadWholeFile(dir + "/two_lines.txt");
  REQUIRE(written.ok());
  CHECK(*written == "new output\n");
}

}  // namespace
}  // namespace tcpkali::testing
