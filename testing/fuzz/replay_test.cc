// Replays a fuzz target's corpus through its LLVMFuzzerTestOneInput as an
// ordinary doctest test, so that every target runs over its seeds and
// regression inputs under the normal gcc build, without libFuzzer. The
// BUILD macro compiles this file once per target with
// TCPKALI_FUZZ_CORPUS set to the corpus directory (relative to the runfiles
// root, the test's working directory).
#include <doctest/doctest.h>

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>
#include <vector>

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size);
// Optional, as in libFuzzer: called once before the first input.
extern "C" __attribute__((weak)) int LLVMFuzzerInitialize(int* argc,
                                                          char*** argv);

#ifndef TCPKALI_FUZZ_CORPUS
#error "TCPKALI_FUZZ_CORPUS must name the corpus directory"
#endif

namespace tcpkali::testing {
namespace {

// Absolute paths: LLVMFuzzerInitialize may change the working directory.
std::vector<std::filesystem::path> CorpusFiles() {
  std::vector<std::filesystem::path> files;
  std::error_code error;
  const std::filesystem::path dir =
      std::filesystem::absolute(TCPKALI_FUZZ_CORPUS, error);
  for (const auto& entry : std::filesystem::directory_iterator(dir, error)) {
    if (entry.is_regular_file()) files.push_back(entry.path());
  }
  std::sort(files.begin(), files.end());
  return files;
}

std::string ReadAll(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

TEST_CASE("every corpus input passes the fuzz target's checks") {
  const std::vector<std::filesystem::path> files = CorpusFiles();
  INFO("corpus directory: ", TCPKALI_FUZZ_CORPUS);
  REQUIRE(!files.empty());
  if (LLVMFuzzerInitialize != nullptr) {
    int argc = 0;
    char** argv = nullptr;
    CHECK(LLVMFuzzerInitialize(&argc, &argv) == 0);
  }
  // The empty input is every target's first and simplest case.
  CHECK(LLVMFuzzerTestOneInput(nullptr, 0) == 0);
  for (const std::filesystem::path& path : files) {
    // A failed fuzz check aborts, and doctest's crash report leaves out
    // INFO context: name the input first, so a failing log says which.
    std::fprintf(stderr, "replaying %s\n", path.c_str());
    const std::string bytes = ReadAll(path);
    // A copy in a buffer of its exact size, as libFuzzer passes inputs, so
    // that the sanitizer configurations see reads past the end.
    std::vector<uint8_t> exact(bytes.begin(), bytes.end());
    CHECK(LLVMFuzzerTestOneInput(exact.data(), exact.size()) == 0);
  }
  MESSAGE(files.size(), " inputs replayed from ", TCPKALI_FUZZ_CORPUS);
}

}  // namespace
}  // namespace tcpkali::testing
