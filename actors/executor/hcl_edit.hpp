// Finding and editing the blocks and attributes of Terraform files in place.
//
// check_hcl says whether a file is valid; this outline says where things are,
// so that rules can add an attribute to one resource or a key to one tags map
// without reformatting the rest of the file. Offsets always index the text the
// outline was made from: re-outline after every edit.
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace ce::executor {

/// An attribute `name = value` of a body.
struct hcl_attribute_span {
  std::string name;
  size_t begin = 0;        // first character of the name
  size_t value_begin = 0;  // first character of the value expression
  size_t value_end = 0;    // one past its last character (trailing blanks and comments excluded)
};

/// A block `type "label" ... { ... }` of a body.
struct hcl_block_span {
  std::string type;                 // "resource", "settings", ...
  std::vector<std::string> labels;  // without quotes
  size_t begin = 0;                 // first character of the type keyword
  size_t open_brace = 0;
  size_t close_brace = 0;
};

/// The top-level attributes and blocks of one body (a file, or what is between a block's braces).
struct hcl_body_outline {
  std::vector<hcl_attribute_span> attributes;
  std::vector<hcl_block_span> blocks;

  /// nullptr if the body has no attribute of that name.
  const hcl_attribute_span* attribute(std::string_view name) const;
  /// The first nested block of that type, nullptr if none.
  const hcl_block_span* block(std::string_view type) const;
};

/// Outline of a whole file.
hcl_body_outline outline_file(std::string_view source);
/// Outline of what is between a block's (or an object's) braces.
hcl_body_outline outline_block(std::string_view source, const hcl_block_span& block);

/// Position of the bracket closing the one at `open` ('(', '[' or '{'), skipping strings,
/// template interpolations, heredocs and comments; npos if it is never closed.
size_t matching_close(std::string_view source, size_t open);

/// The keys of an object constructor `{ a = 1, "b" = 2 }`; nullopt when the expression is not one.
std::optional<std::vector<std::string>> object_keys(std::string_view expression);

/// The arguments of a call `name(a, b, c)`; nullopt when the expression is not a call of `name`.
std::optional<std::vector<std::string>> call_arguments(std::string_view expression,
                                                       std::string_view name);

/// Inserts lines (given without indentation; may span several lines) as the last items of
/// the body between the braces at open_brace/close_brace, indented one level deeper than the
/// line holding open_brace. A one-line body is first opened onto several lines.
std::string insert_before_close(std::string_view source, size_t open_brace, size_t close_brace,
                                std::string_view lines);

/// The blanks at the start of the line holding position pos.
std::string indentation_at(std::string_view source, size_t pos);

/// Replaces the value of an attribute.
std::string replace_value(std::string_view source, const hcl_attribute_span& attribute,
                          std::string_view value);

/// Appends a top-level block (text ending with a newline) to a file, separated by a blank line.
std::string append_block(std::string_view source, std::string_view block);

/// The address "type.name" of a `resource "type" "name"` block, empty for other blocks.
std::string resource_address(const hcl_block_span& block);

/// True if expression contains a reference to address ("aws_vpc.main") as a whole traversal,
/// i.e. not as part of a longer name like "aws_vpc.main2".
bool references(std::string_view expression, std::string_view address);

}  // namespace ce::executor
