// Kernel feature probe: which io_uring facilities the running kernel offers,
// found by asking it (a throwaway ring, its opcode probe and a few trial
// operations), never by comparing version numbers.
//
// Example:
//   absl::StatusOr<engine::KernelFeatures> features =
//       engine::ProbeKernelFeatures();
//   if (!features.ok()) { /* io_uring is unusable: print, exit 1 */ }
//   std::cout << engine::DescribeFeatures(*features);
#ifndef TCPKALI_ENGINE_FEATURES_H_
#define TCPKALI_ENGINE_FEATURES_H_

#include <string>

#include "absl/status/statusor.h"

namespace tcpkali::engine {

struct KernelFeatures {
  std::string kernel_release;  // uname -r

  // Ring setup.
  bool single_issuer = false;      // IORING_SETUP_SINGLE_ISSUER (6.0)
  bool defer_taskrun = false;      // IORING_SETUP_DEFER_TASKRUN (6.1)
  bool registered_ring_fd = false; // io_uring_register_ring_fd (5.18)
  bool ext_arg = false;            // IORING_FEAT_EXT_ARG: timed waits
  bool nodrop = false;             // IORING_FEAT_NODROP: CQ overflow kept

  // Operations.
  bool socket_direct = false;      // IORING_OP_SOCKET into fixed table (5.19)
  bool setsockopt_cmd = false;     // URING_CMD SOCKET_URING_OP_SETSOCKOPT (6.7)
  bool bind_op = false;            // IORING_OP_BIND (6.11)
  bool listen_op = false;          // IORING_OP_LISTEN (6.11)
  bool accept_multishot = false;   // multishot accept (5.19)
  bool recv_multishot = false;     // multishot recv (6.0)
  bool buf_ring = false;           // provided buffer rings (5.19)
  bool recvsend_bundle = false;    // IORING_FEAT_RECVSEND_BUNDLE (6.10)
  bool send_zc = false;            // IORING_OP_SEND_ZC (6.0)

  // Where a feature the engine prefers is missing, the fallback it takes.
  // True when sockets are set up entirely through the ring.
  bool AllSocketSetupInRing() const {
    return socket_direct && setsockopt_cmd && bind_op && listen_op;
  }
};

// Probes the running kernel. Fails (with a message naming the cause and the
// fix: kernel.io_uring_disabled, a seccomp filter, an old kernel) only when
// io_uring cannot be used at all, or lacks what the engine cannot do
// without: multishot recv, provided buffer rings, direct descriptors.
[[nodiscard]] absl::StatusOr<KernelFeatures> ProbeKernelFeatures();

// A few lines for --version and -v: each feature, "yes"/"no", and the path
// the engine takes where one is missing.
std::string DescribeFeatures(const KernelFeatures& features);

}  // namespace tcpkali::engine

#endif  // TCPKALI_ENGINE_FEATURES_H_
