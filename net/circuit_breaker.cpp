#include "net/circuit_breaker.hpp"

#include <algorithm>

namespace ce::net {

circuit_breaker::circuit_breaker(int failure_threshold, std::chrono::milliseconds cool_down)
    : failure_threshold_(std::max(failure_threshold, 1)), cool_down_(cool_down) {}

bool circuit_breaker::allow(clock::time_point now) {
  switch (state_) {
    case state::closed:
      return true;
    case state::open:
      if (now < opened_at_ + cool_down_) return false;
      state_ = state::half_open;
      probe_in_flight_ = true;
      return true;
    case state::half_open:
      if (probe_in_flight_) return false;
      probe_in_flight_ = true;
      return true;
  }
  return false;
}

void circuit_breaker::on_success() {
  state_ = state::closed;
  consecutive_failures_ = 0;
  probe_in_flight_ = false;
}

void circuit_breaker::on_failure(clock::time_point now) {
  probe_in_flight_ = false;
  if (state_ == state::open) return;  // a call that went out before it opened
  if (state_ == state::half_open || ++consecutive_failures_ >= failure_threshold_) {
    state_ = state::open;
    opened_at_ = now;
    consecutive_failures_ = 0;
  }
}

circuit_breaker::state circuit_breaker::current(clock::time_point now) const {
  if (state_ == state::open && now >= opened_at_ + cool_down_) return state::half_open;
  return state_;
}

std::string_view to_string(circuit_breaker::state s) {
  switch (s) {
    case circuit_breaker::state::closed:
      return "closed";
    case circuit_breaker::state::open:
      return "open";
    case circuit_breaker::state::half_open:
      return "half_open";
  }
  return "closed";
}

}  // namespace ce::net
