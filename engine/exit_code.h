// Exit codes (SPEC.md, "Exit codes") and the one mapping from an
// absl::Status to them. Every setup error in the project is an absl::Status
// whose code says which exit code it earns:
//
//   kInvalidArgument     64  usage: a flag, an expression, an address
//   kDataLoss            65  a message file that cannot be read
//   kNotFound            68  a destination that does not resolve
//   kUnavailable         69  cannot listen (port in use, no permission)
//   kResourceExhausted   70  system limits insufficient for the run
//   anything else         1  the run could not do what was asked
//
// Example:
//   absl::Status s = absl::DataLossError("--message-file: cannot read x");
//   return ExitCodeFor(s);  // 65
#ifndef TCPKALI_ENGINE_EXIT_CODE_H_
#define TCPKALI_ENGINE_EXIT_CODE_H_

#include "absl/status/status.h"

namespace tcpkali::engine {

inline constexpr int kExitOk = 0;
inline constexpr int kExitFailure = 1;
inline constexpr int kExitMessageStop = 2;
inline constexpr int kExitUsage = 64;
inline constexpr int kExitDataErr = 65;
inline constexpr int kExitNoHost = 68;
inline constexpr int kExitUnavailable = 69;
inline constexpr int kExitSoftware = 70;

// The exit code a failed setup step earns; kExitOk for an ok status.
inline int ExitCodeFor(const absl::Status& status) {
  switch (status.code()) {
    case absl::StatusCode::kOk:
      return kExitOk;
    case absl::StatusCode::kInvalidArgument:
      return kExitUsage;
    case absl::StatusCode::kDataLoss:
      return kExitDataErr;
    case absl::StatusCode::kNotFound:
      return kExitNoHost;
    case absl::StatusCode::kUnavailable:
      return kExitUnavailable;
    case absl::StatusCode::kResourceExhausted:
      return kExitSoftware;
    default:
      return kExitFailure;
  }
}

}  // namespace tcpkali::engine

#endif  // TCPKALI_ENGINE_EXIT_CODE_H_
