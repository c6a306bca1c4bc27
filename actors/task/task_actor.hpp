// The task actor: one per execution. It walks the task through its life cycle
// and supervises its children (planner, safety monitor, one executor-step
// actor per plan step, verifier). A child that throws or dies fails its step
// or phase with a clear message; it never takes the node down.
#pragma once

#include <chrono>
#include <optional>
#include <random>
#include <string>
#include <unordered_map>
#include <vector>

#include "actors/executor/step_actor.hpp"
#include "actors/safety/safety_checks.hpp"
#include "actors/task/retry_policy.hpp"
#include "actors/task/step_scheduler.hpp"
#include "messages/ids.hpp"
#include "messages/interfaces.hpp"
#include "messages/metrics_sink.hpp"
#include "messages/shared.hpp"

namespace ce::tasks {

/// Node-wide settings a task actor needs.
struct task_runtime {
  std::string artifacts_root;  // <data-dir>/artifacts; each task writes below <root>/<task id>
  safety::safety_policy policy;
  std::string driver = "simulated";
  executor::generator_link generator;  // remote template rendering and best practices
  std::chrono::milliseconds child_timeout{std::chrono::minutes(10)};  // planner, verifier
  caf::timespan step_timeout{std::chrono::minutes(10)};    // one attempt of a step; then killed
  task_logic::retry_policy retry;                          // transient step failures
  caf::timespan approval_timeout{std::chrono::hours(24)};  // then the task ends cancelled
  timer_actor timers;                                      // long deadlines (the execution timeout)
  metrics_sink_ptr metrics;                                // null: nothing measured
};

/// Where a task actor restarted after a crash picks up.
struct recovered_execution {
  bool active = false;  // false: a fresh execution
  plan the_plan;
  bool has_plan = false;
  std::vector<execution_result> results;  // what the store holds, in completion order
  workspace files;                        // the bytes the store holds of their artifacts
  bool rollback_only = false;             // a finished task whose applied steps are to be undone
};

struct running_step {
  std::string step_id;
  caf::actor handle;
};

/// How a task ends once its rollback is done.
struct task_ending {
  bool report_only = false;  // a rollback asked for after the end: nothing else changes
  bool cancel = false;
  std::vector<std::string> errors;  // a failure's
  std::string who;                  // a cancel's
  std::string reason;
};

struct task_state {
  task current;
  plan the_plan;  // changes as the execution goes on (step and plan statuses)
  bool has_plan = false;
  /// The plan as its execution started, shared by every step's and the verifier's job
  /// instead of a copy each.
  shared<plan> executing_plan;
  std::vector<execution_result> results;
  /// The files the steps produced so far; each step gets this snapshot.
  shared<workspace> files;
  std::optional<task_logic::step_scheduler> scheduler;
  safety_monitor_actor monitor;
  std::unordered_map<caf::actor_addr, running_step> running;  // step children
  engine_actor engine;
  event_log_actor events;
  task_runtime runtime;
  id_generator ids;
  uint64_t last_token = 0;       // deadlines armed with the timer
  uint64_t execution_token = 0;  // the execution timeout's (0: none)
  uint64_t approval_token = 0;   // the approval expiry's (0: none)
  std::string execution_id;
  recovered_execution recovered;
  std::unordered_map<std::string, int> attempts;  // step id -> attempts started
  std::optional<task_ending> ending;              // set while rolling back
  std::vector<std::string> rollback_queue;        // steps still to undo, next first
  std::vector<std::string> rolled_back;
  std::vector<std::string> rollback_errors;
  bool rollback_done = false;
  std::vector<caf::typed_response_promise<task>> enders;  // cancels answered at the end
  std::optional<caf::typed_response_promise<rollback_report>> report;  // rollback mode
  std::minstd_rand rng{std::random_device{}()};                        // backoff jitter
  static inline const char* name = "task";
};

task_actor::behavior_type task_behavior(task_actor::stateful_pointer<task_state> self, task initial,
                                        engine_actor engine, event_log_actor events,
                                        task_runtime runtime, recovered_execution recovered);

}  // namespace ce::tasks
