// The engine's error codes. Handlers answer with these instead of throwing;
// the front-end turns each into one HTTP status (net/error_mapping).
#pragma once

#include <cstdint>
#include <string>

#include <caf/atom.hpp>
#include <caf/error.hpp>
#include <caf/make_message.hpp>

namespace ce {

enum class errc : uint8_t {
  /// The request is malformed or names something unsupported (400).
  invalid_input = 1,
  /// No task, plan or artifact with that id (404).
  not_found,
  /// The object exists but is in a state that forbids the action (409).
  wrong_state,
  /// The caller may not see or touch the object (403).
  forbidden,
  /// A dependency (store, cluster peer) is not available now (503).
  unavailable,
  /// The answer did not come in time (504).
  timed_out,
  /// A bug: an invariant broke (500).
  internal,
  /// A limit on what one caller or the node holds is reached (429).
  too_many,
  /// No credentials, or credentials the node does not know (401).
  unauthenticated,
};

/// Category atom of every ce::errc error.
constexpr caf::atom_value error_category = caf::atom("ce");

/// An error whose context is one clear sentence for the API's `error` field.
inline caf::error make_error(errc code, std::string sentence) {
  return caf::error{static_cast<uint8_t>(code), error_category,
                    caf::make_message(std::move(sentence))};
}

}  // namespace ce
