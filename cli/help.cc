#include "cli/help.h"

#include <string>
#include <string_view>
#include <vector>

#include "absl/strings/str_cat.h"
#include "cli/options.h"

namespace tcpkali::cli {
namespace {

absl::string_view Av(std::string_view s) { return {s.data(), s.size()}; }

constexpr size_t kWidth = 80;
constexpr size_t kDescriptionColumn = 32;

constexpr std::string_view kUsage =
    "Usage: tcpkali [OPTIONS] <host:port[/path]>...\n"
    "       tcpkali [OPTIONS] -l [host:]port [<host:port[/path]>...]\n"
    "Options without a value are off unless given; <X=d> shows the default "
    "d.\n";

constexpr std::string_view kUnits =
    "Units:\n"
    "  <N>     k = 1000, m = 1000000, whole numbers: 100, 5k, 1.5m\n"
    "  <R>     k = 1000, m = 1000000, fractions allowed: 0.25, 5k, 1.5m\n"
    "  <Size>  bytes, k = 1024, m = 1048576: 65536, 64k, 1.5m\n"
    "  <Bw>    bps, kbps, Mbps, Gbps (bits per second); Bps, kBps, MBps, GBps\n"
    "          (bytes per second); a bare number is bytes per second\n"
    "  <T>     us, ms, s, m, h, d (microseconds to days); a bare number is\n"
    "          seconds; fractions allowed: 0.25s, 250ms, 1.5m\n";

constexpr std::string_view kExitCodes =
    "Exit codes:\n"
    "  0 done, 1 the run failed, 2 --message-stop seen, 64 usage error,\n"
    "  65 unreadable message file, 68 host not found, 69 cannot listen,\n"
    "  70 system limits too low\n";

// "-c, --connections <N=1>"
std::string OptionColumn(const OptionSpec& option) {
  std::string out;
  if (!option.short_name.empty()) {
    absl::StrAppend(&out, "-", Av(option.short_name));
    if (!option.long_name.empty()) out += ", ";
  }
  if (!option.long_name.empty())
    absl::StrAppend(&out, "--", Av(option.long_name));
  if (!option.synonym.empty())
    absl::StrAppend(&out, ", --", Av(option.synonym));
  if (!option.value_name.empty()) {
    absl::StrAppend(&out, " <", Av(option.value_name));
    if (!option.default_text.empty()) {
      absl::StrAppend(&out, "=", Av(option.default_text));
    }
    out += ">";
  }
  return out;
}

// Appends `text` word-wrapped into the description column.
void AppendWrapped(std::string_view text, size_t column, std::string& out) {
  size_t line_length = column;
  bool line_empty = true;
  while (!text.empty()) {
    const size_t space = text.find(' ');
    const std::string_view word = text.substr(0, space);
    text = space == std::string_view::npos ? "" : text.substr(space + 1);
    if (!line_empty && line_length + 1 + word.size() > kWidth) {
      absl::StrAppend(&out, "\n", std::string(column, ' '));
      line_length = column;
      line_empty = true;
    }
    if (!line_empty) {
      out += ' ';
      ++line_length;
    }
    absl::StrAppend(&out, Av(word));
    line_length += word.size();
    line_empty = false;
  }
  out += '\n';
}

void AppendOption(const OptionSpec& option, std::string& out) {
  const std::string name = "  " + OptionColumn(option);
  out += name;
  if (name.size() + 1 >= kDescriptionColumn) {
    absl::StrAppend(&out, "\n", std::string(kDescriptionColumn, ' '));
  } else {
    out += std::string(kDescriptionColumn - name.size(), ' ');
  }
  AppendWrapped(option.help, kDescriptionColumn, out);
}

}  // namespace

std::string HelpText() {
  std::string out(kUsage);
  bool first = true;
  OptionGroup group = OptionGroup::kGeneral;
  for (const OptionSpec& option : AllOptions()) {
    if (first || option.group != group) {
      group = option.group;
      absl::StrAppend(&out, "\n", Av(GroupTitle(group)), ":\n");
      first = false;
    }
    AppendOption(option, out);
  }
  absl::StrAppend(&out, "\n", Av(kUnits), "\n", Av(kExitCodes));
  return out;
}

std::string VersionText(const absl::StatusOr<engine::KernelFeatures>& probe) {
  std::string out =
      absl::StrCat("tcpkali version ", Av(kVersion), " (io_uring)\n");
  if (probe.ok()) {
    absl::StrAppend(&out, engine::DescribeFeatures(*probe));
  } else {
    absl::StrAppend(&out, "io_uring unavailable: ", probe.status().message(),
                    "\n");
  }
  return out;
}

}  // namespace tcpkali::cli
