// The actor in front of the Generator Service's client: steps ask it, it hands the call
// to the client's thread and answers when the client reports back. Identical calls of
// one task (same path and body) are made once: later ones join the call in flight or
// get its answer from a bounded memo. Failed calls are not remembered, so a retry of
// the step asks again.
#pragma once

#include <deque>
#include <memory>
#include <string>
#include <unordered_map>
#include <vector>

#include "messages/interfaces.hpp"
#include "net/generator_client.hpp"

namespace ce::net {

struct generator_service_state {
  std::shared_ptr<generator_client> client;
  std::unordered_map<std::string, std::vector<caf::typed_response_promise<generator_reply>>>
      in_flight;
  std::unordered_map<std::string, generator_reply> answered;
  std::deque<std::string> answered_order;  // oldest first, for eviction
  static inline const char* name = "generator-service";
};

/// How many successful answers the memo keeps (a few tasks' worth of calls).
inline constexpr size_t generator_memo_entries = 4096;

generator_actor::behavior_type generator_service_behavior(
    generator_actor::stateful_pointer<generator_service_state> self,
    std::shared_ptr<generator_client> client);

}  // namespace ce::net
