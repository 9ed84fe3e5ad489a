// io_uring constants newer than Debian 12's liburing 2.3, defined here from
// the kernel's include/uapi/linux/io_uring.h. Each is guarded so that a newer
// liburing's own definition wins.
#ifndef TCPKALI_ENGINE_URING_COMPAT_H_
#define TCPKALI_ENGINE_URING_COMPAT_H_

#include <liburing.h>

#include <cstdint>

namespace tcpkali::engine::compat {

// Opcodes (enum io_uring_op).
inline constexpr uint8_t kOpBind = 56;    // IORING_OP_BIND, 6.11
inline constexpr uint8_t kOpListen = 57;  // IORING_OP_LISTEN, 6.11

// URING_CMD sub-commands for sockets (enum io_uring_socket_op), 6.7.
inline constexpr uint32_t kSocketOpSetsockopt = 3;  // SOCKET_URING_OP_SETSOCKOPT

// io_uring_params.features bits.
inline constexpr uint32_t kFeatRecvsendBundle = 1U << 14;  // 6.10

// sqe->ioprio flag for send/recv bundles, 6.10.
inline constexpr uint16_t kRecvsendBundle = 1U << 4;  // IORING_RECVSEND_BUNDLE

// IORING_SETUP_NO_SQARRAY (6.6): the SQ index array is not needed when SQEs
// are submitted in ring order, which they always are here.
inline constexpr uint32_t kSetupNoSqarray = 1U << 16;

// Fills `sqe` as a setsockopt through the ring: the kernel reads `optlen`
// bytes at `optval` when the command runs, so `optval` must stay valid until
// the completion arrives. `fd` is a direct descriptor index (the caller sets
// IOSQE_FIXED_FILE).
inline void PrepSetsockopt(io_uring_sqe* sqe, int fd, int level, int optname,
                           const void* optval, uint32_t optlen) {
  io_uring_prep_rw(IORING_OP_URING_CMD, sqe, fd, nullptr, 0, 0);
  sqe->cmd_op = kSocketOpSetsockopt;
  // In the kernel's layout `level` and `optname` share the `addr` word,
  // `optlen` is `splice_fd_in`, and `optval` is `addr3`.
  sqe->addr = static_cast<uint64_t>(static_cast<uint32_t>(level)) |
              (static_cast<uint64_t>(static_cast<uint32_t>(optname)) << 32);
  sqe->splice_fd_in = static_cast<int32_t>(optlen);
  sqe->addr3 = reinterpret_cast<uint64_t>(optval);
}

// Fills `sqe` as a bind of `fd` (a direct descriptor index) to `addr`.
inline void PrepBind(io_uring_sqe* sqe, int fd, const sockaddr* addr,
                     socklen_t addrlen) {
  io_uring_prep_rw(kOpBind, sqe, fd, addr, 0, addrlen);
}

// Fills `sqe` as a listen on `fd` with `backlog`.
inline void PrepListen(io_uring_sqe* sqe, int fd, int backlog) {
  io_uring_prep_rw(kOpListen, sqe, fd, nullptr, backlog, 0);
}

}  // namespace tcpkali::engine::compat

#endif  // TCPKALI_ENGINE_URING_COMPAT_H_
