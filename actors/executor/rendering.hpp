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

/// check_hcl of a text, memoized by the text.
std::shared_ptr<const hcl_file_report> checked_hcl(std::string_view content);

/// check_module of a set of files, memoized by their names and contents.
std::shared_ptr<const hcl_set_report> checked_module(
    const std::vector<std::pair<std::string, std::string>>& files);

/// apply_best_practices, memoized by the files, the context and the requirements.
std::shared_ptr<const best_practice_outcome> checked_best_practices(
    const std::vector<std::pair<std::string, std::string>>& files, const task_context&,
    const requirements&);

}  // namespace ce::executor
