// How deployment steps reach infrastructure.
//
// A driver plans, applies, verifies and destroys the Terraform module the
// previous steps wrote into a task's workspace. The built-in `simulated`
// driver touches no cloud: it answers like terraform would, from the files.
#pragma once

#include <chrono>
#include <memory>
#include <string>
#include <vector>

#include "messages/domain.hpp"

namespace ce::executor {

/// What one driver operation reports.
struct driver_outcome {
  bool ok = true;
  bool transient = false;         // a failure worth retrying
  std::string error_code, error;  // when !ok
  int to_add = 0, to_change = 0, to_destroy = 0;
  int resources_created = 0;  // by apply; destroyed count by destroy
  json_doc outputs;           // terraform-like outputs object
  std::vector<log_entry>
      logs;  // terraform-like lines ("Plan: 12 to add, 0 to change, 0 to destroy.")
};

/// How deployment steps reach infrastructure. The built-in `simulated` driver touches no cloud.
class deployment_driver {
 public:
  virtual ~deployment_driver() = default;
  virtual std::string name() const = 0;
  virtual driver_outcome plan(const std::string& workspace_dir, const task_context&) = 0;
  virtual driver_outcome apply(const std::string& workspace_dir, const task_context&) = 0;
  virtual driver_outcome verify(const std::string& workspace_dir, const task_context&) = 0;
  virtual driver_outcome destroy(const std::string& workspace_dir, const task_context&) = 0;
};

/// A driver that touches no cloud. It reads the workspace's *.tf files and keeps a fake
/// state in `<workspace>/terraform.tfstate.json`:
/// - plan counts the resource instances of the files (a literal `count` counts as given,
///   any other count or for_each as one) against the state;
/// - apply records every instance in the state with a deterministic fake id (from the
///   sha256 of address and workspace) and evaluates the `output` blocks against it;
/// - verify compares the state with the files ("nothing applied" without a state);
/// - destroy empties the state (destroying nothing succeeds with 0).
///
/// Faults for tests are injected through the optional requirements key "simulate":
///   "simulate": {
///     "fail_step": "apply_deployment",  // operation that fails: plan, apply, verify or destroy,
///                                       // with or without the "_deployment" suffix
///     "fail_times": 2,      // fail the first N attempts of it, then succeed; absent or <= 0:
///                           // every attempt fails. Attempts are counted in the workspace.
///     "transient": true,    // the failure is worth retrying (default false)
///     "error": "text",      // message of the failure (default: "simulated failure of apply")
///     "resources": 500,     // plan and apply report this many resources instead of the files'
///     "delay_ms": 2000      // every operation takes at least this long (at most 600000)
///   }
/// Two more keys hold the task itself in a phase (at most 60000 ms), so that a
/// cancel there can be tested: "planning_ms" and "verification_ms" (phase_pause).
/// Values of the wrong type are ignored.
std::unique_ptr<deployment_driver> make_simulated_driver();

enum class simulated_phase { planning, verification };

/// How long "simulate" holds a task in `phase` (0: not at all).
std::chrono::milliseconds phase_pause(const task_context&, simulated_phase phase);

/// Ends every simulated delay now and for good (the node is stopping).
void interrupt_simulated_work();

}  // namespace ce::executor
