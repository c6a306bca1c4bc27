#include "actors/executor/templates.hpp"

#include <algorithm>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

#include <catch2/catch.hpp>

#include "actors/executor/hcl_check.hpp"

using namespace ce;
using namespace ce::executor;

namespace {

task_context context_of(cloud_provider provider, std::vector<std::string> components,
                        std::string environment = "development") {
  task_context context;
  context.provider = provider;
  context.environment = std::move(environment);
  context.components = std::move(components);
  return context;
}

/// The component files plus main.tf and outputs.tf, as check_module takes them.
std::vector<std::pair<std::string, std::string>> render_module(const task_context& context,
                                                               const requirements& req) {
  std::vector<std::pair<std::string, std::string>> files;
  for (const auto& c : context.components) {
    auto f = render_component(context.provider, c, context, req);
    files.emplace_back(f.name, f.content);
  }
  for (const auto& f : {render_root_module(context, req), render_outputs(context, req)})
    files.emplace_back(f.name, f.content);
  return files;
}

std::string render(cloud_provider provider, const std::string& component,
                   const std::vector<std::string>& components, const requirements& req,
                   const std::string& environment = "development") {
  auto context = context_of(provider, components, environment);
  return render_component(provider, component, context, req).content;
}

/// The value of the first argument `name = value` in text ("" if none), whatever
/// the alignment of its "=".
std::string value_of(const std::string& text, const std::string& name) {
  size_t pos = 0;
  while ((pos = text.find(name, pos)) != std::string::npos) {
    bool line_start = pos == 0 || text.find_last_not_of(' ', pos - 1) == std::string::npos ||
                      text[text.find_last_not_of(' ', pos - 1)] == '\n';
    size_t after = text.find_first_not_of(' ', pos + name.size());
    if (line_start && after != std::string::npos && text[after] == '=' &&
        text.compare(after, 2, "==") != 0) {
      size_t begin = text.find_first_not_of(' ', after + 1);
      return text.substr(begin, text.find('\n', begin) - begin);
    }
    pos += name.size();
  }
  return {};
}

bool has(const std::string& text, const std::string& part) {
  return text.find(part) != std::string::npos;
}

std::string joined(const std::vector<std::string>& errors) {
  std::string out;
  for (const auto& e : errors) out += e + "\n";
  return out;
}

const cloud_provider all_providers[] = {cloud_provider::aws, cloud_provider::gcp,
                                        cloud_provider::azure};

}  // namespace

TEST_CASE("every provider has a template for each component it offers", "[templates]") {
  CHECK(template_components(cloud_provider::aws) ==
        std::vector<std::string>{"vpc", "ec2", "eks", "rds", "s3", "iam", "kms", "cloudwatch"});
  CHECK(template_components(cloud_provider::gcp) ==
        std::vector<std::string>{"vpc", "gke", "gcs", "cloudsql", "iam"});
  CHECK(template_components(cloud_provider::azure) ==
        std::vector<std::string>{"vnet", "aks", "storage", "postgres", "keyvault"});
  CHECK(has_template(cloud_provider::aws, "eks"));
  CHECK_FALSE(has_template(cloud_provider::aws, "gke"));
  CHECK_FALSE(has_template(cloud_provider::azure, "redis"));
}

TEST_CASE("all components of a provider render into one module that checks", "[templates]") {
  for (auto provider : all_providers) {
    for (const char* environment : {"development", "production"}) {
      auto context = context_of(provider, template_components(provider), environment);
      auto files = render_module(context, requirements{});
      for (const auto& [name, content] : files) {
        INFO(name << "\n" << content);
        auto report = check_hcl(content);
        CHECK(report.ok);
      }
      auto module = check_module(files);
      INFO(to_string(provider) << " " << environment << ": " << joined(module.errors));
      CHECK(module.ok);
    }
  }
}

TEST_CASE("each component rendered alone checks, taking what it needs from variables",
          "[templates]") {
  for (auto provider : all_providers) {
    for (const auto& component : template_components(provider)) {
      auto context = context_of(provider, {component});
      auto files = render_module(context, requirements{});
      auto module = check_module(files);
      INFO(to_string(provider) << " " << component << ": " << joined(module.errors));
      CHECK(module.ok);
      CHECK(files.front().first == component + ".tf");
    }
  }
}

TEST_CASE("a rendered file is a terraform artifact named after its component", "[templates]") {
  auto context = context_of(cloud_provider::aws, {"vpc"});
  auto file = render_component(cloud_provider::aws, "vpc", context, requirements{});
  CHECK(file.name == "vpc.tf");
  CHECK(file.type == artifact_type::terraform);
  CHECK(render_root_module(context, requirements{}).name == "main.tf");
  CHECK(render_outputs(context, requirements{}).name == "outputs.tf");
}

TEST_CASE("eks uses the vpc's private subnets only when the vpc is rendered", "[templates]") {
  requirements req;
  auto with_vpc = render(cloud_provider::aws, "eks", {"vpc", "eks"}, req);
  auto report = check_hcl(with_vpc);
  CHECK(std::count(report.references.begin(), report.references.end(), "aws_subnet.private") == 1);
  CHECK_FALSE(has(with_vpc, "var.eks_subnet_ids"));

  auto alone = render(cloud_provider::aws, "eks", {"eks"}, req);
  CHECK(has(alone, "variable \"eks_subnet_ids\""));
  CHECK(value_of(alone, "subnet_ids") == "var.eks_subnet_ids");
  CHECK_FALSE(has(alone, "aws_subnet."));
}

TEST_CASE("a custom vpc_cidr becomes the network and the subnets are cut from it", "[templates]") {
  requirements req;
  req.vpc_cidr = "10.20.0.0/16";
  auto vpc = render(cloud_provider::aws, "vpc", {"vpc"}, req);
  CHECK(value_of(vpc, "cidr_block") == "\"10.20.0.0/16\"");
  // A /16 is cut into sixteen /20s: public subnets first, private ones from the ninth on.
  CHECK(has(vpc, "[\"10.20.0.0/20\", \"10.20.16.0/20\"]"));
  CHECK(has(vpc, "[\"10.20.128.0/20\", \"10.20.144.0/20\"]"));

  auto vnet = render(cloud_provider::azure, "vnet", {"vnet"}, req);
  CHECK(value_of(vnet, "address_space") == "[\"10.20.0.0/16\"]");
  auto gcp = render(cloud_provider::gcp, "vpc", {"vpc"}, req);
  CHECK(value_of(gcp, "ip_cidr_range") == "\"10.20.0.0/20\"");
}

TEST_CASE("production spreads the vpc over three availability zones", "[templates]") {
  // effective_azs: 3 in production, else 2.
  auto vpc = render(cloud_provider::aws, "vpc", {"vpc"}, requirements{}, "production");
  CHECK(has(vpc, "[\"10.0.128.0/20\", \"10.0.144.0/20\", \"10.0.160.0/20\"]"));
}

TEST_CASE("a vpc_cidr that is not a usable IPv4 block is refused", "[templates]") {
  requirements req;
  for (const char* bad : {"10.0.0.0", "10.0.0.0/33", "300.0.0.0/16", "10.0.0.0/26", "x"}) {
    req.vpc_cidr = bad;
    INFO(bad);
    CHECK_THROWS_AS(render(cloud_provider::aws, "vpc", {"vpc"}, req), std::invalid_argument);
  }
  req.vpc_cidr = "10.0.0.0/8";  // too big for an AWS VPC, fine for an Azure vnet
  CHECK_THROWS_AS(render(cloud_provider::aws, "vpc", {"vpc"}, req), std::invalid_argument);
  CHECK_NOTHROW(render(cloud_provider::azure, "vnet", {"vnet"}, req));
}

TEST_CASE("an unknown component is refused", "[templates]") {
  auto context = context_of(cloud_provider::gcp, {"eks"});
  CHECK_THROWS_AS(render_component(cloud_provider::gcp, "eks", context, requirements{}),
                  std::invalid_argument);
}

TEST_CASE("kubernetes version and node count reach every cluster", "[templates]") {
  requirements req;
  req.kubernetes_version = "1.28";
  req.has_kubernetes_version = true;
  req.node_count = 5;
  auto eks = render(cloud_provider::aws, "eks", {"eks"}, req);
  CHECK(value_of(eks, "version") == "\"1.28\"");
  CHECK(value_of(eks, "desired_size") == "5");
  auto gke = render(cloud_provider::gcp, "gke", {"gke"}, req);
  CHECK(value_of(gke, "min_master_version") == "\"1.28\"");
  CHECK(value_of(gke, "total_min_node_count") == "5");
  auto aks = render(cloud_provider::azure, "aks", {"aks"}, req);
  CHECK(value_of(aks, "kubernetes_version") == "\"1.28\"");
  CHECK(value_of(aks, "node_count") == "5");
}

TEST_CASE("database engine, version and storage reach the databases", "[templates]") {
  requirements req;
  req.db_engine = "mysql";
  req.db_engine_version = "8.0";
  req.has_db_engine_version = true;
  req.storage_gb = 100;
  auto rds = render(cloud_provider::aws, "rds", {"rds"}, req);
  CHECK(value_of(rds, "engine") == "\"mysql\"");
  CHECK(value_of(rds, "engine_version") == "\"8.0\"");
  CHECK(value_of(rds, "allocated_storage") == "100");
  CHECK(value_of(rds, "port") == "3306");
  auto cloudsql = render(cloud_provider::gcp, "cloudsql", {"cloudsql"}, req);
  CHECK(value_of(cloudsql, "database_version") == "\"MYSQL_8_0\"");
  CHECK(value_of(cloudsql, "disk_size") == "100");
  // Flexible servers come in fixed sizes: 100 GB needs the 128 GiB one.
  auto postgres = render(cloud_provider::azure, "postgres", {"postgres"}, req);
  CHECK(value_of(postgres, "storage_mb") == "131072");
}

TEST_CASE("encryption and backups are rendered as the requirements ask", "[templates]") {
  requirements req;
  req.backup_retention_days = 14;
  auto encrypted = render(cloud_provider::aws, "rds", {"rds", "kms"}, req);
  CHECK(value_of(encrypted, "storage_encrypted") == "true");
  CHECK(value_of(encrypted, "kms_key_id") == "aws_kms_key.main.arn");
  CHECK(value_of(encrypted, "backup_retention_period") == "14");
  CHECK(has(render(cloud_provider::aws, "s3", {"s3"}, req),
            "aws_s3_bucket_server_side_encryption_configuration"));
  CHECK(has(render(cloud_provider::gcp, "cloudsql", {"cloudsql"}, req), "retained_backups = 14"));

  req.encryption = false;
  req.backup_retention_days = 0;
  auto plain = render(cloud_provider::aws, "rds", {"rds", "kms"}, req);
  CHECK(value_of(plain, "storage_encrypted") == "false");
  CHECK_FALSE(has(plain, "kms_key_id"));
  CHECK(value_of(plain, "backup_retention_period") == "0");
  auto bucket = render(cloud_provider::aws, "s3", {"s3"}, req);
  CHECK_FALSE(has(bucket, "aws_s3_bucket_server_side_encryption_configuration"));
  CHECK_FALSE(has(bucket, "aws_s3_bucket_versioning"));
}

TEST_CASE("multi_az and public_access are honoured", "[templates]") {
  requirements req;
  req.multi_az = 1;
  req.public_access = true;
  auto rds = render(cloud_provider::aws, "rds", {"rds"}, req);
  CHECK(value_of(rds, "multi_az") == "true");
  CHECK(value_of(rds, "publicly_accessible") == "true");
  CHECK(has(render(cloud_provider::gcp, "cloudsql", {"cloudsql"}, req), "\"REGIONAL\""));
  req.multi_az = 0;
  req.public_access = false;
  rds = render(cloud_provider::aws, "rds", {"rds"}, req, "production");
  CHECK(value_of(rds, "multi_az") == "false");
  CHECK(value_of(rds, "publicly_accessible") == "false");
}

TEST_CASE("hcl_quote escapes what HCL strings give meaning to", "[templates]") {
  CHECK(hcl_quote("plain") == "\"plain\"");
  CHECK(hcl_quote("a \"b\" c\\d") == R"("a \"b\" c\\d")");
  CHECK(hcl_quote("line\nnext\ttab\r") == R"("line\nnext\ttab\r")");
  CHECK(hcl_quote("${var.x} %{ if y } $ % 100%") == R"("$${var.x} %%{ if y } $ % 100%")");
  CHECK(hcl_quote(std::string("bell\x07", 5)) == R"("bell\u0007")");
  for (const char* text : {"a\"b", "c\\", "${x}", "%{y}", "line\nbreak"}) {
    INFO(text);
    CHECK(check_hcl("a = " + hcl_quote(text) + "\n").ok);
  }
}

TEST_CASE("tag values with quotes, backslashes and ${ are escaped, never interpolated",
          "[templates]") {
  requirements req;
  req.tags = {{"Owner", "Ops \"Team\" \\ x"}, {"Note", "${var.secret} %{ if true }"}};
  for (auto provider : {cloud_provider::aws, cloud_provider::azure}) {
    auto context = context_of(provider, template_components(provider));
    auto files = render_module(context, req);
    auto module = check_module(files);
    INFO(joined(module.errors));
    CHECK(module.ok);
    auto first = files.front().second;
    CHECK(has(first, R"("Owner" = "Ops \"Team\" \\ x")"));
    CHECK(has(first, R"("Note"  = "$${var.secret} %%{ if true }")"));
    CHECK_FALSE(has(first, "var.secret}\""));
  }
  // GCP labels only allow lower-case letters, digits, '-' and '_'.
  auto gcs = render(cloud_provider::gcp, "gcs", {"gcs"}, req);
  CHECK(has(gcs, R"("owner" = "ops--team----x")"));
}

TEST_CASE("component files carry only the user's tags and Name", "[templates]") {
  // Environment, ManagedBy and Project are added by the best-practices step.
  requirements req;
  req.tags = {{"team", "platform"}};
  auto vpc = render(cloud_provider::aws, "vpc", {"vpc"}, req, "production");
  CHECK(has(vpc, "Name   = \"${local.name_prefix}-vpc\""));
  CHECK(has(vpc, "\"team\" = \"platform\""));
  CHECK_FALSE(has(vpc, "Environment"));
  CHECK_FALSE(has(vpc, "ManagedBy"));
  CHECK_FALSE(has(vpc, "aws_s3_bucket_public_access_block"));
  CHECK_FALSE(has(vpc, "aws_flow_log"));
}

TEST_CASE("the root module pins the provider and shares tags, region and names", "[templates]") {
  requirements req;
  req.project = "Shop \"X\"";
  req.tags = {{"team", "platform"}};
  auto aws = context_of(cloud_provider::aws, {"vpc"}, "production");
  aws.region = "eu-west-1";
  auto main = render_root_module(aws, req).content;
  CHECK(value_of(main, "source") == "\"hashicorp/aws\"");
  CHECK(value_of(main, "version") == "\"~> 5.0\"");
  CHECK(value_of(main, "default") == "\"eu-west-1\"");
  CHECK(has(main, "= \"Shop \\\"X\\\"\"\n"));  // the project's name, escaped
  CHECK(value_of(main, "name_prefix") == "\"shop-x-production\"");
  CHECK(has(main, "Environment = var.environment"));
  CHECK(has(main, "\"team\"      = \"platform\""));

  auto azure = render_root_module(context_of(cloud_provider::azure, {"vnet"}), req).content;
  CHECK(value_of(azure, "version") == "\"~> 3.0\"");
  CHECK(has(azure, "features {}"));
  CHECK(value_of(azure, "default") == "\"eastus\"");  // no region given: the provider's default
  auto gcp = render_root_module(context_of(cloud_provider::gcp, {"vpc"}), req).content;
  CHECK(value_of(gcp, "source") == "\"hashicorp/google\"");
  CHECK(has(gcp, "variable \"project_id\""));
}

TEST_CASE("outputs cover exactly the rendered components", "[templates]") {
  auto context = context_of(cloud_provider::aws, {"vpc", "rds", "unknown"});
  auto outputs = render_outputs(context, requirements{}).content;
  auto report = check_hcl(outputs);
  CHECK(report.outputs == std::vector<std::string>{"vpc_id", "private_subnet_ids",
                                                   "public_subnet_ids", "db_endpoint", "db_port",
                                                   "db_master_user_secret_arn"});
  CHECK(has(outputs, "= aws_db_instance.main.endpoint\n"));
}

TEST_CASE("a requested value in a header comment cannot end the comment", "[templates]") {
  requirements req;
  req.db_engine_version = "15\nresource \"aws_iam_user\" \"pwn\" {}\n#";
  req.has_db_engine_version = true;
  auto rds = render(cloud_provider::aws, "rds", {"vpc", "rds"}, req);
  CHECK(rds.find("\nresource \"aws_iam_user\"") == std::string::npos);  // no such block
  auto first_line = rds.substr(0, rds.find('\n'));
  CHECK(first_line.find("\\nresource \"aws_iam_user\"") != std::string::npos);
  CHECK(check_hcl(rds).ok);
}
