// Rendering and checking, done once per distinct input: a component rendered for
// the same task context and requirements is the same bytes, so its text, its
// sha256 and its HCL check are kept in bounded memos and shared by pointer.
#pragma once

#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "actors/executor/best_practices.hpp"
#include "actors/executor/hcl_check.hpp"
#include "actors/executor/templates.hpp"
#include "messages/domain.hpp"
#include "messages/requirements.hpp"
#include "messages/workspace.hpp"

namespace ce::executor {

/// A file as the templates render it, with its checksum and its syntax check.
struct checked_file {
  rendered_file file;
  std::string refused;   // non-empty: the templates refused the requirements (file is empty)
  std::string checksum;  // sha256 of file.content
  hcl_file_report report;
};
using checked_file_ptr = std::shared_ptr<const checked_file>;

/// render_component + check_hcl + sha256, memoized. A refusal (std::invalid_argument from
/// the templates) is kept in `refused`; an unknown component still throws.
checked_file_ptr render_checked_component(cloud_provider, std::string_view component,
                                          const task_context&, const requirements&);
/// render_root_module (main.tf), memoized likewise.
checked_file_ptr render_checked_root_module(const task_context&, const requirements&);
/// render_outputs (outputs.tf), memoized likewise.
checked_file_ptr render_checked_outputs(const task_context&, const requirements&);

/// A key that is equal exactly when the workspace's .tf files (by name and sha256) and
/// the task context are: for memos of work that reads only those.
std::string module_key(const workspace& files, const task_context& context);

/// The bytes of a memoized rendering as a workspace file, shared with the memo (no copy).
workspace_file workspace_file_of(const checked_file_ptr& rendered);

/// check_hcl of a workspace file, memoized by its sha256.
std::shared_ptr<const hcl_file_report> checked_hcl(const workspace_file& file);

/// check_module of the workspace's .tf files, memoized by their names and sha256s.
std::shared_ptr<const hcl_set_report> checked_module(const workspace& files);

/// What apply_best_practices did to a workspace, with each changed file as a workspace file.
struct checked_practices {
  best_practice_outcome outcome;
  workspace changed;  // the new version of every file it changed
};

/// apply_best_practices of the workspace's .tf files, memoized by their names and sha256s,
/// the context and the requirements.
std::shared_ptr<const checked_practices> checked_best_practices(const workspace& files,
                                                                const task_context&,
                                                                const requirements&);

}  // namespace ce::executor
