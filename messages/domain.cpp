#include "messages/domain.hpp"

#include "messages/protocol.hpp"

#include <array>

namespace ce {

namespace {

// One table per enum, indexed by the enum's value.
template <class Enum, size_t N>
struct names {
  std::array<std::string_view, N> spelled;
  std::string_view get(Enum e) const {
    auto i = static_cast<size_t>(e);
    return i < N ? spelled[i] : std::string_view{"unknown"};
  }
  bool find(std::string_view s, Enum& out) const {
    for (size_t i = 0; i < N; ++i)
      if (spelled[i] == s) {
        out = static_cast<Enum>(i);
        return true;
      }
    return false;
  }
  std::vector<std::string_view> all() const { return {spelled.begin(), spelled.end()}; }
};

constexpr names<task_type, 5> task_type_names{
    {"generate", "deploy", "verify", "rollback", "analyze"}};
constexpr names<task_status, 9> task_status_names{{"pending", "queued", "planning",
                                                   "awaiting_approval", "executing", "verifying",
                                                   "completed", "failed", "cancelled"}};
constexpr names<priority, 4> priority_names{{"low", "medium", "high", "critical"}};
constexpr names<cloud_provider, 3> provider_names{{"aws", "gcp", "azure"}};
constexpr names<plan_status, 5> plan_status_names{
    {"draft", "approved", "rejected", "executing", "completed"}};
constexpr names<step_type, 5> step_type_names{
    {"generate", "validate", "deploy", "configure", "verify"}};
constexpr names<step_status, 5> step_status_names{
    {"pending", "running", "completed", "failed", "skipped"}};
constexpr names<severity, 4> severity_names{{"low", "medium", "high", "critical"}};
constexpr names<risk_category, 5> risk_category_names{
    {"security", "cost", "availability", "performance", "compliance"}};
constexpr names<dependency_type, 2> dependency_type_names{{"sequential", "parallel"}};
constexpr names<execution_status, 3> execution_status_names{{"success", "failure", "partial"}};
constexpr names<artifact_type, 5> artifact_type_names{
    {"terraform", "kubernetes", "script", "config", "documentation"}};
constexpr names<verification_status, 3> verification_status_names{{"passed", "failed", "warning"}};
constexpr names<check_status, 4> check_status_names{{"passed", "failed", "warning", "skipped"}};
constexpr names<check_category, 5> check_category_names{
    {"security", "compliance", "functionality", "performance", "cost"}};
constexpr names<safety_phase, 3> safety_phase_names{
    {"pre_execution", "during_execution", "post_execution"}};
constexpr names<log_level, 4> log_level_names{{"debug", "info", "warn", "error"}};
constexpr names<role, 4> role_names{{"viewer", "operator", "approver", "admin"}};

}  // namespace

std::string_view to_string(role x) {
  return role_names.get(x);
}

bool parse(std::string_view s, role& x) {
  return role_names.find(s, x);
}

std::string_view to_string(task_type x) {
  return task_type_names.get(x);
}
std::string_view to_string(task_status x) {
  return task_status_names.get(x);
}
std::string_view to_string(priority x) {
  return priority_names.get(x);
}
std::string_view to_string(cloud_provider x) {
  return provider_names.get(x);
}
std::string_view to_string(plan_status x) {
  return plan_status_names.get(x);
}
std::string_view to_string(step_type x) {
  return step_type_names.get(x);
}
std::string_view to_string(step_status x) {
  return step_status_names.get(x);
}
std::string_view to_string(severity x) {
  return severity_names.get(x);
}
std::string_view to_string(risk_category x) {
  return risk_category_names.get(x);
}
std::string_view to_string(dependency_type x) {
  return dependency_type_names.get(x);
}
std::string_view to_string(execution_status x) {
  return execution_status_names.get(x);
}
std::string_view to_string(artifact_type x) {
  return artifact_type_names.get(x);
}
std::string_view to_string(verification_status x) {
  return verification_status_names.get(x);
}
std::string_view to_string(check_status x) {
  return check_status_names.get(x);
}
std::string_view to_string(check_category x) {
  return check_category_names.get(x);
}
std::string_view to_string(safety_phase x) {
  return safety_phase_names.get(x);
}
std::string_view to_string(log_level x) {
  return log_level_names.get(x);
}

bool parse(std::string_view s, task_type& x) {
  return task_type_names.find(s, x);
}
bool parse(std::string_view s, task_status& x) {
  return task_status_names.find(s, x);
}
bool parse(std::string_view s, priority& x) {
  return priority_names.find(s, x);
}
bool parse(std::string_view s, cloud_provider& x) {
  return provider_names.find(s, x);
}
bool parse(std::string_view s, safety_phase& x) {
  return safety_phase_names.find(s, x);
}

template <>
std::vector<std::string_view> all_names<task_type>() {
  return task_type_names.all();
}
template <>
std::vector<std::string_view> all_names<task_status>() {
  return task_status_names.all();
}
template <>
std::vector<std::string_view> all_names<priority>() {
  return priority_names.all();
}
template <>
std::vector<std::string_view> all_names<cloud_provider>() {
  return provider_names.all();
}
template <>
std::vector<std::string_view> all_names<safety_phase>() {
  return safety_phase_names.all();
}

std::size_t page_bytes(const task& t) {
  std::size_t bytes = 512 + t.metadata.text.size() + t.context.requirements.text.size() +
                      t.result.outputs.text.size();
  for (const auto& e : t.result.errors) bytes += e.size();
  return bytes;
}

std::size_t page_bytes(const event& e) {
  return 256 + e.data.text.size();
}

bool can_transition(task_status from, task_status to) {
  using s = task_status;
  if (is_terminal(from)) return false;
  if (to == s::cancelled || to == s::failed) return true;
  switch (from) {
    case s::pending:
      return to == s::queued || to == s::planning;
    case s::queued:
      return to == s::planning;
    case s::planning:
      return to == s::awaiting_approval || to == s::executing;
    case s::awaiting_approval:
      return to == s::executing;
    case s::executing:
      return to == s::verifying;
    case s::verifying:
      return to == s::completed;
    default:
      return false;
  }
}

bool transition(task& t, task_status next, timestamp_ms now) {
  if (!can_transition(t.status, next)) return false;
  t.status = next;
  t.updated_at = now;
  if (is_terminal(next)) t.completed_at = now;
  return true;
}

}  // namespace ce
