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

TEST_CASE("values that are not even well formed are reported, and still read", "[requirements]") {
  const std::vector<std::pair<std::string, std::string>> bad = {
      {R"({"vpc_cidr":"999.1.1.1/99"})", "context.requirements.vpc_cidr"},
      {R"({"vnet_cidr":"10.0.0.0"})", "context.requirements.vnet_cidr"},
      {R"({"eks_version":"'; rm -rf /"})", "context.requirements.eks_version"},
      {R"({"db_engine_version":"15\n#"})", "context.requirements.db_engine_version"},
      {R"({"instance_type":"t3 micro"})", "context.requirements.instance_type"},
      {R"({"db_engine":"-postgres"})", "context.requirements.db_engine"},
      {R"({"project":"a\u0001b"})", "context.requirements.project"},
  };
  for (const auto& [text, field] : bad) {
    INFO(text);
    auto errors = errors_of(text);
    REQUIRE(errors.size() == 1);
    CHECK(errors.front().field == field);
  }
  // Kept as given, so that checks which run later still see the request.
  CHECK(parse_requirements(json_doc{R"({"vpc_cidr":"10.0.0.0"})"}).vpc_cidr == "10.0.0.0");
  for (const char* good :
       {R"({"vpc_cidr":"172.20.0.0/20","eks_version":"1.30","db_engine_version":"8.0.35"})",
        R"({"gke_version":"1.30.5-gke.1014001","node_instance_type":"e2-standard-4"})",
        R"({"db_instance_class":"db.t3.micro","instance_type":"Standard_D2s_v3"})",
        R"({"vpc_cidr":"8.8.0.0/16","eks_version":"1.19","project":"My \"Odd\" Project"})"}) {
    INFO(good);
    CHECK(errors_of(good).empty());
  }
}

TEST_CASE("tags are bounded as the clouds bound them", "[requirements]") {
  std::string many = "{\"tags\":{";
  for (int i = 0; i < 51; ++i)
    many += (i ? "," : "") + std::string("\"k") + std::to_string(i) + "\":\"v\"";
  many += "}}";
  CHECK(names_field(errors_of(many), "context.requirements.tags"));
  CHECK(names_field(errors_of(R"({"tags":{"":"v"}})"), "context.requirements.tags."));
  CHECK(names_field(errors_of("{\"tags\":{\"k\":\"" + std::string(257, 'v') + "\"}}"),
                    "context.requirements.tags.k"));
  CHECK(errors_of("{\"tags\":{\"k\":\"" + std::string(256, 'v') + "\"}}").empty());
}

TEST_CASE("a simulate object marks fault injection", "[requirements]") {
  CHECK(parse_requirements(json_doc{R"({"simulate":{"delay_ms":5}})"}).fault_injection);
  CHECK_FALSE(parse_requirements(json_doc{R"({"simulate":null})"}).fault_injection);
  CHECK_FALSE(parse_requirements(json_doc{R"({"vpc_cidr":"10.0.0.0/16"})"}).fault_injection);
}

TEST_CASE("region codes are lower-case letters, digits and hyphens", "[requirements]") {
  for (const char* good : {"us-east-1", "eastus", "europe-west1"})
    CHECK(ce::well_formed_region(good));
  for (const char* bad : {"", "East US", "us-east-1\"", "1us", "us_east", "us-east-1\n"})
    CHECK_FALSE(ce::well_formed_region(bad));
}
