#include "messages/access.hpp"

#include <catch2/catch.hpp>

using namespace ce;
using access::action;

namespace {

caller_identity as(const std::string& user, role r) {
  return caller_identity{user, true, r};
}

const std::vector<action> every_action = {
    action::read,     action::create, action::execute,      action::cancel,  action::resume,
    action::rollback, action::plan,   action::safety_check, action::approve, action::reject};

}  // namespace

TEST_CASE("each role may do exactly the actions of its row", "[access]") {
  for (auto a : every_action) {
    INFO(access::describe(a));
    CHECK(access::role_allows(role::admin, a));
    CHECK(access::role_allows(role::viewer, a) == (a == action::read));
    CHECK(access::role_allows(role::operator_, a) == (a != action::approve && a != action::reject));
    CHECK(access::role_allows(role::approver, a) ==
          (a == action::read || a == action::safety_check || a == action::approve ||
           a == action::reject));
  }
}

TEST_CASE(
    "another user's object is hidden from viewers and operators, seen by approvers and "
    "admins",
    "[access]") {
  CHECK(access::decide(as("vic", role::viewer), action::read, "otto").hidden());
  CHECK(access::decide(as("olga", role::operator_), action::cancel, "otto").hidden());
  CHECK(access::decide(as("abe", role::approver), action::read, "otto").allowed());
  CHECK(access::decide(as("ada", role::admin), action::cancel, "otto").allowed());
  // Hidden wins over forbidden: a viewer learns nothing about another user's task.
  CHECK(access::decide(as("vic", role::viewer), action::cancel, "otto").hidden());
}

TEST_CASE("a role that may not act on a visible object is told which role and action", "[access]") {
  auto v = access::decide(as("vic", role::viewer), action::cancel, "vic");
  REQUIRE(v.result == access::verdict::outcome::forbidden);
  CHECK(v.reason == "the role viewer may not cancel tasks");
  auto a = access::decide(as("abe", role::approver), action::execute, "otto");
  REQUIRE(a.result == access::verdict::outcome::forbidden);
  CHECK(a.reason == "the role approver may not execute tasks");
}

TEST_CASE("the open node's caller may do everything", "[access]") {
  caller_identity open;  // no tokens configured
  CHECK_FALSE(open.authenticated);
  for (auto a : every_action) CHECK(access::decide(open, a, "someone").allowed());
  CHECK(access::decide_create(open, "someone-else").allowed());
}

TEST_CASE("only an admin may create a task for another user", "[access]") {
  CHECK(access::decide_create(as("olga", role::operator_), "").allowed());
  CHECK(access::decide_create(as("olga", role::operator_), "olga").allowed());
  auto other = access::decide_create(as("olga", role::operator_), "otto");
  CHECK(other.result == access::verdict::outcome::forbidden);
  CHECK(other.reason.find("otto") != std::string::npos);
  CHECK(access::decide_create(as("ada", role::admin), "otto").allowed());
  CHECK(access::decide_create(as("vic", role::viewer), "vic").reason ==
        "the role viewer may not create tasks");
}

TEST_CASE("nobody approves their own plan in a guarded environment", "[access]") {
  const std::vector<std::string> guarded{"production"};
  auto own = access::self_approval_refusal(as("ada", role::admin), "ada", "production", guarded);
  REQUIRE(own);
  CHECK(own->find("separation of duties") != std::string::npos);
  CHECK_FALSE(
      access::self_approval_refusal(as("abe", role::approver), "otto", "production", guarded));
  CHECK_FALSE(access::self_approval_refusal(as("ada", role::admin), "ada", "staging", guarded));
  // The open node has no identities to separate.
  CHECK_FALSE(access::self_approval_refusal(caller_identity{}, "anonymous", "production", guarded));
}
