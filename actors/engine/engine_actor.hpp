// The engine actor: the node's registry of tasks and plans. It validates what
// the registry alone can judge, spawns one task actor per execution, routes
// approvals and cancels to it, and answers reads.
#pragma once

#include <string>
#include <unordered_map>
#include <unordered_set>
#include <vector>

#include "actors/engine/run_queue.hpp"
#include "actors/engine/task_registry.hpp"
#include "actors/store/sqlite_store.hpp"
#include "actors/task/task_actor.hpp"
#include "messages/ids.hpp"
#include "messages/interfaces.hpp"

namespace ce::engine {

struct engine_runtime {
  std::string node_id;
  tasks::task_runtime task;                 // what every task actor gets
  bool auto_resume = true;                  // resume interrupted tasks at start
  retention keep;                           // how long terminal tasks stay in memory (with a store)
  std::size_t max_running = 64;             // executions at once; more wait queued (0: no limit)
  std::size_t max_running_per_user = 32;    // of one user (0: no limit)
  std::size_t max_pending = 20000;          // tasks created and not executed, in all (0: no limit)
  std::size_t max_pending_per_user = 2000;  // of one user (0: no limit)
  std::vector<std::string> no_self_approval_in{
      "production"};  // nobody approves their own plan there
};

struct engine_state {
  task_registry registry;
  run_queue queue;        // running slots and the executions waiting for one
  uint64_t arrivals = 0;  // queue order within a priority
  id_generator ids;
  event_log_actor events;
  store_actor store;
  store_reader_actor reader;  // null in memory-only mode: then nothing leaves memory
  engine_runtime runtime;
  std::unordered_map<std::string, task_actor> live;               // task id -> its actor
  std::unordered_map<caf::actor_addr, std::string> live_by_addr;  // its actor -> task id
  /// Tasks with a command under way whose result is not yet on disk ("being
  /// cancelled"): a second command must not act on the state before it.
  std::unordered_map<std::string, const char*> busy;
  /// execute?wait=true answers, delivered when the task ends or awaits approval.
  std::unordered_map<std::string, std::vector<caf::typed_response_promise<execution_outcome>>>
      waiters;
  /// Creates on their way to disk, per user: counted against the pending limits.
  std::unordered_map<std::string, uint64_t> creating;
  uint64_t creating_total = 0;
  /// Who made each plan of POST /api/plans/generate (a task's plan belongs to
  /// its task's user). Kept in memory: after a restart such a plan is seen by
  /// admins and approvers only.
  std::unordered_map<std::string, std::string> plan_owners;
  timestamp_ms started_at = 0;
  /// Changes the store refused: each one stopped the task it belonged to.
  uint64_t unsaved_changes = 0;
  /// Tasks stopped because a change of theirs was not saved.
  std::unordered_set<std::string> halted;
  static inline const char* name = "engine";
};

/// `recovered` is what the store held at start; interrupted tasks resume
/// (runtime.auto_resume) or wait for POST /api/tasks/:id/resume. With a
/// `reader`, terminal tasks leave memory per runtime.keep and lists are
/// answered by the store; without one (memory-only), everything stays.
engine_actor::behavior_type engine_behavior(engine_actor::stateful_pointer<engine_state> self,
                                            event_log_actor events, store_actor store,
                                            store_reader_actor reader, engine_runtime runtime,
                                            std::shared_ptr<store::recovered_state> recovered);

}  // namespace ce::engine
