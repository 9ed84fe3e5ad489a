// TCPKALI_FUZZ_CHECK: the assertion of every fuzz target.
//
// A failed check prints the condition, its place and a message to stderr and
// aborts, which libFuzzer reports as a crash (and saves the input) and which
// fails the corpus replay test under gcc. It always runs, whatever NDEBUG
// says: the checks are what the fuzz targets are for.
//
// Example:
//   TCPKALI_FUZZ_CHECK(n <= re->max_bytes(), "generated ", n, " bytes");
#ifndef TCPKALI_TESTING_FUZZ_FUZZ_CHECK_H_
#define TCPKALI_TESTING_FUZZ_FUZZ_CHECK_H_

#include <string>
#include <string_view>
#include <type_traits>

#include "absl/strings/str_cat.h"

namespace tcpkali::testing {

// Prints "fuzz check failed: <condition> at <file>:<line>: <message>" and
// aborts. Never returns.
[[noreturn]] void FuzzCheckFailed(std::string_view condition,
                                  std::string_view file, int line,
                                  std::string_view message);

namespace internal {

// absl::StrCat's arguments, with std::string_view accepted as well: Debian's
// abseil does not alias absl::string_view to it.
inline absl::string_view MessagePart(std::string_view s) {
  return {s.data(), s.size()};
}
template <typename T, typename = std::enable_if_t<std::is_arithmetic_v<T>>>
T MessagePart(T v) {
  return v;
}

template <typename... Args>
std::string Message(const Args&... args) {
  return absl::StrCat(MessagePart(args)...);
}

}  // namespace internal
}  // namespace tcpkali::testing

// Checks `condition`; the optional further arguments (strings, string
// views, numbers) are joined into the message, and only evaluated on
// failure.
#define TCPKALI_FUZZ_CHECK(condition, ...)                     \
  do {                                                         \
    if (!(condition)) {                                        \
      ::tcpkali::testing::FuzzCheckFailed(                     \
          #condition, __FILE__, __LINE__,                      \
          ::tcpkali::testing::internal::Message(__VA_ARGS__)); \
    }                                                          \
  } while (false)

#endif  // TCPKALI_TESTING_FUZZ_FUZZ_CHECK_H_
