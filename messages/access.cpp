#include "messages/access.hpp"

#include <algorithm>

namespace ce::access {

std::string_view describe(action what) {
  switch (what) {
    case action::read:
      return "read tasks";
    case action::create:
      return "create tasks";
    case action::execute:
      return "execute tasks";
    case action::cancel:
      return "cancel tasks";
    case action::resume:
      return "resume tasks";
    case action::rollback:
      return "roll back tasks";
    case action::plan:
      return "generate or optimize plans";
    case action::safety_check:
      return "run safety checks";
    case action::approve:
      return "approve plans";
    case action::reject:
      return "reject plans";
  }
  return "do this";
}

bool role_allows(role who, action what) {
  switch (who) {
    case role::admin:
      return true;
    case role::viewer:
      return what == action::read;
    case role::operator_:
      return what != action::approve && what != action::reject;
    case role::approver:
      // Reads what it needs to decide, and decides; changes nothing else.
      return what == action::read || what == action::safety_check || what == action::approve ||
             what == action::reject;
  }
  return false;
}

verdict decide(const caller_identity& caller, action what, const std::string& owner) {
  verdict v;
  if (!caller.may_see(owner)) {
    v.result = verdict::outcome::hidden;
    return v;
  }
  if (!role_allows(caller.role, what)) {
    v.result = verdict::outcome::forbidden;
    v.reason = "the role " + std::string(to_string(caller.role)) + " may not " +
               std::string(describe(what));
  }
  return v;
}

verdict decide_create(const caller_identity& caller, const std::string& for_user) {
  verdict v;
  if (!role_allows(caller.role, action::create)) {
    v.result = verdict::outcome::forbidden;
    v.reason = "the role " + std::string(to_string(caller.role)) + " may not " +
               std::string(describe(action::create));
  } else if (!for_user.empty() && for_user != caller.user_id && caller.role != role::admin) {
    v.result = verdict::outcome::forbidden;
    v.reason = "user_id " + for_user + " is not the caller (" + caller.user_id +
               "); only an admin may act for another user";
  }
  return v;
}

std::optional<std::string> self_approval_refusal(
    const caller_identity& caller, const std::string& owner, const std::string& environment,
    const std::vector<std::string>& guarded_environments) {
  if (!caller.authenticated || owner != caller.user_id) return std::nullopt;
  if (std::find(guarded_environments.begin(), guarded_environments.end(), environment) ==
      guarded_environments.end())
    return std::nullopt;
  return "separation of duties: " + caller.user_id + " may not approve their own " + environment +
         " plan; another approver must";
}

}  // namespace ce::access
