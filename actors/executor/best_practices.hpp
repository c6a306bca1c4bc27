// Hardening of a generated module: the rules the apply_best_practices step
// enforces on the Terraform files before anything is deployed.
#pragma once

#include <string>
#include <utility>
#include <vector>

#include "actors/executor/templates.hpp"
#include "messages/domain.hpp"
#include "messages/requirements.hpp"

namespace ce::executor {

/// One change a rule made.
struct best_practice_fix {
  std::string rule;         // required_tags, encryption_at_rest, no_public_access, backups, logging
  std::string file;         // "rds.tf"
  std::string resource;     // "aws_db_instance.main"
  std::string description;  // what was changed, as a sentence
};

/// What apply_best_practices did.
struct best_practice_outcome {
  std::vector<rendered_file> changed_files;  // full new content of every file it changed
  std::vector<best_practice_fix> fixes;
  /// Sentences for what a rule found but must not fix because the requirements ask for it
  /// (encryption: false, public_access: true).
  std::vector<std::string> unresolved;
};

/// Applies real rules to the module's files and returns the files it changed plus what it fixed:
/// - required_tags: Environment, ManagedBy = "core-engine" and Project on every taggable
///   resource (aws/azure `tags`, gcp `labels` with lower-case keys);
/// - encryption_at_rest: databases, disks and buckets encrypted (unresolved if
///   requirements.encryption is false);
/// - no_public_access: an S3 public access block per bucket, databases not publicly
///   accessible, public access to gcs/azure storage prevented;
/// - backups: database backups kept at least 7 days in production;
/// - logging (if requirements.enable_logging): VPC flow logs, EKS control plane logs, GKE
///   logging and subnet flow logs, Azure diagnostic settings to a Log Analytics workspace.
/// Applying it to its own output changes nothing.
best_practice_outcome apply_best_practices(
    const std::vector<std::pair<std::string, std::string>>& files, const task_context&,
    const requirements&);

}  // namespace ce::executor
