#include "actors/verifier/verifier.hpp"

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <limits>
#include <memory>
#include <sstream>
#include <string>

#include <boost/json.hpp>
#include <catch2/catch.hpp>

#include "actors/executor/actions.hpp"
#include "actors/executor/artifacts.hpp"
#include "actors/planner/planner.hpp"
#include "tests/support/temp_dir.hpp"

namespace {

namespace json = boost::json;
using namespace ce;
using ce::testing::temp_dir;

constexpr timestamp_ms plan_time = 1'700'000'000'000;  // any fixed instant

/// A task executed for real: make_plan, then every step through the executor's actions with
/// the simulated deployment driver, into a fresh workspace.
struct executed_task {
  temp_dir dir;     // where deployment steps find the files on disk
  workspace files;  // what the steps wrote
  task_context context;
  plan p;
  std::unique_ptr<executor::deployment_driver> driver = executor::make_simulated_driver();
  std::vector<execution_result> results;
  int artifact_ids = 0;

  executed_task(task_type type, cloud_provider provider, std::string environment,
                std::vector<std::string> components, json::object requirements = {}) {
    context.provider = provider;
    context.environment = std::move(environment);
    context.components = std::move(components);
    context.requirements.text = json::serialize(requirements);
    p = planner::make_plan("plan_test", "task_test", type, context, plan_time);
    for (const auto& step : p.steps) {  // make_plan lists steps in dependency order
      executor::action_input in;
      in.p = &p;
      in.step = &step;
      in.context = &context;
      in.req = parse_requirements(context.requirements);
      in.files = &files;
      in.workspace_dir = dir.path();
      in.completed = &results;
      in.driver = driver.get();
      in.result_id = "result_" + step.id;
      in.next_artifact_id = [this] { return "art_" + std::to_string(++artifact_ids); };
      auto outcome = executor::run_action(in);
      for (auto& [name, file] : outcome.written) files[name] = file;
      auto& r = outcome.result;
      INFO(step.id << ": " << r.error.code << " " << r.error.message);
      REQUIRE(r.status == execution_status::success);
      results.push_back(std::move(r));
    }
  }

  verification_result verify(double cost_limit_usd = 10000) const {
    verifier::verification_input in;
    in.p = &p;
    in.context = &context;
    in.req = parse_requirements(context.requirements);
    in.results = &results;
    in.files = &files;
    in.cost_limit_usd = cost_limit_usd;
    return verifier::verify(in, "verification_test", "execution_test", plan_time);
  }

  std::string read(const std::string& name) const { return *files.at(name).bytes; }

  /// Changes a file's bytes without recording it, as a hand edit would.
  void tamper(const std::string& name, const std::string& content) {
    files[name] = executor::make_file(files.at(name).type, shared<std::string>(content));
  }

  /// Rewrites a file the way a later step would: the new content is recorded as a newer
  /// artifact, so only what the content says can fail a check, not its checksum.
  void rewrite(const std::string& name, const std::string& content) {
    files[name] = executor::make_file(artifact_type::terraform, shared<std::string>(content));
    execution_result r;
    r.id = "result_rewrite_" + name;
    r.plan_id = p.id;
    r.step_id = "manual_edit";
    artifact a;
    a.id = "art_rewrite_" + name;
    a.name = name;
    a.path = dir / name;
    a.size = static_cast<int64_t>(content.size());
    a.checksum = ce::sha256_hex(content);
    a.created_at = std::numeric_limits<timestamp_ms>::max();  // newer than every step's record
    r.artifacts.push_back(a);
    results.push_back(r);
  }

  void append(const std::string& name, const std::string& block) {
    rewrite(name, read(name) + "\n" + block);
  }

  void replace(const std::string& name, const std::string& from, const std::string& to) {
    auto content = read(name);
    const auto at = content.find(from);
    INFO(name << " should contain: " << from);
    REQUIRE(at != std::string::npos);
    content.replace(at, from.size(), to);
    rewrite(name, content);
  }
};

const verification_check& check_named(const verification_result& v, const std::string& id) {
  auto it = std::find_if(v.checks.begin(), v.checks.end(),
                         [&](const verification_check& c) { return c.id == id; });
  REQUIRE(it != v.checks.end());
  return *it;
}

std::string describe(const verification_result& v) {
  std::ostringstream out;
  for (const auto& c : v.checks)
    out << c.id << " [" << to_string(c.type) << "] " << to_string(c.status) << ": " << c.actual.text
        << (c.error.empty() ? "" : " | " + c.error) << "\n";
  return out.str();
}

/// The ids of the checks with that status.
std::vector<std::string> with_status(const verification_result& v, check_status status) {
  std::vector<std::string> ids;
  for (const auto& c : v.checks)
    if (c.status == status) ids.push_back(c.id);
  return ids;
}

const json::object tagged{{"tags", json::object{{"team", "platform"}}}};

}  // namespace

TEST_CASE("a generated staging module passes every check of all five categories") {
  executed_task task(task_type::generate, cloud_provider::aws, "staging",
                     {"vpc", "eks", "rds", "s3"}, tagged);
  const auto v = task.verify();
  INFO(describe(v));
  CHECK(v.status == verification_status::passed);
  CHECK(v.failed == 0);
  CHECK(v.warnings == 0);
  CHECK(v.total_checks == static_cast<int32_t>(v.checks.size()));
  CHECK(v.passed + v.failed + v.warnings +
            static_cast<int32_t>(with_status(v, check_status::skipped).size()) ==
        v.total_checks);
  for (auto category :
       {check_category::security, check_category::compliance, check_category::functionality,
        check_category::performance, check_category::cost}) {
    INFO(to_string(category));
    CHECK(std::any_of(v.checks.begin(), v.checks.end(), [&](const verification_check& c) {
      return c.type == category && c.status == check_status::passed;
    }));
  }
  // Staging deploys nothing and needs no production sizing.
  CHECK(with_status(v, check_status::skipped) ==
        std::vector<std::string>{"deployment_outputs", "production_sizing"});
}

TEST_CASE("a production deployment passes, with its apply outputs and sizing checked") {
  executed_task task(task_type::deploy, cloud_provider::aws, "production", {"vpc", "eks", "rds"},
                     {{"vpc_cidr", "10.0.0.0/16"}, {"eks_version", "1.28"}});
  const auto v = task.verify();
  INFO(describe(v));
  CHECK(v.status == verification_status::passed);
  CHECK(check_named(v, "deployment_outputs").status == check_status::passed);
  CHECK(check_named(v, "production_sizing").status == check_status::passed);
  CHECK(check_named(v, "backups_configured").status == check_status::passed);
}

TEST_CASE("generated gcp and azure production modules pass every check") {
  for (auto [provider, components] :
       {std::pair{cloud_provider::gcp, std::vector<std::string>{"vpc", "gke", "cloudsql", "gcs"}},
        std::pair{cloud_provider::azure,
                  std::vector<std::string>{"vnet", "aks", "postgres", "storage", "keyvault"}}}) {
    executed_task task(task_type::generate, provider, "production", components, tagged);
    const auto v = task.verify();
    INFO(to_string(provider) << "\n" << describe(v));
    CHECK(v.status == verification_status::passed);
    CHECK(check_named(v, "production_sizing").status == check_status::passed);
  }
}

TEST_CASE("a single-node cluster or single-zone database in production is a sizing warning") {
  executed_task task(task_type::generate, cloud_provider::aws, "production", {"vpc", "eks", "rds"},
                     {{"node_count", 1}, {"multi_az", false}});
  const auto v = task.verify();
  INFO(describe(v));
  CHECK(v.status == verification_status::warning);
  CHECK(with_status(v, check_status::warning) == std::vector<std::string>{"production_sizing"});
  const auto& sizing = check_named(v, "production_sizing");
  CHECK_THAT(sizing.error, Catch::Contains("aws_eks_node_group.main runs 1 node(s)"));
  CHECK_THAT(sizing.error, Catch::Contains("aws_db_instance.main is not multi_az"));
}

TEST_CASE("a file changed after it was written fails the artifact check") {
  executed_task task(task_type::generate, cloud_provider::aws, "staging", {"vpc", "rds"}, tagged);
  task.tamper("rds.tf", task.read("rds.tf") + "# edited by hand\n");
  const auto v = task.verify();
  INFO(describe(v));
  CHECK(v.status == verification_status::failed);
  CHECK(with_status(v, check_status::failed) == std::vector<std::string>{"artifacts_intact"});
  CHECK_THAT(check_named(v, "artifacts_intact").error, Catch::Contains("rds.tf"));
  CHECK_FALSE(check_named(v, "artifacts_intact").remediation.empty());
}

TEST_CASE("a deleted component file fails the rendering and artifact checks") {
  executed_task task(task_type::generate, cloud_provider::aws, "staging", {"vpc", "s3"}, tagged);
  task.files.erase("s3.tf");
  const auto v = task.verify();
  INFO(describe(v));
  CHECK(check_named(v, "components_rendered").status == check_status::failed);
  CHECK_THAT(check_named(v, "components_rendered").error, Catch::Contains("s3.tf is missing"));
  CHECK(check_named(v, "artifacts_intact").status == check_status::failed);
}

TEST_CASE("ssh open to the internet fails, https open to the internet passes") {
  const std::string rule =
      "resource \"aws_security_group\" \"bastion\" {\n"
      "  name   = \"bastion\"\n"
      "  vpc_id = aws_vpc.main.id\n\n"
      "  ingress {\n"
      "    from_port   = PORT\n"
      "    to_port     = PORT\n"
      "    protocol    = \"tcp\"\n"
      "    cidr_blocks = [\"0.0.0.0/0\"]\n"
      "  }\n\n"
      "  tags = merge(local.common_tags, { ManagedBy = \"core-engine\" })\n"
      "}\n";
  for (auto [port, open] : {std::pair{"22", true}, std::pair{"443", false}}) {
    executed_task task(task_type::generate, cloud_provider::aws, "staging", {"vpc"}, tagged);
    std::string block = rule;
    for (auto at = block.find("PORT"); at != std::string::npos; at = block.find("PORT"))
      block.replace(at, 4, port);
    task.append("vpc.tf", block);
    const auto v = task.verify();
    INFO("port " << port << "\n" << describe(v));
    const auto& ingress = check_named(v, "no_open_ingress");
    CHECK((ingress.status == check_status::failed) == open);
    CHECK(v.failed == (open ? 1 : 0));
    if (open) CHECK_THAT(ingress.error, Catch::Contains("aws_security_group.bastion"));
  }
}

/// An Azure resource that carries Project but neither Environment nor ManagedBy.
const std::string public_ip_tagged_project_only =
    "resource \"azurerm_public_ip\" \"untagged\" {\n"
    "  name                = \"untagged-ip\"\n"
    "  location            = azurerm_resource_group.main.location\n"
    "  resource_group_name = azurerm_resource_group.main.name\n"
    "  allocation_method   = \"Static\"\n"
    "  tags                = { Project = \"nimbus\" }\n}\n";

TEST_CASE("a resource without the required tags fails the tag check") {
  // Azure has no provider-level default tags, so every resource must carry its own
  // (on aws and gcp the provider's default_tags/default_labels cover them).
  executed_task task(task_type::generate, cloud_provider::azure, "staging", {"vnet"}, tagged);
  task.append("vnet.tf", public_ip_tagged_project_only);
  const auto v = task.verify();
  INFO(describe(v));
  const auto& tags = check_named(v, "required_tags");
  CHECK(tags.status == check_status::failed);
  CHECK_THAT(tags.error, Catch::Contains("azurerm_public_ip.untagged lacks"));
  CHECK_THAT(tags.error, Catch::Contains("ManagedBy"));
}

TEST_CASE("an unencrypted or public database fails the security checks") {
  executed_task task(task_type::generate, cloud_provider::aws, "staging", {"vpc", "rds"}, tagged);
  task.replace("rds.tf", "storage_encrypted", "storage_encrypted = false\n  # was");
  task.replace("rds.tf", "publicly_accessible", "publicly_accessible = true\n  # was");
  const auto v = task.verify();
  INFO(task.read("rds.tf") << "\n" << describe(v));
  CHECK(check_named(v, "encryption_at_rest").status == check_status::failed);
  CHECK(check_named(v, "no_public_data").status == check_status::failed);
  CHECK(check_named(v, "module_valid").status == check_status::passed);
}

TEST_CASE("an IAM policy allowing every action fails least privilege") {
  executed_task task(task_type::generate, cloud_provider::aws, "staging", {"vpc"}, tagged);
  task.append("vpc.tf",
              "resource \"aws_iam_policy\" \"admin\" {\n  name = \"admin\"\n"
              "  policy = jsonencode({\n    Version = \"2012-10-17\"\n"
              "    Statement = [{ Effect = \"Allow\", Action = \"*\", Resource = \"*\" }]\n"
              "  })\n}\n");
  const auto v = task.verify();
  INFO(describe(v));
  CHECK(with_status(v, check_status::failed) == std::vector<std::string>{"no_wildcard_iam"});
}

TEST_CASE("production backups kept less than seven days fail") {
  executed_task task(task_type::generate, cloud_provider::aws, "production", {"vpc", "rds"},
                     tagged);
  task.replace("rds.tf", "backup_retention_period", "backup_retention_period = 1\n  # was");
  const auto v = task.verify();
  INFO(task.read("rds.tf") << "\n" << describe(v));
  CHECK(with_status(v, check_status::failed) == std::vector<std::string>{"backups_configured"});
  CHECK_THAT(check_named(v, "backups_configured").error, Catch::Contains("1 days"));
}

TEST_CASE("audit logging is skipped when the requirements turn logging off") {
  executed_task task(task_type::generate, cloud_provider::aws, "staging", {"vpc", "eks"},
                     {{"enable_logging", false}});
  const auto v = task.verify();
  INFO(describe(v));
  CHECK(check_named(v, "audit_logging").status == check_status::skipped);
}

TEST_CASE("a step far slower than its estimate is a performance warning") {
  executed_task task(task_type::generate, cloud_provider::aws, "staging", {"vpc"}, tagged);
  for (auto& r : task.results)
    if (r.step_id == "generate_vpc") r.duration_ms = 60'000;  // estimate: 2 s (catalog)
  const auto v = task.verify();
  INFO(describe(v));
  CHECK(v.status == verification_status::warning);
  CHECK(with_status(v, check_status::warning) == std::vector<std::string>{"step_durations"});
  CHECK_THAT(check_named(v, "step_durations").error, Catch::Contains("generate_vpc"));
}

TEST_CASE("an estimate over the cost limit fails and a stale estimate warns") {
  executed_task task(task_type::generate, cloud_provider::aws, "staging", {"vpc", "eks"}, tagged);
  auto v = task.verify(task.p.estimated_cost - 1);  // a node limit just under the estimate
  CHECK(with_status(v, check_status::failed) == std::vector<std::string>{"cost_within_limit"});

  task.p.estimated_cost += 500;  // no longer what the components cost
  v = task.verify();
  INFO(describe(v));
  CHECK(with_status(v, check_status::warning) == std::vector<std::string>{"cost_breakdown"});
}

TEST_CASE("a deployment whose verification failed fails the deployment check") {
  executed_task task(task_type::deploy, cloud_provider::aws, "staging", {"vpc"}, tagged);
  for (auto& r : task.results)
    if (r.step_id == "verify_deployment") r.status = execution_status::failure;
  const auto v = task.verify();
  INFO(describe(v));
  CHECK(check_named(v, "deployment_outputs").status == check_status::failed);
  CHECK(check_named(v, "steps_succeeded").status == check_status::failed);
}

TEST_CASE("expected and actual are JSON values of their natural type") {
  executed_task task(task_type::generate, cloud_provider::azure, "production", {"vnet", "postgres"},
                     tagged);
  task.append("vnet.tf", public_ip_tagged_project_only);
  const auto v = task.verify();
  INFO(describe(v));
  auto value = [](const json_doc& doc) { return boost::json::parse(doc.text); };
  // A list of tag names: all three are required, only Project is on every resource.
  const auto& tags = check_named(v, "required_tags");
  CHECK(value(tags.expected) == boost::json::array{"Environment", "ManagedBy", "Project"});
  CHECK(value(tags.actual) == boost::json::array{"Project"});
  // Booleans.
  CHECK(value(check_named(v, "module_valid").expected) == true);
  CHECK(value(check_named(v, "module_valid").actual) == true);
  // Numbers: days of backups, USD per month, steps.
  const auto& backups = check_named(v, "backups_configured");
  CHECK(value(backups.expected) == 7);
  CHECK(value(backups.actual).to_number<int64_t>() >= 7);
  const auto& budget = check_named(v, "cost_within_limit");
  CHECK(value(budget.actual).to_number<double>() == Approx(task.p.estimated_cost));
  CHECK(value(budget.expected).to_number<double>() == Approx(10000));
  const auto& steps = check_named(v, "steps_succeeded");
  CHECK(value(steps.expected).to_number<size_t>() == task.p.steps.size());
  CHECK(value(steps.actual) == value(steps.expected));
}
