#include "actors/store/store_reader.hpp"

#include <fstream>
#include <sstream>

#include <spdlog/spdlog.h>

#include "actors/store/totals.hpp"
#include "messages/errors.hpp"

namespace ce::store {

namespace {

/// Runs a read; a database failure is logged and answered as unavailable
/// instead of taking the reader down.
template <class Read>
auto guarded(const std::string& what, Read read) -> decltype(read()) {
  try {
    return read();
  } catch (const std::exception& e) {
    spdlog::error("store reader: {} failed: {}", what, e.what());
    return make_error(errc::unavailable, std::string("the store could not be read: ") + e.what());
  }
}

/// Artifacts written before the store kept their bytes are files on disk.
bool read_whole_file(const std::string& path, std::string& out) {
  std::ifstream in(path, std::ios::binary);
  if (path.empty() || !in) return false;
  std::ostringstream content;
  content << in.rdbuf();
  if (in.bad()) return false;
  out = content.str();
  return true;
}

/// An artifact's bytes: kept in the store, or (older data) its file.
caf::expected<artifact_download> bytes_of(sqlite_store& store, const artifact& a) {
  std::string bytes;
  if (store.find_blob(a.checksum, bytes) || read_whole_file(a.path, bytes))
    return artifact_download{a, shared<std::string>(std::move(bytes))};
  return make_error(errc::not_found, "the bytes of artifact " + a.name + " are gone");
}

caf::error foreign_cursor() {
  return make_error(errc::invalid_input, "cursor is not one this server handed out");
}

}  // namespace

store_reader_actor::behavior_type store_reader_behavior(
    store_reader_actor::stateful_pointer<store_reader_state> self,
    std::shared_ptr<sqlite_store> db) {
  self->state.db = std::move(db);  // from here on only this actor touches it
  auto* store = self->state.db.get();
  return {
      [store](atoms::get_task, const std::string& id) -> caf::result<stored_task> {
        return guarded("reading task " + id, [&]() -> caf::result<stored_task> {
          stored_task out;
          if (store->find_task(id, out)) return out;
          return make_error(errc::not_found, "task " + id + " does not exist");
        });
      },
      [store](atoms::get_plan, const std::string& id) -> caf::result<plan> {
        return guarded("reading plan " + id, [&]() -> caf::result<plan> {
          plan out;
          if (store->find_plan(id, out)) return out;
          return make_error(errc::not_found, "plan " + id + " does not exist");
        });
      },
      [store](atoms::list_tasks, const task_query& query) -> caf::result<task_page> {
        return guarded("listing tasks", [&]() -> caf::result<task_page> {
          task_page out;
          if (store->list_tasks(query, out, false)) return out;  // the engine knows the total
          return foreign_cursor();
        });
      },
      [store](atoms::list_events, const event_query& query) -> caf::result<event_page> {
        return guarded("listing events", [&]() -> caf::result<event_page> {
          event_page out;
          if (store->list_events(query, out, false)) return out;  // the log knows the total
          return foreign_cursor();
        });
      },
      [store](atoms::task_events, const std::string& task_id,
              uint64_t since) -> caf::result<std::vector<event>> {
        return guarded("reading events of " + task_id, [&]() -> caf::result<std::vector<event>> {
          return store->task_events(task_id, since);
        });
      },
      [store](atoms::events_after, uint64_t since,
              uint64_t limit) -> caf::result<std::vector<event>> {
        return guarded("reading events", [&]() -> caf::result<std::vector<event>> {
          return store->events_after(since, limit);
        });
      },
      [store](atoms::statistics, const std::string& user_id,
              timestamp_ms now) -> caf::result<engine_statistics> {
        return guarded("counting the tasks of " + user_id, [&]() -> caf::result<engine_statistics> {
          return statistics_of(store->user_totals(user_id, now), now);
        });
      },
      [store](atoms::get_artifact, const artifact& a) -> caf::result<artifact_download> {
        return guarded("reading artifact " + a.name,
                       [&]() -> caf::result<artifact_download> { return bytes_of(*store, a); });
      },
      [store](atoms::get_archive,
              const std::vector<artifact>& wanted) -> caf::result<std::vector<artifact_download>> {
        return guarded("reading artifacts", [&]() -> caf::result<std::vector<artifact_download>> {
          std::vector<artifact_download> out;
          for (const auto& a : wanted) {
            auto one = bytes_of(*store, a);
            if (!one) return std::move(one.error());
            out.push_back(std::move(*one));
          }
          return out;
        });
      },
  };
}

}  // namespace ce::store
