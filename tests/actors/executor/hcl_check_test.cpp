#include "actors/executor/hcl_check.hpp"

#include <string>
#include <vector>

#include <catch2/catch.hpp>

using namespace ce::executor;

namespace {

std::string first_error(const hcl_file_report& report) {
  return report.errors.empty() ? std::string() : report.errors.front().message;
}

}  // namespace

TEST_CASE("a valid file reports what it defines and what it references", "[hcl_check]") {
  auto report = check_hcl(R"(variable "region" {
  type    = string
  default = "us-east-1"
}

locals {
  name = "demo-${var.region}"
  tags = { Name = local.name }
}

data "aws_ami" "base" {
  most_recent = true
}

resource "aws_instance" "web" {
  count         = 2
  ami           = data.aws_ami.base.id
  subnet_id     = aws_subnet.private[count.index].id
  tags          = local.tags
}

module "network" {
  source = "./network"
}

output "ids" {
  value = [for i in aws_instance.web : i.id if i.id != module.network.skip]
}
)");
  INFO(first_error(report));
  REQUIRE(report.ok);
  CHECK(report.resources == std::vector<std::string>{"data.aws_ami.base", "aws_instance.web"});
  CHECK(report.variables == std::vector<std::string>{"region"});
  CHECK(report.locals == std::vector<std::string>{"name", "tags"});
  CHECK(report.modules == std::vector<std::string>{"network"});
  CHECK(report.outputs == std::vector<std::string>{"ids"});
  CHECK(report.references == std::vector<std::string>{"var.region", "local.name",
                                                      "data.aws_ami.base", "aws_subnet.private",
                                                      "local.tags", "aws_instance.web",
                                                      "module.network"});
}

TEST_CASE("the syntax terraform configurations use is accepted", "[hcl_check]") {
  const char* source = R"(# hash comment
// slash comment
/* block
   comment */
terraform {
  required_providers {
    aws = { source = "hashicorp/aws", version = "~> 5.0" }
  }
}
locals {
  a = [for s in var.list : upper(s) if s != ""]
  b = { for k, v in var.map : k => v... }
  c = var.enabled ? aws_vpc.main[*].id : []
  d = -1 + 2 * 3 % 4 / 5 - (6 - 7)
  e = !true || false && 1 >= 2 == (3 < 4)
  f = aws_subnet.private.0.id
  g = aws_instance.app.*.id
  h = concat(local.a, ["x"], ["y",
    "z",
  ]...)
  i = {
    a = 1, b = 2
    "quoted key" = 3
    (local.key) = 4
  }
  j = 1.5e3
  k = null
  l = "100%% sure: $${literal} %%{literal} \u00e9 ${var.x} %{ if var.y }y%{ else }n%{ endif }"
  m = "%{ for x in var.list ~}${x},%{ endfor ~}"
  n = <<-EOT
    echo "${var.name}" \ is not an escape in a heredoc
      EOT is only the end on a line of its own
  EOT
  o = <<EOF
{"json": true}
EOF
}
resource "aws_security_group" "web" {
  dynamic "ingress" {
    for_each = var.ports
    content {
      from_port = ingress.value
    }
  }
  lifecycle { create_before_destroy = true }
  timeouts {}
}
)";
  auto report = check_hcl(source);
  INFO(first_error(report));
  CHECK(report.ok);
}

TEST_CASE("each kind of syntax error is caught on the line where it is", "[hcl_check]") {
  struct broken {
    const char* what;
    const char* source;
    int line;
  };
  // Lines are those HashiCorp's parser reports for the same text, except the
  // heredoc, which is reported where it opens.
  const broken cases[] = {
      {"unclosed block", "resource \"a\" \"b\" {\n  x = 1\n", 1},
      {"extra closing brace", "locals {\n  a = 1\n}\n}\n", 4},
      {"unterminated string", "locals {\n  name = \"abc\n}\n", 2},
      {"missing equals", "locals {\n  a = 1\n  cidr \"10.0.0.0/16\"\n}\n", 3},
      {"heredoc without its marker", "locals {\n  text = <<EOT\nno end\n  EOTX\n}\n", 2},
      {"stray token", "locals {\n  a = 1\n  b = 2 3\n}\n", 3},
      {"stray character", "locals {\n  a = 1\n  @b = 2\n}\n", 3},
      {"invalid escape", "locals {\n  a = \"C:\\data\"\n}\n", 2},
      {"list without comma", "locals {\n  a = [1 2]\n}\n", 2},
      {"object without separator", "locals {\n  a = { b = 1 c = 2 }\n}\n", 2},
      {"unclosed call", "locals {\n  a = max(1, 2\n  b = 3\n}\n", 3},
      {"if directive without endif", "locals {\n  a = \"%{ if true }yes\"\n}\n", 2},
      {"value on the next line", "locals {\n  a =\n    1\n}\n", 2},
      {"conditional without colon", "locals {\n  a = true ? 1 2\n}\n", 2},
      {"for without in", "locals {\n  a = [for x of var.list : x]\n}\n", 2},
      {"two arguments in a one-line block", "resource \"a\" \"b\" { x = 1, y = 2 }\n", 1},
      {"interpolated block label", "resource \"a\" \"${var.b}\" {\n}\n", 1},
      {"unterminated comment", "locals {\n  a = 1\n}\n/* no end\n", 4},
      {"closing brace after an argument", "locals {\n  a = 1 }\n", 2},
      {"redefined argument", "locals {\n  a = 1\n  a = 2\n}\n", 3},
      {"heredoc marker without a newline after it", "a = <<EOT\nx\nEOT", 1},
      {"chained legacy index", "locals {\n  a = x.1.2\n}\n", 2},
  };
  for (const auto& c : cases) {
    INFO(c.what);
    auto report = check_hcl(c.source);
    REQUIRE_FALSE(report.ok);
    REQUIRE_FALSE(report.errors.empty());
    CHECK(report.errors.front().line == c.line);
    CHECK_FALSE(report.errors.front().message.empty());
  }
}

TEST_CASE("a redefined argument is reported and the rest of the file still checked",
          "[hcl_check]") {
  auto report = check_hcl("locals {\n  a = 1\n  a = 2\n  b = [\n}\n");
  REQUIRE(report.errors.size() == 2);
  CHECK(report.errors[0].line == 3);
  CHECK(report.errors[0].message.find("already set on line 2") != std::string::npos);
  CHECK(report.errors[1].line == 5);
}

TEST_CASE("built-in objects and iterator names are not references", "[hcl_check]") {
  auto report = check_hcl(R"(resource "aws_instance" "app" {
  count    = 2
  name     = "app-${count.index}"
  for_each = { for k, v in var.items : k => v.name }
  path     = "${path.module}/${terraform.workspace}/${each.key}/${each.value}"
  self_ref = self.id
  provider = aws.west
  dynamic "rule" {
    for_each = local.rules
    content {
      port = rule.value
    }
  }
  lifecycle {
    ignore_changes = [tags.Name]
  }
}
)");
  INFO(first_error(report));
  REQUIRE(report.ok);
  CHECK(report.references == std::vector<std::string>{"var.items", "local.rules"});
}

TEST_CASE("check_module reports a reference nothing in the module defines", "[hcl_check]") {
  auto report = check_module({
      {"vpc.tf", "resource \"aws_vpc\" \"main\" {\n  cidr_block = var.cidr\n}\n"},
      {"variables.tf", "variable \"cidr\" {}\n"},
      {"eks.tf",
       "resource \"aws_eks_cluster\" \"main\" {\n  subnet_ids = aws_subnet.private[*].id\n"
       "  vpc        = aws_vpc.main.id\n}\n"},
  });
  REQUIRE_FALSE(report.ok);
  REQUIRE(report.errors.size() == 1);
  CHECK(report.errors[0] ==
        "eks.tf references aws_subnet.private, which no file of the module defines.");
}

TEST_CASE("check_module reports a resource defined twice", "[hcl_check]") {
  auto across_files = check_module({
      {"a.tf", "resource \"aws_vpc\" \"main\" {}\n"},
      {"b.tf", "resource \"aws_vpc\" \"main\" {}\n"},
  });
  REQUIRE_FALSE(across_files.ok);
  CHECK(across_files.errors ==
        std::vector<std::string>{"Resource aws_vpc.main is defined in both a.tf and b.tf."});

  auto in_one_file =
      check_module({{"a.tf", "variable \"x\" {}\nvariable \"x\" {}\nlocals {\n  y = var.x\n}\n"}});
  CHECK(in_one_file.errors == std::vector<std::string>{"Variable x is defined twice in a.tf."});
}

TEST_CASE("check_module names the file and line of a syntax error", "[hcl_check]") {
  auto report =
      check_module({{"ok.tf", "locals {\n  a = 1\n}\n"}, {"bad.tf", "locals {\n  b = \n}\n"}});
  REQUIRE_FALSE(report.ok);
  REQUIRE(report.errors.size() == 1);
  CHECK(report.errors[0].rfind("bad.tf: line 2, column ", 0) == 0);
}

TEST_CASE("a module whose references all resolve passes check_module", "[hcl_check]") {
  auto report = check_module({
      {"main.tf", "variable \"region\" {}\nlocals {\n  prefix = \"x-${var.region}\"\n}\n"},
      {"vpc.tf", "resource \"aws_vpc\" \"main\" {\n  tags = { Name = local.prefix }\n}\n"},
      {"outputs.tf", "output \"vpc_id\" {\n  value = aws_vpc.main.id\n}\n"},
  });
  CHECK(report.ok);
  CHECK(report.errors.empty());
}
