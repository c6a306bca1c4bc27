// Where the actors report what the node's metrics count. The node assembles a
// Prometheus-backed implementation (metrics/); tests and tools may leave it null.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string_view>

#include "messages/domain.hpp"

namespace ce {

/// Called on actor threads: implementations must be thread-safe and cheap
/// (a few atomic operations), because the calls sit on the hot path.
class metrics_sink {
 public:
  virtual ~metrics_sink() = default;
  /// A step ended, after any retries (`ok`: success).
  virtual void step_finished(std::string_view action, bool ok, int64_t duration_ms) = 0;
  /// A task's execution ended in a terminal status; `duration_ms` runs from its creation.
  virtual void task_finished(task_type type, task_status status, int64_t duration_ms) = 0;
  /// One group commit: `change_sets` written in one transaction that took `seconds`
  /// from the moment the batch was handed to the committer.
  virtual void store_committed(std::size_t change_sets, double seconds) = 0;
};

using metrics_sink_ptr = std::shared_ptr<metrics_sink>;

}  // namespace ce
