// Who may do what: the role table, per-user isolation and separation of
// duties. Pure logic; the engine applies it to every request it answers.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "messages/domain.hpp"

namespace ce::access {

/// What a request does to an object.
enum class action : uint8_t {
  read,          // a task, its plan, events, artifacts, rollback check; validate a plan
  create,        // POST /api/tasks
  execute,       // execute, also ?wait=true
  cancel,        //
  resume,        //
  rollback,      //
  plan,          // generate or optimize a plan
  safety_check,  // POST /api/safety/check
  approve,       //
  reject,        //
};

/// "cancel tasks", "approve plans": the object of a refusal's sentence.
std::string_view describe(action);

/// Whether the role lets anyone do the action at all (on an object it sees).
bool role_allows(role, action);

/// The outcome of one check.
struct verdict {
  enum class outcome : uint8_t {
    allowed,
    hidden,     // the object does not exist for this caller: answer as for an unknown id
    forbidden,  // the caller sees it but may not do this: 403 with `reason`
  };
  outcome result = outcome::allowed;
  std::string reason;

  bool allowed() const { return result == outcome::allowed; }
  bool hidden() const { return result == outcome::hidden; }
};

/// May the caller do `what` to an object owned by `owner`? Another user's
/// object is hidden unless the caller sees everyone; then the role decides.
verdict decide(const caller_identity& caller, action what, const std::string& owner);

/// May the caller create a task for `for_user` (a body's user_id; empty: themselves)?
verdict decide_create(const caller_identity& caller, const std::string& for_user);

/// Separation of duties: an authenticated caller may not approve a plan of
/// their own task in one of `guarded_environments`. The refusal, if any.
std::optional<std::string> self_approval_refusal(
    const caller_identity& caller, const std::string& owner, const std::string& environment,
    const std::vector<std::string>& guarded_environments);

}  // namespace ce::access
