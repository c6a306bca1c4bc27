// The wire shapes of the contract (/work/shared/spec/api.md, "Objects").
//
// Output: every domain struct becomes a Boost.JSON value with the contract's
// field names. Timestamps are ISO 8601 strings; an optional field (marked `?`
// in the contract) is left out when the domain value means "none": a 0
// timestamp, an empty "none" string, an unknown duration (-1) or an empty
// free-form object. Lists are always written, empty or not. Free-form JSON
// (json_doc) is embedded as JSON, never as a string.
//
// Input: request bodies are parsed with simdjson and checked field by field;
// every problem is collected, so one 400 answer lists them all. Unknown fields
// are ignored.
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <boost/json.hpp>

#include "messages/domain.hpp"

namespace simdjson::dom {
class element;
}
#include "messages/requirements.hpp"

namespace ce::codec {

// ---- output -----------------------------------------------------------------

boost::json::value to_json(const task&);
boost::json::value to_json(const plan&);
boost::json::value to_json(const plan_step&);
boost::json::value to_json(const plan_dependency&);
boost::json::value to_json(const risk&);
boost::json::value to_json(const execution_result&);
boost::json::value to_json(const artifact&);
boost::json::value to_json(const log_entry&);
boost::json::value to_json(const verification_result&);
boost::json::value to_json(const verification_check&);
boost::json::value to_json(const safety_check_info&);
boost::json::value to_json(const safety_check_result&);
boost::json::value to_json(const safety_report&);
boost::json::value to_json(const plan_validation&);
boost::json::value to_json(const event&);

/// The document parsed; empty text is the empty object, invalid text is null.
boost::json::value to_json(const json_doc&);

/// The value as compact JSON text.
json_doc to_doc(const boost::json::value&);

/// Each element through its `to_json`.
template <class T>
boost::json::array to_json_array(const std::vector<T>& items) {
  boost::json::array out;
  out.reserve(items.size());
  for (const auto& item : items) out.push_back(to_json(item));
  return out;
}

/// Compact JSON text of a value (call it as codec::serialize: boost::json has one too).
std::string serialize(const boost::json::value&);

// ---- input ------------------------------------------------------------------

/// The dotted path of the first key some object of a parsed document holds twice
/// ("context.requirements.vpc_cidr"), if any. Parsers disagree on which copy
/// wins, so such input is refused rather than read one way here and another there.
std::optional<std::string> duplicate_key(const simdjson::dom::element& root);

/// Most components one task may name.
inline constexpr std::size_t max_components = 50;
/// Longest accepted string field, in bytes (free-form objects are not limited).
inline constexpr std::size_t max_string_bytes = 256;
/// Largest `metadata` object of a task, in bytes of compact JSON: pending tasks
/// stay in memory, and lists carry it.
inline constexpr std::size_t max_metadata_bytes = 64 * 1024;
/// Longest accepted environment name, in characters of [a-z0-9_-].
inline constexpr std::size_t max_environment_chars = 64;
/// Most steps a plan given inline may have.
inline constexpr std::size_t max_inline_steps = 1000;

/// A request body that could not be accepted: one clear sentence plus per-field details.
struct decode_error {
  std::string message;
  std::vector<field_error> details;
  bool malformed_json = false;  // the body is not JSON at all (not merely the wrong shape)
};

/// The decoded request, or why it was refused.
template <class T>
struct decoded {
  T value{};
  std::optional<decode_error> error;
  explicit operator bool() const { return !error; }
};

/// Body of POST /api/tasks.
struct create_task_request {
  task_type type = task_type::generate;
  priority prio = priority::medium;
  std::string user_id;  // empty: not given, the caller's identity applies
  task_context context;
  json_doc metadata;
};

/// Body of POST /api/plans/generate.
struct generate_plan_request {
  task_type type = task_type::generate;
  task_context context;
};

/// Body of POST /api/safety/check; the phase travels as `type`.
struct safety_check_request {
  std::string task_id;  // empty: not given
  std::string plan_id;  // empty: not given (then task_id names the plan's task)
  safety_phase phase = safety_phase::pre_execution;
};

/// Body of POST /api/plans/:planId/approve.
struct approve_request {
  std::string comment;
  std::string approved_by;  // empty: not given
};

/// Body of POST /api/plans/:planId/reject.
struct reject_request {
  std::string reason;
  std::string rejected_by;  // empty: not given
};

/// Body of POST /api/plans/validate.
struct inline_plan_request {
  std::vector<plan_step> steps;
};

/// `{type, priority?, user_id?, context, metadata?}`.
decoded<create_task_request> decode_create_task(std::string_view body);
/// `{type, context}`.
decoded<generate_plan_request> decode_generate_plan(std::string_view body);
/// `{task_id?, plan_id?, type?}`: at least one of the ids; type defaults to pre_execution.
decoded<safety_check_request> decode_safety_check(std::string_view body);
/// `{comment?, approved_by?}`; an empty body is accepted.
decoded<approve_request> decode_approve(std::string_view body);
/// `{reason, rejected_by?}`; the reason must not be empty.
decoded<reject_request> decode_reject(std::string_view body);
/// `{steps: [{id, action, order, depends_on?, type?, description?, component?, parameters?}]}`.
decoded<inline_plan_request> decode_inline_plan(std::string_view body);

}  // namespace ce::codec
