// no_io_uring: runs a program in a process where io_uring_setup() fails
// with EPERM, as it does under kernel.io_uring_disabled=2 or a container's
// seccomp profile. Tests use it to check how tcpkali reports a missing
// io_uring without changing the machine-wide sysctl under their neighbours.
//
//   no_io_uring PROGRAM [ARGS...]
//
// It installs a seccomp filter on itself (inherited across execve and by
// every child and thread) and then execs PROGRAM, looked up in PATH.
// Exits 127 when the filter cannot be installed or PROGRAM cannot be run,
// 64 on a usage error, after one line on stderr saying why.
#include <linux/audit.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cerrno>
#include <cstddef>
#include <cstdio>
#include <cstring>

namespace {

constexpr int kExitUsage = 64;
constexpr int kExitCannotRun = 127;

#if defined(__x86_64__)
constexpr unsigned kAuditArch = AUDIT_ARCH_X86_64;
#elif defined(__aarch64__)
constexpr unsigned kAuditArch = AUDIT_ARCH_AARCH64;
#else
#error "no_io_uring: add this architecture's AUDIT_ARCH_* constant"
#endif

// Fails io_uring_setup with EPERM and allows everything else. A call made
// under another ABI (x32, i386 on x86-64) would carry other syscall
// numbers, so those are refused outright rather than let through unchecked.
int InstallFilter() {
  sock_filter filter[] = {
      BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(seccomp_data, arch)),
      BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, kAuditArch, 1, 0),
      BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_KILL_PROCESS),
      BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(seccomp_data, nr)),
      BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, __NR_io_uring_setup, 0, 1),
      BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ERRNO | (EPERM & SECCOMP_RET_DATA)),
      BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
  };
  sock_fprog program = {
      .len = static_cast<unsigned short>(sizeof filter / sizeof filter[0]),
      .filter = filter,
  };
  // Without CAP_SYS_ADMIN the kernel accepts a filter only from a process
  // that can gain no privileges; as root it is harmless and keeps the
  // behaviour the same for every user.
  if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0) return errno;
  if (prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, &program) != 0) return errno;
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2) {
    std::fprintf(stderr, "usage: no_io_uring PROGRAM [ARGS...]\n");
    return kExitUsage;
  }
  if (const int error = InstallFilter(); error != 0) {
    std::fprintf(stderr, "no_io_uring: cannot install the seccomp filter: %s\n",
                 std::strerror(error));
    return kExitCannotRun;
  }
  execvp(argv[1], argv + 1);
  std::fprintf(stderr, "no_io_uring: cannot run %s: %s\n", argv[1],
               std::strerror(errno));
  return kExitCannotRun;
}
