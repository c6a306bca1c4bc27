// The engine's one error style. Every failure that crosses a function or an
// actor boundary is a caf::error of category "ce" with an errc code and one
// sentence for the API's `error` field; functions that can fail return
// caf::expected<T> or caf::error. The front-end turns each code into one HTTP
// status (net/responses.cpp, failure()).
#pragma once

#include <cstdint>
#include <string>

#include <caf/actor_system_config.hpp>
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
  /// A dependency (store, cluster peer, data dir) is not available now (503).
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

/// The code's name: "invalid_input", "not_found", ...
const char* to_string(errc code);

/// Category atom of every ce::errc error.
constexpr caf::atom_value error_category = caf::atom("ce");

/// An error whose context is one clear sentence for the API's `error` field.
inline caf::error make_error(errc code, std::string sentence) {
  return caf::error{static_cast<uint8_t>(code), error_category,
                    caf::make_message(std::move(sentence))};
}

/// The sentence of a ce error; for any other error, CAF's own rendering of it.
std::string sentence_of(const caf::error& err);

/// Teaches `system.render` the names of the codes: "ce::not_found(...)" rather than a number.
void register_error_category(caf::actor_system_config& config);

}  // namespace ce
