#include "actors/planner/planner.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <functional>
#include <map>
#include <set>
#include <unordered_map>

#include <boost/json.hpp>

#include "messages/json_codec.hpp"
#include "messages/text.hpp"

namespace ce::planner {

namespace {

namespace json = boost::json;

// ---- prices ---------------------------------------------------------------------

constexpr double hours_per_month = 730;  // the clouds' billing convention

struct hourly_price {
  const char* type;
  double usd;
};

// On-demand Linux list prices in us-east-1 / us-central1 / eastus.
const std::vector<hourly_price> aws_instances = {
    {"t3.micro", 0.0104},  {"t3.small", 0.0208},  {"t3.medium", 0.0416}, {"t3.large", 0.0832},
    {"t3.xlarge", 0.1664}, {"m5.large", 0.096},   {"m5.xlarge", 0.192},  {"m5.2xlarge", 0.384},
    {"m6i.large", 0.096},  {"m6i.xlarge", 0.192}, {"c5.large", 0.085},   {"c5.xlarge", 0.17},
    {"r5.large", 0.126},   {"r5.xlarge", 0.252}};
const std::vector<hourly_price> aws_db_classes = {
    {"db.t3.micro", 0.017},  {"db.t3.small", 0.034}, {"db.t3.medium", 0.068},
    {"db.t3.large", 0.136},  {"db.m5.large", 0.171}, {"db.m5.xlarge", 0.342},
    {"db.m6g.large", 0.152}, {"db.r5.large", 0.25},  {"db.r5.xlarge", 0.50}};
const std::vector<hourly_price> gcp_instances = {
    {"e2-small", 0.0168},      {"e2-medium", 0.0335},    {"e2-standard-2", 0.067},
    {"e2-standard-4", 0.134},  {"e2-standard-8", 0.268}, {"n2-standard-2", 0.0971},
    {"n2-standard-4", 0.1942}, {"n2-standard-8", 0.3885}};
const std::vector<hourly_price> gcp_db_classes = {{"db-f1-micro", 0.0105},
                                                  {"db-g1-small", 0.035},
                                                  {"db-custom-1-3840", 0.0658},
                                                  {"db-custom-2-7680", 0.1316},
                                                  {"db-custom-4-15360", 0.2632}};
const std::vector<hourly_price> azure_instances = {
    {"Standard_B2s", 0.0416},   {"Standard_B2ms", 0.0832},  {"Standard_D2s_v3", 0.096},
    {"Standard_D4s_v3", 0.192}, {"Standard_D8s_v3", 0.384}, {"Standard_D2s_v5", 0.096},
    {"Standard_D4s_v5", 0.192}};
const std::vector<hourly_price> azure_db_classes = {{"Standard_B1ms", 0.0207},
                                                    {"Standard_B2s", 0.0826},
                                                    {"Standard_D2s_v3", 0.178},
                                                    {"Standard_D2ds_v4", 0.178},
                                                    {"Standard_D4s_v3", 0.356}};

const std::vector<hourly_price>& instance_prices(cloud_provider provider) {
  switch (provider) {
    case cloud_provider::gcp:
      return gcp_instances;
    case cloud_provider::azure:
      return azure_instances;
    case cloud_provider::aws:
      break;
  }
  return aws_instances;
}

const std::vector<hourly_price>& db_class_prices(cloud_provider provider) {
  switch (provider) {
    case cloud_provider::gcp:
      return gcp_db_classes;
    case cloud_provider::azure:
      return azure_db_classes;
    case cloud_provider::aws:
      break;
  }
  return aws_db_classes;
}

/// Monthly price of one default kubernetes worker: t3.medium / e2-medium / Standard_D2s_v3.
double default_node_monthly(cloud_provider provider) {
  switch (provider) {
    case cloud_provider::gcp:
      return 0.0335 * hours_per_month;
    case cloud_provider::azure:
      return 0.096 * hours_per_month;
    case cloud_provider::aws:
      break;
  }
  return 0.0416 * hours_per_month;
}

/// Database SSD storage per GB-month: gp3 / Cloud SQL SSD / Flexible Server.
double storage_gb_monthly(cloud_provider provider) {
  return provider == cloud_provider::gcp ? 0.17 : 0.115;
}

/// The table's monthly price for `type`, or `fallback` when the type is empty or unlisted.
double monthly_price(const std::vector<hourly_price>& table, const std::string& type,
                     double fallback) {
  for (const auto& entry : table)
    if (type == entry.type) return entry.usd * hours_per_month;
  return fallback;
}

// ---- plan building --------------------------------------------------------------

constexpr const char* validate_requirements_id = "validate_requirements";

json::array to_json_array(const std::vector<std::string>& items) {
  json::array out;
  for (const auto& item : items) out.emplace_back(item);
  return out;
}

/// The task's components, each once, ordered so every component follows those it needs.
/// Unknown names get a neutral spec so a plan can still be shown for them.
std::vector<component_spec> ordered_components(const task_context& context) {
  std::vector<component_spec> pending;
  std::set<std::string> seen;
  for (const auto& name : context.components) {
    if (!seen.insert(name).second) continue;
    if (const auto* spec = find_component(context.provider, name)) {
      pending.push_back(*spec);
    } else {
      pending.push_back(component_spec{name, name, component_kind::compute, {}});
    }
  }
  std::vector<component_spec> ordered;
  std::set<std::string> placed;
  while (!pending.empty()) {
    auto ready = std::find_if(pending.begin(), pending.end(), [&](const component_spec& spec) {
      return std::all_of(spec.needs.begin(), spec.needs.end(), [&](const std::string& need) {
        return placed.count(need) || !seen.count(need);
      });
    });
    if (ready == pending.end()) ready = pending.begin();  // the catalog has no cycles
    placed.insert(ready->name);
    ordered.push_back(*ready);
    pending.erase(ready);
  }
  return ordered;
}

/// Needs of `spec` that are part of this task.
std::vector<std::string> needs_in_task(const component_spec& spec,
                                       const std::vector<component_spec>& components) {
  std::vector<std::string> out;
  for (const auto& need : spec.needs)
    for (const auto& other : components)
      if (other.name == need) out.push_back(need);
  return out;
}

/// Longest chain of apply times along the components' links: what a real apply waits for.
int apply_chain_seconds(const std::vector<component_spec>& ordered) {
  std::map<std::string, int> finish;
  int longest = 0;
  for (const auto& spec : ordered) {
    int start = 0;
    for (const auto& need : needs_in_task(spec, ordered)) start = std::max(start, finish[need]);
    finish[spec.name] = start + spec.apply_seconds;
    longest = std::max(longest, finish[spec.name]);
  }
  return longest;
}

class step_list {
 public:
  plan_step& add(std::string id, step_type type, std::string action, std::string description,
                 std::vector<std::string> depends_on, json::object parameters,
                 int estimated_seconds) {
    parameters["estimated_seconds"] = estimated_seconds;
    plan_step step;
    step.id = std::move(id);
    step.order = static_cast<int32_t>(steps_.size()) + 1;
    step.type = type;
    step.action = std::move(action);
    step.description = std::move(description);
    step.depends_on = std::move(depends_on);
    step.parameters.text = codec::serialize(parameters);
    steps_.push_back(std::move(step));
    return steps_.back();
  }
  const std::string& last_id() const { return steps_.back().id; }
  std::vector<plan_step> take() { return std::move(steps_); }

 private:
  std::vector<plan_step> steps_;
};

// ---- risks ----------------------------------------------------------------------

struct plan_facts {
  task_type type;
  const std::string& environment;
  const requirements& reqs;
  const std::vector<component_spec>& components;
  double monthly_cost;
};

bool has_kind(const std::vector<component_spec>& components, component_kind k) {
  return std::any_of(components.begin(), components.end(),
                     [&](const component_spec& spec) { return spec.kind == k; });
}

std::vector<std::string> stateful_names(const std::vector<component_spec>& components) {
  std::vector<std::string> out;
  for (const auto& spec : components)
    if (spec.stateful) out.push_back(spec.name);
  return out;
}

/// Cost limit applied when the requirements give none.
constexpr double default_cost_alert_usd = 5000;

std::vector<risk> assess_risks(const plan_facts& facts) {
  std::vector<risk> risks;
  auto add = [&](severity level, risk_category category, std::string description,
                 std::string mitigation, double probability, double impact) {
    risk r;
    r.id = "risk_" + std::to_string(risks.size() + 1);
    r.level = level;
    r.category = category;
    r.description = std::move(description);
    r.mitigation = std::move(mitigation);
    r.probability = probability;
    r.impact = impact;
    risks.push_back(std::move(r));
  };
  const auto& reqs = facts.reqs;
  const bool production = is_production(facts.environment);
  const auto stateful = stateful_names(facts.components);

  // security
  if (reqs.public_access)
    add(severity::critical, risk_category::security,
        "Public access is requested: databases and buckets would be reachable from the internet.",
        "Keep public_access false and reach the data through private networking or a bastion.", 0.6,
        0.9);
  if (!reqs.encryption)
    add(severity::critical, risk_category::security,
        "Encryption at rest is turned off: stored data and backups would be readable if leaked.",
        "Keep encryption true; managed keys cost little and encryption cannot be added later "
        "without recreating the resources.",
        0.5, 0.9);

  // cost
  if (reqs.cost_limit > 0 && facts.monthly_cost > reqs.cost_limit)
    add(severity::high, risk_category::cost,
        "The estimated cost of " + usd_per_month(facts.monthly_cost) +
            " exceeds the cost limit of " + usd_per_month(reqs.cost_limit) + ".",
        "Reduce node counts or instance sizes, or raise cost_limit after review.", 0.9, 0.6);
  else if (reqs.cost_limit <= 0 && facts.monthly_cost > default_cost_alert_usd)
    add(severity::medium, risk_category::cost,
        "The estimated cost of " + usd_per_month(facts.monthly_cost) + " is above " +
            usd_per_month(default_cost_alert_usd) + ".",
        "Confirm the sizing and set a cost_limit and budget alerts.", 0.7, 0.5);

  // availability
  if (!stateful.empty() && effective_backup_days(reqs, facts.environment) == 0)
    add(severity::high, risk_category::availability,
        "Backups are disabled (backup_retention_days is 0) for " + join(stateful) +
            ": lost or corrupted data cannot be restored.",
        "Keep at least 7 days of automated backups for stateful components.", 0.3, 0.9);
  if (production &&
      (!effective_multi_az(reqs, facts.environment) || effective_azs(reqs, facts.environment) < 2))
    add(severity::high, risk_category::availability,
        "The production environment runs in a single availability zone: one zone outage takes "
        "it down.",
        "Enable multi_az and use at least 2 availability zones in production.", 0.2, 0.8);
  if (facts.type == task_type::deploy && production)
    add(severity::high, risk_category::availability,
        "The plan applies changes to the production environment, which can interrupt running "
        "workloads.",
        "Review the deployment plan, apply in a maintenance window and keep the rollback ready.",
        0.2, 0.8);
  if (facts.type == task_type::rollback)
    add(severity::critical, risk_category::availability,
        "The plan destroys the deployed infrastructure (destroy_deployment); everything it "
        "serves goes offline and data without backups is lost.",
        "Take final snapshots of stateful components and confirm nothing depends on the "
        "deployment before approving.",
        0.9, 1.0);

  // performance
  if (has_kind(facts.components, component_kind::kubernetes) &&
      effective_node_count(reqs, facts.environment) == 1)
    add(severity::medium, risk_category::performance,
        "The kubernetes cluster has a single worker node: no headroom for load, and node "
        "upgrades or failures stop every workload.",
        "Run at least 2 nodes (3 in production) or enable the cluster autoscaler.", 0.5, 0.5);

  // compliance
  if (production)
    add(severity::low, risk_category::compliance,
        "Production infrastructure falls under change management: the generated code must be "
        "reviewed before it is applied.",
        "Keep the plan approval and the generated documentation with the change record.", 0.3, 0.3);
  if (production && reqs.tags.empty())
    add(severity::medium, risk_category::compliance,
        "No tags are set in production: owners and cost centres of the resources cannot be "
        "audited.",
        "Set requirements.tags, e.g. owner, cost_center and data_classification.", 0.8, 0.4);
  if (!reqs.enable_logging)
    add(severity::medium, risk_category::compliance,
        "Logging is disabled: there will be no audit or flow logs to investigate incidents.",
        "Keep enable_logging true.", 0.5, 0.5);
  return risks;
}

severity highest_severity(const std::vector<risk>& risks) {
  severity level = severity::low;
  for (const auto& r : risks) level = std::max(level, r.level);
  return level;
}

// ---- graph helpers --------------------------------------------------------------

int64_t estimated_seconds_of(const plan_step& step) {
  boost::system::error_code ec;
  auto value = json::parse(step.parameters.text, ec);
  if (ec || !value.is_object()) return 0;
  const auto* seconds = value.get_object().if_contains("estimated_seconds");
  if (!seconds) return 0;
  if (seconds->is_int64()) return std::max<int64_t>(0, seconds->get_int64());
  if (seconds->is_uint64()) return static_cast<int64_t>(seconds->get_uint64());
  if (seconds->is_double()) return std::max<int64_t>(0, std::llround(seconds->get_double()));
  return 0;
}

/// Index of each step id (first occurrence wins).
std::unordered_map<std::string, size_t> index_by_id(const std::vector<plan_step>& steps) {
  std::unordered_map<std::string, size_t> index;
  for (size_t i = 0; i < steps.size(); ++i) index.emplace(steps[i].id, i);
  return index;
}

/// Steps in a dependency-respecting order (Kahn), ignoring unknown dependencies; steps on or
/// behind a cycle are missing from the result.
std::vector<size_t> topological_order(const std::vector<plan_step>& steps) {
  auto index = index_by_id(steps);
  std::vector<std::vector<size_t>> dependents(steps.size());
  std::vector<size_t> missing(steps.size(), 0);
  for (size_t i = 0; i < steps.size(); ++i) {
    for (const auto& dep : steps[i].depends_on) {
      auto it = index.find(dep);
      if (it == index.end()) continue;
      dependents[it->second].push_back(i);
      ++missing[i];
    }
  }
  std::vector<size_t> order;
  for (size_t i = 0; i < steps.size(); ++i)
    if (missing[i] == 0) order.push_back(i);
  for (size_t next = 0; next < order.size(); ++next)
    for (size_t dependent : dependents[order[next]])
      if (--missing[dependent] == 0) order.push_back(dependent);
  return order;
}

/// Each step's longest dependency depth, -1 for steps never reached (cycles).
std::vector<int32_t> dependency_depths(const std::vector<plan_step>& steps) {
  auto index = index_by_id(steps);
  std::vector<int32_t> depth(steps.size(), -1);
  for (size_t i : topological_order(steps)) {
    int32_t d = 0;
    for (const auto& dep : steps[i].depends_on) {
      auto it = index.find(dep);
      if (it != index.end()) d = std::max(d, depth[it->second] + 1);
    }
    depth[i] = d;
  }
  return depth;
}

}  // namespace

double estimate_component_cost(cloud_provider provider, const component_spec& spec,
                               const requirements& reqs, const std::string& environment) {
  double cost = spec.base_monthly_usd;
  switch (spec.kind) {
    case component_kind::network: {
      // One NAT gateway per zone when spread over zones, else a single shared one.
      const int gateways =
          effective_multi_az(reqs, environment) ? effective_azs(reqs, environment) : 1;
      cost = spec.base_monthly_usd * gateways;
      break;
    }
    case component_kind::compute:
      cost = monthly_price(instance_prices(provider), reqs.instance_type, spec.base_monthly_usd) *
             std::max(1, reqs.instance_count);
      break;
    case component_kind::kubernetes:
      cost =
          spec.base_monthly_usd + monthly_price(instance_prices(provider), reqs.node_instance_type,
                                                default_node_monthly(provider)) *
                                      effective_node_count(reqs, environment);
      break;
    case component_kind::database: {
      // A multi-AZ database keeps a standby replica: instance and storage are paid twice.
      const int copies = effective_multi_az(reqs, environment) ? 2 : 1;
      const double instance =
          monthly_price(db_class_prices(provider), reqs.db_instance_class, spec.base_monthly_usd);
      cost = (instance + reqs.storage_gb * storage_gb_monthly(provider)) * copies;
      break;
    }
    case component_kind::storage:
    case component_kind::identity:
    case component_kind::security:
    case component_kind::monitoring:
      break;
  }
  return std::round(cost * 100) / 100;
}

plan make_plan(std::string plan_id, std::string task_id, task_type type,
               const task_context& context, timestamp_ms now) {
  const requirements reqs = parse_requirements(context.requirements);
  const auto components = ordered_components(context);
  const std::string provider(ce::to_string(context.provider));
  const std::string region =
      context.region.empty() ? default_region(context.provider) : context.region;
  std::vector<std::string> names;
  for (const auto& spec : components) names.push_back(spec.name);
  const std::string environment_label =
      context.environment.empty() ? std::string("an unnamed") : context.environment;

  // The requirements travel with the steps that read them, as the original's plans showed.
  const json::value requirements_json =
      context.requirements.empty_object() ? json::value{} : codec::to_json(context.requirements);
  auto with_requirements = [&](json::object parameters) {
    if (!requirements_json.is_null()) parameters["requirements"] = requirements_json;
    return parameters;
  };

  step_list steps;
  steps.add(validate_requirements_id, step_type::validate, "validate_requirements",
            "Validate the requirements of the " + provider + " " + environment_label +
                " environment for " + (names.empty() ? "no components" : join(names)) + ".",
            {},
            with_requirements({{"provider", provider},
                               {"environment", context.environment},
                               {"region", region},
                               {"components", to_json_array(names)}}),
            1);

  std::vector<std::string> generate_ids;
  int total_resources = 0;
  for (const auto& spec : components) {
    std::vector<std::string> depends_on{validate_requirements_id};
    for (const auto& need : needs_in_task(spec, components))
      depends_on.push_back("generate_" + need);
    auto& step = steps.add(
        "generate_" + spec.name, step_type::generate, "generate_component",
        "Generate Terraform for " + spec.title + " (" + spec.name + ") in " + region + ".",
        std::move(depends_on),
        with_requirements({{"component", spec.name},
                           {"provider", provider},
                           {"environment", context.environment}}),
        spec.generate_seconds);
    step.component = spec.name;
    generate_ids.push_back(step.id);
    total_resources += spec.resource_count;
  }

  steps.add(
      "validate_generated_code", step_type::validate, "validate_generated_code",
      "Check the generated Terraform: syntax, references between components and required "
      "settings.",
      generate_ids.empty() ? std::vector<std::string>{validate_requirements_id} : generate_ids,
      {{"components", to_json_array(names)}}, 2 + static_cast<int>(components.size()));
  steps.add("apply_best_practices", step_type::configure, "apply_best_practices",
            "Apply best practices to the generated code: encryption, tagging, logging and "
            "least-privilege access.",
            {"validate_generated_code"},
            {{"environment", context.environment},
             {"components", to_json_array(names)},
             {"autofix", true}},
            3);

  const int apply_seconds = apply_chain_seconds(components);
  const json::object deployment{{"provider", provider},
                                {"region", region},
                                {"environment", context.environment},
                                {"components", to_json_array(names)}};
  // terraform plan refreshes and diffs every resource.
  const int plan_seconds = 20 + total_resources;
  switch (type) {
    case task_type::deploy: {
      steps.add("plan_deployment", step_type::deploy, "plan_deployment",
                "Compute the changes the deployment will make in " + region + ".",
                {"apply_best_practices"}, deployment, plan_seconds);
      auto& apply = steps.add("apply_deployment", step_type::deploy, "apply_deployment",
                              "Apply the planned changes to " + provider + " " + region + ".",
                              {"plan_deployment"}, deployment, apply_seconds);
      apply.rollback_action = "destroy_deployment";
      json::object rollback = deployment;
      rollback["reason"] = "roll back apply_deployment";
      apply.rollback_parameters.text = codec::serialize(rollback);
      steps.add("verify_deployment", step_type::verify, "verify_deployment",
                "Verify that the deployed resources exist and are healthy.", {"apply_deployment"},
                {{"components", to_json_array(names)}},
                30 + 10 * static_cast<int>(components.size()));
      break;
    }
    case task_type::verify:
    case task_type::analyze: {
      json::object dry_run = deployment;
      dry_run["dry_run"] = true;
      steps.add("plan_deployment", step_type::deploy, "plan_deployment",
                "Compute, without applying anything, the changes a deployment would make in " +
                    region + ".",
                {"apply_best_practices"}, dry_run, plan_seconds);
      break;
    }
    case task_type::rollback: {
      json::object destroy = deployment;
      destroy["destructive"] = true;
      // Deleting usually takes about half as long as creating.
      steps.add("destroy_deployment", step_type::deploy, "destroy_deployment",
                "Destroy the deployed " + (names.empty() ? std::string("resources") : join(names)) +
                    " in " + provider + " " + region + ".",
                {"apply_best_practices"}, destroy, std::max(30, apply_seconds / 2));
      break;
    }
    case task_type::generate:
      break;
  }
  const std::string before_documentation = steps.last_id();
  steps.add("generate_documentation", step_type::generate, "generate_documentation",
            "Write the documentation of the generated infrastructure and how to operate it.",
            {before_documentation},
            {{"components", to_json_array(names)}, {"include_diagrams", true}}, 3);

  plan p;
  p.id = std::move(plan_id);
  p.task_id = std::move(task_id);
  p.status = plan_status::draft;
  p.created_at = now;
  p.updated_at = now;
  p.type = type;
  p.context = context;
  p.steps = steps.take();
  for (const auto& step : p.steps)
    if (!step.depends_on.empty())
      p.dependencies.push_back({step.id, step.depends_on, dependency_type::sequential});
  p.estimated_duration_s = critical_path_seconds(p.steps);
  double cost = 0;
  for (const auto& spec : components)
    cost += estimate_component_cost(context.provider, spec, reqs, context.environment);
  p.estimated_cost = std::round(cost * 100) / 100;
  p.risks = assess_risks({type, context.environment, reqs, components, p.estimated_cost});
  p.risk_level = highest_severity(p.risks);
  p.requires_approval = is_production(context.environment) || p.risk_level >= severity::high;
  return p;
}

plan_validation validate_plan(const std::vector<plan_step>& steps) {
  plan_validation result;
  auto fail = [&](std::string message) { result.errors.push_back(std::move(message)); };

  std::map<std::string, int> occurrences;
  for (size_t i = 0; i < steps.size(); ++i) {
    const auto& step = steps[i];
    if (step.id.empty()) {
      fail("Step " + std::to_string(i + 1) + " has an empty id.");
      continue;
    }
    if (step.action.empty()) fail("Step '" + step.id + "' has no action.");
    if (++occurrences[step.id] == 2)
      fail("Step id '" + step.id + "' is used by more than one step.");
  }

  const auto index = index_by_id(steps);
  for (const auto& step : steps) {
    const std::string name = step.id.empty() ? std::string("(unnamed)") : step.id;
    for (const auto& dep : step.depends_on) {
      auto it = index.find(dep);
      if (it == index.end()) {
        fail("Step '" + name + "' depends on '" + dep + "', which is not a step of this plan.");
        continue;
      }
      if (dep == step.id) continue;  // reported as a cycle
      const auto& before = steps[it->second];
      if (step.order <= before.order)
        fail("Step '" + name + "' has order " + std::to_string(step.order) +
             ", which is not after its dependency '" + dep + "' (order " +
             std::to_string(before.order) + ").");
    }
  }

  // Depth-first search; every back edge closes a cycle, reported once per set of steps.
  enum class mark : uint8_t { unvisited, on_path, done };
  std::vector<mark> marks(steps.size(), mark::unvisited);
  std::vector<size_t> path;
  std::set<std::set<size_t>> reported;
  std::function<void(size_t)> visit = [&](size_t i) {
    marks[i] = mark::on_path;
    path.push_back(i);
    for (const auto& dep : steps[i].depends_on) {
      auto it = index.find(dep);
      if (it == index.end()) continue;
      const size_t j = it->second;
      if (marks[j] == mark::unvisited) {
        visit(j);
      } else if (marks[j] == mark::on_path) {
        auto start = std::find(path.begin(), path.end(), j);
        std::set<size_t> members(start, path.end());
        if (!reported.insert(members).second) continue;
        // The path runs from dependents to dependencies; print it in execution order,
        // starting at the cycle's earliest step in the plan.
        std::vector<size_t> members_in_order(path.rbegin(), std::make_reverse_iterator(start));
        std::rotate(members_in_order.begin(),
                    std::min_element(members_in_order.begin(), members_in_order.end()),
                    members_in_order.end());
        std::string cycle;
        for (size_t k : members_in_order) cycle += steps[k].id + " -> ";
        cycle += steps[members_in_order.front()].id;
        fail("Steps form a dependency cycle: " + cycle + ".");
      }
    }
    path.pop_back();
    marks[i] = mark::done;
  };
  for (size_t i = 0; i < steps.size(); ++i)
    if (marks[i] == mark::unvisited && !steps[i].id.empty()) visit(i);

  result.valid = result.errors.empty();
  return result;
}

plan optimize_plan(plan p) {
  const auto depth = dependency_depths(p.steps);
  std::map<int32_t, int> steps_per_stage;
  for (size_t i = 0; i < p.steps.size(); ++i) {
    p.steps[i].parallel_stage = depth[i];
    if (depth[i] >= 0) ++steps_per_stage[depth[i]];
  }
  p.dependencies.clear();
  for (auto& step : p.steps) {
    const bool shares_stage = step.parallel_stage >= 0 && steps_per_stage[step.parallel_stage] > 1;
    // The original's clients read the parallel groups from the step's parameters.
    auto parameters = codec::to_json(step.parameters);
    if (parameters.is_object()) {
      if (shares_stage)
        parameters.get_object()["parallel_group"] = "stage_" + std::to_string(step.parallel_stage);
      else
        parameters.get_object().erase("parallel_group");
      step.parameters.text = codec::serialize(parameters);
    }
    if (step.depends_on.empty()) continue;
    p.dependencies.push_back(
        {step.id, step.depends_on,
         shares_stage ? dependency_type::parallel : dependency_type::sequential});
  }
  p.estimated_duration_s = critical_path_seconds(p.steps);
  return p;
}

int64_t critical_path_seconds(const std::vector<plan_step>& steps) {
  const auto index = index_by_id(steps);
  std::vector<int64_t> finish(steps.size(), 0);
  int64_t longest = 0;
  for (size_t i : topological_order(steps)) {
    int64_t start = 0;
    for (const auto& dep : steps[i].depends_on) {
      auto it = index.find(dep);
      if (it != index.end()) start = std::max(start, finish[it->second]);
    }
    finish[i] = start + estimated_seconds_of(steps[i]);
    longest = std::max(longest, finish[i]);
  }
  return longest;
}

}  // namespace ce::planner
