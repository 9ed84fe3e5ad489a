#include "stats/collector.h"

#include <time.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstring>
#include <utility>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "stats/process_usage.h"
#include "stats/statsd_metrics.h"

namespace tcpkali::stats {
namespace {

int64_t MonotonicNowNs() {
  timespec ts{};
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return static_cast<int64_t>(ts.tv_sec) * 1'000'000'000 + ts.tv_nsec;
}

void WriteFd2(std::string_view text) {
  while (!text.empty()) {
    const ssize_t n = write(2, text.data(), text.size());
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return;  // nowhere to report a failing stderr
    text.remove_prefix(static_cast<size_t>(n));
  }
}

double Seconds(int64_t ns) { return static_cast<double>(ns) / 1e9; }

}  // namespace

absl::StatusOr<std::unique_ptr<Collector>> Collector::Create(
    CollectorOptions options, std::vector<const WorkerStats*> workers,
    Clock clock) {
  std::unique_ptr<StatsdSender> statsd;
  if (options.statsd.has_value()) {
    absl::StatusOr<std::unique_ptr<StatsdSender>> opened =
        StatsdSender::Open(options.statsd->host, options.statsd->port,
                           options.statsd->metric_namespace);
    if (!opened.ok()) return opened.status();
    statsd = *std::move(opened);
  }
  std::FILE* stats_json = nullptr;
  if (options.stats_json_path.has_value()) {
    stats_json = std::fopen(options.stats_json_path->c_str(), "ae");
    if (stats_json == nullptr) {
      return absl::FailedPreconditionError(absl::StrCat(
          "--stats-json ", *options.stats_json_path,
          ": cannot open for appending (", std::strerror(errno), ")"));
    }
  }
  if (!clock) clock = MonotonicNowNs;
  std::unique_ptr<Collector> collector(
      new Collector(std::move(options), std::move(workers), std::move(clock)));
  collector->statsd_ = std::move(statsd);
  collector->stats_json_ = stats_json;
  return collector;
}

Collector::Collector(CollectorOptions options,
                     std::vector<const WorkerStats*> workers, Clock clock)
    : options_(std::move(options)),
      workers_(std::move(workers)),
      clock_(std::move(clock)),
      renderer_(options_.stderr_is_tty) {
  for (LatencyKind kind : kAllLatencyKinds) {
    if (!options_.latency_kinds.Has(kind)) continue;
    current_[LatencyKindIndex(kind)] = std::make_unique<HistogramSnapshot>();
    if (options_.statsd.has_value() && options_.statsd->latency_window_ns) {
      window_base_[LatencyKindIndex(kind)] =
          std::make_unique<HistogramSnapshot>();
    }
  }
  if (!options_.latency_kinds.Empty()) {
    scratch_ = std::make_unique<HistogramSnapshot>();
  }
}

Collector::~Collector() {
  Stop();
  if (stats_json_ != nullptr) std::fclose(stats_json_);
}

void Collector::Begin(int64_t now_ns) {
  std::lock_guard<std::mutex> lock(mu_);
  start_ns_ = now_ns;
  last_tick_ns_ = now_ns;
  last_live_ns_ = now_ns;
  next_live_ns_ = now_ns + kLiveIntervalNs;
  window_start_ns_ = now_ns;
}

void Collector::Start(int64_t now_ns) {
  Begin(now_ns);
  thread_ = std::thread([this] { Run(); });
}

// Ticks on a fixed schedule from the first reading, so that ticks do not
// drift later by the time each one takes.
void Collector::Run() {
  std::unique_lock<std::mutex> lock(thread_mu_);
  int64_t next_ns = clock_() + kTickNs;
  while (!stop_) {
    const int64_t now_ns = clock_();
    if (now_ns < next_ns) {
      wake_.wait_for(lock, std::chrono::nanoseconds(next_ns - now_ns));
      continue;
    }
    lock.unlock();
    Tick(now_ns);
    lock.lock();
    next_ns += kTickNs;
    if (next_ns <= now_ns) next_ns = now_ns + kTickNs;
  }
}

void Collector::Stop() {
  {
    std::lock_guard<std::mutex> lock(thread_mu_);
    stop_ = true;
  }
  wake_.notify_all();
  if (thread_.joinable()) thread_.join();
}

void Collector::MarkRampUpDone(int64_t now_ns) {
  std::lock_guard<std::mutex> lock(mu_);
  if (ramp_done_ns_.has_value()) return;
  ramp_done_ns_ = now_ns;
  baseline_ = SumCounters(workers_);
  if (options_.verbosity >= 1 && options_.connections_target > 0) {
    WriteStderr(absl::StrCat(renderer_.Clear(), "Ramped up to ",
                             options_.connections_target,
                             options_.connections_target == 1 ? " connection.\n"
                                                              : " connections.\n"));
  }
}

void Collector::Tick(int64_t now_ns) {
  std::lock_guard<std::mutex> lock(mu_);
  TickLocked(now_ns, /*final=*/false);
}

void Collector::TickLocked(int64_t now_ns, bool final) {
  const CounterValues total = SumCounters(workers_);
  peak_open_out_ = std::max(peak_open_out_, total.OutOpenNow());
  peak_open_in_ = std::max(peak_open_in_, total.InOpenNow());
  const bool live_due = !final && now_ns >= next_live_ns_;
  if (statsd_ != nullptr || live_due) RefreshHistograms();
  if (statsd_ != nullptr) SendStatsd(now_ns, total, final);
  if (live_due) EmitLive(now_ns, total);
  last_tick_ = total;
  last_tick_ns_ = now_ns;
}

void Collector::RefreshHistograms() {
  for (LatencyKind kind : kAllLatencyKinds) {
    HistogramSnapshot* current = current_[LatencyKindIndex(kind)].get();
    if (current == nullptr) continue;
    current->Clear();
    MergeHistograms(workers_, kind, current);
  }
}

void Collector::SendStatsd(int64_t now_ns, const CounterValues& total,
                           bool final) {
  SendTrafficMetrics(*statsd_, total - last_tick_, total,
                     Seconds(now_ns - last_tick_ns_));
  const std::optional<int64_t> window_ns = options_.statsd->latency_window_ns;
  const bool window_closed = window_ns.has_value() &&
                             (final || now_ns - window_start_ns_ >= *window_ns);
  for (LatencyKind kind : kAllLatencyKinds) {
    const int index = LatencyKindIndex(kind);
    const HistogramSnapshot* current = current_[index].get();
    if (current == nullptr || !LatencyKindInStatsd(kind)) continue;
    if (!window_ns.has_value()) {
      SendLatencyMetrics(*statsd_, kind, *current, options_.percentiles);
    } else if (window_closed) {
      *scratch_ = *current;
      scratch_->Subtract(*window_base_[index]);
      SendLatencyMetrics(*statsd_, kind, *scratch_, options_.percentiles);
      *window_base_[index] = *current;
    }
  }
  if (window_closed) window_start_ns_ = now_ns;
  statsd_->Flush();
}

LiveFigures Collector::MakeLiveFigures(int64_t now_ns,
                                       const CounterValues& total) const {
  const CounterValues delta = total - last_live_;
  const double interval_s = Seconds(now_ns - last_live_ns_);
  LiveFigures f;
  f.elapsed_s = Seconds(now_ns - start_ns_);
  f.interval_s = interval_s;
  f.ramped_up = ramp_done_ns_.has_value();
  if (interval_s > 0) {
    f.mbps_in =
        8.0 * static_cast<double>(delta.bytes_received) / interval_s / 1e6;
    f.mbps_out = 8.0 * static_cast<double>(delta.bytes_sent) / interval_s / 1e6;
    f.msgs_in_per_s = static_cast<double>(delta.msgs_received) / interval_s;
    f.msgs_out_per_s = static_cast<double>(delta.msgs_sent) / interval_s;
  }
  f.messages_counted = options_.messages_counted;
  f.conns_in = total.InOpenNow();
  f.conns_out = total.OutOpenNow();
  f.conns_in_progress = total.OutInProgressNow();
  f.conns_seen = total.Seen();
  f.bytes_sent = total.bytes_sent;
  f.bytes_received = total.bytes_received;
  f.msgs_sent = total.msgs_sent;
  f.msgs_received = total.msgs_received;
  for (LatencyKind kind : kAllLatencyKinds) {
    const HistogramSnapshot* current = current_[LatencyKindIndex(kind)].get();
    if (current == nullptr || LatencyKindLiveLabel(kind).empty()) continue;
    f.p95_ms[LatencyKindIndex(kind)] =
        static_cast<double>(current->ValueAtPercentile(95)) / 1e6;
  }
  return f;
}

void Collector::EmitLive(int64_t now_ns, const CounterValues& total) {
  const LiveFigures figures = MakeLiveFigures(now_ns, total);
  if (options_.verbosity >= 1) {
    WriteStderr(renderer_.Show(FormatLiveLine(figures)));
  }
  if (stats_json_ != nullptr) {
    const std::string line = FormatStatsJsonLine(figures);
    if (std::fwrite(line.data(), 1, line.size(), stats_json_) != line.size() ||
        std::fflush(stats_json_) != 0) {
      ++stats_json_errors_;
    }
  }
  last_live_ = total;
  last_live_ns_ = now_ns;
  next_live_ns_ += kLiveIntervalNs;
  if (next_live_ns_ <= now_ns) next_live_ns_ = now_ns + kLiveIntervalNs;
}

Report Collector::Finish(int64_t now_ns) {
  Stop();
  std::lock_guard<std::mutex> lock(mu_);
  TickLocked(now_ns, /*final=*/true);
  WriteStderr(renderer_.Finish());
  if (stats_json_ != nullptr && std::fflush(stats_json_) != 0) {
    ++stats_json_errors_;
  }
  return BuildReport(now_ns, SumCounters(workers_));
}

Report Collector::BuildReport(int64_t now_ns, const CounterValues& total) {
  Report r;
  r.verbosity = options_.verbosity;
  r.mss_bytes = options_.mss_bytes;
  r.messages_counted = options_.messages_counted;
  r.percentiles = options_.percentiles;
  r.duration_s = Seconds(now_ns - ramp_done_ns_.value_or(start_ns_));

  const CounterValues measured = total - baseline_;
  r.traffic = {.bytes_sent = measured.bytes_sent,
               .bytes_received = measured.bytes_received,
               .send_ops = measured.send_ops,
               .recv_ops = measured.recv_ops,
               .msgs_sent = measured.msgs_sent,
               .msgs_received = measured.msgs_received};
  // Channels: the outgoing connections at their peak for a client, the
  // incoming ones for a pure sink; the target when neither was seen.
  r.channels = peak_open_out_ > 0 ? peak_open_out_
               : peak_open_in_ > 0
                   ? peak_open_in_
                   : std::max<uint64_t>(options_.connections_target, 1);
  r.rates = ComputeRates(r.traffic, r.duration_s, r.channels, r.mss_bytes);
  r.connections = OutcomesFrom(total, options_.connections_target,
                               peak_open_out_, peak_open_in_);

  for (LatencyKind kind : kAllLatencyKinds) {
    if (!options_.latency_kinds.Has(kind)) continue;
    scratch_->Clear();
    MergeHistograms(workers_, kind, scratch_.get());
    r.latencies.push_back(
        SummarizeLatency(kind, *scratch_, options_.percentiles));
  }
  if (options_.message_rate_per_s.has_value()) {
    PacingSummary p;
    p.requested_per_conn_per_s = *options_.message_rate_per_s;
    p.msgs_due = measured.msgs_due;
    p.msgs_sent = measured.msgs_sent;
    if (p.msgs_due > 0) {
      p.achieved_per_conn_per_s = p.requested_per_conn_per_s *
                                  static_cast<double>(p.msgs_sent) /
                                  static_cast<double>(p.msgs_due);
    }
    p.lag_msgs =
        total.msgs_due > total.msgs_sent ? total.msgs_due - total.msgs_sent : 0;
    p.late_sends = total.paced_messages_late;
    r.pacing = p;
  }
  r.health = {.cq_overflows = total.cq_overflows,
              .enobufs = total.enobufs,
              .sq_full_retries = total.sq_full_retries,
              .paced_messages_late = total.paced_messages_late,
              .statsd_send_errors = statsd_ ? statsd_->send_errors() : 0,
              .stats_json_write_errors = stats_json_errors_};
  for (const WorkerStats* worker : workers_) {
    r.workers.push_back(ReadCounters(worker->counters()));
  }
  r.usage = ReadProcessUsage();
  r.config = options_.config;
  r.kernel = options_.kernel;
  return r;
}

void Collector::WriteStderr(std::string_view text) {
  if (text.empty()) return;
  if (options_.write_stderr) {
    options_.write_stderr(text);
  } else {
    WriteFd2(text);
  }
}

}  // namespace tcpkali::stats
