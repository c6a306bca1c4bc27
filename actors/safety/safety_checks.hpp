// Safety checks around a plan's execution: before (on the plan), during (fed
// by the task actor with resource counts and times) and after (on what the
// steps produced and what the verifier found).
#pragma once

#include <cstdint>
#include <deque>
#include <optional>
#include <utility>
#include <vector>

#include "messages/domain.hpp"
#include "messages/workspace.hpp"

namespace ce::safety {

/// Limits the checks enforce. One policy per node; requirements.cost_limit of a
/// task overrides the cost limit for that task.
struct safety_policy {
  double cost_limit_usd = 10000;  // monthly, unless requirements.cost_limit is set
  bool production_requires_approval = true;
  severity approval_risk_threshold = severity::high;  // plans at or above need approval
  int max_resources_per_minute = 120;                 // during execution
  int64_t execution_timeout_s = 3600;                 // during execution
  double cost_anomaly_factor = 1.5;                   // post: actual vs estimated
};

/// The 15 registered checks: 10 pre_execution, 2 during_execution, 3 post_execution.
/// Stable ids (snake_case).
const std::vector<safety_check_info>& registered_checks();

/// Pre-execution checks on a plan. `blockers` = failed checks whose can_proceed is false;
/// passed = no blockers. requires_approval = any result requires approval (production env
/// per policy, or plan.risk_level >= threshold, or destructive steps). Approval is not a
/// failure: a production plan passes with requires_approval.
safety_report run_pre_execution(const plan& p, const safety_policy& policy);

/// Watches a running execution. Fed by the task actor; reads no clock itself: every time
/// is an argument.
class execution_monitor {
 public:
  execution_monitor(const safety_policy& policy, timestamp_ms started_at);

  /// Records `count` resources created at time `t`; returns a failed result (check
  /// resource_creation_rate) when more than max_resources_per_minute were created within
  /// the last 60 s, else nullopt.
  std::optional<safety_check_result> on_resources_created(int count, timestamp_ms t);

  /// Failed result (check execution_timeout) once now - started_at exceeds the timeout,
  /// else a passed one.
  safety_check_result check_timeout(timestamp_ms now) const;

  /// Current state of both during-execution checks.
  std::vector<safety_check_result> results(timestamp_ms now) const;

 private:
  int created_within_window(timestamp_ms now) const;
  safety_check_result rate_result(int created, timestamp_ms now) const;

  safety_policy policy_;
  timestamp_ms started_at_;
  std::deque<std::pair<timestamp_ms, int>> creations_;  // (time, count), oldest first
};

/// Post-execution: deployment verified (deploy: verify_deployment succeeded; otherwise every
/// generate step succeeded and the newest record of every artifact is intact), cost anomaly
/// (actual cost = the sum of `monthly_cost_usd` in the steps' outputs, when any step reports
/// it, vs the plan estimate; above the factor = failed but can proceed), security posture (no
/// failed security check in the verification; a verification without any security check is
/// a warning). An artifact is intact when `files` holds it with its recorded sha256; without
/// `files` (a finished task checked again later), when the verification found it intact.
safety_report run_post_execution(const plan& p, const std::vector<execution_result>& results,
                                 const verification_result& verification,
                                 const safety_policy& policy, const workspace* files = nullptr);

}  // namespace ce::safety
