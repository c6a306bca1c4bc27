#include "actors/store/store_actor.hpp"

#include <spdlog/spdlog.h>

#include "messages/errors.hpp"

namespace ce::store {

namespace {

using self_ptr = store_actor::stateful_pointer<store_state>;

/// Commits everything waiting in one transaction and answers every waiter.
void commit_waiting(self_ptr self) {
  auto& st = self->state;
  ++st.timer_generation;  // an armed timer is now stale
  st.timer_armed = false;
  if (st.waiting.empty()) return;
  auto waiting = std::move(st.waiting);
  st.waiting.clear();
  std::vector<const change_set*> batch;
  batch.reserve(waiting.size());
  for (auto& w : waiting) batch.push_back(&w.second);
  std::string error;
  if (st.db && !st.db->commit(batch, error)) {
    spdlog::error("store: a commit of {} change sets failed: {}", waiting.size(), error);
    for (auto& w : waiting)
      w.first.deliver(
          make_error(errc::unavailable, "the store could not save the change: " + error));
    return;
  }
  ++st.commits;
  st.changes += waiting.size();
  for (auto& w : waiting) w.first.deliver(st.commits);
}

}  // namespace

store_actor::behavior_type store_behavior(store_actor::stateful_pointer<store_state> self,
                                          std::shared_ptr<sqlite_store> db,
                                          group_commit_options options) {
  // The actor owns the connection from here on; nobody else touches it.
  self->state.db = std::move(db);
  self->state.options = options;
  return {
      [=](atoms::persist, change_set& changes) -> caf::result<uint64_t> {
        auto& st = self->state;
        if (!st.db) {  // memory-only mode: nothing to wait for
          ++st.changes;
          return ++st.commits;
        }
        auto promise = self->make_response_promise<uint64_t>();
        st.waiting.emplace_back(promise, std::move(changes));
        if (st.waiting.size() >= st.options.max_batch) {
          commit_waiting(self);
        } else if (!st.timer_armed) {
          st.timer_armed = true;
          self->delayed_send(self, st.options.max_delay, atoms::flush::value, st.timer_generation);
        }
        return promise;
      },
      [=](atoms::flush, uint64_t generation) {
        if (generation == self->state.timer_generation) commit_waiting(self);
      },
      [=](atoms::store_stats) {
        return caf::make_result(self->state.commits, self->state.changes);
      },
  };
}

}  // namespace ce::store
