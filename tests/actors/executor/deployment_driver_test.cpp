#include "actors/executor/deployment_driver.hpp"

#include <catch2/catch.hpp>

#include <filesystem>
#include <fstream>

#include <boost/json.hpp>

#include "actors/executor/artifacts.hpp"
#include "tests/support/temp_dir.hpp"

using namespace ce;
using namespace ce::executor;
using ce::testing::temp_dir;
namespace json = boost::json;

namespace {

// Three resource blocks; the subnets' literal count makes them three instances: five in all.
const char* network_tf = R"(resource "aws_vpc" "main" {
  cidr_block = "10.0.0.0/16"
}

resource "aws_subnet" "private" {
  count      = 3
  vpc_id     = aws_vpc.main.id
  cidr_block = cidrsubnet(aws_vpc.main.cidr_block, 8, count.index)
}

resource "aws_eks_cluster" "main" {
  name     = "demo"
  role_arn = "arn:aws:iam::000000000000:role/demo"
  vpc_config {
    subnet_ids = aws_subnet.private[*].id
  }
}

data "aws_availability_zones" "available" {}
)";
constexpr int network_instances = 5;

const char* outputs_tf = R"(output "vpc_id" {
  value = aws_vpc.main.id
}

output "private_subnet_ids" {
  value = aws_subnet.private[*].id
}

output "cluster_endpoint" {
  value = aws_eks_cluster.main.endpoint
}
)";

void write_module(const std::string& dir) {
  std::ofstream(dir + "/network.tf") << network_tf;
  std::ofstream(dir + "/outputs.tf") << outputs_tf;
}

task_context context_with(const std::string& requirements = "{}") {
  task_context c;
  c.provider = cloud_provider::aws;
  c.environment = "development";
  c.region = "eu-west-1";
  c.components = {"vpc", "eks"};
  c.requirements = json_doc{requirements};
  return c;
}

json::object outputs_of(const driver_outcome& o) {
  return json::parse(o.outputs.text).as_object();
}

}  // namespace

TEST_CASE("the simulated plan counts resource instances like terraform", "[driver]") {
  temp_dir tmp;
  write_module(tmp.path());
  auto driver = make_simulated_driver();
  CHECK(driver->name() == "simulated");

  auto plan = driver->plan(tmp.path(), context_with());
  REQUIRE(plan.ok);
  CHECK(plan.to_add == network_instances);
  CHECK(plan.to_change == 0);
  CHECK(plan.to_destroy == 0);
  REQUIRE_FALSE(plan.logs.empty());
  CHECK(plan.logs.back().message == "Plan: 5 to add, 0 to change, 0 to destroy.");
}

TEST_CASE("apply, verify and destroy round-trip through the simulated state", "[driver]") {
  temp_dir tmp;
  write_module(tmp.path());
  auto driver = make_simulated_driver();
  auto context = context_with();

  auto applied = driver->apply(tmp.path(), context);
  REQUIRE(applied.ok);
  CHECK(applied.resources_created == network_instances);
  CHECK(std::filesystem::exists(tmp / "terraform.tfstate.json"));
  auto outputs = outputs_of(applied);
  CHECK(std::string(outputs.at("vpc_id").as_string()).rfind("vpc-", 0) == 0);
  CHECK(outputs.at("private_subnet_ids").as_array().size() == 3);
  CHECK_THAT(std::string(outputs.at("cluster_endpoint").as_string()),
             Catch::StartsWith("https://") && Catch::Contains("eu-west-1.eks.amazonaws.com"));

  auto replanned = driver->plan(tmp.path(), context);
  CHECK(replanned.to_add == 0);

  auto verified = driver->verify(tmp.path(), context);
  CHECK(verified.ok);
  CHECK(outputs_of(verified).at("vpc_id") == outputs.at("vpc_id"));

  auto destroyed = driver->destroy(tmp.path(), context);
  REQUIRE(destroyed.ok);
  CHECK(destroyed.resources_created == network_instances);

  SECTION("destroying again is a no-op that succeeds") {
    auto again = driver->destroy(tmp.path(), context);
    CHECK(again.ok);
    CHECK(again.resources_created == 0);
  }
  SECTION("after destroy, verification finds the resources missing") {
    auto after = driver->verify(tmp.path(), context);
    CHECK_FALSE(after.ok);
    CHECK(after.error_code == "drift");
    CHECK_THAT(after.error, Catch::Contains("aws_vpc.main"));
  }
}

TEST_CASE("fake ids are stable per workspace and differ between workspaces", "[driver]") {
  temp_dir a, b;
  write_module(a.path());
  write_module(b.path());
  auto driver = make_simulated_driver();
  auto first = outputs_of(driver->apply(a.path(), context_with())).at("vpc_id");
  driver->destroy(a.path(), context_with());
  auto again = outputs_of(driver->apply(a.path(), context_with())).at("vpc_id");
  auto other = outputs_of(driver->apply(b.path(), context_with())).at("vpc_id");
  CHECK(first == again);
  CHECK(first != other);
}

TEST_CASE("verify without a state reports that nothing was applied", "[driver]") {
  temp_dir tmp;
  write_module(tmp.path());
  auto outcome = make_simulated_driver()->verify(tmp.path(), context_with());
  CHECK_FALSE(outcome.ok);
  CHECK(outcome.error_code == "nothing_applied");
  CHECK_THAT(outcome.error, Catch::Contains("nothing applied"));
}

TEST_CASE("the simulated driver refuses a workspace without valid Terraform", "[driver]") {
  temp_dir tmp;
  auto driver = make_simulated_driver();
  CHECK(driver->plan(tmp.path(), context_with()).error_code == "no_configuration");
  std::ofstream(tmp / "broken.tf") << "resource \"aws_vpc\" \"main\" {\n";
  auto outcome = driver->plan(tmp.path(), context_with());
  CHECK_FALSE(outcome.ok);
  CHECK(outcome.error_code == "invalid_configuration");
  CHECK_THAT(outcome.error, Catch::Contains("broken.tf"));
}

TEST_CASE("simulate fails an operation the requested number of times, then succeeds", "[driver]") {
  temp_dir tmp;
  write_module(tmp.path());
  auto context = context_with(
      R"({"simulate": {"fail_step": "apply_deployment", "fail_times": 2, "transient": true}})");
  // A new driver per attempt, as each step actor makes its own: the count must survive.
  for (int attempt = 1; attempt <= 2; ++attempt) {
    auto failed = make_simulated_driver()->apply(tmp.path(), context);
    CHECK_FALSE(failed.ok);
    CHECK(failed.transient);
    CHECK(failed.error_code == "simulated_failure");
  }
  auto third = make_simulated_driver()->apply(tmp.path(), context);
  CHECK(third.ok);
  CHECK(make_simulated_driver()->plan(tmp.path(), context).ok);  // other operations unaffected
}

TEST_CASE("simulate without fail_times fails every attempt, permanently by default", "[driver]") {
  temp_dir tmp;
  write_module(tmp.path());
  auto context = context_with(R"({"simulate": {"fail_step": "verify", "error": "boom"}})");
  auto driver = make_simulated_driver();
  for (int attempt = 0; attempt < 3; ++attempt) {
    auto outcome = driver->verify(tmp.path(), context);
    CHECK_FALSE(outcome.ok);
    CHECK_FALSE(outcome.transient);
    CHECK(outcome.error == "boom");
  }
}

TEST_CASE("simulate can report many resources and ignores values of the wrong type", "[driver]") {
  temp_dir tmp;
  write_module(tmp.path());
  auto driver = make_simulated_driver();
  auto big = context_with(R"({"simulate": {"resources": 500}})");
  CHECK(driver->plan(tmp.path(), big).to_add == 500);
  CHECK(driver->apply(tmp.path(), big).resources_created == 500);

  auto odd = context_with(R"({"simulate": {"fail_step": 3, "resources": "many"}})");
  auto outcome = driver->plan(tmp.path(), odd);
  CHECK(outcome.ok);
}
