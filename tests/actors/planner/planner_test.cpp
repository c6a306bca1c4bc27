#include <catch2/catch.hpp>

#include <algorithm>
#include <numeric>
#include <set>

#include <boost/json.hpp>

#include "actors/planner/planner.hpp"

using namespace ce;
using namespace ce::planner;

namespace {

constexpr timestamp_ms some_time = 1764254056533;  // 2025-11-27T14:34:16.533Z

task_context context_of(cloud_provider provider, std::string environment,
                        std::vector<std::string> components, std::string requirements = "{}") {
  task_context context;
  context.provider = provider;
  context.environment = std::move(environment);
  context.components = std::move(components);
  context.requirements.text = std::move(requirements);
  return context;
}

/// The README's example task: aws production vpc, eks, rds in us-east-1.
task_context seed_example() {
  auto context = context_of(cloud_provider::aws, "production", {"vpc", "eks", "rds"},
                            R"({"vpc_cidr":"10.0.0.0/16","eks_version":"1.28",)"
                            R"("rds_engine":"postgres"})");
  context.region = "us-east-1";
  return context;
}

plan plan_for(task_type type, const task_context& context) {
  return make_plan("plan_1", "task_1", type, context, some_time);
}

const plan_step& step(const plan& p, const std::string& id) {
  auto it =
      std::find_if(p.steps.begin(), p.steps.end(), [&](const plan_step& s) { return s.id == id; });
  if (it == p.steps.end()) FAIL("no step " << id);
  return *it;
}

bool has_step(const plan& p, const std::string& id) {
  return std::any_of(p.steps.begin(), p.steps.end(),
                     [&](const plan_step& s) { return s.id == id; });
}

boost::json::object params(const plan_step& s) {
  return boost::json::parse(s.parameters.text).as_object();
}

plan_step bare_step(std::string id, int order, std::vector<std::string> depends_on,
                    int estimated_seconds = 1) {
  plan_step s;
  s.id = std::move(id);
  s.order = order;
  s.action = "noop";
  s.depends_on = std::move(depends_on);
  s.parameters.text =
      boost::json::serialize(boost::json::object{{"estimated_seconds", estimated_seconds}});
  return s;
}

bool has_risk(const plan& p, risk_category category) {
  return std::any_of(p.risks.begin(), p.risks.end(),
                     [&](const risk& r) { return r.category == category; });
}

using Catch::Matchers::VectorContains;

}  // namespace

TEST_CASE("the seed example generates the vpc before eks and rds, which run in parallel") {
  auto p = optimize_plan(plan_for(task_type::generate, seed_example()));
  const auto& vpc = step(p, "generate_vpc");
  const auto& eks = step(p, "generate_eks");
  const auto& rds = step(p, "generate_rds");
  CHECK(vpc.order < eks.order);
  CHECK(vpc.order < rds.order);
  CHECK_THAT(eks.depends_on, VectorContains(std::string("generate_vpc")));
  CHECK_THAT(rds.depends_on, VectorContains(std::string("generate_vpc")));
  CHECK_THAT(eks.depends_on, !VectorContains(std::string("generate_rds")));
  CHECK_THAT(rds.depends_on, !VectorContains(std::string("generate_eks")));
  CHECK(eks.parallel_stage == rds.parallel_stage);
  CHECK(vpc.parallel_stage < eks.parallel_stage);
  CHECK(validate_plan(p.steps).valid);
}

TEST_CASE("a generate plan has the original service's step sequence") {
  auto p = plan_for(task_type::generate, seed_example());
  std::vector<std::string> ids;
  for (const auto& s : p.steps) ids.push_back(s.id);
  CHECK(ids == std::vector<std::string>{"validate_requirements", "generate_vpc", "generate_eks",
                                        "generate_rds", "validate_generated_code",
                                        "apply_best_practices", "generate_documentation"});
  for (size_t i = 0; i < p.steps.size(); ++i) CHECK(p.steps[i].order == static_cast<int>(i + 1));
  CHECK_FALSE(has_step(p, "apply_deployment"));
}

TEST_CASE("components listed before what they need are still generated after it") {
  auto p = plan_for(task_type::generate,
                    context_of(cloud_provider::aws, "development", {"rds", "eks", "vpc"}));
  CHECK(step(p, "generate_vpc").order < step(p, "generate_rds").order);
  CHECK(step(p, "generate_vpc").order < step(p, "generate_eks").order);
  CHECK(validate_plan(p.steps).valid);
}

TEST_CASE("a generate step names its component, provider and estimated seconds") {
  auto p = plan_for(task_type::generate, seed_example());
  const auto& eks = step(p, "generate_eks");
  CHECK(eks.type == step_type::generate);
  CHECK(eks.action == "generate_component");
  CHECK(eks.component == "eks");
  auto parameters = params(eks);
  CHECK(parameters.at("component").as_string() == "eks");
  CHECK(parameters.at("provider").as_string() == "aws");
  CHECK(parameters.at("estimated_seconds").as_int64() ==
        find_component(cloud_provider::aws, "eks")->generate_seconds);
  CHECK_THAT(eks.description, Catch::Contains("Amazon EKS"));
}

TEST_CASE("every step has a description and an estimated duration") {
  for (auto type : {task_type::generate, task_type::deploy, task_type::verify, task_type::rollback,
                    task_type::analyze}) {
    auto p = plan_for(type, seed_example());
    for (const auto& s : p.steps) {
      INFO(to_string(type) << " " << s.id);
      CHECK_FALSE(s.description.empty());
      CHECK(params(s).at("estimated_seconds").is_int64());
    }
  }
}

TEST_CASE("the dependencies list mirrors the steps' depends_on") {
  auto p = plan_for(task_type::deploy, seed_example());
  for (const auto& s : p.steps) {
    auto it = std::find_if(p.dependencies.begin(), p.dependencies.end(),
                           [&](const plan_dependency& d) { return d.step_id == s.id; });
    if (s.depends_on.empty()) {
      CHECK(it == p.dependencies.end());
    } else {
      REQUIRE(it != p.dependencies.end());
      CHECK(it->depends_on == s.depends_on);
      CHECK(it->type == dependency_type::sequential);
    }
  }
}

TEST_CASE("a deploy plan plans, applies with a rollback, then verifies") {
  auto p = plan_for(task_type::deploy, seed_example());
  const auto& planned = step(p, "plan_deployment");
  const auto& apply = step(p, "apply_deployment");
  const auto& verify = step(p, "verify_deployment");
  CHECK(planned.depends_on == std::vector<std::string>{"apply_best_practices"});
  CHECK(apply.depends_on == std::vector<std::string>{"plan_deployment"});
  CHECK(verify.depends_on == std::vector<std::string>{"apply_deployment"});
  CHECK(apply.type == step_type::deploy);
  CHECK(verify.type == step_type::verify);
  CHECK(apply.rollback_action == "destroy_deployment");
  CHECK(params(apply).at("region").as_string() == "us-east-1");
  auto rollback = boost::json::parse(apply.rollback_parameters.text).as_object();
  CHECK(rollback.at("provider").as_string() == "aws");
  CHECK(rollback.at("components").as_array().size() == 3);
  CHECK(step(p, "generate_documentation").depends_on ==
        std::vector<std::string>{"verify_deployment"});
  CHECK(p.steps.back().id == "generate_documentation");
}

TEST_CASE("applying waits for the slowest chain of linked components") {
  auto p = plan_for(task_type::deploy, seed_example());
  const int vpc = find_component(cloud_provider::aws, "vpc")->apply_seconds;
  const int eks = find_component(cloud_provider::aws, "eks")->apply_seconds;
  CHECK(params(step(p, "apply_deployment")).at("estimated_seconds").as_int64() == vpc + eks);
}

TEST_CASE("verify and analyze plans end with a dry-run plan_deployment and apply nothing") {
  for (auto type : {task_type::verify, task_type::analyze}) {
    auto p = plan_for(type, seed_example());
    CHECK(params(step(p, "plan_deployment")).at("dry_run").as_bool());
    CHECK_FALSE(has_step(p, "apply_deployment"));
    CHECK_FALSE(has_step(p, "destroy_deployment"));
    CHECK(step(p, "generate_documentation").depends_on ==
          std::vector<std::string>{"plan_deployment"});
  }
}

TEST_CASE("a rollback plan destroys the deployment without a rollback of its own") {
  auto p =
      plan_for(task_type::rollback, context_of(cloud_provider::aws, "development", {"vpc", "ec2"}));
  const auto& destroy = step(p, "destroy_deployment");
  CHECK(destroy.depends_on == std::vector<std::string>{"apply_best_practices"});
  CHECK(params(destroy).at("destructive").as_bool());
  CHECK(destroy.rollback_action.empty());
  CHECK_FALSE(has_step(p, "apply_deployment"));
  auto critical = std::find_if(p.risks.begin(), p.risks.end(), [](const risk& r) {
    return r.level == severity::critical && r.category == risk_category::availability;
  });
  CHECK(critical != p.risks.end());
  CHECK(p.risk_level == severity::critical);
  CHECK(p.requires_approval);
}

TEST_CASE("the plan copies its inputs and starts as a draft") {
  auto context = seed_example();
  auto p = make_plan("plan_42", "task_7", task_type::deploy, context, some_time);
  CHECK(p.id == "plan_42");
  CHECK(p.task_id == "task_7");
  CHECK(p.status == plan_status::draft);
  CHECK(p.created_at == some_time);
  CHECK(p.updated_at == some_time);
  CHECK(p.type == task_type::deploy);
  CHECK(p.context.components == context.components);
  CHECK(p.context.requirements == context.requirements);
  CHECK(p.estimated_duration_s == critical_path_seconds(p.steps));
}

TEST_CASE("make_plan is deterministic for the same inputs") {
  auto a = plan_for(task_type::deploy, seed_example());
  auto b = plan_for(task_type::deploy, seed_example());
  REQUIRE(a.steps.size() == b.steps.size());
  for (size_t i = 0; i < a.steps.size(); ++i) {
    CHECK(a.steps[i].id == b.steps[i].id);
    CHECK(a.steps[i].order == b.steps[i].order);
    CHECK(a.steps[i].depends_on == b.steps[i].depends_on);
    CHECK(a.steps[i].parameters == b.steps[i].parameters);
    CHECK(a.steps[i].description == b.steps[i].description);
  }
  REQUIRE(a.risks.size() == b.risks.size());
  for (size_t i = 0; i < a.risks.size(); ++i)
    CHECK(a.risks[i].description == b.risks[i].description);
  CHECK(a.estimated_cost == b.estimated_cost);
  CHECK(a.estimated_duration_s == b.estimated_duration_s);
}

TEST_CASE("every catalog component of every provider plans without validation errors") {
  for (auto provider : {cloud_provider::aws, cloud_provider::gcp, cloud_provider::azure}) {
    for (auto type : {task_type::generate, task_type::deploy, task_type::verify,
                      task_type::rollback, task_type::analyze}) {
      auto all = plan_for(type, context_of(provider, "staging", component_names(provider)));
      INFO(to_string(provider) << " " << to_string(type) << " all components");
      auto validation = validate_plan(optimize_plan(all).steps);
      CHECK(validation.valid);
      CHECK(validation.errors.empty());
      CHECK(all.estimated_cost > 0);
      for (const auto& name : component_names(provider)) {
        INFO(name);
        auto single = plan_for(type, context_of(provider, "staging", {name}));
        CHECK(validate_plan(single.steps).valid);
        CHECK(has_step(single, "generate_" + name));
      }
    }
  }
}

TEST_CASE("validate_plan detects a cycle and names its steps") {
  std::vector<plan_step> steps = {bare_step("a", 1, {"c"}), bare_step("b", 2, {"a"}),
                                  bare_step("c", 3, {"b"})};
  auto result = validate_plan(steps);
  CHECK_FALSE(result.valid);
  auto cycle = std::find_if(result.errors.begin(), result.errors.end(),
                            [](const std::string& e) { return e.find("cycle") != e.npos; });
  REQUIRE(cycle != result.errors.end());
  CHECK_THAT(*cycle, Catch::Contains("a -> b -> c -> a"));
}

TEST_CASE("validate_plan reports a step that depends on itself") {
  auto result = validate_plan({bare_step("a", 1, {"a"})});
  CHECK_FALSE(result.valid);
  REQUIRE(result.errors.size() == 1);
  CHECK_THAT(result.errors[0], Catch::Contains("a -> a"));
}

TEST_CASE("validate_plan reports a dependency on a missing step") {
  auto result = validate_plan({bare_step("a", 1, {}), bare_step("b", 2, {"ghost"})});
  CHECK_FALSE(result.valid);
  REQUIRE(result.errors.size() == 1);
  CHECK(result.errors[0] == "Step 'b' depends on 'ghost', which is not a step of this plan.");
}

TEST_CASE("validate_plan reports a step ordered before its dependency") {
  auto result = validate_plan({bare_step("a", 2, {}), bare_step("b", 1, {"a"})});
  CHECK_FALSE(result.valid);
  REQUIRE(result.errors.size() == 1);
  CHECK(result.errors[0] ==
        "Step 'b' has order 1, which is not after its dependency 'a' (order 2).");
}

TEST_CASE("validate_plan reports duplicate ids, empty ids and missing actions") {
  auto no_action = bare_step("c", 3, {});
  no_action.action.clear();
  auto result = validate_plan(
      {bare_step("a", 1, {}), bare_step("a", 2, {}), bare_step("", 3, {}), no_action});
  CHECK_FALSE(result.valid);
  CHECK_THAT(result.errors,
             VectorContains(std::string("Step id 'a' is used by more than one step.")));
  CHECK_THAT(result.errors, VectorContains(std::string("Step 3 has an empty id.")));
  CHECK_THAT(result.errors, VectorContains(std::string("Step 'c' has no action.")));
}

TEST_CASE("a well-formed inline plan is valid") {
  auto result = validate_plan({bare_step("a", 1, {}), bare_step("b", 2, {"a"}),
                               bare_step("c", 3, {"a"}), bare_step("d", 4, {"b", "c"})});
  CHECK(result.valid);
  CHECK(result.errors.empty());
}

TEST_CASE("optimize marks stages by dependency depth and shared stages as parallel") {
  std::vector<plan_step> steps = {bare_step("a", 1, {}), bare_step("b", 2, {"a"}),
                                  bare_step("c", 3, {"a"}), bare_step("d", 4, {"b", "c"})};
  plan p;
  p.steps = steps;
  auto optimized = optimize_plan(p);
  CHECK(optimized.steps[0].parallel_stage == 0);
  CHECK(optimized.steps[1].parallel_stage == 1);
  CHECK(optimized.steps[2].parallel_stage == 1);
  CHECK(optimized.steps[3].parallel_stage == 2);
  auto type_of = [&](const std::string& id) {
    for (const auto& d : optimized.dependencies)
      if (d.step_id == id) return d.type;
    FAIL("no dependency entry for " << id);
    return dependency_type::sequential;
  };
  CHECK(type_of("b") == dependency_type::parallel);
  CHECK(type_of("c") == dependency_type::parallel);
  CHECK(type_of("d") == dependency_type::sequential);
}

TEST_CASE("optimize names each shared stage in the steps' parameters.parallel_group") {
  std::vector<plan_step> steps = {bare_step("a", 1, {}), bare_step("b", 2, {"a"}),
                                  bare_step("c", 3, {"a"}), bare_step("d", 4, {"b", "c"})};
  plan p;
  p.steps = steps;
  auto optimized = optimize_plan(p);
  auto group_of = [&](size_t i) {
    auto parameters = boost::json::parse(optimized.steps[i].parameters.text).as_object();
    auto* group = parameters.if_contains("parallel_group");
    return group ? std::string(group->as_string()) : std::string("(none)");
  };
  CHECK(group_of(0) == "(none)");  // alone in stage 0
  CHECK(group_of(1) == "stage_1");
  CHECK(group_of(2) == "stage_1");
  CHECK(group_of(3) == "(none)");
  // Optimizing again gives the same parameters.
  CHECK(optimize_plan(optimized).steps[1].parameters == optimized.steps[1].parameters);
}

TEST_CASE("plan steps carry the original's autofix, include_diagrams and requirements") {
  task_context context;
  context.provider = cloud_provider::aws;
  context.environment = "staging";
  context.components = {"vpc"};
  context.requirements = json_doc{R"({"vpc_cidr":"10.1.0.0/16"})"};
  auto p = make_plan("plan_1", "task_1", task_type::generate, context, 0);
  auto parameters_of = [&](const std::string& id) {
    for (const auto& s : p.steps)
      if (s.id == id) return boost::json::parse(s.parameters.text).as_object();
    FAIL("no step " << id);
    return boost::json::object{};
  };
  CHECK(parameters_of("apply_best_practices").at("autofix") == true);
  CHECK(parameters_of("generate_documentation").at("include_diagrams") == true);
  CHECK(parameters_of("validate_requirements").at("requirements").at("vpc_cidr") == "10.1.0.0/16");
  CHECK(parameters_of("generate_vpc").at("requirements").at("vpc_cidr") == "10.1.0.0/16");
  context.requirements = json_doc{};
  p = make_plan("plan_2", "task_2", task_type::generate, context, 0);
  CHECK_FALSE(parameters_of("validate_requirements").contains("requirements"));
}

TEST_CASE("the optimized seed plan's critical path is shorter than the sum of its steps") {
  auto p = optimize_plan(plan_for(task_type::deploy, seed_example()));
  int64_t sum = 0;
  for (const auto& s : p.steps) sum += params(s).at("estimated_seconds").as_int64();
  CHECK(p.estimated_duration_s == critical_path_seconds(p.steps));
  CHECK(p.estimated_duration_s < sum);
  // The shorter of the two parallel generate steps is not on the critical path.
  const int rds = find_component(cloud_provider::aws, "rds")->generate_seconds;
  const int eks = find_component(cloud_provider::aws, "eks")->generate_seconds;
  CHECK(sum - p.estimated_duration_s >= std::min(rds, eks));
}

TEST_CASE("the critical path follows the longest chain, not the sum") {
  // a(10) -> b(100), a -> c(5), {b,c} -> d(1): 10 + 100 + 1
  std::vector<plan_step> steps = {bare_step("a", 1, {}, 10), bare_step("b", 2, {"a"}, 100),
                                  bare_step("c", 3, {"a"}, 5), bare_step("d", 4, {"b", "c"}, 1)};
  CHECK(critical_path_seconds(steps) == 111);
}

TEST_CASE("a step without estimated_seconds counts as zero") {
  auto silent = bare_step("b", 2, {"a"});
  silent.parameters.text = "{}";
  CHECK(critical_path_seconds({bare_step("a", 1, {}, 7), silent}) == 7);
}

TEST_CASE("optimize and the critical path survive a cyclic plan") {
  plan p;
  p.steps = {bare_step("a", 1, {}, 4), bare_step("b", 2, {"c"}, 50), bare_step("c", 3, {"b"}, 50)};
  auto optimized = optimize_plan(p);
  CHECK(optimized.steps[0].parallel_stage == 0);
  CHECK(optimized.steps[1].parallel_stage == -1);
  CHECK(optimized.estimated_duration_s == 4);
}

TEST_CASE("kubernetes cost grows with the node count") {
  const auto& eks = *find_component(cloud_provider::aws, "eks");
  auto cost = [&](int nodes) {
    requirements r;
    r.node_count = nodes;
    return estimate_component_cost(cloud_provider::aws, eks, r, "development");
  };
  CHECK(cost(2) > eks.base_monthly_usd);
  CHECK(cost(5) > cost(2));
}

TEST_CASE("a multi-AZ database costs more than a single-AZ one") {
  for (auto [provider, name] :
       {std::pair{cloud_provider::aws, "rds"}, std::pair{cloud_provider::gcp, "cloudsql"},
        std::pair{cloud_provider::azure, "postgres"}}) {
    const auto& db = *find_component(provider, name);
    requirements single, multi;
    single.multi_az = 0;
    multi.multi_az = 1;
    CHECK(estimate_component_cost(provider, db, multi, "development") >
          estimate_component_cost(provider, db, single, "development"));
  }
}

TEST_CASE("database cost grows with storage and bigger instance classes cost more") {
  const auto& rds = *find_component(cloud_provider::aws, "rds");
  requirements small, big_disk, big_class;
  big_disk.storage_gb = 500;
  big_class.db_instance_class = "db.r5.large";
  const double base = estimate_component_cost(cloud_provider::aws, rds, small, "development");
  CHECK(estimate_component_cost(cloud_provider::aws, rds, big_disk, "development") > base);
  CHECK(estimate_component_cost(cloud_provider::aws, rds, big_class, "development") > base);
}

TEST_CASE("production defaults (multi-AZ, 3 nodes) cost more than development") {
  auto dev = plan_for(task_type::generate,
                      context_of(cloud_provider::aws, "development", {"vpc", "eks", "rds"}));
  auto prod = plan_for(task_type::generate,
                       context_of(cloud_provider::aws, "production", {"vpc", "eks", "rds"}));
  CHECK(prod.estimated_cost > dev.estimated_cost);
}

TEST_CASE("the plan's cost is the sum of its components' costs") {
  auto context = seed_example();
  auto p = plan_for(task_type::generate, context);
  auto reqs = parse_requirements(context.requirements);
  double sum = 0;
  for (const auto& name : context.components)
    sum += estimate_component_cost(cloud_provider::aws, *find_component(cloud_provider::aws, name),
                                   reqs, context.environment);
  CHECK(p.estimated_cost == Approx(sum));
}

TEST_CASE("public access is a critical security risk") {
  auto p = plan_for(task_type::generate, context_of(cloud_provider::aws, "development",
                                                    {"vpc", "rds"}, R"({"public_access":true})"));
  REQUIRE(has_risk(p, risk_category::security));
  CHECK(p.risk_level == severity::critical);
  CHECK(p.requires_approval);
}

TEST_CASE("disabled encryption is a critical security risk") {
  auto p = plan_for(task_type::generate, context_of(cloud_provider::gcp, "development", {"gcs"},
                                                    R"({"encryption":false})"));
  CHECK(has_risk(p, risk_category::security));
  CHECK(p.risk_level == severity::critical);
}

TEST_CASE("a cost above the requirements' cost limit is a cost risk") {
  auto p = plan_for(task_type::generate, context_of(cloud_provider::aws, "development",
                                                    {"vpc", "eks"}, R"({"cost_limit":50})"));
  REQUIRE(p.estimated_cost > 50);
  CHECK(has_risk(p, risk_category::cost));
  CHECK(p.requires_approval);
}

TEST_CASE("a cost above 5000 USD a month without a limit is a cost risk") {
  auto p = plan_for(task_type::generate,
                    context_of(cloud_provider::aws, "development", {"eks"},
                               R"({"node_count":60,"node_instance_type":"m5.2xlarge"})"));
  REQUIRE(p.estimated_cost > 5000);
  CHECK(has_risk(p, risk_category::cost));
}

TEST_CASE("disabled backups of a stateful component are an availability risk") {
  auto p = plan_for(task_type::generate,
                    context_of(cloud_provider::azure, "development", {"vnet", "postgres"},
                               R"({"backup_retention_days":0})"));
  CHECK(has_risk(p, risk_category::availability));
  CHECK(p.risk_level == severity::high);
  CHECK(p.requires_approval);
}

TEST_CASE("a single availability zone in production is an availability risk") {
  auto p = plan_for(task_type::generate,
                    context_of(cloud_provider::aws, "production", {"vpc", "rds"},
                               R"({"multi_az":false,"tags":{"owner":"platform"}})"));
  CHECK(has_risk(p, risk_category::availability));
}

TEST_CASE("a single-node kubernetes cluster is a performance risk") {
  auto p = plan_for(task_type::generate, context_of(cloud_provider::gcp, "development",
                                                    {"vpc", "gke"}, R"({"node_count":1})"));
  CHECK(has_risk(p, risk_category::performance));
}

TEST_CASE("untagged production resources are a compliance risk") {
  auto p = plan_for(task_type::generate, context_of(cloud_provider::aws, "production", {"s3"}));
  CHECK(has_risk(p, risk_category::compliance));
}

TEST_CASE("risks carry ids, mitigations and probabilities within 0..1") {
  auto p = plan_for(task_type::deploy,
                    context_of(cloud_provider::aws, "production", {"vpc", "eks", "rds"},
                               R"({"public_access":true,"encryption":false,"node_count":1,)"
                               R"("backup_retention_days":0,"cost_limit":10,"multi_az":false})"));
  std::set<risk_category> categories;
  for (size_t i = 0; i < p.risks.size(); ++i) {
    const auto& r = p.risks[i];
    CHECK(r.id == "risk_" + std::to_string(i + 1));
    CHECK_FALSE(r.description.empty());
    CHECK_FALSE(r.mitigation.empty());
    CHECK(r.probability > 0);
    CHECK(r.probability <= 1);
    CHECK(r.impact > 0);
    CHECK(r.impact <= 1);
    categories.insert(r.category);
  }
  CHECK(categories.size() == 5);
}

TEST_CASE("deploying to production is a high availability risk that needs approval") {
  auto p = plan_for(task_type::deploy, seed_example());
  auto deploy_risk = std::find_if(p.risks.begin(), p.risks.end(), [](const risk& r) {
    return r.category == risk_category::availability && r.level == severity::high;
  });
  CHECK(deploy_risk != p.risks.end());
  CHECK(p.risk_level >= severity::high);
  CHECK(p.requires_approval);
}

TEST_CASE("a production plan requires approval even without high risks") {
  auto p = plan_for(task_type::generate, context_of(cloud_provider::aws, "production", {"s3"},
                                                    R"({"tags":{"owner":"platform"}})"));
  CHECK(p.risk_level < severity::high);
  CHECK(p.requires_approval);
}

TEST_CASE("a small development plan has no risks and needs no approval") {
  auto p =
      plan_for(task_type::generate, context_of(cloud_provider::aws, "development", {"vpc", "ec2"}));
  CHECK(p.risks.empty());
  CHECK(p.risk_level == severity::low);
  CHECK_FALSE(p.requires_approval);
}

TEST_CASE("a missing region is planned in the provider's default region") {
  auto p = plan_for(task_type::deploy, context_of(cloud_provider::gcp, "development", {"vpc"}));
  CHECK(params(step(p, "apply_deployment")).at("region").as_string() == "us-central1");
}
