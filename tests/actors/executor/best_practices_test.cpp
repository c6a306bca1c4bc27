#include "actors/executor/best_practices.hpp"

#include <catch2/catch.hpp>

#include <algorithm>

#include "actors/executor/hcl_check.hpp"
#include "actors/executor/hcl_edit.hpp"
#include "actors/executor/templates.hpp"

using namespace ce;
using namespace ce::executor;

namespace {

using file_list = std::vector<std::pair<std::string, std::string>>;

task_context context_for(cloud_provider provider, const std::string& environment,
                         std::vector<std::string> components, const std::string& req = "{}") {
  task_context c;
  c.provider = provider;
  c.environment = environment;
  c.components = std::move(components);
  c.requirements = json_doc{req};
  return c;
}

/// The files after the outcome's changes.
file_list merged(file_list files, const best_practice_outcome& outcome) {
  for (const auto& changed : outcome.changed_files)
    for (auto& [name, content] : files)
      if (name == changed.name) content = changed.content;
  return files;
}

/// The whole module for a context, rendered by the templates.
file_list render_module(const task_context& c) {
  auto req = parse_requirements(c.requirements);
  file_list files;
  auto root = render_root_module(c, req);
  files.emplace_back(root.name, root.content);
  for (const auto& component : c.components) {
    auto f = render_component(c.provider, component, c, req);
    files.emplace_back(f.name, f.content);
  }
  auto outputs = render_outputs(c, req);
  files.emplace_back(outputs.name, outputs.content);
  return files;
}

/// The text of attribute `name` of resource `address` in content; empty if absent.
std::string attribute_of(const std::string& content, const std::string& address,
                         const std::string& name) {
  for (const auto& block : outline_file(content).blocks) {
    if (resource_address(block) != address) continue;
    auto body = outline_block(content, block);
    if (auto* a = body.attribute(name))
      return content.substr(a->value_begin, a->value_end - a->value_begin);
  }
  return {};
}

bool has_resource(const file_list& files, const std::string& type) {
  return std::any_of(files.begin(), files.end(), [&](const auto& f) {
    return f.second.find("resource \"" + type + "\"") != std::string::npos;
  });
}

const std::string& content_of(const file_list& files, const std::string& name) {
  for (const auto& f : files)
    if (f.first == name) return f.second;
  throw std::logic_error("no file " + name);
}

const char* hand_written_network = R"(locals {
  common_tags = {
    Environment = "production"
  }
}

resource "aws_vpc" "main" {
  cidr_block = "10.0.0.0/16"
  tags = { Name = "demo-vpc" }
}

resource "aws_subnet" "a" {
  vpc_id     = aws_vpc.main.id
  cidr_block = "10.0.1.0/24"
  tags = merge(local.common_tags, {
    Name = "a"
  })
}

resource "aws_internet_gateway" "main" {
  vpc_id = aws_vpc.main.id
}

resource "aws_route_table_association" "a" {
  subnet_id      = aws_subnet.a.id
  route_table_id = "rtb-0"
}
)";

const char* hand_written_storage = R"(resource "aws_s3_bucket" "data" {
  bucket = "demo-data"
}

resource "aws_db_instance" "main" {
  identifier              = "demo"
  engine                  = "postgres"
  instance_class          = "db.t3.micro"
  allocated_storage       = 20
  storage_encrypted       = false
  backup_retention_period = 1
  publicly_accessible     = true
}
)";

}  // namespace

TEST_CASE("required tags are added to a tags map, a merge() and a resource without tags",
          "[best_practices]") {
  auto context = context_for(cloud_provider::aws, "production", {"vpc"},
                             R"({"enable_logging": false, "project": "demo"})");
  auto req = parse_requirements(context.requirements);
  auto outcome = apply_best_practices({{"vpc.tf", hand_written_network}}, context, req);
  REQUIRE(outcome.changed_files.size() == 1);
  const auto& out = outcome.changed_files[0].content;

  auto vpc_tags = attribute_of(out, "aws_vpc.main", "tags");
  CHECK_THAT(vpc_tags, Catch::Contains("Name = \"demo-vpc\""));
  CHECK_THAT(vpc_tags, Catch::Contains("Environment = \"production\""));
  CHECK_THAT(vpc_tags, Catch::Contains("ManagedBy = \"core-engine\""));
  CHECK_THAT(vpc_tags, Catch::Contains("Project = \"demo\""));

  // Environment already comes from local.common_tags: only the two others are added.
  auto subnet_tags = attribute_of(out, "aws_subnet.a", "tags");
  CHECK_THAT(subnet_tags, Catch::StartsWith("merge(local.common_tags, {"));
  CHECK_THAT(subnet_tags, Catch::Contains("ManagedBy = \"core-engine\""));
  CHECK_THAT(subnet_tags, !Catch::Contains("Environment"));

  CHECK_THAT(attribute_of(out, "aws_internet_gateway.main", "tags"),
             Catch::Contains("ManagedBy = \"core-engine\""));
  // Route table associations cannot carry tags.
  CHECK(attribute_of(out, "aws_route_table_association.a", "tags").empty());
  CHECK(check_hcl(out).ok);
  CHECK(std::count_if(outcome.fixes.begin(), outcome.fixes.end(),
                      [](const auto& f) { return f.rule == "required_tags"; }) == 3);
}

TEST_CASE("buckets get a public access block and encryption, databases are closed and encrypted",
          "[best_practices]") {
  auto context =
      context_for(cloud_provider::aws, "production", {"s3", "rds"}, R"({"enable_logging": false})");
  auto req = parse_requirements(context.requirements);
  file_list files = {{"storage.tf", hand_written_storage}};
  auto outcome = apply_best_practices(files, context, req);
  auto after = merged(files, outcome);
  const auto& out = content_of(after, "storage.tf");

  CHECK(attribute_of(out, "aws_s3_bucket_public_access_block.data", "bucket") ==
        "aws_s3_bucket.data.id");
  CHECK(attribute_of(out, "aws_s3_bucket_public_access_block.data", "restrict_public_buckets") ==
        "true");
  CHECK(attribute_of(out, "aws_s3_bucket_server_side_encryption_configuration.data", "bucket") ==
        "aws_s3_bucket.data.id");
  CHECK(attribute_of(out, "aws_db_instance.main", "storage_encrypted") == "true");
  CHECK(attribute_of(out, "aws_db_instance.main", "publicly_accessible") == "false");
  // Production keeps database backups at least 7 days (the backups rule's floor).
  CHECK(attribute_of(out, "aws_db_instance.main", "backup_retention_period") == "7");
  CHECK(outcome.unresolved.empty());
  CHECK(check_module(after).ok);
}

TEST_CASE("encryption switched off by the requirements is reported, not silently fixed",
          "[best_practices]") {
  auto context = context_for(cloud_provider::aws, "development", {"rds"},
                             R"({"encryption": false, "enable_logging": false})");
  auto req = parse_requirements(context.requirements);
  file_list files = {{"storage.tf", hand_written_storage}};
  auto outcome = apply_best_practices(files, context, req);
  auto after = merged(files, outcome);
  const auto& out = content_of(after, "storage.tf");

  CHECK(attribute_of(out, "aws_db_instance.main", "storage_encrypted") == "false");
  CHECK(std::any_of(outcome.unresolved.begin(), outcome.unresolved.end(), [](const auto& u) {
    return u.find("aws_db_instance.main") != std::string::npos &&
           u.find("requirements.encryption is false") != std::string::npos;
  }));
  // Outside production, the requested retention stands.
  CHECK(attribute_of(out, "aws_db_instance.main", "backup_retention_period") == "1");
}

TEST_CASE("a VPC gets flow logs only when logging is enabled", "[best_practices]") {
  file_list files = {{"vpc.tf", hand_written_network}};
  auto with = context_for(cloud_provider::aws, "staging", {"vpc"});
  auto outcome = apply_best_practices(files, with, parse_requirements(with.requirements));
  auto after = merged(files, outcome);
  const auto& out = content_of(after, "vpc.tf");
  CHECK(attribute_of(out, "aws_flow_log.main", "vpc_id") == "aws_vpc.main.id");
  CHECK(attribute_of(out, "aws_flow_log.main", "traffic_type") == "\"ALL\"");
  CHECK(check_module(after).ok);

  auto without =
      context_for(cloud_provider::aws, "staging", {"vpc"}, R"({"enable_logging": false})");
  auto quiet = apply_best_practices(files, without, parse_requirements(without.requirements));
  CHECK_FALSE(has_resource(merged(files, quiet), "aws_flow_log"));
}

TEST_CASE("the seed example's module gets tags, flow logs and still forms a valid module",
          "[best_practices]") {
  auto context = context_for(cloud_provider::aws, "production", {"vpc", "eks", "rds", "s3"},
                             R"({"tags": {"Team": "platform"}})");
  auto req = parse_requirements(context.requirements);
  auto files = render_module(context);
  auto outcome = apply_best_practices(files, context, req);
  auto after = merged(files, outcome);

  CHECK(outcome.unresolved.empty());
  CHECK(has_resource(after, "aws_s3_bucket_public_access_block"));
  CHECK(has_resource(after, "aws_flow_log"));
  auto rules = [&](const std::string& rule) {
    return std::count_if(outcome.fixes.begin(), outcome.fixes.end(),
                         [&](const auto& f) { return f.rule == rule; });
  };
  // The templates tag through the provider's default_tags (local.common_tags): the missing
  // ManagedBy goes there once, and every aws resource carries it.
  CHECK(std::any_of(outcome.fixes.begin(), outcome.fixes.end(), [](const auto& f) {
    return f.rule == "required_tags" && f.resource == "provider.aws" && f.file == "main.tf";
  }));
  CHECK_THAT(content_of(after, "main.tf"), Catch::Contains("ManagedBy = \"core-engine\""));
  CHECK(rules("no_public_access") > 0);
  CHECK(rules("logging") > 0);
  for (const auto& f : outcome.changed_files) {
    INFO(f.name << ":\n" << f.content);
    CHECK(check_hcl(f.content).ok);
  }
  auto module = check_module(after);
  INFO((module.errors.empty() ? "" : module.errors.front()));
  CHECK(module.ok);
}

TEST_CASE("best practices on every provider's full module are valid and idempotent",
          "[best_practices]") {
  for (auto provider : {cloud_provider::aws, cloud_provider::gcp, cloud_provider::azure}) {
    for (const char* environment : {"production", "development"}) {
      auto context = context_for(provider, environment, template_components(provider),
                                 R"({"project": "Acme App", "tags": {"Owner": "ops"}})");
      auto req = parse_requirements(context.requirements);
      auto files = render_module(context);
      auto first = apply_best_practices(files, context, req);
      auto after = merged(files, first);
      INFO(to_string(provider) << " " << environment);
      CHECK_FALSE(first.fixes.empty());
      CHECK(first.unresolved.empty());
      auto module = check_module(after);
      INFO((module.errors.empty() ? "" : module.errors.front()));
      CHECK(module.ok);

      auto second = apply_best_practices(after, context, req);
      CHECK(second.changed_files.empty());
      CHECK(second.fixes.empty());
    }
  }
}
