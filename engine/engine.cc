#include "engine/engine.h"

#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "engine/clock.h"
#include "engine/exit_code.h"
#include "engine/plan_builder.h"
#include "engine/rate_search.h"
#include "engine/report_settings.h"
#include "engine/worker.h"
#include "stats/collector.h"
#include "stats/json_format.h"
#include "stats/text_format.h"

namespace tcpkali::engine {
namespace {

// How often the main thread looks at the run when no signal arrives.
constexpr int64_t kPollNs = 20'000'000;

void PrintError(const absl::Status& status) {
  std::string text(status.message());
  if (text.rfind("tcpkali: ", 0) != 0) text = "tcpkali: " + text;
  std::fprintf(stderr, "%s\n", text.c_str());
}

stats::LatencyKindSet LatencyKinds(const Config& config) {
  stats::LatencyKindSet kinds;
  if (config.latency_connect) kinds.Add(stats::LatencyKind::kConnect);
  if (config.latency_first_byte) kinds.Add(stats::LatencyKind::kFirstByte);
  if (config.latency_marker || config.message_marker) {
    kinds.Add(stats::LatencyKind::kMessage);
  }
  if (config.message_rate_per_s) kinds.Add(stats::LatencyKind::kPacingLag);
  if (config.websocket && config.latency_connect) {
    kinds.Add(stats::LatencyKind::kWsHandshake);
  }
  return kinds;
}

stats::CollectorOptions CollectorOptionsFor(const Config& config,
                                            const RunPlan& plan) {
  stats::CollectorOptions o;
  o.verbosity = config.verbosity;
  o.latency_kinds = LatencyKinds(config);
  o.percentiles.clear();
  for (size_t i = 0; i < config.latency_percentiles.size(); ++i) {
    o.percentiles.push_back({config.latency_percentiles[i],
                             config.latency_percentile_names[i]});
  }
  o.messages_counted = config.latency_marker.has_value() ||
                       config.message_marker || config.websocket;
  o.message_rate_per_s = config.message_rate_per_s;  // unset while searching
  o.connections_target = plan.client_connections;
  if (config.statsd) {
    o.statsd = stats::StatsdOptions{
        .host = config.statsd_host,
        .port = config.statsd_port,
        .metric_namespace = config.statsd_namespace,
        .latency_window_ns = config.statsd_latency_window_ns};
  }
  o.stats_json_path = config.stats_json_path;
  o.stderr_is_tty = isatty(STDERR_FILENO) == 1;
  o.config = ConfigSettings(config, plan);
  o.kernel = KernelSettings(plan);
  return o;
}

// Pins the calling thread to `cpu` (round-robin over the CPUs we may use).
void PinToCpu(int index) {
  cpu_set_t allowed;
  if (sched_getaffinity(0, sizeof allowed, &allowed) != 0) return;
  const int count = CPU_COUNT(&allowed);
  if (count <= 1) return;
  int target = index % count;
  for (int cpu = 0; cpu < CPU_SETSIZE; ++cpu) {
    if (!CPU_ISSET(cpu, &allowed)) continue;
    if (target-- == 0) {
      cpu_set_t one;
      CPU_ZERO(&one);
      CPU_SET(cpu, &one);
      pthread_setaffinity_np(pthread_self(), sizeof one, &one);
      return;
    }
  }
}

// The workers, their threads and their stats, started and stopped together.
class WorkerSet {
 public:
  absl::Status Start(const RunPlan& plan, RunControl& control,
                     stats::LatencyKindSet kinds) {
    for (int i = 0; i < plan.workers; ++i) {
      auto ws = stats::WorkerStats::Create(kinds);
      if (!ws.ok()) return ws.status();
      stats_.push_back(std::move(*ws));
    }
    for (int i = 0; i < plan.workers; ++i) {
      workers_.push_back(std::make_unique<Worker>(i, plan, *stats_[i], control));
    }
    for (int i = 0; i < plan.workers; ++i) {
      Worker* w = workers_[i].get();
      threads_.emplace_back([w, i] {
        PinToCpu(i);
        w->Run();
      });
    }
    std::unique_lock<std::mutex> lock(control.mu);
    control.cv.wait(lock, [&] { return control.workers_ready == plan.workers; });
    return control.setup_status;
  }

  void WakeAll() {
    for (auto& w : workers_) w->Wake();
  }

  void Join() {
    for (std::thread& t : threads_) t.join();
    threads_.clear();
  }

  std::vector<const stats::WorkerStats*> Stats() const {
    std::vector<const stats::WorkerStats*> out;
    for (const auto& s : stats_) out.push_back(s.get());
    return out;
  }

 private:
  std::vector<std::unique_ptr<stats::WorkerStats>> stats_;
  std::vector<std::unique_ptr<Worker>> workers_;
  std::vector<std::thread> threads_;
};

enum class Ending {
  kDuration,
  kSignal,
  kMessageStop,
  kRampUpFailed,
  kMarkerOverrun,
  kRateFound,
  kRateNotFound,
};

// Sleeps up to `ns`; true when SIGINT or SIGTERM arrived meanwhile.
bool SleepOrSignal(const sigset_t& signals, int64_t ns) {
  const int64_t until = MonotonicNs() + ns;
  for (int64_t left = ns; left > 0; left = until - MonotonicNs()) {
    timespec ts{.tv_sec = left / 1'000'000'000, .tv_nsec = left % 1'000'000'000};
    if (sigtimedwait(&signals, nullptr, &ts) > 0) return true;
  }
  return false;
}

// --message-rate @L: one RateSearch step per window, each measured with
// fresh histograms (snapshot differences) after the new rate has settled.
Ending SearchRate(const Config& config, const RunPlan& plan,
                  RunControl& control, WorkerSet& workers,
                  const sigset_t& signals, double& best_rate) {
  constexpr int64_t kSettleNs = 500'000'000;
  constexpr int64_t kWindowNs = 1'500'000'000;
  // A p95 of a dozen samples is their maximum, and one hiccup of the
  // machine then decides the step: at low rates the window grows (up to
  // kMaxWindowNs) until it holds kMinSamples latencies.
  constexpr uint64_t kMinSamples = 40;
  constexpr int64_t kMaxWindowNs = 4'000'000'000;
  constexpr int64_t kExtendNs = 250'000'000;
  const std::vector<const stats::WorkerStats*> all = workers.Stats();
  RateSearch search(*config.message_rate_target_latency_ns, kSearchStartRate);
  stats::HistogramSnapshot before, after;
  while (!search.done()) {
    const double rate = search.rate();
    control.message_rate_micro.store(static_cast<uint64_t>(rate * 1e6),
                                     std::memory_order_relaxed);
    workers.WakeAll();
    if (SleepOrSignal(signals, kSettleNs)) return Ending::kSignal;
    before.Clear();
    stats::MergeHistograms(all, stats::LatencyKind::kMessage, &before);
    const uint64_t sent_before = stats::SumCounters(all).msgs_sent;
    if (SleepOrSignal(signals, kWindowNs)) return Ending::kSignal;
    int64_t window_ns = kWindowNs;
    while (true) {
      after.Clear();
      stats::MergeHistograms(all, stats::LatencyKind::kMessage, &after);
      after.Subtract(before);
      if (after.count() >= kMinSamples || window_ns >= kMaxWindowNs) break;
      if (SleepOrSignal(signals, kExtendNs)) return Ending::kSignal;
      window_ns += kExtendNs;
    }
    const uint64_t sent = stats::SumCounters(all).msgs_sent - sent_before;
    std::optional<int64_t> p95;
    if (after.count() > 0) p95 = after.ValueAtPercentile(95);
    const double expected = rate * plan.client_connections * (window_ns / 1e9);
    const double achieved = expected > 0 ? sent / expected : 0;
    if (config.verbosity >= 1) {
      std::fprintf(stderr, "--message-rate %g: p95 %s, %.0f%% of the messages sent\n",
                   rate, p95 ? absl::StrFormat("%.3f ms", *p95 / 1e6).c_str() : "n/a",
                   achieved * 100);
    }
    search.Observe(p95, achieved);
  }
  if (!search.best()) return Ending::kRateNotFound;
  best_rate = *search.best();
  return Ending::kRateFound;
}

// Whether the client has ramped up to --connections: that many open at
// once, or, under --channel-lifetime (where connections are meant to close
// and reopen, so that all of them are rarely open at the same instant),
// that many opened since the start.
bool RampedUp(const RunPlan& plan, const stats::CounterValues& counters) {
  const uint64_t reached = plan.channel_lifetime_ns
                               ? counters.connects_established
                               : counters.OutOpenNow();
  return reached >= plan.client_connections;
}

// Watches the run from the main thread until it should end.
Ending Watch(const Config& config, const RunPlan& plan, RunControl& control,
             const WorkerSet& workers, stats::Collector& collector,
             const sigset_t& signals, int64_t start_ns) {
  const std::vector<const stats::WorkerStats*> all = workers.Stats();
  bool ramped = plan.client_connections == 0;
  int64_t end_ns = -1;
  if (ramped) {
    collector.MarkRampUpDone(start_ns);
    if (config.duration_ns) end_ns = start_ns + *config.duration_ns;
  }
  while (true) {
    const int64_t now = MonotonicNs();
    int64_t wait_ns = kPollNs;
    if (end_ns >= 0) wait_ns = std::min(wait_ns, std::max<int64_t>(end_ns - now, 0));
    timespec ts{.tv_sec = wait_ns / 1'000'000'000, .tv_nsec = wait_ns % 1'000'000'000};
    if (sigtimedwait(&signals, nullptr, &ts) > 0) return Ending::kSignal;
    if (control.message_stop_seen.load(std::memory_order_relaxed)) {
      return Ending::kMessageStop;
    }
    if (control.marker_overrun.load(std::memory_order_relaxed)) {
      return Ending::kMarkerOverrun;
    }
    const int64_t t = MonotonicNs();
    if (!ramped) {
      if (RampedUp(plan, stats::SumCounters(all))) {
        ramped = true;
        collector.MarkRampUpDone(t);
        if (plan.auto_rate) return Ending::kDuration;  // the search takes over
        if (config.duration_ns) end_ns = t + *config.duration_ns;
      } else if (config.duration_ns && t - start_ns >= *config.duration_ns) {
        return Ending::kRampUpFailed;
      }
    }
    if (end_ns >= 0 && t >= end_ns) return Ending::kDuration;
  }
}

}  // namespace

int RunLoadTest(const Config& config) {
  // Workers inherit this mask: signals are for the main thread's
  // sigtimedwait() only.
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGINT);
  sigaddset(&signals, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);

  auto planned = BuildRunPlan(config);
  if (!planned.ok()) {
    PrintError(planned.status());
    return ExitCodeFor(planned.status());
  }
  std::fputs(planned->notes.c_str(), stderr);
  if (config.check_limits_only) {
    std::fputs(planned->limits_report.c_str(), stdout);
    return planned->limits_fatal ? kExitSoftware : kExitOk;
  }
  const RunPlan& plan = *planned->plan;
  if (config.verbosity >= 2) {
    std::fprintf(stderr, "%s", DescribeFeatures(plan.features).c_str());
  }

  RunControl control;
  std::unique_ptr<DumpSelector> dumps;
  if (config.dump.Any()) {
    dumps = std::make_unique<DumpSelector>(config.dump);
    control.dumps = dumps.get();
  }
  WorkerSet workers;
  const stats::LatencyKindSet kinds = LatencyKinds(config);
  absl::Status started = workers.Start(plan, control, kinds);
  if (planned->port_holder_fd >= 0) close(planned->port_holder_fd);
  if (!started.ok()) {
    control.phase.store(Phase::kStop, std::memory_order_release);
    workers.WakeAll();
    workers.Join();
    PrintError(started);
    return ExitCodeFor(started);
  }
  if (plan.listen && (config.listen->port == 0 || config.verbosity >= 2)) {
    std::fprintf(stderr, "Listening on %s\n",
                 FormatEndpoint(plan.listen->sockaddr_ptr()).c_str());
  }

  auto collector = stats::Collector::Create(CollectorOptionsFor(config, plan),
                                            workers.Stats());
  if (!collector.ok()) {
    control.phase.store(Phase::kStop, std::memory_order_release);
    workers.WakeAll();
    workers.Join();
    PrintError(collector.status());
    return ExitCodeFor(collector.status());
  }
  const int64_t start_ns = MonotonicNs();
  (*collector)->Start(start_ns);

  Ending ending =
      Watch(config, plan, control, workers, **collector, signals, start_ns);
  double best_rate = 0;
  if (plan.auto_rate && ending == Ending::kDuration) {
    ending = SearchRate(config, plan, control, workers, signals, best_rate);
  }
  const int64_t end_ns = MonotonicNs();
  (*collector)->Stop();  // no live line while draining

  // Drain: no new connections or sends; in-flight sends finish and sinks
  // read what is still on its way. The workers stop themselves when done.
  control.phase.store(Phase::kDrain, std::memory_order_release);
  workers.WakeAll();
  workers.Join();

  stats::Report report = (*collector)->Finish(end_ns);
  if (ending == Ending::kMessageStop) {
    std::fprintf(stderr, "Found --message-stop=%s, aborting.\n",
                 config.message_stop->c_str());
  }
  if (ending == Ending::kRampUpFailed) {
    std::fprintf(stderr, "tcpkali: Could not create %llu connection%s in allotted time (%gs)\n",
                 static_cast<unsigned long long>(plan.client_connections),
                 plan.client_connections == 1 ? "" : "s",
                 config.duration_ns ? *config.duration_ns / 1e9 : 0.0);
  }
  const double target_ms = config.message_rate_target_latency_ns.value_or(0) / 1e6;
  if (ending == Ending::kRateFound) {
    std::printf("Best --message-rate for latency %gms⁹⁵ᵖ is %.6g\n", target_ms, best_rate);
  } else if (ending == Ending::kRateNotFound) {
    std::fprintf(stderr,
                 "tcpkali: --message-rate @%gms: no stable rate keeps the 95th "
                 "percentile message latency under %gms; try a higher latency\n",
                 target_ms, target_ms);
  }
  if (ending == Ending::kMarkerOverrun) {
    std::fprintf(stderr,
                 "tcpkali: --latency-marker: a connection received more "
                 "markers than it sent messages; if the server sends the "
                 "marker on its own (a greeting), skip those with "
                 "--latency-marker-skip\n");
  }
  if (control.drain_cut_short.load() && config.verbosity >= 1) {
    std::fprintf(stderr,
                 "tcpkali: warning: connections still had bytes on their way "
                 "to this process's own sink %gs after the run; those are "
                 "counted as sent, not as received\n",
                 plan.drain_max_ns / 1e9);
  }
  const std::string summary =
      config.json ? stats::FormatJson(report) : stats::FormatText(report);
  std::fputs(summary.c_str(), stdout);
  std::fflush(stdout);

  switch (ending) {
    case Ending::kMessageStop:
      return kExitMessageStop;
    case Ending::kRampUpFailed:
    case Ending::kMarkerOverrun:
      return kExitFailure;
    case Ending::kRateNotFound:
      return kExitUnavailable;
    default:
      return kExitOk;
  }
}

}  // namespace tcpkali::engine
