// Asks an actor from outside the actor system without blocking the caller:
// a short-lived event-based actor sends the request and hands the answer (or
// the error) to a callback on a CAF worker thread. No scoped_actor, so no
// I/O thread ever waits on an actor.
#pragma once

#include <chrono>
#include <tuple>
#include <utility>

#include <caf/actor_system.hpp>
#include <caf/event_based_actor.hpp>

namespace ce::net {

template <class Handle, class OnAnswer, class OnError, class... Ts>
void actor_call(caf::actor_system& system, const Handle& receiver,
                std::chrono::milliseconds timeout, OnAnswer on_answer, OnError on_error,
                Ts&&... request) {
  system.spawn(
      [receiver, timeout, on_answer = std::move(on_answer), on_error = std::move(on_error),
       args = std::make_tuple(std::forward<Ts>(request)...)](caf::event_based_actor* self) mutable {
        std::apply(
            [&](auto&... xs) {
              self->request(receiver, timeout, std::move(xs)...)
                  .then(std::move(on_answer), std::move(on_error));
            },
            args);
        // No behavior of its own: the actor ends once the answer was handled.
      });
}

}  // namespace ce::net
