// The planner child of a task actor: makes one plan, answers it, exits.
#pragma once

#include "messages/interfaces.hpp"

namespace ce::planner {

planner_actor::behavior_type planner_behavior(planner_actor::pointer self);

}  // namespace ce::planner
