// Wall-clock time and its wire format.
#pragma once

#include <string>

#include "messages/domain.hpp"

namespace ce {

/// Milliseconds since the Unix epoch, now.
timestamp_ms now_ms();

/// ISO 8601 UTC with milliseconds: 2026-11-27T14:34:16.533Z
std::string iso8601(timestamp_ms t);

}  // namespace ce
