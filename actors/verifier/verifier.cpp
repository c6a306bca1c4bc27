#include "actors/verifier/verifier.hpp"

#include <algorithm>
#include <cctype>
#include <cmath>
#include <cstdio>
#include <map>
#include <optional>
#include <set>

#include <boost/json.hpp>

#include "messages/json_codec.hpp"

#include "actors/executor/artifacts.hpp"
#include "actors/executor/hcl_check.hpp"
#include "actors/executor/hcl_edit.hpp"
#include "actors/executor/memo.hpp"
#include "actors/executor/rendering.hpp"
#include "actors/planner/catalog.hpp"
#include "actors/planner/planner.hpp"
#include "messages/text.hpp"

namespace ce::verifier {

namespace {

namespace json = boost::json;
using executor::hcl_attribute_span;
using executor::hcl_block_span;
using executor::hcl_body_outline;
using executor::outline_block;

constexpr int production_min_backup_days = 7;  // the best-practices floor in production
constexpr int production_min_nodes = 2;        // survives the loss of one node
constexpr double slow_step_factor = 3;         // a step this many times its estimate is slow

// ---- the module as files, blocks and attributes ------------------------------------

std::string trim(std::string_view s) {
  size_t b = 0, e = s.size();
  while (b < e && std::isspace(static_cast<unsigned char>(s[b]))) ++b;
  while (e > b && std::isspace(static_cast<unsigned char>(s[e - 1]))) --e;
  return std::string(s.substr(b, e - b));
}

/// The text of a quoted literal without its quotes; other expressions unchanged.
std::string unquote(const std::string& expression) {
  if (expression.size() >= 2 && expression.front() == '"' && expression.back() == '"')
    return expression.substr(1, expression.size() - 2);
  return expression;
}

std::optional<long> literal_int(const std::string& expression) {
  if (expression.empty() || expression.size() > 9 ||
      !std::all_of(expression.begin(), expression.end(),
                   [](char c) { return std::isdigit(static_cast<unsigned char>(c)); }))
    return std::nullopt;
  return std::stol(expression);
}

/// A block of one file with its outline: a resource, a data source or a nested block.
struct block_view {
  const std::string* text = nullptr;
  hcl_block_span span;
  hcl_body_outline body;

  block_view(const std::string& source, hcl_block_span block)
      : text(&source), span(std::move(block)), body(outline_block(source, span)) {}

  /// The expression of an attribute, empty if the block has none.
  std::string value(std::string_view attribute) const {
    const auto* a = body.attribute(attribute);
    return a ? trim(std::string_view(*text).substr(a->value_begin, a->value_end - a->value_begin))
             : std::string();
  }
  bool has(std::string_view attribute) const { return body.attribute(attribute) != nullptr; }

  std::optional<block_view> nested(std::string_view type) const {
    const auto* b = body.block(type);
    if (!b) return std::nullopt;
    return block_view(*text, *b);
  }
  std::vector<block_view> all_nested(std::string_view type) const {
    std::vector<block_view> out;
    for (const auto& b : body.blocks)
      if (b.type == type) out.emplace_back(*text, b);
    return out;
  }
  /// Everything between the braces.
  std::string_view inner() const {
    return std::string_view(*text).substr(span.open_brace + 1,
                                          span.close_brace - span.open_brace - 1);
  }
};

struct tf_resource : block_view {
  std::string file, type, name, address;
  tf_resource(const std::string& source, hcl_block_span block, std::string file_name)
      : block_view(source, std::move(block)), file(std::move(file_name)) {
    type = span.labels[0];
    name = span.labels[1];
    address = type + "." + name;
  }
};

/// The Terraform module of a workspace, outlined once.
struct tf_module {
  const workspace& all;
  std::vector<std::pair<std::string, std::string>> files;
  std::vector<tf_resource> resources;           // resource blocks only
  std::map<std::string, std::string> locals;    // name -> expression
  std::map<std::string, std::string> defaults;  // variable name -> default expression
  std::set<std::string> default_tag_keys;       // aws provider default_tags
  std::set<std::string> default_label_keys;     // google provider default_labels

  explicit tf_module(const workspace& ws) : all(ws), files(terraform_files(ws)) {
    std::vector<std::string> default_tags, default_labels;
    for (const auto& [file_name, text] : files) {
      for (const auto& block : executor::outline_file(text).blocks) {
        if (block.type == "resource" && block.labels.size() == 2) {
          resources.emplace_back(text, block, file_name);
        } else if (block.type == "locals") {
          block_view locals_block(text, block);
          for (const auto& a : locals_block.body.attributes)
            locals[a.name] = locals_block.value(a.name);
        } else if (block.type == "variable" && block.labels.size() == 1) {
          block_view variable(text, block);
          if (variable.has("default")) defaults[block.labels[0]] = variable.value("default");
        } else if (block.type == "provider" && block.labels.size() == 1) {
          block_view provider(text, block);
          if (block.labels[0] == "aws")
            if (auto tags = provider.nested("default_tags"))
              default_tags.push_back(tags->value("tags"));
          if (block.labels[0] == "google" && provider.has("default_labels"))
            default_labels.push_back(provider.value("default_labels"));
        }
      }
    }
    // After every locals block is known: default tags may come from a local value.
    for (const auto& expression : default_tags) collect_keys(expression, 0, default_tag_keys);
    for (const auto& expression : default_labels) collect_keys(expression, 0, default_label_keys);
  }

  // The blocks point into `files`: a copy would point into the original.
  tf_module(const tf_module&) = delete;
  tf_module& operator=(const tf_module&) = delete;

  std::vector<const tf_resource*> of_type(std::string_view type) const {
    std::vector<const tf_resource*> out;
    for (const auto& r : resources)
      if (r.type == type) out.push_back(&r);
    return out;
  }

  /// A resource of `type` whose `attribute` references `address` (e.g. a flow log of a VPC).
  const tf_resource* companion(std::string_view type, std::string_view attribute,
                               const std::string& address) const {
    for (const auto* r : of_type(type))
      if (executor::references(r->value(attribute), address)) return r;
    return nullptr;
  }

  /// A whole number given literally or as a variable's literal default.
  std::optional<long> number(const std::string& expression) const {
    if (auto n = literal_int(expression)) return n;
    if (expression.rfind("var.", 0) == 0) {
      auto it = defaults.find(expression.substr(4));
      if (it != defaults.end()) return literal_int(it->second);
    }
    return std::nullopt;
  }

  /// The keys an expression provides: object literals, merge() of them, local values.
  void collect_keys(const std::string& expression, int depth, std::set<std::string>& keys) const {
    if (depth > 8) return;  // locals referring to each other in a loop
    if (auto literal = executor::object_keys(expression)) {
      for (const auto& key : *literal) keys.insert(unquote(key));
      return;
    }
    if (auto args = executor::call_arguments(expression, "merge")) {
      for (const auto& arg : *args) collect_keys(trim(arg), depth + 1, keys);
      return;
    }
    if (expression.rfind("local.", 0) == 0) {
      auto it = locals.find(expression.substr(6));
      if (it != locals.end()) collect_keys(it->second, depth + 1, keys);
    }
  }
};

// ---- building checks -------------------------------------------------------------

struct check_spec {
  const char* id;
  check_category type;
  const char* name;
  const char* description;
};

/// `expected` and `actual` are JSON values of their natural type (a boolean, a number, a
/// list of names); null leaves the field out.
verification_check make_check(const check_spec& spec, check_status status,
                              const json::value& expected, const json::value& actual,
                              std::string error = {}, std::string remediation = {}) {
  verification_check c;
  c.id = spec.id;
  c.type = spec.type;
  c.name = spec.name;
  c.description = spec.description;
  c.status = status;
  if (!expected.is_null()) c.expected.text = codec::serialize(expected);
  if (!actual.is_null()) c.actual.text = codec::serialize(actual);
  if (status == check_status::failed || status == check_status::warning) {
    c.error = std::move(error);
    c.remediation = std::move(remediation);
  }
  return c;
}

/// Passed when nothing was found, otherwise `bad` with the findings as the error.
verification_check findings_check(const check_spec& spec, const std::vector<std::string>& found,
                                  check_status bad, const json::value& expected,
                                  const json::value& actual, std::string remediation) {
  if (found.empty()) return make_check(spec, check_status::passed, expected, actual);
  return make_check(spec, bad, expected, actual, join(found, "; "), std::move(remediation));
}

/// The usual pair of a findings check: true expected, and whether nothing was found.
verification_check no_findings_check(const check_spec& spec, const std::vector<std::string>& found,
                                     check_status bad, std::string remediation) {
  return findings_check(spec, found, bad, true, found.empty(), std::move(remediation));
}

json::array name_list(const std::vector<std::string>& names) {
  json::array out;
  for (const auto& n : names) out.emplace_back(n);
  return out;
}

json::object parse_object(const json_doc& doc) {
  boost::system::error_code ec;
  auto value = json::parse(doc.text, ec);
  if (ec || !value.is_object()) return {};
  return std::move(value.get_object());
}

bool starts_with(const std::string& s, std::string_view prefix) {
  return s.rfind(prefix, 0) == 0;
}

// ---- security ----------------------------------------------------------------------

const check_spec encryption_spec{"encryption_at_rest", check_category::security,
                                 "Encryption at rest",
                                 "Databases, disks and buckets in the generated code store data "
                                 "encrypted."};

verification_check check_encryption(const tf_module& m) {
  std::vector<std::string> unencrypted;
  for (const auto& r : m.resources) {
    if (r.type == "aws_db_instance" || r.type == "aws_rds_cluster" || r.type == "aws_ebs_volume") {
      const char* attribute = r.type == "aws_ebs_volume" ? "encrypted" : "storage_encrypted";
      const auto value = r.value(attribute);
      if (value.empty() || value == "false")
        unencrypted.push_back(r.file + ": " + r.address + " has " + attribute + " " +
                              (value.empty() ? "unset" : value));
    } else if (r.type == "aws_instance") {
      auto disk = r.nested("root_block_device");
      if (!disk || disk->value("encrypted").empty() || disk->value("encrypted") == "false")
        unencrypted.push_back(r.file + ": " + r.address + " has an unencrypted root volume");
    } else if (r.type == "aws_s3_bucket") {
      if (!m.companion("aws_s3_bucket_server_side_encryption_configuration", "bucket", r.address))
        unencrypted.push_back(r.file + ": " + r.address +
                              " has no server-side encryption configuration");
    }
    // Cloud SQL, GCS, Azure storage and Azure PostgreSQL always encrypt with platform keys.
  }
  return no_findings_check(
      encryption_spec, unencrypted, check_status::failed,
      "Set storage_encrypted/encrypted = true and add a server-side encryption "
      "configuration to every bucket (the apply_best_practices step does this "
      "unless requirements.encryption is false).");
}

/// String literals inside an expression: ["0.0.0.0/0", "10.0.0.0/8"] -> both.
std::vector<std::string> string_literals(const std::string& expression) {
  std::vector<std::string> out;
  for (size_t open = expression.find('"'); open != std::string::npos;) {
    const size_t close = expression.find('"', open + 1);
    if (close == std::string::npos) break;
    out.push_back(expression.substr(open + 1, close - open - 1));
    open = expression.find('"', close + 1);
  }
  return out;
}

bool names_the_internet(const std::string& expression) {
  for (const auto& s : string_literals(expression))
    if (s == "0.0.0.0/0" || s == "::/0" || s == "*" || s == "Internet" || s == "Any") return true;
  return false;
}

/// True if a port range reaches a port other than HTTP (80) and HTTPS (443).
bool beyond_web_ports(std::optional<long> from, std::optional<long> to) {
  if (!from || !to) return true;  // unknown ports: assume the worst
  for (long port = *from; port <= *to; ++port)
    if (port != 80 && port != 443) return true;
  return false;
}

/// "22", "80-90", "*" -> (from, to); nullopt for anything else.
std::optional<std::pair<long, long>> port_range(const std::string& text) {
  if (text == "*") return std::make_pair(0L, 65535L);
  const auto dash = text.find('-');
  auto from = literal_int(text.substr(0, dash));
  auto to = dash == std::string::npos ? from : literal_int(text.substr(dash + 1));
  if (!from || !to) return std::nullopt;
  return std::make_pair(*from, *to);
}

bool any_port_beyond_web(const std::vector<std::string>& ranges) {
  if (ranges.empty()) return true;  // no ports listed: every port
  for (const auto& text : ranges) {
    auto range = port_range(text);
    if (!range || beyond_web_ports(range->first, range->second)) return true;
  }
  return false;
}

const check_spec ingress_spec{"no_open_ingress", check_category::security,
                              "No open ingress to non-web ports",
                              "No firewall or security group rule lets the whole internet "
                              "(0.0.0.0/0) reach a port other than 80 and 443."};

verification_check check_open_ingress(const tf_module& m) {
  std::vector<std::string> open;
  auto aws_rule = [&](const tf_resource& r, const block_view& rule, const char* cidr_attribute) {
    if (!names_the_internet(rule.value(cidr_attribute)) &&
        !names_the_internet(rule.value("ipv6_cidr_blocks")))
      return;
    const auto protocol = unquote(rule.value(rule.has("ip_protocol") ? "ip_protocol" : "protocol"));
    auto from = m.number(rule.value("from_port"));
    auto to = m.number(rule.value("to_port"));
    if (protocol == "-1" || protocol == "all") from = 0, to = 65535;
    if (beyond_web_ports(from, to))
      open.push_back(r.file + ": " + r.address + " opens ports " + rule.value("from_port") + "-" +
                     rule.value("to_port") + " to the internet");
  };
  for (const auto& r : m.resources) {
    if (r.type == "aws_security_group") {
      for (const auto& ingress : r.all_nested("ingress")) aws_rule(r, ingress, "cidr_blocks");
    } else if (r.type == "aws_security_group_rule") {
      if (unquote(r.value("type")) == "ingress") aws_rule(r, r, "cidr_blocks");
    } else if (r.type == "aws_vpc_security_group_ingress_rule") {
      aws_rule(r, r, "cidr_ipv4");
    } else if (r.type == "google_compute_firewall") {
      const auto direction = unquote(r.value("direction"));
      if ((!direction.empty() && direction != "INGRESS") ||
          !names_the_internet(r.value("source_ranges")))
        continue;
      for (const auto& allow : r.all_nested("allow"))
        if (any_port_beyond_web(string_literals(allow.value("ports"))))
          open.push_back(r.file + ": " + r.address + " allows " + allow.value("protocol") +
                         " ports " + (allow.has("ports") ? allow.value("ports") : "all") +
                         " from the internet");
    } else if (r.type == "azurerm_network_security_group" ||
               r.type == "azurerm_network_security_rule") {
      auto rules = r.type == "azurerm_network_security_rule" ? std::vector<block_view>{r}
                                                             : r.all_nested("security_rule");
      for (const auto& rule : rules) {
        if (unquote(rule.value("direction")) != "Inbound" ||
            unquote(rule.value("access")) != "Allow" ||
            !(names_the_internet(rule.value("source_address_prefix")) ||
              names_the_internet(rule.value("source_address_prefixes"))))
          continue;
        auto ports = string_literals(rule.value("destination_port_range"));
        for (const auto& p : string_literals(rule.value("destination_port_ranges")))
          ports.push_back(p);
        if (any_port_beyond_web(ports))
          open.push_back(r.file + ": " + r.address + " allows inbound ports " + join(ports) +
                         " from the internet");
      }
    }
  }
  return no_findings_check(ingress_spec, open, check_status::failed,
                           "Restrict the source to known ranges (VPN, bastion, load balancer) or "
                           "reach the service through a private network.");
}

const check_spec public_spec{"no_public_data", check_category::security,
                             "No public buckets or databases",
                             "Buckets and databases are not reachable or readable from the "
                             "internet."};

verification_check check_public_data(const tf_module& m) {
  std::vector<std::string> exposed;
  for (const auto& r : m.resources) {
    const std::string where = r.file + ": " + r.address;
    if (r.type == "aws_db_instance" || r.type == "aws_rds_cluster_instance") {
      if (r.value("publicly_accessible") == "true")
        exposed.push_back(where + " is publicly accessible");
    } else if (r.type == "aws_s3_bucket") {
      const auto* block = m.companion("aws_s3_bucket_public_access_block", "bucket", r.address);
      if (!block) {
        exposed.push_back(where + " has no public access block");
        continue;
      }
      for (const char* setting : {"block_public_acls", "block_public_policy", "ignore_public_acls",
                                  "restrict_public_buckets"})
        if (block->value(setting) != "true")
          exposed.push_back(block->address + " does not set " + setting + " = true");
    } else if (r.type == "aws_s3_bucket_acl") {
      const auto acl = unquote(r.value("acl"));
      if (acl == "public-read" || acl == "public-read-write")
        exposed.push_back(where + " grants " + acl);
    } else if (r.type == "google_storage_bucket") {
      if (unquote(r.value("public_access_prevention")) != "enforced")
        exposed.push_back(where + " does not enforce public access prevention");
    } else if (r.type == "google_sql_database_instance") {
      auto settings = r.nested("settings");
      auto ip = settings ? settings->nested("ip_configuration") : std::nullopt;
      if (!ip) continue;
      for (const auto& network : ip->all_nested("authorized_networks"))
        if (names_the_internet(network.value("value")))
          exposed.push_back(where + " authorizes connections from the whole internet");
    } else if (r.type == "azurerm_storage_account") {
      if (r.value("allow_nested_items_to_be_public") != "false")
        exposed.push_back(where + " allows public blobs (allow_nested_items_to_be_public)");
    } else if (r.type == "azurerm_postgresql_flexible_server") {
      if (r.value("public_network_access_enabled") == "true")
        exposed.push_back(where + " enables public network access");
    }
  }
  return no_findings_check(public_spec, exposed, check_status::failed,
                           "Keep requirements.public_access false and let apply_best_practices add "
                           "public access blocks; reach data through private networking.");
}

/// Action = "*", Action = ["*"], "Action": "*", actions = ["*"] (policy documents): a plain
/// scan, since this runs over every resource of every verification.
bool grants_every_action(std::string_view body) {
  auto skip_blanks = [&](size_t at) {
    while (at < body.size() && std::isspace(static_cast<unsigned char>(body[at]))) ++at;
    return at;
  };
  for (size_t at = body.find("ction"); at != std::string_view::npos;
       at = body.find("ction", at + 1)) {
    if (at == 0 || (body[at - 1] != 'A' && body[at - 1] != 'a')) continue;
    size_t next = at + 5;
    if (next < body.size() && body[next] == 's') ++next;
    if (next < body.size() && body[next] == '"') ++next;
    next = skip_blanks(next);
    if (next >= body.size() || (body[next] != '=' && body[next] != ':')) continue;
    next = skip_blanks(next + 1);
    if (next < body.size() && body[next] == '[') next = skip_blanks(next + 1);
    if (body.substr(next, 3) == "\"*\"") return true;
  }
  return false;
}

const check_spec iam_spec{"no_wildcard_iam", check_category::security, "Least-privilege IAM",
                          "No IAM policy allows every action (\"*\"), and no one is granted an "
                          "owner or editor role."};

verification_check check_iam(const tf_module& m) {
  std::vector<std::string> wide;
  for (const auto& r : m.resources) {
    if (grants_every_action(r.inner()))
      wide.push_back(r.file + ": " + r.address + " allows every action (\"*\")");
    if (starts_with(r.type, "google_project_iam_")) {
      const auto role = unquote(r.value("role"));
      if (role == "roles/owner" || role == "roles/editor")
        wide.push_back(r.file + ": " + r.address + " grants " + role);
    }
    if (r.type == "azurerm_role_assignment" && unquote(r.value("role_definition_name")) == "Owner")
      wide.push_back(r.file + ": " + r.address + " grants Owner");
  }
  return no_findings_check(iam_spec, wide, check_status::failed,
                           "List the actions each role needs instead of \"*\" and use narrow "
                           "predefined roles.");
}

// ---- compliance ----------------------------------------------------------------------

/// Where a resource keeps its tags, nullopt for resources that take none.
struct tag_place {
  const char* nested_block;  // nullptr: the resource body
  const char* attribute;
  bool gcp_labels;
};

std::optional<tag_place> tag_place_of(const tf_resource& r) {
  // Types that take tags even when the template gave them none.
  static const std::set<std::string> taggable = {"aws_vpc",
                                                 "aws_subnet",
                                                 "aws_internet_gateway",
                                                 "aws_nat_gateway",
                                                 "aws_eip",
                                                 "aws_route_table",
                                                 "aws_security_group",
                                                 "aws_instance",
                                                 "aws_ebs_volume",
                                                 "aws_eks_cluster",
                                                 "aws_eks_node_group",
                                                 "aws_db_instance",
                                                 "aws_db_subnet_group",
                                                 "aws_rds_cluster",
                                                 "aws_s3_bucket",
                                                 "aws_iam_role",
                                                 "aws_kms_key",
                                                 "aws_cloudwatch_log_group",
                                                 "aws_flow_log",
                                                 "azurerm_resource_group",
                                                 "azurerm_virtual_network",
                                                 "azurerm_network_security_group",
                                                 "azurerm_public_ip",
                                                 "azurerm_nat_gateway",
                                                 "azurerm_kubernetes_cluster",
                                                 "azurerm_storage_account",
                                                 "azurerm_postgresql_flexible_server",
                                                 "azurerm_key_vault",
                                                 "azurerm_log_analytics_workspace",
                                                 "google_storage_bucket",
                                                 "google_compute_instance",
                                                 "google_compute_disk"};
  if (starts_with(r.type, "aws_") || starts_with(r.type, "azurerm_")) {
    if (r.has("tags") || taggable.count(r.type)) return tag_place{nullptr, "tags", false};
    return std::nullopt;
  }
  if (r.type == "google_container_cluster") return tag_place{nullptr, "resource_labels", true};
  if (r.type == "google_sql_database_instance") return tag_place{"settings", "user_labels", true};
  if (starts_with(r.type, "google_") && (r.has("labels") || taggable.count(r.type)))
    return tag_place{nullptr, "labels", true};
  return std::nullopt;
}

const check_spec tags_spec{"required_tags", check_category::compliance, "Required tags",
                           "Every taggable resource carries Environment, ManagedBy and Project "
                           "(GCP labels: environment, managed_by, project)."};

verification_check check_required_tags(const tf_module& m) {
  static const std::vector<std::string> tag_names{"Environment", "ManagedBy", "Project"};
  std::vector<std::string> missing;
  std::vector<bool> on_every_resource(tag_names.size(), true);
  for (const auto& r : m.resources) {
    auto place = tag_place_of(r);
    if (!place) continue;
    const std::vector<std::string> required =
        place->gcp_labels ? std::vector<std::string>{"environment", "managed_by", "project"}
                          : std::vector<std::string>{"Environment", "ManagedBy", "Project"};
    std::set<std::string> keys;
    if (starts_with(r.type, "aws_")) keys = m.default_tag_keys;
    if (starts_with(r.type, "google_")) keys = m.default_label_keys;
    std::optional<block_view> target;
    if (place->nested_block)
      target = r.nested(place->nested_block);
    else
      target = r;
    if (target) m.collect_keys(target->value(place->attribute), 0, keys);
    std::vector<std::string> absent;
    for (size_t i = 0; i < required.size(); ++i)
      if (!keys.count(required[i])) {
        absent.push_back(required[i]);
        on_every_resource[i] = false;
      }
    if (!absent.empty()) missing.push_back(r.file + ": " + r.address + " lacks " + join(absent));
  }
  // Expected: the tags every taggable resource needs; actual: those every one of them has.
  std::vector<std::string> everywhere;
  for (size_t i = 0; i < tag_names.size(); ++i)
    if (on_every_resource[i]) everywhere.push_back(tag_names[i]);
  return findings_check(tags_spec, missing, check_status::failed, name_list(tag_names),
                        name_list(everywhere),
                        "Tag every resource through local.common_tags or provider default_tags; "
                        "apply_best_practices adds missing tags.");
}

const check_spec backups_spec{"backups_configured", check_category::compliance,
                              "Backups configured",
                              "Databases keep automated backups, at least 7 days in "
                              "production."};

verification_check check_backups(const tf_module& m, const task_context& context) {
  const bool production = is_production(context.environment);
  const long minimum = production ? production_min_backup_days : 1;
  std::vector<std::string> short_kept;
  std::optional<long> shortest;  // the fewest days any database keeps its backups
  auto judge = [&](const tf_resource& r, std::optional<long> days, const std::string& raw) {
    if (!days && !raw.empty()) return;  // set by an expression the verifier cannot evaluate
    const long value = days.value_or(0);
    shortest = std::min(shortest.value_or(value), value);
    if (value < minimum)
      short_kept.push_back(r.file + ": " + r.address + " keeps backups " + std::to_string(value) +
                           " days");
  };
  int databases = 0;
  for (const auto& r : m.resources) {
    if (r.type == "aws_db_instance" || r.type == "aws_rds_cluster") {
      ++databases;
      judge(r, m.number(r.value("backup_retention_period")), r.value("backup_retention_period"));
    } else if (r.type == "azurerm_postgresql_flexible_server") {
      ++databases;
      // Azure keeps 7 days when the attribute is not set.
      const auto raw = r.value("backup_retention_days");
      judge(r, raw.empty() ? std::optional<long>(7) : m.number(raw), raw);
    } else if (r.type == "google_sql_database_instance") {
      ++databases;
      auto settings = r.nested("settings");
      auto backup = settings ? settings->nested("backup_configuration") : std::nullopt;
      if (!backup || backup->value("enabled") != "true") {
        judge(r, 0, "");
        continue;
      }
      auto retention = backup->nested("backup_retention_settings");
      // Cloud SQL keeps 7 backups when no retention is given.
      const auto raw = retention ? retention->value("retained_backups") : std::string();
      judge(r, raw.empty() ? std::optional<long>(7) : m.number(raw), raw);
    }
  }
  // Expected: the fewest days of backups allowed; actual: the fewest any database keeps.
  const json::value expected = minimum;
  if (databases == 0) return make_check(backups_spec, check_status::passed, expected, nullptr);
  // Outside production a short or disabled retention may be what the requirements asked for.
  return findings_check(
      backups_spec, short_kept, production ? check_status::failed : check_status::warning, expected,
      shortest ? json::value(*shortest) : json::value(nullptr),
      "Set backup_retention_days to at least " + std::to_string(minimum) + " in the requirements.");
}

const check_spec logging_spec{"audit_logging", check_category::compliance, "Audit logging",
                              "With enable_logging, networks have flow logs and clusters and "
                              "databases send their audit logs."};

verification_check check_logging(const tf_module& m, const requirements& req) {
  if (!req.enable_logging)  // turned off by requirements.enable_logging
    return make_check(logging_spec, check_status::skipped, true, false);
  std::vector<std::string> silent;
  for (const auto& r : m.resources) {
    const std::string where = r.file + ": " + r.address;
    if (r.type == "aws_vpc") {
      if (!m.companion("aws_flow_log", "vpc_id", r.address))
        silent.push_back(where + " has no flow log");
    } else if (r.type == "aws_eks_cluster") {
      if (r.value("enabled_cluster_log_types").find("\"audit\"") == std::string::npos)
        silent.push_back(where + " does not send audit logs");
    } else if (r.type == "google_container_cluster") {
      if (!r.nested("logging_config") &&
          (!r.has("logging_service") || unquote(r.value("logging_service")) == "none"))
        silent.push_back(where + " has no logging configured");
    } else if (r.type == "google_compute_subnetwork") {
      if (!r.nested("log_config")) silent.push_back(where + " has no flow logs (log_config)");
    } else if (r.type == "azurerm_kubernetes_cluster" ||
               r.type == "azurerm_postgresql_flexible_server" || r.type == "azurerm_key_vault") {
      if (!m.companion("azurerm_monitor_diagnostic_setting", "target_resource_id", r.address))
        silent.push_back(where + " has no diagnostic setting");
    }
  }
  return no_findings_check(logging_spec, silent, check_status::failed,
                           "Keep enable_logging true and let apply_best_practices add flow logs, "
                           "control plane logs and diagnostic settings.");
}

// ---- functionality -----------------------------------------------------------------

const check_spec rendered_spec{"components_rendered", check_category::functionality,
                               "Every component rendered",
                               "Each requested component has its <component>.tf file with at "
                               "least one resource."};

verification_check check_components_rendered(const tf_module& m, const task_context& context) {
  std::vector<std::string> missing, present;
  for (const auto& component : context.components) {
    const std::string file = component + ".tf";
    int count = 0;
    for (const auto& r : m.resources) count += r.file == file;
    const bool exists =
        std::any_of(m.files.begin(), m.files.end(), [&](const auto& f) { return f.first == file; });
    if (!exists)
      missing.push_back(file + " is missing");
    else if (count == 0)
      missing.push_back(file + " declares no resource");
    else
      present.push_back(component);
  }
  // Expected: the components asked for; actual: those rendered with resources.
  return findings_check(rendered_spec, missing, check_status::failed, name_list(context.components),
                        name_list(present), "Re-run the generate steps of the missing components.");
}

const check_spec module_spec{"module_valid", check_category::functionality, "Module valid",
                             "The files parse as HCL, names are unique and every reference "
                             "points at something the module defines."};

verification_check check_module_valid(const tf_module& m) {
  if (m.files.empty())
    return make_check(module_spec, check_status::failed, true, false,
                      "the workspace has no Terraform files", "Run the generate steps again.");
  const auto report = *executor::checked_module(m.all);
  return no_findings_check(module_spec, report.errors, check_status::failed,
                           "Fix the reported files; regenerate them if they were edited by hand.");
}

const check_spec intact_spec{"artifacts_intact", check_category::functionality, "Artifacts intact",
                             "Every file the steps recorded is held with the sha256 "
                             "checksum recorded when it was written."};

verification_check check_artifacts(const std::vector<execution_result>& results,
                                   const workspace& files) {
  const auto artifacts = latest_artifacts(results);
  if (artifacts.empty())
    return make_check(intact_spec, check_status::failed, nullptr, 0,
                      "the execution recorded no artifact", "Run the plan's generate steps.");
  std::vector<std::string> broken;
  for (const auto& a : artifacts)
    if (!holds(files, a))
      broken.push_back(a.name + " is missing or differs from sha256 " + a.checksum.substr(0, 12) +
                       "...");
  // Expected: the artifacts recorded; actual: those that still match their checksum.
  return findings_check(intact_spec, broken, check_status::failed, artifacts.size(),
                        artifacts.size() - broken.size(),
                        "Files were changed after the execution wrote them: regenerate them, "
                        "and find who edits the workspace.");
}

/// The last result reported for a step (a retried step reports again).
const execution_result* result_of(const std::vector<execution_result>& results,
                                  const std::string& step_id) {
  const execution_result* found = nullptr;
  for (const auto& r : results)
    if (r.step_id == step_id) found = &r;
  return found;
}

const check_spec steps_spec{"steps_succeeded", check_category::functionality, "Steps succeeded",
                            "Every step of the plan reported success."};

verification_check check_steps(const plan& p, const std::vector<execution_result>& results) {
  std::vector<std::string> problems;
  size_t succeeded = 0;
  for (const auto& step : p.steps) {
    const auto* r = result_of(results, step.id);
    if (r && r->status == execution_status::success) ++succeeded;
    if (!r)
      problems.push_back(step.id + " has no result");
    else if (r->status != execution_status::success)
      problems.push_back(step.id + " ended " + std::string(to_string(r->status)) +
                         (r->error.message.empty() ? "" : ": " + r->error.message));
  }
  // Expected: the plan's steps; actual: how many of them succeeded.
  return findings_check(steps_spec, problems, check_status::failed, p.steps.size(), succeeded,
                        "Look at the failed steps' errors and logs, fix the cause and run the "
                        "task again.");
}

const check_spec deployment_spec{"deployment_outputs", check_category::functionality,
                                 "Deployment applied and verified",
                                 "A deployment reports the resources it created and passes its "
                                 "verification step."};

verification_check check_deployment(const plan& p, const std::vector<execution_result>& results,
                                    std::size_t declared_resources) {
  const plan_step* apply = nullptr;
  const plan_step* verify_step = nullptr;
  for (const auto& step : p.steps) {
    if (step.action == "apply_deployment") apply = &step;
    if (step.action == "verify_deployment") verify_step = &step;
  }
  if (!apply)  // the plan deploys nothing
    return make_check(deployment_spec, check_status::skipped, true, nullptr);
  std::vector<std::string> problems;
  long created = -1;
  if (const auto* r = result_of(results, apply->id); r && r->status == execution_status::success) {
    const auto outputs = parse_object(r->outputs);
    if (const auto* n = outputs.if_contains("resources_created"); n && n->is_int64())
      created = static_cast<long>(n->get_int64());
    if (created < 0)
      problems.push_back(apply->id + " reported no resources_created");
    else if (created == 0 && declared_resources > 0)
      problems.push_back(apply->id + " created no resource although the module declares " +
                         std::to_string(declared_resources));
  } else {
    problems.push_back(apply->id + " did not succeed");
  }
  if (verify_step) {
    const auto* r = result_of(results, verify_step->id);
    if (!r || r->status != execution_status::success)
      problems.push_back(verify_step->id + " did not succeed");
  } else {
    problems.push_back("the plan has no verify_deployment step");
  }
  return no_findings_check(deployment_spec, problems, check_status::failed,
                           "Inspect the deployment step logs; roll back and apply again.");
}

// ---- performance -------------------------------------------------------------------

int64_t estimated_seconds(const plan_step& step) {
  const auto parameters = parse_object(step.parameters);
  const auto* seconds = parameters.if_contains("estimated_seconds");
  return seconds && seconds->is_number() ? static_cast<int64_t>(seconds->to_number<double>()) : 0;
}

const check_spec durations_spec{"step_durations", check_category::performance, "Step durations",
                                "No step took more than three times its estimated duration."};

verification_check check_durations(const plan& p, const std::vector<execution_result>& results) {
  std::vector<std::string> slow;
  int64_t total_ms = 0, estimated_ms = 0;
  for (const auto& step : p.steps) {
    const auto* r = result_of(results, step.id);
    const int64_t estimate_ms = estimated_seconds(step) * 1000;
    if (!r || estimate_ms <= 0) continue;
    total_ms += r->duration_ms;
    estimated_ms += estimate_ms;
    if (static_cast<double>(r->duration_ms) > slow_step_factor * static_cast<double>(estimate_ms))
      slow.push_back(step.id + " took " + std::to_string(r->duration_ms) + " ms, estimated " +
                     std::to_string(estimate_ms) + " ms");
  }
  // Expected: the estimated milliseconds of the steps that ran; actual: what they took.
  return findings_check(durations_spec, slow, check_status::warning, estimated_ms, total_ms,
                        "Look for throttling or slow dependencies in the slow steps' logs, or "
                        "correct the catalog's timing estimates.");
}

const check_spec sizing_spec{"production_sizing", check_category::performance, "Production sizing",
                             "In production, clusters run at least two nodes and databases are "
                             "replicated across zones."};

/// An attribute of the block or of a block nested in it, as a number.
std::optional<long> find_number(const tf_module& m, const block_view& block,
                                const char* attribute) {
  if (block.has(attribute)) return m.number(block.value(attribute));
  for (const auto& nested : block.body.blocks)
    if (auto n = find_number(m, block_view(*block.text, nested), attribute)) return n;
  return std::nullopt;
}

/// The fewest nodes a cluster or node pool runs: its autoscaling minimum if it scales, else
/// its fixed size. GKE's initial_node_count counts per zone, so it comes last.
std::optional<long> minimum_nodes(const tf_module& m, const block_view& block) {
  for (const char* attribute : {"total_min_node_count", "min_node_count", "min_count", "min_size",
                                "node_count", "desired_size", "initial_node_count"})
    if (auto n = find_number(m, block, attribute)) return n;
  return std::nullopt;
}

verification_check check_sizing(const tf_module& m, const task_context& context) {
  if (!is_production(context.environment))  // sizing is judged in production only
    return make_check(sizing_spec, check_status::skipped, true, nullptr);
  std::vector<std::string> small;
  for (const auto& r : m.resources) {
    if (r.type == "aws_eks_node_group" || r.type == "google_container_node_pool" ||
        r.type == "azurerm_kubernetes_cluster" ||
        r.type == "azurerm_kubernetes_cluster_node_pool") {
      auto nodes = minimum_nodes(m, r);
      if (nodes && *nodes < production_min_nodes)
        small.push_back(r.address + " runs " + std::to_string(*nodes) + " node(s)");
    } else if (r.type == "aws_db_instance") {
      if (r.value("multi_az") != "true") small.push_back(r.address + " is not multi_az");
    } else if (r.type == "google_sql_database_instance") {
      auto settings = r.nested("settings");
      if (!settings || unquote(settings->value("availability_type")) != "REGIONAL")
        small.push_back(r.address + " is not REGIONAL");
    } else if (r.type == "azurerm_postgresql_flexible_server") {
      if (!r.nested("high_availability")) small.push_back(r.address + " has no high_availability");
    }
  }
  // Explicit requirements may ask for less; the verification reports it without failing.
  return no_findings_check(sizing_spec, small, check_status::warning,
                           "Set node_count >= 2 and multi_az true for production.");
}

// ---- cost --------------------------------------------------------------------------

const check_spec budget_spec{"cost_within_limit", check_category::cost, "Cost within limit",
                             "The plan's monthly estimate stays within the cost limit."};

verification_check check_budget(const plan& p, const requirements& req, double node_limit) {
  const double limit = req.cost_limit > 0 ? req.cost_limit : node_limit;
  // Expected: the limit in USD per month; actual: the plan's estimate.
  if (p.estimated_cost > limit)
    return make_check(budget_spec, check_status::failed, limit, p.estimated_cost,
                      "estimated cost " + usd_per_month(p.estimated_cost) +
                          " exceeds the limit of " + usd_per_month(limit),
                      "Reduce node counts or instance sizes, or raise cost_limit after review.");
  return make_check(budget_spec, check_status::passed, limit, p.estimated_cost);
}

const check_spec breakdown_spec{"cost_breakdown", check_category::cost, "Cost breakdown",
                                "Every component has a price, and the per-component prices add "
                                "up to the plan's estimate."};

verification_check check_breakdown(const plan& p, const task_context& context,
                                   const requirements& req) {
  std::vector<std::string> problems;
  double sum = 0;
  size_t priced = 0;
  for (const auto& component : context.components) {
    const auto* spec = planner::find_component(context.provider, component);
    if (!spec) {
      problems.push_back(component + " has no price");
      continue;
    }
    const double cost =
        planner::estimate_component_cost(context.provider, *spec, req, context.environment);
    sum += cost;
    ++priced;
  }
  // Prices are rounded to cents per component.
  const double tolerance = 0.01 * static_cast<double>(std::max<size_t>(1, priced));
  if (problems.empty() && std::abs(sum - p.estimated_cost) > tolerance)
    problems.push_back("components add up to " + usd_per_month(sum) + " but the plan estimates " +
                       usd_per_month(p.estimated_cost));
  // Expected: the plan's estimate; actual: the sum of the per-component prices.
  return findings_check(breakdown_spec, problems, check_status::warning, p.estimated_cost,
                        std::round(sum * 100) / 100,
                        "Regenerate the plan so its estimate matches its components.");
}

}  // namespace

std::vector<artifact> latest_artifacts(const std::vector<execution_result>& results) {
  std::map<std::string, artifact> latest;
  for (const auto& r : results)
    for (const auto& a : r.artifacts) {
      auto it = latest.find(a.name);
      if (it == latest.end() || it->second.created_at <= a.created_at) latest[a.name] = a;
    }
  std::vector<artifact> out;
  for (auto& [name, a] : latest) out.push_back(std::move(a));
  return out;
}

namespace {

/// What the files and the context alone decide: the security, compliance, rendering and
/// sizing checks, in the order verify lists them, and the resources the module declares.
struct module_findings {
  std::vector<verification_check> checks;
  std::size_t declared_resources = 0;
};

/// A task's module is a few KiB outlined; the memo holds the recent distinct ones.
constexpr std::size_t module_findings_entries = 64;

module_findings module_findings_of(const workspace& files, const task_context& context,
                                   const requirements& req) {
  const tf_module module(files);
  return {{check_encryption(module), check_open_ingress(module), check_public_data(module),
           check_iam(module), check_required_tags(module), check_backups(module, context),
           check_logging(module, req), check_components_rendered(module, context),
           check_module_valid(module), check_sizing(module, context)},
          module.resources.size()};
}

}  // namespace

verification_result verify(const verification_input& in, std::string id, std::string execution_id,
                           timestamp_ms now) {
  static const plan no_plan;
  static const std::vector<execution_result> no_results;
  const plan& p = in.p ? *in.p : no_plan;
  const task_context& context = in.context ? *in.context : p.context;
  const auto& results = in.results ? *in.results : no_results;
  static const workspace no_files;
  const workspace& files = in.files ? *in.files : no_files;
  // The checks that read only the files and the context give the same answer for the
  // same bytes and context: they run once per distinct module.
  static executor::bounded_memo<module_findings> memo(module_findings_entries);
  const auto found = memo.get_or_make(executor::module_key(files, context),
                                      [&] { return module_findings_of(files, context, in.req); });
  const auto& of_module = found->checks;

  verification_result v;
  v.id = std::move(id);
  v.execution_id = std::move(execution_id);
  v.started_at = now;
  v.completed_at = now;
  v.checks = {of_module[0],
              of_module[1],
              of_module[2],
              of_module[3],
              of_module[4],
              of_module[5],
              of_module[6],
              of_module[7],
              of_module[8],
              check_artifacts(results, files),
              check_steps(p, results),
              check_deployment(p, results, found->declared_resources),
              check_durations(p, results),
              of_module[9],
              check_budget(p, in.req, in.cost_limit_usd),
              check_breakdown(p, context, in.req)};
  for (const auto& c : v.checks) {
    ++v.total_checks;
    v.passed += c.status == check_status::passed;
    v.failed += c.status == check_status::failed;
    v.warnings += c.status == check_status::warning;
  }
  v.status = v.failed > 0     ? verification_status::failed
             : v.warnings > 0 ? verification_status::warning
                              : verification_status::passed;
  return v;
}

}  // namespace ce::verifier
