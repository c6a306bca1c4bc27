#include "net/generator_service.hpp"

#include <caf/all.hpp>

namespace ce::net {

namespace {

std::string call_key(const generator_request& request) {
  // Calls of different tasks are never merged: each task gets what the service says now.
  return request.task_id + '\n' + request.path + '\n' + request.body;
}

}  // namespace

generator_actor::behavior_type generator_service_behavior(
    generator_actor::stateful_pointer<generator_service_state> self,
    std::shared_ptr<generator_client> client) {
  self->state.client = std::move(client);
  return {
      [=](atoms::generator_call, const generator_request& request) -> caf::result<generator_reply> {
        auto& st = self->state;
        auto key = call_key(request);
        if (auto hit = st.answered.find(key); hit != st.answered.end()) return hit->second;
        auto promise = self->make_response_promise<generator_reply>();
        auto& waiting = st.in_flight[key];
        waiting.push_back(promise);
        if (waiting.size() == 1) {
          auto handle = caf::actor_cast<generator_actor>(self);
          st.client->submit(request, [handle, key](generator_reply reply) {
            caf::anon_send(handle, atoms::generator_done::value, key, std::move(reply));
          });
        }
        return promise;
      },
      [=](atoms::generator_done, const std::string& key, const generator_reply& reply) {
        auto& st = self->state;
        auto waiting = st.in_flight.find(key);
        if (waiting == st.in_flight.end()) return;
        for (auto& promise : waiting->second) promise.deliver(reply);
        st.in_flight.erase(waiting);
        if (!reply.ok) return;
        st.answered.emplace(key, reply);
        st.answered_order.push_back(key);
        while (st.answered_order.size() > generator_memo_entries) {
          st.answered.erase(st.answered_order.front());
          st.answered_order.pop_front();
        }
      },
  };
}

}  // namespace ce::net
