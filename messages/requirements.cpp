#include "messages/requirements.hpp"

#include <boost/json.hpp>

namespace ce {

namespace {

namespace json = boost::json;

struct reader {
  const json::object& obj;
  std::vector<field_error>* errors;
  const std::string& prefix;

  void fail(const char* key, const char* what) {
    if (errors) errors->push_back({prefix + "." + key, what});
  }

  bool str(const char* key, std::string& out) {
    auto it = obj.find(key);
    if (it == obj.end() || it->value().is_null()) return false;
    if (!it->value().is_string()) {
      fail(key, "must be a string");
      return false;
    }
    out = std::string(it->value().get_string());
    return true;
  }

  bool integer(const char* key, int& out, int lo, int hi) {
    auto it = obj.find(key);
    if (it == obj.end() || it->value().is_null()) return false;
    const auto& v = it->value();
    double d;
    if (v.is_int64())
      d = static_cast<double>(v.get_int64());
    else if (v.is_uint64())
      d = static_cast<double>(v.get_uint64());
    else if (v.is_double())
      d = v.get_double();
    else {
      fail(key, "must be a whole number");
      return false;
    }
    if (d != static_cast<double>(static_cast<long long>(d))) {
      fail(key, "must be a whole number");
      return false;
    }
    if (d < lo || d > hi) {
      std::string msg = "must be between " + std::to_string(lo) + " and " + std::to_string(hi);
      if (errors) errors->push_back({prefix + "." + key, msg});
      return false;
    }
    out = static_cast<int>(d);
    return true;
  }

  bool number(const char* key, double& out) {
    auto it = obj.find(key);
    if (it == obj.end() || it->value().is_null()) return false;
    const auto& v = it->value();
    if (v.is_int64())
      out = static_cast<double>(v.get_int64());
    else if (v.is_uint64())
      out = static_cast<double>(v.get_uint64());
    else if (v.is_double())
      out = v.get_double();
    else {
      fail(key, "must be a number");
      return false;
    }
    if (out < 0) {
      fail(key, "must not be negative");
      return false;
    }
    return true;
  }

  bool boolean(const char* key, bool& out) {
    auto it = obj.find(key);
    if (it == obj.end() || it->value().is_null()) return false;
    if (!it->value().is_bool()) {
      fail(key, "must be true or false");
      return false;
    }
    out = it->value().get_bool();
    return true;
  }
};

}  // namespace

requirements parse_requirements(const json_doc& doc, std::vector<field_error>* errors,
                                const std::string& field_prefix) {
  requirements r;
  if (doc.empty_object()) return r;
  boost::system::error_code ec;
  auto value = json::parse(doc.text, ec);
  if (ec || !value.is_object()) {
    if (errors) errors->push_back({field_prefix, "must be an object"});
    return r;
  }
  reader rd{value.get_object(), errors, field_prefix};
  rd.str("project", r.project);
  rd.str("vpc_cidr", r.vpc_cidr) || rd.str("vnet_cidr", r.vpc_cidr) ||
      rd.str("network_cidr", r.vpc_cidr);
  rd.integer("availability_zones", r.availability_zones, 1, 6);
  r.has_kubernetes_version = rd.str("kubernetes_version", r.kubernetes_version) ||
                             rd.str("eks_version", r.kubernetes_version) ||
                             rd.str("gke_version", r.kubernetes_version) ||
                             rd.str("aks_version", r.kubernetes_version);
  rd.str("node_instance_type", r.node_instance_type);
  rd.integer("node_count", r.node_count, 1, 100);
  rd.str("instance_type", r.instance_type);
  rd.integer("instance_count", r.instance_count, 1, 100);
  rd.str("rds_engine", r.db_engine) || rd.str("db_engine", r.db_engine);
  r.has_db_engine_version = rd.str("db_engine_version", r.db_engine_version);
  rd.str("db_instance_class", r.db_instance_class);
  rd.integer("storage_gb", r.storage_gb, 5, 65536);
  rd.integer("backup_retention_days", r.backup_retention_days, 0, 35);
  bool multi_az = false;
  if (rd.boolean("multi_az", multi_az)) r.multi_az = multi_az ? 1 : 0;
  rd.boolean("encryption", r.encryption);
  rd.boolean("public_access", r.public_access);
  rd.boolean("enable_logging", r.enable_logging);
  rd.number("cost_limit", r.cost_limit);
  if (auto it = rd.obj.find("tags"); it != rd.obj.end() && !it->value().is_null()) {
    if (!it->value().is_object()) {
      rd.fail("tags", "must be an object of strings");
    } else {
      for (const auto& kv : it->value().get_object()) {
        if (!kv.value().is_string()) {
          if (errors)
            errors->push_back(
                {field_prefix + ".tags." + std::string(kv.key()), "must be a string"});
          continue;
        }
        r.tags[std::string(kv.key())] = std::string(kv.value().get_string());
      }
    }
  }
  return r;
}

int effective_azs(const requirements& r, const std::string& env) {
  return r.availability_zones > 0 ? r.availability_zones : (is_production(env) ? 3 : 2);
}
int effective_node_count(const requirements& r, const std::string& env) {
  return r.node_count > 0 ? r.node_count : (is_production(env) ? 3 : 2);
}
int effective_backup_days(const requirements& r, const std::string& env) {
  return r.backup_retention_days >= 0 ? r.backup_retention_days : (is_production(env) ? 7 : 3);
}
bool effective_multi_az(const requirements& r, const std::string& env) {
  return r.multi_az >= 0 ? r.multi_az == 1 : is_production(env);
}

}  // namespace ce
