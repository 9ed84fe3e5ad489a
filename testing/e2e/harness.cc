#include "testing/e2e/harness.h"

#include <doctest/doctest.h>
#include <signal.h>
#include <unistd.h>

#include <atomic>
#include <cstdio>
#include <cstdlib>
#include <iterator>
#include <limits>
#include <string>
#include <utility>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "testing/peers/loopback.h"
#include "testing/testdata.h"

namespace tcpkali::testing {
namespace {

// tcpkali's exit code when it cannot listen.
constexpr int kExitCannotListen = 69;
constexpr int kSelfConnectAttempts = 3;

const JsonValue* Number(const JsonValue& report,
                        std::initializer_list<std::string_view> path) {
  const JsonValue* v = report.At(path);
  if (v == nullptr || v->type != JsonValue::Type::kNumber) return nullptr;
  return v;
}

// A --stats-json file name no other sink of this process uses.
std::string NewStatsPath() {
  static std::atomic<int> next{0};
  const char* dir = std::getenv("TEST_TMPDIR");
  return absl::StrCat(dir == nullptr ? "/tmp" : dir, "/tcpkali_sink_", getpid(),
                      "_", next.fetch_add(1), ".jsonl");
}

// Whether a --stats-json line shows no accepted connection open and at
// least `min_seen` seen.
bool ShowsAllClosed(std::string_view stats_line, uint64_t min_seen) {
  const std::optional<JsonValue> v = ParseReport(stats_line);
  return v.has_value() && IntAt(*v, {"conns_in"}) == 0 &&
         IntAt(*v, {"conns_seen"}) >= static_cast<int64_t>(min_seen);
}

}  // namespace

std::string TcpkaliPath() { return BinaryPath("cli/tcpkali"); }

std::string LoopbackDestination(uint16_t port) {
  return absl::StrCat("127.0.0.1:", port);
}

absl::StatusOr<ProcessResult> RunTcpkali(const std::vector<std::string>& args,
                                         int timeout_ms) {
  std::vector<std::string> argv = {TcpkaliPath()};
  argv.insert(argv.end(), args.begin(), args.end());
  return RunProcess(argv, {.timeout_ms = timeout_ms});
}

absl::StatusOr<ProcessResult> RunSelfConnect(
    const std::vector<std::string>& args, int timeout_ms) {
  absl::StatusOr<ProcessResult> result;
  for (int attempt = 0; attempt < kSelfConnectAttempts; ++attempt) {
    absl::StatusOr<uint16_t> port = FindFreeLoopbackPort();
    if (!port.ok()) return port.status();
    const std::string address = LoopbackDestination(*port);
    std::vector<std::string> full = {"-l", address};
    full.insert(full.end(), args.begin(), args.end());
    full.push_back(address);
    result = RunTcpkali(full, timeout_ms);
    if (!result.ok() || result->exit_code != kExitCannotListen) break;
  }
  return result;
}

absl::Status TcpkaliSink::Start(const std::vector<std::string>& args,
                                const SinkOptions& options) {
  host_ = options.host;
  stats_path_ = NewStatsPath();
  std::remove(stats_path_.c_str());
  std::vector<std::string> argv = options.wrap;
  for (std::string a :
       {TcpkaliPath(), std::string("-l"), host_ + ":0", std::string("-T"),
        std::string("-1"), std::string("--stats-json"), stats_path_}) {
    argv.push_back(std::move(a));
  }
  argv.insert(argv.end(), args.begin(), args.end());
  if (absl::Status s = process_.Start(argv); !s.ok()) return s;
  const std::string prefix = absl::StrCat("Listening on ", host_, ":");
  absl::StatusOr<std::string> err =
      process_.WaitForStderr(prefix, kStartTimeoutMs);
  if (!err.ok()) return err.status();
  // tcpkali writes the line with one write(), and a pipe delivers writes
  // this short whole: the port and its newline came with the prefix.
  const size_t at = err->find(prefix) + prefix.size();
  const size_t end = err->find('\n', at);
  uint32_t port = 0;
  if (end == std::string::npos ||
      !absl::SimpleAtoi(absl::string_view(err->data() + at, end - at), &port) ||
      port == 0 || port > 65535) {
    return absl::InternalError(absl::StrCat("no port in: ", *err));
  }
  port_ = static_cast<uint16_t>(port);
  return absl::OkStatus();
}

std::string TcpkaliSink::Destination() const {
  return absl::StrCat(host_, ":", port_);
}

absl::Status TcpkaliSink::WaitAllClosed(uint64_t min_seen, int timeout_ms) {
  const int64_t deadline_ns =
      MonotonicNowNs() + static_cast<int64_t>(timeout_ms) * 1'000'000;
  // WaitForStderr("") returns what has been read so far, without waiting.
  absl::StatusOr<std::string> err = process_.WaitForStderr("", 0);
  while (err.ok() && !ShowsAllClosed(LastStatsLine(), min_seen)) {
    const int64_t left_ms = (deadline_ns - MonotonicNowNs()) / 1'000'000;
    if (left_ms <= 0) {
      return absl::DeadlineExceededError(absl::StrCat(
          "the sink still has connections open; last --stats-json line: ",
          LastStatsLine(), "; stderr: ", *err));
    }
    // Everything so far plus the start of a new live line: found only once
    // the next line (one write() per line) has come, and with it, a moment
    // later, the next --stats-json line.
    err = process_.WaitForStderr(absl::StrCat(*err, "Traffic "),
                                 static_cast<int>(left_ms));
  }
  return err.status();
}

absl::StatusOr<ProcessResult> TcpkaliSink::Stop(int timeout_ms) {
  if (absl::Status s = process_.Signal(SIGINT); !s.ok()) return s;
  return process_.Wait(timeout_ms);
}

std::string TcpkaliSink::LastStatsLine() const {
  // Missing until the first line is written.
  const absl::StatusOr<std::string> text = ReadWholeFile(stats_path_);
  if (!text.ok()) return "";
  // A line still being written has no newline yet, and does not count.
  std::string_view whole = *text;
  const size_t end = whole.rfind('\n');
  if (end == std::string_view::npos) return "";
  whole = whole.substr(0, end);
  // After the newline before it, or from the start (npos + 1 == 0).
  return std::string(whole.substr(whole.rfind('\n') + 1));
}

std::optional<JsonValue> ParseReport(std::string_view stdout_text) {
  std::optional<JsonValue> v = stats::internal::ParseJson(stdout_text);
  if (!v.has_value() || v->type != JsonValue::Type::kObject) {
    return std::nullopt;
  }
  return v;
}

JsonRun ExpectReport(absl::StatusOr<ProcessResult> run) {
  REQUIRE(run.ok());
  CAPTURE(run->stderr_text);
  CAPTURE(run->stdout_text);
  CHECK(run->exit_code == 0);
  std::optional<JsonValue> report = ParseReport(run->stdout_text);
  REQUIRE(report.has_value());
  return {*std::move(run), *std::move(report)};
}

int64_t IntAt(const JsonValue& report,
              std::initializer_list<std::string_view> path) {
  const JsonValue* v = Number(report, path);
  return v == nullptr ? -1 : static_cast<int64_t>(v->number);
}

double NumberAt(const JsonValue& report,
                std::initializer_list<std::string_view> path) {
  const JsonValue* v = Number(report, path);
  return v == nullptr ? std::numeric_limits<double>::quiet_NaN() : v->number;
}

uint64_t SumOverWorkers(const JsonValue& report, std::string_view counter) {
  const JsonValue* workers = report.Find("workers");
  if (workers == nullptr) return 0;
  uint64_t sum = 0;
  for (const JsonValue& worker : workers->array) {
    const JsonValue* v = worker.Find(counter);
    // The text, not the double: counters pass 2^53 in long runs.
    uint64_t n = 0;
    if (v != nullptr && absl::SimpleAtoi(v->text, &n)) sum += n;
  }
  return sum;
}

std::vector<std::string> Lines(std::string_view text) {
  std::vector<std::string> lines;
  while (!text.empty()) {
    const size_t nl = text.find('\n');
    lines.emplace_back(text.substr(0, nl));
    if (nl == std::string_view::npos) break;
    text.remove_prefix(nl + 1);
  }
  return lines;
}

std::vector<std::string> MessageLines(std::string_view stderr_text) {
  std::vector<std::string> out;
  for (std::string& line : Lines(stderr_text)) {
    if (line.starts_with("tcpkali: ")) out.push_back(std::move(line));
  }
  return out;
}

std::string JoinArgs(const std::vector<std::string>& args) {
  std::string out;
  for (const std::string& a : args) {
    if (!out.empty()) out += ' ';
    out += a;
  }
  return out;
}

std::vector<std::string> SplitArgs(std::string_view words,
                                   std::vector<std::string> more) {
  // (Debian's absl::string_view is not std::string_view.)
  std::vector<std::string> args =
      absl::StrSplit(absl::string_view(words.data(), words.size()), ' ');
  args.insert(args.end(), std::make_move_iterator(more.begin()),
              std::make_move_iterator(more.end()));
  return args;
}

}  // namespace tcpkali::testing
