// The store reader: answers reads of what left memory from its own
// read-only SQLite connection.
#pragma once

#include <memory>

#include "actors/store/sqlite_store.hpp"
#include "messages/interfaces.hpp"

namespace ce::store {

struct store_reader_state {
  std::shared_ptr<sqlite_store> db;
  static inline const char* name = "store-reader";
};

/// Spawn it detached, with a connection from sqlite_store::open_reader.
store_reader_actor::behavior_type store_reader_behavior(
    store_reader_actor::stateful_pointer<store_reader_state> self,
    std::shared_ptr<sqlite_store> db);

}  // namespace ce::store
