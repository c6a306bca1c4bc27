// The infrastructure components each cloud provider offers, with what the
// planner needs to know about them: links, sizing, prices and timings.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "messages/domain.hpp"
#include "messages/requirements.hpp"

namespace ce::planner {

/// What a component is, independent of the provider's product name.
enum class component_kind : uint8_t {
  network,
  compute,
  kubernetes,
  database,
  storage,
  identity,
  security,
  monitoring
};

/// One component a task may ask for, e.g. aws "eks".
struct component_spec {
  std::string name;   // "vpc"
  std::string title;  // "Amazon VPC"
  component_kind kind;
  /// Components it is wired to when both are in the task (e.g. eks is placed in
  /// the vpc and encrypts its secrets with the kms key): those are generated first.
  std::vector<std::string> needs;
  bool stateful = false;        // holds data: backups matter
  double base_monthly_usd = 0;  // default size, before sizing by requirements
  int resource_count = 1;       // approx. terraform resources the template creates
  int generate_seconds = 2;     // estimated duration of generate_component for it
  int apply_seconds = 60;       // estimated time to apply it for real
};

/// The provider's components, in catalog order.
const std::vector<component_spec>& catalog(cloud_provider);
/// nullptr if the provider has no component of that name.
const component_spec* find_component(cloud_provider, std::string_view name);
/// Component names in catalog order.
std::vector<std::string> component_names(cloud_provider);
/// Real region names of the provider.
const std::vector<std::string>& known_regions(cloud_provider);
bool region_valid(cloud_provider, std::string_view region);
/// us-east-1 / us-central1 / eastus
std::string default_region(cloud_provider);
/// Kubernetes minor versions the templates can target, oldest first.
const std::vector<std::string>& supported_kubernetes_versions(cloud_provider);
/// Managed database engines of the provider.
const std::vector<std::string>& supported_db_engines(cloud_provider);
std::string_view to_string(component_kind);

/// Input checks done when a task or plan is created: provider components exist, at least one,
/// no duplicates. Field names like "context.components[2]". Message for an unknown component
/// lists the supported ones: "'foo' is not a aws component; supported: vpc, ec2, ...".
std::vector<field_error> check_components(const task_context&);

}  // namespace ce::planner
