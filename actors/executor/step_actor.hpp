// The executor-step child of a task actor: runs one plan step's action,
// answers its result, exits. A throw inside the action kills only this actor;
// the task actor turns it into a failed step.
#pragma once

#include <chrono>
#include <string>

#include "messages/interfaces.hpp"

namespace ce::executor {

/// How steps reach the Generator Service, when one is configured.
struct generator_link {
  generator_actor service;        // null: the built-in generator only
  bool fallback_builtin = false;  // --generator-fallback builtin: used after a failed call
  caf::timespan call_timeout{std::chrono::minutes(2)};  // the client's retries included
};

step_actor::behavior_type step_behavior(step_actor::pointer self, std::string driver_name,
                                        generator_link generator);

}  // namespace ce::executor
