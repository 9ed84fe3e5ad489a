#include "cli/help.h"

#include <doctest/doctest.h>

#include <sstream>
#include <string>
#include <vector>

#include "cli/options.h"
#include "testing/testdata.h"

namespace tcpkali::cli {
namespace {

std::vector<std::string> Lines(const std::string& text) {
  std::vector<std::string> lines;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) lines.push_back(line);
  return lines;
}

TEST_CASE("--help matches the golden file") {
  // On purpose, regenerate it with
  //   bazel-bin/cli/tcpkali --help > cli/testdata/help.txt
  CHECK(testing::MatchesGolden(HelpText(), "cli/testdata/help.txt"));
}

TEST_CASE("--help fits in 80 columns and ends with a newline") {
  const std::string help = HelpText();
  REQUIRE(help.ends_with("\n"));
  for (const std::string& line : Lines(help)) {
    CAPTURE(line);
    CHECK(line.size() <= 80);
  }
}

// True when `help` lists `name` as an option: after a space, before a
// space, comma or newline (so --statsd does not match --statsd-host).
bool Lists(const std::string& help, const std::string& name) {
  for (size_t at = help.find(" " + name); at != std::string::npos;
       at = help.find(" " + name, at + 1)) {
    const char next = help[at + 1 + name.size()];
    if (next == ' ' || next == ',' || next == '\n') return true;
  }
  return false;
}

TEST_CASE("--help names every option, in the seed's groups and order") {
  const std::string help = HelpText();
  size_t last = 0;
  for (const char* title :
       {"\nGeneral:\n", "\nNetwork:\n", "\nTraffic content:\n", "\nLatency:\n",
        "\nStatsD:\n", "\nOutput:\n", "\nUnits:\n"}) {
    CAPTURE(title);
    const size_t at = help.find(title);
    REQUIRE(at != std::string::npos);
    CHECK(at > last);
    last = at;
  }
  for (const OptionSpec& option : AllOptions()) {
    CAPTURE(option.long_name);
    CHECK(Lists(help, DisplayName(option)));
    if (!option.synonym.empty()) {
      CHECK(Lists(help, "--" + std::string(option.synonym)));
    }
    if (!option.short_name.empty()) {
      CHECK(Lists(help, "-" + std::string(option.short_name)));
    }
    if (!option.value_name.empty() && !option.default_text.empty()) {
      // The default rides in the placeholder, as in the seed: <N=1>.
      CHECK(help.find("=" + std::string(option.default_text) + ">") !=
            std::string::npos);
    }
  }
  for (const char* unit : {"<N>", "<R>", "<Size>", "<Bw>", "<T>", "kbps",
                           "MBps", "ms, s, m, h, d"}) {
    CHECK(help.find(unit) != std::string::npos);
  }
}

TEST_CASE("--version: the version line, then the features or why not") {
  engine::KernelFeatures features;
  features.kernel_release = "6.18.0-test";
  const std::string ok = VersionText(features);
  CHECK(ok.starts_with("tcpkali version 1.0.0 (io_uring)\n"));
  CHECK(ok.find(engine::DescribeFeatures(features)) != std::string::npos);

  const std::string unavailable =
      VersionText(absl::UnavailableError("io_uring_setup: EPERM"));
  CHECK(unavailable ==
        "tcpkali version 1.0.0 (io_uring)\n"
        "io_uring unavailable: io_uring_setup: EPERM\n");
}

}  // namespace
}  // namespace tcpkali::cli
