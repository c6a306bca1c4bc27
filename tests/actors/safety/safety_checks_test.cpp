#include "actors/safety/safety_checks.hpp"

#include <algorithm>
#include <fstream>
#include <map>
#include <set>
#include <string>

#include <boost/json.hpp>
#include <catch2/catch.hpp>

#include "actors/executor/artifacts.hpp"
#include "actors/planner/planner.hpp"
#include "tests/support/temp_dir.hpp"

namespace {

namespace json = boost::json;
using namespace ce;
using ce::safety::execution_monitor;
using ce::safety::registered_checks;
using ce::safety::run_post_execution;
using ce::safety::run_pre_execution;
using ce::safety::safety_policy;
using ce::testing::temp_dir;

constexpr timestamp_ms plan_time = 1'700'000'000'000;  // any fixed instant

plan make_test_plan(task_type type, std::string environment, std::vector<std::string> components,
                    json::object requirements = {}, std::string region = "us-east-1") {
  task_context context;
  context.provider = cloud_provider::aws;
  context.environment = std::move(environment);
  context.region = std::move(region);
  context.components = std::move(components);
  context.requirements.text = json::serialize(requirements);
  return planner::make_plan("plan_test", "task_test", type, context, plan_time);
}

const safety_check_result& result_named(const safety_report& report, const std::string& id) {
  auto it = std::find_if(report.results.begin(), report.results.end(),
                         [&](const safety_check_result& r) { return r.check_id == id; });
  REQUIRE(it != report.results.end());
  return *it;
}

std::set<std::string> blocker_ids(const safety_report& report) {
  std::set<std::string> ids;
  for (const auto& b : report.blockers) ids.insert(b.check_id);
  return ids;
}

/// Puts content as a file into the workspace and returns its artifact record.
artifact write_file_artifact(workspace& files, const std::string& name,
                             const std::string& content) {
  files[name] = executor::make_file(artifact_type::terraform, shared<std::string>(content));
  artifact a;
  a.id = "artifact_" + name;
  a.name = name;
  a.path = "task_1/" + name;
  a.size = static_cast<int64_t>(content.size());
  a.checksum = ce::sha256_hex(content);
  return a;
}

/// A successful result for every step of the plan; each generate step wrote one .tf file.
std::vector<execution_result> successful_results(const plan& p, workspace& files) {
  std::vector<execution_result> results;
  for (const auto& step : p.steps) {
    execution_result r;
    r.id = "result_" + step.id;
    r.plan_id = p.id;
    r.step_id = step.id;
    r.status = execution_status::success;
    if (step.action == "generate_component")
      r.artifacts.push_back(write_file_artifact(
          files, step.component + ".tf",
          "resource \"aws_s3_bucket\" \"" + step.component + "\" {\n  bucket = \"b\"\n}\n"));
    results.push_back(std::move(r));
  }
  return results;
}

verification_result verification_with(check_category type, check_status status) {
  verification_result v;
  v.id = "verification_test";
  verification_check check;
  check.id = "check_1";
  check.type = type;
  check.name = "no_open_ssh";
  check.status = status;
  v.checks.push_back(check);
  return v;
}

}  // namespace

TEST_CASE("fifteen checks are registered: ten before, two during and three after execution") {
  const auto& checks = registered_checks();
  REQUIRE(checks.size() == 15);
  std::set<std::string> ids;
  int pre = 0, during = 0, post = 0;
  for (const auto& check : checks) {
    ids.insert(check.id);
    CHECK_FALSE(check.name.empty());
    CHECK_FALSE(check.description.empty());
    pre += check.phase == safety_phase::pre_execution;
    during += check.phase == safety_phase::during_execution;
    post += check.phase == safety_phase::post_execution;
  }
  CHECK(ids.size() == 15);
  CHECK(pre == 10);
  CHECK(during == 2);
  CHECK(post == 3);
}

TEST_CASE("pre-execution reports one result for each of the ten pre-execution checks") {
  const auto report =
      run_pre_execution(make_test_plan(task_type::generate, "staging", {"vpc"}), {});
  std::set<std::string> reported;
  for (const auto& r : report.results) reported.insert(r.check_id);
  std::set<std::string> registered_pre;
  for (const auto& check : registered_checks())
    if (check.phase == safety_phase::pre_execution) registered_pre.insert(check.id);
  CHECK(report.phase == safety_phase::pre_execution);
  CHECK(reported == registered_pre);
}

TEST_CASE("a production plan passes and asks for approval") {
  for (auto type : {task_type::generate, task_type::deploy}) {
    const auto p = make_test_plan(
        type, "production", {"vpc", "eks", "rds"},
        {{"vpc_cidr", "10.0.0.0/16"}, {"eks_version", "1.28"}, {"rds_engine", "postgres"}});
    const auto report = run_pre_execution(p, {});
    INFO("plan type " << to_string(type));
    CHECK(report.passed);
    CHECK(report.blockers.empty());
    CHECK(report.requires_approval);
    CHECK(result_named(report, "production_approval").passed);
    CHECK(result_named(report, "production_approval").requires_approval);
  }
}

TEST_CASE("a staging plan with default requirements passes every check without approval") {
  const auto report = run_pre_execution(
      make_test_plan(task_type::deploy, "staging", {"vpc", "eks", "rds", "s3"}), {});
  CHECK(report.passed);
  CHECK_FALSE(report.requires_approval);
  for (const auto& r : report.results) {
    INFO(r.check_id << ": " << r.message);
    CHECK(r.passed);
  }
}

TEST_CASE("production approval can be turned off by policy") {
  safety_policy policy;
  policy.production_requires_approval = false;
  policy.approval_risk_threshold = severity::critical;
  const auto report =
      run_pre_execution(make_test_plan(task_type::generate, "production", {"vpc"}), policy);
  CHECK(report.passed);
  CHECK_FALSE(report.requires_approval);
}

TEST_CASE("a plan at the approval risk threshold needs approval outside production") {
  auto p = make_test_plan(task_type::generate, "staging", {"vpc"});
  p.risk_level = severity::high;  // the default policy threshold
  const auto report = run_pre_execution(p, {});
  CHECK(report.passed);
  CHECK(report.requires_approval);
}

TEST_CASE("an estimate over the requirements' cost limit blocks with both amounts named") {
  // Ten default EKS workers alone cost far more than 100 USD a month.
  const auto p = make_test_plan(task_type::generate, "staging", {"vpc", "eks"},
                                {{"node_count", 10}, {"cost_limit", 100}});
  REQUIRE(p.estimated_cost > 100);
  const auto report = run_pre_execution(p, {});
  CHECK_FALSE(report.passed);
  CHECK(blocker_ids(report) == std::set<std::string>{"cost_limit"});
  const auto& r = result_named(report, "cost_limit");
  CHECK_FALSE(r.can_proceed);
  CHECK_THAT(r.message, Catch::Contains("exceeds the limit of 100.00 USD/month"));
}

TEST_CASE("without a cost limit in the requirements the policy's limit applies") {
  auto p = make_test_plan(task_type::generate, "staging", {"vpc"});
  p.estimated_cost = 12400;  // above the default policy limit of 10000
  const auto report = run_pre_execution(p, {});
  CHECK(blocker_ids(report) == std::set<std::string>{"cost_limit"});
  CHECK(result_named(report, "cost_limit").message ==
        "Estimated cost 12400.00 USD/month exceeds the limit of 10000.00 USD/month.");
  safety_policy generous;
  generous.cost_limit_usd = 20000;
  CHECK(run_pre_execution(p, generous).passed);
}

TEST_CASE("a network range outside private space or the /16../28 sizes blocks") {
  const std::vector<std::pair<std::string, bool>> cases = {
      {"10.0.0.0/16", true},     {"172.16.0.0/16", true},  {"192.168.10.0/24", true},
      {"10.20.30.0/28", true},   {"8.8.0.0/16", false},    {"172.32.0.0/16", false},
      {"10.0.0.0/8", false},     {"10.0.0.0/29", false},   {"10.0.0.5/16", false},
      {"10.0.0.0", false},       {"10.0.0.256/24", false}, {"not-a-cidr", false},
      {"192.169.0.0/16", false}, {"10.0.0.0/16x", false}};
  for (const auto& [cidr, ok] : cases) {
    const auto report = run_pre_execution(
        make_test_plan(task_type::generate, "staging", {"vpc"}, {{"vpc_cidr", cidr}}), {});
    INFO(cidr << ": " << result_named(report, "network_cidr").message);
    CHECK(result_named(report, "network_cidr").passed == ok);
    CHECK(report.passed == ok);
  }
}

TEST_CASE("an unknown region blocks, no region means the provider default") {
  auto report =
      run_pre_execution(make_test_plan(task_type::generate, "staging", {"vpc"}, {}, "mars-1"), {});
  CHECK(blocker_ids(report) == std::set<std::string>{"region_valid"});
  CHECK_THAT(result_named(report, "region_valid").message, Catch::Contains("'mars-1'"));

  report = run_pre_execution(make_test_plan(task_type::generate, "staging", {"vpc"}, {}, ""), {});
  CHECK(report.passed);
  CHECK_THAT(result_named(report, "region_valid").message, Catch::Contains("us-east-1"));
}

TEST_CASE("a component the provider does not offer blocks") {
  const auto report =
      run_pre_execution(make_test_plan(task_type::generate, "staging", {"vpc", "mainframe"}), {});
  CHECK(blocker_ids(report) == std::set<std::string>{"components_supported"});
  CHECK_THAT(result_named(report, "components_supported").message, Catch::Contains("mainframe"));
}

TEST_CASE("an unsupported kubernetes version or database engine blocks") {
  auto report = run_pre_execution(
      make_test_plan(task_type::generate, "staging", {"vpc", "eks"}, {{"eks_version", "1.19"}}),
      {});
  CHECK(blocker_ids(report) == std::set<std::string>{"versions_supported"});
  CHECK_THAT(result_named(report, "versions_supported").message, Catch::Contains("1.19"));

  report = run_pre_execution(
      make_test_plan(task_type::generate, "staging", {"vpc", "rds"}, {{"rds_engine", "oracle"}}),
      {});
  CHECK(blocker_ids(report) == std::set<std::string>{"versions_supported"});
  CHECK_THAT(result_named(report, "versions_supported").message, Catch::Contains("oracle"));

  // The version only matters when the plan has a cluster.
  report = run_pre_execution(
      make_test_plan(task_type::generate, "staging", {"vpc"}, {{"eks_version", "1.19"}}), {});
  CHECK(report.passed);
}

TEST_CASE("turning encryption off blocks") {
  const auto report = run_pre_execution(
      make_test_plan(task_type::generate, "staging", {"vpc", "rds"}, {{"encryption", false}}), {});
  CHECK(blocker_ids(report) == std::set<std::string>{"encryption_enabled"});
  CHECK(result_named(report, "encryption_enabled").level == severity::critical);
}

TEST_CASE("disabled backups block in production and only warn elsewhere") {
  const json::object no_backups{{"backup_retention_days", 0}};
  auto report = run_pre_execution(
      make_test_plan(task_type::generate, "production", {"vpc", "rds"}, no_backups), {});
  CHECK(blocker_ids(report) == std::set<std::string>{"backup_strategy"});

  report = run_pre_execution(
      make_test_plan(task_type::generate, "staging", {"vpc", "rds"}, no_backups), {});
  const auto& r = result_named(report, "backup_strategy");
  CHECK(report.passed);
  CHECK_FALSE(r.passed);
  CHECK(r.can_proceed);

  // Without a stateful component there is nothing to back up.
  report =
      run_pre_execution(make_test_plan(task_type::generate, "production", {"vpc"}, no_backups), {});
  CHECK(result_named(report, "backup_strategy").passed);
}

TEST_CASE("a plan without the best-practices step, or with it after deployment, blocks") {
  auto p = make_test_plan(task_type::deploy, "staging", {"vpc"});
  auto without = p;
  without.steps.erase(
      std::remove_if(without.steps.begin(), without.steps.end(),
                     [](const plan_step& s) { return s.action == "apply_best_practices"; }),
      without.steps.end());
  CHECK(blocker_ids(run_pre_execution(without, {})) ==
        std::set<std::string>{"best_practices_step"});

  auto late = p;
  for (auto& step : late.steps)
    if (step.action == "apply_best_practices") step.order = 100;  // after every other step
  CHECK(blocker_ids(run_pre_execution(late, {})) == std::set<std::string>{"best_practices_step"});
}

TEST_CASE("an infrastructure change without rollback blocks unless an approval gates it") {
  auto p = make_test_plan(task_type::deploy, "staging", {"vpc"});
  REQUIRE(run_pre_execution(p, {}).passed);
  for (auto& step : p.steps)
    if (step.action == "apply_deployment") step.rollback_action.clear();
  CHECK(blocker_ids(run_pre_execution(p, {})) == std::set<std::string>{"rollback_coverage"});

  p.context.environment = "production";  // production approval gates the change
  const auto gated = run_pre_execution(p, {});
  CHECK(gated.passed);
  CHECK(gated.requires_approval);
}

TEST_CASE("a destructive rollback plan passes but needs approval") {
  safety_policy policy;
  policy.approval_risk_threshold = severity::critical;
  auto p = make_test_plan(task_type::rollback, "staging", {"vpc"});
  p.risk_level = severity::low;  // only the destructive step asks for approval here
  const auto report = run_pre_execution(p, policy);
  CHECK(report.passed);
  CHECK(report.requires_approval);
  CHECK(result_named(report, "rollback_coverage").requires_approval);
  CHECK_FALSE(result_named(report, "production_approval").requires_approval);
}

TEST_CASE("the creation rate limit fires above the limit within one minute") {
  execution_monitor monitor({}, plan_time);  // default limit: 120 per minute
  CHECK_FALSE(monitor.on_resources_created(100, plan_time + 1'000));
  CHECK_FALSE(monitor.on_resources_created(20, plan_time + 30'000));  // exactly 120
  const auto fired = monitor.on_resources_created(1, plan_time + 59'000);
  REQUIRE(fired);
  CHECK(fired->check_id == "resource_creation_rate");
  CHECK_FALSE(fired->passed);
  CHECK_FALSE(fired->can_proceed);
  CHECK_THAT(fired->message, Catch::Contains("121"));
}

TEST_CASE("the creation rate limit does not fire when creations are spread out") {
  execution_monitor monitor({}, plan_time);
  CHECK_FALSE(monitor.on_resources_created(100, plan_time));
  CHECK_FALSE(monitor.on_resources_created(100, plan_time + 60'000));  // the first left the window
  CHECK_FALSE(monitor.on_resources_created(100, plan_time + 120'000));
  const auto now = monitor.results(plan_time + 120'000);
  REQUIRE(now.size() == 2);
  CHECK(now[0].check_id == "resource_creation_rate");
  CHECK(now[0].passed);
}

TEST_CASE("the execution times out once it runs longer than the policy allows") {
  safety_policy policy;
  policy.execution_timeout_s = 60;
  execution_monitor monitor(policy, plan_time);
  CHECK(monitor.check_timeout(plan_time + 60'000).passed);
  const auto late = monitor.check_timeout(plan_time + 60'001);
  CHECK(late.check_id == "execution_timeout");
  CHECK_FALSE(late.passed);
  CHECK_FALSE(late.can_proceed);
  const auto results = monitor.results(plan_time + 61'000);
  REQUIRE(results.size() == 2);
  CHECK(results[1].check_id == "execution_timeout");
  CHECK_FALSE(results[1].passed);
}

TEST_CASE("post-execution passes on intact generated files and fails once one is tampered") {
  workspace files;
  const auto p = make_test_plan(task_type::generate, "staging", {"vpc", "s3"});
  const auto results = successful_results(p, files);
  const auto verification = verification_with(check_category::security, check_status::passed);

  auto report = run_post_execution(p, results, verification, {}, &files);
  CHECK(report.phase == safety_phase::post_execution);
  REQUIRE(report.results.size() == 3);
  CHECK(report.passed);

  files["vpc.tf"] = executor::make_file(artifact_type::terraform,
                                        shared<std::string>(*files["vpc.tf"].bytes + "# edited\n"));
  report = run_post_execution(p, results, verification, {}, &files);
  CHECK(blocker_ids(report) == std::set<std::string>{"deployment_verified"});
  CHECK_THAT(result_named(report, "deployment_verified").message, Catch::Contains("vpc.tf"));
}

TEST_CASE("checked again later without the files, integrity is what the verification found") {
  workspace files;
  const auto p = make_test_plan(task_type::generate, "staging", {"vpc", "s3"});
  const auto results = successful_results(p, files);
  auto verification = verification_with(check_category::security, check_status::passed);
  CHECK(run_post_execution(p, results, verification, {}).passed);

  verification_check intact;
  intact.id = "artifacts_intact";
  intact.type = check_category::functionality;
  intact.status = check_status::failed;
  intact.error = "s3.tf is missing or differs from sha256 0123456789ab...";
  verification.checks.push_back(intact);
  const auto report = run_post_execution(p, results, verification, {});
  CHECK(blocker_ids(report) == std::set<std::string>{"deployment_verified"});
  CHECK_THAT(result_named(report, "deployment_verified").message,
             Catch::Contains("s3.tf") && !Catch::Contains("vpc.tf"));
}

TEST_CASE("post-execution fails when a generate step failed") {
  workspace files;
  const auto p = make_test_plan(task_type::generate, "staging", {"vpc", "s3"});
  auto results = successful_results(p, files);
  for (auto& r : results)
    if (r.step_id == "generate_s3") r.status = execution_status::failure;
  const auto report = run_post_execution(
      p, results, verification_with(check_category::security, check_status::passed), {});
  CHECK(blocker_ids(report) == std::set<std::string>{"deployment_verified"});
}

TEST_CASE("a deployment counts as verified only when verify_deployment succeeded") {
  workspace files;
  const auto p = make_test_plan(task_type::deploy, "staging", {"vpc"});
  auto results = successful_results(p, files);
  const auto verification = verification_with(check_category::security, check_status::passed);
  CHECK(run_post_execution(p, results, verification, {}).passed);
  for (auto& r : results)
    if (r.step_id == "verify_deployment") r.status = execution_status::failure;
  CHECK(blocker_ids(run_post_execution(p, results, verification, {})) ==
        std::set<std::string>{"deployment_verified"});
}

TEST_CASE("an actual cost far above the estimate is a warning, not a blocker") {
  workspace files;
  const auto p = make_test_plan(task_type::deploy, "staging", {"vpc"});
  auto results = successful_results(p, files);
  const auto verification = verification_with(check_category::security, check_status::passed);
  for (auto& r : results)
    if (r.step_id == "apply_deployment")
      r.outputs.text = json::serialize(json::object{{"monthly_cost_usd", p.estimated_cost * 2}});
  const auto report = run_post_execution(p, results, verification, {});
  const auto& anomaly = result_named(report, "cost_anomaly");
  CHECK_FALSE(anomaly.passed);
  CHECK(anomaly.can_proceed);
  CHECK(report.passed);

  // 1.2 times the estimate stays under the default factor of 1.5.
  for (auto& r : results)
    if (r.step_id == "apply_deployment")
      r.outputs.text = json::serialize(json::object{{"monthly_cost_usd", p.estimated_cost * 1.2}});
  CHECK(result_named(run_post_execution(p, results, verification, {}), "cost_anomaly").passed);
}

TEST_CASE("a failed security check in the verification fails the security posture") {
  workspace files;
  const auto p = make_test_plan(task_type::generate, "staging", {"vpc"});
  const auto results = successful_results(p, files);
  auto report = run_post_execution(
      p, results, verification_with(check_category::security, check_status::failed), {});
  CHECK(blocker_ids(report) == std::set<std::string>{"security_posture"});
  CHECK_THAT(result_named(report, "security_posture").message, Catch::Contains("no_open_ssh"));

  // A failed check of another category is not a security matter.
  report = run_post_execution(
      p, results, verification_with(check_category::performance, check_status::failed), {});
  const auto& posture = result_named(report, "security_posture");
  CHECK_FALSE(posture.passed);  // no security check ran: reported, not blocking
  CHECK(posture.can_proceed);
  CHECK(report.passed);
}

TEST_CASE("check details are JSON objects") {
  const auto report =
      run_pre_execution(make_test_plan(task_type::generate, "staging", {"vpc", "rds"}), {});
  for (const auto& r : report.results) {
    INFO(r.check_id);
    CHECK(json::parse(r.details.text).is_object());
  }
}

TEST_CASE("post-execution results report a score against their threshold") {
  workspace files;
  const auto p = make_test_plan(task_type::deploy, "staging", {"vpc"});
  auto results = successful_results(p, files);
  const auto verification = verification_with(check_category::security, check_status::passed);
  auto score_of = [](const safety_check_result& r) {
    auto details = json::parse(r.details.text).as_object();
    return std::make_pair(details.at("score").to_number<double>(),
                          details.at("threshold").to_number<double>());
  };
  auto report = run_post_execution(p, results, verification, {});
  for (const auto& r : report.results) {
    INFO(r.check_id);
    auto [score, threshold] = score_of(r);
    CHECK(r.passed);
    if (r.check_id == "cost_anomaly")
      CHECK(score <= threshold);  // a ratio of actual to estimated cost
    else
      CHECK(score >= threshold);
  }
  // Twice the estimate: the ratio is 2, above the factor of 1.5.
  for (auto& r : results)
    if (r.step_id == "apply_deployment")
      r.outputs.text = json::serialize(json::object{{"monthly_cost_usd", p.estimated_cost * 2}});
  auto anomaly = result_named(run_post_execution(p, results, verification, {}), "cost_anomaly");
  CHECK(score_of(anomaly).first == Approx(2));
  CHECK(score_of(anomaly).second == Approx(1.5));
  // A failed security check: 0 of 1 security checks pass.
  auto posture = result_named(
      run_post_execution(p, results,
                         verification_with(check_category::security, check_status::failed), {}),
      "security_posture");
  CHECK(score_of(posture).first == 0);
  CHECK(score_of(posture).second == 100);
}

TEST_CASE("a result keeps its check's registered severity whether it passed or not") {
  std::map<std::string, severity> registered;
  for (const auto& c : registered_checks()) registered[c.id] = c.level;
  workspace files;
  const auto p = make_test_plan(task_type::deploy, "staging", {"vpc"});
  auto results = successful_results(p, files);
  for (auto& r : results)
    if (r.step_id == "apply_deployment")
      r.outputs.text = json::serialize(json::object{{"monthly_cost_usd", p.estimated_cost * 2}});
  // Warnings (cost anomaly, no security check) and passes alike.
  auto report = run_post_execution(
      p, results, verification_with(check_category::performance, check_status::failed), {});
  int warnings = 0;
  for (const auto& r : report.results) {
    INFO(r.check_id);
    CHECK(r.level == registered.at(r.check_id));
    warnings += !r.passed && r.can_proceed;
  }
  CHECK(warnings == 2);
}
