// The domain vocabulary: tasks, plans, steps, risks, results, events.
//
// Every struct here may cross a process boundary (cluster mode), so each has a
// CAF 0.17 `inspect`. Free-form JSON objects of the contract (requirements,
// parameters, outputs, metadata, event data) travel as `json_doc`: canonical
// JSON text, parsed where a reader needs it.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include <caf/meta/type_name.hpp>

namespace ce {

/// Milliseconds since the Unix epoch (UTC).
using timestamp_ms = int64_t;

/// A free-form JSON object or value, kept as its serialized text.
struct json_doc {
  std::string text = "{}";
  bool empty_object() const { return text.empty() || text == "{}"; }
  friend bool operator==(const json_doc& a, const json_doc& b) { return a.text == b.text; }
};
template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, json_doc& x) {
  return f(caf::meta::type_name("json_doc"), x.text);
}

// ---- enumerations (serialized natively by CAF; no inspect for enums) -------

enum class task_type : uint8_t { generate, deploy, verify, rollback, analyze };
enum class task_status : uint8_t {
  pending,
  queued,
  planning,
  awaiting_approval,
  executing,
  verifying,
  completed,
  failed,
  cancelled
};
enum class priority : uint8_t { low, medium, high, critical };
enum class cloud_provider : uint8_t { aws, gcp, azure };
enum class plan_status : uint8_t { draft, approved, rejected, executing, completed };
enum class step_type : uint8_t { generate, validate, deploy, configure, verify };
enum class step_status : uint8_t { pending, running, completed, failed, skipped };
/// Used for risk severity, plan risk level and safety-check severity.
enum class severity : uint8_t { low, medium, high, critical };
enum class risk_category : uint8_t { security, cost, availability, performance, compliance };
enum class dependency_type : uint8_t { sequential, parallel };
enum class execution_status : uint8_t { success, failure, partial };
enum class artifact_type : uint8_t { terraform, kubernetes, script, config, documentation };
enum class verification_status : uint8_t { passed, failed, warning };
enum class check_status : uint8_t { passed, failed, warning, skipped };
/// Verification categories (the contract calls the field `type`).
enum class check_category : uint8_t { security, compliance, functionality, performance, cost };
enum class safety_phase : uint8_t { pre_execution, during_execution, post_execution };
enum class log_level : uint8_t { debug, info, warn, error };

inline bool is_terminal(task_status s) {
  return s == task_status::completed || s == task_status::failed || s == task_status::cancelled;
}

/// The life cycle: whether a task may move from `from` to `to`. Nothing leaves
/// a terminal state; anything else may fail or be cancelled; otherwise only
/// forward (pending, queued, planning, awaiting_approval, executing, verifying,
/// completed). Every status change, in the engine and in the task actor, goes
/// through transition() below, so this is the one guard of the life cycle.
bool can_transition(task_status from, task_status to);

// ---- enum <-> wire names ----------------------------------------------------
// to_string gives the contract's spelling; parse_* returns false on an unknown
// name and leaves the output untouched.

std::string_view to_string(task_type);
std::string_view to_string(task_status);
std::string_view to_string(priority);
std::string_view to_string(cloud_provider);
std::string_view to_string(plan_status);
std::string_view to_string(step_type);
std::string_view to_string(step_status);
std::string_view to_string(severity);
std::string_view to_string(risk_category);
std::string_view to_string(dependency_type);
std::string_view to_string(execution_status);
std::string_view to_string(artifact_type);
std::string_view to_string(verification_status);
std::string_view to_string(check_status);
std::string_view to_string(check_category);
std::string_view to_string(safety_phase);
std::string_view to_string(log_level);

bool parse(std::string_view, task_type&);
bool parse(std::string_view, task_status&);
bool parse(std::string_view, priority&);
bool parse(std::string_view, cloud_provider&);
bool parse(std::string_view, safety_phase&);

/// The spellings of every value of an enum, for "must be one of ..." messages.
template <class Enum>
std::vector<std::string_view> all_names();

// ---- caller identity ---------------------------------------------------------

/// What a caller may do. Declared weakest first.
///  viewer:   reads their own tasks, plans, events and artifacts;
///  operator: also creates, executes, cancels, resumes and rolls back their own;
///  approver: reads every user's tasks and plans and approves or rejects them;
///  admin:    everything, for every user.
enum class role : uint8_t { viewer, operator_, approver, admin };

std::string_view to_string(role);
bool parse(std::string_view, role&);

/// Who asked. Every request to the engine carries one. Without configured
/// tokens the node is open: the caller is `anonymous` (or the user a header
/// names), unauthenticated, and may do everything, as before tokens existed.
struct caller_identity {
  std::string user_id = "anonymous";
  bool authenticated = false;
  ce::role role = ce::role::admin;

  /// Sees every user's objects (admin, approver, or an open node's caller).
  bool sees_everyone() const { return role == ce::role::admin || role == ce::role::approver; }
  /// Whether an object owned by `owner` exists for this caller.
  bool may_see(const std::string& owner) const { return sees_everyone() || owner == user_id; }
};
template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, caller_identity& x) {
  return f(caf::meta::type_name("caller_identity"), x.user_id, x.authenticated, x.role);
}

// ---- tasks -------------------------------------------------------------------

struct task_context {
  cloud_provider provider = cloud_provider::aws;
  std::string environment;
  std::string region;  // empty: not given
  std::vector<std::string> components;
  json_doc requirements;
};
template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, task_context& x) {
  return f(caf::meta::type_name("task_context"), x.provider, x.environment, x.region, x.components,
           x.requirements);
}

struct task_execution_refs {
  std::string plan_id;
  std::string execution_id;
  std::string verification_id;
};
template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, task_execution_refs& x) {
  return f(caf::meta::type_name("task_execution_refs"), x.plan_id, x.execution_id,
           x.verification_id);
}

struct task_result {
  bool present = false;  // false: the task has no result yet
  bool success = false;
  json_doc outputs;
  std::vector<std::string> artifacts;  // artifact names
  std::vector<std::string> errors;
};
template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, task_result& x) {
  return f(caf::meta::type_name("task_result"), x.present, x.success, x.outputs, x.artifacts,
           x.errors);
}

struct task {
  std::string id;
  task_type type = task_type::generate;
  task_status status = task_status::pending;
  priority prio = priority::medium;
  std::string user_id;
  timestamp_ms created_at = 0;
  timestamp_ms updated_at = 0;
  timestamp_ms completed_at = 0;  // 0: not completed
  task_context context;
  task_execution_refs execution;
  task_result result;
  json_doc metadata;
  /// 1-based place in the run queue while `queued`, filled in when the task
  /// is read (it moves as others start); 0 otherwise.
  uint32_t queue_position = 0;
};
template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, task& x) {
  return f(caf::meta::type_name("task"), x.id, x.type, x.status, x.prio, x.user_id, x.created_at,
           x.updated_at, x.completed_at, x.context, x.execution, x.result, x.metadata,
           x.queue_position);
}

/// Moves `t` to `next` at `now` (completed_at too, for a terminal state) if the
/// life cycle allows it; otherwise false, and `t` is unchanged.
bool transition(task& t, task_status next, timestamp_ms now);

// ---- plans -------------------------------------------------------------------

struct risk {
  std::string id;
  severity level = severity::low;
  risk_category category = risk_category::security;
  std::string description;
  std::string mitigation;  // empty: none
  double probability = 0;  // 0..1
  double impact = 0;       // 0..1
};
template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, risk& x) {
  return f(caf::meta::type_name("risk"), x.id, x.level, x.category, x.description, x.mitigation,
           x.probability, x.impact);
}

struct plan_step {
  std::string id;
  int32_t order = 0;
  step_type type = step_type::generate;
  std::string description;
  std::string component;  // empty: not component-specific
  std::string action;
  json_doc parameters;
  step_status status = step_status::pending;
  timestamp_ms started_at = 0;    // 0: not started
  timestamp_ms completed_at = 0;  // 0: not finished
  int64_t duration_ms = -1;       // -1: unknown
  std::vector<std::string> depends_on;
  std::string rollback_action;  // empty: none
  json_doc rollback_parameters;
  int32_t parallel_stage = -1;  // set by optimize: steps of one stage may run together
};
template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, plan_step& x) {
  return f(caf::meta::type_name("plan_step"), x.id, x.order, x.type, x.description, x.component,
           x.action, x.parameters, x.status, x.started_at, x.completed_at, x.duration_ms,
           x.depends_on, x.rollback_action, x.rollback_parameters, x.parallel_stage);
}

struct plan_dependency {
  std::string step_id;
  std::vector<std::string> depends_on;
  dependency_type type = dependency_type::sequential;
};
template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, plan_dependency& x) {
  return f(caf::meta::type_name("plan_dependency"), x.step_id, x.depends_on, x.type);
}

struct plan {
  std::string id;
  std::string task_id;  // empty for plans made by POST /api/plans/generate
  plan_status status = plan_status::draft;
  timestamp_ms created_at = 0;
  timestamp_ms updated_at = 0;
  task_type type = task_type::generate;  // what the plan was made for
  task_context context;                  // what it was made from
  std::vector<plan_step> steps;
  std::vector<plan_dependency> dependencies;
  int64_t estimated_duration_s = 0;  // critical path, seconds
  double estimated_cost = 0;         // USD per month
  std::vector<risk> risks;
  severity risk_level = severity::low;
  bool requires_approval = false;
  std::string approved_by;  // empty: not approved
  timestamp_ms approved_at = 0;
};
template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, plan& x) {
  return f(caf::meta::type_name("plan"), x.id, x.task_id, x.status, x.created_at, x.updated_at,
           x.type, x.context, x.steps, x.dependencies, x.estimated_duration_s, x.estimated_cost,
           x.risks, x.risk_level, x.requires_approval, x.approved_by, x.approved_at);
}

/// Result of structural plan validation (cycles, missing deps, order).
struct plan_validation {
  bool valid = true;
  std::vector<std::string> errors;
};
template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, plan_validation& x) {
  return f(caf::meta::type_name("plan_validation"), x.valid, x.errors);
}

// ---- execution ---------------------------------------------------------------

struct artifact {
  std::string id;
  artifact_type type = artifact_type::terraform;
  std::string name;  // file name, e.g. "vpc.tf"; unique within a task
  std::string path;  // absolute path on the node that wrote it
  int64_t size = 0;
  std::string checksum;  // sha256, lower-case hex
  timestamp_ms created_at = 0;
};
template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, artifact& x) {
  return f(caf::meta::type_name("artifact"), x.id, x.type, x.name, x.path, x.size, x.checksum,
           x.created_at);
}

struct log_entry {
  timestamp_ms timestamp = 0;
  log_level level = log_level::info;
  std::string message;
  json_doc context;
};
template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, log_entry& x) {
  return f(caf::meta::type_name("log_entry"), x.timestamp, x.level, x.message, x.context);
}

struct execution_error {
  std::string code;  // empty: no error
  std::string message;
  json_doc details;
};
template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, execution_error& x) {
  return f(caf::meta::type_name("execution_error"), x.code, x.message, x.details);
}

/// What one plan step produced.
struct execution_result {
  std::string id;
  std::string plan_id;
  std::string step_id;
  execution_status status = execution_status::success;
  timestamp_ms started_at = 0;
  timestamp_ms completed_at = 0;
  int64_t duration_ms = 0;
  json_doc outputs;
  std::vector<artifact> artifacts;
  std::vector<log_entry> logs;
  execution_error error;
};
template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, execution_result& x) {
  return f(caf::meta::type_name("execution_result"), x.id, x.plan_id, x.step_id, x.status,
           x.started_at, x.completed_at, x.duration_ms, x.outputs, x.artifacts, x.logs, x.error);
}

// ---- verification ------------------------------------------------------------

struct verification_check {
  std::string id;
  check_category type = check_category::security;
  std::string name;
  std::string description;
  check_status status = check_status::passed;
  json_doc expected{""};    // a JSON value of its natural type; empty text: not given
  json_doc actual{""};      // likewise
  std::string error;        // empty: none
  std::string remediation;  // empty: none
};
template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, verification_check& x) {
  return f(caf::meta::type_name("verification_check"), x.id, x.type, x.name, x.description,
           x.status, x.expected, x.actual, x.error, x.remediation);
}

struct verification_result {
  std::string id;
  std::string execution_id;
  verification_status status = verification_status::passed;
  timestamp_ms started_at = 0;
  timestamp_ms completed_at = 0;
  std::vector<verification_check> checks;
  int32_t total_checks = 0;
  int32_t passed = 0;
  int32_t failed = 0;
  int32_t warnings = 0;
};
template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, verification_result& x) {
  return f(caf::meta::type_name("verification_result"), x.id, x.execution_id, x.status,
           x.started_at, x.completed_at, x.checks, x.total_checks, x.passed, x.failed, x.warnings);
}

// ---- safety ------------------------------------------------------------------

/// A registered safety check (GET /api/safety/checks).
struct safety_check_info {
  std::string id;
  std::string name;
  std::string description;
  safety_phase phase = safety_phase::pre_execution;
  risk_category category = risk_category::security;
  severity level = severity::medium;
};
template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, safety_check_info& x) {
  return f(caf::meta::type_name("safety_check_info"), x.id, x.name, x.description, x.phase,
           x.category, x.level);
}

struct safety_check_result {
  std::string check_id;
  std::string name;
  bool passed = true;
  severity level = severity::low;
  std::string message;
  json_doc details;
  bool can_proceed = true;
  bool requires_approval = false;
};
template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, safety_check_result& x) {
  return f(caf::meta::type_name("safety_check_result"), x.check_id, x.name, x.passed, x.level,
           x.message, x.details, x.can_proceed, x.requires_approval);
}

/// Outcome of one safety phase: passed unless a blocker (cannot proceed) failed.
struct safety_report {
  safety_phase phase = safety_phase::pre_execution;
  bool passed = true;
  bool requires_approval = false;
  std::vector<safety_check_result> results;
  std::vector<safety_check_result> blockers;
};
template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, safety_report& x) {
  return f(caf::meta::type_name("safety_report"), x.phase, x.passed, x.requires_approval, x.results,
           x.blockers);
}

// ---- events ------------------------------------------------------------------

struct event {
  std::string id;
  uint64_t seq = 0;  // strictly increasing per node
  std::string task_id;
  std::string type;  // task_created, plan_generated, ...
  timestamp_ms timestamp = 0;
  json_doc data;
  std::string user_id;  // empty: none
};
template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, event& x) {
  return f(caf::meta::type_name("event"), x.id, x.seq, x.task_id, x.type, x.timestamp, x.data,
           x.user_id);
}

}  // namespace ce
