// Registers every message type with CAF so it can cross a node boundary.
#pragma once

#include <caf/actor_system_config.hpp>

namespace ce {

void register_message_types(caf::actor_system_config& cfg);

}  // namespace ce
