// The store actor: group commit in front of the SQLite store.
#pragma once

#include <chrono>
#include <memory>
#include <utility>
#include <vector>

#include "actors/store/sqlite_store.hpp"
#include "messages/interfaces.hpp"
#include "messages/metrics_sink.hpp"

namespace ce::store {

struct group_commit_options {
  std::size_t max_batch = 512;                // change sets per transaction
  std::chrono::microseconds max_delay{2000};  // oldest waiting change at most this long
  metrics_sink_ptr metrics;                   // null: nothing measured
};

struct store_state {
  store_committer_actor committer;  // null: memory-only mode (acknowledge at once)
  group_commit_options options;
  std::vector<std::pair<caf::typed_response_promise<uint64_t>, change_set>> waiting;
  bool committing = false;  // a batch is on its way to disk
  uint64_t timer_generation = 0;
  bool timer_armed = false;
  uint64_t commits = 0;
  uint64_t changes = 0;
  static inline const char* name = "store";
};

/// Spawn it as a scheduled actor: it only queues and answers. It spawns (and
/// links) the detached committer that owns `db`; `db` may be null for the
/// memory-only mode.
store_actor::behavior_type store_behavior(store_actor::stateful_pointer<store_state> self,
                                          std::shared_ptr<sqlite_store> db,
                                          group_commit_options options);

struct committer_state {
  std::shared_ptr<sqlite_store> db;
  static inline const char* name = "store-committer";
};

store_committer_actor::behavior_type committer_behavior(
    store_committer_actor::stateful_pointer<committer_state> self,
    std::shared_ptr<sqlite_store> db);

}  // namespace ce::store
