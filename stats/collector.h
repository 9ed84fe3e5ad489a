// The stats thread. Every 250 ms it reads every worker's counters and
// histograms, sends StatsD metrics; once a second it shows the live line on
// stderr and appends a --stats-json line; at the end it builds the Report.
//
// The engine creates one WorkerStats per worker, hands the Collector const
// pointers to them, and drives it from its control thread:
//
//   stats::CollectorOptions options;          // filled from engine::Config
//   options.connections_target = config.connections;
//   auto collector = stats::Collector::Create(options, worker_stats);
//   if (!collector.ok()) return collector.status();
//   (*collector)->Start(now_ns);
//   ...                                       // workers run
//   (*collector)->MarkRampUpDone(now_ns);     // "Ramped up to N connections."
//   ...                                       // workers run, then stop
//   stats::Report report = (*collector)->Finish(now_ns);
//   std::fputs(stats::FormatText(report).c_str(), stdout);
//
// Tests drive it without a thread: Begin(), then Tick() at fake times.
#ifndef TCPKALI_STATS_COLLECTOR_H_
#define TCPKALI_STATS_COLLECTOR_H_

#include <array>
#include <condition_variable>
#include <cstdint>
#include <cstdio>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "absl/status/statusor.h"
#include "stats/counters.h"
#include "stats/histogram.h"
#include "stats/latency_kind.h"
#include "stats/live_line.h"
#include "stats/report.h"
#include "stats/statsd.h"
#include "stats/worker_stats.h"

namespace tcpkali::stats {

struct StatsdOptions {
  std::string host = "localhost";
  uint16_t port = 8125;
  std::string metric_namespace = "tcpkali";
  // --statsd-latency-window: latency gauges are sent when a window closes,
  // computed over that window only. Absent: every tick, over the whole run.
  std::optional<int64_t> latency_window_ns;
};

// What the stats thread needs to know of the run; stats/ cannot see
// engine::Config, so the engine copies the relevant parts here.
struct CollectorOptions {
  int verbosity = 1;             // 0: no live line; >= 2: health lines always
  LatencyKindSet latency_kinds;  // must match what the WorkerStats record
  std::vector<Percentile> percentiles = DefaultPercentiles();
  bool messages_counted = false;  // --message-marker or --latency-marker
  std::optional<double> message_rate_per_s;    // --message-rate, per connection
  uint64_t connections_target = 0;             // -c; 0 when only listening
  uint64_t mss_bytes = 1460;                   // for the packet rate estimate
  std::optional<StatsdOptions> statsd;         // --statsd
  std::optional<std::string> stats_json_path;  // --stats-json
  bool stderr_is_tty = false;
  // Where live lines and notes go. Empty: write(2) to file descriptor 2.
  std::function<void(std::string_view)> write_stderr;
  // Echoed into the JSON report.
  std::vector<Setting> config;
  std::vector<Setting> kernel;
};

// Owned by the engine's control thread; Start/MarkRampUpDone/Tick/Finish
// may be called from any thread (they serialise on an internal mutex).
class Collector {
 public:
  // Monotonic nanoseconds; the same clock as the now_ns arguments.
  using Clock = std::function<int64_t()>;
  static constexpr int64_t kTickNs = 250'000'000;
  static constexpr int64_t kLiveIntervalNs = 1'000'000'000;

  // Opens the StatsD socket and the --stats-json file (append). Fails with
  // NotFound when the StatsD host does not resolve, Unavailable when its
  // socket cannot be set up, FailedPrecondition when the --stats-json file
  // cannot be opened. `workers` must outlive the Collector; `clock` defaults
  // to CLOCK_MONOTONIC.
  [[nodiscard]] static absl::StatusOr<std::unique_ptr<Collector>> Create(
      CollectorOptions options, std::vector<const WorkerStats*> workers,
      Clock clock = {});
  ~Collector();
  Collector(const Collector&) = delete;
  Collector& operator=(const Collector&) = delete;

  // Begin(now_ns), then starts the stats thread, which calls Tick() every
  // kTickNs until Finish().
  void Start(int64_t now_ns);
  // Marks the start of the run without starting a thread; the caller then
  // calls Tick() itself. Call once, before anything else.
  void Begin(int64_t now_ns);
  // The ramp-up is over: prints "Ramped up to N connections." (verbosity
  // >= 1 and a connection target), and from here on traffic counts and the
  // test duration start. Later calls do nothing.
  void MarkRampUpDone(int64_t now_ns);
  // One stats period: reads the workers, sends StatsD, and once
  // kLiveIntervalNs has passed since the last one, prints the live line and
  // appends the --stats-json line.
  void Tick(int64_t now_ns);
  // Stops the stats thread: no more live lines, --stats-json lines or
  // StatsD sends. Optional; for a caller that ends the measured run before
  // draining the workers, so that the drain shows no live line. Finish()
  // stops the thread too.
  void Stop();
  // Stops the thread, takes a last reading (and sends the last StatsD
  // metrics), ends the live line and returns the report. Call once, after
  // the workers have stopped writing, so that every count is included.
  [[nodiscard]] Report Finish(int64_t now_ns);

 private:
  Collector(CollectorOptions options, std::vector<const WorkerStats*> workers,
            Clock clock);
  void Run();
  void TickLocked(int64_t now_ns, bool final);
  void RefreshHistograms();
  void SendStatsd(int64_t now_ns, const CounterValues& total, bool final);
  void EmitLive(int64_t now_ns, const CounterValues& total);
  LiveFigures MakeLiveFigures(int64_t now_ns, const CounterValues& total) const;
  Report BuildReport(int64_t now_ns, const CounterValues& total);
  void WriteStderr(std::string_view text);

  const CollectorOptions options_;
  const std::vector<const WorkerStats*> workers_;
  const Clock clock_;

  std::mutex mu_;  // guards everything below up to the thread fields
  int64_t start_ns_ = 0;
  std::optional<int64_t> ramp_done_ns_;
  CounterValues baseline_;  // counters when the ramp-up ended
  CounterValues last_tick_;
  int64_t last_tick_ns_ = 0;
  CounterValues last_live_;
  int64_t last_live_ns_ = 0;
  int64_t next_live_ns_ = 0;
  uint64_t peak_open_out_ = 0;
  uint64_t peak_open_in_ = 0;
  // Per enabled kind: the merge of all workers at the last read, and the
  // merge when the current StatsD latency window began.
  std::array<std::unique_ptr<HistogramSnapshot>, kLatencyKindCount> current_;
  std::array<std::unique_ptr<HistogramSnapshot>, kLatencyKindCount>
      window_base_;
  std::unique_ptr<HistogramSnapshot> scratch_;
  int64_t window_start_ns_ = 0;
  std::unique_ptr<StatsdSender> statsd_;
  std::FILE* stats_json_ = nullptr;
  uint64_t stats_json_errors_ = 0;
  LiveLineRenderer renderer_;

  std::mutex thread_mu_;
  std::condition_variable wake_;
  bool stop_ = false;
  std::thread thread_;
};

}  // namespace tcpkali::stats

#endif  // TCPKALI_STATS_COLLECTOR_H_
