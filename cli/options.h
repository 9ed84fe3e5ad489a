// The table of every command-line option: names, value placeholder, default,
// group and help text. It is the one list both the flag parser
// (cli/flags.h) and the help text (cli/help.h) are built from, so an option
// cannot be accepted without being documented or documented without being
// accepted.
//
// Example:
//   for (const cli::OptionSpec& option : cli::AllOptions()) {
//     std::cout << cli::DisplayName(option) << "\n";  // "--connections"
//   }
#ifndef TCPKALI_CLI_OPTIONS_H_
#define TCPKALI_CLI_OPTIONS_H_

#include <span>
#include <string>
#include <string_view>

namespace tcpkali::cli {

// The groups of --help, in the order the help prints them.
enum class OptionGroup {
  kGeneral,
  kNetwork,
  kContent,
  kLatency,
  kStatsd,
  kOutput
};

struct OptionSpec {
  OptionGroup group;
  std::string_view short_name;  // "c", or "" when there is none
  std::string_view long_name;   // "connections", or "" for -v alone
  std::string_view synonym;     // a second long name ("websocket"), or ""
  // Placeholder of the value ("N", "T", "on|off"); "" for a flag, which
  // takes no value.
  std::string_view value_name;
  // The default as --help shows it ("1", "10s", "off"); "" when there is
  // nothing to say (-m has no default message).
  std::string_view default_text;
  std::string_view accepted;  // what the value may be, for error messages
  std::string_view help;      // one sentence, wrapped by the help printer
};

// Every option, grouped and in --help order. The span stays valid forever.
std::span<const OptionSpec> AllOptions();

// The title --help prints above a group ("Network").
std::string_view GroupTitle(OptionGroup group);

// The name used in messages: "--connections", or "-v" for an option with no
// long name.
std::string DisplayName(const OptionSpec& option);

// The option whose long name, synonym or short name is `name` (without
// dashes), or nullptr.
const OptionSpec* FindOption(std::string_view name);

}  // namespace tcpkali::cli

#endif  // TCPKALI_CLI_OPTIONS_H_
