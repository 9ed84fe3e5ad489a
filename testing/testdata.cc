#include "testing/testdata.h"

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <memory>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"

namespace tcpkali::testing {
namespace {

struct FileCloser {
  void operator()(std::FILE* f) const { std::fclose(f); }
};

absl::Status ReadError(const std::string& path, int error) {
  const std::string message = absl::StrCat(path, ": ", std::strerror(error));
  return error == ENOENT ? absl::NotFoundError(message)
                         : absl::DataLossError(message);
}

// Line `line` (0-based) of `text`, without its newline.
std::string_view LineAt(std::string_view text, size_t line) {
  for (size_t i = 0; i < line; ++i) {
    const size_t nl = text.find('\n');
    if (nl == std::string_view::npos) return "<end of text>";
    text.remove_prefix(nl + 1);
  }
  return text.substr(0, text.find('\n'));
}

// Writes `actual` to $TCPKALI_GOLDEN_OUT/<golden file name>, when set.
void WriteActual(std::string_view actual, std::string_view golden_path) {
  const char* dir = std::getenv(kGoldenOutEnv);
  if (dir == nullptr) return;
  const std::string name(golden_path.substr(golden_path.rfind('/') + 1));
  const std::string out = absl::StrCat(dir, "/", name);
  std::unique_ptr<std::FILE, FileCloser> f(std::fopen(out.c_str(), "wb"));
  if (f == nullptr ||
      std::fwrite(actual.data(), 1, actual.size(), f.get()) != actual.size()) {
    std::fprintf(stderr, "cannot write %s\n", out.c_str());
  }
}

}  // namespace

std::string RunfilePath(std::string_view workspace_relative) {
  std::string path(workspace_relative);
  if (path.starts_with("//")) path.erase(0, 2);
  if (const size_t colon = path.find(':'); colon != std::string::npos) {
    path[colon] = '/';
  }
  const char* root = std::getenv("TEST_SRCDIR");
  if (root == nullptr) root = std::getenv("RUNFILES_DIR");
  if (root == nullptr) return path;
  const char* workspace = std::getenv("TEST_WORKSPACE");
  return absl::StrCat(root, "/", workspace != nullptr ? workspace : "tcpkali",
                      "/", path);
}

absl::StatusOr<std::string> ReadWholeFile(const std::string& path) {
  std::unique_ptr<std::FILE, FileCloser> f(std::fopen(path.c_str(), "rb"));
  if (f == nullptr) return ReadError(path, errno);
  std::string text;
  char chunk[4096];
  size_t n = 0;
  while ((n = std::fread(chunk, 1, sizeof(chunk), f.get())) > 0) {
    text.append(chunk, n);
  }
  // fopen() opens a directory; the first read is what fails (EISDIR).
  if (std::ferror(f.get())) return ReadError(path, errno);
  return text;
}

absl::StatusOr<std::string> ReadTestData(std::string_view workspace_relative) {
  return ReadWholeFile(RunfilePath(workspace_relative));
}

bool MatchesGolden(std::string_view actual, std::string_view golden_path) {
  WriteActual(actual, golden_path);
  const absl::StatusOr<std::string> golden = ReadTestData(golden_path);
  if (!golden.ok()) {
    std::fprintf(stderr, "cannot read golden file: %s\n",
                 golden.status().ToString().c_str());
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
               "%.*s differs at line %zu:\n  golden: %s\n  actual: %s\n"
               "(set %s=<dir> to write the actual output there)\n",
               static_cast<int>(golden_path.size()), golden_path.data(),
               line + 1, golden_line.c_str(), actual_line.c_str(),
               kGoldenOutEnv);
  return false;
}

}  // namespace tcpkali::testing
