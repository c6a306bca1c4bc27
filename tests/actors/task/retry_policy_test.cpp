#include "actors/task/retry_policy.hpp"

#include <catch2/catch.hpp>

#include <random>

using namespace ce::task_logic;
using std::chrono::milliseconds;

TEST_CASE("only transient failures are retried, up to the attempt limit", "[retry]") {
  retry_policy policy;  // 3 attempts in all
  CHECK(should_retry(policy, 1, true));
  CHECK(should_retry(policy, 2, true));
  CHECK_FALSE(should_retry(policy, 3, true));
  CHECK_FALSE(should_retry(policy, 1, false));  // permanent
  policy.max_attempts = 1;
  CHECK_FALSE(should_retry(policy, 1, true));
}

TEST_CASE("the backoff doubles per attempt within [half, whole] of it and stops at the cap",
          "[retry]") {
  retry_policy policy{10, milliseconds(200), milliseconds(1000)};
  std::mt19937 rng(42);
  // attempt -> un-jittered delay: 200, 400, 800, then capped at 1000.
  const int64_t expected[] = {200, 400, 800, 1000, 1000};
  for (int attempt = 1; attempt <= 5; ++attempt) {
    int64_t whole = expected[attempt - 1];
    for (int draw = 0; draw < 200; ++draw) {
      auto d = backoff_delay(policy, attempt, rng).count();
      INFO("attempt " << attempt << " delay " << d);
      CHECK(d >= whole - whole / 2);
      CHECK(d <= whole);
    }
  }
}

TEST_CASE("jitter spreads the delays of steps failing together", "[retry]") {
  retry_policy policy;
  std::mt19937 rng(7);
  auto first = backoff_delay(policy, 2, rng);
  bool differs = false;
  for (int i = 0; i < 20 && !differs; ++i) differs = backoff_delay(policy, 2, rng) != first;
  CHECK(differs);
}

TEST_CASE("deployment actions take the node's policy, deterministic ones get one attempt",
          "[retry]") {
  retry_policy node{4, milliseconds(100), milliseconds(1000)};
  ce::plan_step apply;
  apply.action = "apply_deployment";
  CHECK(policy_for(apply, node).max_attempts == 4);
  ce::plan_step generate;
  generate.action = "generate_terraform";
  CHECK(policy_for(generate, node).max_attempts == 1);
  CHECK(policy_for(generate, node).base_delay == milliseconds(100));
}

TEST_CASE("a step's parameters may set its own attempt limit", "[retry]") {
  retry_policy node;
  ce::plan_step apply;
  apply.action = "apply_deployment";
  apply.parameters.text = R"({"region":"us-east-1","retry":{"max_attempts":6}})";
  CHECK(policy_for(apply, node).max_attempts == 6);
  apply.parameters.text = R"({"retry":{"max_attempts":0}})";  // clamped: at least one attempt
  CHECK(policy_for(apply, node).max_attempts == 1);
  apply.parameters.text = R"({"retry":"often"})";  // not an object: the default stands
  CHECK(policy_for(apply, node).max_attempts == node.max_attempts);
}
