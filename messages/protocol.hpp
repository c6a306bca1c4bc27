// Requests and replies exchanged between the front-end, the engine, task
// actors and their children, beyond the domain objects themselves.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "messages/domain.hpp"
#include "messages/shared.hpp"
#include "messages/workspace.hpp"

namespace ce {

/// Filters and page position of GET /api/tasks. Empty strings: no filter.
struct task_query {
  std::string user_id;
  std::string status;
  std::string type;
  std::string prio;
  uint32_t limit = 50;
  std::string cursor;  // opaque; empty: first page
};
template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, task_query& x) {
  return f(caf::meta::type_name("task_query"), x.user_id, x.status, x.type, x.prio, x.limit,
           x.cursor);
}

/// A page of a list ends early once its items hold about this many bytes, with a
/// cursor to the rest: a thousand tasks of 64 KiB of metadata would be 64 MiB.
constexpr std::size_t max_page_bytes = std::size_t{4} << 20;

/// Roughly what an item adds to a page: its free-form JSON and text, plus the rest.
std::size_t page_bytes(const task& t);
std::size_t page_bytes(const event& e);

struct task_page {
  std::vector<task> tasks;
  std::string next_cursor;  // empty: last page
  uint64_t total = 0;       // matching tasks, all pages
};
template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, task_page& x) {
  return f(caf::meta::type_name("task_page"), x.tasks, x.next_cursor, x.total);
}

/// Everything a finished (or approval-waiting) execution produced: the answer
/// of execute?wait=true and of the legacy synchronous execute.
struct execution_outcome {
  task subject;
  shared<plan> the_plan;
  bool has_plan = false;
  std::vector<execution_result> results;
  verification_result verification;
  bool has_verification = false;
};
template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, execution_outcome& x) {
  return f(caf::meta::type_name("execution_outcome"), x.subject, x.the_plan, x.has_plan, x.results,
           x.verification, x.has_verification);
}

/// Position in the global event list (newest first).
struct event_query {
  uint32_t limit = 50;
  std::string cursor;   // opaque; empty: newest
  std::string task_id;  // empty: every task
  std::string type;     // empty: every type
  std::string user_id;  // empty: every user's tasks; else only that user's
};
template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, event_query& x) {
  return f(caf::meta::type_name("event_query"), x.limit, x.cursor, x.task_id, x.type, x.user_id);
}

struct event_page {
  std::vector<event> events;
  std::string next_cursor;
  uint64_t total = 0;
};
template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, event_page& x) {
  return f(caf::meta::type_name("event_page"), x.events, x.next_cursor, x.total);
}

/// A count per name (statistics by status/type).
struct named_count {
  std::string name;
  uint64_t count = 0;
};
template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, named_count& x) {
  return f(caf::meta::type_name("named_count"), x.name, x.count);
}

/// GET /api/statistics.
struct engine_statistics {
  uint64_t total_tasks = 0;
  std::vector<named_count> by_status;
  std::vector<named_count> by_type;
  std::vector<named_count> by_priority;
  double average_duration_ms = 0;  // over completed and failed tasks
  double success_rate = 0;         // 100 * completed / (completed + failed)
  uint64_t terminal_tasks = 0;
  uint64_t running_tasks = 0;
  uint64_t queue_depth = 0;
  uint64_t awaiting_approval = 0;
  double throughput_per_minute = 0;  // tasks finished in the last 60 s
  uint64_t plans = 0;
  uint64_t events = 0;
  timestamp_ms started_at = 0;
  std::string node_id;
  uint64_t store_commits = 0;    // transactions (each one fsync of the WAL)
  uint64_t store_changes = 0;    // change sets they carried
  uint64_t tasks_in_memory = 0;  // the rest is read from the store when asked for
  uint64_t plans_in_memory = 0;
  uint64_t events_in_memory = 0;
  uint64_t unsaved_changes = 0;  // changes the store refused (each stopped its task)
};
template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, engine_statistics& x) {
  return f(caf::meta::type_name("engine_statistics"), x.total_tasks, x.by_status, x.by_type,
           x.by_priority, x.average_duration_ms, x.success_rate, x.terminal_tasks, x.running_tasks,
           x.queue_depth, x.awaiting_approval, x.throughput_per_minute, x.plans, x.events,
           x.started_at, x.node_id, x.store_commits, x.store_changes, x.tasks_in_memory,
           x.plans_in_memory, x.events_in_memory, x.unsaved_changes);
}

/// GET /api/tasks/:id/rollback/check.
struct rollback_check {
  bool can_rollback = false;
  std::string reason;              // why (not)
  std::vector<std::string> steps;  // what a rollback would undo, in that order
};
template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, rollback_check& x) {
  return f(caf::meta::type_name("rollback_check"), x.can_rollback, x.reason, x.steps);
}

/// What a rollback did.
struct rollback_report {
  std::string task_id;
  bool success = true;
  std::vector<std::string> rolled_back;  // in the order they were undone
  std::vector<std::string> errors;       // of undos that failed
};
template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, rollback_report& x) {
  return f(caf::meta::type_name("rollback_report"), x.task_id, x.success, x.rolled_back, x.errors);
}

/// A task with everything stored about it, as read back from the store when
/// it is no longer held in memory.
struct stored_task {
  task subject;
  plan the_plan;
  bool has_plan = false;
  std::vector<execution_result> results;  // in completion order
  verification_result verification;
  bool has_verification = false;
  /// The bytes of the latest artifacts, when read to resume the task after a
  /// restart (an artifact without its bytes here makes its step run again).
  workspace files;
};
template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, stored_task& x) {
  return f(caf::meta::type_name("stored_task"), x.subject, x.the_plan, x.has_plan, x.results,
           x.verification, x.has_verification, x.files);
}

/// Work for one executor-step actor.
struct step_job {
  shared<plan> the_plan;  // the plan as execution started: one copy for every step
  std::string step_id;
  task_context context;
  shared<workspace> files;    // what the steps before it left
  std::string workspace_dir;  // where a deployment driver finds the files on disk
  /// Results of the steps done so far, for the actions that read them
  /// (executor::reads_earlier_results); empty for the others.
  std::vector<execution_result> completed;
  std::string result_id;
};
template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, step_job& x) {
  return f(caf::meta::type_name("step_job"), x.the_plan, x.step_id, x.context, x.files,
           x.workspace_dir, x.completed, x.result_id);
}

/// What one executor-step actor answers: its result and the files it wrote.
struct step_outcome {
  execution_result result;
  workspace written;  // by name; each also recorded in result.artifacts
};
template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, step_outcome& x) {
  return f(caf::meta::type_name("step_outcome"), x.result, x.written);
}

/// Work for the verifier actor.
struct verify_job {
  shared<plan> the_plan;
  task_context context;
  std::vector<execution_result> results;
  shared<workspace> files;
  std::string verification_id;
  std::string execution_id;
  double cost_limit_usd = 0;
};
template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, verify_job& x) {
  return f(caf::meta::type_name("verify_job"), x.the_plan, x.context, x.results, x.files,
           x.verification_id, x.execution_id, x.cost_limit_usd);
}

/// Work for the planner actor.
struct plan_job {
  std::string plan_id;
  std::string task_id;
  task_type type = task_type::generate;
  task_context context;
};
template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, plan_job& x) {
  return f(caf::meta::type_name("plan_job"), x.plan_id, x.task_id, x.type, x.context);
}

/// An artifact with its bytes, for download.
struct artifact_download {
  artifact meta;
  shared<std::string> bytes;
};
template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, artifact_download& x) {
  return f(caf::meta::type_name("artifact_download"), x.meta, x.bytes);
}

}  // namespace ce

namespace ce {

/// What one durable write carries. The store commits many of these per
/// transaction (group commit) and acknowledges each once it is on disk.
struct change_set {
  std::vector<task> tasks;                         // inserted or replaced by id
  std::vector<shared<plan>> plans;                 // inserted or replaced by id
  std::vector<std::string> result_task_ids;        // parallel to results
  std::vector<execution_result> results;           // inserted (id unique)
  std::vector<std::string> verification_task_ids;  // parallel to verifications
  std::vector<verification_result> verifications;  // replaced per task
  std::vector<event> events;                       // inserted (seq unique)
  std::vector<stored_blob> blobs;                  // artifact bytes, kept once per sha256

  bool empty() const {
    return tasks.empty() && plans.empty() && results.empty() && verifications.empty() &&
           events.empty() && blobs.empty();
  }
};
template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, change_set& x) {
  return f(caf::meta::type_name("change_set"), x.tasks, x.plans, x.result_task_ids, x.results,
           x.verification_task_ids, x.verifications, x.events, x.blobs);
}

}  // namespace ce
