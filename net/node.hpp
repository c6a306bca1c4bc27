// A whole core-engine node: actor system, actors, HTTP/WebSocket listeners,
// signal handling. run_node returns the process exit code.
#pragma once

#include "config/settings.hpp"

namespace ce::net {

int run_node(const config::settings& settings);

}  // namespace ce::net
