// The executor-step child of a task actor: runs one plan step's action,
// answers its result, exits. A throw inside the action kills only this actor;
// the task actor turns it into a failed step.
#pragma once

#include <string>

#include "messages/interfaces.hpp"

namespace ce::executor {

step_actor::behavior_type step_behavior(step_actor::pointer self, std::string driver_name);

}  // namespace ce::executor
