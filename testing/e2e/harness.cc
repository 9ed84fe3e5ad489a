#include "testing/e2e/harness.h"

#include <signal.h>

#include <limits>
#include <string>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "testing/peers/loopback.h"

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

// Whether the last whole live line of a sink's stderr reads
// "... (conns 0↓ 0↑ 0⇡; seen N)" with N >= min_seen.
bool LastLiveLineShowsAllClosed(std::string_view err, uint64_t min_seen) {
  const size_t line = err.rfind("\nTraffic ");
  if (line == std::string_view::npos) return false;
  const size_t end = err.find('\n', line + 1);
  if (end == std::string_view::npos) return false;
  const std::string_view text = err.substr(line + 1, end - line - 1);
  constexpr std::string_view kIdle = "(conns 0↓ 0↑ 0⇡; seen ";
  const size_t at = text.find(kIdle);
  if (at == std::string_view::npos || !text.ends_with(")")) return false;
  const std::string_view number =
      text.substr(at + kIdle.size(), text.size() - 1 - at - kIdle.size());
  uint64_t seen = 0;
  return absl::SimpleAtoi(absl::string_view(number.data(), number.size()),
                          &seen) &&
         seen >= min_seen;
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

absl::Status TcpkaliSink::Start(const std::vector<std::string>& args) {
  std::vector<std::string> argv = {TcpkaliPath(), "-l", "127.0.0.1:0", "-T",
                                   "-1"};
  argv.insert(argv.end(), args.begin(), args.end());
  if (absl::Status s = process_.Start(argv); !s.ok()) return s;
  constexpr std::string_view kPrefix = "Listening on 127.0.0.1:";
  absl::StatusOr<std::string> err =
      process_.WaitForStderr(kPrefix, kStartTimeoutMs);
  if (!err.ok()) return err.status();
  // tcpkali writes the line with one write(), and a pipe delivers writes
  // this short whole: the port and its newline came with the prefix.
  const size_t at = err->find(kPrefix) + kPrefix.size();
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

absl::Status TcpkaliSink::WaitAllClosed(uint64_t min_seen, int timeout_ms) {
  const int64_t deadline_ns =
      MonotonicNowNs() + static_cast<int64_t>(timeout_ms) * 1'000'000;
  // WaitForStderr("") returns what has been read so far, without waiting.
  absl::StatusOr<std::string> err = process_.WaitForStderr("", 0);
  while (err.ok() && !LastLiveLineShowsAllClosed(*err, min_seen)) {
    const int64_t left_ms = (deadline_ns - MonotonicNowNs()) / 1'000'000;
    if (left_ms <= 0) {
      return absl::DeadlineExceededError(
          absl::StrCat("the sink still has connections open; stderr: ", *err));
    }
    // Everything so far plus the start of a new live line: found only once
    // the next line (one write() per line) has come.
    err = process_.WaitForStderr(absl::StrCat(*err, "Traffic "),
                                 static_cast<int>(left_ms));
  }
  return err.status();
}

absl::StatusOr<ProcessResult> TcpkaliSink::Stop(int timeout_ms) {
  if (absl::Status s = process_.Signal(SIGINT); !s.ok()) return s;
  return process_.Wait(timeout_ms);
}

std::optional<JsonValue> ParseReport(std::string_view stdout_text) {
  std::optional<JsonValue> v = stats::internal::ParseJson(stdout_text);
  if (!v.has_value() || v->type != JsonValue::Type::kObject) {
    return std::nullopt;
  }
  return v;
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

}  // namespace tcpkali::testing
