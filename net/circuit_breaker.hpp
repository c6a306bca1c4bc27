// A circuit breaker for one remote dependency: pure logic, the time is passed in.
//
// closed: calls go out; `failure_threshold` failures in a row open it.
// open: calls fail fast until `cool_down` has passed, then one probe may go (half_open).
// half_open: the probe's success closes it, its failure opens it again for another cool-down.
#pragma once

#include <chrono>
#include <string_view>

namespace ce::net {

class circuit_breaker {
 public:
  using clock = std::chrono::steady_clock;
  enum class state { closed, open, half_open };

  circuit_breaker(int failure_threshold, std::chrono::milliseconds cool_down);

  /// Whether a call may go out now. In half_open, only one probe at a time.
  bool allow(clock::time_point now);
  void on_success();
  void on_failure(clock::time_point now);

  /// The state as a caller would see it now (an open breaker past its cool-down is half_open).
  state current(clock::time_point now) const;
  /// When an open breaker lets a probe through.
  clock::time_point reopens_at() const { return opened_at_ + cool_down_; }

 private:
  int failure_threshold_;
  std::chrono::milliseconds cool_down_;
  state state_ = state::closed;
  int consecutive_failures_ = 0;
  bool probe_in_flight_ = false;
  clock::time_point opened_at_{};
};

std::string_view to_string(circuit_breaker::state);

}  // namespace ce::net
