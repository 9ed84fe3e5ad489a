#include "testing/fuzz/scratch_dir.h"

#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <string>

namespace tcpkali::testing {
namespace {

[[noreturn]] void Die(const std::string& what) {
  std::perror(what.c_str());
  std::abort();
}

void WriteFile(std::string_view name, std::string_view bytes) {
  std::ofstream out{std::string(name), std::ios::binary};
  out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
  if (!out) Die("writing " + std::string(name));
}

}  // namespace

void EnterScratchDirectory() {
  const char* parent = std::getenv("TEST_TMPDIR");
  if (parent == nullptr) parent = std::getenv("TMPDIR");
  if (parent == nullptr) parent = "/tmp";
  std::string dir = std::string(parent) + "/tcpkali-fuzz-XXXXXX";
  if (mkdtemp(dir.data()) == nullptr) Die("mkdtemp " + dir);
  if (chdir(dir.c_str()) != 0) Die("chdir " + dir);
  WriteFile(kScratchTextFile, kScratchTextBytes);
  WriteFile(kScratchBinaryFile, kScratchBinaryBytes);
}

}  // namespace tcpkali::testing
