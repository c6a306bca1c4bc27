#include <catch2/catch.hpp>

#include <algorithm>
#include <set>

#include "actors/planner/catalog.hpp"

using namespace ce;
using namespace ce::planner;

namespace {

task_context context_with(cloud_provider provider, std::vector<std::string> components) {
  task_context context;
  context.provider = provider;
  context.environment = "development";
  context.components = std::move(components);
  return context;
}

const std::vector<cloud_provider> all_providers = {cloud_provider::aws, cloud_provider::gcp,
                                                   cloud_provider::azure};

}  // namespace

TEST_CASE("every provider offers the components the contract names") {
  for (const auto* name : {"vpc", "ec2", "eks", "rds", "s3", "iam", "kms", "cloudwatch"})
    CHECK(find_component(cloud_provider::aws, name) != nullptr);
  for (const auto* name : {"vpc", "gke", "gcs", "cloudsql"})
    CHECK(find_component(cloud_provider::gcp, name) != nullptr);
  for (const auto* name : {"vnet", "aks", "storage", "postgres"})
    CHECK(find_component(cloud_provider::azure, name) != nullptr);
}

TEST_CASE("a component of one provider is unknown to another") {
  CHECK(find_component(cloud_provider::gcp, "eks") == nullptr);
  CHECK(find_component(cloud_provider::azure, "vpc") == nullptr);
  CHECK(find_component(cloud_provider::aws, "aks") == nullptr);
}

TEST_CASE("component names follow catalog order and are unique") {
  for (auto provider : all_providers) {
    auto names = component_names(provider);
    REQUIRE(names.size() == catalog(provider).size());
    for (size_t i = 0; i < names.size(); ++i) CHECK(names[i] == catalog(provider)[i].name);
    CHECK(std::set<std::string>(names.begin(), names.end()).size() == names.size());
  }
  CHECK(component_names(cloud_provider::aws).front() == "vpc");
}

TEST_CASE("every link a component needs points to a component of the same provider") {
  for (auto provider : all_providers)
    for (const auto& spec : catalog(provider))
      for (const auto& need : spec.needs) {
        INFO(to_string(provider) << " " << spec.name << " needs " << need);
        CHECK(find_component(provider, need) != nullptr);
        CHECK(need != spec.name);
      }
}

TEST_CASE("clusters and databases are wired to their provider's network") {
  auto needs = [](cloud_provider provider, const char* name) {
    return find_component(provider, name)->needs;
  };
  using Catch::Matchers::VectorContains;
  CHECK_THAT(needs(cloud_provider::aws, "eks"), VectorContains(std::string("vpc")));
  CHECK_THAT(needs(cloud_provider::aws, "rds"), VectorContains(std::string("vpc")));
  CHECK_THAT(needs(cloud_provider::aws, "ec2"), VectorContains(std::string("vpc")));
  CHECK_THAT(needs(cloud_provider::gcp, "gke"), VectorContains(std::string("vpc")));
  CHECK_THAT(needs(cloud_provider::gcp, "cloudsql"), VectorContains(std::string("vpc")));
  CHECK_THAT(needs(cloud_provider::azure, "aks"), VectorContains(std::string("vnet")));
  CHECK_THAT(needs(cloud_provider::azure, "postgres"), VectorContains(std::string("vnet")));
}

TEST_CASE("data-holding components are marked stateful and the others are not") {
  CHECK(find_component(cloud_provider::aws, "rds")->stateful);
  CHECK(find_component(cloud_provider::aws, "s3")->stateful);
  CHECK(find_component(cloud_provider::gcp, "cloudsql")->stateful);
  CHECK(find_component(cloud_provider::gcp, "gcs")->stateful);
  CHECK(find_component(cloud_provider::azure, "postgres")->stateful);
  CHECK(find_component(cloud_provider::azure, "storage")->stateful);
  CHECK_FALSE(find_component(cloud_provider::aws, "vpc")->stateful);
  CHECK_FALSE(find_component(cloud_provider::aws, "eks")->stateful);
}

TEST_CASE("a managed kubernetes cluster takes longer to apply than its network") {
  CHECK(find_component(cloud_provider::aws, "eks")->apply_seconds >
        find_component(cloud_provider::aws, "vpc")->apply_seconds);
  CHECK(find_component(cloud_provider::gcp, "gke")->apply_seconds >
        find_component(cloud_provider::gcp, "vpc")->apply_seconds);
  CHECK(find_component(cloud_provider::azure, "aks")->apply_seconds >
        find_component(cloud_provider::azure, "vnet")->apply_seconds);
}

TEST_CASE("regions are the providers' real region names") {
  CHECK(region_valid(cloud_provider::aws, "us-east-1"));
  CHECK(region_valid(cloud_provider::aws, "eu-west-1"));
  CHECK(region_valid(cloud_provider::gcp, "us-central1"));
  CHECK(region_valid(cloud_provider::gcp, "europe-west1"));
  CHECK(region_valid(cloud_provider::azure, "eastus"));
  CHECK(region_valid(cloud_provider::azure, "westeurope"));
  CHECK_FALSE(region_valid(cloud_provider::aws, "us-central1"));
  CHECK_FALSE(region_valid(cloud_provider::gcp, "us-east-1"));
  CHECK_FALSE(region_valid(cloud_provider::azure, "mars-1"));
  CHECK_FALSE(region_valid(cloud_provider::aws, ""));
}

TEST_CASE("each provider's default region is one of its known regions") {
  CHECK(default_region(cloud_provider::aws) == "us-east-1");
  CHECK(default_region(cloud_provider::gcp) == "us-central1");
  CHECK(default_region(cloud_provider::azure) == "eastus");
  for (auto provider : all_providers) CHECK(region_valid(provider, default_region(provider)));
}

TEST_CASE("the seed example's kubernetes version 1.28 and engine postgres are supported") {
  for (auto provider : all_providers) {
    const auto& versions = supported_kubernetes_versions(provider);
    CHECK(std::find(versions.begin(), versions.end(), "1.28") != versions.end());
    const auto& engines = supported_db_engines(provider);
    CHECK(std::find(engines.begin(), engines.end(), "postgres") != engines.end());
  }
  const auto& aws = supported_db_engines(cloud_provider::aws);
  CHECK(std::find(aws.begin(), aws.end(), "mariadb") != aws.end());
  const auto& azure = supported_db_engines(cloud_provider::azure);
  CHECK(std::find(azure.begin(), azure.end(), "mysql") == azure.end());
}

TEST_CASE("component kinds have readable names") {
  CHECK(to_string(component_kind::network) == "network");
  CHECK(to_string(component_kind::kubernetes) == "kubernetes");
  CHECK(to_string(component_kind::monitoring) == "monitoring");
}

TEST_CASE("known, distinct components pass the input checks") {
  CHECK(check_components(context_with(cloud_provider::aws, {"vpc", "eks", "rds"})).empty());
  CHECK(check_components(context_with(cloud_provider::azure, {"vnet", "aks"})).empty());
}

TEST_CASE("an unknown component is reported at its index with the supported ones listed") {
  auto errors = check_components(context_with(cloud_provider::aws, {"vpc", "eks", "foo"}));
  REQUIRE(errors.size() == 1);
  CHECK(errors[0].field == "context.components[2]");
  CHECK(errors[0].message ==
        "'foo' is not a component of aws; supported: vpc, ec2, eks, rds, s3, iam, kms, cloudwatch");
}

TEST_CASE("a component of another provider is rejected") {
  auto errors = check_components(context_with(cloud_provider::gcp, {"eks"}));
  REQUIRE(errors.size() == 1);
  CHECK(errors[0].field == "context.components[0]");
  CHECK_THAT(errors[0].message,
             Catch::Contains("is not a component of gcp") && Catch::Contains("supported: vpc, gke"));
}

TEST_CASE("a component listed twice is rejected at its second position") {
  auto errors = check_components(context_with(cloud_provider::aws, {"vpc", "eks", "vpc"}));
  REQUIRE(errors.size() == 1);
  CHECK(errors[0].field == "context.components[2]");
  CHECK_THAT(errors[0].message, Catch::Contains("more than once"));
}

TEST_CASE("a task without components is rejected") {
  auto errors = check_components(context_with(cloud_provider::aws, {}));
  REQUIRE(errors.size() == 1);
  CHECK(errors[0].field == "context.components");
}

TEST_CASE("an empty component name is rejected") {
  auto errors = check_components(context_with(cloud_provider::aws, {"vpc", ""}));
  REQUIRE(errors.size() == 1);
  CHECK(errors[0].field == "context.components[1]");
}
