#include "actors/executor/hcl_edit.hpp"

#include <catch2/catch.hpp>

#include "actors/executor/hcl_check.hpp"

using namespace ce::executor;

TEST_CASE("the outline skips braces inside strings, templates, heredocs and comments",
          "[hcl_edit]") {
  const std::string source = R"(# a } in a comment
resource "aws_iam_policy" "p" {
  name   = "x-${var.env}-}"
  policy = <<-EOF
    { "Statement": [ }
  EOF
  /* } */
  tags = { Name = "n" }
}

resource "aws_vpc" "main" {}
)";
  auto outline = outline_file(source);
  REQUIRE(outline.blocks.size() == 2);
  CHECK(resource_address(outline.blocks[0]) == "aws_iam_policy.p");
  CHECK(resource_address(outline.blocks[1]) == "aws_vpc.main");
  auto body = outline_block(source, outline.blocks[0]);
  REQUIRE(body.attribute("tags"));
  auto* tags = body.attribute("tags");
  CHECK(source.substr(tags->value_begin, tags->value_end - tags->value_begin) ==
        "{ Name = \"n\" }");
  CHECK(object_keys("{ Name = \"n\", \"Owner\" = 1 }") ==
        std::vector<std::string>{"Name", "Owner"});
  CHECK_FALSE(object_keys("merge(local.tags, {})"));
  CHECK(call_arguments("merge(local.tags, { A = f(1, 2) })", "merge") ==
        std::vector<std::string>{"local.tags", "{ A = f(1, 2) }"});
}

TEST_CASE("inserting into a one-line block opens it onto several valid lines", "[hcl_edit]") {
  const std::string source = "resource \"aws_vpc\" \"main\" { cidr_block = \"10.0.0.0/16\" }\n";
  auto outline = outline_file(source);
  const auto& block = outline.blocks.at(0);
  auto edited = insert_before_close(source, block.open_brace, block.close_brace, "tags = {}");
  CHECK(edited ==
        "resource \"aws_vpc\" \"main\" {\n  cidr_block = \"10.0.0.0/16\"\n  tags = {}\n}\n");
  CHECK(check_hcl(edited).ok);
}

TEST_CASE("a reference matches whole traversals only", "[hcl_edit]") {
  CHECK(references("aws_s3_bucket.data.id", "aws_s3_bucket.data"));
  CHECK_FALSE(references("aws_s3_bucket.data2.id", "aws_s3_bucket.data"));
  CHECK_FALSE(references("xaws_s3_bucket.data.id", "aws_s3_bucket.data"));
}
