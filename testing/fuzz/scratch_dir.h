// EnterScratchDirectory: gives a fuzz target that reads files (\{<file>}
// in messages) a working directory of its own, holding a few small files
// the corpus names, so that the same inputs find the same files under
// libFuzzer and in the corpus replay test.
//
// Example (in a fuzz target):
//   extern "C" int LLVMFuzzerInitialize(int*, char***) {
//     EnterScratchDirectory();
//     return 0;
//   }
#ifndef TCPKALI_TESTING_FUZZ_SCRATCH_DIR_H_
#define TCPKALI_TESTING_FUZZ_SCRATCH_DIR_H_

#include <string_view>

namespace tcpkali::testing {

// The files EnterScratchDirectory() creates: a line of text and a few
// binary bytes (NUL included).
inline constexpr std::string_view kScratchTextFile = "hello.txt";
inline constexpr std::string_view kScratchTextBytes = "Hello, file!\n";
inline constexpr std::string_view kScratchBinaryFile = "binary.bin";
inline constexpr std::string_view kScratchBinaryBytes = {"\x00\xff\x7f{}\\", 6};

// Creates a fresh directory under $TEST_TMPDIR, else $TMPDIR, else /tmp,
// writes the two files into it and makes it the working directory. Aborts
// with a message when any of that fails: a target cannot run without it.
// The directory is left behind for its parent's owner to remove.
void EnterScratchDirectory();

}  // namespace tcpkali::testing

#endif  // TCPKALI_TESTING_FUZZ_SCRATCH_DIR_H_
