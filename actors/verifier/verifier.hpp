// Verification of what an execution produced: the Terraform files of the
// task's workspace, the steps' results and the plan's estimates, checked in
// five categories (security, compliance, functionality, performance, cost).
#pragma once

#include <string>
#include <vector>

#include "messages/domain.hpp"
#include "messages/requirements.hpp"
#include "messages/workspace.hpp"

namespace ce::verifier {

/// Everything a verification reads. The pointers must outlive the call to verify.
struct verification_input {
  const plan* p = nullptr;
  const task_context* context = nullptr;
  requirements req;
  const std::vector<execution_result>* results = nullptr;
  const workspace* files = nullptr;  // what the steps produced; null: nothing
  double cost_limit_usd = 10000;
};

/// Runs checks in the five categories, each reading what was actually produced (the
/// workspace's files, step outputs, durations, estimates). status: failed if any check failed,
/// warning if any warning, else passed. Fills the summary counters; started_at and
/// completed_at are both `now`.
verification_result verify(const verification_input& in, std::string id, std::string execution_id,
                           timestamp_ms now);

/// The newest version of every artifact the results name: a later step that rewrites a file
/// (apply_best_practices) supersedes the earlier record. Newest = latest created_at, and
/// for equal times the one reported last. Ordered by name.
std::vector<artifact> latest_artifacts(const std::vector<execution_result>& results);

}  // namespace ce::verifier
