// A typed view of `context.requirements`: the keys the planner, the templates
// and the safety checks understand, with their defaults. Unknown keys are kept
// in the JSON but ignored here; a known key of the wrong type is an input error.
#pragma once

#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "messages/domain.hpp"

namespace ce {

/// One problem with one input field, e.g. {"context.provider", "must be one of aws, gcp, azure"}.
struct field_error {
  std::string field;
  std::string message;
};
template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, field_error& x) {
  return f(caf::meta::type_name("field_error"), x.field, x.message);
}

struct requirements {
  std::string project = "nimbus";           // name prefix of every resource
  std::string vpc_cidr = "10.0.0.0/16";     // network range (vpc, vnet, gcp network)
  int availability_zones = 0;               // 0: 3 in production, else 2
  std::string kubernetes_version;           // eks_version / gke_version / aks_version
  std::string node_instance_type;           // kubernetes worker size ("" = provider default)
  int node_count = 0;                       // 0: 3 in production, else 2
  std::string instance_type;                // ec2 size ("" = provider default)
  int instance_count = 1;                   // ec2 instances
  std::string db_engine = "postgres";       // rds_engine / db_engine
  std::string db_engine_version;            // "" = engine default
  std::string db_instance_class;            // "" = provider default
  int storage_gb = 20;                      // database allocated storage
  int backup_retention_days = -1;           // -1: 7 in production, else 3
  int multi_az = -1;                        // -1: on in production; 0/1 explicit
  bool encryption = true;                   // false is refused by safety
  bool public_access = false;               // databases/buckets reachable from the internet
  bool enable_logging = true;               // flow logs, audit logs
  double cost_limit = 0;                    // USD/month; 0 = node default
  std::map<std::string, std::string> tags;  // added to every resource

  bool has_kubernetes_version = false;  // given explicitly
  bool has_db_engine_version = false;
  bool fault_injection = false;  // a "simulate" object is present (tests of the node only)
};

/// Parses the requirements JSON (an object, or empty). Wrong types of known
/// keys are reported with field names under `field_prefix`.
requirements parse_requirements(const json_doc& doc, std::vector<field_error>* errors = nullptr,
                                const std::string& field_prefix = "context.requirements");

/// A region code as every provider writes it: lower-case letters, digits and
/// '-', starting with a letter, at most 32 characters (us-east-1, eastus).
bool well_formed_region(std::string_view region);

/// Effective values that depend on the environment.
inline bool is_production(const std::string& environment) {
  return environment == "production" || environment == "prod";
}
int effective_azs(const requirements& r, const std::string& environment);
int effective_node_count(const requirements& r, const std::string& environment);
int effective_backup_days(const requirements& r, const std::string& environment);
bool effective_multi_az(const requirements& r, const std::string& environment);

}  // namespace ce
