// No allocation on the data path: runs whole load tests in this process
// (engine::RunLoadTest, client and sink on loopback) while malloc and its
// relatives are interposed, and requires that no worker thread allocated
// while inside its loop (engine::InWorkerLoopOnThisThread()). Setup, the
// main thread and the stats thread may allocate; the loop may not.
//
// The interposed functions are defined in this binary, so they take the
// place of glibc's for every library (operator new included: libstdc++'s
// calls malloc). They forward to glibc's __libc_* entry points and count
// with relaxed atomics. Counters must be globals here: malloc has no other
// place to keep them.
#include <doctest/doctest.h>
#include <execinfo.h>
#include <malloc.h>
#include <sys/prctl.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "cli/flags.h"
#include "cli/validate.h"
#include "engine/config.h"
#include "engine/engine.h"
#include "engine/worker.h"
#include "testing/peers/loopback.h"

extern "C" {
void* __libc_malloc(size_t size);
void* __libc_calloc(size_t count, size_t size);
void* __libc_realloc(void* p, size_t size);
void* __libc_memalign(size_t alignment, size_t size);
void __libc_free(void* p);
}

namespace {

constexpr int kMaxFrames = 32;

// What the interposed functions saw. Written by any thread, read by the
// test between runs.
struct AllocationLog {
  std::atomic<uint64_t> in_loop{0};        // the failures
  std::atomic<uint64_t> other_thread{0};   // not the test's own thread
  std::atomic<uint64_t> worker_thread{0};  // proof that workers are seen
  std::atomic<bool> first_recorded{false};
  size_t first_size = 0;  // of the first in-loop allocation
  void* first_frames[kMaxFrames] = {};
  int first_depth = 0;
};

AllocationLog allocation_log;  // NOLINT: malloc has nowhere else to count

thread_local bool t_main_thread = false;
thread_local bool t_in_hook = false;  // backtrace() may allocate
thread_local bool t_worker_thread = false;

// Worker threads name themselves "tcpkali-w<N>" before their setup.
bool IsWorkerThread() {
  if (!t_worker_thread) {
    char name[16] = {};
    prctl(PR_GET_NAME, name);
    t_worker_thread = std::strncmp(name, "tcpkali-w", 9) == 0;
  }
  return t_worker_thread;
}

void Note(size_t size) {
  if (t_in_hook) return;
  if (!t_main_thread) {
    allocation_log.other_thread.fetch_add(1, std::memory_order_relaxed);
    if (IsWorkerThread()) {
      allocation_log.worker_thread.fetch_add(1, std::memory_order_relaxed);
    }
  }
  if (!tcpkali::engine::InWorkerLoopOnThisThread()) return;
  allocation_log.in_loop.fetch_add(1, std::memory_order_relaxed);
  if (!allocation_log.first_recorded.exchange(true,
                                              std::memory_order_acq_rel)) {
    t_in_hook = true;
    allocation_log.first_size = size;
    allocation_log.first_depth =
        backtrace(allocation_log.first_frames, kMaxFrames);
    t_in_hook = false;
  }
}

}  // namespace

extern "C" {

void* malloc(size_t size) {
  Note(size);
  return __libc_malloc(size);
}

void* calloc(size_t count, size_t size) {
  Note(count * size);
  return __libc_calloc(count, size);
}

void* realloc(void* p, size_t size) {
  Note(size);
  return __libc_realloc(p, size);
}

void free(void* p) { __libc_free(p); }

void* memalign(size_t alignment, size_t size) {
  Note(size);
  return __libc_memalign(alignment, size);
}

void* aligned_alloc(size_t alignment, size_t size) {
  Note(size);
  return __libc_memalign(alignment, size);
}

int posix_memalign(void** out, size_t alignment, size_t size) {
  Note(size);
  void* p = __libc_memalign(alignment, size);
  if (p == nullptr) return ENOMEM;
  *out = p;
  return 0;
}

void* valloc(size_t size) {
  Note(size);
  return __libc_memalign(static_cast<size_t>(sysconf(_SC_PAGESIZE)), size);
}

}  // extern "C"

namespace tcpkali {
namespace {

constexpr int kExitCannotListen = 69;

// Parses and validates "tcpkali -l A <args> A" as main() would.
engine::Config SelfConnectConfig(const std::vector<std::string>& args,
                                 const std::string& address) {
  std::vector<std::string> all = {"tcpkali", "-l", address};
  all.insert(all.end(), args.begin(), args.end());
  all.push_back(address);
  std::vector<const char*> argv;
  for (const std::string& a : all) argv.push_back(a.c_str());
  absl::StatusOr<cli::ParsedCommandLine> parsed =
      cli::ParseFlags(static_cast<int>(argv.size()), argv.data());
  REQUIRE_MESSAGE(parsed.ok(), parsed.status().message());
  absl::StatusOr<std::vector<cli::Diagnostic>> diagnostics =
      cli::Validate(parsed->config, cli::ProbeMachine());
  REQUIRE_MESSAGE(diagnostics.ok(), diagnostics.status().message());
  return parsed->config;
}

// Runs one self-connect load test in this process; retries on a new port
// when another process took the free one first.
int RunInProcess(const std::vector<std::string>& args) {
  int exit_code = kExitCannotListen;
  for (int attempt = 0; attempt < 3 && exit_code == kExitCannotListen;
       ++attempt) {
    absl::StatusOr<uint16_t> port = testing::FindFreeLoopbackPort();
    REQUIRE(port.ok());
    const engine::Config config =
        SelfConnectConfig(args, absl::StrCat("127.0.0.1:", *port));
    exit_code = engine::RunLoadTest(config);
  }
  return exit_code;
}

TEST_CASE("the interposed malloc sees every thread's allocations") {
  t_main_thread = true;
  const uint64_t before = allocation_log.other_thread.load();
  std::thread([] { delete new std::vector<int>(100); }).join();
  CHECK(allocation_log.other_thread.load() > before);
}

TEST_CASE("worker loops allocate nothing") {
  t_main_thread = true;
  void* warm[1];
  backtrace(warm, 1);  // loads libgcc now, not inside the first failure
  struct Row {
    std::string what;
    std::vector<std::string> args;
  };
  const Row rows[] = {
      {"static messages", {"-c", "50", "-r", "10k", "-m", "hello", "-T", "2"}},
      {"paced, per-message expression",
       {"-c", "50", "-r", "10k", "-m", "x\\{re [a-z]{5}}y", "--message-rate",
        "100", "-T", "2"}},
      {"channel lifetime",
       {"-c", "50", "-r", "10k", "-m", "hello", "--channel-lifetime", "50ms",
        "-T", "2"}},
      {"echo, markers and latency",
       {"-c", "50", "-r", "10k", "--listen-mode", "echo", "-m",
        "ping\\{message.marker}", "--message-marker", "--latency-marker",
        "ping", "--latency-connect", "--latency-first-byte", "--message-rate",
        "50", "-T", "1"}},
  };
  for (const Row& row : rows) {
    CAPTURE(row.what);
    allocation_log.in_loop.store(0);
    allocation_log.other_thread.store(0);
    allocation_log.worker_thread.store(0);
    allocation_log.first_recorded.store(false);
    CHECK(RunInProcess(row.args) == 0);
    // Worker setup allocates: the hooks see the worker threads, so a
    // zero below is not for want of looking.
    CHECK(allocation_log.worker_thread.load() > 0);
    const uint64_t in_loop = allocation_log.in_loop.load();
    CHECK(in_loop == 0);
    if (in_loop > 0 && allocation_log.first_recorded.load()) {
      MESSAGE("first allocation in a worker loop: " << allocation_log.first_size
                                                    << " bytes, at:");
      backtrace_symbols_fd(allocation_log.first_frames,
                           allocation_log.first_depth, STDERR_FILENO);
    }
  }
}

}  // namespace
}  // namespace tcpkali
