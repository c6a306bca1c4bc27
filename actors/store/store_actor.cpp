#include "actors/store/store_actor.hpp"

#include <algorithm>

#include <spdlog/spdlog.h>

#include "messages/errors.hpp"

namespace ce::store {

namespace {

using self_ptr = store_actor::stateful_pointer<store_state>;

void commit_waiting(self_ptr self);

/// A batch is on disk (or failed): what queued up meanwhile goes next, at once.
void after_commit(self_ptr self) {
  self->state.committing = false;
  if (!self->state.waiting.empty()) commit_waiting(self);
}

/// Hands what waits (at most one batch) to the committer; one at a time, so
/// acknowledgements go out in the order the changes came in.
void commit_waiting(self_ptr self) {
  auto& st = self->state;
  ++st.timer_generation;  // an armed timer is now stale
  st.timer_armed = false;
  if (st.waiting.empty() || st.committing) return;
  auto count = std::min(st.waiting.size(), std::max<std::size_t>(1, st.options.max_batch));
  std::vector<change_set> batch;
  std::vector<caf::typed_response_promise<uint64_t>> waiters;
  batch.reserve(count);
  waiters.reserve(count);
  for (std::size_t i = 0; i < count; ++i) {
    waiters.push_back(std::move(st.waiting[i].first));
    batch.push_back(std::move(st.waiting[i].second));
  }
  st.waiting.erase(st.waiting.begin(), st.waiting.begin() + static_cast<std::ptrdiff_t>(count));
  st.committing = true;
  auto handed_over = std::chrono::steady_clock::now();
  self->request(st.committer, caf::infinite, atoms::persist::value, std::move(batch))
      .then(
          [=](uint64_t) mutable {
            auto& st = self->state;
            if (st.options.metrics) {
              std::chrono::duration<double> took = std::chrono::steady_clock::now() - handed_over;
              st.options.metrics->store_committed(waiters.size(), took.count());
            }
            ++st.commits;
            st.changes += waiters.size();
            for (auto& w : waiters) w.deliver(st.commits);
            after_commit(self);
          },
          [=](caf::error& err) mutable {
            for (auto& w : waiters) w.deliver(err);
            after_commit(self);
          });
}

}  // namespace

store_actor::behavior_type store_behavior(store_actor::stateful_pointer<store_state> self,
                                          std::shared_ptr<sqlite_store> db,
                                          group_commit_options options) {
  // The committer owns the connection from here on; nobody else touches it.
  if (db) self->state.committer = self->spawn<caf::detached + caf::linked>(committer_behavior, db);
  self->state.options = options;
  return {
      [=](atoms::persist, change_set& changes) -> caf::result<uint64_t> {
        auto& st = self->state;
        if (!st.committer) {  // memory-only mode: nothing to wait for
          ++st.changes;
          return ++st.commits;
        }
        auto promise = self->make_response_promise<uint64_t>();
        st.waiting.emplace_back(promise, std::move(changes));
        if (st.committing) return promise;  // goes with the batch after this one
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

store_committer_actor::behavior_type committer_behavior(
    store_committer_actor::stateful_pointer<committer_state> self,
    std::shared_ptr<sqlite_store> db) {
  self->state.db = std::move(db);
  return {
      [=](atoms::persist, const std::vector<change_set>& batch) -> caf::result<uint64_t> {
        std::vector<const change_set*> changes;
        changes.reserve(batch.size());
        for (const auto& c : batch) changes.push_back(&c);
        std::string error;
        if (!self->state.db->commit(changes, error)) {
          spdlog::error("store: a commit of {} change sets failed: {}", batch.size(), error);
          return make_error(errc::unavailable, "the store could not save the change: " + error);
        }
        return self->state.db->commits();
      },
  };
}

}  // namespace ce::store
