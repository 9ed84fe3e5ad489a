#include "stats/internal/golden.h"

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <sstream>

namespace tcpkali::stats::internal {
namespace {

std::string_view LineAt(std::string_view text, size_t line) {
  for (size_t i = 0; i < line; ++i) {
    const size_t nl = text.find('\n');
    if (nl == std::string_view::npos) return "<end of text>";
    text.remove_prefix(nl + 1);
  }
  return text.substr(0, text.find('\n'));
}

}  // namespace

std::optional<std::string> ReadFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return std::nullopt;
  std::ostringstream out;
  out << in.rdbuf();
  return out.str();
}

bool MatchesGolden(std::string_view actual, const std::string& golden_path) {
  if (const char* dir = std::getenv("TCPKALI_GOLDEN_OUT")) {
    const std::string name = golden_path.substr(golden_path.rfind('/') + 1);
    std::ofstream(std::string(dir) + "/" + name, std::ios::binary) << actual;
  }
  const std::optional<std::string> golden = ReadFile(golden_path);
  if (!golden.has_value()) {
    std::fprintf(stderr, "cannot read golden file %s\n", golden_path.c_str());
    return false;
  }
  if (*golden == actual) return true;
  size_t line = 0;
  for (size_t i = 0; i < std::min(golden->size(), actual.size()); ++i) {
    if ((*golden)[i] != actual[i]) break;
    if (actual[i] == '\n') ++line;
  }
  const std::string golden_line(LineAt(*golden, line));
  const std::string actual_line(LineAt(actual, line));
  std::fprintf(stderr,
               "%s differs at line %zu:\n  golden: %s\n  actual: %s\n"
               "(set TCPKALI_GOLDEN_OUT=<dir> to write the actual output)\n",
               golden_path.c_str(), line + 1, golden_line.c_str(),
               actual_line.c_str());
  return false;
}

}  // namespace tcpkali::stats::internal
