#include "engine/features.h"

#include <liburing.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/utsname.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <string>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "engine/uring_compat.h"

namespace tcpkali::engine {
namespace {

std::string ReadSysctl(const char* path) {
  std::FILE* f = std::fopen(path, "r");
  if (f == nullptr) return "";
  char buf[64] = {};
  size_t n = std::fread(buf, 1, sizeof buf - 1, f);
  std::fclose(f);
  while (n > 0 && (buf[n - 1] == '\n' || buf[n - 1] == ' ')) --n;
  return std::string(buf, n);
}

// Explains why io_uring_queue_init failed, with the fix.
absl::Status SetupFailure(int err) {
  std::string why = absl::StrCat("io_uring is not available (io_uring_setup: ",
                                 std::strerror(err), ")");
  const std::string disabled = ReadSysctl("/proc/sys/kernel/io_uring_disabled");
  if (err == EPERM && (disabled == "1" || disabled == "2")) {
    absl::StrAppend(&why, "; kernel.io_uring_disabled=", disabled,
                    ": run `sysctl kernel.io_uring_disabled=0` as root");
  } else if (err == ENOSYS) {
    absl::StrAppend(&why, "; the kernel lacks io_uring or a seccomp filter "
                          "blocks it: tcpkali needs Linux 6.1 or newer");
  } else if (err == EPERM) {
    absl::StrAppend(&why, "; a seccomp filter or container policy blocks "
                          "io_uring_setup: allow it, or run outside the sandbox");
  } else if (err == ENOMEM) {
    absl::StrAppend(&why, "; locked memory is short: raise `ulimit -l`");
  }
  return absl::FailedPreconditionError(why);
}

// Runs one SQE to completion on `ring` and returns its result.
int RunOne(io_uring* ring, io_uring_sqe* sqe) {
  (void)sqe;
  if (io_uring_submit(ring) < 0) return -EIO;
  io_uring_cqe* cqe = nullptr;
  if (io_uring_wait_cqe(ring, &cqe) < 0) return -EIO;
  const int res = cqe->res;
  io_uring_cqe_seen(ring, cqe);
  return res;
}

// Trial operations on a direct socket: SOCKET, then setsockopt through
// URING_CMD and BIND, each of which the opcode probe alone cannot confirm
// (URING_CMD exists long before sockets accept it).
void ProbeSocketOps(io_uring* ring, KernelFeatures& f) {
  if (io_uring_register_files_sparse(ring, 1) < 0) return;
  io_uring_sqe* sqe = io_uring_get_sqe(ring);
  io_uring_prep_socket_direct(sqe, AF_INET, SOCK_STREAM, 0, 0, 0);
  f.socket_direct = RunOne(ring, sqe) == 0;
  if (!f.socket_direct) return;

  const int one = 1;
  sqe = io_uring_get_sqe(ring);
  compat::PrepSetsockopt(sqe, 0, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  sqe->flags |= IOSQE_FIXED_FILE;
  f.setsockopt_cmd = RunOne(ring, sqe) == 0;

  if (f.bind_op) {
    sockaddr_in sin{};
    sin.sin_family = AF_INET;
    sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    sqe = io_uring_get_sqe(ring);
    compat::PrepBind(sqe, 0, reinterpret_cast<sockaddr*>(&sin), sizeof sin);
    sqe->flags |= IOSQE_FIXED_FILE;
    f.bind_op = RunOne(ring, sqe) == 0;
  }
  sqe = io_uring_get_sqe(ring);
  io_uring_prep_close_direct(sqe, 0);
  RunOne(ring, sqe);
}

}  // namespace

absl::StatusOr<KernelFeatures> ProbeKernelFeatures() {
  KernelFeatures f;
  utsname uts{};
  if (uname(&uts) == 0) f.kernel_release = uts.release;

  io_uring ring;
  io_uring_params params{};
  params.flags = IORING_SETUP_SINGLE_ISSUER | IORING_SETUP_DEFER_TASKRUN;
  int rc = io_uring_queue_init_params(8, &ring, &params);
  if (rc == -EINVAL) {
    params = {};
    rc = io_uring_queue_init_params(8, &ring, &params);
  } else if (rc == 0) {
    f.single_issuer = f.defer_taskrun = true;
  }
  if (rc < 0) return SetupFailure(-rc);

  f.ext_arg = (params.features & IORING_FEAT_EXT_ARG) != 0;
  f.nodrop = (params.features & IORING_FEAT_NODROP) != 0;
  f.recvsend_bundle = (params.features & compat::kFeatRecvsendBundle) != 0;
  f.registered_ring_fd = io_uring_register_ring_fd(&ring) == 1;

  if (io_uring_probe* probe = io_uring_get_probe_ring(&ring)) {
    f.bind_op = io_uring_opcode_supported(probe, compat::kOpBind);
    f.listen_op = io_uring_opcode_supported(probe, compat::kOpListen);
    f.send_zc = io_uring_opcode_supported(probe, IORING_OP_SEND_ZC);
    // Multishot accept and recv came with the same kernels as these.
    f.accept_multishot = io_uring_opcode_supported(probe, IORING_OP_SOCKET);
    f.recv_multishot = f.send_zc;
    io_uring_free_probe(probe);
  }

  io_uring_buf_reg reg{};
  void* ring_mem = nullptr;
  if (posix_memalign(&ring_mem, 4096, 4096) == 0) {
    reg.ring_addr = reinterpret_cast<uint64_t>(ring_mem);
    reg.ring_entries = 8;
    reg.bgid = 0;
    f.buf_ring = io_uring_register_buf_ring(&ring, &reg, 0) == 0;
    if (f.buf_ring) io_uring_unregister_buf_ring(&ring, 0);
    std::free(ring_mem);
  }

  ProbeSocketOps(&ring, f);
  io_uring_queue_exit(&ring);

  if (!f.socket_direct || !f.recv_multishot || !f.buf_ring ||
      !f.accept_multishot || !f.ext_arg) {
    return absl::FailedPreconditionError(absl::StrCat(
        "io_uring on kernel ", f.kernel_release,
        " lacks direct sockets, multishot receive or provided buffer rings; "
        "tcpkali needs Linux 6.1 or newer"));
  }
  return f;
}

std::string DescribeFeatures(const KernelFeatures& f) {
  auto yn = [](bool b) { return b ? "yes" : "no"; };
  std::string out = absl::StrCat("kernel ", f.kernel_release, "\n");
  absl::StrAppend(&out, "  ring: single issuer ", yn(f.single_issuer),
                  ", deferred task run ", yn(f.defer_taskrun),
                  ", registered ring fd ", yn(f.registered_ring_fd), "\n");
  absl::StrAppend(&out, "  sockets: direct ", yn(f.socket_direct),
                  ", setsockopt via ring ", yn(f.setsockopt_cmd), ", bind ",
                  yn(f.bind_op), ", listen ", yn(f.listen_op), "\n");
  absl::StrAppend(&out, "  data: multishot accept ", yn(f.accept_multishot),
                  ", multishot recv ", yn(f.recv_multishot),
                  ", buffer rings ", yn(f.buf_ring), ", bundles ",
                  yn(f.recvsend_bundle), ", zero-copy send ", yn(f.send_zc),
                  "\n");
  absl::StrAppend(&out, "  socket setup path: ",
                  f.AllSocketSetupInRing()
                      ? "entirely through the ring"
                      : "regular socket() + setsockopt/bind/listen, then "
                        "registered into the ring's fixed table",
                  "\n");
  return out;
}

}  // namespace tcpkali::engine
