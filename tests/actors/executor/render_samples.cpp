// Writes Terraform samples for the cross-check against HashiCorp's HCL parser
// (tests/hcl/cross_check.sh): every template of every provider rendered over a
// spread of requirements, hand-written valid files exercising the syntax the
// checker must accept, and deliberately broken files. manifest.txt holds one
// line per file: "<file> <rendered|valid|broken> <OK|ERR> [line: message]",
// the last fields being check_hcl's verdict.
//
// Usage: render_samples <output directory>
// Exits 1 if a rendered module fails check_module (the reasons go to stderr).

#include <fstream>
#include <iostream>
#include <string>
#include <utility>
#include <vector>

#include <boost/json.hpp>

#include "actors/executor/hcl_check.hpp"
#include "actors/executor/templates.hpp"

namespace {

using namespace ce;
using namespace ce::executor;

struct sample_case {
  std::string name;
  std::string environment;
  std::string region;
  boost::json::object requirements;
};

std::vector<sample_case> cases() {
  boost::json::object tricky_tags{
      {"Owner", "Ops \"Team\" \\ backslash"},
      {"Template", "${var.secret} and %{ if true }x%{ endif }"},
      {"Multi-line", "first\nsecond\ttabbed"},
      {"cost-center", "42"},
      {"Name", "explicit-name"},
  };
  return {
      {"defaults", "development", "", {}},
      {"production-tricky-tags", "production", "", {{"tags", tricky_tags}}},
      {"custom-network",
       "staging",
       "",
       {{"vpc_cidr", "172.20.0.0/20"},
        {"availability_zones", 3},
        {"multi_az", true},
        {"kubernetes_version", "1.28"},
        {"node_count", 5},
        {"storage_gb", 100}}},
      {"no-encryption-public",
       "development",
       "",
       {{"encryption", false},
        {"enable_logging", false},
        {"public_access", true},
        {"backup_retention_days", 0}}},
      {"odd-project",
       "prod",
       "",
       {{"project", "My \"Odd\" Project \\ ${x} %{y} 123"},
        {"db_engine", "mysql"},
        {"db_engine_version", "8.0"},
        {"instance_count", 3},
        {"node_instance_type", "m5.large"}}},
      {"explicit-region", "qa", "", {{"vpc_cidr", "10.128.0.1/16"}, {"backup_retention_days", 35}}},
  };
}

std::string region_for(cloud_provider provider, const std::string& wanted) {
  if (!wanted.empty()) return wanted;
  switch (provider) {
    case cloud_provider::gcp:
      return "europe-west1";
    case cloud_provider::azure:
      return "westeurope";
    case cloud_provider::aws:
      break;
  }
  return "eu-west-1";
}

/// Values written to escape quoting: line breaks ending a comment, quotes and
/// braces ending a string or block, template sequences, heredoc markers.
const std::vector<std::string> hostile_values = {
    "15\nresource \"aws_iam_user\" \"pwn\" {\n  name = \"backdoor\"\n}\n#",
    "x\"\n}\nresource \"null_resource\" \"q\" {\n  x = \"",
    "${file(\"/etc/passwd\")}",
    "%{ for x in [1] }x%{ endfor }",
    "*/ resource \"a\" \"b\" {} /*",
    "# ; // \\ \\\"",
    "EOT\nresource \"aws_iam_user\" \"h\" {}\nEOT",
    "\r\nresource \"r\" \"cr\" {}\r\n#",
    std::string("nul\0byte\x01\x7f", 10),  // ten bytes, the NUL included
};

/// Files that are valid HCL although they look unusual.
const std::vector<std::pair<std::string, std::string>> valid_samples = {
    {"valid__expressions.tf",
     "# every kind of comment\n"
     "// line comment\n"
     "/* block\n   comment */\n"
     "locals {\n"
     "  a = [for s in var.list : upper(s) if s != \"\"]\n"
     "  b = { for k, v in var.map : k => v... }\n"
     "  c = var.enabled ? aws_vpc.main[*].id : []\n"
     "  d = -1 + 2 * 3 % 4 / 5 - (6 - 7)\n"
     "  e = !true || false && 1 >= 2 == (3 < 4)\n"
     "  f = aws_subnet.private.0.id\n"
     "  g = aws_instance.app.*.id\n"
     "  h = concat(local.a, [\"x\"], [\"y\",\n    \"z\",\n  ]...)\n"
     "  i = {\n    a = 1, b = 2\n    \"quoted key\" = 3\n    (local.key) = 4\n  }\n"
     "  j = 1.5e3\n"
     "  k = null\n"
     "}\n"},
    {"valid__templates.tf",
     "locals {\n"
     "  greeting = \"Hello, ${var.name}! 100%% sure, $${literal} %%{literal} \\u00e9 "
     "\\U0001F600\"\n"
     "  listed   = \"%{ for x in var.list ~}${x}, %{ endfor ~}\"\n"
     "  chosen   = \"%{ if var.enabled }on%{ else }off%{ endif }\"\n"
     "  nested   = \"${ { a = \"}\" }[\"a\"] }\"\n"
     "  script   = <<-EOT\n"
     "    #!/bin/sh\n"
     "    echo \"${var.name}\" \\ not an escape\n"
     "    %{ if var.enabled }enabled%{ endif }\n"
     "      EOT is not the end here\n"
     "  EOT\n"
     "  plain = <<EOF\n"
     "{\"json\": true}\n"
     "EOF\n"
     "}\n"},
    {"valid__blocks.tf",
     "terraform {\n  required_providers {\n    aws = { source = \"hashicorp/aws\" }\n  }\n}\n"
     "resource \"aws_security_group\" \"web\" {\n"
     "  dynamic \"ingress\" {\n"
     "    for_each = var.ports\n"
     "    content {\n      from_port = ingress.value\n      to_port   = ingress.value\n    }\n"
     "  }\n"
     "  lifecycle { create_before_destroy = true }\n"
     "  timeouts {}\n"
     "}\n"
     "block_with_ident_label foo {\n}\n"},
};

/// Files that HCL must refuse, each with the line of its error.
const std::vector<std::pair<std::string, std::string>> broken_samples = {
    {"broken__unbalanced-braces.tf",
     "resource \"aws_vpc\" \"main\" {\n  cidr_block = \"10.0.0.0/16\"\n"},
    {"broken__extra-close-brace.tf", "locals {\n  a = 1\n}\n}\n"},
    {"broken__unterminated-string.tf", "locals {\n  name = \"abc\n}\n"},
    {"broken__missing-equals.tf",
     "resource \"aws_vpc\" \"main\" {\n  cidr_block \"10.0.0.0/16\"\n}\n"},
    {"broken__bad-heredoc.tf", "locals {\n  text = <<EOT\nno closing marker\n  EOTX\n}\n"},
    {"broken__heredoc-opener.tf", "locals {\n  text = <<EOT trailing\nx\nEOT\n}\n"},
    {"broken__stray-token.tf", "locals {\n  a = 1 2\n}\n"},
    {"broken__stray-character.tf", "locals {\n  a = 1\n  @b = 2\n}\n"},
    {"broken__invalid-escape.tf", "locals {\n  a = \"C:\\data\"\n}\n"},
    {"broken__list-missing-comma.tf", "locals {\n  a = [1 2]\n}\n"},
    {"broken__unclosed-interpolation.tf", "locals {\n  a = \"${var.x\"\n}\n"},
    {"broken__attribute-redefined.tf", "locals {\n  a = 1\n  a = 2\n}\n"},
    {"broken__object-missing-separator.tf", "locals {\n  a = { b = 1 c = 2 }\n}\n"},
    {"broken__two-arguments-one-line.tf", "locals {\n  a = 1 b = 2\n}\n"},
    {"broken__unclosed-call.tf", "locals {\n  a = max(1, 2\n  b = 3\n}\n"},
    {"broken__unterminated-directive.tf", "locals {\n  a = \"%{ if true }yes\"\n}\n"},
    {"broken__value-on-next-line.tf", "locals {\n  a =\n    1\n}\n"},
    {"broken__conditional-missing-colon.tf", "locals {\n  a = true ? 1 2\n}\n"},
    {"broken__for-missing-in.tf", "locals {\n  a = [for x of var.list : x]\n}\n"},
    {"broken__single-line-block-two-arguments.tf", "resource \"a\" \"b\" { x = 1, y = 2 }\n"},
    {"broken__block-label-interpolated.tf", "resource \"a\" \"${var.b}\" {\n}\n"},
    {"broken__unterminated-comment.tf", "locals {\n  a = 1\n}\n/* no end\n"},
    {"broken__brace-after-argument.tf", "locals {\n  a = 1 }\n"},
    {"broken__heredoc-marker-at-end-of-file.tf", "a = <<EOT\nx\nEOT"},
    {"broken__chained-legacy-index.tf", "a = x.1.2\n"},
};

bool write_file(const std::string& path, const std::string& content) {
  std::ofstream out(path, std::ios::binary);
  out << content;
  return static_cast<bool>(out);
}

std::string verdict(const std::string& content) {
  auto report = check_hcl(content);
  if (report.ok) return "OK";
  const auto& e = report.errors.front();
  return "ERR " + std::to_string(e.line) + ": " + e.message;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 2) {
    std::cerr << "usage: render_samples <output directory>\n";
    return 2;
  }
  const std::string dir = argv[1];
  std::ofstream manifest(dir + "/manifest.txt");
  if (!manifest) {
    std::cerr << "render_samples: cannot write " << dir << "/manifest.txt\n";
    return 2;
  }
  bool modules_ok = true;
  auto emit = [&](const std::string& name, const char* kind, const std::string& content) {
    if (!write_file(dir + "/" + name, content)) {
      std::cerr << "render_samples: cannot write " << name << "\n";
      std::exit(2);
    }
    manifest << name << " " << kind << " " << verdict(content) << "\n";
  };
  auto render_module = [&](const std::string& prefix, const task_context& context,
                           const requirements& req) {
    std::vector<std::pair<std::string, std::string>> module;
    std::vector<rendered_file> files;
    for (const auto& component : context.components)
      files.push_back(render_component(context.provider, component, context, req));
    files.push_back(render_root_module(context, req));
    files.push_back(render_outputs(context, req));
    for (const auto& f : files) {
      emit(prefix + "__" + f.name, "rendered", f.content);
      module.emplace_back(f.name, f.content);
    }
    auto report = check_module(module);
    for (const auto& error : report.errors) std::cerr << prefix << ": " << error << "\n";
    modules_ok = modules_ok && report.ok;
  };

  for (cloud_provider provider :
       {cloud_provider::aws, cloud_provider::gcp, cloud_provider::azure}) {
    const std::string provider_name(to_string(provider));
    for (const auto& c : cases()) {
      std::vector<field_error> errors;
      requirements req = parse_requirements({boost::json::serialize(c.requirements)}, &errors);
      for (const auto& e : errors)
        std::cerr << c.name << ": " << e.field << " " << e.message << "\n";
      task_context context;
      context.provider = provider;
      context.environment = c.environment;
      context.region = c.name == "explicit-region" ? region_for(provider, c.region) : c.region;
      context.components = template_components(provider);
      render_module(provider_name + "-" + c.name, context, req);
    }
    // Each component alone: what it references comes from variables.
    for (const auto& component : template_components(provider)) {
      task_context context;
      context.provider = provider;
      context.environment = "production";
      context.components = {component};
      render_module(provider_name + "-alone-" + component, context, requirements{});
    }
  }
  // Every string a request can set, hostile and benign: HashiCorp's parser must
  // see the same blocks in both (tests/hcl/hcl_structure.mjs). The values are set
  // on the typed requirements directly, past the create-time shape checks, so
  // this tests the writer's quoting on its own.
  for (cloud_provider provider :
       {cloud_provider::aws, cloud_provider::gcp, cloud_provider::azure}) {
    const std::string provider_name(to_string(provider));
    auto variant = [&](const std::string& name, const std::string& value) {
      requirements req;
      req.project = value;
      req.kubernetes_version = value;
      req.has_kubernetes_version = true;
      req.node_instance_type = value;
      req.instance_type = value;
      req.db_engine_version = value;
      req.has_db_engine_version = true;
      req.db_instance_class = value;
      req.tags = {{value, value}, {"Owner", value}};
      task_context context;
      context.provider = provider;
      context.environment = "production";
      context.region = value;
      context.components = template_components(provider);
      render_module(provider_name + "-" + name, context, req);
    };
    variant("benign", "plain");
    for (size_t i = 0; i < hostile_values.size(); ++i)
      variant("hostile" + std::to_string(i), hostile_values[i]);
  }
  for (const auto& [name, content] : valid_samples) emit(name, "valid", content);
  for (const auto& [name, content] : broken_samples) emit(name, "broken", content);
  return modules_ok ? 0 : 1;
}
