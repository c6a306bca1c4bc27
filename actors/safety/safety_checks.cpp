#include "actors/safety/safety_checks.hpp"

#include <algorithm>
#include <cctype>
#include <cmath>
#include <cstdio>
#include <string>

#include <boost/json.hpp>

#include "messages/json_codec.hpp"

#include "actors/executor/artifacts.hpp"
#include "actors/planner/catalog.hpp"
#include "actors/verifier/verifier.hpp"
#include "messages/requirements.hpp"
#include "messages/text.hpp"

namespace ce::safety {

namespace {

namespace json = boost::json;

constexpr timestamp_ms rate_window_ms = 60'000;  // "per minute"

// RFC 1918 private ranges; a network must lie inside one of them.
struct ipv4_block {
  uint32_t address;
  int prefix;
};
constexpr ipv4_block private_blocks[] = {
    {0x0A000000u, 8},   // 10.0.0.0/8
    {0xAC100000u, 12},  // 172.16.0.0/12
    {0xC0A80000u, 16},  // 192.168.0.0/16
};
// Cloud networks accept /16 (largest) to /28 (smallest).
constexpr int widest_network_prefix = 16;
constexpr int narrowest_network_prefix = 28;

const std::vector<safety_check_info> all_checks = {
    {"production_approval", "Production approval",
     "Production environments and plans at or above the approval risk threshold wait for a "
     "human approval before anything runs.",
     safety_phase::pre_execution, risk_category::compliance, severity::high},
    {"cost_limit", "Cost limit",
     "The plan's estimated monthly cost stays within requirements.cost_limit, or the node's "
     "limit when none is given.",
     safety_phase::pre_execution, risk_category::cost, severity::high},
    {"best_practices_step", "Best practices step",
     "The plan applies best practices (encryption, tagging, logging, least privilege) to the "
     "generated code before any deployment step.",
     safety_phase::pre_execution, risk_category::security, severity::high},
    {"backup_strategy", "Backup strategy",
     "Stateful components keep automated backups; disabling them is refused in production.",
     safety_phase::pre_execution, risk_category::availability, severity::high},
    {"rollback_coverage", "Rollback coverage",
     "Every step that changes deployed infrastructure can be rolled back or waits for an "
     "approval; destructive steps always wait for an approval.",
     safety_phase::pre_execution, risk_category::availability, severity::high},
    {"region_valid", "Region valid",
     "The requested region exists for the provider (no region means the provider default).",
     safety_phase::pre_execution, risk_category::availability, severity::medium},
    {"components_supported", "Components supported",
     "Every requested component is in the provider's catalog.", safety_phase::pre_execution,
     risk_category::availability, severity::high},
    {"network_cidr", "Network CIDR",
     "The network range is a valid IPv4 CIDR inside RFC 1918 private space, between /16 and "
     "/28.",
     safety_phase::pre_execution, risk_category::security, severity::high},
    {"versions_supported", "Versions supported",
     "The requested Kubernetes version and database engine are supported by the provider.",
     safety_phase::pre_execution, risk_category::availability, severity::high},
    {"encryption_enabled", "Encryption enabled", "Encryption at rest is not turned off.",
     safety_phase::pre_execution, risk_category::security, severity::critical},
    {"resource_creation_rate", "Resource creation rate",
     "No more resources are created per minute than the policy allows, which stops runaway "
     "loops.",
     safety_phase::during_execution, risk_category::cost, severity::high},
    {"execution_timeout", "Execution timeout",
     "The execution finishes within the policy's time limit.", safety_phase::during_execution,
     risk_category::availability, severity::high},
    {"deployment_verified", "Deployment verified",
     "A deployment passed its verification step; generated code was produced by every "
     "generate step and is intact on disk.",
     safety_phase::post_execution, risk_category::availability, severity::high},
    {"cost_anomaly", "Cost anomaly",
     "The actual monthly cost reported by the execution is not far above the plan's estimate.",
     safety_phase::post_execution, risk_category::cost, severity::medium},
    {"security_posture", "Security posture",
     "The verification found no failed security check in what was produced.",
     safety_phase::post_execution, risk_category::security, severity::high},
};

const safety_check_info& info_of(std::string_view id) {
  for (const auto& check : all_checks)
    if (check.id == id) return check;
  // Every id used below is registered; reaching here is a programming error.
  return all_checks.front();
}

json::array to_json_array(const std::vector<std::string>& items) {
  json::array out;
  for (const auto& item : items) out.emplace_back(item);
  return out;
}

/// A passed result at the check's registered severity.
safety_check_result passed(std::string_view id, std::string message, json::object details) {
  const auto& info = info_of(id);
  safety_check_result r;
  r.check_id = info.id;
  r.name = info.name;
  r.passed = true;
  r.level = info.level;
  r.message = std::move(message);
  r.details.text = codec::serialize(details);
  return r;
}

/// A failed result that stops the execution.
safety_check_result blocker(std::string_view id, std::string message, json::object details) {
  auto r = passed(id, std::move(message), std::move(details));
  r.passed = false;
  r.can_proceed = false;
  return r;
}

/// A failed result that is reported but lets the execution go on.
safety_check_result warning(std::string_view id, std::string message, json::object details) {
  auto r = passed(id, std::move(message), std::move(details));
  r.passed = false;
  return r;
}

safety_report make_report(safety_phase phase, std::vector<safety_check_result> results) {
  safety_report report;
  report.phase = phase;
  for (const auto& r : results) {
    if (!r.passed && !r.can_proceed) report.blockers.push_back(r);
    if (r.requires_approval) report.requires_approval = true;
  }
  report.passed = report.blockers.empty();
  report.results = std::move(results);
  return report;
}

/// A post-execution result's `score` and the `threshold` it must reach, as the original
/// reported them (its security-score check); both in `details`.
json::object scored(json::object details, double score, double threshold) {
  details["score"] = std::round(score * 100) / 100;
  details["threshold"] = threshold;
  return details;
}

/// 100 * good / total, or 0 when there is nothing to count.
double percent(int good, int total) {
  return total > 0 ? 100.0 * good / total : 0.0;
}

json::object parse_object(const json_doc& doc) {
  boost::system::error_code ec;
  auto value = json::parse(doc.text, ec);
  if (ec || !value.is_object()) return {};
  return std::move(value.get_object());
}

bool is_destructive(const plan_step& step) {
  if (step.action.rfind("destroy_", 0) == 0) return true;
  const auto parameters = parse_object(step.parameters);
  const auto* flag = parameters.if_contains("destructive");
  return flag && flag->is_bool() && flag->get_bool();
}

/// Steps that change real infrastructure; plan_deployment only computes a diff.
bool changes_infrastructure(const plan_step& step) {
  return step.type == step_type::deploy && step.action != "plan_deployment";
}

std::vector<const planner::component_spec*> known_components(const task_context& context) {
  std::vector<const planner::component_spec*> specs;
  for (const auto& name : context.components)
    if (const auto* spec = planner::find_component(context.provider, name)) specs.push_back(spec);
  return specs;
}

// ---- the ten pre-execution checks -------------------------------------------

/// Why the plan needs an approval, empty when it does not.
std::vector<std::string> approval_reasons(const plan& p, const safety_policy& policy) {
  std::vector<std::string> reasons;
  if (policy.production_requires_approval && is_production(p.context.environment))
    reasons.push_back("the environment is production (" + p.context.environment + ")");
  if (p.risk_level >= policy.approval_risk_threshold)
    reasons.push_back("the plan's risk level " + std::string(to_string(p.risk_level)) +
                      " is at or above " + std::string(to_string(policy.approval_risk_threshold)));
  return reasons;
}

safety_check_result check_production_approval(const plan& p, const safety_policy& policy) {
  const auto reasons = approval_reasons(p, policy);
  json::object details{{"environment", p.context.environment},
                       {"risk_level", to_string(p.risk_level)},
                       {"approval_risk_threshold", to_string(policy.approval_risk_threshold)},
                       {"reasons", to_json_array(reasons)}};
  if (reasons.empty())
    return passed("production_approval",
                  "No approval needed: the environment is not production and the risk level " +
                      std::string(to_string(p.risk_level)) + " is below " +
                      std::string(to_string(policy.approval_risk_threshold)) + ".",
                  std::move(details));
  auto r = passed("production_approval",
                  "Approval required before execution because " + join(reasons) + ".",
                  std::move(details));
  r.requires_approval = true;
  return r;
}

safety_check_result check_cost_limit(const plan& p, const requirements& reqs,
                                     const safety_policy& policy) {
  const bool from_requirements = reqs.cost_limit > 0;
  const double limit = from_requirements ? reqs.cost_limit : policy.cost_limit_usd;
  json::object details{{"estimated_cost_usd", p.estimated_cost},
                       {"limit_usd", limit},
                       {"limit_source", from_requirements ? "requirements" : "policy"}};
  if (p.estimated_cost > limit)
    return blocker("cost_limit",
                   "Estimated cost " + usd_per_month(p.estimated_cost) + " exceeds the limit of " +
                       usd_per_month(limit) + ".",
                   std::move(details));
  return passed("cost_limit",
                "Estimated cost " + usd_per_month(p.estimated_cost) + " is within the limit of " +
                    usd_per_month(limit) + ".",
                std::move(details));
}

safety_check_result check_best_practices_step(const plan& p) {
  const plan_step* best_practices = nullptr;
  bool produces_or_deploys = false;
  std::vector<std::string> deploy_steps_before;
  for (const auto& step : p.steps)
    if (step.action == "apply_best_practices") best_practices = &step;
  for (const auto& step : p.steps) {
    if (step.action == "generate_component" || step.type == step_type::deploy)
      produces_or_deploys = true;
    if (step.type == step_type::deploy && (!best_practices || step.order <= best_practices->order))
      deploy_steps_before.push_back(step.id);
  }
  json::object details{{"best_practices_step", best_practices ? best_practices->id : ""},
                       {"deployment_steps_not_after_it", to_json_array(deploy_steps_before)}};
  if (!produces_or_deploys)
    return passed("best_practices_step",
                  "The plan neither generates code nor deploys, so no best-practices step is "
                  "needed.",
                  std::move(details));
  if (!best_practices)
    return blocker("best_practices_step",
                   "The plan has no apply_best_practices step, so the generated code would not "
                   "get encryption, tagging and logging fixes.",
                   std::move(details));
  if (!deploy_steps_before.empty())
    return blocker("best_practices_step",
                   "Deployment steps " + join(deploy_steps_before) +
                       " run before or together with apply_best_practices (order " +
                       std::to_string(best_practices->order) + ").",
                   std::move(details));
  return passed("best_practices_step",
                "apply_best_practices (order " + std::to_string(best_practices->order) +
                    ") runs before every deployment step.",
                std::move(details));
}

safety_check_result check_backup_strategy(const plan& p, const requirements& reqs) {
  std::vector<std::string> stateful;
  for (const auto* spec : known_components(p.context))
    if (spec->stateful) stateful.push_back(spec->name);
  const int days = effective_backup_days(reqs, p.context.environment);
  const bool production = is_production(p.context.environment);
  json::object details{{"stateful_components", to_json_array(stateful)},
                       {"backup_retention_days", days},
                       {"production", production}};
  if (stateful.empty())
    return passed("backup_strategy", "No stateful component in the plan needs backups.",
                  std::move(details));
  if (days == 0 && production)
    return blocker("backup_strategy",
                   "Backups are disabled (backup_retention_days 0) for " + join(stateful) +
                       " in production; keep at least 7 days.",
                   std::move(details));
  if (days == 0)
    return warning("backup_strategy",
                   "Backups are disabled (backup_retention_days 0) for " + join(stateful) +
                       " in the " + p.context.environment + " environment.",
                   std::move(details));
  // The production default is a week of backups; less is allowed but reported.
  if (production && days < 7)
    return warning("backup_strategy",
                   "Backups of " + join(stateful) + " are kept " + std::to_string(days) +
                       " days in production, less than the recommended 7.",
                   std::move(details));
  return passed("backup_strategy",
                "Backups of " + join(stateful) + " are kept " + std::to_string(days) + " days.",
                std::move(details));
}

safety_check_result check_rollback_coverage(const plan& p, const safety_policy& policy) {
  std::vector<std::string> destructive, reversible, unprotected;
  for (const auto& step : p.steps) {
    if (!changes_infrastructure(step)) continue;
    if (is_destructive(step))
      destructive.push_back(step.id);
    else if (!step.rollback_action.empty())
      reversible.push_back(step.id);
    else
      unprotected.push_back(step.id);
  }
  const bool approval_gate = !approval_reasons(p, policy).empty() || !destructive.empty();
  json::object details{{"destructive_steps", to_json_array(destructive)},
                       {"steps_with_rollback", to_json_array(reversible)},
                       {"steps_without_rollback", to_json_array(unprotected)},
                       {"gated_by_approval", approval_gate}};
  if (!unprotected.empty() && !approval_gate)
    return blocker("rollback_coverage",
                   "Steps " + join(unprotected) +
                       " change infrastructure without a rollback action and without an "
                       "approval.",
                   std::move(details));
  if (!destructive.empty()) {
    auto r = passed(
        "rollback_coverage",
        "Destructive steps " + join(destructive) + " cannot be undone and wait for an approval.",
        std::move(details));
    r.requires_approval = true;
    return r;
  }
  if (reversible.empty() && unprotected.empty())
    return passed("rollback_coverage", "The plan changes no deployed infrastructure.",
                  std::move(details));
  return passed(
      "rollback_coverage",
      unprotected.empty()
          ? "Every infrastructure change has a rollback action (" + join(reversible) + ")."
          : "Steps " + join(unprotected) + " have no rollback action but wait for an approval.",
      std::move(details));
}

safety_check_result check_region(const plan& p) {
  const std::string provider(to_string(p.context.provider));
  if (p.context.region.empty()) {
    const auto region = planner::default_region(p.context.provider);
    return passed("region_valid",
                  "No region given: the " + provider + " default " + region + " is used.",
                  {{"region", region}, {"default", true}});
  }
  json::object details{{"region", p.context.region}, {"provider", provider}};
  if (!planner::region_valid(p.context.provider, p.context.region)) {
    details["known_regions"] = to_json_array(planner::known_regions(p.context.provider));
    return blocker("region_valid",
                   "Region '" + p.context.region + "' is not a region of " + provider + ".",
                   std::move(details));
  }
  return passed("region_valid",
                "Region " + p.context.region + " is a known " + provider + " region.",
                std::move(details));
}

safety_check_result check_components(const plan& p) {
  const std::string provider(to_string(p.context.provider));
  std::vector<std::string> unknown;
  for (const auto& name : p.context.components)
    if (!planner::find_component(p.context.provider, name)) unknown.push_back(name);
  json::object details{{"components", to_json_array(p.context.components)},
                       {"unsupported", to_json_array(unknown)}};
  if (p.context.components.empty())
    return blocker("components_supported", "The plan names no component.", std::move(details));
  if (!unknown.empty()) {
    details["supported"] = to_json_array(planner::component_names(p.context.provider));
    return blocker("components_supported",
                   "Components " + join(unknown) + " are not supported on " + provider + ".",
                   std::move(details));
  }
  return passed(
      "components_supported",
      "All components (" + join(p.context.components) + ") are supported on " + provider + ".",
      std::move(details));
}

/// Parses "a.b.c.d/n" strictly: four decimal octets 0..255 and a prefix 0..32.
bool parse_ipv4_cidr(const std::string& text, uint32_t& address, int& prefix) {
  uint32_t value = 0;
  size_t pos = 0;
  for (int octet = 0; octet < 4; ++octet) {
    size_t digits = 0;
    uint32_t part = 0;
    while (pos < text.size() && text[pos] >= '0' && text[pos] <= '9' && digits < 3) {
      part = part * 10 + static_cast<uint32_t>(text[pos] - '0');
      ++pos;
      ++digits;
    }
    if (digits == 0 || part > 255) return false;
    value = (value << 8) | part;
    const char separator = octet < 3 ? '.' : '/';
    if (pos >= text.size() || text[pos] != separator) return false;
    ++pos;
  }
  size_t digits = 0;
  int bits = 0;
  while (pos < text.size() && text[pos] >= '0' && text[pos] <= '9' && digits < 2) {
    bits = bits * 10 + (text[pos] - '0');
    ++pos;
    ++digits;
  }
  if (digits == 0 || pos != text.size() || bits > 32) return false;
  address = value;
  prefix = bits;
  return true;
}

uint32_t prefix_mask(int prefix) {
  return prefix == 0 ? 0u : ~uint32_t{0} << (32 - prefix);
}

safety_check_result check_network_cidr(const requirements& reqs) {
  const std::string& cidr = reqs.vpc_cidr;
  json::object details{{"cidr", cidr},
                       {"allowed_prefixes", "/" + std::to_string(widest_network_prefix) + "../" +
                                                std::to_string(narrowest_network_prefix)}};
  uint32_t address = 0;
  int prefix = 0;
  if (!parse_ipv4_cidr(cidr, address, prefix))
    return blocker("network_cidr",
                   "Network range '" + cidr + "' is not an IPv4 CIDR like 10.0.0.0/16.",
                   std::move(details));
  if (prefix < widest_network_prefix || prefix > narrowest_network_prefix)
    return blocker("network_cidr",
                   "Network range " + cidr + " has prefix /" + std::to_string(prefix) +
                       "; cloud networks need /" + std::to_string(widest_network_prefix) + " to /" +
                       std::to_string(narrowest_network_prefix) + ".",
                   std::move(details));
  if ((address & ~prefix_mask(prefix)) != 0)
    return blocker(
        "network_cidr",
        "Network range " + cidr + " has host bits set; give the network address of the range.",
        std::move(details));
  const bool private_range =
      std::any_of(std::begin(private_blocks), std::end(private_blocks), [&](const ipv4_block& b) {
        return prefix >= b.prefix && (address & prefix_mask(b.prefix)) == b.address;
      });
  if (!private_range)
    return blocker("network_cidr",
                   "Network range " + cidr +
                       " is not private address space (RFC 1918: 10.0.0.0/8, 172.16.0.0/12, "
                       "192.168.0.0/16).",
                   std::move(details));
  return passed("network_cidr", "Network range " + cidr + " is private RFC 1918 space.",
                std::move(details));
}

bool contains(const std::vector<std::string>& items, const std::string& item) {
  return std::find(items.begin(), items.end(), item) != items.end();
}

safety_check_result check_versions(const plan& p, const requirements& reqs) {
  const auto provider = p.context.provider;
  bool has_kubernetes = false, has_database = false;
  for (const auto* spec : known_components(p.context)) {
    has_kubernetes |= spec->kind == planner::component_kind::kubernetes;
    has_database |= spec->kind == planner::component_kind::database;
  }
  const auto& versions = planner::supported_kubernetes_versions(provider);
  const auto& engines = planner::supported_db_engines(provider);
  std::vector<std::string> problems;
  json::object details;
  if (has_kubernetes && reqs.has_kubernetes_version) {
    details["kubernetes_version"] = reqs.kubernetes_version;
    if (!contains(versions, reqs.kubernetes_version)) {
      details["supported_kubernetes_versions"] = to_json_array(versions);
      problems.push_back("Kubernetes version " + reqs.kubernetes_version +
                         " is not supported (supported: " + join(versions) + ")");
    }
  }
  if (has_database) {
    details["db_engine"] = reqs.db_engine;
    if (!contains(engines, reqs.db_engine)) {
      details["supported_db_engines"] = to_json_array(engines);
      problems.push_back("database engine " + reqs.db_engine + " is not offered on " +
                         std::string(to_string(provider)) + " (supported: " + join(engines) + ")");
    }
  }
  if (!problems.empty()) {
    std::string message;
    for (const auto& problem : problems) message += (message.empty() ? "" : "; ") + problem;
    message[0] = static_cast<char>(std::toupper(static_cast<unsigned char>(message[0])));
    return blocker("versions_supported", message + ".", std::move(details));
  }
  if (!has_kubernetes && !has_database)
    return passed("versions_supported", "No Kubernetes cluster or database in the plan.",
                  std::move(details));
  return passed("versions_supported",
                "The requested Kubernetes version and database engine are supported.",
                std::move(details));
}

safety_check_result check_encryption(const requirements& reqs) {
  json::object details{{"encryption", reqs.encryption}};
  if (!reqs.encryption)
    return blocker("encryption_enabled",
                   "Encryption at rest is turned off (requirements.encryption false); stored "
                   "data and backups must be encrypted.",
                   std::move(details));
  return passed("encryption_enabled", "Encryption at rest is enabled.", std::move(details));
}

// ---- post-execution helpers ---------------------------------------------------

const execution_result* result_of(const std::vector<execution_result>& results,
                                  const std::string& step_id) {
  // The last result of a step wins: a retried step reports again.
  const execution_result* found = nullptr;
  for (const auto& r : results)
    if (r.step_id == step_id) found = &r;
  return found;
}

/// A number from a step's outputs, if the step reported one under `key`.
bool output_number(const execution_result& r, const char* key, double& out) {
  const auto outputs = parse_object(r.outputs);
  const auto* value = outputs.if_contains(key);
  if (!value || !value->is_number()) return false;
  out = value->to_number<double>();
  return true;
}

/// Whether an artifact is intact: held with its recorded bytes, or, without the files at
/// hand, not named by a failed artifacts_intact check of the verification.
bool artifact_intact(const artifact& a, const workspace* files,
                     const verification_result& verification) {
  if (files) return holds(*files, a);
  for (const auto& check : verification.checks)
    if (check.id == "artifacts_intact" && check.status == check_status::failed)
      return check.error.find(a.name + " is missing") == std::string::npos;
  return true;
}

safety_check_result check_deployment_verified(const plan& p,
                                              const std::vector<execution_result>& results,
                                              const verification_result& verification,
                                              const workspace* files) {
  const plan_step* verify_step = nullptr;
  for (const auto& step : p.steps)
    if (step.action == "verify_deployment") verify_step = &step;
  if (verify_step) {
    const auto* r = result_of(results, verify_step->id);
    const bool verified = r && r->status == execution_status::success;
    // The score is 100 when the verification step succeeded; anything less blocks.
    json::object details =
        scored({{"step", verify_step->id}, {"status", r ? to_string(r->status) : "missing"}},
               verified ? 100 : 0, 100);
    if (!verified)
      return blocker("deployment_verified",
                     r ? "Deployment verification (" + verify_step->id + ") ended with status " +
                             std::string(to_string(r->status)) + "."
                       : "Deployment verification (" + verify_step->id + ") never ran.",
                     std::move(details));
    return passed("deployment_verified", "Deployment verification succeeded.", std::move(details));
  }
  std::vector<std::string> failed_steps, broken_artifacts;
  int generate_steps = 0, artifacts = 0;
  for (const auto& step : p.steps) {
    if (step.action != "generate_component") continue;
    ++generate_steps;
    const auto* r = result_of(results, step.id);
    if (!r || r->status != execution_status::success) failed_steps.push_back(step.id);
  }
  // A file rewritten by a later step (apply_best_practices) is judged by its newest record.
  for (const auto& a : verifier::latest_artifacts(results)) {
    ++artifacts;
    if (!artifact_intact(a, files, verification)) broken_artifacts.push_back(a.name);
  }
  // The score: the share of generate steps and artifacts that are as they should be.
  const int checked = generate_steps + artifacts;
  const int good = checked - static_cast<int>(failed_steps.size() + broken_artifacts.size());
  json::object details = scored({{"generate_steps", generate_steps},
                                 {"failed_or_missing_steps", to_json_array(failed_steps)},
                                 {"artifacts", artifacts},
                                 {"artifacts_not_intact", to_json_array(broken_artifacts)}},
                                checked > 0 ? percent(good, checked) : 100, 100);
  if (!failed_steps.empty())
    return blocker("deployment_verified",
                   "Generate steps " + join(failed_steps) + " did not succeed.",
                   std::move(details));
  if (!broken_artifacts.empty())
    return blocker(
        "deployment_verified",
        "Artifacts " + join(broken_artifacts) + " are missing or no longer match their checksum.",
        std::move(details));
  return passed("deployment_verified",
                "All " + std::to_string(generate_steps) + " generate steps succeeded and all " +
                    std::to_string(artifacts) + " artifacts match their checksums.",
                std::move(details));
}

safety_check_result check_cost_anomaly(const plan& p, const std::vector<execution_result>& results,
                                       const safety_policy& policy) {
  // Steps that deployed something may report what it really costs per month.
  double actual = 0;
  bool reported = false;
  for (const auto& r : results) {
    double cost = 0;
    if (output_number(r, "monthly_cost_usd", cost)) {
      actual += cost;
      reported = true;
    }
  }
  const double allowed = p.estimated_cost * policy.cost_anomaly_factor;
  // The score is actual over estimated cost; more than the anomaly factor is an anomaly.
  const double ratio = !reported ? 1.0 : p.estimated_cost > 0 ? actual / p.estimated_cost : 0.0;
  json::object details = scored({{"estimated_cost_usd", p.estimated_cost},
                                 {"anomaly_factor", policy.cost_anomaly_factor},
                                 {"actual_cost_reported", reported}},
                                ratio, policy.cost_anomaly_factor);
  if (!reported)
    return passed("cost_anomaly",
                  "No actual cost was reported; the estimate of " +
                      usd_per_month(p.estimated_cost) + " stands.",
                  std::move(details));
  details["actual_cost_usd"] = actual;
  if (actual > allowed) {
    char factor[32];
    std::snprintf(factor, sizeof factor, "%.1f", policy.cost_anomaly_factor);
    return warning("cost_anomaly",
                   "Actual cost " + usd_per_month(actual) + " is more than " + factor +
                       " times the estimate of " + usd_per_month(p.estimated_cost) + ".",
                   std::move(details));
  }
  return passed("cost_anomaly",
                "Actual cost " + usd_per_month(actual) + " is in line with the estimate of " +
                    usd_per_month(p.estimated_cost) + ".",
                std::move(details));
}

safety_check_result check_security_posture(const verification_result& verification) {
  std::vector<std::string> failed, warned;
  int security_checks = 0;
  for (const auto& check : verification.checks) {
    if (check.type != check_category::security) continue;
    ++security_checks;
    if (check.status == check_status::failed) failed.push_back(check.name);
    if (check.status == check_status::warning) warned.push_back(check.name);
  }
  // The score: the share of security checks that did not fail; all of them must pass.
  json::object details =
      scored({{"verification_id", verification.id},
              {"security_checks", security_checks},
              {"failed", to_json_array(failed)},
              {"warnings", to_json_array(warned)}},
             percent(security_checks - static_cast<int>(failed.size()), security_checks), 100);
  if (!failed.empty())
    return blocker("security_posture",
                   "Security checks failed in the verification: " + join(failed) + ".",
                   std::move(details));
  if (security_checks == 0)
    return warning("security_posture", "The verification ran no security check.",
                   std::move(details));
  return passed("security_posture",
                "All " + std::to_string(security_checks) + " security checks passed" +
                    (warned.empty() ? "." : " (warnings: " + join(warned) + ")."),
                std::move(details));
}

}  // namespace

const std::vector<safety_check_info>& registered_checks() {
  return all_checks;
}

safety_report run_pre_execution(const plan& p, const safety_policy& policy) {
  const requirements reqs = parse_requirements(p.context.requirements);
  return make_report(safety_phase::pre_execution,
                     {check_production_approval(p, policy), check_cost_limit(p, reqs, policy),
                      check_best_practices_step(p), check_backup_strategy(p, reqs),
                      check_rollback_coverage(p, policy), check_region(p), check_components(p),
                      check_network_cidr(reqs), check_versions(p, reqs), check_encryption(reqs)});
}

execution_monitor::execution_monitor(const safety_policy& policy, timestamp_ms started_at)
    : policy_(policy), started_at_(started_at) {}

int execution_monitor::created_within_window(timestamp_ms now) const {
  int created = 0;
  for (const auto& [t, count] : creations_)
    if (t > now - rate_window_ms && t <= now) created += count;
  return created;
}

safety_check_result execution_monitor::rate_result(int created, timestamp_ms now) const {
  json::object details{{"created_last_minute", created},
                       {"max_per_minute", policy_.max_resources_per_minute},
                       {"at", now}};
  if (created > policy_.max_resources_per_minute)
    return blocker("resource_creation_rate",
                   std::to_string(created) +
                       " resources were created within the last minute, "
                       "more than the limit of " +
                       std::to_string(policy_.max_resources_per_minute) + ".",
                   std::move(details));
  return passed("resource_creation_rate",
                std::to_string(created) + " resources created within the last minute (limit " +
                    std::to_string(policy_.max_resources_per_minute) + ").",
                std::move(details));
}

std::optional<safety_check_result> execution_monitor::on_resources_created(int count,
                                                                           timestamp_ms t) {
  if (count > 0) creations_.emplace_back(t, count);
  while (!creations_.empty() && creations_.front().first <= t - rate_window_ms)
    creations_.pop_front();
  const int created = created_within_window(t);
  if (created <= policy_.max_resources_per_minute) return std::nullopt;
  return rate_result(created, t);
}

safety_check_result execution_monitor::check_timeout(timestamp_ms now) const {
  const int64_t elapsed_s = (now - started_at_) / 1000;
  json::object details{{"elapsed_s", elapsed_s},
                       {"timeout_s", policy_.execution_timeout_s},
                       {"started_at", started_at_}};
  if (now - started_at_ > policy_.execution_timeout_s * 1000)
    return blocker("execution_timeout",
                   "The execution has run " + std::to_string(elapsed_s) +
                       " s, longer than the limit of " +
                       std::to_string(policy_.execution_timeout_s) + " s.",
                   std::move(details));
  return passed("execution_timeout",
                "The execution has run " + std::to_string(elapsed_s) + " s of the allowed " +
                    std::to_string(policy_.execution_timeout_s) + " s.",
                std::move(details));
}

std::vector<safety_check_result> execution_monitor::results(timestamp_ms now) const {
  return {rate_result(created_within_window(now), now), check_timeout(now)};
}

safety_report run_post_execution(const plan& p, const std::vector<execution_result>& results,
                                 const verification_result& verification,
                                 const safety_policy& policy, const workspace* files) {
  return make_report(
      safety_phase::post_execution,
      {check_deployment_verified(p, results, verification, files),
       check_cost_anomaly(p, results, policy), check_security_posture(verification)});
}

}  // namespace ce::safety
