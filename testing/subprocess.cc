#include "testing/subprocess.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstring>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "testing/testdata.h"

extern char** environ;

namespace tcpkali::testing {
namespace {

int64_t NowNs() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(
             std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

int64_t DeadlineAfterMs(int timeout_ms) {
  return NowNs() + static_cast<int64_t>(timeout_ms) * 1'000'000;
}

void CloseFd(int& fd) {
  if (fd >= 0) close(fd);
  fd = -1;
}

// The child's environment: ours, with `extra` added or replacing.
std::vector<std::string> ChildEnvironment(
    const std::vector<std::string>& extra) {
  std::vector<std::string> env;
  for (char** e = environ; *e != nullptr; ++e) {
    const std::string_view entry(*e);
    const std::string_view name = entry.substr(0, entry.find('='));
    bool replaced = false;
    for (const std::string& x : extra) {
      replaced |= std::string_view(x).substr(0, x.find('=')) == name;
    }
    if (!replaced) env.emplace_back(entry);
  }
  env.insert(env.end(), extra.begin(), extra.end());
  return env;
}

std::vector<char*> CStrings(std::vector<std::string>& strings) {
  std::vector<char*> out;
  for (std::string& s : strings) out.push_back(s.data());
  out.push_back(nullptr);
  return out;
}

// The spawn attributes: a new process group (so a timeout can kill the
// child's own children too), and default signal handling and an empty
// signal mask whatever the test process has set.
void InitAttributes(posix_spawnattr_t& attr) {
  posix_spawnattr_init(&attr);
  posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETPGROUP |
                                      POSIX_SPAWN_SETSIGMASK |
                                      POSIX_SPAWN_SETSIGDEF);
  posix_spawnattr_setpgroup(&attr, 0);
  sigset_t none;
  sigemptyset(&none);
  posix_spawnattr_setsigmask(&attr, &none);
  sigset_t defaults;
  sigemptyset(&defaults);
  for (int sig : {SIGPIPE, SIGINT, SIGTERM, SIGHUP, SIGQUIT, SIGCHLD}) {
    sigaddset(&defaults, sig);
  }
  posix_spawnattr_setsigdefault(&attr, &defaults);
}

}  // namespace

absl::StatusOr<ProcessResult> RunProcess(const std::vector<std::string>& argv,
                                         const RunOptions& options) {
  Subprocess process;
  if (absl::Status s = process.Start(argv, options); !s.ok()) return s;
  return process.Wait(options.timeout_ms);
}

Subprocess::~Subprocess() {
  if (pid_ > 0 && !waited_) {
    KillGroup();
    Reap(/*block=*/true);
  }
  CloseAll();
}

absl::Status Subprocess::Start(const std::vector<std::string>& argv,
                               const RunOptions& options) {
  if (pid_ > 0) return absl::FailedPreconditionError("already started");
  if (argv.empty()) return absl::InvalidArgumentError("empty argv");
  // stdin is a socket, not a pipe, so that writing to a child that has
  // exited fails with EPIPE (send with MSG_NOSIGNAL) instead of raising
  // SIGPIPE in the test process.
  int in[2], out[2], err[2];
  if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, in) != 0) {
    return absl::InternalError(absl::StrCat("socketpair: ", strerror(errno)));
  }
  if (pipe2(out, O_CLOEXEC) != 0) {
    const int error = errno;
    close(in[0]);
    close(in[1]);
    return absl::InternalError(absl::StrCat("pipe2: ", strerror(error)));
  }
  if (pipe2(err, O_CLOEXEC) != 0) {
    const int error = errno;
    for (int fd : {in[0], in[1], out[0], out[1]}) close(fd);
    return absl::InternalError(absl::StrCat("pipe2: ", strerror(error)));
  }
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_adddup2(&actions, in[1], STDIN_FILENO);
  posix_spawn_file_actions_adddup2(&actions, out[1], STDOUT_FILENO);
  posix_spawn_file_actions_adddup2(&actions, err[1], STDERR_FILENO);
  posix_spawnattr_t attr;
  InitAttributes(attr);
  std::vector<std::string> args = argv;
  std::vector<std::string> env = ChildEnvironment(options.env);
  std::vector<char*> c_args = CStrings(args);
  std::vector<char*> c_env = CStrings(env);
  pid_t pid = -1;
  const int rc = posix_spawnp(&pid, c_args[0], &actions, &attr, c_args.data(),
                              c_env.data());
  posix_spawn_file_actions_destroy(&actions);
  posix_spawnattr_destroy(&attr);
  close(in[1]);
  close(out[1]);
  close(err[1]);
  if (rc != 0) {
    close(in[0]);
    close(out[0]);
    close(err[0]);
    const std::string why =
        absl::StrCat("cannot run ", argv[0], ": ", strerror(rc));
    return rc == ENOENT ? absl::NotFoundError(why) : absl::InternalError(why);
  }
  pid_ = pid;
  stdin_fd_ = in[0];
  stdout_fd_ = out[0];
  stderr_fd_ = err[0];
  for (int fd : {stdin_fd_, stdout_fd_, stderr_fd_}) {
    fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK);
  }
  stdin_text_ = options.stdin_text;
  if (stdin_text_.empty()) CloseFd(stdin_fd_);
  pidfd_ = static_cast<int>(syscall(SYS_pidfd_open, pid_, 0));
  if (pidfd_ < 0) {
    return absl::InternalError(absl::StrCat("pidfd_open: ", strerror(errno)));
  }
  return absl::OkStatus();
}

void Subprocess::ReadFrom(int& fd, std::string& into) {
  char buf[65536];
  while (fd >= 0) {
    const ssize_t n = read(fd, buf, sizeof buf);
    if (n > 0) {
      into.append(buf, static_cast<size_t>(n));
    } else if (n < 0 && errno == EINTR) {
      continue;
    } else if (n < 0 && errno == EAGAIN) {
      return;
    } else {
      CloseFd(fd);  // EOF or a real error: either way nothing more comes
    }
  }
}

void Subprocess::WriteStdin() {
  while (stdin_fd_ >= 0 && stdin_written_ < stdin_text_.size()) {
    const ssize_t n = send(stdin_fd_, stdin_text_.data() + stdin_written_,
                           stdin_text_.size() - stdin_written_, MSG_NOSIGNAL);
    if (n > 0) {
      stdin_written_ += static_cast<size_t>(n);
    } else if (n < 0 && errno == EINTR) {
      continue;
    } else if (n < 0 && errno == EAGAIN) {
      return;
    } else {
      break;  // the child closed its stdin
    }
  }
  CloseFd(stdin_fd_);
}

void Subprocess::Reap(bool block) {
  if (exited_ || pid_ <= 0) return;
  int status = 0;
  pid_t r;
  do {
    r = waitpid(pid_, &status, block ? 0 : WNOHANG);
  } while (r < 0 && errno == EINTR);
  if (r == pid_) {
    exited_ = true;
    wait_status_ = status;
    CloseFd(pidfd_);
  }
}

void Subprocess::PollOnce(int timeout_ms) {
  pollfd fds[4];
  int n = 0;
  if (stdin_fd_ >= 0) fds[n++] = {stdin_fd_, POLLOUT, 0};
  if (stdout_fd_ >= 0) fds[n++] = {stdout_fd_, POLLIN, 0};
  if (stderr_fd_ >= 0) fds[n++] = {stderr_fd_, POLLIN, 0};
  if (pidfd_ >= 0) fds[n++] = {pidfd_, POLLIN, 0};
  if (poll(fds, n, timeout_ms) < 0 && errno != EINTR) return;
  WriteStdin();
  ReadFrom(stdout_fd_, stdout_);
  ReadFrom(stderr_fd_, stderr_);
  Reap(/*block=*/false);
}

template <typename Done>
bool Subprocess::Pump(int64_t deadline_ns, Done done) {
  while (!done()) {
    if (exited_ && OutputClosed()) return done();
    const int64_t left_ns = deadline_ns - NowNs();
    if (left_ns <= 0) return done();
    PollOnce(static_cast<int>((left_ns + 999'999) / 1'000'000));
  }
  return true;
}

void Subprocess::KillGroup() {
  if (pid_ <= 0 || waited_) return;
  kill(-pid_, SIGKILL);  // the group outlives its leader's exit
  if (!exited_) kill(pid_, SIGKILL);
}

void Subprocess::CloseAll() {
  CloseFd(stdin_fd_);
  CloseFd(stdout_fd_);
  CloseFd(stderr_fd_);
  CloseFd(pidfd_);
}

absl::StatusOr<std::string> Subprocess::WaitForStderr(std::string_view needle,
                                                      int timeout_ms) {
  if (pid_ <= 0 || waited_) {
    return absl::FailedPreconditionError("no running process");
  }
  const auto found = [&] { return stderr_.find(needle) != std::string::npos; };
  if (Pump(DeadlineAfterMs(timeout_ms), found)) return stderr_;
  const std::string what =
      absl::StrCat("\"", absl::string_view(needle.data(), needle.size()),
                   "\" not seen on stderr; stderr so far: ", stderr_);
  if (exited_ && OutputClosed()) {
    return absl::FailedPreconditionError(absl::StrCat("exited: ", what));
  }
  return absl::DeadlineExceededError(
      absl::StrCat("after ", timeout_ms, " ms: ", what));
}

absl::Status Subprocess::Signal(int signal) {
  if (pid_ <= 0 || waited_) {
    return absl::FailedPreconditionError("no running process");
  }
  if (kill(pid_, signal) != 0) {
    return absl::InternalError(absl::StrCat("kill: ", strerror(errno)));
  }
  return absl::OkStatus();
}

absl::StatusOr<ProcessResult> Subprocess::Wait(int timeout_ms) {
  if (pid_ <= 0 || waited_) {
    return absl::FailedPreconditionError("no running process");
  }
  ProcessResult result;
  const auto finished = [&] { return exited_ && OutputClosed(); };
  if (!Pump(DeadlineAfterMs(timeout_ms), finished)) {
    result.timed_out = !exited_;
    KillGroup();
    // A killed group closes its pipes at once; this bound only guards
    // against a grandchild that escaped the group.
    Pump(DeadlineAfterMs(2000), finished);
    Reap(/*block=*/true);
  }
  CloseAll();
  waited_ = true;
  result.stdout_text = std::move(stdout_);
  result.stderr_text = std::move(stderr_);
  if (WIFEXITED(wait_status_)) result.exit_code = WEXITSTATUS(wait_status_);
  if (WIFSIGNALED(wait_status_)) result.term_signal = WTERMSIG(wait_status_);
  return result;
}

std::string BinaryPath(std::string_view workspace_relative) {
  return RunfilePath(workspace_relative);
}

}  // namespace tcpkali::testing
