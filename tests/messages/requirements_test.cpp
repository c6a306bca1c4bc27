#include <catch2/catch.hpp>

#include "messages/requirements.hpp"

using ce::field_error;
using ce::json_doc;
using ce::parse_requirements;

namespace {

std::vector<field_error> errors_of(const std::string& text) {
  std::vector<field_error> errors;
  parse_requirements(json_doc{text}, &errors);
  return errors;
}

bool names_field(const std::vector<field_error>& errors, const std::string& field) {
  for (const auto& e : errors)
    if (e.field == field) return true;
  return false;
}

}  // namespace

TEST_CASE("no requirements means the documented defaults", "[requirements]") {
  std::vector<field_error> errors;
  auto r = parse_requirements(json_doc{"{}"}, &errors);
  CHECK(errors.empty());
  CHECK(r.project == "nimbus");
  CHECK(r.vpc_cidr == "10.0.0.0/16");
  CHECK(r.db_engine == "postgres");
  CHECK(r.instance_count == 1);
  CHECK(r.storage_gb == 20);
  CHECK(r.encryption);
  CHECK_FALSE(r.public_access);
  CHECK(r.enable_logging);
  CHECK_FALSE(r.has_kubernetes_version);
  CHECK(r.tags.empty());
}

TEST_CASE("production gets more zones, nodes, backup days and multi-AZ by default",
          "[requirements]") {
  ce::requirements r;
  // requirements.hpp: 3 zones/nodes and 7 backup days in production, else 2, 2 and 3.
  CHECK(ce::effective_azs(r, "production") == 3);
  CHECK(ce::effective_azs(r, "staging") == 2);
  CHECK(ce::effective_node_count(r, "prod") == 3);
  CHECK(ce::effective_node_count(r, "dev") == 2);
  CHECK(ce::effective_backup_days(r, "production") == 7);
  CHECK(ce::effective_backup_days(r, "dev") == 3);
  CHECK(ce::effective_multi_az(r, "production"));
  CHECK_FALSE(ce::effective_multi_az(r, "dev"));
}

TEST_CASE("explicit values override the environment's defaults", "[requirements]") {
  auto r = parse_requirements(json_doc{
      R"({"availability_zones":1,"node_count":5,"backup_retention_days":0,"multi_az":false})"});
  CHECK(ce::effective_azs(r, "production") == 1);
  CHECK(ce::effective_node_count(r, "production") == 5);
  CHECK(ce::effective_backup_days(r, "production") == 0);
  CHECK_FALSE(ce::effective_multi_az(r, "production"));
}

TEST_CASE("the seed README's provider-specific keys are understood", "[requirements]") {
  auto r = parse_requirements(
      json_doc{R"({"vpc_cidr":"10.1.0.0/16","eks_version":"1.28","rds_engine":"mysql"})"});
  CHECK(r.vpc_cidr == "10.1.0.0/16");
  CHECK(r.kubernetes_version == "1.28");
  CHECK(r.has_kubernetes_version);
  CHECK(r.db_engine == "mysql");
}

TEST_CASE("a known key of the wrong type is reported under its field name", "[requirements]") {
  auto errors =
      errors_of(R"({"node_count":"three","encryption":"yes","project":7,"cost_limit":"cheap"})");
  CHECK(errors.size() == 4);
  CHECK(names_field(errors, "context.requirements.node_count"));
  CHECK(names_field(errors, "context.requirements.encryption"));
  CHECK(names_field(errors, "context.requirements.project"));
  CHECK(names_field(errors, "context.requirements.cost_limit"));
}

TEST_CASE("a number out of range says which range is allowed", "[requirements]") {
  auto errors = errors_of(R"({"availability_zones":7})");
  REQUIRE(errors.size() == 1);
  CHECK(errors[0].field == "context.requirements.availability_zones");
  CHECK(errors[0].message == "must be between 1 and 6");
}

TEST_CASE("a fractional count is not a whole number", "[requirements]") {
  auto errors = errors_of(R"({"node_count":2.5})");
  REQUIRE(errors.size() == 1);
  CHECK(errors[0].message == "must be a whole number");
}

TEST_CASE("every tag must be a string and is named in the error", "[requirements]") {
  std::vector<field_error> errors;
  auto r = parse_requirements(json_doc{R"({"tags":{"team":"infra","cost_center":42}})"}, &errors);
  REQUIRE(errors.size() == 1);
  CHECK(errors[0].field == "context.requirements.tags.cost_center");
  CHECK(r.tags.at("team") == "infra");
}

TEST_CASE("unknown requirement keys are ignored", "[requirements]") {
  CHECK(errors_of(R"({"favourite_colour":"green","nested":{"a":[1,2]}})").empty());
}

TEST_CASE("requirements that are not an object are refused", "[requirements]") {
  auto errors = errors_of("[1,2,3]");
  REQUIRE(errors.size() == 1);
  CHECK(errors[0].field == "context.requirements");
}
