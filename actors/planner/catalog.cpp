#include "actors/planner/catalog.hpp"

#include <boost/algorithm/string/join.hpp>

#include <algorithm>
#include <set>

namespace ce::planner {

namespace {

using kind = component_kind;

// Prices are on-demand list prices (730 hours a month) of the default size the
// templates use; timings are typical terraform apply durations.
const std::vector<component_spec> aws_catalog = {
    // One NAT gateway ($0.045/h) is the only billed part of a VPC.
    {"vpc", "Amazon VPC", kind::network, {}, false, 32.85, 14, 2, 120},
    // One t3.micro instance ($0.0104/h).
    {"ec2", "Amazon EC2", kind::compute, {"vpc"}, false, 7.59, 4, 2, 90},
    // EKS control plane ($0.10/h); worker nodes are sized separately.
    {"eks", "Amazon EKS", kind::kubernetes, {"vpc", "kms"}, false, 73.00, 8, 3, 900},
    // db.t3.micro single-AZ ($0.017/h); storage is sized separately.
    {"rds", "Amazon RDS", kind::database, {"vpc", "kms"}, true, 12.41, 4, 3, 600},
    // About 100 GB of S3 Standard.
    {"s3", "Amazon S3", kind::storage, {"kms"}, true, 2.30, 5, 2, 20},
    {"iam", "AWS IAM", kind::identity, {}, false, 0.00, 4, 2, 30},
    // One customer managed key.
    {"kms", "AWS KMS", kind::security, {}, false, 1.00, 2, 1, 20},
    // Log groups, a few alarms and a dashboard.
    {"cloudwatch", "Amazon CloudWatch", kind::monitoring, {}, false, 10.00, 4, 2, 30},
};

const std::vector<component_spec> gcp_catalog = {
    // One Cloud NAT gateway ($0.044/h).
    {"vpc", "Google VPC Network", kind::network, {}, false, 32.12, 5, 2, 90},
    // GKE cluster management fee ($0.10/h); node pools are sized separately.
    {"gke", "Google Kubernetes Engine", kind::kubernetes, {"vpc"}, false, 73.00, 4, 3, 600},
    // About 100 GB of Standard storage.
    {"gcs", "Google Cloud Storage", kind::storage, {}, true, 2.00, 2, 2, 15},
    // db-f1-micro ($0.0105/h), reached over private IP in the network.
    {"cloudsql", "Google Cloud SQL", kind::database, {"vpc"}, true, 7.67, 5, 3, 720},
    {"iam", "Google Cloud IAM", kind::identity, {}, false, 0.00, 3, 2, 20},
};

const std::vector<component_spec> azure_catalog = {
    // One NAT gateway ($0.045/h); the virtual network itself is free.
    {"vnet", "Azure Virtual Network", kind::network, {}, false, 32.85, 5, 2, 60},
    // AKS Standard tier ($0.10/h); node pools are sized separately.
    {"aks", "Azure Kubernetes Service", kind::kubernetes, {"vnet"}, false, 73.00, 3, 3, 480},
    // About 100 GB of Hot LRS blob storage.
    {"storage", "Azure Storage Account", kind::storage, {}, true, 2.08, 3, 2, 45},
    // Flexible Server Standard_B1ms ($0.0207/h) in a delegated subnet.
    {"postgres", "Azure Database for PostgreSQL", kind::database, {"vnet"}, true, 15.11, 4, 3, 600},
    {"keyvault", "Azure Key Vault", kind::security, {}, false, 1.00, 2, 1, 60},
};

const std::vector<std::string> aws_regions = {
    "us-east-1",      "us-east-2",      "us-west-1",      "us-west-2",      "ca-central-1",
    "sa-east-1",      "eu-west-1",      "eu-west-2",      "eu-west-3",      "eu-central-1",
    "eu-central-2",   "eu-north-1",     "eu-south-1",     "ap-south-1",     "ap-east-1",
    "ap-northeast-1", "ap-northeast-2", "ap-northeast-3", "ap-southeast-1", "ap-southeast-2",
    "me-south-1",     "af-south-1"};
const std::vector<std::string> gcp_regions = {"us-central1",        "us-east1",
                                              "us-east4",           "us-west1",
                                              "us-west2",           "us-west3",
                                              "us-west4",           "northamerica-northeast1",
                                              "southamerica-east1", "europe-west1",
                                              "europe-west2",       "europe-west3",
                                              "europe-west4",       "europe-west6",
                                              "europe-north1",      "asia-east1",
                                              "asia-east2",         "asia-northeast1",
                                              "asia-northeast2",    "asia-south1",
                                              "asia-southeast1",    "australia-southeast1"};
const std::vector<std::string> azure_regions = {
    "eastus",        "eastus2",          "westus",         "westus2",
    "westus3",       "centralus",        "northcentralus", "southcentralus",
    "canadacentral", "brazilsouth",      "northeurope",    "westeurope",
    "uksouth",       "ukwest",           "francecentral",  "germanywestcentral",
    "swedencentral", "switzerlandnorth", "eastasia",       "southeastasia",
    "japaneast",     "koreacentral",     "centralindia",   "australiaeast"};

const std::vector<std::string> kubernetes_versions = {"1.27", "1.28", "1.29", "1.30"};

const std::vector<std::string> aws_db_engines = {"postgres", "mysql", "mariadb"};
const std::vector<std::string> gcp_db_engines = {"postgres", "mysql"};
const std::vector<std::string> azure_db_engines = {"postgres"};

std::string join(const std::vector<std::string>& items) {
  return boost::algorithm::join(items, ", ");
}

}  // namespace

const std::vector<component_spec>& catalog(cloud_provider provider) {
  switch (provider) {
    case cloud_provider::gcp:
      return gcp_catalog;
    case cloud_provider::azure:
      return azure_catalog;
    case cloud_provider::aws:
      break;
  }
  return aws_catalog;
}

const component_spec* find_component(cloud_provider provider, std::string_view name) {
  for (const auto& spec : catalog(provider))
    if (spec.name == name) return &spec;
  return nullptr;
}

std::vector<std::string> component_names(cloud_provider provider) {
  std::vector<std::string> names;
  for (const auto& spec : catalog(provider)) names.push_back(spec.name);
  return names;
}

const std::vector<std::string>& known_regions(cloud_provider provider) {
  switch (provider) {
    case cloud_provider::gcp:
      return gcp_regions;
    case cloud_provider::azure:
      return azure_regions;
    case cloud_provider::aws:
      break;
  }
  return aws_regions;
}

bool region_valid(cloud_provider provider, std::string_view region) {
  const auto& regions = known_regions(provider);
  return std::find(regions.begin(), regions.end(), region) != regions.end();
}

std::string default_region(cloud_provider provider) {
  switch (provider) {
    case cloud_provider::gcp:
      return "us-central1";
    case cloud_provider::azure:
      return "eastus";
    case cloud_provider::aws:
      break;
  }
  return "us-east-1";
}

const std::vector<std::string>& supported_kubernetes_versions(cloud_provider) {
  return kubernetes_versions;
}

const std::vector<std::string>& supported_db_engines(cloud_provider provider) {
  switch (provider) {
    case cloud_provider::gcp:
      return gcp_db_engines;
    case cloud_provider::azure:
      return azure_db_engines;
    case cloud_provider::aws:
      break;
  }
  return aws_db_engines;
}

std::string_view to_string(component_kind k) {
  switch (k) {
    case kind::network:
      return "network";
    case kind::compute:
      return "compute";
    case kind::kubernetes:
      return "kubernetes";
    case kind::database:
      return "database";
    case kind::storage:
      return "storage";
    case kind::identity:
      return "identity";
    case kind::security:
      return "security";
    case kind::monitoring:
      return "monitoring";
  }
  return "unknown";
}

std::vector<field_error> check_components(const task_context& context) {
  std::vector<field_error> errors;
  if (context.components.empty()) {
    errors.push_back({"context.components", "must list at least one component"});
    return errors;
  }
  const std::string provider(ce::to_string(context.provider));
  std::set<std::string> seen;
  for (size_t i = 0; i < context.components.size(); ++i) {
    const auto& name = context.components[i];
    const std::string field = "context.components[" + std::to_string(i) + "]";
    if (name.empty()) {
      errors.push_back({field, "must not be empty"});
      continue;
    }
    if (!find_component(context.provider, name)) {
      errors.push_back({field, "'" + name + "' is not a component of " + provider + "; supported: " +
                                   join(component_names(context.provider))});
      continue;
    }
    if (!seen.insert(name).second)
      errors.push_back({field, "'" + name + "' is listed more than once"});
  }
  return errors;
}

}  // namespace ce::planner
