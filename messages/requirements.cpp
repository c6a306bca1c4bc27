#include "messages/requirements.hpp"

#include <boost/asio/ip/network_v4.hpp>
#include <boost/json.hpp>

namespace ce {

namespace {

namespace json = boost::json;

constexpr size_t max_project_bytes = 128;
constexpr size_t max_tags = 50;  // the limits the clouds put on tags
constexpr size_t max_tag_key_bytes = 128;
constexpr size_t max_tag_value_bytes = 256;

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

  /// A string that must also be well formed: a malformed one is kept (the
  /// safety checks and templates still see what was asked) and reported.
  bool shaped(const char* key, std::string& out, bool (*well_formed)(std::string_view),
              const char* what) {
    if (!str(key, out)) return false;
    if (!well_formed(out)) fail(key, what);
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

/// Every character is one of `allowed` (plus letters and digits), the first
/// is a letter or digit, and there are 1 to max_length of them.
bool name_like(std::string_view s, std::string_view allowed, size_t max_length) {
  if (s.empty() || s.size() > max_length) return false;
  auto alnum = [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
  };
  if (!alnum(s.front())) return false;
  for (char c : s)
    if (!alnum(c) && allowed.find(c) == std::string_view::npos) return false;
  return true;
}

bool ipv4_cidr(std::string_view s) {
  if (s.find('/') == std::string_view::npos) return false;
  boost::system::error_code ec;
  boost::asio::ip::make_network_v4(s, ec);
  return !ec;
}
bool version(std::string_view s) {
  return name_like(s, "._+-", 32);
}
bool machine_size(std::string_view s) {
  return name_like(s, "._-", 64);
}
bool engine_name(std::string_view s) {
  return name_like(s, "_-", 32);
}
bool project_name(std::string_view s) {
  if (s.size() > max_project_bytes) return false;
  for (char c : s)
    if (static_cast<unsigned char>(c) < 0x20 || c == 0x7f) return false;
  return true;
}

constexpr const char* cidr_shape = "must be an IPv4 CIDR block like 10.0.0.0/16";
constexpr const char* version_shape =
    "must be a version like 1.30 or 15.4 (letters, digits, '.', '_', '+' and '-')";
constexpr const char* size_shape =
    "must be a size name like m5.large (letters, digits, '.', '_' and '-')";

}  // namespace

bool well_formed_region(std::string_view s) {
  if (s.empty() || s.size() > 32 || !(s.front() >= 'a' && s.front() <= 'z')) return false;
  for (char c : s)
    if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-')) return false;
  return true;
}

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
  // Shapes are checked here, at create; whether a well-formed value is
  // allowed (a public range, a supported version) is for the safety checks.
  rd.shaped("project", r.project, project_name,
            "must be at most 128 bytes without control characters");
  rd.shaped("vpc_cidr", r.vpc_cidr, ipv4_cidr, cidr_shape) ||
      rd.shaped("vnet_cidr", r.vpc_cidr, ipv4_cidr, cidr_shape) ||
      rd.shaped("network_cidr", r.vpc_cidr, ipv4_cidr, cidr_shape);
  rd.integer("availability_zones", r.availability_zones, 1, 6);
  r.has_kubernetes_version =
      rd.shaped("kubernetes_version", r.kubernetes_version, version, version_shape) ||
      rd.shaped("eks_version", r.kubernetes_version, version, version_shape) ||
      rd.shaped("gke_version", r.kubernetes_version, version, version_shape) ||
      rd.shaped("aks_version", r.kubernetes_version, version, version_shape);
  rd.shaped("node_instance_type", r.node_instance_type, machine_size, size_shape);
  rd.integer("node_count", r.node_count, 1, 100);
  rd.shaped("instance_type", r.instance_type, machine_size, size_shape);
  rd.integer("instance_count", r.instance_count, 1, 100);
  const char* engine_shape = "must be an engine name like postgres or mysql";
  rd.shaped("rds_engine", r.db_engine, engine_name, engine_shape) ||
      rd.shaped("db_engine", r.db_engine, engine_name, engine_shape);
  r.has_db_engine_version =
      rd.shaped("db_engine_version", r.db_engine_version, version, version_shape);
  rd.shaped("db_instance_class", r.db_instance_class, machine_size, size_shape);
  rd.integer("storage_gb", r.storage_gb, 5, 65536);
  rd.integer("backup_retention_days", r.backup_retention_days, 0, 35);
  bool multi_az = false;
  if (rd.boolean("multi_az", multi_az)) r.multi_az = multi_az ? 1 : 0;
  rd.boolean("encryption", r.encryption);
  rd.boolean("public_access", r.public_access);
  rd.boolean("enable_logging", r.enable_logging);
  rd.number("cost_limit", r.cost_limit);
  if (auto it = rd.obj.find("simulate"); it != rd.obj.end() && !it->value().is_null())
    r.fault_injection = true;
  if (auto it = rd.obj.find("tags"); it != rd.obj.end() && !it->value().is_null()) {
    if (!it->value().is_object()) {
      rd.fail("tags", "must be an object of strings");
    } else {
      const auto& given = it->value().get_object();
      if (given.size() > max_tags) rd.fail("tags", "must hold at most 50 tags");
      for (const auto& kv : given) {
        const std::string field = field_prefix + ".tags." + std::string(kv.key());
        if (kv.key().empty() || kv.key().size() > max_tag_key_bytes) {
          if (errors) errors->push_back({field, "tag keys must be 1 to 128 bytes"});
          continue;
        }
        if (kv.value().is_string() && kv.value().get_string().size() > max_tag_value_bytes) {
          if (errors) errors->push_back({field, "must be at most 256 bytes"});
          continue;
        }
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
