// The actions plan steps name, run by each executor-step actor.
#pragma once

#include <functional>
#include <string>
#include <vector>

#include <boost/json/object.hpp>

#include "actors/executor/deployment_driver.hpp"
#include "messages/domain.hpp"
#include "messages/generator.hpp"
#include "messages/protocol.hpp"
#include "messages/requirements.hpp"

namespace ce::executor {

/// The Generator Service's answers to the calls remote_calls named, in that order.
struct remote_answers {
  std::vector<generator_reply> replies;
  bool fallback_builtin = false;  // a failed call hands over to the built-in generator
};

/// Everything one step's action needs.
struct action_input {
  const plan* p = nullptr;
  const plan_step* step = nullptr;
  const task_context* context = nullptr;
  requirements req;
  /// The files earlier steps left; null: none.
  const workspace* files = nullptr;
  /// <data-dir>/artifacts/<task_id>: where a deployment driver finds the files on disk.
  std::string workspace_dir;
  /// Results of the steps completed so far; null or empty for actions that do not read them.
  const std::vector<execution_result>* completed = nullptr;
  deployment_driver* driver = nullptr;
  std::string result_id;  // id for the execution_result
  std::function<std::string()> next_artifact_id;
  /// Null: the built-in generator. Else generate_component renders and
  /// apply_best_practices analyzes with these answers of the Generator Service.
  const remote_answers* remote = nullptr;
};

/// The calls to the Generator Service the step's action makes when one is configured:
/// generate_component renders its template, apply_best_practices analyzes and autofixes
/// each component; empty for the other actions.
std::vector<generator_request> remote_calls(const action_input&, const std::string& task_id);

/// Runs the step's action and returns its result with the files it wrote. Expected failures
/// (invalid code, driver failure, unknown action, a file a driver cannot write) come back as
/// status failure with error{code, message}; only bugs throw.
///
/// Actions: validate_requirements (writes main.tf and outputs.tf), generate_component,
/// validate_generated_code, apply_best_practices, plan_deployment, apply_deployment,
/// verify_deployment, destroy_deployment, generate_documentation.
step_outcome run_action(const action_input&);

/// The action names run_action understands.
std::vector<std::string> known_actions();

/// Whether the action reads the results of the steps before it (action_input::completed):
/// only those get them in their job, the rest are spared the copy.
bool reads_earlier_results(const std::string& action);

/// The outputs a finished task reports for its steps, as the original service did: every
/// step's `validated`, `provider`, `components`, `component`, `code_size`, `artifact_id`,
/// `syntax_valid`, `terraform_version`, `provider_versions`, `resources_count`,
/// `violations_found`, `violations_fixed`, `compliance_score` and `artifacts_generated`,
/// merged in the order of `results` (a later step's value wins).
boost::json::object summary_outputs(const std::vector<execution_result>& results);

}  // namespace ce::executor
