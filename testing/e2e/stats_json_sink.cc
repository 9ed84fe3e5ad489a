#include "testing/e2e/stats_json_sink.h"

#include <signal.h>
#include <unistd.h>

#include <atomic>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <optional>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "testing/peers/loopback.h"

namespace tcpkali::testing {
namespace {

// A file name no other sink of this process uses.
std::string NewStatsPath() {
  static std::atomic<int> next{0};
  const char* dir = std::getenv("TEST_TMPDIR");
  return absl::StrCat(dir == nullptr ? "/tmp" : dir, "/stats_json_sink_",
                      getpid(), "_", next.fetch_add(1), ".jsonl");
}

}  // namespace

absl::Status StatsJsonSink::Start(const std::vector<std::string>& args) {
  stats_path_ = NewStatsPath();
  std::remove(stats_path_.c_str());
  std::vector<std::string> argv = {TcpkaliPath(), "-l", "127.0.0.1:0",
                                   "-T",          "-1", "--stats-json",
                                   stats_path_};
  argv.insert(argv.end(), args.begin(), args.end());
  if (absl::Status s = process_.Start(argv); !s.ok()) return s;
  constexpr std::string_view kPrefix = "Listening on 127.0.0.1:";
  absl::StatusOr<std::string> err =
      process_.WaitForStderr(kPrefix, kStartTimeoutMs);
  if (!err.ok()) return err.status();
  // One write() per line, and a pipe delivers writes this short whole.
  const size_t at = err->find(kPrefix) + kPrefix.size();
  const size_t end = err->find('\n', at);
  uint32_t port = 0;
  if (end == std::string::npos ||
      !absl::SimpleAtoi(err->substr(at, end - at), &port) || port == 0 ||
      port > 65535) {
    return absl::InternalError(absl::StrCat("no port in: ", *err));
  }
  port_ = static_cast<uint16_t>(port);
  return absl::OkStatus();
}

absl::Status StatsJsonSink::WaitAllClosed(uint64_t min_seen, int timeout_ms) {
  const int64_t deadline_ns =
      MonotonicNowNs() + static_cast<int64_t>(timeout_ms) * 1'000'000;
  // WaitForStderr("") returns what has been read so far, without waiting.
  absl::StatusOr<std::string> err = process_.WaitForStderr("", 0);
  while (err.ok() && !LastLineShowsAllClosed(min_seen)) {
    const int64_t left_ms = (deadline_ns - MonotonicNowNs()) / 1'000'000;
    if (left_ms <= 0) {
      return absl::DeadlineExceededError(
          absl::StrCat("the sink still has connections open; stderr: ", *err));
    }
    // Found only once the next live line has begun.
    err = process_.WaitForStderr(absl::StrCat(*err, "Traffic "),
                                 static_cast<int>(left_ms));
  }
  return err.status();
}

absl::StatusOr<ProcessResult> StatsJsonSink::Stop(int timeout_ms) {
  if (absl::Status s = process_.Signal(SIGINT); !s.ok()) return s;
  return process_.Wait(timeout_ms);
}

bool StatsJsonSink::LastLineShowsAllClosed(uint64_t min_seen) const {
  std::ifstream in(stats_path_);
  std::string line, last;
  while (std::getline(in, line)) {
    if (!line.empty()) last = line;
  }
  // A line still being written does not parse, and counts as not yet.
  const std::optional<JsonValue> v = ParseReport(last);
  return v.has_value() && IntAt(*v, {"conns_in"}) == 0 &&
         IntAt(*v, {"conns_seen"}) >= static_cast<int64_t>(min_seen);
}

}  // namespace tcpkali::testing
