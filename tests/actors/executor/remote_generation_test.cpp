#include "actors/executor/remote_generation.hpp"

#include <catch2/catch.hpp>

#include <boost/json.hpp>

#include "actors/executor/hcl_check.hpp"

using namespace ce;
using namespace ce::executor;
namespace json = boost::json;

namespace {

task_context context_with(std::vector<std::string> components, std::string requirements = "{}") {
  task_context c;
  c.provider = cloud_provider::aws;
  c.environment = "staging";
  c.region = "eu-west-1";
  c.components = std::move(components);
  c.requirements = json_doc{std::move(requirements)};
  return c;
}

/// The data of a render answer holding `text`.
std::string render_data(const std::string& text) {
  return json::serialize(
      json::object{{"template_id", "terraform/aws/eks"}, {"rendered_content", text}});
}

// Shaped like the real service's terraform/aws/eks: inputs used, one declared without a
// default, one not declared at all.
const std::string eks_text = R"(resource "aws_security_group" "cluster" {
  name   = "demo-eks-cluster-sg"
  vpc_id = var.vpc_id
}

resource "aws_eks_cluster" "main" {
  name = "${var.project_name}-eks"
  vpc_config {
    subnet_ids = var.private_subnet_ids
  }
}

output "cluster_endpoint" {
  value = aws_eks_cluster.main.endpoint
}

output "cluster_version" {
  value = aws_eks_cluster.main.version
}

variable "vpc_id" {
  description = "VPC ID where the cluster will be created"
  type        = string
}
)";

}  // namespace

TEST_CASE("a component's template id is terraform/<provider>/<component>", "[executor][remote]") {
  CHECK(remote_template_id(cloud_provider::aws, "eks") == "terraform/aws/eks");
  CHECK(remote_template_id(cloud_provider::gcp, "gke") == "terraform/gcp/gke");
}

TEST_CASE("the render body names the template and the variables the templates read",
          "[executor][remote]") {
  auto context = context_with({"vpc", "eks"}, R"({"eks_version": "1.29", "project": "shop"})");
  auto req = parse_requirements(context.requirements);
  auto body = json::parse(render_request_body(cloud_provider::aws, "eks", context, req));
  CHECK(body.at("templateId").as_string() == "terraform/aws/eks");
  const auto& variables = body.at("variables");
  CHECK(variables.at("project_name").as_string() == "shop");
  CHECK(variables.at("environment").as_string() == "staging");
  CHECK(variables.at("region").as_string() == "eu-west-1");
  CHECK(variables.at("eks_version").as_string() == "1.29");
}

TEST_CASE("every variable a remote template uses is bound and declared in the file",
          "[executor][remote]") {
  auto context = context_with({"vpc", "eks"}, R"({"project": "demo"})");
  auto req = parse_requirements(context.requirements);
  auto bound = bind_remote_component("eks", "terraform/aws/eks", render_data(eks_text), context,
                                     req, {"cluster_endpoint"});
  INFO(bound.error);
  REQUIRE(bound.ok);
  CHECK(bound.content.rfind("# generator: remote terraform/aws/eks\n", 0) == 0);
  // outputs.tf defines cluster_endpoint already; the template's other output stays.
  CHECK(bound.content.find("output \"cluster_endpoint\"") == std::string::npos);
  CHECK(bound.content.find("output \"cluster_version\"") != std::string::npos);
  CHECK(bound.content.find("var.") == std::string::npos);
  CHECK(bound.content.find("variable \"vpc_id\"") == std::string::npos);
  CHECK(bound.content.find("eks_vpc_id = aws_vpc.main.id") != std::string::npos);
  CHECK(bound.content.find("eks_private_subnet_ids = aws_subnet.private[*].id") !=
        std::string::npos);
  CHECK(bound.content.find("eks_project_name = \"demo\"") != std::string::npos);
  CHECK(bound.content.find("\"${local.eks_project_name}-eks\"") != std::string::npos);
  auto report = check_hcl(bound.content);
  CHECK(report.ok);
  for (const auto& reference : report.references) CHECK(reference.rfind("var.", 0) != 0);
  REQUIRE(bound.bindings.size() == 3);
  CHECK(bound.bindings[0].source == "component vpc");
}

TEST_CASE("a variable nothing binds fails with its name and the template id",
          "[executor][remote]") {
  auto context = context_with({"eks"});  // no vpc to take vpc_id from
  auto req = parse_requirements(context.requirements);
  auto bound =
      bind_remote_component("eks", "terraform/aws/eks", render_data(eks_text), context, req);
  REQUIRE_FALSE(bound.ok);
  CHECK(bound.error_code == "unbound_variable");
  CHECK(bound.error.find("terraform/aws/eks") != std::string::npos);
  CHECK(bound.error.find("vpc_id") != std::string::npos);
  CHECK(bound.error.find("private_subnet_ids") != std::string::npos);
}

TEST_CASE("a requirement of the variable's name binds it", "[executor][remote]") {
  auto context =
      context_with({"eks"}, R"({"vpc_id": "vpc-0abc", "private_subnet_ids": ["a", "b"]})");
  auto req = parse_requirements(context.requirements);
  auto bound =
      bind_remote_component("eks", "terraform/aws/eks", render_data(eks_text), context, req);
  INFO(bound.error);
  REQUIRE(bound.ok);
  CHECK(bound.content.find("eks_vpc_id = \"vpc-0abc\"") != std::string::npos);
  CHECK(bound.content.find("eks_private_subnet_ids = [\"a\", \"b\"]") != std::string::npos);
}

TEST_CASE("text that is not HCL fails with the template id and the position",
          "[executor][remote]") {
  auto context = context_with({"vpc"});
  auto req = parse_requirements(context.requirements);
  auto bound = bind_remote_component("vpc", "terraform/aws/vpc",
                                     render_data("resource \"aws_vpc\" \"main\" {\n  cidr = \n"),
                                     context, req);
  REQUIRE_FALSE(bound.ok);
  CHECK(bound.error_code == "invalid_code");
  CHECK(bound.error.find("template terraform/aws/vpc") != std::string::npos);
  CHECK(bound.error.find("line ") != std::string::npos);
}

TEST_CASE("an answer without rendered_content is an invalid response", "[executor][remote]") {
  auto context = context_with({"vpc"});
  auto req = parse_requirements(context.requirements);
  auto bound =
      bind_remote_component("vpc", "terraform/aws/vpc", R"({"template_id": "x"})", context, req);
  REQUIRE_FALSE(bound.ok);
  CHECK(bound.error_code == "invalid_response");
}

TEST_CASE("the service's analysis and autofix are summarised by rule id", "[executor][remote]") {
  std::string error;
  auto summary =
      remote_practices_summary("rds",
                               R"({"summary": {"total_rules_checked": 9, "violations_found": 2},
          "violations": [{"rule_id": "sec-001"}, {"rule_id": "tag-002"}]})",
                               R"({"fixed_config": {}, "applied_fixes": ["sec-001"],
          "violations_remaining": [{"rule_id": "tag-002"}]})",
                               error);
  REQUIRE(summary);
  CHECK(json::serialize(summary->at("violations")) == R"(["sec-001","tag-002"])");
  CHECK(json::serialize(summary->at("applied_fixes")) == R"(["sec-001"])");
  CHECK(json::serialize(summary->at("violations_remaining")) == R"(["tag-002"])");
  CHECK(summary->at("violations_found").to_number<int64_t>() == 2);

  CHECK_FALSE(remote_practices_summary("rds", "{}", "{}", error));
  CHECK(error.find("rds") != std::string::npos);
}
