// What `--watch` shows of a running task, built from its events: steps done
// out of total, the steps running now, the time since the watch began, and how
// the task ended. Pure logic; the command feeds it events and prints its lines.
#pragma once

#include <chrono>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include <boost/json.hpp>

namespace ce::client {

class task_progress {
 public:
  /// Takes one event (the `event` object of a task_event frame).
  void apply(const boost::json::object& event);

  /// completed, failed or cancelled once the task ended; nothing before.
  const std::optional<std::string>& outcome() const { return outcome_; }
  /// The task's errors (failed or cancelled), as the events named them.
  const std::vector<std::string>& errors() const { return errors_; }
  int steps_done() const { return done_; }
  int steps_total() const { return total_; }
  const std::set<std::string>& running() const { return running_; }
  /// The plan waiting for approval, while the task waits.
  const std::string& awaiting_approval_of() const { return awaiting_plan_; }
  /// The last event's type.
  const std::string& phase() const { return phase_; }

  /// One line: "[#####-----] 3/7 steps  running: generate_vpc  12.3s  executing".
  /// With `colour`, ANSI colours for a terminal.
  std::string line(std::chrono::milliseconds elapsed, bool colour) const;

 private:
  int total_ = 0;
  int done_ = 0;
  std::set<std::string> running_;
  std::set<std::string> finished_;
  std::optional<std::string> outcome_;
  std::vector<std::string> errors_;
  std::string awaiting_plan_;
  std::string phase_;
};

}  // namespace ce::client
