// A checker for HCL2 native syntax, the subset Terraform configurations use:
// a tokenizer and a recursive-descent parser that report the first syntax
// error of a file with its position, plus what the file defines and references.
#pragma once

#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace ce::executor {

/// One problem found in a file; line and column are 1-based.
struct hcl_diagnostic {
  int line = 0;
  int column = 0;
  std::string message;
};

/// What check_hcl found in one file.
struct hcl_file_report {
  bool ok = true;  // syntax valid
  std::vector<hcl_diagnostic> errors;
  /// "aws_vpc.main" for every resource block, "data.aws_ami.x" for every data block.
  std::vector<std::string> resources;
  std::vector<std::string> variables, locals, modules, outputs;
  /// Every traversal in an expression that names a resource, data source, variable,
  /// local value or module: "aws_vpc.main", "data.aws_ami.x", "var.region",
  /// "local.tags", "module.x". Duplicates are kept once, in order of appearance.
  std::vector<std::string> references;
};

/// Parses one file. Stops at the first syntax error (reported with its position); a
/// redefined attribute is reported too and parsing goes on.
hcl_file_report check_hcl(std::string_view source);

/// The verdict on a set of files taken as one module.
struct hcl_set_report {
  bool ok = true;
  std::vector<std::string> errors;  // sentences naming the file
};

/// Checks a set of files as one module: each file's syntax, duplicate resource,
/// variable, local, module and output names, and that every reference points at
/// something defined in some file of the set.
hcl_set_report check_module(const std::vector<std::pair<std::string, std::string>>& files);

}  // namespace ce::executor
