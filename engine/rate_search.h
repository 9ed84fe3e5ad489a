// RateSearch: the search behind --message-rate @<Latency>: the highest
// per-connection message rate whose 95th percentile message latency stays
// under a target.
//
// It grows the rate fourfold while the latency stays under the target,
// then bisects between the last good rate and the first bad one until they
// are within 10% of each other. A step is bad when its p95 is at or over
// the target, or when the generator could not send at the requested rate
// (under 90% achieved): a rate nobody can send is no answer. The search is
// a pure state machine; the engine measures each step (settle, then a
// window with fresh histograms) and feeds the result in.
//
// Example:
//   RateSearch search(/*target_ns=*/10'000'000, /*start_rate=*/10);
//   while (!search.done()) {
//     SetRate(search.rate());
//     search.Observe(MeasureP95(), AchievedFraction());
//   }
//   if (search.best()) Print(*search.best()); else Fail();
#ifndef TCPKALI_ENGINE_RATE_SEARCH_H_
#define TCPKALI_ENGINE_RATE_SEARCH_H_

#include <cstdint>
#include <optional>

namespace tcpkali::engine {

class RateSearch {
 public:
  // Bisecting stops when the bounds are within this ratio.
  static constexpr double kPrecision = 1.1;
  // Steps at most, growing and bisecting together; past it, no answer.
  static constexpr int kMaxSteps = 40;
  static constexpr double kMaxRate = 1e7;

  RateSearch(int64_t target_ns, double start_rate);

  // The rate to measure next (messages per second per connection).
  double rate() const { return rate_; }
  bool done() const { return done_; }
  // The answer once done(); nullopt when even the first rate was too slow,
  // or the search did not settle within kMaxSteps.
  std::optional<double> best() const { return best_; }

  // The p95 latency measured at rate() (nullopt: no message was answered),
  // and the fraction of the requested messages that were sent.
  void Observe(std::optional<int64_t> p95_ns, double achieved_fraction);

 private:
  const int64_t target_ns_;
  double rate_;
  std::optional<double> good_;  // highest rate that met the target
  std::optional<double> bad_;   // lowest rate that did not
  std::optional<double> best_;
  int steps_ = 0;
  bool done_ = false;
};

}  // namespace tcpkali::engine

#endif  // TCPKALI_ENGINE_RATE_SEARCH_H_
