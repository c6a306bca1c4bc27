#include "actors/executor/best_practices.hpp"

#include <algorithm>
#include <cctype>
#include <functional>
#include <map>
#include <optional>
#include <set>
#include <stdexcept>

#include "actors/executor/hcl_check.hpp"
#include "actors/executor/hcl_edit.hpp"

namespace ce::executor {

namespace {

constexpr int min_production_backup_days = 7;  // the backups rule's floor in production
constexpr int max_rule_edits = 2000;           // far above any real module: a loop guard

using file_list = std::vector<std::pair<std::string, std::string>>;

/// A resource block of one file of the module.
struct located_resource {
  size_t file = 0;
  hcl_block_span block;
  std::string type, name, address;
};

/// The module being hardened, and what the rules did to it.
struct workbench {
  file_list files;
  const task_context& context;
  const requirements& req;
  std::vector<best_practice_fix> fixes;
  std::vector<std::string> unresolved;

  std::string& content(size_t file) { return files[file].second; }
  const std::string& file_name(size_t file) const { return files[file].first; }

  std::vector<located_resource> resources() const {
    std::vector<located_resource> all;
    for (size_t f = 0; f < files.size(); ++f)
      for (auto& block : outline_file(files[f].second).blocks) {
        auto address = resource_address(block);
        if (address.empty()) continue;
        all.push_back({f, block, block.labels[0], block.labels[1], address});
      }
    return all;
  }

  bool has_address(const std::string& address) const {
    for (const auto& r : resources())
      if (r.address == address) return true;
    return false;
  }

  /// A resource name not yet used for type: base, base_2, base_3...
  std::string unused_name(const std::string& type, const std::string& base) const {
    std::string name = base;
    for (int n = 2; has_address(type + "." + name); ++n) name = base + "_" + std::to_string(n);
    return name;
  }

  /// A resource of `type` whose attribute `attribute` references address, if any.
  bool has_companion(const std::string& type, const std::string& attribute,
                     const std::string& address) const {
    for (const auto& r : resources()) {
      if (r.type != type) continue;
      const auto& text = files[r.file].second;
      auto body = outline_block(text, r.block);
      if (auto* a = body.attribute(attribute))
        if (references(text.substr(a->value_begin, a->value_end - a->value_begin), address))
          return true;
    }
    return false;
  }

  void fixed(const std::string& rule, const located_resource& r, std::string description) {
    fixes.push_back({rule, file_name(r.file), r.address, std::move(description)});
  }

  void cannot_fix(std::string sentence) {
    if (std::find(unresolved.begin(), unresolved.end(), sentence) == unresolved.end())
      unresolved.push_back(std::move(sentence));
  }
};

std::string value_text(const std::string& text, const hcl_attribute_span& a) {
  return text.substr(a.value_begin, a.value_end - a.value_begin);
}

std::optional<long> literal_int(const std::string& expression) {
  if (expression.empty() || expression.size() > 9 ||
      !std::all_of(expression.begin(), expression.end(),
                   [](char c) { return std::isdigit(static_cast<unsigned char>(c)); }))
    return std::nullopt;
  return std::stol(expression);
}

/// Sets an attribute of a block body to value, adding it if missing.
std::string set_attribute(const std::string& text, const hcl_block_span& block,
                          const std::string& name, const std::string& value) {
  auto body = outline_block(text, block);
  if (auto* a = body.attribute(name)) return replace_value(text, *a, value);
  return insert_before_close(text, block.open_brace, block.close_brace, name + " = " + value);
}

/// True if the attribute is missing or not the literal `wanted`.
bool differs(const std::string& text, const hcl_body_outline& body, const std::string& name,
             const std::string& wanted) {
  auto* a = body.attribute(name);
  return !a || value_text(text, *a) != wanted;
}

/// Runs one rule until it finds nothing more to change. A rule edits at most one place per
/// call (offsets change with every edit) and returns whether it did.
void run_rule(workbench& bench, const std::function<bool(workbench&)>& rule) {
  for (int edits = 0; rule(bench); ++edits)
    if (edits > max_rule_edits) throw std::logic_error("a best-practice rule does not converge");
}

// ---- encryption at rest --------------------------------------------------------

bool encryption_at_rest(workbench& bench) {
  for (const auto& r : bench.resources()) {
    auto& text = bench.content(r.file);
    auto body = outline_block(text, r.block);
    std::string attribute;
    if (r.type == "aws_db_instance" || r.type == "aws_rds_cluster") attribute = "storage_encrypted";
    if (r.type == "aws_ebs_volume") attribute = "encrypted";
    if (!attribute.empty()) {
      auto* a = body.attribute(attribute);
      if (a && value_text(text, *a) != "false") continue;  // true, or decided by a variable
      if (!bench.req.encryption) {
        bench.cannot_fix(bench.file_name(r.file) + ": " + r.address +
                         " stores data unencrypted because requirements.encryption is false");
        continue;
      }
      text = set_attribute(text, r.block, attribute, "true");
      bench.fixed("encryption_at_rest", r, "set " + attribute + " = true");
      return true;
    }
    if (r.type == "aws_instance") {
      auto* disk = body.block("root_block_device");
      if (disk) {
        auto disk_body = outline_block(text, *disk);
        auto* encrypted = disk_body.attribute("encrypted");
        if (encrypted && value_text(text, *encrypted) != "false") continue;
      }
      if (!bench.req.encryption) {
        bench.cannot_fix(bench.file_name(r.file) + ": " + r.address +
                         " has an unencrypted root volume because requirements.encryption is "
                         "false");
        continue;
      }
      if (disk)
        text = set_attribute(text, *disk, "encrypted", "true");
      else
        text = insert_before_close(text, r.block.open_brace, r.block.close_brace,
                                   "\nroot_block_device {\n  encrypted = true\n}");
      bench.fixed("encryption_at_rest", r, "encrypted the root volume (root_block_device)");
      return true;
    }
    if (r.type == "aws_s3_bucket" &&
        !bench.has_companion("aws_s3_bucket_server_side_encryption_configuration", "bucket",
                             r.address)) {
      if (!bench.req.encryption) {
        bench.cannot_fix(bench.file_name(r.file) + ": " + r.address +
                         " has no server-side encryption configuration because "
                         "requirements.encryption is false");
        continue;
      }
      auto name = bench.unused_name("aws_s3_bucket_server_side_encryption_configuration", r.name);
      text = append_block(
          text, "resource \"aws_s3_bucket_server_side_encryption_configuration\" \"" + name +
                    "\" {\n  bucket = " + r.address +
                    ".id\n\n  rule {\n    apply_server_side_encryption_by_default {\n"
                    "      sse_algorithm = \"aws:kms\"\n    }\n    bucket_key_enabled = true\n"
                    "  }\n}\n");
      bench.fixed(
          "encryption_at_rest", r,
          "added aws_s3_bucket_server_side_encryption_configuration." + name + " (SSE-KMS)");
      return true;
    }
  }
  return false;
}

// ---- no public access ----------------------------------------------------------

bool no_public_access(workbench& bench) {
  const bool allowed = bench.req.public_access;
  for (const auto& r : bench.resources()) {
    auto& text = bench.content(r.file);
    auto body = outline_block(text, r.block);
    auto refuse = [&](const std::string& what) {
      bench.cannot_fix(bench.file_name(r.file) + ": " + r.address + " " + what +
                       " because requirements.public_access is true");
    };
    if (r.type == "aws_s3_bucket" &&
        !bench.has_companion("aws_s3_bucket_public_access_block", "bucket", r.address)) {
      if (allowed) {
        refuse("has no public access block");
        continue;
      }
      auto name = bench.unused_name("aws_s3_bucket_public_access_block", r.name);
      text = append_block(text, "resource \"aws_s3_bucket_public_access_block\" \"" + name +
                                    "\" {\n  bucket = " + r.address +
                                    ".id\n\n  block_public_acls       = true\n"
                                    "  block_public_policy     = true\n"
                                    "  ignore_public_acls      = true\n"
                                    "  restrict_public_buckets = true\n}\n");
      bench.fixed("no_public_access", r,
                  "added aws_s3_bucket_public_access_block." + name + " blocking public access");
      return true;
    }
    struct setting {
      const char* type;
      const char* attribute;
      const char* value;
    };
    static const setting settings[] = {
        {"aws_db_instance", "publicly_accessible", "false"},
        {"google_storage_bucket", "public_access_prevention", "\"enforced\""},
        {"google_storage_bucket", "uniform_bucket_level_access", "true"},
        {"azurerm_storage_account", "allow_nested_items_to_be_public", "false"},
    };
    for (const auto& s : settings) {
      if (r.type != s.type || !differs(text, body, s.attribute, s.value)) continue;
      if (allowed) {
        refuse(std::string("keeps ") + s.attribute + " open");
        continue;
      }
      text = set_attribute(text, r.block, s.attribute, s.value);
      bench.fixed("no_public_access", r, std::string("set ") + s.attribute + " = " + s.value);
      return true;
    }
  }
  return false;
}

// ---- backups -------------------------------------------------------------------

bool backups(workbench& bench) {
  if (!is_production(bench.context.environment)) return false;
  const std::string days = std::to_string(min_production_backup_days);
  for (const auto& r : bench.resources()) {
    auto& text = bench.content(r.file);
    auto body = outline_block(text, r.block);
    std::string attribute;
    if (r.type == "aws_db_instance" || r.type == "aws_rds_cluster")
      attribute = "backup_retention_period";
    if (r.type == "azurerm_postgresql_flexible_server") attribute = "backup_retention_days";
    if (!attribute.empty()) {
      auto* a = body.attribute(attribute);
      if (a) {
        auto current = literal_int(value_text(text, *a));
        if (!current || *current >= min_production_backup_days) continue;
      }
      text = set_attribute(text, r.block, attribute, days);
      bench.fixed("backups", r, "kept backups " + days + " days (" + attribute + ")");
      return true;
    }
    if (r.type != "google_sql_database_instance") continue;
    auto* settings = body.block("settings");
    if (!settings) continue;
    auto settings_body = outline_block(text, *settings);
    auto* backup = settings_body.block("backup_configuration");
    if (!backup) {
      text = insert_before_close(text, settings->open_brace, settings->close_brace,
                                 "\nbackup_configuration {\n  enabled = true\n\n"
                                 "  backup_retention_settings {\n    retained_backups = " +
                                     days + "\n  }\n}");
      bench.fixed("backups", r, "enabled backups kept " + days + " days");
      return true;
    }
    auto backup_body = outline_block(text, *backup);
    if (differs(text, backup_body, "enabled", "true")) {
      text = set_attribute(text, *backup, "enabled", "true");
      bench.fixed("backups", r, "enabled backups (backup_configuration.enabled = true)");
      return true;
    }
    auto* retention = backup_body.block("backup_retention_settings");
    if (!retention) {
      text = insert_before_close(
          text, backup->open_brace, backup->close_brace,
          "\nbackup_retention_settings {\n  retained_backups = " + days + "\n}");
      bench.fixed("backups", r, "kept " + days + " backups (backup_retention_settings)");
      return true;
    }
    auto retention_body = outline_block(text, *retention);
    auto* kept = retention_body.attribute("retained_backups");
    auto count = kept ? literal_int(value_text(text, *kept)) : std::optional<long>{};
    if (kept && (!count || *count >= min_production_backup_days)) continue;
    text = set_attribute(text, *retention, "retained_backups", days);
    bench.fixed("backups", r, "kept " + days + " backups (retained_backups)");
    return true;
  }
  return false;
}

// ---- logging -------------------------------------------------------------------

/// Lower-case letters, digits and single hyphens: safe in every provider's resource names.
std::string name_part(const std::string& text) {
  std::string out;
  for (char c : text) {
    auto lower = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    if (std::isalnum(static_cast<unsigned char>(lower)))
      out += lower;
    else if (!out.empty() && out.back() != '-')
      out += '-';
  }
  while (!out.empty() && out.back() == '-') out.pop_back();
  return out;
}

/// An HCL string naming a cloud resource: before + <prefix>-suffix + after, where the prefix
/// is the module's local.name_prefix when it has one (the templates' naming), else
/// project-environment.
std::string cloud_name(const workbench& bench, const std::string& suffix,
                       const std::string& before = "") {
  for (const auto& [file, text] : bench.files)
    for (const auto& block : outline_file(text).blocks)
      if (block.type == "locals" && outline_block(text, block).attribute("name_prefix"))
        return "\"" + before + "${local.name_prefix}-" + name_part(suffix) + "\"";
  return hcl_quote(before +
                   name_part(bench.req.project + "-" + bench.context.environment + "-" + suffix));
}

void add_vpc_flow_logs(workbench& bench, const located_resource& vpc) {
  auto& text = bench.content(vpc.file);
  const std::string base = vpc.name + "_flow_logs";
  auto group = bench.unused_name("aws_cloudwatch_log_group", base);
  auto role = bench.unused_name("aws_iam_role", base);
  auto policy = bench.unused_name("aws_iam_role_policy", base);
  auto flow = bench.unused_name("aws_flow_log", vpc.name);
  const int retention_days = is_production(bench.context.environment) ? 90 : 30;
  text = append_block(
      text, "resource \"aws_cloudwatch_log_group\" \"" + group + "\" {\n  name              = " +
                cloud_name(bench, vpc.name + "-flow-logs", "/aws/vpc/") +
                "\n  retention_in_days = " + std::to_string(retention_days) + "\n}\n");
  text = append_block(text,
                      "resource \"aws_iam_role\" \"" + role +
                          "\" {\n  name = " + cloud_name(bench, vpc.name + "-flow-logs") +
                          "\n\n  assume_role_policy = jsonencode({\n    Version = \"2012-10-17\"\n"
                          "    Statement = [{\n      Effect    = \"Allow\"\n"
                          "      Principal = { Service = \"vpc-flow-logs.amazonaws.com\" }\n"
                          "      Action    = \"sts:AssumeRole\"\n    }]\n  })\n}\n");
  text = append_block(text, "resource \"aws_iam_role_policy\" \"" + policy +
                                "\" {\n  name = \"flow-logs\"\n  role = aws_iam_role." + role +
                                ".id\n\n  policy = jsonencode({\n    Version = \"2012-10-17\"\n"
                                "    Statement = [{\n      Effect = \"Allow\"\n"
                                "      Action = [\"logs:CreateLogStream\", \"logs:PutLogEvents\", "
                                "\"logs:DescribeLogGroups\", \"logs:DescribeLogStreams\"]\n"
                                "      Resource = \"${aws_cloudwatch_log_group." +
                                group + ".arn}:*\"\n    }]\n  })\n}\n");
  text = append_block(
      text, "resource \"aws_flow_log\" \"" + flow + "\" {\n  vpc_id          = " + vpc.address +
                ".id\n  traffic_type    = \"ALL\"\n  iam_role_arn    = aws_iam_role." + role +
                ".arn\n  log_destination = aws_cloudwatch_log_group." + group + ".arn\n}\n");
  bench.fixed(
      "logging", vpc,
      "added VPC flow logs (aws_flow_log." + flow + " to aws_cloudwatch_log_group." + group + ")");
}

/// Azure resources whose logs go to a Log Analytics workspace through a diagnostic setting.
bool azure_diagnosable(const std::string& type) {
  return type == "azurerm_kubernetes_cluster" || type == "azurerm_postgresql_flexible_server" ||
         type == "azurerm_key_vault";
}

void add_azure_diagnostics(workbench& bench, const located_resource& r) {
  auto& text = bench.content(r.file);
  auto body = outline_block(text, r.block);
  std::string workspace;
  for (const auto& other : bench.resources())
    if (other.type == "azurerm_log_analytics_workspace") workspace = other.address;
  if (workspace.empty()) {
    auto* location = body.attribute("location");
    auto* group = body.attribute("resource_group_name");
    auto name = bench.unused_name("azurerm_log_analytics_workspace", "diagnostics");
    text = append_block(
        text, "resource \"azurerm_log_analytics_workspace\" \"" + name +
                  "\" {\n  name = " + cloud_name(bench, "logs") + "\n  location            = " +
                  (location ? value_text(text, *location) : hcl_quote(bench.context.region)) +
                  "\n  resource_group_name = " +
                  (group ? value_text(text, *group) : cloud_name(bench, "rg")) +
                  "\n  sku                 = \"PerGB2018\"\n  retention_in_days   = " +
                  std::to_string(is_production(bench.context.environment) ? 90 : 30) + "\n}\n");
    workspace = "azurerm_log_analytics_workspace." + name;
  }
  auto name =
      bench.unused_name("azurerm_monitor_diagnostic_setting", r.name + "_" + r.type.substr(8));
  text = append_block(
      text, "resource \"azurerm_monitor_diagnostic_setting\" \"" + name +
                "\" {\n  name                       = " + cloud_name(bench, name + "-diagnostics") +
                "\n  target_resource_id         = " + r.address +
                ".id\n  log_analytics_workspace_id = " + workspace +
                ".id\n\n  enabled_log {\n    category_group = \"allLogs\"\n  }\n\n"
                "  metric {\n    category = \"AllMetrics\"\n  }\n}\n");
  bench.fixed("logging", r,
              "added azurerm_monitor_diagnostic_setting." + name + " sending logs to " + workspace);
}

bool logging(workbench& bench) {
  if (!bench.req.enable_logging) return false;
  for (const auto& r : bench.resources()) {
    auto& text = bench.content(r.file);
    auto body = outline_block(text, r.block);
    if (r.type == "aws_vpc" && !bench.has_companion("aws_flow_log", "vpc_id", r.address)) {
      add_vpc_flow_logs(bench, r);
      return true;
    }
    if (r.type == "aws_eks_cluster" && !body.attribute("enabled_cluster_log_types")) {
      text = set_attribute(
          text, r.block, "enabled_cluster_log_types",
          "[\"api\", \"audit\", \"authenticator\", \"controllerManager\", \"scheduler\"]");
      bench.fixed("logging", r, "enabled EKS control plane logs (enabled_cluster_log_types)");
      return true;
    }
    if (r.type == "google_container_cluster" && !body.block("logging_config")) {
      auto* service = body.attribute("logging_service");
      if (service && value_text(text, *service) != "\"none\"") continue;
      if (service)
        text = set_attribute(text, r.block, "logging_service",
                             "\"logging.googleapis.com/kubernetes\"");
      else
        text = insert_before_close(
            text, r.block.open_brace, r.block.close_brace,
            "\nlogging_config {\n  enable_components = [\"SYSTEM_COMPONENTS\", \"WORKLOADS\"]\n}");
      bench.fixed("logging", r, "enabled GKE system and workload logging");
      return true;
    }
    if (r.type == "google_compute_subnetwork" && !body.block("log_config")) {
      text = insert_before_close(text, r.block.open_brace, r.block.close_brace,
                                 "\nlog_config {\n  aggregation_interval = \"INTERVAL_5_SEC\"\n"
                                 "  flow_sampling        = 0.5\n"
                                 "  metadata             = \"INCLUDE_ALL_METADATA\"\n}");
      bench.fixed("logging", r, "enabled VPC flow logs on the subnetwork (log_config)");
      return true;
    }
    if (azure_diagnosable(r.type) && !bench.has_companion("azurerm_monitor_diagnostic_setting",
                                                          "target_resource_id", r.address)) {
      add_azure_diagnostics(bench, r);
      return true;
    }
  }
  return false;
}

// ---- required tags -------------------------------------------------------------

/// Where a resource type keeps its tags: an attribute, possibly in a nested block.
struct tag_place {
  std::string nested_block;  // empty: the resource body itself
  std::string attribute;
  bool gcp_labels = false;  // lower-case keys and values
};

std::optional<tag_place> tag_place_of(const std::string& type, const hcl_body_outline& body) {
  static const std::set<std::string> aws_taggable = {"aws_vpc",
                                                     "aws_subnet",
                                                     "aws_internet_gateway",
                                                     "aws_nat_gateway",
                                                     "aws_eip",
                                                     "aws_route_table",
                                                     "aws_security_group",
                                                     "aws_network_acl",
                                                     "aws_vpc_endpoint",
                                                     "aws_instance",
                                                     "aws_ebs_volume",
                                                     "aws_launch_template",
                                                     "aws_eks_cluster",
                                                     "aws_eks_node_group",
                                                     "aws_db_instance",
                                                     "aws_db_subnet_group",
                                                     "aws_db_parameter_group",
                                                     "aws_rds_cluster",
                                                     "aws_s3_bucket",
                                                     "aws_iam_role",
                                                     "aws_iam_policy",
                                                     "aws_iam_instance_profile",
                                                     "aws_kms_key",
                                                     "aws_cloudwatch_log_group",
                                                     "aws_cloudwatch_metric_alarm",
                                                     "aws_flow_log",
                                                     "aws_sns_topic",
                                                     "aws_lb",
                                                     "aws_secretsmanager_secret"};
  static const std::set<std::string> azure_taggable = {"azurerm_resource_group",
                                                       "azurerm_virtual_network",
                                                       "azurerm_network_security_group",
                                                       "azurerm_public_ip",
                                                       "azurerm_nat_gateway",
                                                       "azurerm_route_table",
                                                       "azurerm_kubernetes_cluster",
                                                       "azurerm_kubernetes_cluster_node_pool",
                                                       "azurerm_storage_account",
                                                       "azurerm_postgresql_flexible_server",
                                                       "azurerm_key_vault",
                                                       "azurerm_key_vault_key",
                                                       "azurerm_log_analytics_workspace",
                                                       "azurerm_private_dns_zone",
                                                       "azurerm_user_assigned_identity"};
  static const std::set<std::string> gcp_labelled = {
      "google_storage_bucket", "google_compute_instance", "google_compute_disk",
      "google_kms_crypto_key"};
  if (type.rfind("aws_", 0) == 0 || type.rfind("azurerm_", 0) == 0) {
    if (body.attribute("tags") || aws_taggable.count(type) || azure_taggable.count(type))
      return tag_place{"", "tags", false};
    return std::nullopt;
  }
  if (type == "google_container_cluster") return tag_place{"", "resource_labels", true};
  if (type == "google_sql_database_instance") return tag_place{"settings", "user_labels", true};
  if (type.rfind("google_", 0) == 0 && (body.attribute("labels") || gcp_labelled.count(type)))
    return tag_place{"", "labels", true};
  return std::nullopt;
}

/// A GCP label value: lower-case letters, digits, '-' and '_', at most 63 characters.
std::string gcp_label_value(const std::string& value) {
  std::string out;
  for (char c : value) {
    auto lower = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    out += (std::isalnum(static_cast<unsigned char>(lower)) || lower == '-' || lower == '_') ? lower
                                                                                             : '-';
  }
  return out.substr(0, 63);
}

/// A local value of the module and where it is defined.
struct local_value {
  size_t file = 0;
  hcl_attribute_span span;
  std::string expression;
};
using local_values = std::map<std::string, local_value>;

local_values module_locals(const workbench& bench) {
  local_values locals;
  for (size_t f = 0; f < bench.files.size(); ++f) {
    const auto& text = bench.files[f].second;
    for (const auto& block : outline_file(text).blocks)
      if (block.type == "locals")
        for (const auto& a : outline_block(text, block).attributes)
          locals[a.name] = {f, a, value_text(text, a)};
  }
  return locals;
}

/// The local a `local.<name>` expression names, nullptr for any other expression.
const local_value* named_local(const std::string& expression, const local_values& locals) {
  const std::string prefix = "local.";
  if (expression.rfind(prefix, 0) != 0) return nullptr;
  auto found = locals.find(expression.substr(prefix.size()));
  return found == locals.end() ? nullptr : &found->second;
}

/// The keys a map expression is known to provide: object literals, merge() of them, and
/// local values resolved through the module's locals blocks.
void collect_keys(const std::string& expression, const local_values& locals, int depth,
                  std::set<std::string>& keys) {
  if (depth > 8) return;
  if (auto literal = object_keys(expression)) {
    for (auto key : *literal) {
      if (key.size() >= 2 && key.front() == '(' && key.back() == ')')
        key = key.substr(1, key.size() - 2);
      keys.insert(key);
    }
    return;
  }
  if (auto args = call_arguments(expression, "merge")) {
    for (const auto& arg : *args) collect_keys(arg, locals, depth + 1, keys);
    return;
  }
  if (auto* local = named_local(expression, locals))
    collect_keys(local->expression, locals, depth + 1, keys);
}

using key_values = std::vector<std::pair<std::string, std::string>>;

std::string key_lines(const key_values& pairs, const std::string& indent = "") {
  std::string lines;
  for (const auto& [key, value] : pairs) lines += indent + key + " = " + hcl_quote(value) + "\n";
  return lines;
}

/// The braces of the object literal a map expression ends with: the literal itself or the
/// last argument of merge(); offsets relative to the expression.
std::optional<std::pair<size_t, size_t>> trailing_object(const std::string& expression) {
  if (object_keys(expression)) return std::make_pair(size_t{0}, expression.size() - 1);
  auto args = call_arguments(expression, "merge");
  if (!args || args->empty() || !object_keys(args->back())) return std::nullopt;
  auto open = expression.rfind(args->back());
  return std::make_pair(open, open + args->back().size() - 1);
}

/// Adds keys to the map attribute `attribute` of file `file`: into its object literal (or
/// merge()'s last one), into the definition of the local it names (so that every user of
/// the local gets them), or by wrapping it in merge(). Returns where the keys went.
std::string add_keys(workbench& bench, size_t file, const hcl_attribute_span& attribute,
                     const key_values& missing, const local_values& locals) {
  auto& text = bench.content(file);
  auto expression = value_text(text, attribute);
  if (auto object = trailing_object(expression)) {
    text = insert_before_close(text, attribute.value_begin + object->first,
                               attribute.value_begin + object->second, key_lines(missing));
    return attribute.name;
  }
  if (auto* local = named_local(expression, locals))
    if (auto object = trailing_object(local->expression)) {
      auto& defining = bench.content(local->file);
      defining = insert_before_close(defining, local->span.value_begin + object->first,
                                     local->span.value_begin + object->second, key_lines(missing));
      return "local." + local->span.name + " (" + bench.file_name(local->file) + ")";
    }
  auto indent = indentation_at(text, attribute.begin);
  text = replace_value(
      text, attribute,
      "merge(" + expression + ", {\n" + key_lines(missing, indent + "  ") + indent + "})");
  return attribute.name;
}

std::string joined_keys(const key_values& pairs) {
  std::string names;
  for (const auto& [key, value] : pairs) names += (names.empty() ? "" : ", ") + key;
  return names;
}

key_values required_keys(const workbench& bench, bool gcp_labels) {
  if (gcp_labels)
    return {{"environment", gcp_label_value(bench.context.environment)},
            {"managed_by", "core-engine"},
            {"project", gcp_label_value(bench.req.project)}};
  return {{"Environment", bench.context.environment},
          {"ManagedBy", "core-engine"},
          {"Project", bench.req.project}};
}

key_values missing_keys(const key_values& required, const std::set<std::string>& present) {
  key_values missing;
  for (const auto& pair : required)
    if (!present.count(pair.first)) missing.push_back(pair);
  return missing;
}

/// The provider-wide defaults of a provider's tags: aws `default_tags { tags = ... }`,
/// google `default_labels = ...`.
struct provider_defaults {
  size_t file = 0;
  hcl_attribute_span attribute;
};

std::optional<provider_defaults> find_provider_defaults(const workbench& bench,
                                                        const std::string& provider) {
  for (size_t f = 0; f < bench.files.size(); ++f) {
    const auto& text = bench.files[f].second;
    for (const auto& block : outline_file(text).blocks) {
      if (block.type != "provider" || block.labels.size() != 1 || block.labels[0] != provider)
        continue;
      auto body = outline_block(text, block);
      if (provider == "google")
        if (auto* labels = body.attribute("default_labels")) return provider_defaults{f, *labels};
      if (auto* defaults = body.block("default_tags")) {
        auto defaults_body = outline_block(text, *defaults);
        if (auto* tags = defaults_body.attribute("tags")) return provider_defaults{f, *tags};
      }
    }
  }
  return std::nullopt;
}

/// The provider whose defaults apply to a resource type ("" if none applies).
std::string provider_of(const std::string& type) {
  if (type.rfind("aws_", 0) == 0) return "aws";
  if (type.rfind("google_", 0) == 0) return "google";
  return {};
}

/// Keys every resource of the provider gets from the provider's defaults.
std::set<std::string> default_keys(const workbench& bench, const std::string& provider,
                                   const local_values& locals) {
  std::set<std::string> keys;
  if (auto defaults = find_provider_defaults(bench, provider))
    collect_keys(value_text(bench.files[defaults->file].second, defaults->attribute), locals, 0,
                 keys);
  return keys;
}

/// Completes the provider-wide default tags/labels, which every resource of the provider
/// carries: one change instead of one per resource.
bool provider_default_tags(workbench& bench) {
  auto locals = module_locals(bench);
  for (const char* provider : {"aws", "google"}) {
    auto defaults = find_provider_defaults(bench, provider);
    if (!defaults) continue;
    auto missing = missing_keys(required_keys(bench, std::string(provider) == "google"),
                                default_keys(bench, provider, locals));
    if (missing.empty()) continue;
    auto where = add_keys(bench, defaults->file, defaults->attribute, missing, locals);
    bench.fixes.push_back({"required_tags", bench.file_name(defaults->file),
                           std::string("provider.") + provider,
                           "added " + joined_keys(missing) + " to the provider's default " +
                               (std::string(provider) == "google" ? "labels" : "tags") + " via " +
                               where + ", which every " + provider + " resource carries"});
    return true;
  }
  return false;
}

bool required_tags(workbench& bench) {
  auto locals = module_locals(bench);
  std::map<std::string, std::set<std::string>> defaults;
  for (const char* provider : {"aws", "google"})
    defaults[provider] = default_keys(bench, provider, locals);
  for (const auto& r : bench.resources()) {
    auto& text = bench.content(r.file);
    auto body = outline_block(text, r.block);
    auto place = tag_place_of(r.type, body);
    if (!place) continue;
    hcl_block_span target = r.block;
    if (!place->nested_block.empty()) {
      auto* nested = body.block(place->nested_block);
      if (!nested) continue;
      target = *nested;
    }
    auto target_body = outline_block(text, target);
    const auto* attribute = target_body.attribute(place->attribute);

    auto present = defaults[provider_of(r.type)];
    if (attribute) collect_keys(value_text(text, *attribute), locals, 0, present);
    auto missing = missing_keys(required_keys(bench, place->gcp_labels), present);
    if (missing.empty()) continue;
    if (!attribute) {
      text = insert_before_close(text, target.open_brace, target.close_brace,
                                 place->attribute + " = {\n" + key_lines(missing, "  ") + "}");
      bench.fixed("required_tags", r, "added " + place->attribute + " " + joined_keys(missing));
      return true;
    }
    auto where = add_keys(bench, r.file, *attribute, missing, locals);
    bench.fixed("required_tags", r, "added " + joined_keys(missing) + " to " + where);
    return true;
  }
  return false;
}

}  // namespace

best_practice_outcome apply_best_practices(const file_list& files, const task_context& context,
                                           const requirements& req) {
  workbench bench{files, context, req, {}, {}};
  // Tags last, so that the resources the other rules add are tagged too.
  for (auto rule : {encryption_at_rest, no_public_access, backups, logging, provider_default_tags,
                    required_tags})
    run_rule(bench, rule);

  best_practice_outcome outcome;
  outcome.unresolved = std::move(bench.unresolved);
  std::set<std::string> reverted;
  for (size_t i = 0; i < files.size(); ++i) {
    const auto& [name, content] = bench.files[i];
    if (content == files[i].second) continue;
    auto report = check_hcl(content);
    if (!report.ok) {  // never hand on a file the rules broke
      reverted.insert(name);
      outcome.unresolved.push_back(
          name + ": best practices were not applied because the edited file did not parse (" +
          (report.errors.empty() ? std::string("unknown error") : report.errors.front().message) +
          ")");
      continue;
    }
    outcome.changed_files.push_back(rendered_file{name, artifact_type::terraform, content});
  }
  for (auto& fix : bench.fixes)
    if (!reverted.count(fix.file)) outcome.fixes.push_back(std::move(fix));
  return outcome;
}

}  // namespace ce::executor
