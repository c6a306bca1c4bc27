// When and how long to wait before a failed step runs again: pure logic.
#pragma once

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <random>
#include <string>

#include <boost/json.hpp>

#include "messages/backoff.hpp"
#include "messages/domain.hpp"

namespace ce::task_logic {

/// Retries apply to failures a step marks transient; permanent ones fail at once.
struct retry_policy {
  int max_attempts = 3;  // attempts in all, the first one included; 1: no retry
  std::chrono::milliseconds base_delay{200};
  std::chrono::milliseconds max_delay{5000};
};

/// True for the actions that reach outside the node: plan, apply, verify and
/// destroy_deployment.
inline bool reaches_outside(const plan_step& step) {
  static const std::string suffix = "_deployment";
  return step.action.size() > suffix.size() &&
         step.action.compare(step.action.size() - suffix.size(), suffix.size(), suffix) == 0;
}

/// True for the actions that call the Generator Service when one is configured.
inline bool may_call_generator(const plan_step& step) {
  return step.action == "generate_component" || step.action == "apply_best_practices";
}

/// The policy of one step's action. Deployment actions reach outside the node
/// (a cloud API, a process) and take the node's policy; every other action is
/// deterministic, so running it again cannot help: one attempt. A plan step
/// may set its own limit with parameters {"retry": {"max_attempts": N}}. With a remote
/// generator, the steps that call it reach outside too and take the node's policy.
inline retry_policy policy_for(const plan_step& step, const retry_policy& node_policy,
                               bool remote_generator = false) {
  retry_policy policy = node_policy;
  if (!reaches_outside(step) && !(remote_generator && may_call_generator(step)))
    policy.max_attempts = 1;
  boost::system::error_code ec;
  auto parameters = boost::json::parse(step.parameters.text, ec);
  if (!ec && parameters.is_object())
    if (auto* retry = parameters.as_object().if_contains("retry"); retry && retry->is_object())
      if (auto* n = retry->as_object().if_contains("max_attempts"); n && n->is_int64())
        policy.max_attempts = static_cast<int>(std::clamp<int64_t>(n->as_int64(), 1, 20));
  return policy;
}

/// True if a step that failed on attempt `attempt` (1-based) runs again.
inline bool should_retry(const retry_policy& policy, int attempt, bool transient) {
  return transient && attempt < policy.max_attempts;
}

/// The wait before attempt `attempt + 1`: see ce::exponential_backoff.
template <class Rng>
std::chrono::milliseconds backoff_delay(const retry_policy& policy, int attempt, Rng& rng) {
  return exponential_backoff(policy.base_delay, policy.max_delay, attempt, rng);
}

}  // namespace ce::task_logic
