// Terraform templates: one file per component, plus the root module (providers,
// variables, locals) and the outputs, rendered from a task's context and
// requirements for hashicorp/aws ~> 5, hashicorp/google ~> 5 and hashicorp/azurerm ~> 3.
//
// Hardening that the best-practices step adds later (required tags beyond the
// user's own and Name, the S3 public access block, flow logs) is deliberately
// left out; explicit requirements (encryption, backups, public access, logging)
// are honoured here.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "messages/domain.hpp"
#include "messages/requirements.hpp"

namespace ce::executor {

/// One generated file of the Terraform module.
struct rendered_file {
  std::string name;
  artifact_type type = artifact_type::terraform;
  std::string content;
};

/// An HCL quoted string literal for text: backslash, quote and control characters
/// escaped, and the template sequences `${` / `%{` turned into `$${` / `%%{`.
std::string hcl_quote(std::string_view text);

/// The components that have a template, in rendering order.
const std::vector<std::string>& template_components(cloud_provider);

/// True if a template exists for this provider/component.
bool has_template(cloud_provider, std::string_view component);

/// "<component>.tf": the component's resources, rendered from the context and requirements.
/// References another component's resources (eks subnet_ids = aws_subnet.private[*].id) only
/// when that component is in context.components; otherwise the value comes from a variable
/// the file declares. Throws std::invalid_argument for an unknown component or a
/// requirements.vpc_cidr that is not an IPv4 CIDR block with a prefix of /8 to /24 (/16 to
/// /24 on aws).
rendered_file render_component(cloud_provider, std::string_view component, const task_context&,
                               const requirements&);

/// "main.tf": terraform { required_providers ... }, the provider block, the variables
/// (region, environment, project) and locals (name_prefix, common_tags: the user's tags
/// plus Environment and Project) the component files use.
rendered_file render_root_module(const task_context&, const requirements&);

/// The Terraform version the root module requires (its `required_version`).
inline constexpr const char* required_terraform_version = ">= 1.5.0";

/// The provider plugin the root module requires, as written in `required_providers`.
struct provider_requirement {
  std::string name;     // "aws", "google", "azurerm"
  std::string source;   // "hashicorp/aws"
  std::string version;  // "~> 5.0"
};
provider_requirement required_provider(cloud_provider);

/// "outputs.tf": outputs for the rendered components (vpc id, cluster endpoint, db endpoint...).
rendered_file render_outputs(const task_context&, const requirements&);

}  // namespace ce::executor
